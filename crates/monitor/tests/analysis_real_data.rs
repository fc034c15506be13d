//! The composite's method, rank intervals, method comparison and spatial clusters, computed by
//! `risk::compute` on the real demo data (Gezondheidsmonitor 2024 with the 2024 gemeente
//! boundaries, KWB 2019 with boundaries of another layout, GGD regions without boundaries).
//! Expected values are recomputed here from what the store holds, never typed in.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use kwm_engine::composite::{compute_composite, CompositeSpec, Table, TableIndicator};
use kwm_engine::rank::{ranks_unfavourable_first, round_half_away};
use kwm_ingest::ReadOptions;
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{FactorKind, NormalisationChoice};
use kwm_model::{Direction, Level, RegionCode};
use kwm_monitor::clusters::{self, Category};
use kwm_monitor::composite::{self, ChoiceKind};
use kwm_monitor::risk::{self, ComputeStatus};
use kwm_store::{RiskRun, SqliteStore, Store};
use kwm_testkit::repo;

fn catalogue() -> Catalogue {
    kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap()
}

/// A store with the demo figures and the gemeente boundaries, computed once per test binary
/// and copied per test.
fn computed_store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kwm-analysis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("computed.sqlite");
        let _ = std::fs::remove_file(&path);
        let files: Vec<PathBuf> = [
            "codelists/gemeenten_2019.csv",
            "codelists/gemeenten_2021_provincie.csv",
            "boundaries/gemeente_2022_cartomap_wgs84.topojson",
            "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
            "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
            "kwb/85984NED_DataProperties.json",
            "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
            "kwb/kwb_2019_gemeente_bevolking_long.csv",
        ]
        .iter()
        .map(|f| repo().join("data").join(f))
        .collect();
        let mut store = SqliteStore::open(&path).unwrap();
        let c = catalogue();
        kwm_monitor::ingest::ingest_files(
            &mut store,
            &c,
            &files,
            &ReadOptions::default(),
            "2026-11-23T00:00:00Z",
        )
        .unwrap();
        risk::compute_all(&mut store, &c, None, None, "t0", false).unwrap();
        path
    })
}

fn fresh_store(name: &str) -> SqliteStore {
    let path = computed_store().with_file_name(format!("{name}.sqlite"));
    std::fs::copy(computed_store(), &path).unwrap();
    SqliteStore::open(&path).unwrap()
}

fn run(store: &dyn Store, level: Level, period: i32) -> RiskRun {
    store.risk_run(level, period, None).unwrap().unwrap()
}

fn risk_ids(c: &Catalogue) -> Vec<String> {
    c.risk
        .factors()
        .filter(|f| f.kind == FactorKind::Risk)
        .map(|f| f.id.clone())
        .collect()
}

#[test]
fn the_default_composite_is_the_mean_of_the_displayed_percentiles() {
    let store = fresh_store("mean");
    let c = catalogue();
    let ids = risk_ids(&c);
    for (level, period) in [
        (Level::Ggd, 2024),
        (Level::Gemeente, 2019),
        (Level::Gemeente, 2024),
    ] {
        let r = run(&store, level, period);
        // Characteristics with a score somewhere at this level and period.
        let measured: Vec<&String> = ids
            .iter()
            .filter(|id| {
                r.regions.iter().any(|g| {
                    g.factors
                        .iter()
                        .any(|f| &f.factor == *id && f.score.is_some())
                })
            })
            .collect();
        let min_count = ((c.risk.method.composite_min_share * measured.len() as f64) - 1e-9)
            .ceil()
            .max(1.0) as usize;
        let expected: Vec<Option<f64>> = r
            .regions
            .iter()
            .map(|g| {
                let p: Vec<f64> = g
                    .factors
                    .iter()
                    .filter(|f| measured.contains(&&f.factor))
                    .filter_map(|f| f.percentile)
                    .collect();
                (p.len() >= min_count && !p.is_empty())
                    .then(|| round_half_away(p.iter().sum::<f64>() / p.len() as f64 / 100.0, 9))
            })
            .collect();
        let stored: Vec<Option<f64>> = r.regions.iter().map(|g| g.composite).collect();
        assert_eq!(stored, expected, "{level} {period}");
        let ranks = ranks_unfavourable_first(&expected, Direction::HigherIsWorse);
        let stored_ranks: Vec<Option<usize>> = r
            .regions
            .iter()
            .map(|g| g.composite_rank.map(|x| x as usize))
            .collect();
        assert_eq!(stored_ranks, ranks, "{level} {period}");
    }
}

#[test]
fn another_method_is_recorded_changes_the_fingerprint_and_moves_ranks() {
    let mut store = fresh_store("method");
    let c = catalogue();
    let before = run(&store, Level::Gemeente, 2024);
    let mut z = c.clone();
    z.risk.method.composite.normalisation = NormalisationChoice::ZScore;
    let s = risk::stacking(&store, &z, Level::Gemeente, Some(2024)).unwrap();
    assert!(
        s.run.stale,
        "a server with another method sees stored results as stale"
    );
    let o = risk::compute(&mut store, &z, Level::Gemeente, 2024, "t1", false).unwrap();
    assert_eq!(o.status, ComputeStatus::Computed);
    assert_ne!(o.run.as_ref().unwrap().fingerprint, before.run.fingerprint);
    let after = run(&store, Level::Gemeente, 2024);
    assert!(after
        .run
        .parameters
        .contains(r#""normalisation":"z_score""#));
    let summary = o.summary.unwrap();
    let comp = summary.composite.unwrap();
    assert!(comp.description.contains("z_score"), "{}", comp.description);
    let moved = before
        .regions
        .iter()
        .zip(&after.regions)
        .filter(|(a, b)| a.composite_rank != b.composite_rank)
        .count();
    assert!(moved > 0, "z-scores rank some gemeenten differently");
    // The stacking itself does not depend on the composite's method.
    for (a, b) in before.regions.iter().zip(&after.regions) {
        assert_eq!((a.flagged, &a.factors), (b.flagged, &b.factors));
    }
}

/// The composite table rebuilt from stored scores, in the stored region order.
fn table_from_store(r: &RiskRun, ids: &[String]) -> Table {
    let indicators: Vec<TableIndicator> = ids
        .iter()
        .map(|id| TableIndicator {
            id: id.clone(),
            direction: Direction::HigherIsWorse,
            values: r
                .regions
                .iter()
                .map(|g| {
                    g.factors
                        .iter()
                        .find(|f| &f.factor == id)
                        .and_then(|f| f.score)
                })
                .collect(),
        })
        .filter(|t| t.values.iter().any(Option::is_some))
        .collect();
    Table::new(
        r.regions.iter().map(|g| g.region.to_string()).collect(),
        indicators,
    )
    .unwrap()
}

#[test]
fn compared_methods_and_rank_intervals_follow_from_the_stored_scores() {
    let mut store = fresh_store("compare");
    let c = catalogue();
    let r = run(&store, Level::Gemeente, 2024);
    let cmp = composite::comparison(&store, &c, Level::Gemeente, Some(2024)).unwrap();
    let methods = &cmp.composite.methods;
    assert_eq!(methods[0].changes, ChoiceKind::Nominal);
    assert_eq!(
        methods.len(),
        composite::compared_methods(&c.risk.method).len()
    );
    let table = table_from_store(&r, &risk_ids(&c));
    let ids: Vec<&str> = table.indicators().iter().map(|i| i.id.as_str()).collect();
    let by_code: HashMap<String, &composite::ComparisonRow> =
        cmp.rows.iter().map(|x| (x.code.to_string(), x)).collect();
    for (k, m) in methods.iter().enumerate() {
        assert!(m.error.is_none(), "{}: {:?}", m.key, m.error);
        let spec = composite::composite_spec(&c.risk.method, &c.risk, m.method);
        let spec = CompositeSpec {
            weighting: spec.weighting.restricted_to(&ids),
            ..spec
        };
        let recomputed = compute_composite(&table, &spec).unwrap();
        let mut shifts = Vec::new();
        for (i, g) in r.regions.iter().enumerate() {
            let row = by_code[g.region.as_str()];
            assert_eq!(row.ranks[k], recomputed.ranks[i], "{} {}", m.key, g.region);
            if let (Some(a), Some(b)) = (row.ranks[0], row.ranks[k]) {
                shifts.push(a.abs_diff(b));
            }
        }
        let more_than_10 = shifts.iter().filter(|s| **s > 10).count();
        assert_eq!(
            m.moved_more_than.iter().find(|x| x.0 == 10).unwrap().1,
            more_than_10,
            "{}",
            m.key
        );
        assert_eq!(m.max_shift, shifts.iter().copied().max());
    }
    // The nominal ranks are the composite ranks of the stacking page.
    for g in &r.regions {
        assert_eq!(
            by_code[g.region.as_str()].ranks[0],
            g.composite_rank.map(|x| x as usize)
        );
    }
    // Intervals: ordered and within the ranks that exist, for every region with a composite.
    let ranked = r.regions.iter().filter(|g| g.composite.is_some()).count() as f64;
    let mut widths = Vec::new();
    for g in &r.regions {
        match (g.composite, g.rank_lower, g.rank_median, g.rank_upper) {
            (Some(_), Some(lo), Some(med), Some(hi)) => {
                assert!(1.0 <= lo && lo <= med && med <= hi && hi <= ranked, "{g:?}");
                widths.push(hi - lo);
            }
            (None, None, None, None) => {}
            other => panic!("{}: {other:?}", g.region),
        }
    }
    assert!(
        widths.iter().any(|w| *w > 0.0),
        "the method choices do move ranks on these data"
    );
    let u = cmp.composite.uncertainty.as_ref().unwrap();
    assert_eq!(u.total_runs, composite::planned_runs(&c.risk.method));
    assert_eq!(u.rank_runs, 2 * c.risk.method.uncertainty.runs);
    assert_eq!(u.indices.len(), 4);
    for i in &u.indices {
        let (s, st) = (i.first_order.unwrap(), i.total.unwrap());
        // Jansen estimates: a total index is a mean of squares; a first-order one can dip just
        // below 0 by sampling error.
        assert!(st >= 0.0 && s > -0.1 && s <= st + 0.1, "{i:?}");
    }

    // Seeded: recomputing gives the same intervals; another seed other ones.
    risk::compute(&mut store, &c, Level::Gemeente, 2024, "t1", true).unwrap();
    let again = run(&store, Level::Gemeente, 2024);
    let intervals = |r: &RiskRun| -> Vec<(Option<f64>, Option<f64>, Option<f64>)> {
        r.regions
            .iter()
            .map(|g| (g.rank_lower, g.rank_median, g.rank_upper))
            .collect()
    };
    assert_eq!(intervals(&again), intervals(&r));
    let mut seeded = c.clone();
    seeded.risk.method.uncertainty.seed += 1;
    risk::compute(&mut store, &seeded, Level::Gemeente, 2024, "t2", false).unwrap();
    assert_ne!(
        intervals(&run(&store, Level::Gemeente, 2024)),
        intervals(&r)
    );
}

#[test]
fn clusters_are_stored_for_every_variable_with_islands_and_missing_boundaries_reported() {
    let mut store = fresh_store("clusters");
    let c = catalogue();
    let r = run(&store, Level::Gemeente, 2024);
    let summary: risk::RunSummary = serde_json::from_str(&r.run.summary).unwrap();
    let cl = summary.clusters.unwrap();
    assert_eq!(cl.boundary_layout, Some(2024));
    assert_eq!(cl.with_boundary, 342);
    assert!(cl.without_boundary.is_empty());
    let vars = clusters::variables(&cl);
    assert_eq!(&vars[..2], &["stacking", "composite"]);
    assert_eq!(vars.len(), 2 + summary.characteristics_with_data.len());

    let stacking = clusters::clusters(
        &store,
        &c,
        Level::Gemeente,
        &clusters::ClusterQuery {
            period: Some(2024),
            variable: None,
            statistic: None,
            alpha: None,
            fdr: Some(false),
        },
    )
    .unwrap();
    assert_eq!(
        (stacking.variable.as_str(), stacking.statistic.as_str()),
        ("stacking", "lisa")
    );
    assert_eq!(stacking.rows.len(), 342);
    // Values are the stored stacking counts, for regions with any characteristic measured.
    let counts: HashMap<String, (i64, i64)> = r
        .regions
        .iter()
        .map(|g| (g.region.to_string(), (g.flagged, g.with_data)))
        .collect();
    let analysed: Vec<f64> = stacking
        .rows
        .iter()
        .filter(|x| x.record.status == "ok" || x.record.status == "island")
        .filter_map(|x| x.record.value)
        .collect();
    let mean = analysed.iter().sum::<f64>() / analysed.len() as f64;
    for row in &stacking.rows {
        let (flagged, with_data) = counts[row.code.as_str()];
        if with_data == 0 {
            assert_eq!(row.record.status, "no_value");
            assert_eq!(row.category, Category::NoValue);
        } else {
            assert_eq!(row.record.value, Some(flagged as f64));
        }
        if row.record.status == "ok" {
            // The quadrant's first letter is the value against the mean of the analysed regions.
            let high = row.record.value.unwrap() > mean;
            assert_eq!(
                row.record.quadrant.as_deref().unwrap().starts_with('H'),
                high,
                "{}",
                row.code
            );
            assert_eq!(row.significant, row.record.p_sim.unwrap() < 0.05);
        }
    }
    // Texel lies across the Marsdiep from Den Helder: no neighbour, reported, no statistic.
    let texel = stacking
        .rows
        .iter()
        .find(|x| x.code.as_str() == "GM0448")
        .unwrap();
    assert_eq!(
        (texel.record.status.as_str(), texel.category),
        ("island", Category::Island)
    );
    assert!(texel.record.p_sim.is_none());
    let counted: usize = stacking.counts.values().sum();
    assert_eq!(counted, 342);
    assert!(
        stacking
            .counts
            .get(&Category::HighHigh)
            .copied()
            .unwrap_or(0)
            > 0
    );

    // The FDR cut-off is never above alpha.
    let fdr = clusters::clusters(
        &store,
        &c,
        Level::Gemeente,
        &clusters::ClusterQuery {
            period: Some(2024),
            variable: Some("composite"),
            statistic: Some("gistar"),
            alpha: Some(0.05),
            fdr: Some(true),
        },
    )
    .unwrap();
    assert!(fdr.cutoff <= 0.05);
    for row in &fdr.rows {
        assert_eq!(
            row.significant,
            row.record.status == "ok" && row.record.p_sim.unwrap() < fdr.cutoff
        );
        if row.significant {
            let z = row.record.z.unwrap();
            assert_eq!(
                row.category,
                if z > 0.0 {
                    Category::HotSpot
                } else {
                    Category::ColdSpot
                }
            );
        }
    }

    // GGD regions have no boundaries in the demo data; 2019 gemeenten partly not in the 2022 map.
    let ggd: risk::RunSummary =
        serde_json::from_str(&run(&store, Level::Ggd, 2024).run.summary).unwrap();
    assert!(ggd
        .clusters
        .unwrap()
        .note
        .unwrap()
        .contains("no boundaries"));
    let y2019 = clusters::clusters(
        &store,
        &c,
        Level::Gemeente,
        &clusters::ClusterQuery {
            period: Some(2019),
            variable: None,
            statistic: None,
            alpha: None,
            fdr: None,
        },
    )
    .unwrap();
    assert_eq!(y2019.summary.boundary_layout, Some(2022));
    assert!(!y2019.summary.without_boundary.is_empty());
    for code in &y2019.summary.without_boundary {
        let row = y2019.rows.iter().find(|x| x.code.as_str() == code).unwrap();
        assert_eq!(row.category, Category::NoBoundary);
    }

    // Errors a caller can make.
    assert!(matches!(
        clusters::clusters(
            &store,
            &c,
            Level::Gemeente,
            &clusters::ClusterQuery {
                period: Some(2024),
                variable: Some("leeftijd"),
                statistic: None,
                alpha: None,
                fdr: None
            }
        ),
        Err(kwm_monitor::MonitorError::NotFound(_))
    ));
    assert!(matches!(
        clusters::clusters(
            &store,
            &c,
            Level::Gemeente,
            &clusters::ClusterQuery {
                period: Some(2024),
                variable: None,
                statistic: Some("moran"),
                alpha: None,
                fdr: None
            }
        ),
        Err(kwm_monitor::MonitorError::BadRequest(_))
    ));

    // Another permutation seed gives other pseudo p-values (and a new fingerprint).
    let mut seeded = c.clone();
    seeded.risk.method.clusters.seed += 1;
    risk::compute(&mut store, &seeded, Level::Gemeente, 2024, "t1", false).unwrap();
    let other = clusters::clusters(
        &store,
        &seeded,
        Level::Gemeente,
        &clusters::ClusterQuery {
            period: Some(2024),
            variable: None,
            statistic: None,
            alpha: None,
            fdr: None,
        },
    )
    .unwrap();
    let p = |x: &clusters::Clusters| -> Vec<Option<f64>> {
        x.rows.iter().map(|r| r.record.p_sim).collect()
    };
    assert_ne!(p(&other), p(&stacking));

    // A region's memberships are the significant LISA/G_i* results of its row.
    let (_, members) =
        clusters::region_memberships(&store, &RegionCode::parse("GM1979").unwrap(), Some(2024))
            .unwrap();
    let eemsdelta = clusters::clusters(
        &store,
        &seeded,
        Level::Gemeente,
        &clusters::ClusterQuery {
            period: Some(2024),
            variable: None,
            statistic: None,
            alpha: None,
            fdr: None,
        },
    )
    .unwrap();
    let row = eemsdelta
        .rows
        .iter()
        .find(|x| x.code.as_str() == "GM1979")
        .unwrap();
    assert_eq!(
        members
            .iter()
            .any(|m| m.variable == "stacking" && m.statistic == "lisa"),
        row.significant
    );
}
