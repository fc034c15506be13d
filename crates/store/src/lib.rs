//! Persistence of the Kwetsbaarheidsmonitor.
//!
//! One trait, [`Store`], with two implementations: the embedded [`SqliteStore`] (the default: one
//! file, no server) and, with the cargo feature `postgres`, `PgStore` for server mode, where many
//! stateless `kwm serve` processes share one PostgreSQL database. [`StoreLocation`] picks the
//! backend from a `--db` argument (a file path or a `postgres://` URL) and [`Readers`] hands
//! servers a store per request, so no caller outside this crate knows SQL or the backend.
//!
//! Invariants every implementation keeps (checked for both by the conformance suite in
//! `tests/`):
//! - a call to [`Store::apply_loads`] is one transaction: all its files are stored, or none;
//! - a file whose checksum was loaded before changes nothing and is reported as such;
//! - every observation points at the load (file, checksum, time, publisher, licence) it came from;
//! - catalogue (curated) indicator metadata is never overwritten by metadata a file carried;
//! - a write that changes nothing touches nothing;
//! - every query answers identically, ordering included (text is ordered bytewise);
//! - the store computes nothing: ranks and statistics are the engine's; risk-model results are
//!   stored as computed, with the fingerprint of what they were computed from.

// First: its `written_once!` is expanded in the backends.
mod row;
#[macro_use]
mod written_once;

pub mod access;
mod figures;
mod load_sql;
mod location;
#[cfg(feature = "postgres")]
mod pg;
mod region_sql;
mod risk_sql;
mod sqlite;
mod time_sql;

use kwm_ingest::LoadBatch;
use kwm_model::{Indicator, Level, RegionChange, RegionCode, ValueStatus};
use serde::Serialize;

pub use access::{AccessRule, AuditEntry, Filtered, LoadAccess, TokenRecord, Visibility};
pub use location::{Readers, StoreLocation};
#[cfg(feature = "postgres")]
pub use pg::PgStore;
pub use sqlite::SqliteStore;

/// The schema version this build writes: the number of migrations, the same for every backend.
pub const SCHEMA_VERSION: i64 = sqlite::MIGRATIONS.len() as i64;

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
    /// PostgreSQL reported an error (or could not be reached).
    #[cfg(feature = "postgres")]
    #[error("{context}: {}", with_causes(source))]
    Postgres {
        /// What the store was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: postgres::Error,
    },
    /// The store asked for cannot be used by this build or in this way (e.g. a `postgres://`
    /// URL given to a build without the `postgres` feature).
    #[error("{0}")]
    Unsupported(String),
    /// The store is reachable but cannot serve now (e.g. all pooled connections stayed busy).
    #[error("{0}")]
    Unavailable(String),
    /// The database was written by a newer version of the product.
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

/// The client's error with its causes: its own text is only the kind ("db error", "error
/// connecting to server"), the server's message or the I/O error is in the cause.
#[cfg(feature = "postgres")]
fn with_causes(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
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

/// Where the stored ranks of one indicator's total-population figures at a level in a period
/// stand: what the figures are now (count and newest load) and what the stored ranks were
/// computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct RankState {
    /// Indicator id.
    pub indicator: String,
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// Figures stored.
    pub figures: i64,
    /// The newest load among them.
    pub last_load: i64,
    /// What the stored ranks were computed from; `None` when none are stored.
    pub basis: Option<String>,
}

/// Ranks computed by the monitor for one indicator's total-population figures at a level in a
/// period, to store.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRanks {
    /// Indicator id.
    pub indicator: String,
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// What they were computed from (the monitor's words; compared, never parsed, here).
    pub basis: String,
    /// Regions with a value.
    pub ranked: i64,
    /// One per figure.
    pub rows: Vec<FigureRank>,
}

/// One figure's rank.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRank {
    /// Region.
    pub region: RegionCode,
    /// Rank, 1 = least favourable.
    pub rank: Option<i64>,
    /// Percentile (0–100).
    pub percentile: Option<f64>,
    /// Map class (0-based).
    pub class: Option<i64>,
}

/// One region's stored rank of one indicator in a period, with what it was computed from and
/// where the figures stand now (a [`RankState`] for that region).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRank {
    /// Indicator id.
    pub indicator: String,
    /// Figures of the indicator at the region's level in the period.
    pub figures: i64,
    /// The newest load among them.
    pub last_load: i64,
    /// What the stored ranks were computed from; `None` when none are stored.
    pub basis: Option<String>,
    /// Regions with a value, when stored.
    pub ranked: Option<i64>,
    /// The region's rank.
    pub rank: Option<i64>,
    /// Its percentile.
    pub percentile: Option<f64>,
    /// Its map class.
    pub class: Option<i64>,
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
///
/// A method's SQL is written once, in the query module of its concern, over the small backend
/// interface in `row.rs`; the backends expand the shared methods with `written_once!` and
/// implement only what differs per dialect (bulk inserts, id assignment, transactions). Its
/// answers belong in the conformance suite's `dump` (`tests/common/mod.rs`), which compares
/// both backends.
pub trait Store {
    /// Runs `work` as one write: every write it makes through the store commits together, or
    /// none does (on error, or when the process dies half-way), and its reads see its own
    /// writes. Each write inside is a savepoint: one that fails is undone alone.
    fn write_all(&mut self, work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()>;
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
    /// Regions of a level in a layout year. A region that has no name in this layout takes the
    /// name its code has in the nearest layout that names it (as [`Store::region`] does): a
    /// file of figures often carries codes only (RIVM's wijken and buurten).
    fn regions(&self, level: Level, layout: i32) -> Result<Vec<RegionRecord>>;
    /// The regions one level down that lie in a region (wijken of a gemeente, buurten of a
    /// wijk, by their codes) in a layout year, named as [`Store::regions`] names them; empty
    /// for other levels.
    fn child_regions(&self, parent: &RegionCode, layout: i32) -> Result<Vec<RegionRecord>>;
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
    /// Every figure of one indicator for one region and period, the total population (`""`)
    /// and every breakdown cell (`age_class=25-44;ses_class=low`), ordered by breakdown
    /// (bytewise, so the total comes first).
    fn breakdown_observations(
        &self,
        indicator: &str,
        region: &RegionCode,
        period: i32,
    ) -> Result<Vec<ObservationRecord>>;
    /// One breakdown cell of an indicator for every region of a level in a period, by region
    /// (`breakdown = ""` gives the same answer as [`Store::observations`]).
    fn breakdown_cell_observations(
        &self,
        indicator: &str,
        level: Level,
        period: i32,
        breakdown: &str,
    ) -> Result<Vec<ObservationRecord>>;
    /// Where the stored ranks of every indicator, level and period stand.
    fn rank_states(&self) -> Result<Vec<RankState>>;
    /// Replaces the stored ranks of the given indicators, levels and periods, in one
    /// transaction.
    fn save_figure_ranks(&mut self, ranks: &[FigureRanks]) -> Result<()>;
    /// A region's stored ranks in a period, one per indicator with figures at its level then,
    /// by indicator.
    fn region_ranks(&self, code: &RegionCode, period: i32) -> Result<Vec<RegionRank>>;
    /// Boundaries of a level in a layout.
    fn boundaries(&self, level: Level, layout: i32) -> Result<Vec<BoundaryRecord>>;
    /// Codes of the regions with a boundary in a layout (without reading the shapes).
    fn boundary_codes(&self, level: Level, layout: i32) -> Result<Vec<RegionCode>>;
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

    /// The stored run of a level and period with, per region, the counts, the composite and
    /// each factor's score, rank and flag only: no traces, theme exposure or method ranks.
    /// Pages that list every region need no more, and a buurt run's traces and theme drivers
    /// are tens of megabytes.
    fn risk_run_flags(&self, level: Level, period: i32) -> Result<Option<RiskRun>>;

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

    /// Sets who may see a load's figures, in one transaction: the rule (with its reason, time
    /// and author) and, for a restricted load, the series its figures are in (one scan of the
    /// figures). Errors when the load does not exist.
    fn set_load_access(
        &mut self,
        load_id: i64,
        access: &LoadAccess,
        changed_at: &str,
        changed_by: &str,
    ) -> Result<AccessRule>;
    /// Every stored access rule, by load.
    fn access_rules(&self) -> Result<Vec<AccessRule>>;
    /// Stores a new API token by its hash; returns its id.
    fn create_token(&mut self, name: &str, role: &str, hash: &str, created_at: &str)
        -> Result<i64>;
    /// All tokens (hashes included, for the caller to drop), by id.
    fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// The token with this hash, revoked or not.
    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>>;
    /// Revokes a token; `false` when there is no such unrevoked token.
    fn revoke_token(&mut self, id: i64, revoked_at: &str) -> Result<bool>;
    /// Appends an entry to the audit log (its `id` is ignored). The log is never changed or
    /// shortened: both backends refuse UPDATE and DELETE on it.
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<()>;
    /// The audit log, oldest first.
    fn audit_log(&self) -> Result<Vec<AuditEntry>>;
}
