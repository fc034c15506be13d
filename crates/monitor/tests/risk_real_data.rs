//! The risk model on the real demo data: what is measured and what is a gap, that stacking
//! percentiles agree with the indicator tables the dashboard shows, that results are recomputed
//! exactly when the catalogue, its parameters or the data change, and that nothing else moves.

use std::path::PathBuf;
use std::sync::OnceLock;

use kwm_ingest::ReadOptions;
use kwm_model::catalogue::Catalogue;
use kwm_model::{Level, RegionCode};
use kwm_monitor::query;
use kwm_monitor::risk::{self, ComputeStatus, CoverageStatus};
use kwm_store::{SqliteStore, Store};
use kwm_testkit::repo;

fn catalogue() -> Catalogue {
    kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap()
}

/// A store with the demo figures, loaded once per test binary and copied per test.
fn loaded_store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kwm-risk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("loaded.sqlite");
        let _ = std::fs::remove_file(&path);
        let files: Vec<PathBuf> = [
            "codelists/gemeenten_2019.csv",
            "codelists/gemeenten_2021_provincie.csv",
            "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
            "kwb/85984NED_DataProperties.json",
            "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
            "kwb/kwb_2019_gemeente_bevolking_long.csv",
        ]
        .iter()
        .map(|f| repo().join("data").join(f))
        .collect();
        let mut store = SqliteStore::open(&path).unwrap();
        kwm_monitor::ingest::ingest_files(
            &mut store,
            &catalogue(),
            &files,
            &ReadOptions::default(),
            "2026-11-23T00:00:00Z",
        )
        .unwrap();
        path
    })
}

fn fresh_store(name: &str) -> SqliteStore {
    let path = loaded_store().with_file_name(format!("{name}.sqlite"));
    std::fs::copy(loaded_store(), &path).unwrap();
    SqliteStore::open(&path).unwrap()
}

fn gm(code: &str) -> RegionCode {
    RegionCode::parse(code).unwrap()
}

#[test]
fn the_demo_data_measures_six_characteristics_for_young_adults_and_age_in_2019() {
    let mut store = fresh_store("measured");
    let c = catalogue();
    let outcomes = risk::compute_all(&mut store, &c, None, None, "t", false).unwrap();
    let done: Vec<(Level, i32, ComputeStatus)> = outcomes
        .iter()
        .map(|o| (o.level, o.period, o.status))
        .collect();
    assert_eq!(
        done,
        vec![
            (Level::Ggd, 2024, ComputeStatus::Computed),
            (Level::Gemeente, 2019, ComputeStatus::Computed),
            (Level::Gemeente, 2024, ComputeStatus::Computed),
        ],
        "wijk figures (KWB 2024 basics) define no characteristic"
    );
    let s = risk::stacking(&store, &c, Level::Gemeente, Some(2024)).unwrap();
    assert_eq!(
        s.run.summary.characteristics_with_data,
        vec![
            "kleine_financiele_buffer",
            "beperking",
            "kwetsbare_gezondheid",
            "psychische_problematiek",
            "laag_sociaal_kapitaal",
            "gezinssituatie"
        ]
    );
    assert_eq!(s.rows.len(), 342, "the 2024 layout");
    // The four Wadden islands are not in the Gezondheidsmonitor, and 15 small gemeenten have
    // every figure suppressed: 342 − 19 = 323 gemeenten with data, the same 323 the indicator
    // tables rank.
    assert_eq!(s.run.summary.no_data, 4 + 15);
    assert_eq!(
        s.run.summary.distribution.iter().sum::<usize>(),
        323,
        "every gemeente with figures is in the distribution"
    );
    assert_eq!(s.run.summary.distribution.len(), 13, "0..=12");
    assert!(!s.run.stale);
    // With six characteristics flagged at the top decile, roughly 10% of regions carry each
    // flag: the flags add up to about 6 × 10% of the regions.
    let flags: usize = s.rows.iter().map(|r| r.flagged).sum();
    assert!((150..=260).contains(&flags), "{flags} flags");
    for r in &s.rows {
        assert_eq!(r.flagged, r.flagged_ids.len());
        assert!(r.flagged <= r.with_data && r.with_data <= 6);
    }

    let y2019 = risk::stacking(&store, &c, Level::Gemeente, Some(2019)).unwrap();
    assert_eq!(
        y2019.run.summary.characteristics_with_data,
        vec!["leeftijd"]
    );
    assert_eq!(y2019.rows.len(), 355, "the 2019 layout");
}

#[test]
fn percentiles_agree_with_the_indicator_tables_and_traces_add_up() {
    let mut store = fresh_store("agree");
    let c = catalogue();
    risk::compute(&mut store, &c, Level::Gemeente, 2024, "t", false).unwrap();
    // Low social capital is one higher-is-worse indicator: its percentile must be the one the
    // dashboard shows for that indicator, rounded to the displayed decimal.
    let table =
        query::indicator_table(&store, "jv_sterk_eenzaam", Level::Gemeente, Some(2024)).unwrap();
    let mut compared = 0;
    for row in &table.rows {
        let region = risk::region_risk(&store, &c, &row.code, Some(2024)).unwrap();
        let f = region
            .factors
            .iter()
            .find(|f| f.id == "laag_sociaal_kapitaal")
            .unwrap();
        assert_eq!(
            f.percentile,
            row.percentile
                .map(|p| kwm_engine::rank::round_half_away(p, 1)),
            "{}",
            row.code
        );
        compared += usize::from(f.percentile.is_some());
        if compared > 40 {
            break;
        }
    }
    assert!(compared > 40);

    // Amsterdam's small financial buffer: the score is the weighted mean of the percentile
    // ranks of its two indicators, each as the indicator table ranks it.
    let ams = risk::region_risk(&store, &c, &gm("GM0363"), None).unwrap();
    let buffer = ams
        .factors
        .iter()
        .find(|f| f.id == "kleine_financiele_buffer")
        .unwrap();
    let mut expected = 0.0;
    for term in &buffer.terms {
        let t =
            query::indicator_table(&store, &term.indicator, Level::Gemeente, Some(2024)).unwrap();
        let row = t.rows.iter().find(|r| r.code.as_str() == "GM0363").unwrap();
        let p = kwm_engine::rank::round_half_away(row.percentile.unwrap() / 100.0, 4);
        assert_eq!(term.percentile, Some(p), "{}", term.indicator);
        assert_eq!(term.value, row.shown);
        assert_eq!(term.rank, row.rank);
        expected += term.effective_weight.unwrap() * p;
    }
    assert!((buffer.score.unwrap() - expected).abs() < 1e-9);
    // Amsterdam ties for the highest share with difficulty making ends meet (38.8%).
    assert_eq!(buffer.terms[0].rank, Some(1));
    assert_eq!(ams.themes.len(), 7);
    assert_eq!(ams.factors.len(), 12 + 6);
    let gaps: Vec<&str> = ams
        .factors
        .iter()
        .filter(|f| f.gap)
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(
        gaps,
        // Flexible work and the vulnerable sector have gemeente definitions since issue 12
        // (KWB proxies): without their figures they are unmeasured, not undefined.
        vec![
            "lage_taal_digivaardigheden",
            "laag_vertrouwen",
            "dagstructuur",
            "vrijwilligerswerk_werk",
            "face_to_face_contact"
        ]
    );
    // Defined but without figures in 2024: low parental education (proxy) and age.
    for id in ["lage_opleiding_ouders", "leeftijd"] {
        let f = ams.factors.iter().find(|f| f.id == id).unwrap();
        assert!(!f.gap && f.score.is_none(), "{id}");
    }
    // A theme is driven only by characteristics with a score, and its coverage says how much of
    // the theme's matrix weight that is.
    let work = ams.themes.iter().find(|t| t.id == "werk_inkomen").unwrap();
    let measured: u32 = work.drivers.iter().map(|d| u32::from(d.weight)).sum();
    assert_eq!(
        measured,
        3 + 2 + 1 + 2 + 1 + 1,
        "buffer, disability, health, psych, social capital, family situation"
    );
    let total: u32 = c
        .risk
        .characteristics
        .iter()
        .map(|f| u32::from(c.risk.matrix_value(&f.id, "werk_inkomen")))
        .sum();
    assert_eq!(
        work.coverage,
        kwm_engine::rank::round_half_away(f64::from(measured) / f64::from(total), 4)
    );

    // Age in 2019 is the share of residents aged 15–24 or 65+, from the counts.
    risk::compute(&mut store, &c, Level::Gemeente, 2019, "t", false).unwrap();
    let r2019 = risk::region_risk(&store, &c, &gm("GM0363"), Some(2019)).unwrap();
    let age = &r2019
        .factors
        .iter()
        .find(|f| f.id == "leeftijd")
        .unwrap()
        .terms[0];
    let count = |id: &str| {
        store
            .observations(id, Level::Gemeente, 2019)
            .unwrap()
            .into_iter()
            .find(|o| o.region.as_str() == "GM0363")
            .unwrap()
            .value
            .unwrap()
    };
    let share = 100.0 * (count("kwb_15_tot_25_jaar") + count("kwb_65_jaar_of_ouder"))
        / count("kwb_aantal_inwoners");
    assert_eq!(age.value, Some(kwm_engine::rank::round_half_away(share, 1)));
    assert_eq!(age.inputs.len(), 3);
}

#[test]
fn results_are_recomputed_exactly_when_catalogue_parameters_or_data_change() {
    let mut store = fresh_store("recompute");
    let c = catalogue();
    let first = risk::compute(&mut store, &c, Level::Gemeente, 2024, "t1", false).unwrap();
    assert_eq!(first.status, ComputeStatus::Computed);
    let again = risk::compute(&mut store, &c, Level::Gemeente, 2024, "t2", false).unwrap();
    assert_eq!(again.status, ComputeStatus::UpToDate);
    assert_eq!(
        again.run.as_ref().unwrap().computed_at,
        "t1",
        "nothing was rewritten"
    );
    let before = risk::stacking(&store, &c, Level::Gemeente, Some(2024)).unwrap();

    // A lower threshold flags more, and the stored results say they are stale until recomputed.
    let mut lower = c.clone();
    lower.risk.method.threshold = 80.0;
    assert!(
        risk::stacking(&store, &lower, Level::Gemeente, Some(2024))
            .unwrap()
            .run
            .stale
    );
    let recomputed = risk::compute(&mut store, &lower, Level::Gemeente, 2024, "t3", false).unwrap();
    assert_eq!(recomputed.status, ComputeStatus::Computed);
    assert_ne!(
        recomputed.run.unwrap().fingerprint,
        first.run.unwrap().fingerprint
    );
    let after = risk::stacking(&store, &lower, Level::Gemeente, Some(2024)).unwrap();
    assert_eq!(after.run.method.threshold, 80.0);
    let count = |s: &risk::Stacking| s.rows.iter().map(|r| r.flagged).sum::<usize>();
    assert!(
        count(&after) > count(&before),
        "{} > {}",
        count(&after),
        count(&before)
    );

    // A matrix edit moves theme exposure and nothing else.
    let mut matrix = lower.clone();
    let psych = matrix
        .risk
        .characteristics
        .iter()
        .position(|f| f.id == "psychische_problematiek")
        .unwrap();
    for v in &mut matrix.risk.matrix.values[psych] {
        *v = 0;
    }
    let m = risk::compute(&mut store, &matrix, Level::Gemeente, 2024, "t4", false).unwrap();
    assert_eq!(m.status, ComputeStatus::Computed);
    let moved = risk::stacking(&store, &matrix, Level::Gemeente, Some(2024)).unwrap();
    assert_eq!(count(&moved), count(&after));
    let ams = risk::region_risk(&store, &matrix, &gm("GM0363"), Some(2024)).unwrap();
    assert!(ams.themes.iter().all(|t| t
        .drivers
        .iter()
        .all(|d| d.characteristic != "psychische_problematiek")));

    // New data makes stored results stale too.
    kwm_monitor::ingest::ingest_files(
        &mut store,
        &matrix,
        &[repo().join("data/codelists/wijken_2023.csv")],
        &ReadOptions::default(),
        "2026-11-24T00:00:00Z",
    )
    .unwrap();
    assert!(
        risk::stacking(&store, &matrix, Level::Gemeente, Some(2024))
            .unwrap()
            .run
            .stale
    );
}

#[test]
fn coverage_shows_every_gap_by_level_and_period() {
    let store = fresh_store("coverage");
    let c = catalogue();
    let cov = risk::coverage(&store, &c, None).unwrap();
    assert!(cov.columns.contains(&(Level::Gemeente, Some(2019))));
    assert!(cov.columns.contains(&(Level::Gemeente, Some(2024))));
    assert!(
        cov.columns.contains(&(Level::Buurt, None)),
        "nothing loaded at buurt level"
    );
    let cell = |factor: &str, level: Level, period: Option<i32>| {
        let row = cov.rows.iter().find(|r| r.factor == factor).unwrap();
        let k = cov
            .columns
            .iter()
            .position(|c| *c == (level, period))
            .unwrap();
        row.cells[k].clone()
    };
    assert_eq!(
        cell("leeftijd", Level::Gemeente, Some(2019)).status,
        CoverageStatus::Measured
    );
    assert_eq!(
        cell("leeftijd", Level::Gemeente, Some(2024)).status,
        CoverageStatus::NoData
    );
    assert_eq!(
        cell("leeftijd", Level::Ggd, Some(2024)).status,
        CoverageStatus::NoDefinition
    );
    // Defined at gemeente level since issue 12 (a WW-benefit proxy from KWB), but the files
    // loaded here have no WW figures for 2024: a gap of data, not of definition.
    assert_eq!(
        cell("flexibel_werkverband", Level::Gemeente, Some(2024)).status,
        CoverageStatus::NoData
    );
    let buffer = cell("kleine_financiele_buffer", Level::Gemeente, Some(2024));
    assert_eq!(buffer.status, CoverageStatus::Measured);
    assert_eq!(
        buffer.population.as_ref().map(|p| p.0.as_str()),
        // The label comes from catalogue/populations.toml since issue 12.
        Some("jongvolwassenen (16–25 jaar)")
    );
    let rondkomen = buffer
        .indicators
        .iter()
        .find(|i| i.id == "jv_moeite_met_rondkomen")
        .unwrap();
    assert_eq!(rondkomen.regions, 323, "15 gemeenten suppressed");
    assert!(cell("beperking", Level::Ggd, Some(2024)).proxy);
    assert_eq!(
        cell("lage_opleiding_ouders", Level::Wijk, Some(2024)).status,
        CoverageStatus::NoData,
        "defined (proxy) but its counts are not in the demo data"
    );
    let only_ggd = risk::coverage(&store, &c, Some(Level::Ggd)).unwrap();
    assert!(only_ggd.columns.iter().all(|(l, _)| *l == Level::Ggd));
}

#[test]
fn group_areas_list_where_the_groups_characteristics_are_flagged() {
    let mut store = fresh_store("groups");
    let c = catalogue();
    risk::compute(&mut store, &c, Level::Gemeente, 2024, "t", false).unwrap();
    let g = risk::group_areas(
        &store,
        &c,
        "kwetsbare_jongeren",
        Level::Gemeente,
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        g.measured,
        vec![
            "psychische_problematiek",
            "laag_sociaal_kapitaal",
            "kleine_financiele_buffer"
        ]
    );
    assert_eq!(g.gaps, vec!["leeftijd", "flexibel_werkverband"]);
    assert!(!g.areas.is_empty());
    for w in g.areas.windows(2) {
        assert!(w[0].flagged.len() >= w[1].flagged.len());
    }
    assert!(g
        .areas
        .iter()
        .all(|a| a.flagged.iter().all(|f| g.measured.contains(f))));
    assert!(matches!(
        risk::group_areas(&store, &c, "nobody", Level::Gemeente, None, None),
        Err(kwm_monitor::MonitorError::NotFound(_))
    ));
}

/// The report's groups as they show in one area: each group's characteristics split into
/// flagged, measured and gaps exactly as the area's own results say, most flagged first.
#[test]
fn the_groups_of_an_area_follow_its_flags() {
    let mut store = fresh_store("groups_of_area");
    let c = catalogue();
    risk::compute(&mut store, &c, Level::Gemeente, 2024, "t", false).unwrap();
    let stacking = risk::stacking(&store, &c, Level::Gemeente, Some(2024)).unwrap();
    // The area with the most flags, so that some group has something flagged.
    let most = stacking.rows.iter().max_by_key(|r| r.flagged).unwrap();
    assert!(most.flagged > 0);
    let region = risk::region_risk(&store, &c, &most.code, Some(2024)).unwrap();
    let groups = risk::groups_of_area(&c, &region);
    assert_eq!(groups.len(), c.risk.groups.len());
    for g in &groups {
        let group = c.risk.group(&g.group).unwrap();
        let mut all: Vec<&String> = g.measured.iter().chain(&g.gaps).collect();
        all.sort();
        let mut expected: Vec<&String> = group.characteristics.iter().collect();
        expected.sort();
        assert_eq!(all, expected, "{}", g.group);
        for id in &group.characteristics {
            let f = region.factors.iter().find(|f| &f.id == id);
            assert_eq!(
                g.flagged.contains(id),
                f.is_some_and(|f| f.flagged && f.score.is_some()),
                "{} {id}",
                g.group
            );
            assert_eq!(
                g.measured.contains(id),
                f.is_some_and(|f| f.score.is_some())
            );
        }
    }
    assert!(!groups[0].flagged.is_empty());
    for w in groups.windows(2) {
        assert!(w[0].flagged.len() >= w[1].flagged.len());
    }
}

/// One gemeente's own KWB file (Amsterdam 2017/2019) also carries a gemeente row: at gemeente
/// level its indicators cover one region, which can rank nothing. They must not count as
/// measured, and a level and period where only such figures exist is not ranked at all.
#[test]
fn figures_for_a_handful_of_regions_are_not_ranked() {
    let mut store = fresh_store("handful");
    kwm_monitor::ingest::ingest_files(
        &mut store,
        &catalogue(),
        &[
            repo().join("data/kwb_amsterdam/kwb_2017_amsterdam_gemeente_wijk_buurt.csv"),
            repo().join("data/kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv"),
        ],
        &ReadOptions::default(),
        "2026-11-23T00:00:00Z",
    )
    .unwrap();
    // The education indicator exists at gemeente level in 2019 for Amsterdam alone.
    let education = store
        .observations("kwb_opleiding_laag", Level::Gemeente, 2019)
        .unwrap();
    assert_eq!(education.iter().filter(|o| o.value.is_some()).count(), 1);
    let cat = catalogue();
    let outcome = risk::compute(&mut store, &cat, Level::Gemeente, 2019, "t", false).unwrap();
    let summary = outcome.summary.unwrap();
    assert_eq!(
        summary.characteristics_with_data,
        vec!["leeftijd".to_string()]
    );
    // Gemeente 2017 has figures for Amsterdam only: not ranked, nothing stored.
    let outcome = risk::compute(&mut store, &cat, Level::Gemeente, 2017, "t", false).unwrap();
    assert_eq!(outcome.status, ComputeStatus::NoData);
    assert!(store
        .risk_run(Level::Gemeente, 2017, None)
        .unwrap()
        .is_none());
}
