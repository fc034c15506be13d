//! The risk model of the catalogue: the 12 risk characteristics and the protective factors,
//! the 7 themes, the characteristic × theme matrix, the groups named in the report, and the
//! method parameters of stacking.
//!
//! It is read from four files of the catalogue directory:
//!
//! - `characteristics.toml`: `[[characteristic]]` and `[[protective_factor]]`, each with
//!   per-level definitions (`[[characteristic.definition]]`) made of weighted indicator terms;
//! - `themes.toml`: `[[theme]]` and the `[matrix]` (values 0–3, one row per characteristic);
//! - `groups.toml`: `[[group]]` (the report's 12 groups) and `[[candidate]]` (groups proposed
//!   earlier, e.g. at the sponsor meeting);
//! - `method.toml`: thresholds and rules of the computation.
//!
//! Every validation error names the file, the line and the field (see [`CatalogueError`]).
//! A characteristic without a definition at a level is a **data gap** there: the model never
//! fills it in.

use serde::{Deserialize, Serialize};

use crate::{Direction, IndicatorId, Level};

/// Whether a factor raises vulnerability (risk characteristic) or lowers it (protective factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// One of the risk characteristics (TNO): counted in stacking, weighted in themes.
    Risk,
    /// A protective factor: shown beside stacking, never counted in it.
    Protective,
}

impl FactorKind {
    /// Identifier used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Risk => "risk",
            FactorKind::Protective => "protective",
        }
    }
}

/// One weighted term of a definition: an indicator, or a share derived from indicators
/// (`100 × (indicator + plus…) / per`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// The indicator (the numerator when `per` is set).
    pub indicator: IndicatorId,
    /// Indicators added to the numerator.
    pub plus: Vec<IndicatorId>,
    /// The denominator; when set the term is a percentage of it.
    pub per: Option<IndicatorId>,
    /// Share of the definition's score; the weights of a definition sum to 1.
    pub weight: f64,
    /// Which way is unfavourable for vulnerability: for a risk characteristic, higher is more
    /// risk when `HigherIsWorse`; for a protective factor, higher is more protection when
    /// `HigherIsBetter`. Never `Neutral`.
    pub direction: Direction,
    /// Decimals the term's value is shown with (and ranked on).
    pub decimals: u8,
}

impl Term {
    /// Every indicator the term reads.
    pub fn indicators(&self) -> impl Iterator<Item = &IndicatorId> {
        std::iter::once(&self.indicator)
            .chain(self.plus.iter())
            .chain(self.per.iter())
    }
}

/// How a factor is measured at some levels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Definition {
    /// Levels this definition applies to.
    pub levels: Vec<Level>,
    /// Periods (years) it applies to; empty for every period not claimed by another
    /// definition at the same level.
    pub periods: Vec<i32>,
    /// The population's id in `populations.toml` (`18plus`), when the catalogue has one.
    pub population_id: Option<String>,
    /// The population the figures describe (`jongvolwassenen 16–25 jaar`, `alle inwoners`).
    pub population: String,
    /// The same in English (the Dutch text when not given).
    pub population_en: String,
    /// Weighted terms.
    pub terms: Vec<Term>,
    /// True when the indicators only approximate the characteristic.
    pub proxy: bool,
    /// Why these indicators, in Dutch.
    pub note_nl: String,
    /// Why these indicators, in English.
    pub note_en: String,
}

/// A risk characteristic or a protective factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    /// Stable id (`kleine_financiele_buffer`).
    pub id: String,
    /// Risk or protective.
    pub kind: FactorKind,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// Dutch description.
    pub description_nl: String,
    /// English description.
    pub description_en: String,
    /// Definitions per level; a level without one is a data gap.
    pub definitions: Vec<Definition>,
    /// Why there is a gap where there is one, in Dutch.
    pub gap_note_nl: String,
    /// Why there is a gap where there is one, in English.
    pub gap_note_en: String,
}

impl Factor {
    /// The definition that applies at a level in a period, if any: the one that names the
    /// period, else the one for every period.
    pub fn definition_at(&self, level: Level, period: i32) -> Option<&Definition> {
        let at_level = || {
            self.definitions
                .iter()
                .filter(|d| d.levels.contains(&level))
        };
        at_level()
            .find(|d| d.periods.contains(&period))
            .or_else(|| at_level().find(|d| d.periods.is_empty()))
    }

    /// Every definition at a level (one per group of periods), in catalogue order.
    pub fn definitions_at(&self, level: Level) -> impl Iterator<Item = &Definition> {
        self.definitions
            .iter()
            .filter(move |d| d.levels.contains(&level))
    }
}

/// One of the 7 themes on which vulnerability shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Theme {
    /// Stable id (`psychische_gezondheid`).
    pub id: String,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// Dutch description.
    pub description_nl: String,
    /// English description.
    pub description_en: String,
}

/// The characteristic × theme matrix: how strongly a characteristic correlates with a theme,
/// 0 (hardly) to 3 (strong). Possible correlations, not causes.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Matrix {
    /// `values[c][t]` for risk characteristic `c` and theme `t`, both in catalogue order.
    pub values: Vec<Vec<u8>>,
}

impl Matrix {
    /// The highest value a cell may have.
    pub const MAX: u8 = 3;
}

/// Which source named a group (the report's §3 table).
pub const GROUP_SOURCES: [&str; 5] = ["MSP", "NndC", "KNAW", "Dept", "Veld"];

/// A group named in the report, with what the report says about it. No personal names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Stable id.
    pub id: String,
    /// Number in the report's table.
    pub number: u32,
    /// Dutch name.
    pub label_nl: String,
    /// English name.
    pub label_en: String,
    /// Sources that named it (subset of [`GROUP_SOURCES`]).
    pub named_by: Vec<String>,
    /// `bestaand` (existing vulnerable group) or `nieuw` (new through the crisis).
    pub status: String,
    /// Risk characteristics that typically stack for the group (ids).
    pub characteristics: Vec<String>,
    /// Themes on which the report expects effects (ids), may be empty.
    pub themes: Vec<String>,
    /// Dutch description.
    pub description_nl: String,
    /// English description.
    pub description_en: String,
    /// Running policies and actions the report lists (Dutch, as in the report).
    pub policies: Vec<String>,
    /// Ministry directorates involved (never persons).
    pub directorates: Vec<String>,
    /// Data sources the report names.
    pub data_sources: Vec<String>,
    /// Indicators in the monitor that describe the group's situation at area level.
    pub indicators: Vec<IndicatorId>,
    /// The population that fits the group (`65plus` for isolated elderly people): its area
    /// views use figures about that population where the catalogue has them, and say which.
    pub population: Option<String>,
}

/// A group proposed before the report's final list (e.g. at the sponsor meeting).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateGroup {
    /// Dutch name as proposed.
    pub label_nl: String,
    /// English name.
    pub label_en: String,
    /// Where it was proposed.
    pub proposed_in: String,
    /// The group of the final list it corresponds to, if any.
    pub group: Option<String>,
    /// What became of it, in Dutch.
    pub note_nl: String,
    /// What became of it, in English.
    pub note_en: String,
}

/// How the characteristic scores are put on one scale for the composite (the monitor maps
/// each to the engine's method with fixed parameters, recorded with the results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormalisationChoice {
    /// Percentile rank among the regions (0–1), rounded as displayed: the default.
    PercentRank,
    /// Linear onto 0–1 between the least and the most vulnerable region.
    MinMax,
    /// Standard score (mean 0, standard deviation 1).
    ZScore,
    /// The English Indices of Deprivation's exponential transform of ranks (0–100), which
    /// limits how much a favourable characteristic makes up for an unfavourable one.
    ExponentialRank,
}

/// How much each characteristic counts in the composite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightingChoice {
    /// Every characteristic with data the same weight.
    Equal,
    /// Through the characteristic × theme matrix: every theme weighs the same and spreads its
    /// weight over the characteristics in proportion to their matrix values.
    Matrix,
}

/// How a region's normalised characteristics are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregationChoice {
    /// Weighted arithmetic mean (fully compensatory).
    Arithmetic,
    /// Weighted geometric mean of the values rescaled to 1–100 (partly compensatory).
    Geometric,
}

impl NormalisationChoice {
    /// Every choice, in the order pages list them.
    pub const ALL: [NormalisationChoice; 4] = [
        NormalisationChoice::PercentRank,
        NormalisationChoice::MinMax,
        NormalisationChoice::ZScore,
        NormalisationChoice::ExponentialRank,
    ];

    /// The name used in `method.toml`, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            NormalisationChoice::PercentRank => "percent_rank",
            NormalisationChoice::MinMax => "min_max",
            NormalisationChoice::ZScore => "z_score",
            NormalisationChoice::ExponentialRank => "exponential_rank",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl WeightingChoice {
    /// Every choice.
    pub const ALL: [WeightingChoice; 2] = [WeightingChoice::Equal, WeightingChoice::Matrix];

    /// The name used in `method.toml`, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            WeightingChoice::Equal => "equal",
            WeightingChoice::Matrix => "matrix",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl AggregationChoice {
    /// Every choice.
    pub const ALL: [AggregationChoice; 2] =
        [AggregationChoice::Arithmetic, AggregationChoice::Geometric];

    /// The name used in `method.toml`, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AggregationChoice::Arithmetic => "arithmetic",
            AggregationChoice::Geometric => "geometric",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The composite's method (`[composite]` of `method.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositeMethod {
    /// Normalisation of the characteristic scores.
    pub normalisation: NormalisationChoice,
    /// Weights of the characteristics.
    pub weighting: WeightingChoice,
    /// Aggregation.
    pub aggregation: AggregationChoice,
}

impl Default for CompositeMethod {
    /// Percentile ranks, equal weights, arithmetic mean: the mean of the displayed
    /// characteristic percentiles.
    fn default() -> Self {
        CompositeMethod {
            normalisation: NormalisationChoice::PercentRank,
            weighting: WeightingChoice::Equal,
            aggregation: AggregationChoice::Arithmetic,
        }
    }
}

/// The Monte Carlo analysis of the composite's rank (`[uncertainty]` of `method.toml`):
/// every run draws one alternative per listed choice (and a noisy weight set), recomputes
/// the composite and ranks the regions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertaintyParams {
    /// `N`; the variance-based design runs the composite `N·(d + 2)` times for `d` choices.
    /// 0 switches the analysis off.
    pub runs: usize,
    /// Seed of the random draws: the same seed gives the same intervals.
    pub seed: u64,
    /// Normalisations drawn from.
    pub normalisations: Vec<NormalisationChoice>,
    /// Weightings drawn from.
    pub weightings: Vec<WeightingChoice>,
    /// Aggregations drawn from.
    pub aggregations: Vec<AggregationChoice>,
    /// Each weight is multiplied by `1 + U(−x, x)` (then all rescaled to sum 1); 0 = off.
    pub weight_noise: f64,
    /// Number of noisy weight sets drawn once and chosen from.
    pub weight_noise_sets: usize,
}

impl Default for UncertaintyParams {
    fn default() -> Self {
        UncertaintyParams {
            runs: 500,
            seed: 2021,
            normalisations: NormalisationChoice::ALL.to_vec(),
            weightings: WeightingChoice::ALL.to_vec(),
            aggregations: AggregationChoice::ALL.to_vec(),
            weight_noise: 0.25,
            weight_noise_sets: 100,
        }
    }
}

/// Which tail(s) the clusters' pseudo p-values count (esda's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterAlternative {
    /// Both tails by percentile (esda 2.9's rule): the observed value's percentile and its
    /// mirror bound the tails, permutations tied with the bounds included.
    #[serde(rename = "two-sided")]
    TwoSided,
    /// esda's default: the smaller one-sided count, half a two-sided p-value.
    #[serde(rename = "directed")]
    Directed,
    /// Both tails by distance from the mean of the permutations: unlike `two-sided`, whose
    /// tails include every permutation tied with the percentile bounds, it is not made
    /// conservative by ties, which counts (0–12 flags) have many of.
    #[serde(rename = "folded")]
    Folded,
}

impl ClusterAlternative {
    /// esda's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterAlternative::TwoSided => "two-sided",
            ClusterAlternative::Directed => "directed",
            ClusterAlternative::Folded => "folded",
        }
    }
}

/// Spatial clusters of the stored results (`[clusters]` of `method.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterParams {
    /// Conditional permutations per region (esda's default 999); 0 switches clusters off.
    pub permutations: usize,
    /// Seed of the permutations (esda's `seed=`).
    pub seed: u32,
    /// Which tail(s) a pseudo p-value counts.
    pub alternative: ClusterAlternative,
    /// Significance level; with the false-discovery-rate option, the rate.
    pub alpha: f64,
    /// Whether pages and the API use the Benjamini–Hochberg cut-off unless asked otherwise.
    pub fdr: bool,
    /// Boundaries within this many metres count as touching (queen contiguity): generalised
    /// boundaries do not always share vertices.
    pub snap_metres: f64,
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            permutations: 999,
            seed: 12345,
            alternative: ClusterAlternative::Folded,
            alpha: 0.05,
            fdr: false,
            snap_metres: 1.0,
        }
    }
}

/// Parameters of the stacking computation. Recorded with every stored result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodParams {
    /// A factor is flagged when its percentile, rounded to `percentile_decimals`, is at least
    /// this (0–100 scale). Default 90: the top decile.
    pub threshold: f64,
    /// Decimals percentiles are shown with (0–100 scale). The flag compares the same rounded
    /// number, so a region shown at the threshold is always flagged and one shown below never.
    pub percentile_decimals: u8,
    /// Missing-indicator rule: a region lacking some of a definition's indicators gets a score
    /// from the others (weights renormalised) only when their weights add up to at least this;
    /// otherwise the factor has no score there. 1 = every indicator required.
    pub min_available_weight: f64,
    /// A region gets a composite only when it has scores for at least this share of the
    /// characteristics that have data at its level.
    pub composite_min_share: f64,
    /// The composite's method. (Defaults when reading results stored before it existed.)
    #[serde(default)]
    pub composite: CompositeMethod,
    /// The Monte Carlo analysis of the composite's rank.
    #[serde(default)]
    pub uncertainty: UncertaintyParams,
    /// Spatial clusters.
    #[serde(default)]
    pub clusters: ClusterParams,
}

impl Default for MethodParams {
    fn default() -> Self {
        MethodParams {
            threshold: 90.0,
            percentile_decimals: 1,
            min_available_weight: 0.5,
            composite_min_share: 0.5,
            composite: CompositeMethod::default(),
            uncertainty: UncertaintyParams::default(),
            clusters: ClusterParams::default(),
        }
    }
}

/// The whole risk model.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RiskModel {
    /// Risk characteristics, in catalogue order.
    pub characteristics: Vec<Factor>,
    /// Protective factors.
    pub protective: Vec<Factor>,
    /// Themes, in catalogue order.
    pub themes: Vec<Theme>,
    /// Characteristic × theme matrix.
    pub matrix: Matrix,
    /// Groups of the report.
    pub groups: Vec<Group>,
    /// Groups proposed earlier.
    pub candidates: Vec<CandidateGroup>,
    /// Method parameters.
    pub method: MethodParams,
}

impl RiskModel {
    /// Risk characteristics followed by protective factors.
    pub fn factors(&self) -> impl Iterator<Item = &Factor> {
        self.characteristics.iter().chain(self.protective.iter())
    }

    /// A factor (risk or protective) by id.
    pub fn factor(&self, id: &str) -> Option<&Factor> {
        self.factors().find(|f| f.id == id)
    }

    /// A theme by id.
    pub fn theme(&self, id: &str) -> Option<&Theme> {
        self.themes.iter().find(|t| t.id == id)
    }

    /// A group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The matrix value of a characteristic for a theme (0 when either is unknown).
    pub fn matrix_value(&self, characteristic: &str, theme: &str) -> u8 {
        let c = self
            .characteristics
            .iter()
            .position(|f| f.id == characteristic);
        let t = self.themes.iter().position(|x| x.id == theme);
        match (c, t) {
            (Some(c), Some(t)) => self
                .matrix
                .values
                .get(c)
                .and_then(|row| row.get(t))
                .copied()
                .unwrap_or(0),
            _ => 0,
        }
    }
}
