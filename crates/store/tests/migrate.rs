//! A store written by the previous release (schema 4: figures in `observations` under TEXT keys,
//! made with `kwm ingest` + `kwm compute` of that release from the first 30 gemeenten of
//! `data/kwb/kwb_2020_gemeente_wijkbuurtkaart.csv` and the CBS change table) is migrated in
//! place and answers every query as that release did. The expected answers were dumped by the
//! previous release with the conformance suite's `dump` (plus the stored risk run) and are kept
//! as one digest per answer, so the fixture stays small.

#[macro_use]
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
