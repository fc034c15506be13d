//! The small interface a query module needs from a backend: run a read with parameters
//! ([`Query`], [`Param`]) and read its rows' columns ([`Columns`]). With it a read and the
//! records its rows make are written once (beside the query); only running the statement is
//! per backend.

use kwm_model::{Level, RegionCode};

use crate::{Result, StoreError};

/// A Rust type a column is read as: on PostgreSQL the column's exact type (`i32` for
/// `INTEGER`, `i64` for `BIGINT`, `i16` for `SMALLINT`); SQLite converts to any of them.
#[cfg(feature = "postgres")]
pub(crate) trait Value:
    rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>
{
}
#[cfg(feature = "postgres")]
impl<T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>> Value for T {}
/// A Rust type a column is read as.
#[cfg(not(feature = "postgres"))]
pub(crate) trait Value: rusqlite::types::FromSql {}
#[cfg(not(feature = "postgres"))]
impl<T: rusqlite::types::FromSql> Value for T {}

/// One result row of either backend.
pub(crate) trait Columns {
    /// Column `i` (from 0).
    fn get<T: Value>(&self, i: usize) -> Result<T>;
}

/// A query parameter either backend can bind (a `&str`, `i32`, `i64`, `bool`, `Option` of
/// those, …).
pub(crate) trait Param {
    /// For SQLite.
    fn sqlite(&self) -> &dyn rusqlite::ToSql;
    /// For PostgreSQL.
    #[cfg(feature = "postgres")]
    fn pg(&self) -> &(dyn postgres::types::ToSql + Sync);
}

#[cfg(feature = "postgres")]
impl<T: rusqlite::ToSql + postgres::types::ToSql + Sync> Param for T {
    fn sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> &(dyn postgres::types::ToSql + Sync) {
        self
    }
}

#[cfg(not(feature = "postgres"))]
impl<T: rusqlite::ToSql> Param for T {
    fn sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
}

/// A backend that runs reads written once with `?N` placeholders.
pub(crate) trait Query {
    /// A result row of this backend.
    type Row<'r>: Columns;
    /// The backend's dialect, for the few words that differ.
    fn dialect(&self) -> Dialect;
    /// The rows of `sql`, each made a record by `record`.
    fn records<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        context: &str,
        record: impl FnMut(&Self::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>>;
}

/// A connection that runs a batch of SQL without results (transaction control).
pub(crate) trait Batch {
    /// The client's error.
    type Error;
    /// Runs `sql`.
    fn batch(&mut self, sql: &str) -> std::result::Result<(), Self::Error>;
}

impl Batch for &rusqlite::Connection {
    type Error = rusqlite::Error;
    fn batch(&mut self, sql: &str) -> rusqlite::Result<()> {
        self.execute_batch(sql)
    }
}

#[cfg(feature = "postgres")]
impl Batch for &mut postgres::Client {
    type Error = postgres::Error;
    fn batch(&mut self, sql: &str) -> std::result::Result<(), postgres::Error> {
        self.batch_execute(sql)
    }
}

/// The transaction of a write on either backend: its own (`outer`), or a savepoint inside
/// the transaction of `Store::write_all`, so that a load and what is derived from it commit
/// together; rolled back when dropped without [`Tx::commit`]. Rolling back to the savepoint
/// also leaves the outer transaction usable after a failed statement (PostgreSQL aborts a
/// transaction on any error).
pub(crate) struct Tx<C: Batch> {
    /// The connection, inside the transaction.
    pub(crate) conn: C,
    outer: bool,
    done: bool,
}

impl<C: Batch> Tx<C> {
    /// Starts the transaction with `begin` when `outer`, else a savepoint.
    pub(crate) fn begin(
        mut conn: C,
        outer: bool,
        begin: &str,
    ) -> std::result::Result<Tx<C>, C::Error> {
        conn.batch(if outer { begin } else { "SAVEPOINT kwm_write" })?;
        Ok(Tx {
            conn,
            outer,
            done: false,
        })
    }

    /// Whether this is a transaction of its own rather than a savepoint.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn is_outer(&self) -> bool {
        self.outer
    }

    /// Commits (or releases the savepoint).
    pub(crate) fn commit(mut self) -> std::result::Result<(), C::Error> {
        self.done = true;
        self.conn.batch(if self.outer {
            "COMMIT"
        } else {
            "RELEASE SAVEPOINT kwm_write"
        })
    }
}

impl<C: Batch> Drop for Tx<C> {
    fn drop(&mut self) {
        if !self.done {
            // Errors here mean the connection is gone; the transaction is then gone too.
            let _ = self.conn.batch(if self.outer {
                "ROLLBACK"
            } else {
                "ROLLBACK TO SAVEPOINT kwm_write; RELEASE SAVEPOINT kwm_write"
            });
        }
    }
}

impl<C: Batch + std::ops::Deref> std::ops::Deref for Tx<C> {
    type Target = C::Target;
    fn deref(&self) -> &C::Target {
        &self.conn
    }
}

impl<C: Batch + std::ops::DerefMut> std::ops::DerefMut for Tx<C> {
    fn deref_mut(&mut self) -> &mut C::Target {
        &mut self.conn
    }
}

/// A write of either backend: a transaction of its own or a savepoint inside
/// `Store::write_all`'s (each backend's `Write`); rolled back when dropped unfinished.
pub(crate) trait Execute {
    /// A result row of this backend.
    type Row<'r>: Columns;
    /// Runs a `?N` statement; how many rows it changed.
    fn exec(&mut self, sql: &str, params: &[&dyn Param], context: &str) -> Result<u64>;
    /// The rows a `?N` statement returns (`SELECT`, `INSERT … RETURNING`), each made a record
    /// by `record`.
    fn rows<T>(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        context: &str,
        record: impl FnMut(&Self::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>>;
    /// The first column of the rows a `?N` statement returns.
    fn fetch<T: Value>(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        context: &str,
    ) -> Result<Vec<T>> {
        self.rows(sql, params, context, |r| r.get(0))
    }
    /// Commits the write (or releases its savepoint).
    fn finish(self, context: &str) -> Result<()>;
}

/// A backend that starts writes ([`Execute`]) for the writes written once.
pub(crate) trait Writes: Query {
    /// The backend's write.
    type Write<'w>: Execute
    where
        Self: 'w;
    /// Starts a write; on PostgreSQL it holds the writers' lock.
    fn write(&mut self, context: &str) -> Result<Self::Write<'_>>;
}

/// A stored region code.
pub(crate) fn parse_code(s: String) -> Result<RegionCode> {
    RegionCode::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A stored level.
pub(crate) fn parse_level(s: &str) -> Result<Level> {
    s.parse().map_err(StoreError::Corrupt)
}

/// SQL dialect of a backend, for the few words that differ.
#[derive(Clone, Copy)]
pub(crate) enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

/// A connection a reader pool can hold.
pub(crate) trait Pooled: crate::Store + Sized {
    /// Opens a connection for reading to a file path or URL.
    fn open_reader(target: &str) -> Result<Self>;
    /// Whether it can be handed out again after sitting idle this long.
    fn is_usable(&mut self, idle: std::time::Duration) -> bool;
    /// Starts a read-only snapshot: everything read until [`Pooled::end_snapshot`] sees one
    /// state of the store.
    fn begin_snapshot(&self) -> Result<()>;
    /// Ends the snapshot.
    fn end_snapshot(&self) -> Result<()>;
}
