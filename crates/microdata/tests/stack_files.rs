//! End to end on files: hand-computed tables, bad rows, CSV and Parquet agreeing, the
//! synthetic marker, and output that `kwm ingest`'s long-CSV reader loads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kwm_microdata::aggregate::parse_by;
use kwm_microdata::generate::{GenerateOptions, Generator};
use kwm_microdata::output::write_long_csv;
use kwm_microdata::run::{stack_file, StackRun};
use kwm_microdata::sdc::profile::{Profile, StackDetail};
use kwm_microdata::stack::StackSpec;
use kwm_microdata::{Combination, ErrorPolicy, MicrodataError, ReadConfig};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn spec(by: &str, combos: &[&str]) -> StackSpec {
    let (level, breakdowns) = parse_by(by).unwrap();
    StackSpec {
        level,
        breakdowns,
        combinations: combos
            .iter()
            .map(|c| Combination::parse(c).unwrap())
            .collect(),
        measure: None,
        percentages: false,
        prefix: "mds_".into(),
    }
}

/// A profile without sensitive cells, to compare counts with a hand count.
fn no_suppression() -> Profile {
    Profile::parse("name = \"test\"\n[frequency]\nmin_count = 1\n").unwrap()
}

/// The same, publishing every stacking count 0..12 everywhere.
fn no_suppression_full_detail() -> Profile {
    no_suppression().with_stacking(3, StackDetail::All).unwrap()
}

fn values(run: &StackRun) -> HashMap<(String, String, String), Option<f64>> {
    run.rows()
        .into_iter()
        .map(|r| ((r.region, r.indicator, r.breakdown), r.value))
        .collect()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kwm-microdata-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_small_file_gives_the_hand_counted_table() {
    let run = stack_file(
        &data("persons_small.csv"),
        &ReadConfig::default(),
        spec("gemeente,ses_class", &["flex+sector"]),
        no_suppression_full_detail(),
        ErrorPolicy::default(),
    )
    .unwrap();
    assert!(!run.read.synthetic);
    let v = values(&run);
    let get = |region: &str, ind: &str, bd: &str| {
        v[&(region.to_string(), format!("mds_{ind}"), bd.to_string())]
    };
    // Seven persons: GM0014 has stacking counts 1, 2, 3, 0; GM0003 has 2, 4, 2.
    assert_eq!(get("NL01", "persons", ""), Some(7.0));
    assert_eq!(get("NL01", "stack_2", ""), Some(3.0));
    assert_eq!(get("NL01", "stack_3plus", ""), Some(2.0));
    assert_eq!(get("NL01", "stack_12", ""), Some(0.0));
    assert_eq!(get("GM0014", "persons", ""), Some(4.0));
    assert_eq!(get("GM0014", "stack_0", ""), Some(1.0));
    assert_eq!(get("GM0014", "persons", "ses_class=low"), Some(2.0));
    assert_eq!(get("GM0003", "stack_2", "ses_class=low"), Some(1.0));
    assert_eq!(get("NL01", "persons", "ses_class=low"), Some(3.0));
    assert_eq!(get("NL01", "stack_1", "ses_class=low"), Some(1.0));
    // Flexible employment and a vulnerable sector together: p2 and p3, both in GM0014.
    assert_eq!(get("NL01", "combo_flex_sector", ""), Some(2.0));
    assert_eq!(get("GM0014", "combo_flex_sector", ""), Some(2.0));
    assert_eq!(get("GM0003", "combo_flex_sector", ""), Some(0.0));
    // n is the published number of persons of the cell.
    let row = run
        .rows()
        .into_iter()
        .find(|r| r.region == "GM0003" && r.indicator == "mds_stack_4" && r.breakdown.is_empty())
        .unwrap();
    assert_eq!((row.value, row.n), (Some(1.0), Some(3.0)));
}

#[test]
fn the_stacking_count_is_top_coded_as_the_profile_says() {
    let run = |profile: Profile| {
        let run = stack_file(
            &data("persons_small.csv"),
            &ReadConfig::default(),
            spec("gemeente,ses_class", &["flex+sector"]),
            profile,
            ErrorPolicy::default(),
        )
        .unwrap();
        assert!(run.tables[0].summary.attack.passed());
        values(&run)
    };
    let indicators =
        |v: &HashMap<(String, String, String), Option<f64>>, region: &str, bd: &str| {
            let mut ids: Vec<String> = v
                .keys()
                .filter(|(r, _, b)| r == region && b == bd)
                .map(|(_, i, _)| i.clone())
                .collect();
            ids.sort();
            ids
        };
    // Default: 0, 1, 2, 3+ and nothing finer, anywhere.
    let v = run(no_suppression());
    let top_coded = [
        "mds_combo_flex_sector",
        "mds_persons",
        "mds_stack_0",
        "mds_stack_1",
        "mds_stack_2",
        "mds_stack_3plus",
    ];
    assert_eq!(indicators(&v, "NL01", ""), top_coded);
    assert_eq!(indicators(&v, "GM0003", "ses_class=low"), top_coded);
    // GM0003 has persons with 2, 4 and 2 characteristics.
    let get = |v: &HashMap<_, _>, r: &str, i: &str, b: &str| {
        v[&(r.to_string(), format!("mds_{i}"), b.to_string())]
    };
    assert_eq!(get(&v, "GM0003", "stack_3plus", ""), Some(1.0));
    assert_eq!(get(&v, "NL01", "stack_3plus", ""), Some(2.0));
    // Top 2: 0, 1, 2+.
    let v = run(no_suppression()
        .with_stacking(2, StackDetail::Never)
        .unwrap());
    assert_eq!(get(&v, "GM0003", "stack_2plus", ""), Some(3.0));
    assert!(!v.contains_key(&("GM0003".into(), "mds_stack_2".into(), String::new())));
    // Detail only for Nederland and gemeenten without breakdown.
    let v = run(no_suppression()
        .with_stacking(3, StackDetail::GemeenteTotals)
        .unwrap());
    assert_eq!(get(&v, "GM0003", "stack_4", ""), Some(1.0));
    assert_eq!(get(&v, "NL01", "stack_12", ""), Some(0.0));
    assert_eq!(indicators(&v, "GM0003", "ses_class=low"), top_coded);
    assert_eq!(indicators(&v, "NL01", "ses_class=high").len(), 6);
}

#[test]
fn top_coding_suppresses_less_and_every_table_passes_the_attacker_check() {
    let g = Generator::new(GenerateOptions {
        persons: 30_000,
        seed: 11,
        year: 2024,
    });
    let f = tmp("topcode.parquet");
    g.write(&f).unwrap();
    let run = |profile: Profile| {
        stack_file(
            &f,
            &ReadConfig::default(),
            spec("gemeente,age_class", &[]),
            profile,
            ErrorPolicy::default(),
        )
        .unwrap()
    };
    let suppressed = |r: &StackRun| r.rows().iter().filter(|r| r.value.is_none()).count();
    let full = run(Profile::default()
        .with_stacking(3, StackDetail::All)
        .unwrap());
    let totals = run(Profile::default()
        .with_stacking(3, StackDetail::GemeenteTotals)
        .unwrap());
    let top = run(Profile::default());
    for r in [&full, &totals, &top] {
        let s = &r.tables[0].summary;
        assert!(s.attack.passed());
        assert_eq!(
            s.attack.sensitive_checked,
            s.primary.values().sum::<usize>()
        );
        // Nothing published lies in 1..9.
        assert!(r
            .rows()
            .iter()
            .all(|r| r.value.is_none_or(|v| v == 0.0 || v >= 10.0)));
    }
    let (a, b, c) = (suppressed(&full), suppressed(&totals), suppressed(&top));
    assert!(
        c < b && b < a,
        "suppressed: top-coded {c}, gemeente totals {b}, full {a}"
    );
    // What the top-coded table publishes, the full table would have published the same.
    let fv = values(&full);
    for (k, v) in values(&top) {
        if let (Some(x), Some(Some(y))) = (v, fv.get(&k)) {
            assert_eq!(x, *y, "{k:?}");
        }
    }
}

#[test]
fn the_default_profile_suppresses_every_small_count_of_a_small_file() {
    let run = stack_file(
        &data("persons_small.csv"),
        &ReadConfig::default(),
        spec("gemeente", &[]),
        Profile::default(),
        ErrorPolicy::default(),
    )
    .unwrap();
    // Seven persons: every non-zero count is below 10, so nothing but zeros is published.
    for r in run.rows() {
        assert!(r.value.is_none_or(|v| v == 0.0), "{r:?}");
    }
    assert!(run.tables[0].summary.attack.passed());
}

#[test]
fn bad_rows_are_located_and_never_dropped_silently() {
    let cfg = ReadConfig::default();
    // Only the columns a table uses are read and checked: here age is one of them.
    let by = || spec("gemeente,age_class", &[]);
    let file = data("persons_bad.csv");
    // Default: the first bad row stops the run, named FILE:LINE:COLUMN.
    let e = stack_file(&file, &cfg, by(), no_suppression(), ErrorPolicy::default()).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.ends_with("persons_bad.csv:4:4: expected an age in whole years 0..=130, found 'abc'"),
        "{msg}"
    );
    // Three bad rows allowed: all counted by reason, the good rows tabulated.
    let run = stack_file(
        &file,
        &cfg,
        by(),
        no_suppression(),
        ErrorPolicy { max_errors: 3 },
    )
    .unwrap();
    assert_eq!(
        (run.read.rows, run.read.drops.dropped, run.persons),
        (6, 3, 3)
    );
    let lines = run.read.drops.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("column 'region': invalid region code")
                && l.contains("persons_bad.csv:5:2")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("column 'low_trust': invalid yes/no value")
                && l.contains("persons_bad.csv:6:21")),
        "{lines:?}"
    );
    // One too many: the run stops and says how many were dropped so far.
    match stack_file(
        &file,
        &cfg,
        by(),
        no_suppression(),
        ErrorPolicy { max_errors: 2 },
    ) {
        Err(MicrodataError::TooManyBadRows {
            limit: 2,
            last,
            log,
        }) => {
            assert_eq!((last.line, log.dropped), (6, 2));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_column_is_named() {
    let cfg = ReadConfig::parse("[columns]\nregion = \"buurtcode\"\n").unwrap();
    let e = stack_file(
        &data("persons_small.csv"),
        &cfg,
        spec("gemeente", &[]),
        no_suppression(),
        ErrorPolicy::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("expected a column 'buurtcode'"),
        "{e}"
    );
}

#[cfg(feature = "parquet")]
#[test]
fn csv_and_parquet_of_one_synthetic_population_give_one_table() {
    let g = Generator::new(GenerateOptions {
        persons: 20_000,
        seed: 3,
        year: 2024,
    });
    let (csv, pq) = (tmp("p.csv"), tmp("p.parquet"));
    g.write(&csv).unwrap();
    g.write(&pq).unwrap();
    assert!(std::fs::read_to_string(&csv)
        .unwrap()
        .starts_with("# SYNTHETIC population"));
    let run = |f: &Path| {
        stack_file(
            f,
            &ReadConfig::default(),
            spec("wijk", &["buffer+psych"]),
            Profile::default(),
            ErrorPolicy::default(),
        )
        .unwrap()
    };
    let (a, b) = (run(&csv), run(&pq));
    assert!(a.read.synthetic && b.read.synthetic);
    assert_eq!(a.persons, 20_000);
    assert_eq!(a.rows(), b.rows());
    // Synthetic input is labelled in every indicator id.
    assert!(a
        .rows()
        .iter()
        .all(|r| r.indicator.starts_with("synthetic_mds_")));
    // Wijk tables carry gemeente and national margins; nothing below 10 is published.
    let rows = a.rows();
    assert!(
        rows.iter().any(|r| r.region.starts_with("WK"))
            && rows.iter().any(|r| r.region.starts_with("GM"))
    );
    assert!(rows
        .iter()
        .all(|r| r.value.is_none_or(|v| v == 0.0 || v >= 10.0)));
    let t = a.tables[0].table();
    assert!(t.status.contains(&kwm_microdata::sdc::Status::Secondary));
}

#[test]
fn the_output_loads_as_long_csv() {
    let mut s = spec("gemeente,ses_class", &["flex+sector"]);
    s.percentages = true;
    let run = stack_file(
        &data("persons_small.csv"),
        &ReadConfig::default(),
        s,
        no_suppression(),
        ErrorPolicy::default(),
    )
    .unwrap();
    let out = tmp("out.csv");
    let rows = run.rows();
    write_long_csv(&out, &rows).unwrap();
    let catalogue = kwm_model::catalogue::Catalogue::default();
    let batch =
        kwm_ingest::read_path(&out, &catalogue, &kwm_ingest::ReadOptions::default(), None).unwrap();
    assert_eq!(batch.observations.len(), rows.len());
    let o = batch
        .observations
        .iter()
        .find(|o| {
            o.region.as_str() == "GM0014"
                && o.indicator.as_str() == "mds_stack_0"
                && o.breakdown == "ses_class=low"
        })
        .unwrap();
    assert_eq!((o.value, o.n), (Some(1.0), Some(2.0)));
    let pct = batch
        .observations
        .iter()
        .find(|o| {
            o.region.as_str() == "NL01"
                && o.indicator.as_str() == "mds_stack_2_pct"
                && o.breakdown.is_empty()
        })
        .unwrap();
    assert_eq!(pct.value, Some(42.9)); // 3 of 7
}

#[test]
fn a_suppressed_cell_is_an_empty_value_that_loads_as_suppressed() {
    let run = stack_file(
        &data("persons_small.csv"),
        &ReadConfig::default(),
        spec("gemeente", &[]),
        Profile::default(),
        ErrorPolicy::default(),
    )
    .unwrap();
    let out = tmp("suppressed.csv");
    write_long_csv(&out, &run.rows()).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.lines().any(|l| l == "NL01,2024,mds_persons,,,"),
        "{text}"
    );
    let catalogue = kwm_model::catalogue::Catalogue::default();
    let batch =
        kwm_ingest::read_path(&out, &catalogue, &kwm_ingest::ReadOptions::default(), None).unwrap();
    assert!(batch
        .observations
        .iter()
        .any(|o| o.status == kwm_model::ValueStatus::Suppressed));
}

#[test]
fn the_cbs_income_profile_rounds_counts_to_hundreds() {
    let g = Generator::new(GenerateOptions {
        persons: 40_000,
        seed: 5,
        year: 2024,
    });
    let f = tmp("cbs.csv");
    g.write(&f).unwrap();
    let mut s = spec("gemeente", &[]);
    s.percentages = true;
    s.measure = Some("income".into());
    let run = stack_file(
        &f,
        &ReadConfig::default(),
        s,
        Profile::built_in("cbs-income").unwrap(),
        ErrorPolicy::default(),
    )
    .unwrap();
    let rows = run.rows();
    for r in rows
        .iter()
        .filter(|r| !r.indicator.ends_with("_pct") && !r.indicator.contains("mean_"))
    {
        assert!(r.value.is_none_or(|v| v % 100.0 == 0.0), "{r:?}");
    }
    // Percentages exactly where the count and the *published* denominator (at least 100) are
    // published: never gated on the true denominator, which would narrow a rounded count.
    let t = run.tables[0].table();
    assert!(t.rounding_base == 100);
    let counts: std::collections::HashMap<(&str, &str, &str), Option<f64>> = rows
        .iter()
        .filter(|r| !r.indicator.ends_with("_pct"))
        .map(|r| {
            (
                (
                    r.region.as_str(),
                    r.breakdown.as_str(),
                    r.indicator.as_str(),
                ),
                r.value,
            )
        })
        .collect();
    let mut percentages = 0;
    for r in rows.iter().filter(|r| r.indicator.ends_with("_pct")) {
        let count = counts[&(
            r.region.as_str(),
            r.breakdown.as_str(),
            r.indicator.trim_end_matches("_pct"),
        )];
        let expected = count.is_some() && r.n.is_some_and(|n| n >= 100.0);
        assert_eq!(r.value.is_some(), expected, "{r:?} (count {count:?})");
        percentages += usize::from(expected);
    }
    assert!(percentages > 0);
    // Means only with at least 100 observations.
    for r in rows
        .iter()
        .filter(|r| r.indicator.contains("mean_income") && r.value.is_some())
    {
        assert!(r.n.unwrap() >= 100.0, "{r:?}");
    }
    // A mean row for every cell that has a persons row, published or not: a missing row would
    // tell that the suppressed count is 0.
    let persons: std::collections::BTreeSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.indicator.ends_with("persons"))
        .map(|r| (r.region.as_str(), r.breakdown.as_str()))
        .collect();
    let means: std::collections::BTreeSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.indicator.contains("mean_income"))
        .map(|r| (r.region.as_str(), r.breakdown.as_str()))
        .collect();
    assert_eq!(persons, means);
}

#[test]
fn every_cell_has_a_mean_row_so_a_missing_row_reveals_no_zero() {
    // Small gemeenten × age classes: some cells hold no persons at all, and secondary
    // suppression likes zeros. Their mean rows must still be there (empty), like every other.
    let g = Generator::new(GenerateOptions {
        persons: 20_000,
        seed: 3,
        year: 2024,
    });
    let f = tmp("means.csv");
    g.write(&f).unwrap();
    let mut s = spec("gemeente,age_class", &[]);
    s.measure = Some("income".into());
    let run = stack_file(
        &f,
        &ReadConfig::default(),
        s,
        Profile::default(),
        ErrorPolicy::default(),
    )
    .unwrap();
    let rows = run.rows();
    let cells = |what: &str| -> std::collections::BTreeSet<(String, String)> {
        rows.iter()
            .filter(|r| r.indicator.ends_with(what))
            .map(|r| (r.region.clone(), r.breakdown.clone()))
            .collect()
    };
    let persons = cells("_persons");
    assert_eq!(persons, cells("_mean_income"));
    // The case this guards: suppressed persons counts whose true value is 0.
    let suppressed = rows
        .iter()
        .filter(|r| r.indicator.ends_with("_persons") && r.value.is_none())
        .count();
    assert!(suppressed > 0, "the test needs suppressed cells");
}
