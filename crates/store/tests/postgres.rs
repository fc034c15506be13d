//! The conformance suite (`tests/common`) on the PostgreSQL store, plus what only a shared
//! server has: identical answers to SQLite's on the fixture and on the real demo data, readers
//! that a running load does not block, writers that take turns, migrations that run once when
//! several processes start together, and a bounded connection pool.
//!
//! Needs a server: `KWM_TEST_POSTGRES` names a database on it whose user may create databases
//! (each test gets a fresh one, dropped afterwards). `eval "$(scripts/start-postgres.sh)"`
//! starts a throwaway one; `scripts/test` does that itself. Without it these tests fail.

#[macro_use]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::time::{Duration, Instant};

use common::Harness;
use kwm_model::Level;
use kwm_store::{LoadOutcome, PgStore, SqliteStore, Store, StoreError, StoreLocation};
use postgres::{Client, NoTls};

const HOW_TO: &str = "KWM_TEST_POSTGRES is not set, and the PostgreSQL store tests need a server: \
start a throwaway one with `eval \"$(scripts/start-postgres.sh)\"` (needs Debian's postgresql \
package: `apt-get install -y postgresql`), or run scripts/test, which does both";

/// A fresh database on the test server, dropped when this is.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let authority = url.find("://").map_or(0, |i| i + 3);
    let query = url[authority..]
        .find('?')
        .map_or(url.len(), |i| authority + i);
    let path = url[authority..query]
        .find('/')
        .map_or(query, |i| authority + i);
    format!("{}/{name}{}", &url[..path], &url[query..])
}

impl Database {
    fn create(tag: &str) -> Database {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let admin_url = std::env::var("KWM_TEST_POSTGRES").expect(HOW_TO);
        let mut name = format!(
            "kwm_t_{}_{}_{tag}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        )
        .replace('-', "_");
        name.truncate(63);
        let mut admin = Client::connect(&admin_url, NoTls).unwrap_or_else(|e| {
            panic!("cannot connect to KWM_TEST_POSTGRES={admin_url}: {e}\n{HOW_TO}")
        });
        // A linguistic default collation (ICU Dutch), under which `_` < digits and `a` < `Z`:
        // any query whose ordering is not bytewise like SQLite's then answers differently.
        let icu = admin.batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'nl-NL'"
        ));
        if let Err(e) = icu {
            eprintln!("no ICU collation on the test server ({e}); using its default locale");
            admin
                .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
                .unwrap();
        }
        Database {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        }
    }

    fn client(&self) -> Client {
        Client::connect(&self.url, NoTls).unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

struct PgHarness {
    // Declared first so the store's connection closes before the database is dropped.
    store: Option<PgStore>,
    db: Database,
}

impl Harness for PgHarness {
    fn store(&mut self) -> &mut dyn Store {
        self.store.as_mut().expect("store open")
    }

    fn physical(&mut self) -> Vec<u8> {
        // Every row's physical address and creating transaction: a write of any kind, even
        // an update to the same values, gives the row a new version with new ones.
        let mut client = self.db.client();
        let mut out = Vec::new();
        for table in [
            "kwm_schema",
            "loads",
            "indicators",
            "regions",
            "boundaries",
            "figure_series",
            "figure_regions",
            "figures",
            "figure_coverage",
        ] {
            let mut rows: Vec<String> = client
                .query(
                    &format!("SELECT ctid::text, xmin::text, t::text FROM {table} t"),
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| {
                    format!(
                        "{table} {} {} {}",
                        r.get::<_, String>(0),
                        r.get::<_, String>(1),
                        r.get::<_, String>(2)
                    )
                })
                .collect();
            rows.sort();
            for r in rows {
                out.extend_from_slice(r.as_bytes());
                out.push(b'\n');
            }
        }
        out
    }

    fn reopen(&mut self) -> Result<(), StoreError> {
        self.store = None;
        self.store = Some(PgStore::connect(&self.db.url)?);
        Ok(())
    }

    fn set_schema_version(&mut self, version: i64) {
        self.store = None;
        self.db
            .client()
            .execute("UPDATE kwm_schema SET version = $1", &[&(version as i32)])
            .unwrap();
    }

    fn reader(&mut self) -> Box<dyn Store> {
        Box::new(PgStore::connect_reader(&self.db.url).unwrap())
    }
}

fn harness(name: &str) -> Box<dyn Harness> {
    let db = Database::create(name);
    let store = PgStore::connect(&db.url).unwrap();
    Box::new(PgHarness {
        store: Some(store),
        db,
    })
}

conformance_suite!(harness);

#[test]
fn answers_every_query_like_sqlite_on_the_fixture() {
    let mut pg = harness("fixture");
    let mut sqlite = SqliteStore::open_in_memory().unwrap();
    assert_eq!(
        common::load_fixture(pg.store()),
        common::load_fixture(&mut sqlite)
    );
    let expected = common::dump(&sqlite);
    common::assert_same_answers(&common::dump(pg.store()), &expected, "PostgreSQL vs SQLite");
}

#[test]
fn answers_every_query_like_sqlite_on_the_real_demo_data() {
    let (batches, catalogue) = common::demo_data();
    let db = Database::create("demo");
    let location = StoreLocation::parse(&db.url);
    assert!(matches!(location, StoreLocation::Postgres(_)));
    let mut pg = location.open().unwrap();
    let mut sqlite = SqliteStore::open_in_memory().unwrap();
    let started = Instant::now();
    let pg_outcomes = pg.apply_loads(&batches, "2026-11-23T00:00:00Z").unwrap();
    println!(
        "PostgreSQL: {} files, {} observations loaded in {:.2} s",
        batches.len(),
        batches.iter().map(|b| b.observations.len()).sum::<usize>(),
        started.elapsed().as_secs_f64()
    );
    let sqlite_outcomes = sqlite
        .apply_loads(&batches, "2026-11-23T00:00:00Z")
        .unwrap();
    assert_eq!(pg_outcomes, sqlite_outcomes);
    pg.sync_indicators(&catalogue).unwrap();
    sqlite.sync_indicators(&catalogue).unwrap();

    let expected = common::dump(&sqlite);
    assert!(expected.len() > 10_000, "{} answers", expected.len());
    let started = Instant::now();
    let answers = common::dump(&*pg);
    println!(
        "PostgreSQL: {} answers in {:.2} s",
        answers.len(),
        started.elapsed().as_secs_f64()
    );
    common::assert_same_answers(&answers, &expected, "PostgreSQL vs SQLite, demo data");
    // What a server reads, through the pool, is the same.
    let pooled = location.readers().read(common::dump).unwrap();
    common::assert_same_answers(&pooled, &expected, "pooled PostgreSQL readers vs SQLite");
}

/// Polls until a backend of the database is waiting for a lock, with its query.
fn wait_until_blocked(db: &Database, query_prefix: &str) {
    let mut client = db.client();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'
                   AND ltrim(query) LIKE $1",
                &[&format!("{query_prefix}%")],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no session started waiting on `{query_prefix}`"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_running_load_blocks_other_writers_but_never_readers() {
    let db = Database::create("concurrency");
    let mut store = PgStore::connect(&db.url).unwrap();
    common::load_fixture(&mut store);
    let before = common::dump(&store);

    // Freeze the first load half-way: another session holds a row lock on an indicator the
    // file redefines. By the time the load waits for it, the load holds the writers' lock and
    // has stored, uncommitted, its provenance record and a new indicator.
    let mut blocker = db.client();
    let mut blocking = blocker.transaction().unwrap();
    blocking
        .batch_execute("SELECT 1 FROM indicators WHERE id = 'v_a1' FOR UPDATE")
        .unwrap();
    let mut redefined = common::indicator("v_a1", "Zeta");
    redefined.label_nl = "Opnieuw gedefinieerd".into();
    let new_file = common::batch(
        "concurrent",
        vec![common::indicator("v_new", "test"), redefined],
        vec![common::observation("v_new", "GM0014", 2024, 1.0)],
    );
    let load = |file: kwm_ingest::LoadBatch| {
        let url = db.url.clone();
        std::thread::spawn(move || {
            let mut store = PgStore::connect(&url).unwrap();
            store.apply_loads(&[file], "2026-03-01T00:00:00Z")
        })
    };
    let first = load(new_file.clone());
    wait_until_blocked(&db, "INSERT INTO indicators");

    // A second writer with the same file waits for the first instead of racing it.
    let second = load(new_file);
    wait_until_blocked(&db, "SELECT pg_advisory_xact_lock");

    // Readers are not blocked, and see nothing of the load in progress.
    let (tx, rx) = mpsc::channel();
    let readers = StoreLocation::parse(&db.url).readers();
    std::thread::spawn(move || tx.send(readers.read(common::dump)));
    let during = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a reader was blocked by a running load")
        .unwrap();
    common::assert_same_answers(&during, &before, "read during a load");

    blocking.commit().unwrap();
    assert_eq!(
        first.join().unwrap().unwrap(),
        [LoadOutcome::Loaded {
            load_id: 5,
            inserted: 1,
            replaced: 0
        }]
    );
    assert_eq!(
        second.join().unwrap().unwrap(),
        [LoadOutcome::AlreadyLoaded {
            load_id: 5,
            loaded_at: "2026-03-01T00:00:00Z".into()
        }]
    );
    assert_eq!(store.loads().unwrap().len(), 5);
}

#[test]
fn processes_starting_together_migrate_once() {
    let db = Database::create("migrate");
    let n = 6;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (url, barrier) = (db.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                PgStore::connect(&url).map(|_| ())
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let versions: Vec<i32> = db
        .client()
        .query("SELECT version FROM kwm_schema", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [kwm_store::SCHEMA_VERSION as i32]);
}

#[test]
fn pooled_readers_serve_many_threads_with_a_few_connections() {
    let db = Database::create("pool");
    common::load_fixture(&mut PgStore::connect(&db.url).unwrap());
    let readers = StoreLocation::parse(&db.url).readers();
    let threads = 24;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (readers, barrier) = (readers.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..5)
                    .map(|_| {
                        readers
                            .read(|s| s.observations("v_a1", Level::Gemeente, 2023).unwrap())
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(results.len(), threads * 5);
    assert!(results.iter().all(|r| r == &results[0] && r.len() == 2));
    // The pool keeps its connections open for the next requests; it never opened more than
    // its limit.
    let open: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'kwm'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!((1..=8).contains(&open), "{open} pooled connections");
}

#[test]
fn a_server_on_an_empty_database_says_how_to_create_the_store() {
    let db = Database::create("empty");
    let err = StoreLocation::parse(&db.url)
        .readers()
        .read(|s| s.loads().map(|l| l.len()))
        .unwrap_err();
    assert!(err.to_string().contains("kwm init"), "{err}");
    // `kwm init` (opening for writing) creates the tables; then serving works.
    StoreLocation::parse(&db.url).open().unwrap();
    let loads = StoreLocation::parse(&db.url)
        .readers()
        .read(|s| s.loads().map(|l| l.len()))
        .unwrap()
        .unwrap();
    assert_eq!(loads, 0);
}

#[test]
fn database_names_in_urls_are_replaced() {
    assert_eq!(
        with_database("postgres://u@%2Ftmp%2Fs/kwm_test", "x"),
        "postgres://u@%2Ftmp%2Fs/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h:5433/db?sslmode=disable", "x"),
        "postgres://u:p@h:5433/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    assert_eq!(
        with_database("postgresql:///db?host=/run", "x"),
        "postgresql:///x?host=/run"
    );
}

/// Snapshot reads: a reader never sees a run half replaced (`REPEATABLE READ READ ONLY`).
#[test]
fn readers_never_see_a_partial_run() {
    let db = Database::create("snapshot");
    let location = StoreLocation::parse(&db.url);
    common::readers_never_see_a_partial_run(location.open().unwrap(), location.readers());
}
