//! Reading result rows the same way on both backends, so that turning a row into a record is
//! written once (beside its query) and only fetching the row is per backend.

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

/// A stored region code.
pub(crate) fn parse_code(s: String) -> Result<RegionCode> {
    RegionCode::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A stored level.
pub(crate) fn parse_level(s: &str) -> Result<Level> {
    s.parse().map_err(StoreError::Corrupt)
}
