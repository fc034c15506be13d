//! Persistence of the Kwetsbaarheidsmonitor.
//!
//! One trait, [`Store`], with the embedded SQLite implementation [`SqliteStore`] as the default.
//! Invariants every implementation keeps:
//! - a call to [`Store::apply_loads`] is one transaction: all its files are stored, or none;
//! - a file whose checksum was loaded before changes nothing and is reported as such;
//! - every observation points at the load (file, checksum, time, publisher, licence) it came from;
//! - the store computes nothing: ranks and statistics are the engine's.

mod sqlite;
mod sqlite_time;

use kwm_ingest::LoadBatch;
use kwm_model::{Indicator, Level, RegionChange, RegionCode, ValueStatus};
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

/// Where a region change comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOrigin {
    /// A loaded change table (e.g. CBS's overview of municipal changes).
    Official,
    /// Derived by the monitor from the regions and boundaries of two stored layouts.
    Derived,
}

impl ChangeOrigin {
    /// Identifier used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOrigin::Official => "official",
            ChangeOrigin::Derived => "derived",
        }
    }
}

/// A stored region change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRecord {
    /// Level.
    pub level: Level,
    /// The layout before: the stored layout compared (derived) or `to_layout − 1` (official).
    pub from_layout: i32,
    /// The change.
    pub change: RegionChange,
    /// Official or derived.
    pub origin: ChangeOrigin,
    /// The load of an official change.
    pub load_id: Option<i64>,
}

/// What the comparison of two consecutive stored layouts found, besides its changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayoutDerivation {
    /// Level.
    pub level: Level,
    /// Older layout.
    pub from_layout: i32,
    /// Newer layout.
    pub to_layout: i32,
    /// Fingerprint of the inputs (regions and boundaries of both layouts), so an unchanged
    /// pair is not derived again.
    pub signature: String,
    /// Regions compared.
    pub compared: usize,
    /// Old codes without a successor the data could show.
    pub disappeared: Vec<RegionCode>,
    /// New codes without a predecessor the data could show.
    pub appeared: Vec<RegionCode>,
}

/// Size of a stored layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayoutSummary {
    /// Level.
    pub level: Level,
    /// Layout year.
    pub layout: i32,
    /// Regions listed.
    pub regions: usize,
    /// Regions with a name.
    pub named: usize,
    /// Regions with a boundary.
    pub boundaries: usize,
}

/// A figure harmonised onto a target layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HarmonisedRecord {
    /// Target layout year.
    pub target_layout: i32,
    /// Indicator id.
    pub indicator: String,
    /// Region of the target layout.
    pub region: RegionCode,
    /// Period of the figures.
    pub period: i32,
    /// Layout the figures were published in.
    pub source_layout: i32,
    /// Value.
    pub value: f64,
    /// Lower bound.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Count behind the value (denominator of a rate).
    pub n: Option<f64>,
    /// How it was obtained (`published`, `exact`, `recomputed`, `weighted_mean`, `estimated`).
    pub method: String,
    /// For weighted means: `denominator` or `population`.
    pub weighted_by: Option<String>,
    /// Source regions and the share of each that went into this value.
    pub sources: Vec<(RegionCode, f64)>,
}

/// One run of harmonisation onto a target layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HarmonisationRecord {
    /// Target layout year.
    pub target_layout: i32,
    /// Fingerprint of the inputs (loads, changes, catalogue relations).
    pub signature: String,
    /// When it ran (RFC 3339).
    pub created_at: String,
    /// Figures stored.
    pub rows: usize,
    /// What could not be carried over, and why.
    pub notes: Vec<String>,
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
    /// All figures of one region in a period (total population only).
    fn region_observations(&self, code: &RegionCode, period: i32)
        -> Result<Vec<ObservationRecord>>;
    /// Boundaries of a level in a layout.
    fn boundaries(&self, level: Level, layout: i32) -> Result<Vec<BoundaryRecord>>;
    /// Codes of the regions with a boundary in a layout (without reading the shapes).
    fn boundary_codes(&self, level: Level, layout: i32) -> Result<Vec<RegionCode>>;
    /// All loads, newest first.
    fn loads(&self) -> Result<Vec<LoadRecord>>;

    /// Region changes (official and derived) of a level, or of all levels, in layout order.
    fn region_changes(&self, level: Option<Level>) -> Result<Vec<ChangeRecord>>;
    /// The comparisons of consecutive layouts stored for a level.
    fn layout_derivations(&self, level: Level) -> Result<Vec<LayoutDerivation>>;
    /// Replaces all derived changes and comparisons of a level, in one transaction.
    fn replace_derived_changes(
        &mut self,
        level: Level,
        derivations: &[(LayoutDerivation, Vec<RegionChange>)],
    ) -> Result<()>;
    /// Regions and boundaries per stored layout, all levels.
    fn layout_summaries(&self) -> Result<Vec<LayoutSummary>>;
    /// Harmonisation runs, by target layout.
    fn harmonisations(&self) -> Result<Vec<HarmonisationRecord>>;
    /// Replaces the harmonised figures of a target layout, in one transaction.
    fn replace_harmonised(
        &mut self,
        run: &HarmonisationRecord,
        rows: &[HarmonisedRecord],
    ) -> Result<()>;
    /// Harmonised figures of an indicator at a level on a target layout, all periods.
    fn harmonised(
        &self,
        target: i32,
        indicator: &str,
        level: Level,
    ) -> Result<Vec<HarmonisedRecord>>;
    /// Indicators with harmonised figures for a region on a target layout.
    fn harmonised_indicator_ids(&self, target: i32, region: &RegionCode) -> Result<Vec<String>>;
}
