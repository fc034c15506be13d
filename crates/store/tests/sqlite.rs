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
