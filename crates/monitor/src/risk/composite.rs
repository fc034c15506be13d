//! The composite index of the risk model as configured in `method.toml`: its method, how much
//! a region's rank depends on the method (Monte Carlo with sensitivity indices), and its ranks
//! under the alternative methods side by side.
//!
//! The catalogue names choices (`percent_rank`, `matrix`, `geometric`); [`composite_spec`]
//! maps them onto the engine's [`CompositeSpec`] with fixed parameters, which are recorded
//! with every stored run. Everything here runs inside [`super::compute()`]; the results
//! are stored with the run, and [`comparison`] only reads them.

use std::collections::HashMap;

use kwm_engine::composite::{
    self, Aggregation, Alternatives, CompositeResult, CompositeSpec, Factor, Normalisation, Table,
    ThemeMatrix, UncertaintySpec, UnitRankStats, Weighting, ZeroRule,
};
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{
    AggregationChoice, CompositeMethod, MethodParams, NormalisationChoice, RiskModel,
    WeightingChoice,
};
use kwm_model::{Level, RegionCode};
use kwm_store::{RiskMethodRankRecord, Store};

use super::runs::{pick_run, result_periods, run_info, RunInfo};
pub use super::summary::{
    ChoiceKind, CompositeSummary, FactorSummary, IndexSummary, MethodSummary, UncertaintySummary,
};
use crate::layouts::region_names;
use crate::MonitorError;

/// The key of the nominal method among the compared methods.
pub const NOMINAL: &str = "nominal";

/// Rank shifts counted in the method comparison: regions moving more than this many places.
pub const SHIFT_THRESHOLDS: [usize; 4] = [5, 10, 25, 50];

/// The engine's method for the catalogue's choices. Fixed parameters: min-max onto 0–1,
/// z-scores with mean 0 and sd 1, the geometric mean of values rescaled to 1–100 (so a
/// percentile of 0 can enter it), matrix weights with equal theme weights. Normalised values
/// are rounded to the decimals percentiles are shown with (on the 0–1 scale), so that the
/// default composite is the mean of the percentiles on the page.
pub fn composite_spec(
    method: &MethodParams,
    model: &RiskModel,
    choice: CompositeMethod,
) -> CompositeSpec {
    CompositeSpec {
        winsorise: None,
        normalisation: normalisation(choice.normalisation),
        weighting: weighting(model, choice.weighting),
        aggregation: aggregation(choice.aggregation),
        // The catalogue allows 0, meaning "at least one characteristic"; the engine wants a share
        // above 0, and any share up to 1/d means the same.
        min_coverage: method.composite_min_share.max(f64::MIN_POSITIVE),
        normalised_decimals: Some(u32::from(method.percentile_decimals) + 2),
    }
}

fn normalisation(c: NormalisationChoice) -> Normalisation {
    match c {
        NormalisationChoice::PercentRank => Normalisation::PercentRank,
        NormalisationChoice::MinMax => Normalisation::MinMax {
            low: 0.0,
            high: 1.0,
        },
        NormalisationChoice::ZScore => Normalisation::ZScore { mean: 0.0, sd: 1.0 },
        NormalisationChoice::ExponentialRank => Normalisation::ExponentialRank,
    }
}

fn weighting(model: &RiskModel, c: WeightingChoice) -> Weighting {
    match c {
        WeightingChoice::Equal => Weighting::Equal,
        WeightingChoice::Matrix => Weighting::Matrix {
            matrix: ThemeMatrix {
                characteristics: model.characteristics.iter().map(|f| f.id.clone()).collect(),
                themes: model.themes.iter().map(|t| t.id.clone()).collect(),
                values: model.matrix.values.clone(),
            },
            theme_weights: None,
        },
    }
}

fn aggregation(c: AggregationChoice) -> Aggregation {
    match c {
        AggregationChoice::Arithmetic => Aggregation::Arithmetic,
        AggregationChoice::Geometric => Aggregation::Geometric {
            zeros: ZeroRule::Rescale {
                low: 1.0,
                high: 100.0,
            },
        },
    }
}

/// Per region (table order): ranks under the compared methods and the Monte Carlo interval.
pub(crate) struct RegionAnalysis {
    pub method_ranks: Vec<RiskMethodRankRecord>,
    pub interval: Option<UnitRankStats>,
}

/// The compared methods: the nominal one, then every alternative of each choice listed in
/// `[uncertainty]`, changing one choice at a time.
pub fn compared_methods(method: &MethodParams) -> Vec<(String, ChoiceKind, CompositeMethod)> {
    let nominal = method.composite;
    let u = &method.uncertainty;
    let mut out = vec![(NOMINAL.to_string(), ChoiceKind::Nominal, nominal)];
    for n in u
        .normalisations
        .iter()
        .filter(|n| **n != nominal.normalisation)
    {
        out.push((
            format!("normalisation={}", n.as_str()),
            ChoiceKind::Normalisation,
            CompositeMethod {
                normalisation: *n,
                ..nominal
            },
        ));
    }
    for w in u.weightings.iter().filter(|w| **w != nominal.weighting) {
        out.push((
            format!("weighting={}", w.as_str()),
            ChoiceKind::Weighting,
            CompositeMethod {
                weighting: *w,
                ..nominal
            },
        ));
    }
    for a in u.aggregations.iter().filter(|a| **a != nominal.aggregation) {
        out.push((
            format!("aggregation={}", a.as_str()),
            ChoiceKind::Aggregation,
            CompositeMethod {
                aggregation: *a,
                ..nominal
            },
        ));
    }
    out
}

/// How many composites the Monte Carlo analysis computes: `N·(d + 2)` for `d ≥ 2` varying
/// choices (the sensitivity design), `N` for one, none when off.
pub fn planned_runs(method: &MethodParams) -> usize {
    let u = &method.uncertainty;
    let d = [
        u.normalisations.len() > 1,
        u.weightings.len() > 1,
        u.aggregations.len() > 1,
        u.weight_noise > 0.0,
    ]
    .iter()
    .filter(|x| **x)
    .count();
    match d {
        0 => 0,
        1 => u.runs,
        d => u.runs * (d + 2),
    }
}

fn shift_stats(nominal: &[Option<usize>], other: &[Option<usize>]) -> MethodSummary {
    let pairs: Vec<(f64, f64)> = nominal
        .iter()
        .zip(other)
        .filter_map(|(a, b)| Some(((*a)? as f64, (*b)? as f64)))
        .collect();
    let shifts: Vec<usize> = pairs.iter().map(|(a, b)| (a - b).abs() as usize).collect();
    let n = pairs.len();
    let spearman = (n >= 2)
        .then(|| {
            let mean = |f: fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / n as f64;
            let (ma, mb) = (mean(|p| p.0), mean(|p| p.1));
            let cov: f64 = pairs.iter().map(|(a, b)| (a - ma) * (b - mb)).sum();
            let va: f64 = pairs.iter().map(|(a, _)| (a - ma).powi(2)).sum();
            let vb: f64 = pairs.iter().map(|(_, b)| (b - mb).powi(2)).sum();
            (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
        })
        .flatten();
    MethodSummary {
        key: String::new(),
        changes: ChoiceKind::Nominal,
        method: CompositeMethod::default(),
        description: String::new(),
        compared: n,
        mean_abs_shift: (n > 0).then(|| shifts.iter().sum::<usize>() as f64 / n as f64),
        max_shift: shifts.iter().copied().max(),
        moved_more_than: SHIFT_THRESHOLDS
            .iter()
            .map(|&t| (t, shifts.iter().filter(|&&s| s > t).count()))
            .collect(),
        spearman,
        error: None,
    }
}

/// Runs the composite's analyses on the table the nominal composite was computed on.
pub(crate) fn analyse(
    method: &MethodParams,
    model: &RiskModel,
    table: &Table,
    nominal: &CompositeResult,
) -> (CompositeSummary, Vec<RegionAnalysis>) {
    let ids: Vec<&str> = table.indicators().iter().map(|i| i.id.as_str()).collect();
    let restricted = |choice: CompositeMethod| {
        let spec = composite_spec(method, model, choice);
        CompositeSpec {
            weighting: spec.weighting.restricted_to(&ids),
            ..spec
        }
    };
    let n = table.units().len();
    let mut per_region: Vec<RegionAnalysis> = (0..n)
        .map(|_| RegionAnalysis {
            method_ranks: Vec::new(),
            interval: None,
        })
        .collect();

    // One method at a time.
    let mut methods = Vec::new();
    for (key, changes, choice) in compared_methods(method) {
        let result = if changes == ChoiceKind::Nominal {
            Ok(nominal.clone())
        } else {
            composite::compute_composite(table, &restricted(choice))
        };
        let summary = match result {
            Ok(r) => {
                for (i, region) in per_region.iter_mut().enumerate() {
                    region.method_ranks.push(RiskMethodRankRecord {
                        method: key.clone(),
                        score: r.scores[i],
                        rank: r.ranks[i].map(|x| x as i64),
                    });
                }
                MethodSummary {
                    key,
                    changes,
                    method: choice,
                    description: r.description.clone(),
                    ..shift_stats(&nominal.ranks, &r.ranks)
                }
            }
            Err(e) => MethodSummary {
                key,
                changes,
                method: choice,
                description: restricted(choice).describe(),
                error: Some(e.to_string()),
                ..shift_stats(&[], &[])
            },
        };
        methods.push(summary);
    }

    // Monte Carlo over the listed choices.
    let u = &method.uncertainty;
    let mut factors = Vec::new();
    let mut factor_summaries = Vec::new();
    if u.normalisations.len() > 1 {
        factors.push(Factor {
            name: "normalisation".into(),
            alternatives: Alternatives::Normalisation(
                u.normalisations.iter().map(|c| normalisation(*c)).collect(),
            ),
        });
        factor_summaries.push(FactorSummary {
            name: "normalisation".into(),
            alternatives: u.normalisations.iter().map(|c| c.as_str().into()).collect(),
        });
    }
    if u.weightings.len() > 1 {
        factors.push(Factor {
            name: "weighting".into(),
            alternatives: Alternatives::Weighting(
                u.weightings
                    .iter()
                    .map(|c| weighting(model, *c).restricted_to(&ids))
                    .collect(),
            ),
        });
        factor_summaries.push(FactorSummary {
            name: "weighting".into(),
            alternatives: u.weightings.iter().map(|c| c.as_str().into()).collect(),
        });
    }
    if u.aggregations.len() > 1 {
        factors.push(Factor {
            name: "aggregation".into(),
            alternatives: Alternatives::Aggregation(
                u.aggregations.iter().map(|c| aggregation(*c)).collect(),
            ),
        });
        factor_summaries.push(FactorSummary {
            name: "aggregation".into(),
            alternatives: u.aggregations.iter().map(|c| c.as_str().into()).collect(),
        });
    }
    if u.weight_noise > 0.0 {
        factors.push(Factor {
            name: "weights".into(),
            alternatives: Alternatives::WeightNoise {
                relative: u.weight_noise,
                replications: u.weight_noise_sets,
            },
        });
        factor_summaries.push(FactorSummary {
            name: "weights".into(),
            alternatives: vec![format!(
                "{} weight sets, each weight × (1 ± up to {})",
                u.weight_noise_sets, u.weight_noise
            )],
        });
    }
    let (uncertainty, uncertainty_error) = if u.runs == 0 || factors.is_empty() {
        (None, None)
    } else {
        let spec = UncertaintySpec {
            nominal: nominal.spec.clone(),
            factors,
            runs: u.runs,
            seed: u.seed,
        };
        let outcome = if spec.factors.len() >= 2 {
            composite::sensitivity(table, &spec).map(|s| {
                let indices = s.indices.iter().map(IndexSummary::from).collect();
                (
                    s.uncertainty,
                    s.total_runs,
                    Some(s.output.to_string()),
                    Some(s.output_variance),
                    indices,
                )
            })
        } else {
            composite::rank_uncertainty(table, &spec).map(|r| {
                let total = r.runs;
                (r, total, None, None, Vec::new())
            })
        };
        match outcome {
            Ok((result, total_runs, output, output_variance, indices)) => {
                let mut widths: Vec<f64> = result
                    .units
                    .iter()
                    .filter_map(|s| Some(s.upper_rank? - s.lower_rank?))
                    .collect();
                widths.sort_by(f64::total_cmp);
                for (region, stats) in per_region.iter_mut().zip(&result.units) {
                    region.interval = Some(stats.clone());
                }
                (
                    Some(UncertaintySummary {
                        runs: u.runs,
                        total_runs,
                        rank_runs: result.runs,
                        seed: u.seed,
                        factors: factor_summaries,
                        output,
                        output_variance,
                        indices,
                        median_interval_width: composite::quantile_sorted(&widths, 0.5),
                        spec: serde_json::to_value(&spec).unwrap_or_default(),
                    }),
                    None,
                )
            }
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let summary = CompositeSummary {
        method: method.composite,
        description: nominal.description.clone(),
        spec: serde_json::to_value(&nominal.spec).unwrap_or_default(),
        weights: nominal
            .indicators
            .iter()
            .cloned()
            .zip(nominal.weights.iter().copied())
            .collect(),
        methods,
        uncertainty,
        uncertainty_error,
    };
    (summary, per_region)
}

// ---------------------------------------------------------------------------------------------
// Reading results

/// One region in the method comparison.
#[derive(Debug, Clone)]
pub struct ComparisonRow {
    /// Region.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// Composite rank under each compared method, in [`Comparison::methods`] order.
    pub ranks: Vec<Option<usize>>,
    /// Composite score under each compared method.
    pub scores: Vec<Option<f64>>,
    /// Median rank over the Monte Carlo runs.
    pub median: Option<f64>,
    /// 90% interval of the rank: 5th percentile.
    pub lower: Option<f64>,
    /// 95th percentile.
    pub upper: Option<f64>,
}

/// The method comparison of a level and period.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The run.
    pub run: RunInfo,
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// Periods with results at this level.
    pub periods: Vec<i32>,
    /// The composite's method, the compared methods and the Monte Carlo analysis.
    pub composite: CompositeSummary,
    /// Regions with a nominal composite, by nominal rank; then those without, by code.
    pub rows: Vec<ComparisonRow>,
}

/// The method comparison stored with a level's run (default: the latest period).
pub fn comparison(
    store: &dyn Store,
    catalogue: &Catalogue,
    level: Level,
    period: Option<i32>,
) -> Result<Comparison, MonitorError> {
    let record = pick_run(store, level, period)?;
    let period = record.period;
    let run = store.risk_run(level, period, None)?.ok_or_else(|| {
        MonitorError::NotFound(format!("no stacking results for {level} in {period}"))
    })?;
    let names = region_names(store, level, run.run.layout)?;
    let info = run_info(store, catalogue, run.run)?;
    let composite = info.summary.composite.clone().ok_or_else(|| {
        MonitorError::NotFound(format!(
            "the results for {level} in {period} have no composite index (no characteristic has data, or they were computed before method comparisons existed; run `kwm compute`)"
        ))
    })?;
    let keys: HashMap<&str, usize> = composite
        .methods
        .iter()
        .enumerate()
        .map(|(i, m)| (m.key.as_str(), i))
        .collect();
    let mut rows: Vec<ComparisonRow> = run
        .regions
        .into_iter()
        .map(|r| {
            let mut ranks = vec![None; keys.len()];
            let mut scores = vec![None; keys.len()];
            for m in &r.method_ranks {
                if let Some(&i) = keys.get(m.method.as_str()) {
                    ranks[i] = m.rank.map(|x| x as usize);
                    scores[i] = m.score;
                }
            }
            ComparisonRow {
                name: names.get(&r.region).cloned().flatten(),
                code: r.region,
                ranks,
                scores,
                median: r.rank_median,
                lower: r.rank_lower,
                upper: r.rank_upper,
            }
        })
        .collect();
    let nominal = keys.get(NOMINAL).copied();
    rows.sort_by(|a, b| {
        let rank = |r: &ComparisonRow| nominal.and_then(|i| r.ranks[i]).unwrap_or(usize::MAX);
        rank(a).cmp(&rank(b)).then_with(|| a.code.cmp(&b.code))
    });
    Ok(Comparison {
        periods: result_periods(store, level)?,
        run: info,
        level,
        period,
        composite,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kwm_engine::stacking::mean_percentile_spec;

    #[test]
    fn the_default_choices_give_the_mean_of_displayed_percentiles() {
        let m = MethodParams::default();
        let spec = composite_spec(&m, &RiskModel::default(), m.composite);
        assert_eq!(spec, mean_percentile_spec(&m));
    }

    #[test]
    fn compared_methods_change_one_choice_at_a_time() {
        let m = MethodParams::default();
        let keys: Vec<String> = compared_methods(&m).into_iter().map(|x| x.0).collect();
        assert_eq!(
            keys,
            [
                "nominal",
                "normalisation=min_max",
                "normalisation=z_score",
                "normalisation=exponential_rank",
                "weighting=matrix",
                "aggregation=geometric"
            ]
        );
    }

    #[test]
    fn planned_runs_follow_the_design() {
        let mut m = MethodParams::default();
        assert_eq!(planned_runs(&m), 500 * 6);
        m.uncertainty.weight_noise = 0.0;
        m.uncertainty.aggregations = vec![AggregationChoice::Arithmetic];
        m.uncertainty.weightings = vec![WeightingChoice::Equal];
        assert_eq!(
            planned_runs(&m),
            500,
            "one varying choice: no sensitivity design"
        );
        m.uncertainty.runs = 0;
        assert_eq!(planned_runs(&m), 0);
    }

    #[test]
    fn shift_statistics_by_hand() {
        // Ranks 1..5 against 2,1,3,5,4: shifts 1,1,0,1,1; Spearman 1 − 6·4/(5·24) = 0.8.
        let a: Vec<Option<usize>> = (1..=5).map(Some).collect();
        let b = [Some(2), Some(1), Some(3), Some(5), Some(4)];
        let s = shift_stats(&a, &b);
        assert_eq!(s.compared, 5);
        assert_eq!(s.mean_abs_shift, Some(0.8));
        assert_eq!(s.max_shift, Some(1));
        assert!((s.spearman.unwrap() - 0.8).abs() < 1e-12);
        assert_eq!(s.moved_more_than[0], (5, 0));
        let none = shift_stats(&a, &[None; 5]);
        assert_eq!((none.compared, none.mean_abs_shift), (0, None));
    }
}
