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

/// The `Store` methods written once over [`Query`] and [`Writes`], expanded inside each
/// backend's `impl Store` (a trait cannot take them as default methods: `Store` is
/// object-safe and `Query` is not).
macro_rules! written_once {
    () => {
        fn set_load_access(
            &mut self,
            load_id: i64,
            access: &$crate::LoadAccess,
            changed_at: &str,
            changed_by: &str,
        ) -> $crate::Result<$crate::AccessRule> {
            $crate::access::set(self, load_id, access, changed_at, changed_by)
        }

        fn sync_indicators(&mut self, indicators: &[kwm_model::Indicator]) -> $crate::Result<()> {
            $crate::load_sql::sync_indicators(self, indicators)
        }

        fn set_missing_parents(
            &mut self,
            parents: &[(kwm_model::RegionCode, i32, kwm_model::RegionCode)],
        ) -> $crate::Result<usize> {
            $crate::load_sql::set_missing_parents(self, parents)
        }

        fn replace_derived_changes(
            &mut self,
            level: kwm_model::Level,
            derivations: &[($crate::LayoutDerivation, Vec<kwm_model::RegionChange>)],
        ) -> $crate::Result<()> {
            $crate::time_sql::replace_derived_changes(self, level, derivations)
        }

        fn access_rules(&self) -> $crate::Result<Vec<$crate::AccessRule>> {
            $crate::access::rules(self)
        }

        fn tokens(&self) -> $crate::Result<Vec<$crate::TokenRecord>> {
            $crate::access::tokens(self)
        }

        fn token_by_hash(&self, hash: &str) -> $crate::Result<Option<$crate::TokenRecord>> {
            $crate::access::token_by_hash(self, hash)
        }

        fn audit_log(&self) -> $crate::Result<Vec<$crate::AuditEntry>> {
            $crate::access::audit_log(self)
        }

        fn indicators(&self) -> $crate::Result<Vec<$crate::IndicatorRecord>> {
            $crate::load_sql::indicators(self)
        }

        fn indicator(&self, id: &str) -> $crate::Result<Option<$crate::IndicatorRecord>> {
            $crate::load_sql::indicator(self, id)
        }

        fn loads(&self) -> $crate::Result<Vec<$crate::LoadRecord>> {
            $crate::load_sql::loads(self)
        }

        fn regions(
            &self,
            level: kwm_model::Level,
            layout: i32,
        ) -> $crate::Result<Vec<$crate::RegionRecord>> {
            $crate::region_sql::of_layout(self, level, layout)
        }

        fn child_regions(
            &self,
            parent: &kwm_model::RegionCode,
            layout: i32,
        ) -> $crate::Result<Vec<$crate::RegionRecord>> {
            $crate::region_sql::children(self, parent, layout)
        }

        fn region(
            &self,
            code: &kwm_model::RegionCode,
            layout: i32,
        ) -> $crate::Result<Option<$crate::RegionRecord>> {
            $crate::region_sql::region(self, code, layout)
        }

        fn layouts(&self, level: kwm_model::Level) -> $crate::Result<Vec<i32>> {
            $crate::region_sql::layouts(self, level)
        }

        fn boundary_layouts(&self, level: kwm_model::Level) -> $crate::Result<Vec<i32>> {
            $crate::region_sql::boundary_layouts(self, level)
        }

        fn boundaries(
            &self,
            level: kwm_model::Level,
            layout: i32,
        ) -> $crate::Result<Vec<$crate::BoundaryRecord>> {
            $crate::region_sql::boundaries(self, level, layout)
        }

        fn periods(&self, level: kwm_model::Level) -> $crate::Result<Vec<i32>> {
            $crate::figures::column(
                self,
                $crate::figures::PERIODS_AT_LEVEL,
                &[&level.as_str()],
                "reading periods",
            )
        }

        fn indicator_ids_at(
            &self,
            level: kwm_model::Level,
            period: i32,
        ) -> $crate::Result<Vec<String>> {
            $crate::figures::column(
                self,
                $crate::figures::INDICATORS_AT,
                &[&level.as_str(), &period],
                "reading indicator ids",
            )
        }

        fn region_periods(&self, code: &kwm_model::RegionCode) -> $crate::Result<Vec<i32>> {
            $crate::figures::column(
                self,
                $crate::figures::REGION_PERIODS,
                &[&code.as_str()],
                "reading region periods",
            )
        }

        fn observations(
            &self,
            indicator: &str,
            level: kwm_model::Level,
            period: i32,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::OF_INDICATOR,
                &[&indicator, &level.as_str(), &period],
            )
        }

        fn observations_at(
            &self,
            level: kwm_model::Level,
            period: i32,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::AT_LEVEL,
                &[&level.as_str(), &period],
            )
        }

        fn region_observations(
            &self,
            code: &kwm_model::RegionCode,
            period: i32,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::OF_REGION,
                &[&code.as_str(), &period],
            )
        }

        fn breakdown_observations(
            &self,
            indicator: &str,
            region: &kwm_model::RegionCode,
            period: i32,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::BREAKDOWNS,
                &[&indicator, &region.as_str(), &period],
            )
        }

        fn breakdown_cell_observations(
            &self,
            indicator: &str,
            level: kwm_model::Level,
            period: i32,
            breakdown: &str,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::CELL,
                &[&indicator, &level.as_str(), &period, &breakdown],
            )
        }

        fn rank_states(&self) -> $crate::Result<Vec<$crate::RankState>> {
            $crate::figures::rank_states(self)
        }

        fn region_ranks(
            &self,
            code: &kwm_model::RegionCode,
            period: i32,
        ) -> $crate::Result<Vec<$crate::RegionRank>> {
            $crate::figures::region_ranks(self, code, period)
        }

        fn boundary_codes(
            &self,
            level: kwm_model::Level,
            layout: i32,
        ) -> $crate::Result<Vec<kwm_model::RegionCode>> {
            $crate::time_sql::boundary_codes(self, level, layout)
        }

        fn region_changes(
            &self,
            level: Option<kwm_model::Level>,
        ) -> $crate::Result<Vec<$crate::ChangeRecord>> {
            $crate::time_sql::region_changes(self, level)
        }

        fn layout_derivations(
            &self,
            level: kwm_model::Level,
        ) -> $crate::Result<Vec<$crate::LayoutDerivation>> {
            $crate::time_sql::layout_derivations(self, level)
        }

        fn layout_summaries(&self) -> $crate::Result<Vec<$crate::LayoutSummary>> {
            $crate::time_sql::layout_summaries(self)
        }

        fn harmonisations(&self) -> $crate::Result<Vec<$crate::HarmonisationRecord>> {
            $crate::time_sql::harmonisations(self)
        }

        fn harmonised(
            &self,
            target: i32,
            indicator: &str,
            level: kwm_model::Level,
        ) -> $crate::Result<Vec<$crate::HarmonisedRecord>> {
            $crate::time_sql::harmonised_of(self, target, indicator, level)
        }

        fn harmonised_indicator_ids(
            &self,
            target: i32,
            region: &kwm_model::RegionCode,
        ) -> $crate::Result<Vec<String>> {
            $crate::time_sql::harmonised_indicator_ids(self, target, region)
        }

        fn risk_runs(&self) -> $crate::Result<Vec<$crate::RiskRunRecord>> {
            $crate::risk_sql::runs(self)
        }

        fn risk_run(
            &self,
            level: kwm_model::Level,
            period: i32,
            region: Option<&kwm_model::RegionCode>,
        ) -> $crate::Result<Option<$crate::RiskRun>> {
            $crate::risk_sql::run(self, level, period, region, true)
        }

        fn risk_run_flags(
            &self,
            level: kwm_model::Level,
            period: i32,
        ) -> $crate::Result<Option<$crate::RiskRun>> {
            $crate::risk_sql::run(self, level, period, None, false)
        }

        fn risk_clusters(
            &self,
            level: kwm_model::Level,
            period: i32,
            variable: Option<&str>,
            statistic: Option<&str>,
            region: Option<&kwm_model::RegionCode>,
        ) -> $crate::Result<Vec<$crate::RiskClusterRecord>> {
            $crate::risk_sql::clusters(self, level, period, variable, statistic, region)
        }
    };
}

/// A stored region code.
pub(crate) fn parse_code(s: String) -> Result<RegionCode> {
    RegionCode::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A stored level.
pub(crate) fn parse_level(s: &str) -> Result<Level> {
    s.parse().map_err(StoreError::Corrupt)
}
