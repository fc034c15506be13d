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

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalogue::{CatalogueError, CatalogueFile, CatalogueIndicator};
use crate::diag::{check_id, known_indicator, Ctx};
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

    /// Parses and validates the risk files among `files`, checking indicator references against
    /// the catalogue's indicators. Missing files leave their part empty.
    pub fn parse(
        files: &[CatalogueFile],
        indicators: &[CatalogueIndicator],
    ) -> Result<RiskModel, CatalogueError> {
        let find = |name: &str| files.iter().find(|f| f.name == name);
        let mut model = RiskModel::default();
        if let Some(file) = find("method.toml") {
            model.method = parse_method(&Ctx { file })?;
        }
        if let Some(file) = find("characteristics.toml") {
            let (risk, protective) = parse_factors(&Ctx { file }, indicators)?;
            model.characteristics = risk;
            model.protective = protective;
        }
        if let Some(file) = find("themes.toml") {
            let (themes, matrix) = parse_themes(&Ctx { file }, &model.characteristics)?;
            model.themes = themes;
            model.matrix = matrix;
        }
        if let Some(file) = find("groups.toml") {
            let (groups, candidates) = parse_groups(&Ctx { file }, &model, indicators)?;
            model.groups = groups;
            model.candidates = candidates;
        }
        Ok(model)
    }
}

// ---------------------------------------------------------------------------------------------
// method.toml

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethodFile {
    #[serde(default)]
    stacking: Option<Spanned<RawStacking>>,
    #[serde(default)]
    composite: Option<Spanned<RawComposite>>,
    #[serde(default)]
    uncertainty: Option<Spanned<RawUncertainty>>,
    #[serde(default)]
    clusters: Option<Spanned<RawClusters>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUncertainty {
    runs: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    normalisations: Option<Spanned<Vec<Spanned<String>>>>,
    weightings: Option<Spanned<Vec<Spanned<String>>>>,
    aggregations: Option<Spanned<Vec<Spanned<String>>>>,
    weight_noise: Option<Spanned<f64>>,
    weight_noise_sets: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClusters {
    permutations: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    alternative: Option<Spanned<String>>,
    alpha: Option<Spanned<f64>>,
    fdr: Option<bool>,
    snap_metres: Option<Spanned<f64>>,
}

/// Parses a choice by name, or says which names there are.
fn choice<T: Copy>(
    ctx: &Ctx<'_>,
    value: &Spanned<String>,
    field: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, CatalogueError> {
    all.iter()
        .copied()
        .find(|c| name(*c) == value.get_ref())
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|c| name(*c)).collect();
            ctx.err(
                value.span().start,
                field,
                format!(
                    "expected one of {}, found '{}'",
                    names.join(", "),
                    value.get_ref()
                ),
            )
        })
}

/// A list of choices: at least one, no duplicates.
fn choices<T: Copy + PartialEq>(
    ctx: &Ctx<'_>,
    list: &Spanned<Vec<Spanned<String>>>,
    field: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<Vec<T>, CatalogueError> {
    if list.get_ref().is_empty() {
        return Err(ctx.err(
            list.span().start,
            field,
            "expected at least one choice (list only the nominal one to keep it fixed)",
        ));
    }
    let mut out = Vec::new();
    for v in list.get_ref() {
        let c = choice(ctx, v, field, all, name)?;
        if out.contains(&c) {
            return Err(ctx.err(
                v.span().start,
                field,
                format!("'{}' is listed twice", v.get_ref()),
            ));
        }
        out.push(c);
    }
    Ok(out)
}

/// The one range check of `method.toml`: a number that `ok` accepts, else
/// `expected {what}, found {value}` at it.
fn checked<T: Copy + std::fmt::Display>(
    ctx: &Ctx<'_>,
    v: &Spanned<T>,
    field: &str,
    ok: impl FnOnce(&T) -> bool,
    what: &str,
) -> Result<T, CatalogueError> {
    if ok(v.get_ref()) {
        Ok(*v.get_ref())
    } else {
        Err(ctx.err(
            v.span().start,
            field,
            format!("expected {what}, found {}", v.get_ref()),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStacking {
    threshold: Option<Spanned<f64>>,
    percentile_decimals: Option<Spanned<i64>>,
    min_available_weight: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComposite {
    normalisation: Option<Spanned<String>>,
    weighting: Option<Spanned<String>>,
    aggregation: Option<Spanned<String>>,
    min_characteristics_share: Option<Spanned<f64>>,
}

fn parse_method(ctx: &Ctx<'_>) -> Result<MethodParams, CatalogueError> {
    let raw: RawMethodFile = ctx.parse()?;
    let mut p = MethodParams::default();
    if let Some(s) = raw.stacking {
        let s = s.into_inner();
        if let Some(t) = &s.threshold {
            p.threshold = checked(
                ctx,
                t,
                "stacking.threshold",
                |t| (0.0..=100.0).contains(t),
                "a percentile between 0 and 100",
            )?;
        }
        if let Some(d) = &s.percentile_decimals {
            p.percentile_decimals = checked(
                ctx,
                d,
                "stacking.percentile_decimals",
                |d| (0..=4).contains(d),
                "0 to 4 decimals",
            )? as u8;
        }
        if let Some(w) = &s.min_available_weight {
            p.min_available_weight = checked(
                ctx,
                w,
                "stacking.min_available_weight",
                |w| *w > 0.0 && *w <= 1.0,
                "a share above 0 and at most 1",
            )?;
        }
    }
    if let Some(c) = raw.composite {
        let c = c.into_inner();
        if let Some(v) = &c.normalisation {
            p.composite.normalisation = choice(
                ctx,
                v,
                "composite.normalisation",
                &NormalisationChoice::ALL,
                NormalisationChoice::as_str,
            )?;
        }
        if let Some(v) = &c.weighting {
            p.composite.weighting = choice(
                ctx,
                v,
                "composite.weighting",
                &WeightingChoice::ALL,
                WeightingChoice::as_str,
            )?;
        }
        if let Some(v) = &c.aggregation {
            p.composite.aggregation = choice(
                ctx,
                v,
                "composite.aggregation",
                &AggregationChoice::ALL,
                AggregationChoice::as_str,
            )?;
        }
        if let Some(s) = &c.min_characteristics_share {
            p.composite_min_share = checked(
                ctx,
                s,
                "composite.min_characteristics_share",
                |s| (0.0..=1.0).contains(s),
                "a share from 0 to 1",
            )?;
        }
    }
    if let Some(u) = raw.uncertainty {
        let u = u.into_inner();
        let q = &mut p.uncertainty;
        if let Some(v) = &u.runs {
            q.runs = checked(
                ctx,
                v,
                "uncertainty.runs",
                |x| (0..=100_000).contains(x),
                "0 (off) or a number of runs from 2 to 100000",
            )? as usize;
            if q.runs == 1 {
                return Err(ctx.err(
                    v.span().start,
                    "uncertainty.runs",
                    "expected 0 (off) or at least 2 runs, found 1",
                ));
            }
        }
        if let Some(v) = &u.seed {
            q.seed = checked(
                ctx,
                v,
                "uncertainty.seed",
                |x| (0..=i64::MAX).contains(x),
                "a seed ≥ 0",
            )? as u64;
        }
        if let Some(v) = &u.normalisations {
            q.normalisations = choices(
                ctx,
                v,
                "uncertainty.normalisations",
                &NormalisationChoice::ALL,
                NormalisationChoice::as_str,
            )?;
        }
        if let Some(v) = &u.weightings {
            q.weightings = choices(
                ctx,
                v,
                "uncertainty.weightings",
                &WeightingChoice::ALL,
                WeightingChoice::as_str,
            )?;
        }
        if let Some(v) = &u.aggregations {
            q.aggregations = choices(
                ctx,
                v,
                "uncertainty.aggregations",
                &AggregationChoice::ALL,
                AggregationChoice::as_str,
            )?;
        }
        if let Some(v) = &u.weight_noise {
            q.weight_noise = checked(
                ctx,
                v,
                "uncertainty.weight_noise",
                |v| (0.0..1.0).contains(v),
                "a share from 0 (off) to below 1",
            )?;
        }
        if let Some(v) = &u.weight_noise_sets {
            q.weight_noise_sets = checked(
                ctx,
                v,
                "uncertainty.weight_noise_sets",
                |x| (1..=10_000).contains(x),
                "1 to 10000 weight sets",
            )? as usize;
        }
    }
    if let Some(c) = raw.clusters {
        let c = c.into_inner();
        let q = &mut p.clusters;
        if let Some(v) = &c.permutations {
            q.permutations = checked(
                ctx,
                v,
                "clusters.permutations",
                |x| (0..=99_999).contains(x),
                "0 (off) to 99999 permutations",
            )? as usize;
        }
        if let Some(v) = &c.seed {
            q.seed = checked(
                ctx,
                v,
                "clusters.seed",
                |x| (0..=i64::from(u32::MAX)).contains(x),
                "a seed from 0 to 4294967295",
            )? as u32;
        }
        if let Some(v) = &c.alternative {
            q.alternative = choice(
                ctx,
                v,
                "clusters.alternative",
                &[
                    ClusterAlternative::TwoSided,
                    ClusterAlternative::Directed,
                    ClusterAlternative::Folded,
                ],
                ClusterAlternative::as_str,
            )?;
        }
        if let Some(v) = &c.alpha {
            q.alpha = checked(
                ctx,
                v,
                "clusters.alpha",
                |a| *a > 0.0 && *a < 0.5,
                "a significance level above 0 and below 0.5",
            )?;
        }
        if let Some(v) = c.fdr {
            q.fdr = v;
        }
        if let Some(v) = &c.snap_metres {
            q.snap_metres = checked(
                ctx,
                v,
                "clusters.snap_metres",
                |m| (0.0..=1000.0).contains(m),
                "0 to 1000 metres",
            )?;
        }
    }
    Ok(p)
}

// ---------------------------------------------------------------------------------------------
// characteristics.toml

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactorsFile {
    #[serde(default)]
    characteristic: Vec<Spanned<RawFactor>>,
    #[serde(default)]
    protective_factor: Vec<Spanned<RawFactor>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactor {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    gap_note_nl: String,
    #[serde(default)]
    gap_note_en: String,
    #[serde(default)]
    definition: Vec<Spanned<RawDefinition>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    levels: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    periods: Vec<i32>,
    population: Option<String>,
    #[serde(default)]
    population_en: String,
    terms: Spanned<Vec<Spanned<RawTerm>>>,
    #[serde(default)]
    proxy: bool,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    indicator: Spanned<String>,
    #[serde(default)]
    plus: Vec<Spanned<String>>,
    per: Option<Spanned<String>>,
    weight: Option<Spanned<f64>>,
    direction: Option<Spanned<String>>,
    decimals: Option<u8>,
}

/// Weights are typed by people; they sum to 1 within this tolerance (so 1/3 written as 0.3333
/// three times is refused, 0.333333333 accepted).
const WEIGHT_TOLERANCE: f64 = 1e-6;

fn parse_term(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
    spanned: Spanned<RawTerm>,
    factor_id: &str,
) -> Result<Term, CatalogueError> {
    let start = spanned.span().start;
    let raw = spanned.into_inner();
    let main = known_indicator(ctx, indicators, &raw.indicator, "terms.indicator")?;
    let mut plus = Vec::new();
    for p in &raw.plus {
        plus.push(
            known_indicator(ctx, indicators, p, "terms.plus")?
                .indicator
                .id
                .clone(),
        );
    }
    let per = match &raw.per {
        Some(p) => Some(
            known_indicator(ctx, indicators, p, "terms.per")?
                .indicator
                .id
                .clone(),
        ),
        None => None,
    };
    if !plus.is_empty() && per.is_none() {
        return Err(ctx.err(
            start,
            "terms.plus",
            "'plus' adds counts to a numerator and needs 'per' (the denominator)",
        ));
    }
    let weight = raw.weight.as_ref().ok_or_else(|| {
        ctx.err(
            start,
            "terms.weight",
            format!(
                "term '{}' of '{factor_id}' has no weight",
                raw.indicator.get_ref()
            ),
        )
    })?;
    if !(weight.get_ref().is_finite() && *weight.get_ref() > 0.0) {
        return Err(ctx.err(
            weight.span().start,
            "terms.weight",
            format!("expected a weight above 0, found {}", weight.get_ref()),
        ));
    }
    let direction = match &raw.direction {
        Some(d) => match Direction::parse(d.get_ref()) {
            Some(Direction::Neutral) | None => {
                return Err(ctx.err(
                    d.span().start,
                    "terms.direction",
                    format!(
                        "expected higher_is_worse or higher_is_better, found '{}'",
                        d.get_ref()
                    ),
                ))
            }
            Some(d) => d,
        },
        // A share of residents (per) or a neutral indicator has no direction of its own: the
        // definition must say which way is unfavourable.
        None if per.is_some() || main.indicator.direction == Direction::Neutral => {
            return Err(ctx.err(
                start,
                "terms.direction",
                format!(
                    "term '{}' of '{factor_id}' needs a direction (higher_is_worse or higher_is_better): {}",
                    raw.indicator.get_ref(),
                    if per.is_some() { "a derived share has none of its own" } else { "the indicator is neutral in indicators.toml" }
                ),
            ))
        }
        None => main.indicator.direction,
    };
    let decimals = raw.decimals.unwrap_or(if per.is_some() {
        1
    } else {
        main.indicator.decimals
    });
    Ok(Term {
        indicator: main.indicator.id.clone(),
        plus,
        per,
        weight: *weight.get_ref(),
        direction,
        decimals,
    })
}

fn parse_definition(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
    spanned: Spanned<RawDefinition>,
    factor_id: &str,
    levels_seen: &mut HashSet<(Level, Option<i32>)>,
) -> Result<Definition, CatalogueError> {
    let start = spanned.span().start;
    let raw = spanned.into_inner();
    // A level may have one definition for every period and others for named periods; no
    // period may be claimed twice.
    let period_keys: Vec<Option<i32>> = if raw.periods.is_empty() {
        vec![None]
    } else {
        raw.periods.iter().copied().map(Some).collect()
    };
    let mut levels = Vec::new();
    for l in raw.levels.get_ref() {
        let level: Level = l
            .get_ref()
            .parse()
            .map_err(|m: String| ctx.err(l.span().start, "definition.levels", m))?;
        if level == Level::Land {
            return Err(ctx.err(
                l.span().start,
                "definition.levels",
                "level 'land' has one region: there is nothing to rank it against",
            ));
        }
        for key in &period_keys {
            if !levels_seen.insert((level, *key)) {
                let when = key.map(|p| format!(" in {p}")).unwrap_or_default();
                return Err(ctx.err(
                    l.span().start,
                    "definition.levels",
                    format!("'{factor_id}' already has a definition for level {level}{when}"),
                ));
            }
        }
        levels.push(level);
    }
    if levels.is_empty() {
        return Err(ctx.err(
            raw.levels.span().start,
            "definition.levels",
            "expected at least one level",
        ));
    }
    let population = raw.population.filter(|p| !p.trim().is_empty()).ok_or_else(|| {
        ctx.err(
            start,
            "definition.population",
            format!("a definition of '{factor_id}' must say which population its figures describe (e.g. \"jongvolwassenen 16–25 jaar\")"),
        )
    })?;
    let terms_span = raw.terms.span().start;
    let mut terms = Vec::new();
    let mut seen = HashSet::new();
    for t in raw.terms.into_inner() {
        let pos = t.span().start;
        let term = parse_term(ctx, indicators, t, factor_id)?;
        let key = (term.indicator.clone(), term.per.clone(), term.plus.clone());
        if !seen.insert(key) {
            return Err(ctx.err(
                pos,
                "terms.indicator",
                format!(
                    "indicator '{}' appears twice in this definition",
                    term.indicator
                ),
            ));
        }
        terms.push(term);
    }
    if terms.is_empty() {
        return Err(ctx.err(terms_span, "definition.terms", "expected at least one term"));
    }
    let sum: f64 = terms.iter().map(|t| t.weight).sum();
    if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
        return Err(ctx.err(
            terms_span,
            "terms.weight",
            format!("the weights of '{factor_id}' sum to {sum}, expected 1"),
        ));
    }
    Ok(Definition {
        levels,
        periods: raw.periods,
        population_id: None,
        population_en: if raw.population_en.is_empty() {
            population.clone()
        } else {
            raw.population_en
        },
        population,
        terms,
        proxy: raw.proxy,
        note_nl: raw.note_nl,
        note_en: raw.note_en,
    })
}

fn parse_factor(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
    spanned: Spanned<RawFactor>,
    kind: FactorKind,
) -> Result<Factor, CatalogueError> {
    let raw = spanned.into_inner();
    check_id(ctx, &raw.id, "factor")?;
    let id = raw.id.get_ref().clone();
    let mut levels_seen = HashSet::new();
    let mut definitions = Vec::new();
    for d in raw.definition {
        definitions.push(parse_definition(ctx, indicators, d, &id, &mut levels_seen)?);
    }
    Ok(Factor {
        label_en: if raw.label_en.is_empty() {
            raw.label_nl.clone()
        } else {
            raw.label_en
        },
        id,
        kind,
        label_nl: raw.label_nl,
        description_nl: raw.description_nl,
        description_en: raw.description_en,
        definitions,
        gap_note_nl: raw.gap_note_nl,
        gap_note_en: raw.gap_note_en,
    })
}

fn parse_factors(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
) -> Result<(Vec<Factor>, Vec<Factor>), CatalogueError> {
    let raw: RawFactorsFile = ctx.parse()?;
    let mut seen = HashSet::new();
    let mut out = (Vec::new(), Vec::new());
    for (kind, list) in [
        (FactorKind::Risk, raw.characteristic),
        (FactorKind::Protective, raw.protective_factor),
    ] {
        for spanned in list {
            let id_span = spanned.get_ref().id.span().start;
            let id = spanned.get_ref().id.get_ref().clone();
            if !seen.insert(id.clone()) {
                return Err(ctx.err(id_span, "id", format!("duplicate factor id '{id}'")));
            }
            let factor = parse_factor(ctx, indicators, spanned, kind)?;
            match kind {
                FactorKind::Risk => out.0.push(factor),
                FactorKind::Protective => out.1.push(factor),
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// themes.toml

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThemesFile {
    #[serde(default)]
    theme: Vec<Spanned<RawTheme>>,
    matrix: Option<Spanned<RawMatrix>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
}

/// One matrix row as written: its values, each with its position for errors.
type RawMatrixRow = Spanned<Vec<Spanned<i64>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    themes: Spanned<Vec<Spanned<String>>>,
    rows: Spanned<BTreeMap<Spanned<String>, RawMatrixRow>>,
}

fn parse_themes(
    ctx: &Ctx<'_>,
    characteristics: &[Factor],
) -> Result<(Vec<Theme>, Matrix), CatalogueError> {
    let raw: RawThemesFile = ctx.parse()?;
    let mut themes = Vec::new();
    let mut seen = HashSet::new();
    for spanned in raw.theme {
        let t = spanned.into_inner();
        check_id(ctx, &t.id, "theme")?;
        if !seen.insert(t.id.get_ref().clone()) {
            return Err(ctx.duplicate(&t.id, "theme"));
        }
        themes.push(Theme {
            id: t.id.into_inner(),
            label_en: if t.label_en.is_empty() {
                t.label_nl.clone()
            } else {
                t.label_en
            },
            label_nl: t.label_nl,
            description_nl: t.description_nl,
            description_en: t.description_en,
        });
    }
    let Some(matrix) = raw.matrix else {
        if characteristics.is_empty() || themes.is_empty() {
            return Ok((themes, Matrix::default()));
        }
        return Err(CatalogueError {
            file: ctx.file.name.clone(),
            line: 1,
            column: 1,
            field: Some("matrix".into()),
            message:
                "the [matrix] table is missing: one row per characteristic, one value per theme"
                    .into(),
        });
    };
    let matrix_start = matrix.span().start;
    let m = matrix.into_inner();
    // Columns: the matrix names its themes, so a reordered [[theme]] list cannot shift values.
    let mut column_of = Vec::with_capacity(m.themes.get_ref().len());
    let mut cols_seen = HashSet::new();
    for c in m.themes.get_ref() {
        let Some(t) = themes.iter().position(|t| &t.id == c.get_ref()) else {
            return Err(ctx.err(
                c.span().start,
                "matrix.themes",
                format!("unknown theme '{}' (not a [[theme]] id)", c.get_ref()),
            ));
        };
        if !cols_seen.insert(t) {
            return Err(ctx.err(
                c.span().start,
                "matrix.themes",
                format!("theme '{}' appears twice", c.get_ref()),
            ));
        }
        column_of.push(t);
    }
    if let Some(missing) = themes
        .iter()
        .find(|t| !m.themes.get_ref().iter().any(|c| c.get_ref() == &t.id))
    {
        return Err(ctx.err(
            m.themes.span().start,
            "matrix.themes",
            format!(
                "matrix of the wrong shape: it has {} theme columns, expected {} (theme '{}' is missing)",
                m.themes.get_ref().len(),
                themes.len(),
                missing.id
            ),
        ));
    }
    let mut values = vec![vec![0u8; themes.len()]; characteristics.len()];
    let mut filled = vec![false; characteristics.len()];
    for (key, row) in m.rows.get_ref() {
        let Some(c) = characteristics.iter().position(|f| &f.id == key.get_ref()) else {
            return Err(ctx.err(
                key.span().start,
                "matrix.rows",
                format!(
                    "unknown characteristic '{}' (not a [[characteristic]] id in characteristics.toml)",
                    key.get_ref()
                ),
            ));
        };
        if row.get_ref().len() != column_of.len() {
            return Err(ctx.err(
                row.span().start,
                &format!("matrix.rows.{}", key.get_ref()),
                format!(
                    "matrix of the wrong shape: row '{}' has {} values, expected {} (one per theme in matrix.themes)",
                    key.get_ref(),
                    row.get_ref().len(),
                    column_of.len()
                ),
            ));
        }
        for (k, v) in row.get_ref().iter().enumerate() {
            if !(0..=i64::from(Matrix::MAX)).contains(v.get_ref()) {
                return Err(ctx.err(
                    v.span().start,
                    &format!("matrix.rows.{}", key.get_ref()),
                    format!("expected a value from 0 to 3, found {}", v.get_ref()),
                ));
            }
            values[c][column_of[k]] = *v.get_ref() as u8;
        }
        filled[c] = true;
    }
    if let Some(c) = filled.iter().position(|f| !f) {
        return Err(ctx.err(
            m.rows.span().start.max(matrix_start),
            "matrix.rows",
            format!(
                "matrix of the wrong shape: {} rows, expected {} (characteristic '{}' has no row)",
                m.rows.get_ref().len(),
                characteristics.len(),
                characteristics[c].id
            ),
        ));
    }
    Ok((themes, Matrix { values }))
}

// ---------------------------------------------------------------------------------------------
// groups.toml

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroupsFile {
    #[serde(default)]
    group: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    candidate: Vec<Spanned<RawCandidate>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    number: u32,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    named_by: Vec<Spanned<String>>,
    status: Spanned<String>,
    #[serde(default)]
    characteristics: Vec<Spanned<String>>,
    #[serde(default)]
    themes: Vec<Spanned<String>>,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    directorates: Vec<String>,
    #[serde(default)]
    data_sources: Vec<String>,
    #[serde(default)]
    indicators: Vec<Spanned<String>>,
    population: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCandidate {
    label_nl: String,
    #[serde(default)]
    label_en: String,
    proposed_in: String,
    group: Option<Spanned<String>>,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

fn parse_groups(
    ctx: &Ctx<'_>,
    model: &RiskModel,
    indicators: &[CatalogueIndicator],
) -> Result<(Vec<Group>, Vec<CandidateGroup>), CatalogueError> {
    let raw: RawGroupsFile = ctx.parse()?;
    let mut groups = Vec::new();
    let mut seen = HashSet::new();
    for spanned in raw.group {
        let g = spanned.into_inner();
        check_id(ctx, &g.id, "group")?;
        if !seen.insert(g.id.get_ref().clone()) {
            return Err(ctx.duplicate(&g.id, "group"));
        }
        for s in &g.named_by {
            ctx.one_of(s, "named_by", &GROUP_SOURCES)?;
        }
        if !["bestaand", "nieuw"].contains(&g.status.get_ref().as_str()) {
            return Err(ctx.err(
                g.status.span().start,
                "status",
                format!("expected bestaand or nieuw, found '{}'", g.status.get_ref()),
            ));
        }
        for c in &g.characteristics {
            if !model.characteristics.iter().any(|f| &f.id == c.get_ref()) {
                return Err(ctx.err(
                    c.span().start,
                    "characteristics",
                    format!("unknown characteristic '{}'", c.get_ref()),
                ));
            }
        }
        for t in &g.themes {
            if model.theme(t.get_ref()).is_none() {
                return Err(ctx.err(
                    t.span().start,
                    "themes",
                    format!("unknown theme '{}'", t.get_ref()),
                ));
            }
        }
        let mut ids = Vec::new();
        for i in &g.indicators {
            ids.push(
                known_indicator(ctx, indicators, i, "indicators")?
                    .indicator
                    .id
                    .clone(),
            );
        }
        groups.push(Group {
            id: g.id.into_inner(),
            number: g.number,
            label_en: if g.label_en.is_empty() {
                g.label_nl.clone()
            } else {
                g.label_en
            },
            label_nl: g.label_nl,
            named_by: g.named_by.into_iter().map(Spanned::into_inner).collect(),
            status: g.status.into_inner(),
            characteristics: g
                .characteristics
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            themes: g.themes.into_iter().map(Spanned::into_inner).collect(),
            description_nl: g.description_nl,
            description_en: g.description_en,
            policies: g.policies,
            directorates: g.directorates,
            data_sources: g.data_sources,
            indicators: ids,
            population: g.population,
        });
    }
    let mut candidates = Vec::new();
    for spanned in raw.candidate {
        let c = spanned.into_inner();
        if let Some(g) = &c.group {
            if !groups.iter().any(|x| &x.id == g.get_ref()) {
                return Err(ctx.err(
                    g.span().start,
                    "group",
                    format!("unknown group '{}' (not a [[group]] id)", g.get_ref()),
                ));
            }
        }
        candidates.push(CandidateGroup {
            label_en: if c.label_en.is_empty() {
                c.label_nl.clone()
            } else {
                c.label_en
            },
            label_nl: c.label_nl,
            proposed_in: c.proposed_in,
            group: c.group.map(Spanned::into_inner),
            note_nl: c.note_nl,
            note_en: c.note_en,
        });
    }
    Ok((groups, candidates))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Indicator;

    fn indicator(id: &str, direction: Direction) -> CatalogueIndicator {
        CatalogueIndicator {
            indicator: Indicator {
                id: IndicatorId::new(id).unwrap(),
                label_nl: id.into(),
                label_en: id.into(),
                unit: "%".into(),
                direction,
                source: "test".into(),
                decimals: 1,
                description: String::new(),
                additive: false,
                curated: true,
            },
            source_id: "t".into(),
            population_code: None,
            keys: vec![],
            population: String::new(),
            labels: vec![],
            relation: None,
        }
    }

    fn indicators() -> Vec<CatalogueIndicator> {
        vec![
            indicator("a_worse", Direction::HigherIsWorse),
            indicator("b_better", Direction::HigherIsBetter),
            indicator("c_count", Direction::Neutral),
            indicator("d_total", Direction::Neutral),
        ]
    }

    const FACTORS: &str = r#"
[[characteristic]]
id = "buffer"
label_nl = "Kleine financiële buffer"

[[characteristic.definition]]
levels = ["gemeente", "ggd"]
population = "jongvolwassenen 16–25 jaar"
terms = [
  { indicator = "a_worse", weight = 0.5 },
  { indicator = "b_better", weight = 0.5 },
]

[[characteristic]]
id = "leeftijd"
label_nl = "Leeftijd"

[[characteristic.definition]]
levels = ["gemeente"]
population = "alle inwoners"
terms = [{ indicator = "c_count", per = "d_total", weight = 1, direction = "higher_is_worse" }]

[[protective_factor]]
id = "steun"
label_nl = "Sociale steun"
"#;

    const THEMES: &str = r#"
[[theme]]
id = "fysiek"
label_nl = "Fysieke gezondheid"

[[theme]]
id = "psychisch"
label_nl = "Psychische gezondheid"

[matrix]
themes = ["psychisch", "fysiek"]

[matrix.rows]
buffer   = [2, 1]
leeftijd = [3, 0]
"#;

    fn files(pairs: &[(&str, &str)]) -> Vec<CatalogueFile> {
        pairs
            .iter()
            .map(|(n, t)| CatalogueFile {
                name: (*n).into(),
                text: (*t).into(),
            })
            .collect()
    }

    fn parse(pairs: &[(&str, &str)]) -> Result<RiskModel, CatalogueError> {
        RiskModel::parse(&files(pairs), &indicators())
    }

    #[test]
    fn a_valid_model_resolves_directions_shares_and_matrix_columns() {
        let m = parse(&[("characteristics.toml", FACTORS), ("themes.toml", THEMES)]).unwrap();
        assert_eq!(m.characteristics.len(), 2);
        assert_eq!(m.protective.len(), 1);
        let buffer = m.factor("buffer").unwrap();
        let def = buffer.definition_at(Level::Ggd, 2024).unwrap();
        assert_eq!(
            def.terms[1].direction,
            Direction::HigherIsBetter,
            "inherited"
        );
        assert!(buffer.definition_at(Level::Wijk, 2024).is_none(), "a gap");
        let age = &m.factor("leeftijd").unwrap().definitions[0].terms[0];
        assert_eq!(age.per.as_ref().unwrap().as_str(), "d_total");
        assert_eq!(age.decimals, 1);
        // The matrix names its columns in another order than [[theme]]: values follow names.
        assert_eq!(m.matrix_value("buffer", "fysiek"), 1);
        assert_eq!(m.matrix_value("buffer", "psychisch"), 2);
        assert_eq!(m.matrix.values, vec![vec![1, 2], vec![0, 3]]);
        assert_eq!(m.method, MethodParams::default());
    }

    fn expect_err(pairs: &[(&str, &str)]) -> CatalogueError {
        parse(pairs).expect_err("should be refused")
    }

    #[test]
    fn weights_that_do_not_sum_to_one_name_file_line_and_field() {
        let text = FACTORS.replace(
            "{ indicator = \"b_better\", weight = 0.5 }",
            "{ indicator = \"b_better\", weight = 0.4 }",
        );
        let e = expect_err(&[("characteristics.toml", &text)]);
        assert_eq!(e.file, "characteristics.toml");
        assert_eq!(e.field.as_deref(), Some("terms.weight"));
        assert_eq!(e.line, 9, "{e}");
        assert!(e.message.contains("sum to 0.9"), "{e}");
    }

    #[test]
    fn unknown_indicator_is_refused_where_it_is_written() {
        let text = FACTORS.replace("\"a_worse\"", "\"a_wrose\"");
        let e = expect_err(&[("characteristics.toml", &text)]);
        assert_eq!((e.line, e.field.as_deref()), (10, Some("terms.indicator")));
        assert!(e.message.contains("unknown indicator 'a_wrose'"), "{e}");
    }

    #[test]
    fn a_neutral_indicator_or_a_share_needs_an_explicit_direction() {
        let text = FACTORS.replace(", direction = \"higher_is_worse\"", "");
        let e = expect_err(&[("characteristics.toml", &text)]);
        assert_eq!(e.field.as_deref(), Some("terms.direction"));
        assert_eq!(e.line, 21);
        let neutral = FACTORS.replace(
            "{ indicator = \"a_worse\", weight = 0.5 }",
            "{ indicator = \"c_count\", weight = 0.5 }",
        );
        let e = expect_err(&[("characteristics.toml", &neutral)]);
        assert!(e.message.contains("neutral"), "{e}");
        let bad = FACTORS.replace("\"higher_is_worse\"", "\"neutral\"");
        assert_eq!(
            expect_err(&[("characteristics.toml", &bad)])
                .field
                .as_deref(),
            Some("terms.direction")
        );
    }

    #[test]
    fn duplicate_ids_and_duplicate_levels_are_refused() {
        let dup = FACTORS.replace("id = \"steun\"", "id = \"buffer\"");
        let e = expect_err(&[("characteristics.toml", &dup)]);
        assert!(e.message.contains("duplicate factor id 'buffer'"), "{e}");
        assert_eq!(e.line, 24);
        let level = FACTORS.replace(
            "levels = [\"gemeente\", \"ggd\"]",
            "levels = [\"gemeente\", \"gemeente\"]",
        );
        let e = expect_err(&[("characteristics.toml", &level)]);
        assert_eq!(e.field.as_deref(), Some("definition.levels"));
        let pop = FACTORS.replace("population = \"alle inwoners\"\n", "");
        let e = expect_err(&[("characteristics.toml", &pop)]);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (18, Some("definition.population"))
        );
    }

    #[test]
    fn a_matrix_of_the_wrong_shape_is_refused() {
        let short = THEMES.replace("buffer   = [2, 1]", "buffer   = [2]");
        let e = expect_err(&[("characteristics.toml", FACTORS), ("themes.toml", &short)]);
        assert_eq!(e.line, 14, "{e}");
        assert_eq!(e.field.as_deref(), Some("matrix.rows.buffer"));
        assert!(e.message.contains("wrong shape"), "{e}");
        let missing_row = THEMES.replace("leeftijd = [3, 0]\n", "");
        let e = expect_err(&[
            ("characteristics.toml", FACTORS),
            ("themes.toml", &missing_row),
        ]);
        assert!(e.message.contains("'leeftijd' has no row"), "{e}");
        let missing_col = THEMES
            .replace(
                "themes = [\"psychisch\", \"fysiek\"]",
                "themes = [\"psychisch\"]",
            )
            .replace("[2, 1]", "[2]")
            .replace("[3, 0]", "[3]");
        let e = expect_err(&[
            ("characteristics.toml", FACTORS),
            ("themes.toml", &missing_col),
        ]);
        assert_eq!((e.line, e.field.as_deref()), (11, Some("matrix.themes")));
        let too_big = THEMES.replace("[3, 0]", "[4, 0]");
        let e = expect_err(&[("characteristics.toml", FACTORS), ("themes.toml", &too_big)]);
        assert!(e.message.contains("0 to 3"), "{e}");
        let unknown = THEMES.replace("leeftijd =", "leeftijdd =");
        let e = expect_err(&[("characteristics.toml", FACTORS), ("themes.toml", &unknown)]);
        assert_eq!(e.line, 15);
    }

    #[test]
    fn method_parameters_are_checked() {
        let m = parse(&[(
            "method.toml",
            "[stacking]\nthreshold = 80.0\npercentile_decimals = 0\n",
        )])
        .unwrap();
        assert_eq!(m.method.threshold, 80.0);
        assert_eq!(m.method.percentile_decimals, 0);
        let e = expect_err(&[("method.toml", "[stacking]\nthreshold = 0.9e3\n")]);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (2, Some("stacking.threshold"))
        );
        let e = expect_err(&[("method.toml", "[stacking]\ntreshold = 90.0\n")]);
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn composite_uncertainty_and_cluster_settings_are_parsed_and_checked() {
        let text = "[composite]\nnormalisation = \"z_score\"\nweighting = \"matrix\"\naggregation = \"geometric\"\n\n[uncertainty]\nruns = 50\nseed = 7\nnormalisations = [\"percent_rank\", \"min_max\"]\nweight_noise = 0\n\n[clusters]\npermutations = 99\nalternative = \"directed\"\nfdr = true\n";
        let m = parse(&[("method.toml", text)]).unwrap().method;
        assert_eq!(
            m.composite,
            CompositeMethod {
                normalisation: NormalisationChoice::ZScore,
                weighting: WeightingChoice::Matrix,
                aggregation: AggregationChoice::Geometric,
            }
        );
        assert_eq!((m.uncertainty.runs, m.uncertainty.seed), (50, 7));
        assert_eq!(
            m.uncertainty.normalisations,
            [
                NormalisationChoice::PercentRank,
                NormalisationChoice::MinMax
            ]
        );
        assert_eq!(
            m.uncertainty.weightings,
            WeightingChoice::ALL,
            "default kept"
        );
        assert_eq!(m.uncertainty.weight_noise, 0.0);
        assert_eq!(m.clusters.permutations, 99);
        assert_eq!(m.clusters.alternative, ClusterAlternative::Directed);
        assert!(m.clusters.fdr);
        assert_eq!(m.clusters.seed, ClusterParams::default().seed);

        let e = expect_err(&[("method.toml", "[composite]\nnormalisation = \"rank\"\n")]);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (2, Some("composite.normalisation"))
        );
        assert!(
            e.message
                .contains("percent_rank, min_max, z_score, exponential_rank"),
            "{e}"
        );
        let e = expect_err(&[("method.toml", "[uncertainty]\nruns = 1\n")]);
        assert_eq!(e.field.as_deref(), Some("uncertainty.runs"));
        let e = expect_err(&[(
            "method.toml",
            "[uncertainty]\naggregations = [\"arithmetic\", \"arithmetic\"]\n",
        )]);
        assert!(e.message.contains("listed twice"), "{e}");
        let e = expect_err(&[("method.toml", "[uncertainty]\nweightings = []\n")]);
        assert_eq!(e.field.as_deref(), Some("uncertainty.weightings"));
        let e = expect_err(&[("method.toml", "\n[clusters]\nalpha = 0.5\n")]);
        assert_eq!((e.line, e.field.as_deref()), (3, Some("clusters.alpha")));
        let e = expect_err(&[("method.toml", "[clusters]\nalternative = \"two_sided\"\n")]);
        assert!(e.message.contains("two-sided, directed, folded"), "{e}");
        // Results stored before these settings existed still read, with the defaults.
        let old: MethodParams = serde_json::from_str(
            r#"{"threshold":90.0,"percentile_decimals":1,"min_available_weight":0.5,"composite_min_share":0.5}"#,
        )
        .unwrap();
        assert_eq!(old, MethodParams::default());
    }

    #[test]
    fn groups_refer_to_known_sources_characteristics_and_groups() {
        let groups = r#"
[[group]]
id = "jongeren"
number = 1
label_nl = "Kwetsbare jongeren"
named_by = ["MSP", "Veld"]
status = "bestaand"
characteristics = ["buffer"]
indicators = ["a_worse"]

[[candidate]]
label_nl = "Zorgbehoevenden"
proposed_in = "Sponsoroverleg"
"#;
        let base = [("characteristics.toml", FACTORS), ("themes.toml", THEMES)];
        let m = parse(&[base[0], base[1], ("groups.toml", groups)]).unwrap();
        assert_eq!(m.group("jongeren").unwrap().named_by, vec!["MSP", "Veld"]);
        assert_eq!(m.candidates[0].group, None);
        let bad = groups.replace("\"Veld\"", "\"Krant\"");
        let e = expect_err(&[base[0], base[1], ("groups.toml", &bad)]);
        assert_eq!((e.line, e.field.as_deref()), (6, Some("named_by")));
        let bad = groups.replace("[\"buffer\"]", "[\"bufer\"]");
        let e = expect_err(&[base[0], base[1], ("groups.toml", &bad)]);
        assert_eq!(e.field.as_deref(), Some("characteristics"));
        let bad = format!("{groups}group = \"ouderen\"\n");
        let e = expect_err(&[base[0], base[1], ("groups.toml", &bad)]);
        assert_eq!((e.line, e.field.as_deref()), (14, Some("group")));
    }
}
