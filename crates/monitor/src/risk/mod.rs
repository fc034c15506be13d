//! The risk model as use cases: compute stacking results for a level and period and store them
//! with what they were computed from; answer the questions of the stacking, theme-profile,
//! coverage and group pages from the stored results.
//!
//! A stored run carries a **fingerprint**: a SHA-256 over the catalogue version, the level's
//! model and method parameters exactly as used, and the checksums of every loaded file.
//! [`compute`] does nothing when the stored fingerprint equals the current one, and recomputes
//! when the catalogue, the parameters or the data changed. Pages say when stored results are
//! stale (computed with another catalogue or data than the server now has).
//!
//! - `runs`: what a stored run is — its parameters, fingerprint and summary — and which run
//!   answers a level and period; the other modules read runs only through it.
//! - `compute`: computes and stores a run (the engine's stacking, [`composite`], [`clusters`]).
//! - `views`: the pages' questions, answered from stored runs.
//! - `summary`: the run's summary as plain data (also the composite's and the clusters' parts).
//!
//! [`composite`] and [`clusters`] compute their part inside `compute` and read it back
//! through `runs`; they never call `compute`.

pub mod clusters;
pub mod composite;
mod compute;
mod runs;
mod summary;
mod views;

pub use compute::{
    computable_periods, compute, compute_all, ComputeOutcome, ComputeStatus, MIN_RANKED_REGIONS,
};
pub(crate) use runs::pick_run;
pub use runs::{
    fingerprint, measured_characteristics, result_periods, RunInfo, LEVELS, METHOD_VERSION,
};
pub use summary::RunSummary;
pub use views::{
    coverage, group_areas, group_period, groups_of_area, population_ids, region_risk, stacking,
    stacking_within, AreaGroup, Coverage, CoverageCell, CoverageIndicator, CoverageRow,
    CoverageStatus, FactorView, GroupArea, GroupAreas, RankInterval, RegionRisk, Stacking,
    StackingRow, StackingWithin, ThemeView,
};
