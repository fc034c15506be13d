//! Risk-model runs: stored as computed, one per level and period; a new run replaces the old
//! one completely (no orphaned region rows), and a region's results can be read alone.

use kwm_model::{Level, RegionCode};
use kwm_store::{
    RiskClusterRecord, RiskFactorRecord, RiskMethodRankRecord, RiskRegionRecord, RiskRun,
    RiskRunRecord, RiskThemeRecord, SqliteStore, Store,
};

fn region(code: &str, flagged: i64) -> RiskRegionRecord {
    RiskRegionRecord {
        region: RegionCode::parse(code).unwrap(),
        flagged,
        with_data: 2,
        weak_protective: 0,
        protective_with_data: 1,
        composite: Some(0.5),
        composite_rank: Some(1),
        composite_percentile: Some(100.0),
        rank_median: Some(1.5),
        rank_lower: Some(1.0),
        rank_upper: Some(2.0),
        method_ranks: vec![
            RiskMethodRankRecord {
                method: "nominal".into(),
                score: Some(0.5),
                rank: Some(1),
            },
            RiskMethodRankRecord {
                method: "min_max".into(),
                score: None,
                rank: None,
            },
        ],
        factors: vec![
            RiskFactorRecord {
                factor: "buffer".into(),
                score: Some(0.9),
                rank: Some(1),
                ranked: 2,
                percentile: Some(100.0),
                flagged: flagged > 0,
                trace: "[]".into(),
            },
            RiskFactorRecord {
                factor: "health".into(),
                score: None,
                rank: None,
                ranked: 1,
                percentile: None,
                flagged: false,
                trace: "[]".into(),
            },
        ],
        themes: vec![RiskThemeRecord {
            theme: "mental".into(),
            exposure: Some(80.0),
            rank: Some(1),
            ranked: 2,
            coverage: 0.5,
            flagged_weight: 2,
            drivers: "[]".into(),
        }],
    }
}

fn run(fingerprint: &str, regions: Vec<RiskRegionRecord>) -> RiskRun {
    RiskRun {
        run: RiskRunRecord {
            id: 0,
            level: Level::Gemeente,
            period: 2024,
            layout: Some(2024),
            catalogue_version: "t1".into(),
            fingerprint: fingerprint.into(),
            parameters: "{}".into(),
            summary: "{}".into(),
            computed_at: "2026-11-23T00:00:00Z".into(),
        },
        clusters: regions
            .iter()
            .flat_map(|r| {
                ["lisa", "gistar"].map(|statistic| RiskClusterRecord {
                    variable: "stacking".into(),
                    statistic: statistic.into(),
                    region: r.region.clone(),
                    status: "ok".into(),
                    value: Some(r.flagged as f64),
                    stat: Some(0.25),
                    z: Some(1.5),
                    p_sim: Some(0.01),
                    quadrant: (statistic == "lisa").then(|| "HH".to_string()),
                })
            })
            .collect(),
        regions,
    }
}

#[test]
fn a_run_round_trips_and_a_new_run_replaces_it() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    assert!(store
        .risk_run(Level::Gemeente, 2024, None)
        .unwrap()
        .is_none());
    let first = run("a", vec![region("GM0363", 1), region("GM0599", 0)]);
    let id = store.save_risk_run(&first).unwrap();
    let back = store
        .risk_run(Level::Gemeente, 2024, None)
        .unwrap()
        .unwrap();
    assert_eq!(back.run.id, id);
    assert_eq!(back.run.fingerprint, "a");
    assert_eq!(
        back.regions, first.regions,
        "factors, themes and method ranks in stored order"
    );
    assert!(back.clusters.is_empty(), "read separately");
    let all = store
        .risk_clusters(Level::Gemeente, 2024, None, None, None)
        .unwrap();
    assert_eq!(all.len(), 4);
    let gm0599 = RegionCode::parse("GM0599").unwrap();
    let lisa = store
        .risk_clusters(
            Level::Gemeente,
            2024,
            Some("stacking"),
            Some("lisa"),
            Some(&gm0599),
        )
        .unwrap();
    assert_eq!(lisa, vec![first.clusters[2].clone()]);
    assert!(store
        .risk_clusters(Level::Gemeente, 2024, Some("composite"), None, None)
        .unwrap()
        .is_empty());
    assert!(store
        .risk_clusters(Level::Ggd, 2024, None, None, None)
        .unwrap()
        .is_empty());

    let one = store
        .risk_run(
            Level::Gemeente,
            2024,
            Some(&RegionCode::parse("GM0599").unwrap()),
        )
        .unwrap()
        .unwrap();
    assert_eq!(one.regions.len(), 1);
    assert_eq!(one.regions[0].region.as_str(), "GM0599");
    assert_eq!(one.regions[0].factors.len(), 2);

    // A second run for the same level and period replaces the first, including its rows.
    store
        .save_risk_run(&run("b", vec![region("GM0363", 0)]))
        .unwrap();
    let runs = store.risk_runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].fingerprint, "b");
    let back = store
        .risk_run(Level::Gemeente, 2024, None)
        .unwrap()
        .unwrap();
    assert_eq!(back.regions.len(), 1);
    assert_eq!(back.regions[0].flagged, 0);
    assert!(store.risk_run(Level::Ggd, 2024, None).unwrap().is_none());
}

#[test]
fn replaced_runs_leave_no_rows_behind() {
    let dir = std::env::temp_dir().join(format!("kwm-risk-runs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sqlite");
    let _ = std::fs::remove_file(&path);
    {
        let mut store = SqliteStore::open(&path).unwrap();
        store
            .save_risk_run(&run("a", vec![region("GM0363", 1), region("GM0599", 0)]))
            .unwrap();
        store
            .save_risk_run(&run("b", vec![region("GM0363", 0)]))
            .unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (table, expected) in [
        ("risk_runs", 1),
        ("risk_regions", 1),
        ("risk_factor_scores", 2),
        ("risk_theme_exposure", 1),
        ("risk_method_ranks", 2),
        ("risk_clusters", 2),
    ] {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, expected, "{table}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
