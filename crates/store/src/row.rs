//! The small interface a query module needs from a backend: run a read with parameters
//! ([`Query`], [`Param`]) and read its rows' columns ([`Columns`]). With it a read and the
//! records its rows make are written once (beside the query); only running the statement is
//! per backend.

use kwm_model::{Level, RegionCode};

use crate::figures::Dialect;
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

/// A stored region code.
pub(crate) fn parse_code(s: String) -> Result<RegionCode> {
    RegionCode::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A stored level.
pub(crate) fn parse_level(s: &str) -> Result<Level> {
    s.parse().map_err(StoreError::Corrupt)
}
