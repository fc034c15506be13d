//! A load is one transaction: a failure leaves the store file byte-for-byte unchanged, and a
//! file loaded twice changes nothing.

use kwm_ingest::{Dataset, LoadBatch, RegionRecord};
use kwm_model::{Direction, Indicator, IndicatorId, Observation, Period, RegionCode, ValueStatus};
use kwm_store::{LoadOutcome, SqliteStore, Store};

fn indicator(id: &str) -> Indicator {
    Indicator {
        id: IndicatorId::new(id).unwrap(),
        label_nl: id.into(),
        label_en: id.into(),
        unit: "%".into(),
        direction: Direction::HigherIsWorse,
        source: "test".into(),
        decimals: 1,
        description: String::new(),
        additive: false,
        curated: false,
    }
}

fn observation(id: &str, region: &str, value: f64) -> Observation {
    Observation {
        indicator: IndicatorId::new(id).unwrap(),
        region: RegionCode::parse(region).unwrap(),
        period: Period(2024),
        breakdown: String::new(),
        value: Some(value),
        lower: None,
        upper: None,
        n: None,
        status: ValueStatus::Ok,
    }
}

fn batch(checksum: &str, indicators: Vec<Indicator>, observations: Vec<Observation>) -> LoadBatch {
    LoadBatch {
        file_name: format!("{checksum}.csv"),
        checksum: checksum.into(),
        dataset: Dataset {
            id: "t".into(),
            ..Default::default()
        },
        regions: observations
            .iter()
            .map(|o| RegionRecord {
                code: o.region.clone(),
                layout: 2024,
                name: None,
                parent: None,
            })
            .collect(),
        rows: observations.len(),
        indicators,
        observations,
        ..Default::default()
    }
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_failing_load_leaves_the_file_byte_for_byte_unchanged() {
    let dir = std::env::temp_dir().join(format!("kwm-atomic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.sqlite");
    let _ = std::fs::remove_file(&path);
    let mut store = SqliteStore::open(&path).unwrap();
    let first = batch(
        "aaa",
        vec![indicator("x_a")],
        vec![observation("x_a", "GM0363", 10.0)],
    );
    store
        .apply_loads(std::slice::from_ref(&first), "2026-01-01T00:00:00Z")
        .unwrap();
    // Closed, so the write-ahead log is checkpointed into the file and removed: the file alone
    // is the store.
    drop(store);
    let before = file_bytes(&path);
    let mut store = SqliteStore::open(&path).unwrap();

    // The second batch is fine; the third refers to an indicator nobody registered, which the
    // database refuses half-way through writing. Neither may remain.
    let good = batch(
        "bbb",
        vec![indicator("x_b")],
        vec![observation("x_b", "GM0014", 20.0)],
    );
    let bad = batch("ccc", vec![], vec![observation("x_c", "GM0014", 30.0)]);
    let err = store
        .apply_loads(&[good, bad], "2026-01-02T00:00:00Z")
        .unwrap_err();
    assert!(err.to_string().contains("ccc.csv"), "{err}");
    drop(store);
    assert_eq!(
        file_bytes(&path),
        before,
        "store file changed by a failed load"
    );
    assert!(!dir.join("store.sqlite-journal").exists());
    assert!(!dir.join("store.sqlite-wal").exists());

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.loads().unwrap().len(), 1);
    assert!(store.indicator("x_b").unwrap().is_none());
    let kept = store
        .observations("x_a", kwm_model::Level::Gemeente, 2024)
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].value, Some(10.0));
}

#[test]
fn loading_the_same_file_twice_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("kwm-twice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.sqlite");
    let _ = std::fs::remove_file(&path);
    let mut store = SqliteStore::open(&path).unwrap();
    let b = batch(
        "ddd",
        vec![indicator("x_a")],
        vec![observation("x_a", "GM0363", 10.0)],
    );
    let first = store
        .apply_loads(std::slice::from_ref(&b), "2026-01-01T00:00:00Z")
        .unwrap();
    assert!(matches!(
        first[0],
        LoadOutcome::Loaded {
            inserted: 1,
            replaced: 0,
            ..
        }
    ));
    store.sync_indicators(&[indicator("x_a")]).unwrap();
    drop(store);
    let before = file_bytes(&path);
    let mut store = SqliteStore::open(&path).unwrap();
    let again = store.apply_loads(&[b], "2026-01-03T00:00:00Z").unwrap();
    assert_eq!(
        again[0],
        LoadOutcome::AlreadyLoaded {
            load_id: 1,
            loaded_at: "2026-01-01T00:00:00Z".into()
        }
    );
    store.sync_indicators(&[indicator("x_a")]).unwrap();
    drop(store);
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn a_corrected_file_replaces_values_and_keeps_provenance() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    store
        .apply_loads(
            &[batch(
                "e1",
                vec![indicator("x_a")],
                vec![observation("x_a", "GM0363", 10.0)],
            )],
            "t1",
        )
        .unwrap();
    let out = store
        .apply_loads(
            &[batch(
                "e2",
                vec![indicator("x_a")],
                vec![
                    observation("x_a", "GM0363", 11.0),
                    observation("x_a", "GM0014", 5.0),
                ],
            )],
            "t2",
        )
        .unwrap();
    assert_eq!(
        out[0],
        LoadOutcome::Loaded {
            load_id: 2,
            inserted: 1,
            replaced: 1
        }
    );
    let obs = store
        .observations("x_a", kwm_model::Level::Gemeente, 2024)
        .unwrap();
    assert!(obs.iter().all(|o| o.load_id == 2));
    assert_eq!(
        obs.iter()
            .find(|o| o.region.as_str() == "GM0363")
            .unwrap()
            .value,
        Some(11.0)
    );
}

#[test]
fn catalogue_metadata_wins_over_file_metadata() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut curated = indicator("x_a");
    curated.curated = true;
    curated.label_nl = "Uit de catalogus".into();
    store.sync_indicators(&[curated]).unwrap();
    store
        .apply_loads(
            &[batch(
                "f1",
                vec![indicator("x_a")],
                vec![observation("x_a", "GM0363", 1.0)],
            )],
            "t",
        )
        .unwrap();
    assert_eq!(
        store.indicator("x_a").unwrap().unwrap().indicator.label_nl,
        "Uit de catalogus"
    );
}
