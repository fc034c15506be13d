//! The conformance suite (`tests/common`) on the embedded SQLite store, in a real file: "nothing
//! was written" means the file is byte-for-byte the same.

#[macro_use]
mod common;

use std::path::PathBuf;

use common::Harness;
use kwm_store::{SqliteStore, Store, StoreError, StoreLocation};

struct SqliteHarness {
    path: PathBuf,
    store: Option<SqliteStore>,
}

impl Harness for SqliteHarness {
    fn store(&mut self) -> &mut dyn Store {
        self.store.as_mut().expect("store open")
    }

    fn physical(&mut self) -> Vec<u8> {
        // A leftover rollback journal would mean a transaction was not finished. In WAL mode
        // committed pages sit in the write-ahead log until a checkpoint: checkpointed first,
        // the file alone is the store.
        let journal = self.path.with_extension("sqlite-journal");
        assert!(!journal.exists(), "{} left behind", journal.display());
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(busy, 0, "checkpoint blocked: a transaction is still open");
        drop(conn);
        std::fs::read(&self.path).unwrap()
    }

    fn reopen(&mut self) -> Result<(), StoreError> {
        self.store = None;
        self.store = Some(SqliteStore::open(&self.path)?);
        Ok(())
    }

    fn set_schema_version(&mut self, version: i64) {
        self.store = None;
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
    }

    fn reader(&mut self) -> Box<dyn Store> {
        Box::new(SqliteStore::open_read_only(&self.path).unwrap())
    }
}

fn harness(name: &str) -> Box<dyn Harness> {
    let dir = std::env::temp_dir().join(format!("kwm-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.sqlite"));
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(&path).unwrap();
    Box::new(SqliteHarness {
        path,
        store: Some(store),
    })
}

conformance_suite!(harness);

/// What a server reads through `Readers` (a read-only connection per request) answers like
/// the writer, and `StoreLocation` opens the same file.
#[test]
fn readers_and_locations_answer_like_the_writer() {
    let mut h = harness("readers");
    common::load_fixture(h.store());
    let answers = common::dump(h.store());
    drop(h);
    let path = std::env::temp_dir()
        .join(format!("kwm-conformance-{}", std::process::id()))
        .join("readers.sqlite");
    let location = StoreLocation::parse(path.to_str().unwrap());
    assert_eq!(location, StoreLocation::Sqlite(path));
    let read = location.readers().read(common::dump).unwrap();
    common::assert_same_answers(&read, &answers, "through Readers");
    let reopened = location.open().unwrap();
    common::assert_same_answers(
        &common::dump(&*reopened),
        &answers,
        "through StoreLocation::open",
    );
}

/// Snapshot reads: a reader never sees a run half replaced (WAL mode, one read transaction).
#[test]
fn readers_never_see_a_partial_run() {
    let dir = std::env::temp_dir().join(format!("kwm-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("snapshot.sqlite");
    let _ = std::fs::remove_file(&path);
    let location = StoreLocation::Sqlite(path);
    common::readers_never_see_a_partial_run(location.open().unwrap(), location.readers());
}

/// A second writer started while a load runs waits its turn (`BEGIN IMMEDIATE` and a long
/// busy timeout) instead of failing with "database is locked".
#[test]
fn a_second_writer_waits_for_a_running_load() {
    let dir = std::env::temp_dir().join(format!("kwm-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("writers.sqlite");
    let _ = std::fs::remove_file(&path);
    SqliteStore::open(&path).unwrap();
    let big: Vec<kwm_model::Observation> = (0..150_000)
        .map(|i| {
            common::observation(
                "x_big",
                &format!("BU{:08}", i % 15_000),
                2000 + i / 15_000,
                1.0,
            )
        })
        .collect();
    let first = common::batch("first", vec![common::indicator("x_big", "t")], big);
    let second = common::batch(
        "second",
        vec![common::indicator("x_small", "t")],
        vec![common::observation("x_small", "GM0363", 2024, 1.0)],
    );
    let p1 = path.clone();
    let a = std::thread::spawn(move || {
        SqliteStore::open(&p1)
            .unwrap()
            .apply_loads(&[first], "t1")
            .map(|o| o.len())
    });
    std::thread::sleep(std::time::Duration::from_millis(50));
    let b = SqliteStore::open(&path)
        .unwrap()
        .apply_loads(&[second], "t2")
        .map(|o| o.len());
    assert_eq!(b.unwrap(), 1, "the second writer waited and loaded");
    assert_eq!(a.join().unwrap().unwrap(), 1);
    assert_eq!(SqliteStore::open(&path).unwrap().loads().unwrap().len(), 2);
}
