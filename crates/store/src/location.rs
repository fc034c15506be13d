//! Which store a command works on, chosen by its `--db` argument, and how a server gets a store
//! per request. Callers name a location; only this crate knows backends and SQL.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::row::Pooled;
#[cfg(not(feature = "postgres"))]
use crate::StoreError;
use crate::{Result, SqliteStore, Store};

/// Where a store lives: a SQLite file (the embedded default) or a PostgreSQL database (server
/// mode, shared by many `kwm serve` processes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL (libpq syntax, e.g.
    /// `postgres://kwm@db.example/kwm` or, for a Unix socket,
    /// `postgres://kwm@%2Frun%2Fpostgresql/kwm`).
    Postgres(String),
}

impl StoreLocation {
    /// Reads a `--db` argument: a URL with a PostgreSQL scheme names a database, anything else
    /// a SQLite file.
    pub fn parse(arg: &str) -> StoreLocation {
        let lower = arg.get(..13).unwrap_or(arg).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            StoreLocation::Postgres(arg.to_string())
        } else {
            StoreLocation::Sqlite(PathBuf::from(arg))
        }
    }

    /// Opens the store for reading and writing, creating it (SQLite file, or the tables in an
    /// empty PostgreSQL database) and applying pending migrations.
    pub fn open(&self) -> Result<Box<dyn Store + Send>> {
        match self {
            StoreLocation::Sqlite(path) => Ok(Box::new(SqliteStore::open(path)?)),
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres(url) => Ok(Box::new(crate::PgStore::connect(url)?)),
            #[cfg(not(feature = "postgres"))]
            StoreLocation::Postgres(_) => Err(without_postgres()),
        }
    }

    /// Whether the store certainly does not exist yet (a SQLite file that is not there). A
    /// PostgreSQL database is never "missing" here: connecting tells.
    pub fn is_missing(&self) -> bool {
        match self {
            StoreLocation::Sqlite(path) => !path.exists(),
            StoreLocation::Postgres(_) => false,
        }
    }

    /// Stores for a server's requests (see [`Readers`]).
    pub fn readers(&self) -> Readers {
        Readers::new(self)
    }
}

#[cfg(not(feature = "postgres"))]
fn without_postgres() -> StoreError {
    StoreError::Unsupported(
        "this kwm was built without PostgreSQL support; build it with the `postgres` feature (the default) to use a postgres:// store".into(),
    )
}

impl std::str::FromStr for StoreLocation {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<StoreLocation, Self::Err> {
        Ok(StoreLocation::parse(s))
    }
}

impl From<PathBuf> for StoreLocation {
    fn from(path: PathBuf) -> StoreLocation {
        StoreLocation::Sqlite(path)
    }
}

impl From<&Path> for StoreLocation {
    fn from(path: &Path) -> StoreLocation {
        StoreLocation::Sqlite(path.to_path_buf())
    }
}

impl fmt::Display for StoreLocation {
    /// The file path, or the URL with any password replaced by `***` (it ends up in logs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

/// `scheme://user:secret@host/...` → `scheme://user:***@host/...`; a `password=` query
/// parameter is redacted too.
fn redact_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..].find(['/', '?']).map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@') {
            if let Some(colon) = out[rest..rest + at].find(':') {
                out.replace_range(rest + colon + 1..rest + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k == "password" => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// Hands out a store per server request, from a small pool of connections per backend, each
/// read one snapshot: SQLite (WAL mode) reads in one transaction, PostgreSQL in one `REPEATABLE
/// READ READ ONLY` transaction, so a request never sees half of a load or of a stored run, and
/// never waits for a writer. The pool bounds how many requests read at once (and with that
/// the memory they hold); a connection keeps its prepared statements between requests.
/// Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct Readers {
    inner: Arc<ReadersInner>,
}

enum ReadersInner {
    Sqlite(pool::Pool<SqliteStore>),
    #[cfg(feature = "postgres")]
    Postgres(pool::Pool<crate::PgStore>),
    #[cfg(not(feature = "postgres"))]
    Unsupported,
}

impl Readers {
    /// Readers of a location. Connects to nothing yet: the first request does, so a server can
    /// start before its database is reachable and report the error per request.
    pub fn new(location: &StoreLocation) -> Readers {
        let inner = match location {
            StoreLocation::Sqlite(path) => ReadersInner::Sqlite(pool::Pool::new(
                path.to_string_lossy().into_owned(),
                pool::SQLITE_CONNECTIONS,
            )),
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres(url) => {
                ReadersInner::Postgres(pool::Pool::new(url.clone(), pool::PG_CONNECTIONS))
            }
            #[cfg(not(feature = "postgres"))]
            StoreLocation::Postgres(_) => ReadersInner::Unsupported,
        };
        Readers {
            inner: Arc::new(inner),
        }
    }

    /// Runs `f` with a store for reading, in one snapshot. Blocks (on I/O, and until a pooled
    /// connection is free): call it from a blocking thread in async code.
    pub fn read<R>(&self, f: impl FnOnce(&dyn Store) -> R) -> Result<R> {
        match &*self.inner {
            ReadersInner::Sqlite(pool) => pool.read(f),
            #[cfg(feature = "postgres")]
            ReadersInner::Postgres(pool) => pool.read(f),
            #[cfg(not(feature = "postgres"))]
            ReadersInner::Unsupported => Err(without_postgres()),
        }
    }
}

impl Pooled for SqliteStore {
    fn open_reader(target: &str) -> Result<Self> {
        SqliteStore::open_read_only(Path::new(target))
    }
    fn is_usable(&mut self, _idle: std::time::Duration) -> bool {
        // A file connection does not go stale; a schema change by a writer makes SQLite
        // prepare its statements again by itself.
        self.conn.is_autocommit()
    }
    fn begin_snapshot(&self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN")
            .map_err(crate::sqlite::db("starting a read snapshot"))
    }
    fn end_snapshot(&self) -> Result<()> {
        self.conn
            .execute_batch("COMMIT")
            .map_err(crate::sqlite::db("ending a read snapshot"))
    }
}

mod pool {
    use std::sync::{Condvar, Mutex, MutexGuard};
    use std::time::{Duration, Instant};

    use crate::row::Pooled;
    use crate::{Result, Store, StoreError};

    /// PostgreSQL connections one `kwm serve` process keeps at most. Several processes share a
    /// server whose default `max_connections` is 100, and a request holds a connection only
    /// for its queries, so a few per process serve many requests.
    #[cfg(feature = "postgres")]
    pub(super) const PG_CONNECTIONS: usize = 8;

    /// SQLite connections one process keeps at most: reads are CPU-bound in this process, so
    /// more than a few only add memory.
    pub(super) const SQLITE_CONNECTIONS: usize = 4;

    /// How long a request waits for a free connection before it fails.
    const WAIT: Duration = Duration::from_secs(30);

    pub(super) struct Pool<S> {
        target: String,
        max: usize,
        state: Mutex<State<S>>,
        returned: Condvar,
    }

    struct State<S> {
        /// Connections not in use, with when they were last used.
        idle: Vec<(S, Instant)>,
        /// Connections open, idle or in use.
        open: usize,
    }

    /// A connection in use; back to the pool (or closed, if it broke or its user panicked)
    /// when dropped.
    struct Lease<'a, S: Pooled> {
        pool: &'a Pool<S>,
        store: Option<S>,
        broken: bool,
    }

    impl<S: Pooled> Drop for Lease<'_, S> {
        fn drop(&mut self) {
            let reusable = match self.store.take() {
                Some(mut store) if !std::thread::panicking() && !self.broken => {
                    store.is_usable(Duration::ZERO).then_some(store)
                }
                _ => None,
            };
            let mut state = self.pool.lock();
            match reusable {
                Some(store) => state.idle.push((store, Instant::now())),
                None => state.open -= 1,
            }
            drop(state);
            self.pool.returned.notify_one();
        }
    }

    impl<S: Pooled> Pool<S> {
        pub(super) fn new(target: String, max: usize) -> Pool<S> {
            Pool {
                target,
                max,
                state: Mutex::new(State {
                    idle: Vec::new(),
                    open: 0,
                }),
                returned: Condvar::new(),
            }
        }

        fn lock(&self) -> MutexGuard<'_, State<S>> {
            // A panic while holding this lock cannot leave the counts half-updated (each
            // update is one statement), so a poisoned lock is still consistent.
            self.state.lock().unwrap_or_else(|e| e.into_inner())
        }

        pub(super) fn read<R>(&self, f: impl FnOnce(&dyn Store) -> R) -> Result<R> {
            let mut lease = self.checkout()?;
            let store = lease.store.as_ref().expect("leased store");
            if let Err(e) = store.begin_snapshot() {
                lease.broken = true;
                return Err(e);
            }
            let result = f(store);
            if let Err(e) = store.end_snapshot() {
                lease.broken = true;
                return Err(e);
            }
            drop(lease);
            Ok(result)
        }

        fn checkout(&self) -> Result<Lease<'_, S>> {
            let deadline = Instant::now() + WAIT;
            loop {
                // Take an idle connection or a free slot, waiting while there is neither.
                let mut state = self.lock();
                let idle = loop {
                    if let Some(idle) = state.idle.pop() {
                        break Some(idle);
                    }
                    if state.open < self.max {
                        state.open += 1;
                        break None;
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(StoreError::Unavailable(format!(
                            "all {} store connections of this process stayed busy for {} s",
                            self.max,
                            WAIT.as_secs()
                        )));
                    }
                    state = self
                        .returned
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                };
                drop(state);
                // Checking or opening a connection takes round trips: done outside the lock.
                match idle {
                    Some((mut store, since)) => {
                        if store.is_usable(since.elapsed()) {
                            return Ok(Lease {
                                pool: self,
                                store: Some(store),
                                broken: false,
                            });
                        }
                        self.lock().open -= 1;
                    }
                    None => {
                        return match S::open_reader(&self.target) {
                            Ok(store) => Ok(Lease {
                                pool: self,
                                store: Some(store),
                                broken: false,
                            }),
                            Err(e) => {
                                self.lock().open -= 1;
                                self.returned.notify_one();
                                Err(e)
                            }
                        };
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_arguments_name_a_file_or_a_database() {
        assert_eq!(
            StoreLocation::parse("monitor.sqlite"),
            StoreLocation::Sqlite("monitor.sqlite".into())
        );
        assert_eq!(
            StoreLocation::parse("./postgres/x.sqlite"),
            StoreLocation::Sqlite("./postgres/x.sqlite".into())
        );
        for url in [
            "postgres://kwm@localhost/kwm",
            "postgresql://kwm@localhost/kwm",
            "POSTGRES://kwm@localhost/kwm",
        ] {
            assert_eq!(
                StoreLocation::parse(url),
                StoreLocation::Postgres(url.into())
            );
        }
    }

    #[test]
    fn passwords_never_reach_the_display() {
        let shown =
            StoreLocation::parse("postgres://kwm:geheim@db.example:5433/kwm?sslmode=disable")
                .to_string();
        assert_eq!(
            shown,
            "postgres://kwm:***@db.example:5433/kwm?sslmode=disable"
        );
        let shown = StoreLocation::parse("postgresql:///kwm?user=kwm&password=geheim&host=/run")
            .to_string();
        assert_eq!(shown, "postgresql:///kwm?user=kwm&password=***&host=/run");
        assert_eq!(
            StoreLocation::parse("postgres://kwm@%2Frun%2Fpostgresql/kwm").to_string(),
            "postgres://kwm@%2Frun%2Fpostgresql/kwm"
        );
    }
}
