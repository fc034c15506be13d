//! Persistence of the Kwetsbaarheidsmonitor.
//!
//! One trait, [`Store`], with the embedded SQLite implementation [`SqliteStore`] as the default.
//! Invariants every implementation keeps:
//! - a call to [`Store::apply_loads`] is one transaction: all its files are stored, or none;
//! - a file whose checksum was loaded before changes nothing and is reported as such;
//! - every observation points at the load (file, checksum, time, publisher, licence) it came from;
//! - the store computes nothing: ranks and statistics are the engine's; risk-model results are
//!   stored as computed, with the fingerprint of what they were computed from.

mod sqlite;

use kwm_ingest::LoadBatch;
use kwm_model::{Indicator, Level, RegionCode, ValueStatus};
use serde::Serialize;

pub use sqlite::SqliteStore;

/// Errors of the store, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("{context}: {source}")]
    Database {
        /// What the store was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database file was written by a newer version of the product.
    #[error(
        "the store has schema version {found}, newer than this program's {supported}; upgrade kwm"
    )]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// Stored data that cannot be read back (should not happen; means manual edits).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// Result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What happened to one file of a load.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LoadOutcome {
    /// Stored.
    Loaded {
        /// Id of the new load record.
        load_id: i64,
        /// Observations that were new.
        inserted: usize,
        /// Observations that replaced an earlier value for the same key.
        replaced: usize,
    },
    /// The same bytes were loaded before; nothing changed.
    AlreadyLoaded {
        /// The earlier load.
        load_id: i64,
        /// When it happened.
        loaded_at: String,
    },
}

/// Provenance of one load.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadRecord {
    /// Id.
    pub id: i64,
    /// File name.
    pub file_name: String,
    /// SHA-256 of the file.
    pub checksum: String,
    /// Format read.
    pub format: String,
    /// Dataset (table id or file stem).
    pub dataset: String,
    /// Title.
    pub title: String,
    /// Publisher.
    pub publisher: String,
    /// Licence.
    pub licence: String,
    /// RFC 3339 time of the load.
    pub loaded_at: String,
    /// Data rows in the file.
    pub rows: i64,
    /// Observations stored.
    pub observations: i64,
    /// Regions named.
    pub regions: i64,
    /// Boundaries stored.
    pub boundaries: i64,
    /// What was not loaded and why.
    pub notes: Vec<String>,
}

/// An indicator with where it has data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorRecord {
    /// The indicator.
    #[serde(flatten)]
    pub indicator: Indicator,
    /// Periods with at least one value.
    pub periods: Vec<i32>,
    /// Levels with at least one value.
    pub levels: Vec<Level>,
}

/// A region in a layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRecord {
    /// Code.
    pub code: RegionCode,
    /// Name, when known.
    pub name: Option<String>,
    /// Parent, when known.
    pub parent: Option<RegionCode>,
    /// Layout year.
    pub layout: i32,
}

/// A stored figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservationRecord {
    /// Indicator id.
    pub indicator: String,
    /// Region.
    pub region: RegionCode,
    /// Period.
    pub period: i32,
    /// Breakdown cell ("" = total).
    pub breakdown: String,
    /// Value.
    pub value: Option<f64>,
    /// Lower bound.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Count behind the value.
    pub n: Option<f64>,
    /// Status.
    pub status: ValueStatus,
    /// The load it came from.
    pub load_id: i64,
}

/// A stored boundary (WGS84).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryRecord {
    /// Region.
    pub code: RegionCode,
    /// Layout year.
    pub layout: i32,
    /// Shape.
    pub geometry: geo::MultiPolygon<f64>,
}

/// One stored computation of the risk model for a level and period: what it was computed with
/// (catalogue version, fingerprint of catalogue, parameters and data) and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskRunRecord {
    /// Id.
    pub id: i64,
    /// Level of the regions.
    pub level: Level,
    /// Period of the figures.
    pub period: i32,
    /// Region layout the regions follow.
    pub layout: Option<i32>,
    /// Catalogue version (`catalogue.toml`).
    pub catalogue_version: String,
    /// Fingerprint of everything the results depend on: the level's model, method parameters,
    /// indicator metadata and the loaded files. Equal fingerprints mean equal results.
    pub fingerprint: String,
    /// JSON: the method parameters and the level's model exactly as used.
    pub parameters: String,
    /// JSON: run-level results (distribution of stacking counts, counts).
    pub summary: String,
    /// RFC 3339 time of the computation.
    pub computed_at: String,
}

/// One factor's stored result for one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskFactorRecord {
    /// Factor id.
    pub factor: String,
    /// Score (0–1).
    pub score: Option<f64>,
    /// Rank, 1 = least favourable.
    pub rank: Option<i64>,
    /// Regions with a score.
    pub ranked: i64,
    /// Displayed percentile (0–100).
    pub percentile: Option<f64>,
    /// Flagged.
    pub flagged: bool,
    /// JSON: per indicator the inputs, value, rank, percentile and weights.
    pub trace: String,
}

/// One theme's stored result for one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskThemeRecord {
    /// Theme id.
    pub theme: String,
    /// Exposure (0–100).
    pub exposure: Option<f64>,
    /// Rank, 1 = most exposed.
    pub rank: Option<i64>,
    /// Regions with an exposure.
    pub ranked: i64,
    /// Share of the theme's matrix weight measured (0–1).
    pub coverage: f64,
    /// Sum of matrix values of flagged characteristics.
    pub flagged_weight: i64,
    /// JSON: the characteristics driving the exposure.
    pub drivers: String,
}

/// One region's stored results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskRegionRecord {
    /// Region.
    pub region: RegionCode,
    /// Stacking count: flagged risk characteristics.
    pub flagged: i64,
    /// Risk characteristics with a score.
    pub with_data: i64,
    /// Weak protective factors.
    pub weak_protective: i64,
    /// Protective factors with a score.
    pub protective_with_data: i64,
    /// Composite (0–1).
    pub composite: Option<f64>,
    /// Rank of the composite, 1 = most vulnerable.
    pub composite_rank: Option<i64>,
    /// Displayed percentile of the composite.
    pub composite_percentile: Option<f64>,
    /// Median composite rank over the Monte Carlo runs of the method choices.
    pub rank_median: Option<f64>,
    /// 5th percentile of those ranks: the better end of the 90% interval.
    pub rank_lower: Option<f64>,
    /// 95th percentile of those ranks.
    pub rank_upper: Option<f64>,
    /// The composite under each compared method.
    pub method_ranks: Vec<RiskMethodRankRecord>,
    /// Per factor.
    pub factors: Vec<RiskFactorRecord>,
    /// Per theme.
    pub themes: Vec<RiskThemeRecord>,
}

/// A region's composite under one of the compared methods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskMethodRankRecord {
    /// Method key (described in the run's summary).
    pub method: String,
    /// Composite score under that method.
    pub score: Option<f64>,
    /// Rank, 1 = most vulnerable.
    pub rank: Option<i64>,
}

/// A local spatial statistic of one variable (the stacking count, the composite or a
/// characteristic's score) for one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskClusterRecord {
    /// `stacking`, `composite` or a characteristic id.
    pub variable: String,
    /// `lisa` or `gistar`.
    pub statistic: String,
    /// Region.
    pub region: RegionCode,
    /// `ok`, `island` (no neighbour with a value), `no_value` or `no_boundary`.
    pub status: String,
    /// The value analysed.
    pub value: Option<f64>,
    /// The statistic: local Moran's I_i, or G_i*.
    pub stat: Option<f64>,
    /// Standardised statistic: LISA's z of the value; G_i*'s z-score.
    pub z: Option<f64>,
    /// Pseudo p-value of the permutation test.
    pub p_sim: Option<f64>,
    /// LISA quadrant (`HH`, `LH`, `LL`, `HL`); `None` for G_i*.
    pub quadrant: Option<String>,
}

/// A stored run with its region results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskRun {
    /// The run.
    pub run: RiskRunRecord,
    /// Region results, in code order.
    pub regions: Vec<RiskRegionRecord>,
    /// Spatial statistics of the run's results. Stored with the run; [`Store::risk_run`]
    /// leaves this empty (read them with [`Store::risk_clusters`]), since pages that list
    /// regions do not need them.
    pub clusters: Vec<RiskClusterRecord>,
}

/// Persistence operations the monitor needs. Implementations are synchronous; async callers
/// run them on a blocking thread.
pub trait Store {
    /// Stores all batches in one transaction. Batches whose checksum is already stored are
    /// skipped. On error nothing is stored.
    fn apply_loads(&mut self, batches: &[LoadBatch], loaded_at: &str) -> Result<Vec<LoadOutcome>>;
    /// Updates indicator metadata from the catalogue (labels, units, directions); indicators not
    /// yet stored are added, so they show as known-but-empty.
    fn sync_indicators(&mut self, indicators: &[Indicator]) -> Result<()>;
    /// Sets parents of regions that have none.
    fn set_missing_parents(&mut self, parents: &[(RegionCode, i32, RegionCode)]) -> Result<usize>;
    /// All indicators, with where they have data.
    fn indicators(&self) -> Result<Vec<IndicatorRecord>>;
    /// One indicator.
    fn indicator(&self, id: &str) -> Result<Option<IndicatorRecord>>;
    /// Regions of a level in a layout year.
    fn regions(&self, level: Level, layout: i32) -> Result<Vec<RegionRecord>>;
    /// A region in the layout nearest to the given year (same year, else the latest earlier,
    /// else the earliest later).
    fn region(&self, code: &RegionCode, layout: i32) -> Result<Option<RegionRecord>>;
    /// Layout years stored for a level (from regions and boundaries).
    fn layouts(&self, level: Level) -> Result<Vec<i32>>;
    /// Layout years with boundaries for a level.
    fn boundary_layouts(&self, level: Level) -> Result<Vec<i32>>;
    /// Periods with data for a level.
    fn periods(&self, level: Level) -> Result<Vec<i32>>;
    /// All figures of an indicator for a level and period (total population only).
    fn observations(
        &self,
        indicator: &str,
        level: Level,
        period: i32,
    ) -> Result<Vec<ObservationRecord>>;
    /// Ids of indicators with at least one stored figure (any status) for a level and period.
    fn indicator_ids_at(&self, level: Level, period: i32) -> Result<Vec<String>>;
    /// Periods in which a region has figures.
    fn region_periods(&self, code: &RegionCode) -> Result<Vec<i32>>;
    /// All figures of every indicator for a level and period (total population only), ordered by
    /// indicator then region: one query where a region profile would otherwise need one per
    /// indicator.
    fn observations_at(&self, level: Level, period: i32) -> Result<Vec<ObservationRecord>>;
    /// All figures of one region in a period (total population only).
    fn region_observations(&self, code: &RegionCode, period: i32)
        -> Result<Vec<ObservationRecord>>;
    /// Boundaries of a level in a layout.
    fn boundaries(&self, level: Level, layout: i32) -> Result<Vec<BoundaryRecord>>;
    /// All loads, newest first.
    fn loads(&self) -> Result<Vec<LoadRecord>>;
    /// Stores a risk-model run, replacing any stored run for the same level and period, in one
    /// transaction. `run.run.id` is ignored; the new id is returned.
    fn save_risk_run(&mut self, run: &RiskRun) -> Result<i64>;
    /// All stored risk-model runs (without region results), by level and period.
    fn risk_runs(&self) -> Result<Vec<RiskRunRecord>>;
    /// The stored run for a level and period, with the results of every region, or only of
    /// `region` when given.
    fn risk_run(
        &self,
        level: Level,
        period: i32,
        region: Option<&RegionCode>,
    ) -> Result<Option<RiskRun>>;
    /// Spatial statistics stored with the run for a level and period, by variable, statistic
    /// and region code; each filter is optional. Empty when there is no such run.
    fn risk_clusters(
        &self,
        level: Level,
        period: i32,
        variable: Option<&str>,
        statistic: Option<&str>,
        region: Option<&RegionCode>,
    ) -> Result<Vec<RiskClusterRecord>>;
}
