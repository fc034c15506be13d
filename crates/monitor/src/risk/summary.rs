//! What a run stores besides its rows (`risk_runs.summary`, JSON): plain data, written by
//! [`super::compute`] and read by everything that shows a run.

use kwm_engine::composite::SensitivityIndex;
use kwm_model::risk::{ClusterParams, CompositeMethod};
use serde::{Deserialize, Serialize};

/// Run-level results stored with a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Regions in the run.
    pub regions: usize,
    /// `distribution[k]`: regions with stacking count `k`, among regions with data.
    pub distribution: Vec<usize>,
    /// Regions without any characteristic score.
    pub no_data: usize,
    /// Risk characteristics with a score somewhere at this level and period.
    pub characteristics_with_data: Vec<String>,
    /// Regions with a composite.
    pub composite_ranked: usize,
    /// The composite's method, the compared methods and the Monte Carlo analysis of its rank
    /// (`None` for runs stored before method comparisons, or without any characteristic).
    #[serde(default)]
    pub composite: Option<CompositeSummary>,
    /// Spatial clusters: settings, boundaries used, per variable (`None` for older runs).
    #[serde(default)]
    pub clusters: Option<ClustersSummary>,
}

/// Which choice a compared method changes from the nominal one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceKind {
    /// The nominal method itself.
    Nominal,
    /// Another normalisation.
    Normalisation,
    /// Other weights.
    Weighting,
    /// Another aggregation.
    Aggregation,
}

/// The composite under one compared method, summarised against the nominal ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    /// Key stored with the ranks (`nominal`, `normalisation=min_max`, …).
    pub key: String,
    /// Which choice differs from the nominal method.
    pub changes: ChoiceKind,
    /// The method's choices.
    pub method: CompositeMethod,
    /// The engine's description of the method as applied.
    pub description: String,
    /// Regions with a composite under both this and the nominal method.
    pub compared: usize,
    /// Mean absolute rank shift from the nominal rank.
    pub mean_abs_shift: Option<f64>,
    /// Largest absolute rank shift.
    pub max_shift: Option<usize>,
    /// `(n, regions)`: regions whose rank moves more than `n` places ([`SHIFT_THRESHOLDS`]).
    pub moved_more_than: Vec<(usize, usize)>,
    /// Spearman's rank correlation with the nominal ranking (Pearson on the ranks).
    pub spearman: Option<f64>,
    /// Why the method could not be applied to these data, if it could not.
    pub error: Option<String>,
}

/// The Monte Carlo analysis as run, with its sensitivity indices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertaintySummary {
    /// `N`.
    pub runs: usize,
    /// Composites computed in all: `N·(d + 2)` with sensitivity indices, else `N`.
    pub total_runs: usize,
    /// Runs the rank intervals are based on (`2N` with sensitivity indices, else `N`).
    pub rank_runs: usize,
    /// Seed.
    pub seed: u64,
    /// The choices that vary, with their alternatives as named in the catalogue.
    pub factors: Vec<FactorSummary>,
    /// What the sensitivity indices measure the variance of.
    pub output: Option<String>,
    /// Variance of that output.
    pub output_variance: Option<f64>,
    /// First-order and total index per factor (empty with fewer than two factors).
    pub indices: Vec<IndexSummary>,
    /// Median width (upper − lower) of the regions' 90% rank intervals.
    pub median_interval_width: Option<f64>,
    /// The engine's record of the analysis (nominal method, factors, runs, seed).
    pub spec: serde_json::Value,
}

/// One varying choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorSummary {
    /// `normalisation`, `weighting`, `aggregation` or `weights` (random weight noise).
    pub name: String,
    /// Its alternatives (`min_max`, …; for `weights` a description of the noise).
    pub alternatives: Vec<String>,
}

/// Sensitivity indices of one choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSummary {
    /// The choice.
    pub factor: String,
    /// First-order index: share of the output variance due to this choice alone.
    pub first_order: Option<f64>,
    /// Total index: including its interactions with the other choices.
    pub total: Option<f64>,
}

impl From<&SensitivityIndex> for IndexSummary {
    fn from(s: &SensitivityIndex) -> Self {
        IndexSummary {
            factor: s.factor.clone(),
            first_order: s.first_order,
            total: s.total,
        }
    }
}

/// The composite part of a run's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeSummary {
    /// The nominal method's choices.
    pub method: CompositeMethod,
    /// The engine's description of it as applied.
    pub description: String,
    /// The engine's record of it (every parameter, the effective weights' basis).
    pub spec: serde_json::Value,
    /// Effective weight per characteristic in the composite.
    pub weights: Vec<(String, f64)>,
    /// The compared methods, nominal first.
    pub methods: Vec<MethodSummary>,
    /// The Monte Carlo analysis; `None` when switched off or impossible.
    pub uncertainty: Option<UncertaintySummary>,
    /// Why the Monte Carlo analysis could not run, if it could not.
    pub uncertainty_error: Option<String>,
}

/// Global Moran's I of a variable, as a summary beside the local statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalSummary {
    /// Moran's I.
    pub i: f64,
    /// Its expectation under no autocorrelation, −1/(n − 1).
    pub expected: f64,
    /// Pseudo p-value of the permutation test.
    pub p_sim: Option<f64>,
}

/// What was done for one variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableSummary {
    /// `stacking`, `composite` or a characteristic id.
    pub variable: String,
    /// Regions analysed (with a boundary and a value).
    pub analysed: usize,
    /// Regions with a value but no neighbour with a value.
    pub islands: Vec<String>,
    /// Global Moran's I.
    pub global: Option<GlobalSummary>,
    /// Why a statistic could not be computed (`lisa: all values are equal`).
    pub errors: Vec<String>,
}

/// The cluster part of a run's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClustersSummary {
    /// The settings used.
    pub settings: ClusterParams,
    /// `queen` (contiguity rule).
    pub weights: String,
    /// Layout year of the boundaries used; `None` when the level has none.
    pub boundary_layout: Option<i32>,
    /// Regions of the run with a boundary.
    pub with_boundary: usize,
    /// Regions of the run without a boundary in that layout (other codes).
    pub without_boundary: Vec<String>,
    /// Neighbour pairs among the run's regions with a boundary.
    pub links: usize,
    /// Per variable.
    pub variables: Vec<VariableSummary>,
    /// Why nothing was computed, when nothing was.
    pub note: Option<String>,
}
