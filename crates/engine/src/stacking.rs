//! Stacking of risk characteristics per area: scores, flags, stacking counts, theme exposure
//! and a composite, with a trace of every number.
//!
//! The method, per level and period, over the regions of that level:
//!
//! 1. **Term values.** A term is an indicator, or a share `100 × (a + b…) / d` derived from
//!    counts; values are rounded to the term's displayed decimals first (the product's rule:
//!    what is compared is what is shown).
//! 2. **Normalisation.** Each term's values are aligned so that higher is less favourable and
//!    turned into a percentile rank (`PERCENTRANK.INC`, SVI-compatible, 4 decimals like the
//!    SVI's `EPL_*`).
//! 3. **Score.** A factor's score is the weighted mean of its terms' percentile ranks. The
//!    missing-indicator rule: a region missing some terms is scored on the others, weights
//!    renormalised, only when their nominal weights add up to at least
//!    [`MethodParams::min_available_weight`]; otherwise the factor has no score there. Nothing
//!    is ever imputed.
//! 4. **Percentile and flag.** The scores are ranked again (percentile rank × 100, rounded to
//!    [`MethodParams::percentile_decimals`]); a factor is **flagged** when that *rounded*
//!    percentile is at least [`MethodParams::threshold`] — the number shown and the number
//!    compared are the same (justice40 #1053).
//! 5. **Stacking count.** Per region: flagged risk characteristics out of those with a score
//!    there. Protective factors are flagged when *weak* (their percentile counts from strong to
//!    weak protection) and counted separately, never in the stacking count.
//! 6. **Themes.** Exposure to a theme is the mean of the region's characteristic percentiles
//!    weighted by the characteristic × theme matrix, over the characteristics with a score
//!    there; the share of the theme's matrix weight that was measured is reported beside it.
//! 7. **Composite.** [`crate::composite::compute_composite`] over the characteristic scores of
//!    the characteristics with data at this level, with the method of
//!    [`StackingInput::composite`]; its rank and displayed percentile. [`mean_percentile_spec`]
//!    is the default: the mean of the displayed characteristic percentiles, when enough
//!    characteristics have a score.
//!
//! Everything works on columns aligned with one region list; the caller owns region codes.

use kwm_model::risk::{FactorKind, MethodParams};
use kwm_model::Direction;
use serde::{Deserialize, Serialize};

use crate::composite::{
    compute_composite, Aggregation, CompositeError, CompositeResult, CompositeSpec, Normalisation,
    Table, TableIndicator, Weighting,
};
use crate::rank::{percent_rank_inc, ranks_unfavourable_first, round_half_away};

/// Values of one indicator, one per region, in the caller's region order.
pub type Column = Vec<Option<f64>>;

/// Decimals of the per-term percentile ranks (as the SVI's `EPL_*`).
pub const TERM_PERCENTILE_DECIMALS: u32 = 4;

/// Scores are rounded to this many decimals before ranking, so that float noise from
/// renormalised weights can never break a tie between equal scores.
const SCORE_DECIMALS: u32 = 9;

/// One weighted term of a factor, with its data.
#[derive(Debug, Clone, PartialEq)]
pub struct TermInput {
    /// The indicator id (the numerator's, for a share), for the trace.
    pub indicator: String,
    /// Nominal weight.
    pub weight: f64,
    /// Which way is unfavourable: `HigherIsWorse` or `HigherIsBetter` (neutral is treated as
    /// `HigherIsWorse`; the catalogue refuses it).
    pub direction: Direction,
    /// Decimals the term's value is shown and ranked with.
    pub decimals: u32,
    /// The indicator's column, followed by columns added to it (`plus`).
    pub numerator: Vec<Column>,
    /// The denominator's column: the term is then `100 × Σ numerator / denominator`.
    pub denominator: Option<Column>,
}

/// A factor at one level: its terms (empty when the factor has no definition here — a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct FactorInput {
    /// Factor id.
    pub id: String,
    /// Risk characteristic or protective factor.
    pub kind: FactorKind,
    /// Terms.
    pub terms: Vec<TermInput>,
}

/// Everything the computation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StackingInput {
    /// Number of regions; every column has this length.
    pub regions: usize,
    /// Factors, risk and protective, in catalogue order.
    pub factors: Vec<FactorInput>,
    /// Theme ids, in catalogue order.
    pub themes: Vec<String>,
    /// `matrix[c][t]`: the row of the `c`-th *risk* factor (in the order they appear in
    /// `factors`) for theme `t`.
    pub matrix: Vec<Vec<u8>>,
    /// Method parameters of scores, percentiles and flags. (The composite's minimum share is
    /// read from `composite.min_coverage`, not from here.)
    pub params: MethodParams,
    /// The composite's method. A weighting may name all risk characteristics; it is restricted
    /// to those with data ([`Weighting::restricted_to`]).
    pub composite: CompositeSpec,
}

/// Input that does not fit together (a caller's bug, not a data problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stacking input: {0}")]
pub struct StackingInputError(pub String);

/// Why stacking results could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StackingError {
    /// The input does not fit together.
    #[error(transparent)]
    Input(#[from] StackingInputError),
    /// The composite's method cannot apply to these data (e.g. min-max on a characteristic
    /// with one value everywhere).
    #[error("composite index: {0}")]
    Composite(#[from] CompositeError),
}

/// How one term contributed to one region's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermTrace {
    /// Indicator id.
    pub indicator: String,
    /// Raw inputs: the numerator values, then the denominator when there is one.
    pub inputs: Vec<Option<f64>>,
    /// The term's value as shown (rounded to its decimals); `None` when an input is missing.
    pub value: Option<f64>,
    /// Rank among the regions with a value, 1 = least favourable.
    pub rank: Option<usize>,
    /// Regions with a value.
    pub ranked: usize,
    /// Percentile rank of the aligned value, 0–1, 4 decimals.
    pub percentile: Option<f64>,
    /// Nominal weight.
    pub weight: f64,
    /// Weight used after renormalisation; `None` when the term did not count.
    pub effective_weight: Option<f64>,
}

/// One factor for one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorResult {
    /// Weighted mean of term percentile ranks (0–1); `None` when the missing-indicator rule
    /// leaves the factor without a score here.
    pub score: Option<f64>,
    /// Rank of the score, 1 = least favourable.
    pub rank: Option<usize>,
    /// Regions with a score.
    pub ranked: usize,
    /// Percentile rank of the score × 100, rounded to the displayed decimals.
    pub percentile: Option<f64>,
    /// Percentile ≥ threshold (for a protective factor: weak protection).
    pub flagged: bool,
    /// Sum of nominal weights of the terms with a value.
    pub available_weight: f64,
    /// Per term: inputs, value, rank, percentile and weights.
    pub terms: Vec<TermTrace>,
}

/// A characteristic behind a theme's exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeDriver {
    /// Characteristic id.
    pub characteristic: String,
    /// Matrix value (1–3).
    pub weight: u8,
    /// The characteristic's percentile in this region.
    pub percentile: f64,
    /// Whether it is flagged here.
    pub flagged: bool,
    /// Its share of the exposure (0–1).
    pub contribution: f64,
}

/// One theme for one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeResult {
    /// Matrix-weighted mean of characteristic percentiles (0–100, displayed decimals).
    pub exposure: Option<f64>,
    /// Rank of the exposure among regions, 1 = most exposed.
    pub rank: Option<usize>,
    /// Regions with an exposure.
    pub ranked: usize,
    /// Share of the theme's total matrix weight measured in this region (0–1).
    pub coverage: f64,
    /// Sum of matrix values of the flagged characteristics.
    pub flagged_weight: u32,
    /// Characteristics with a non-zero matrix value and a score, largest contribution first.
    pub drivers: Vec<ThemeDriver>,
}

/// Everything computed for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionResult {
    /// One result per input factor, in input order.
    pub factors: Vec<FactorResult>,
    /// Flagged risk characteristics: the stacking count.
    pub flagged: usize,
    /// Risk characteristics with a score here.
    pub with_data: usize,
    /// Weak protective factors.
    pub weak_protective: usize,
    /// Protective factors with a score here.
    pub protective_with_data: usize,
    /// One result per theme, in input order.
    pub themes: Vec<ThemeResult>,
    /// Composite: mean characteristic percentile (0–1).
    pub composite: Option<f64>,
    /// Rank of the composite, 1 = most vulnerable.
    pub composite_rank: Option<usize>,
    /// Percentile rank of the composite × 100, displayed decimals.
    pub composite_percentile: Option<f64>,
}

/// The result for all regions.
#[derive(Debug, Clone, PartialEq)]
pub struct StackingResult {
    /// Per region, in input order.
    pub regions: Vec<RegionResult>,
    /// `distribution[k]`: regions with stacking count `k` (0 ..= number of risk
    /// characteristics), among regions with at least one characteristic with a score.
    pub distribution: Vec<usize>,
    /// Regions without any characteristic score.
    pub no_data: usize,
    /// Risk characteristics with a score in at least one region.
    pub characteristics_with_data: usize,
    /// Regions with a composite.
    pub composite_ranked: usize,
    /// The table the composite was computed on (units = region indices as strings, one
    /// indicator per risk characteristic with data); `None` when no characteristic has data.
    pub composite_table: Option<Table>,
    /// The composite with its effective method, weights and normalised values.
    pub composite: Option<CompositeResult>,
}

/// The value of a term for one region: the indicator, or the share `100 × Σ numerator /
/// denominator`; `None` when any input is missing or the denominator is not positive.
fn term_value(term: &TermInput, region: usize) -> (Vec<Option<f64>>, Option<f64>) {
    let mut inputs: Vec<Option<f64>> = term.numerator.iter().map(|c| c[region]).collect();
    let value = match &term.denominator {
        None => inputs.first().copied().flatten(),
        Some(den) => {
            let d = den[region];
            inputs.push(d);
            let num: Option<f64> = term.numerator.iter().map(|c| c[region]).sum();
            match (num, d) {
                (Some(n), Some(d)) if d > 0.0 => Some(100.0 * n / d),
                _ => None,
            }
        }
    };
    (
        inputs,
        value
            .filter(|v| v.is_finite())
            .map(|v| round_half_away(v, term.decimals)),
    )
}

/// Percentile rank × 100, rounded to `decimals` — the one number both shown and compared.
fn displayed_percentiles(values: &[Option<f64>], decimals: u8) -> Vec<Option<f64>> {
    percent_rank_inc(values)
        .into_iter()
        .map(|p| p.map(|p| round_half_away(p * 100.0, u32::from(decimals))))
        .collect()
}

/// Whether a displayed percentile is flagged. Both sides are the displayed numbers.
pub fn is_flagged(displayed_percentile: f64, params: &MethodParams) -> bool {
    displayed_percentile >= params.threshold
}

/// The composite method that reproduces the monitor's first composite, the mean of a region's
/// displayed characteristic percentiles: percentile ranks of the scores rounded to the
/// displayed decimals (`percentile_decimals + 2` on the 0–1 scale), equal weights, an
/// arithmetic mean, and a score only for regions with at least `composite_min_share` of the
/// characteristics with data (at least one: a share of 0 means one).
pub fn mean_percentile_spec(params: &MethodParams) -> CompositeSpec {
    CompositeSpec {
        winsorise: None,
        normalisation: Normalisation::PercentRank,
        weighting: Weighting::Equal,
        aggregation: Aggregation::Arithmetic,
        min_coverage: params.composite_min_share.max(f64::MIN_POSITIVE),
        normalised_decimals: Some(u32::from(params.percentile_decimals) + 2),
    }
}

/// The composite's table: one indicator per risk characteristic with a score somewhere
/// (catalogue order), its scores as values ("higher is worse"); units are region indices.
fn composite_table(
    input: &StackingInput,
    risk: &[(&str, &Vec<FactorResult>)],
) -> Result<Option<Table>, StackingError> {
    let indicators: Vec<TableIndicator> = risk
        .iter()
        .filter(|(_, r)| r.iter().any(|x| x.score.is_some()))
        .map(|(id, r)| TableIndicator {
            id: (*id).to_string(),
            direction: Direction::HigherIsWorse,
            values: r.iter().map(|x| x.score).collect(),
        })
        .collect();
    if indicators.is_empty() || input.regions == 0 {
        return Ok(None);
    }
    let units = (0..input.regions).map(|r| r.to_string()).collect();
    Ok(Some(Table::new(units, indicators)?))
}

fn check(input: &StackingInput) -> Result<(), StackingInputError> {
    for f in &input.factors {
        for t in &f.terms {
            let columns = t.numerator.iter().chain(t.denominator.iter());
            if t.numerator.is_empty() {
                return Err(StackingInputError(format!(
                    "term {} of {} has no numerator",
                    t.indicator, f.id
                )));
            }
            if let Some(c) = columns.clone().find(|c| c.len() != input.regions) {
                return Err(StackingInputError(format!(
                    "a column of term {} of {} has {} values for {} regions",
                    t.indicator,
                    f.id,
                    c.len(),
                    input.regions
                )));
            }
        }
    }
    let risk = input
        .factors
        .iter()
        .filter(|f| f.kind == FactorKind::Risk)
        .count();
    if input.matrix.len() != risk || input.matrix.iter().any(|r| r.len() != input.themes.len()) {
        return Err(StackingInputError(format!(
            "the matrix must have {risk} rows of {} values",
            input.themes.len()
        )));
    }
    Ok(())
}

/// One term over all regions: per region its inputs and value, rank and percentile rank.
struct TermColumn {
    cells: Vec<(Vec<Option<f64>>, Option<f64>)>,
    ranks: Vec<Option<usize>>,
    percentiles: Vec<Option<f64>>,
    ranked: usize,
}

/// Scores one factor for all regions.
fn factor_results(
    factor: &FactorInput,
    regions: usize,
    params: &MethodParams,
) -> Vec<FactorResult> {
    // Per term: values, ranks and percentile ranks over the regions with a value.
    let per_term: Vec<TermColumn> = factor
        .terms
        .iter()
        .map(|t| {
            let cells: Vec<(Vec<Option<f64>>, Option<f64>)> =
                (0..regions).map(|r| term_value(t, r)).collect();
            let values: Vec<Option<f64>> = cells.iter().map(|c| c.1).collect();
            let direction = if t.direction == Direction::HigherIsBetter {
                Direction::HigherIsBetter
            } else {
                Direction::HigherIsWorse
            };
            let ranks = ranks_unfavourable_first(&values, direction);
            let aligned: Vec<Option<f64>> = values
                .iter()
                .map(|v| {
                    v.map(|x| {
                        if direction == Direction::HigherIsBetter {
                            -x
                        } else {
                            x
                        }
                    })
                })
                .collect();
            let percentiles: Vec<Option<f64>> = percent_rank_inc(&aligned)
                .into_iter()
                .map(|p| p.map(|p| round_half_away(p, TERM_PERCENTILE_DECIMALS)))
                .collect();
            let ranked = values.iter().flatten().count();
            TermColumn {
                cells,
                ranks,
                percentiles,
                ranked,
            }
        })
        .collect();

    let mut results: Vec<FactorResult> = (0..regions)
        .map(|r| {
            let available: f64 = factor
                .terms
                .iter()
                .zip(&per_term)
                .filter(|(_, col)| col.percentiles[r].is_some())
                .map(|(t, _)| t.weight)
                .sum();
            // The tolerance absorbs float noise in sums of typed weights (0.1 + 0.2 ≥ 0.3).
            let scored = available > 0.0 && available + 1e-9 >= params.min_available_weight;
            let mut score_sum = 0.0;
            let terms = factor
                .terms
                .iter()
                .zip(&per_term)
                .map(|(t, col)| {
                    let effective =
                        (scored && col.percentiles[r].is_some()).then(|| t.weight / available);
                    if let (Some(w), Some(p)) = (effective, col.percentiles[r]) {
                        score_sum += w * p;
                    }
                    TermTrace {
                        indicator: t.indicator.clone(),
                        inputs: col.cells[r].0.clone(),
                        value: col.cells[r].1,
                        rank: col.ranks[r],
                        ranked: col.ranked,
                        percentile: col.percentiles[r],
                        weight: t.weight,
                        effective_weight: effective,
                    }
                })
                .collect();
            FactorResult {
                score: scored.then(|| round_half_away(score_sum, SCORE_DECIMALS)),
                rank: None,
                ranked: 0,
                percentile: None,
                flagged: false,
                available_weight: available,
                terms,
            }
        })
        .collect();

    let scores: Vec<Option<f64>> = results.iter().map(|f| f.score).collect();
    let ranks = ranks_unfavourable_first(&scores, Direction::HigherIsWorse);
    let percentiles = displayed_percentiles(&scores, params.percentile_decimals);
    let ranked = scores.iter().flatten().count();
    for (r, f) in results.iter_mut().enumerate() {
        f.rank = ranks[r];
        f.ranked = ranked;
        f.percentile = percentiles[r];
        f.flagged = percentiles[r].is_some_and(|p| is_flagged(p, params));
    }
    results
}

/// Theme results for all regions. `risk` holds, per risk characteristic (matrix order), its
/// id and per-region results.
fn theme_results(
    input: &StackingInput,
    risk: &[(&str, &Vec<FactorResult>)],
) -> Vec<Vec<ThemeResult>> {
    let d = u32::from(input.params.percentile_decimals);
    let mut per_theme: Vec<Vec<ThemeResult>> = Vec::with_capacity(input.themes.len());
    for t in 0..input.themes.len() {
        let total: u32 = input.matrix.iter().map(|row| u32::from(row[t])).sum();
        let mut column: Vec<ThemeResult> = (0..input.regions)
            .map(|r| {
                let mut weighted = 0.0;
                let mut measured = 0u32;
                let mut flagged_weight = 0u32;
                let mut drivers = Vec::new();
                for (c, (id, results)) in risk.iter().enumerate() {
                    let w = input.matrix[c][t];
                    let res = &results[r];
                    if let (Some(p), true) = (res.percentile, w > 0) {
                        weighted += f64::from(w) * p;
                        measured += u32::from(w);
                        if res.flagged {
                            flagged_weight += u32::from(w);
                        }
                        drivers.push(ThemeDriver {
                            characteristic: (*id).to_string(),
                            weight: w,
                            percentile: p,
                            flagged: res.flagged,
                            contribution: f64::from(w) * p,
                        });
                    }
                }
                let exposure =
                    (measured > 0).then(|| round_half_away(weighted / f64::from(measured), d));
                for dr in &mut drivers {
                    dr.contribution = if weighted > 0.0 {
                        round_half_away(dr.contribution / weighted, 4)
                    } else {
                        0.0
                    };
                }
                drivers.sort_by(|a, b| {
                    b.contribution
                        .total_cmp(&a.contribution)
                        .then_with(|| b.weight.cmp(&a.weight))
                        .then_with(|| a.characteristic.cmp(&b.characteristic))
                });
                ThemeResult {
                    exposure,
                    rank: None,
                    ranked: 0,
                    coverage: if total > 0 {
                        round_half_away(f64::from(measured) / f64::from(total), 4)
                    } else {
                        0.0
                    },
                    flagged_weight,
                    drivers,
                }
            })
            .collect();
        let exposures: Vec<Option<f64>> = column.iter().map(|x| x.exposure).collect();
        let ranks = ranks_unfavourable_first(&exposures, Direction::HigherIsWorse);
        let ranked = exposures.iter().flatten().count();
        for (r, x) in column.iter_mut().enumerate() {
            x.rank = ranks[r];
            x.ranked = ranked;
        }
        per_theme.push(column);
    }
    per_theme
}

/// Computes scores, flags, stacking counts, their distribution, theme exposure and the
/// composite for every region.
pub fn compute(input: &StackingInput) -> Result<StackingResult, StackingError> {
    check(input)?;
    let params = &input.params;
    let by_factor: Vec<Vec<FactorResult>> = input
        .factors
        .iter()
        .map(|f| factor_results(f, input.regions, params))
        .collect();
    let risk: Vec<(&str, &Vec<FactorResult>)> = input
        .factors
        .iter()
        .zip(&by_factor)
        .filter(|(f, _)| f.kind == FactorKind::Risk)
        .map(|(f, r)| (f.id.as_str(), r))
        .collect();
    let characteristics_with_data = risk
        .iter()
        .filter(|(_, r)| r.iter().any(|x| x.score.is_some()))
        .count();
    let themes = theme_results(input, &risk);
    let table = composite_table(input, &risk)?;
    let composite = match &table {
        None => None,
        Some(t) => {
            let ids: Vec<&str> = t.indicators().iter().map(|i| i.id.as_str()).collect();
            let spec = CompositeSpec {
                weighting: input.composite.weighting.restricted_to(&ids),
                ..input.composite.clone()
            };
            Some(compute_composite(t, &spec)?)
        }
    };

    let mut regions: Vec<RegionResult> = (0..input.regions)
        .map(|r| {
            let count = |kind: FactorKind, pred: &dyn Fn(&FactorResult) -> bool| {
                input
                    .factors
                    .iter()
                    .zip(&by_factor)
                    .filter(|(f, res)| f.kind == kind && pred(&res[r]))
                    .count()
            };
            RegionResult {
                factors: by_factor.iter().map(|res| res[r].clone()).collect(),
                flagged: count(FactorKind::Risk, &|x| x.flagged),
                with_data: count(FactorKind::Risk, &|x| x.score.is_some()),
                weak_protective: count(FactorKind::Protective, &|x| x.flagged),
                protective_with_data: count(FactorKind::Protective, &|x| x.score.is_some()),
                themes: themes.iter().map(|t| t[r].clone()).collect(),
                composite: composite.as_ref().and_then(|c| c.scores[r]),
                composite_rank: None,
                composite_percentile: None,
            }
        })
        .collect();
    let composites: Vec<Option<f64>> = regions.iter().map(|r| r.composite).collect();
    let percentiles = displayed_percentiles(&composites, params.percentile_decimals);
    for (i, r) in regions.iter_mut().enumerate() {
        r.composite_rank = composite.as_ref().and_then(|c| c.ranks[i]);
        r.composite_percentile = percentiles[i];
    }

    let risk_total = risk.len();
    let mut distribution = vec![0usize; risk_total + 1];
    let mut no_data = 0;
    for r in &regions {
        if r.with_data == 0 {
            no_data += 1;
        } else {
            distribution[r.flagged] += 1;
        }
    }
    Ok(StackingResult {
        composite_ranked: composites.iter().flatten().count(),
        regions,
        distribution,
        no_data,
        characteristics_with_data,
        composite_table: table,
        composite,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn term(id: &str, weight: f64, direction: Direction, values: &[Option<f64>]) -> TermInput {
        TermInput {
            indicator: id.into(),
            weight,
            direction,
            decimals: 1,
            numerator: vec![values.to_vec()],
            denominator: None,
        }
    }

    fn params(threshold: f64) -> MethodParams {
        MethodParams {
            threshold,
            ..MethodParams::default()
        }
    }

    /// Five regions, two characteristics and one protective factor; every expected number below
    /// is computed by hand in the comments.
    fn example(threshold: f64, min_available_weight: f64) -> StackingInput {
        StackingInput {
            regions: 5,
            factors: vec![
                FactorInput {
                    id: "buffer".into(),
                    kind: FactorKind::Risk,
                    terms: vec![
                        // Higher is worse; region 4 missing. Ascending min ranks 1,2,3,4 of n=4:
                        // percentiles 0, 1/3, 2/3, 1 → 0, 0.3333, 0.6667, 1.
                        term(
                            "a",
                            0.5,
                            Direction::HigherIsWorse,
                            &[Some(10.0), Some(20.0), Some(30.0), Some(40.0), None],
                        ),
                        // Higher is better, so aligned = −value: −50, −40, −40, −10, −30 rank 1,2,2,5,4
                        // of n=5: percentiles 0, 0.25, 0.25, 1, 0.75.
                        term(
                            "b",
                            0.5,
                            Direction::HigherIsBetter,
                            &[Some(50.0), Some(40.0), Some(40.0), Some(10.0), Some(30.0)],
                        ),
                    ],
                },
                FactorInput {
                    id: "health".into(),
                    kind: FactorKind::Risk,
                    // Ranks 1,2,3,3,5 of 5: percentiles 0, 25, 50, 50, 100.
                    terms: vec![term(
                        "c",
                        1.0,
                        Direction::HigherIsWorse,
                        &[Some(1.0), Some(2.0), Some(3.0), Some(3.0), Some(5.0)],
                    )],
                },
                FactorInput {
                    id: "digital".into(),
                    kind: FactorKind::Risk,
                    terms: vec![], // a gap at this level
                },
                FactorInput {
                    id: "support".into(),
                    kind: FactorKind::Protective,
                    // More support is better: region 0 has the least → weakest protection, 100.
                    terms: vec![term(
                        "s",
                        1.0,
                        Direction::HigherIsBetter,
                        &[Some(70.0), Some(80.0), Some(90.0), Some(95.0), Some(99.0)],
                    )],
                },
            ],
            themes: vec!["mental".into()],
            matrix: vec![vec![2], vec![1], vec![3]],
            params: MethodParams {
                threshold,
                min_available_weight,
                ..MethodParams::default()
            },
            composite: mean_percentile_spec(&MethodParams::default()),
        }
    }

    #[test]
    fn hand_computed_scores_percentiles_and_flags() {
        let res = compute(&example(90.0, 0.5)).unwrap();
        let buffer: Vec<Option<f64>> = res.regions.iter().map(|r| r.factors[0].score).collect();
        // Weighted means: 0; 0.5·0.3333+0.5·0.25; 0.5·0.6667+0.5·0.25; 1; region 4 only b (0.75),
        // renormalised since its available weight 0.5 meets the rule.
        assert_eq!(
            buffer,
            vec![
                Some(0.0),
                Some(0.29165),
                Some(0.45835),
                Some(1.0),
                Some(0.75)
            ]
        );
        let p: Vec<Option<f64>> = res
            .regions
            .iter()
            .map(|r| r.factors[0].percentile)
            .collect();
        assert_eq!(
            p,
            vec![Some(0.0), Some(25.0), Some(50.0), Some(100.0), Some(75.0)]
        );
        let t4 = &res.regions[4].factors[0].terms;
        assert_eq!(
            (t4[0].effective_weight, t4[1].effective_weight),
            (None, Some(1.0))
        );
        assert_eq!(t4[1].percentile, Some(0.75));
        assert_eq!(
            t4[1].rank,
            Some(2),
            "30 is the second-lowest of a higher-is-better term"
        );
        let flags: Vec<(bool, bool)> = res
            .regions
            .iter()
            .map(|r| (r.factors[0].flagged, r.factors[1].flagged))
            .collect();
        assert_eq!(
            flags,
            vec![
                (false, false),
                (false, false),
                (false, false),
                (true, false),
                (false, true)
            ]
        );
        assert_eq!(
            res.regions.iter().map(|r| r.flagged).collect::<Vec<_>>(),
            vec![0, 0, 0, 1, 1]
        );
        assert!(
            res.regions.iter().all(|r| r.with_data == 2),
            "the gap never counts"
        );
        assert_eq!(res.distribution, vec![3, 2, 0, 0]);
        assert_eq!(res.characteristics_with_data, 2);
        // Weak protection: region 0 has the least support.
        assert_eq!(res.regions[0].weak_protective, 1);
        assert_eq!(res.regions[0].factors[3].percentile, Some(100.0));
        // Theme: (2·p_buffer + 1·p_health) / 3, the gap's weight 3 unmeasured → coverage 3/6.
        let exposure: Vec<Option<f64>> = res.regions.iter().map(|r| r.themes[0].exposure).collect();
        assert_eq!(
            exposure,
            vec![Some(0.0), Some(25.0), Some(50.0), Some(83.3), Some(83.3)]
        );
        assert_eq!(res.regions[3].themes[0].coverage, 0.5);
        assert_eq!(res.regions[3].themes[0].flagged_weight, 2);
        assert_eq!(res.regions[3].themes[0].rank, Some(1));
        assert_eq!(
            res.regions[4].themes[0].rank,
            Some(1),
            "a tie shares rank 1"
        );
        let d = &res.regions[3].themes[0].drivers;
        assert_eq!(
            (d[0].characteristic.as_str(), d[0].contribution),
            ("buffer", 0.8)
        );
        // Composite: mean percentiles 0, .25, .5, .75, .875 → region 4 ranks first.
        let comp: Vec<Option<f64>> = res.regions.iter().map(|r| r.composite).collect();
        assert_eq!(
            comp,
            vec![Some(0.0), Some(0.25), Some(0.5), Some(0.75), Some(0.875)]
        );
        assert_eq!(res.regions[4].composite_rank, Some(1));
        assert_eq!(res.regions[4].composite_percentile, Some(100.0));
    }

    #[test]
    fn a_lower_threshold_flags_more_and_a_strict_missing_rule_scores_less() {
        let res = compute(&example(75.0, 0.5)).unwrap();
        assert_eq!(
            res.regions.iter().map(|r| r.flagged).collect::<Vec<_>>(),
            vec![0, 0, 0, 1, 2]
        );
        assert_eq!(res.distribution, vec![3, 1, 1, 0]);
        let strict = compute(&example(90.0, 1.0)).unwrap();
        let r4 = &strict.regions[4];
        assert_eq!(
            r4.factors[0].score, None,
            "only half the weight is available"
        );
        assert_eq!(r4.factors[0].terms[1].effective_weight, None);
        assert_eq!(r4.with_data, 1);
        // Four buffer scores remain: 0, 0.29165, 0.45835, 1 → percentiles 0, 33.3, 66.7, 100.
        assert_eq!(strict.regions[2].factors[0].percentile, Some(66.7));
        assert_eq!(strict.regions[0].factors[0].ranked, 4);
    }

    #[test]
    fn shares_are_derived_from_counts_and_rounded_before_ranking() {
        let t = TermInput {
            indicator: "young".into(),
            weight: 1.0,
            direction: Direction::HigherIsWorse,
            decimals: 1,
            numerator: vec![
                vec![Some(5.0), Some(10.0), Some(1.0), None],
                vec![Some(5.0), Some(0.0), Some(1.0), Some(1.0)],
            ],
            denominator: Some(vec![Some(100.0), Some(50.0), Some(0.0), Some(10.0)]),
        };
        assert_eq!(
            term_value(&t, 0),
            (vec![Some(5.0), Some(5.0), Some(100.0)], Some(10.0))
        );
        assert_eq!(term_value(&t, 1).1, Some(20.0));
        assert_eq!(
            term_value(&t, 2).1,
            None,
            "a zero denominator gives no share"
        );
        assert_eq!(
            term_value(&t, 3).1,
            None,
            "a missing numerator gives no share"
        );
        // 1/3 of 100 shows as 33.3 and ties with a region that has 33.3 exactly.
        let tie = TermInput {
            numerator: vec![vec![Some(1.0), Some(33.3)]],
            denominator: Some(vec![Some(3.0), Some(100.0)]),
            ..t
        };
        let res = factor_results(
            &FactorInput {
                id: "x".into(),
                kind: FactorKind::Risk,
                terms: vec![tie],
            },
            2,
            &params(90.0),
        );
        assert_eq!(res[0].percentile, res[1].percentile);
    }

    #[test]
    fn the_flag_uses_the_displayed_rounding() {
        // 11 regions: the 10th value's percentile is 9/10 = 90 exactly (flagged at 90), the 9th's
        // 8/10 = 80.
        let values: Vec<Option<f64>> = (1..=11).map(|v| Some(f64::from(v))).collect();
        let f = FactorInput {
            id: "x".into(),
            kind: FactorKind::Risk,
            terms: vec![term("v", 1.0, Direction::HigherIsWorse, &values)],
        };
        let res = factor_results(&f, 11, &params(90.0));
        assert_eq!(res[9].percentile, Some(90.0));
        assert!(res[9].flagged && !res[8].flagged);
        // With 1,000 regions the 900th value has p = 899/999 = 89.98998…: it shows as 90.0 at one decimal
        // and is flagged; at two decimals it shows 89.99 and is not.
        let many: Vec<Option<f64>> = (1..=1000).map(|v| Some(f64::from(v))).collect();
        let f = FactorInput {
            id: "x".into(),
            kind: FactorKind::Risk,
            terms: vec![term("v", 1.0, Direction::HigherIsWorse, &many)],
        };
        let one = factor_results(&f, 1000, &params(90.0));
        assert_eq!((one[899].percentile, one[899].flagged), (Some(90.0), true));
        let two = factor_results(
            &f,
            1000,
            &MethodParams {
                percentile_decimals: 2,
                ..params(90.0)
            },
        );
        assert_eq!(
            (two[899].percentile, two[899].flagged),
            (Some(89.99), false)
        );
    }

    #[test]
    fn mismatched_input_is_refused() {
        let mut bad = example(90.0, 0.5);
        bad.matrix.pop();
        assert!(compute(&bad).is_err());
        let mut bad = example(90.0, 0.5);
        bad.factors[0].terms[0].numerator[0].pop();
        assert!(compute(&bad)
            .unwrap_err()
            .to_string()
            .contains("4 values for 5 regions"));
    }

    fn arb_input() -> impl Strategy<Value = StackingInput> {
        (
            2usize..40,
            1usize..4,
            0u8..3,
            50.0f64..100.0,
            0.2f64..=1.0,
            prop_oneof![Just(0.0), Just(0.5), Just(1.0 / 3.0), Just(1.0)],
        )
            .prop_flat_map(|(regions, n_factors, decimals, threshold, min_w, share)| {
                let column = proptest::collection::vec(
                    proptest::option::weighted(0.85, 0.0f64..100.0),
                    regions,
                );
                let terms = proptest::collection::vec((column, 1u32..5, any::<bool>()), 1..3);
                (
                    proptest::collection::vec(terms, n_factors),
                    proptest::collection::vec(proptest::collection::vec(0u8..=3, 2), n_factors),
                )
                    .prop_map(move |(factors, matrix)| StackingInput {
                        regions,
                        factors: factors
                            .into_iter()
                            .enumerate()
                            .map(|(i, terms)| {
                                let total: u32 = terms.iter().map(|t| t.1).sum();
                                FactorInput {
                                    id: format!("f{i}"),
                                    kind: FactorKind::Risk,
                                    terms: terms
                                        .into_iter()
                                        .enumerate()
                                        .map(|(k, (values, w, better))| TermInput {
                                            indicator: format!("i{k}"),
                                            weight: f64::from(w) / f64::from(total),
                                            direction: if better {
                                                Direction::HigherIsBetter
                                            } else {
                                                Direction::HigherIsWorse
                                            },
                                            decimals: 1,
                                            numerator: vec![values],
                                            denominator: None,
                                        })
                                        .collect(),
                                }
                            })
                            .collect(),
                        themes: vec!["t0".into(), "t1".into()],
                        matrix,
                        params: MethodParams {
                            threshold,
                            percentile_decimals: decimals,
                            min_available_weight: min_w,
                            composite_min_share: share,
                            ..MethodParams::default()
                        },
                        composite: mean_percentile_spec(&MethodParams {
                            percentile_decimals: decimals,
                            composite_min_share: share,
                            ..MethodParams::default()
                        }),
                    })
            })
    }

    /// The monitor's first composite, as it was computed before the method became
    /// configurable: the mean of the displayed characteristic percentiles (0–100) as a share,
    /// when at least `min_count` characteristics have one; rounded like scores.
    fn composite_mean_percentile(percentiles: &[Option<f64>], min_count: usize) -> Option<f64> {
        let present: Vec<f64> = percentiles.iter().flatten().copied().collect();
        if present.is_empty() || present.len() < min_count {
            return None;
        }
        Some(round_half_away(
            present.iter().sum::<f64>() / present.len() as f64 / 100.0,
            SCORE_DECIMALS,
        ))
    }

    /// Composites and ranks by the first method, from a result's displayed percentiles.
    fn old_composite(input: &StackingInput, res: &StackingResult) -> Vec<Option<f64>> {
        let risk: Vec<usize> = (0..input.factors.len())
            .filter(|&i| input.factors[i].kind == FactorKind::Risk)
            .collect();
        let with_data = risk
            .iter()
            .filter(|&&i| res.regions.iter().any(|r| r.factors[i].score.is_some()))
            .count();
        let min_count = ((input.params.composite_min_share * with_data as f64) - 1e-9)
            .ceil()
            .max(1.0) as usize;
        res.regions
            .iter()
            .map(|r| {
                let p: Vec<Option<f64>> = risk.iter().map(|&i| r.factors[i].percentile).collect();
                composite_mean_percentile(&p, min_count)
            })
            .collect()
    }

    #[test]
    fn the_default_composite_is_the_mean_of_displayed_percentiles() {
        let input = example(90.0, 0.5);
        let res = compute(&input).unwrap();
        let old = old_composite(&input, &res);
        assert_eq!(
            old,
            vec![Some(0.0), Some(0.25), Some(0.5), Some(0.75), Some(0.875)]
        );
        let new: Vec<Option<f64>> = res.regions.iter().map(|r| r.composite).collect();
        assert_eq!(new, old);
        let c = res.composite.as_ref().unwrap();
        assert_eq!(
            c.indicators,
            ["buffer", "health"],
            "the gap is not in the table"
        );
        assert!(
            c.description
                .contains("percent_rank (rounded to 3 decimals)"),
            "{}",
            c.description
        );
    }

    #[test]
    fn another_composite_method_changes_the_composite_not_the_stacking() {
        let base = compute(&example(90.0, 0.5)).unwrap();
        let mut input = example(90.0, 0.5);
        input.composite = CompositeSpec {
            normalisation: Normalisation::MinMax {
                low: 0.0,
                high: 1.0,
            },
            weighting: Weighting::Matrix {
                matrix: crate::composite::ThemeMatrix {
                    characteristics: vec!["buffer".into(), "health".into(), "digital".into()],
                    themes: vec!["mental".into()],
                    values: vec![vec![2], vec![1], vec![3]],
                },
                theme_weights: None,
            },
            ..input.composite
        };
        let res = compute(&input).unwrap();
        // Matrix weights restricted to the measured characteristics: buffer 2/3, health 1/3.
        assert_eq!(
            res.composite.as_ref().unwrap().weights,
            [2.0 / 3.0, 1.0 / 3.0]
        );
        // Min-max of buffer scores 0, .29165, .45835, 1, .75 and health 1..5 (0, .25, .5, .5, 1):
        // region 3 = 2/3·1 + 1/3·0.5 = 0.833333333; region 4 = 2/3·0.75 + 1/3·1 = 0.833333333.
        let c: Vec<Option<f64>> = res.regions.iter().map(|r| r.composite).collect();
        assert_eq!(c[3], Some(0.833333333));
        assert_eq!(c[3], c[4], "equal scores tie");
        assert_eq!(
            (res.regions[3].composite_rank, res.regions[4].composite_rank),
            (Some(1), Some(1))
        );
        for (a, b) in base.regions.iter().zip(&res.regions) {
            assert_eq!(
                (&a.factors, a.flagged, &a.themes),
                (&b.factors, b.flagged, &b.themes)
            );
        }
        // A method that cannot apply is an error that says why.
        let mut bad = example(90.0, 0.5);
        bad.composite.aggregation = Aggregation::Geometric {
            zeros: crate::composite::ZeroRule::Refuse,
        };
        let e = compute(&bad).unwrap_err().to_string();
        assert!(
            e.starts_with("composite index:") && e.contains("positive values"),
            "{e}"
        );
    }

    proptest! {
        #[test]
        fn the_default_composite_reproduces_the_first_method(input in arb_input()) {
            let res = compute(&input).unwrap();
            let old = old_composite(&input, &res);
            let new: Vec<Option<f64>> = res.regions.iter().map(|r| r.composite).collect();
            prop_assert_eq!(&new, &old);
            let ranks = ranks_unfavourable_first(&old, Direction::HigherIsWorse);
            for (r, rank) in res.regions.iter().zip(ranks) {
                prop_assert_eq!(r.composite_rank, rank);
            }
        }

        #[test]
        fn flags_agree_with_the_displayed_percentile(input in arb_input()) {
            let res = compute(&input).unwrap();
            let d = usize::from(input.params.percentile_decimals);
            for r in &res.regions {
                for f in &r.factors {
                    if let Some(p) = f.percentile {
                        // The shown text, read back, is the number compared.
                        let shown: f64 = format!("{p:.d$}").parse().unwrap();
                        prop_assert_eq!(shown, p);
                        prop_assert_eq!(f.flagged, shown >= input.params.threshold);
                        prop_assert!((0.0..=100.0).contains(&p));
                    } else {
                        prop_assert!(!f.flagged && f.score.is_none());
                    }
                }
            }
        }

        #[test]
        fn counts_and_distribution_are_consistent(input in arb_input()) {
            let res = compute(&input).unwrap();
            let n_risk = input.factors.len();
            prop_assert_eq!(res.distribution.len(), n_risk + 1);
            prop_assert_eq!(res.distribution.iter().sum::<usize>() + res.no_data, input.regions);
            for r in &res.regions {
                prop_assert!(r.flagged <= r.with_data && r.with_data <= n_risk);
                prop_assert_eq!(r.flagged, r.factors.iter().filter(|f| f.flagged).count());
                for f in &r.factors {
                    if let Some(s) = f.score { prop_assert!((0.0..=1.0).contains(&s)); }
                    if f.score.is_some() {
                        prop_assert!(f.available_weight + 1e-9 >= input.params.min_available_weight);
                        let used: f64 = f.terms.iter().filter_map(|t| t.effective_weight).sum();
                        prop_assert!((used - 1.0).abs() < 1e-9);
                    }
                }
                for t in &r.themes {
                    prop_assert!((0.0..=1.0).contains(&t.coverage));
                    if let Some(e) = t.exposure { prop_assert!((0.0..=100.0).contains(&e)); }
                }
            }
        }

        #[test]
        fn results_do_not_depend_on_region_order(input in arb_input(), seed in any::<u64>()) {
            let n = input.regions;
            let mut order: Vec<usize> = (0..n).collect();
            let mut s = seed | 1;
            for i in (1..n).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                order.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let mut permuted = input.clone();
            for f in &mut permuted.factors {
                for t in &mut f.terms {
                    for c in &mut t.numerator { *c = order.iter().map(|&i| c[i]).collect(); }
                }
            }
            let a = compute(&input).unwrap();
            let b = compute(&permuted).unwrap();
            prop_assert_eq!(&a.distribution, &b.distribution);
            for (k, &i) in order.iter().enumerate() {
                prop_assert_eq!(&a.regions[i].factors, &b.regions[k].factors);
                prop_assert_eq!(a.regions[i].composite_rank, b.regions[k].composite_rank);
                prop_assert_eq!(&a.regions[i].themes, &b.regions[k].themes);
            }
        }

        #[test]
        fn a_single_term_factor_has_its_indicators_own_percentile(values in proptest::collection::vec(proptest::option::of(0.0f64..100.0), 2..50)) {
            // The region profile shows an indicator's percentile; a factor defined by that one
            // higher-is-worse indicator must show the same number.
            let f = FactorInput { id: "x".into(), kind: FactorKind::Risk, terms: vec![term("v", 1.0, Direction::HigherIsWorse, &values)] };
            let res = factor_results(&f, values.len(), &params(90.0));
            let shown: Vec<Option<f64>> = values.iter().map(|v| v.map(|x| round_half_away(x, 1))).collect();
            let expected = displayed_percentiles(&shown, 1);
            for (r, e) in res.iter().zip(expected) { prop_assert_eq!(r.percentile, e); }
        }
    }
}
