//! A store written by the previous release (schema 4: figures in `observations` under TEXT keys,
//! made with `kwm ingest` + `kwm compute` of that release from the first 30 gemeenten of
//! `data/kwb/kwb_2020_gemeente_wijkbuurtkaart.csv` and the CBS change table) is migrated in
//! place and answers every query as that release did. The expected answers were dumped by the
//! previous release with the conformance suite's `dump` (plus the stored risk run) and are kept
//! as one digest per answer, so the fixture stays small.

#[allow(unused_macros)]
mod common;

use std::path::Path;

use kwm_store::{SqliteStore, Store, SCHEMA_VERSION};
use sha2::{Digest, Sha256};

#[test]
fn a_store_of_the_previous_release_migrates_in_place_and_answers_the_same() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = std::env::temp_dir().join(format!("kwm-migrate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("schema4.sqlite");
    std::fs::copy(fixtures.join("schema4_store.sqlite"), &path).unwrap();
    let before = std::fs::metadata(&path).unwrap().len();

    let store = SqliteStore::open(&path).unwrap();
    let mut answers = common::dump(&store);
    let run = store
        .risk_run(kwm_model::Level::Gemeente, 2020, None)
        .unwrap()
        .expect("the stored run survives");
    answers.push(format!("risk_run => {run:?}"));
    drop(store);

    let expected = std::fs::read_to_string(fixtures.join("schema4_store.answers.txt")).unwrap();
    let expected: Vec<&str> = expected.lines().collect();
    assert_eq!(answers.len(), expected.len(), "number of answers");
    for (answer, want) in answers.iter().zip(&expected) {
        let call = answer.split(" => ").next().unwrap();
        let digest = hex(&Sha256::digest(answer.as_bytes())[..8]);
        assert_eq!(
            format!("{call} => {digest}"),
            *want,
            "answer of {call} changed: {answer:.300}"
        );
    }

    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let old: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'observations'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old, 0, "the old table is gone");
    let after = std::fs::metadata(&path).unwrap().len();
    assert!(after < before, "the file shrank: {before} → {after} bytes");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Harmonised figures of the old layout (TEXT keys, sources always as JSON) come through the
/// migration: a region's own published figure and a weighted one from two old regions.
#[test]
fn harmonised_figures_of_the_previous_layout_survive_the_migration() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = std::env::temp_dir().join(format!("kwm-migrate-h-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("schema4.sqlite");
    std::fs::copy(fixtures.join("schema4_store.sqlite"), &path).unwrap();
    {
        // Written as the previous release's `replace_harmonised` wrote them.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            r#"INSERT INTO harmonisations VALUES (2024, 'sig', '2026-01-01T00:00:00Z', 2, '[]');
               INSERT INTO harmonised VALUES
                 (2024, 'kwb_aantal_inwoners', 'GM0003', 'gemeente', 2020, 2024, 11642.0, NULL, NULL, NULL,
                  'published', NULL, '[["GM0003",1.0]]'),
                 (2024, 'kwb_aantal_inwoners', 'GM1979', 'gemeente', 2020, 2020, 30000.5, 1.0, 2.0, 3.0,
                  'weighted_mean', 'population', '[["GM0010",0.75],["GM0024",0.25]]');"#,
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let rows = store
        .harmonised(2024, "kwb_aantal_inwoners", kwm_model::Level::Gemeente)
        .unwrap();
    let code = |c: &str| kwm_model::RegionCode::parse(c).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0].region.as_str(),
            rows[0].value,
            rows[0].method.as_str()
        ),
        ("GM0003", 11642.0, "published")
    );
    assert_eq!(rows[0].sources, vec![(code("GM0003"), 1.0)]);
    assert_eq!(
        (
            rows[1].value,
            rows[1].lower,
            rows[1].upper,
            rows[1].n,
            rows[1].weighted_by.as_deref()
        ),
        (30000.5, Some(1.0), Some(2.0), Some(3.0), Some("population"))
    );
    assert_eq!(
        rows[1].sources,
        vec![(code("GM0010"), 0.75), (code("GM0024"), 0.25)]
    );
    assert_eq!(
        store
            .harmonised_indicator_ids(2024, &code("GM1979"))
            .unwrap(),
        vec!["kwb_aantal_inwoners".to_string()]
    );
}
