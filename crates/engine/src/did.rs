//! Difference-in-differences on region-level figures: did an indicator change differently in
//! the target regions of a programme than in comparable regions, from before its start to
//! after?
//!
//! Method (each region counts once, whatever its size):
//!
//! 1. Periods are *before* the start, *during* (the year it started in, left out) or *after*.
//! 2. A region takes part when it has a value in every period of the windows compared. Its
//!    change is `d_i = mean(after) − mean(before)`. Collapsing each region's periods to one
//!    change first keeps serial correlation within a region from making the interval too narrow
//!    (Bertrand, Duflo & Mullainathan 2004).
//! 3. Comparison regions are kept only when their baseline (mean before) lies within the range
//!    of the targets' baselines (common support), so targets are not compared with regions
//!    unlike any of them.
//! 4. The estimate is `mean(d | target) − mean(d | comparison)`, with a Welch t interval: the
//!    two groups' changes may have different spreads, and with regions as the unit this is the
//!    cluster-robust interval of a region-level panel.
//! 5. With at least two periods before the start, a **pre-trend check** does the same between
//!    the last period before and the earlier ones: a placebo "effect" where there can be none.
//!    If its interval excludes zero the groups were already drifting apart, and the real
//!    estimate is not to be trusted.
//!
//! Every outcome carries an honest [`EffectLabel`]: too few regions, no period after the start
//! (then only the placebo check is shown), one period before (parallel trends untestable), or a
//! pre-trend that diverges.

use serde::Serialize;

use crate::stats::{student_t_cdf, student_t_quantile};

/// Where a period lies relative to the start of the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Wholly before the start.
    Before,
    /// The period the programme started in: partly exposed, left out.
    During,
    /// Wholly after the start.
    After,
}

/// One region's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct DidRegion {
    /// In the target set.
    pub target: bool,
    /// Value per period, aligned with [`DidInput::periods`].
    pub values: Vec<Option<f64>>,
}

/// What to estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct DidInput {
    /// Periods, ascending.
    pub periods: Vec<i32>,
    /// Phase of each period.
    pub phases: Vec<Phase>,
    /// Regions: targets and candidate comparisons.
    pub regions: Vec<DidRegion>,
    /// Fewer targets with figures: no estimate.
    pub min_targets: usize,
    /// Fewer comparisons with figures: no estimate.
    pub min_comparisons: usize,
    /// Two-sided confidence level (0.95).
    pub confidence: f64,
}

/// How far the figures allow a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectLabel {
    /// Fewer than two periods with figures: nothing to compare.
    NoPeriods,
    /// Figures only from after the start: no baseline.
    NoPeriodBefore,
    /// No figures after the start yet; only the pre-trend (placebo) check is shown.
    PlaceboOnly,
    /// Too few target or comparison regions with figures in the periods compared.
    TooFewRegions,
    /// One period before the start: an estimate, but whether the groups moved in parallel
    /// before cannot be checked.
    Indicative,
    /// Two or more periods before, one or more after, and the pre-trend check passed.
    Estimate,
    /// The pre-trend check found the groups already drifting apart before the start.
    PreTrendDiverges,
}

impl EffectLabel {
    /// Identifier used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            EffectLabel::NoPeriods => "no_periods",
            EffectLabel::NoPeriodBefore => "no_period_before",
            EffectLabel::PlaceboOnly => "placebo_only",
            EffectLabel::TooFewRegions => "too_few_regions",
            EffectLabel::Indicative => "indicative",
            EffectLabel::Estimate => "estimate",
            EffectLabel::PreTrendDiverges => "pre_trend_diverges",
        }
    }
}

/// One difference-in-differences estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DidEstimate {
    /// Periods averaged as "before".
    pub before: Vec<i32>,
    /// Periods averaged as "after".
    pub after: Vec<i32>,
    /// Target regions used.
    pub targets: usize,
    /// Comparison regions used.
    pub comparisons: usize,
    /// Comparison regions left out because their baseline lies outside the targets' range.
    pub outside_support: usize,
    /// Mean change in the targets.
    pub target_change: f64,
    /// Mean change in the comparisons.
    pub comparison_change: f64,
    /// The estimate: target change minus comparison change.
    pub estimate: f64,
    /// Its standard error (Welch).
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Lower bound of the interval.
    pub lower: f64,
    /// Upper bound of the interval.
    pub upper: f64,
    /// Two-sided p-value of "no difference".
    pub p_value: f64,
    /// Confidence level of the interval.
    pub confidence: f64,
}

impl DidEstimate {
    /// Whether the interval excludes zero.
    pub fn excludes_zero(&self) -> bool {
        self.lower > 0.0 || self.upper < 0.0
    }
}

/// Group means of one period, for the chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodMeans {
    /// Period.
    pub period: i32,
    /// Phase.
    pub phase: Phase,
    /// Mean of the targets with a value.
    pub target_mean: Option<f64>,
    /// Targets with a value.
    pub targets: usize,
    /// Mean of the comparisons with a value (after common support, when an estimate was made).
    pub comparison_mean: Option<f64>,
    /// Comparisons with a value.
    pub comparisons: usize,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DidResult {
    /// How far the figures allow a statement.
    pub label: EffectLabel,
    /// The estimate before → after, when there is one.
    pub effect: Option<DidEstimate>,
    /// The placebo check between the periods before the start, when there are two or more.
    pub pre_trend: Option<DidEstimate>,
    /// Means per period (comparisons: those in the common support of the shown estimate).
    pub means: Vec<PeriodMeans>,
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn variance(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)
}

/// Which comparison regions an estimate on these windows keeps (common support), by region
/// index; `None` when too few regions remain.
fn estimate(
    input: &DidInput,
    before: &[usize],
    after: &[usize],
) -> (Option<DidEstimate>, Vec<bool>) {
    let mut keep = vec![false; input.regions.len()];
    let window_mean = |r: &DidRegion, idx: &[usize]| -> Option<f64> {
        let vals: Option<Vec<f64>> = idx.iter().map(|&i| r.values[i]).collect();
        vals.map(|v| mean(&v))
    };
    let mut target_d = Vec::new();
    let mut target_base = Vec::new();
    let mut candidates = Vec::new();
    for (i, r) in input.regions.iter().enumerate() {
        let (Some(b), Some(a)) = (window_mean(r, before), window_mean(r, after)) else {
            continue;
        };
        if r.target {
            target_d.push(a - b);
            target_base.push(b);
            keep[i] = true;
        } else {
            candidates.push((i, b, a - b));
        }
    }
    let (lo, hi) = target_base
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &b| {
            (lo.min(b), hi.max(b))
        });
    let mut comparison_d = Vec::new();
    let mut outside = 0;
    for (i, b, d) in candidates {
        if b >= lo && b <= hi {
            comparison_d.push(d);
            keep[i] = true;
        } else {
            outside += 1;
        }
    }
    let nt = target_d.len();
    let nc = comparison_d.len();
    // Two per group is the least a spread can be taken from, whatever the parameters say.
    if nt < input.min_targets.max(2) || nc < input.min_comparisons.max(2) {
        return (None, keep);
    }
    let (vt, vc) = (
        variance(&target_d) / nt as f64,
        variance(&comparison_d) / nc as f64,
    );
    let se = (vt + vc).sqrt();
    let df = if vt + vc > 0.0 {
        (vt + vc).powi(2) / (vt * vt / (nt as f64 - 1.0) + vc * vc / (nc as f64 - 1.0))
    } else {
        (nt + nc - 2) as f64
    };
    let (target_change, comparison_change) = (mean(&target_d), mean(&comparison_d));
    let est = target_change - comparison_change;
    let q = student_t_quantile(0.5 + input.confidence / 2.0, df);
    let p_value = if se > 0.0 {
        (2.0 * (1.0 - student_t_cdf((est / se).abs(), df))).min(1.0)
    } else if est == 0.0 {
        1.0
    } else {
        0.0
    };
    let periods = |idx: &[usize]| idx.iter().map(|&i| input.periods[i]).collect();
    (
        Some(DidEstimate {
            before: periods(before),
            after: periods(after),
            targets: nt,
            comparisons: nc,
            outside_support: outside,
            target_change,
            comparison_change,
            estimate: est,
            se,
            df,
            lower: est - q * se,
            upper: est + q * se,
            p_value,
            confidence: input.confidence,
        }),
        keep,
    )
}

/// Estimates the effect (see the module documentation).
///
/// ```
/// use kwm_engine::did::{did, DidInput, DidRegion, EffectLabel, Phase};
/// // Targets fall by 2 more than comparisons after the start.
/// let regions = (0..12)
///     .map(|i| {
///         let target = i < 4;
///         let base = 10.0 + (i % 4) as f64;
///         let wiggle = if i % 2 == 0 { 0.1 } else { -0.1 };
///         DidRegion {
///             target,
///             values: vec![Some(base), Some(base + 1.0 + wiggle), Some(base + 2.0 - if target { 2.0 } else { 0.0 })],
///         }
///     })
///     .collect();
/// let r = did(&DidInput {
///     periods: vec![2018, 2019, 2023],
///     phases: vec![Phase::Before, Phase::Before, Phase::After],
///     regions,
///     min_targets: 3,
///     min_comparisons: 5,
///     confidence: 0.95,
/// });
/// assert_eq!(r.label, EffectLabel::Estimate);
/// assert!((r.effect.unwrap().estimate + 2.0).abs() < 1e-9);
/// ```
pub fn did(input: &DidInput) -> DidResult {
    let with_data = |phase: Phase| -> Vec<usize> {
        (0..input.periods.len())
            .filter(|&i| input.phases[i] == phase)
            .filter(|&i| input.regions.iter().any(|r| r.values[i].is_some()))
            .collect()
    };
    let before = with_data(Phase::Before);
    let after = with_data(Phase::After);
    let pre_trend = if before.len() >= 2 {
        let (last, earlier) = before.split_last().expect("two or more");
        Some(estimate(input, earlier, std::slice::from_ref(last)))
    } else {
        None
    };
    let main = (!before.is_empty() && !after.is_empty()).then(|| estimate(input, &before, &after));

    let (label, keep) = match (&main, &pre_trend) {
        _ if before.is_empty() => (
            if after.len() >= 2 {
                EffectLabel::NoPeriodBefore
            } else {
                EffectLabel::NoPeriods
            },
            None,
        ),
        (None, None) => (EffectLabel::NoPeriods, None),
        (None, Some((None, keep))) => (EffectLabel::TooFewRegions, Some(keep.clone())),
        (None, Some((Some(_), keep))) => (EffectLabel::PlaceboOnly, Some(keep.clone())),
        (Some((None, keep)), _) => (EffectLabel::TooFewRegions, Some(keep.clone())),
        (Some((Some(_), keep)), None) => (EffectLabel::Indicative, Some(keep.clone())),
        (Some((Some(_), keep)), Some((pre, _))) => (
            match pre {
                Some(p) if p.excludes_zero() => EffectLabel::PreTrendDiverges,
                // Too few regions for the placebo window (a region missing an early period):
                // the main estimate stands, but parallel trends were not checked.
                None => EffectLabel::Indicative,
                Some(_) => EffectLabel::Estimate,
            },
            Some(keep.clone()),
        ),
    };
    let means = (0..input.periods.len())
        .map(|i| {
            let group = |target: bool| -> Vec<f64> {
                input
                    .regions
                    .iter()
                    .enumerate()
                    .filter(|(j, r)| r.target == target && keep.as_ref().is_none_or(|k| k[*j]))
                    .filter_map(|(_, r)| r.values[i])
                    .collect()
            };
            let (t, c) = (group(true), group(false));
            PeriodMeans {
                period: input.periods[i],
                phase: input.phases[i],
                target_mean: (!t.is_empty()).then(|| mean(&t)),
                targets: t.len(),
                comparison_mean: (!c.is_empty()).then(|| mean(&c)),
                comparisons: c.len(),
            }
        })
        .collect();
    DidResult {
        label,
        effect: main.and_then(|(e, _)| e),
        pre_trend: pre_trend.and_then(|(e, _)| e),
        means,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made panel with a known effect: region level + common time trend + effect on the
    /// targets after the start + a wiggle that averages to zero within each group and period.
    fn panel(effect: f64, targets: usize, comparisons: usize, pre_drift: f64) -> DidInput {
        let periods = vec![2017, 2018, 2019, 2022, 2023, 2024];
        let phases = vec![
            Phase::Before,
            Phase::Before,
            Phase::Before,
            Phase::During,
            Phase::After,
            Phase::After,
        ];
        let trend = [0.0, 0.5, 1.0, 1.8, 2.5, 3.0];
        let mut regions = Vec::new();
        for i in 0..targets + comparisons {
            let target = i < targets;
            // Levels overlap between groups so common support keeps the comparisons.
            let level = 20.0 + (i % 5) as f64 * 2.0;
            let values = (0..periods.len())
                .map(|t| {
                    // ±0.2 alternating within the group: zero mean when the group size is even.
                    let wiggle = if (i + t) % 2 == 0 { 0.2 } else { -0.2 };
                    let mut v = level + trend[t] + wiggle;
                    if target && phases[t] == Phase::After {
                        v += effect;
                    }
                    if target && phases[t] == Phase::Before {
                        v += pre_drift * t as f64;
                    }
                    Some(v)
                })
                .collect();
            regions.push(DidRegion { target, values });
        }
        DidInput {
            periods,
            phases,
            regions,
            min_targets: 3,
            min_comparisons: 5,
            confidence: 0.95,
        }
    }

    #[test]
    fn recovers_a_known_effect_with_an_interval_around_it() {
        let r = did(&panel(-2.0, 10, 30, 0.0));
        assert_eq!(r.label, EffectLabel::Estimate);
        let e = r.effect.unwrap();
        assert!((e.estimate + 2.0).abs() < 0.05, "{}", e.estimate);
        assert!(e.lower < -2.0 && e.upper > -2.0, "{e:?}");
        assert!(e.upper < 0.0, "the interval excludes no effect");
        assert_eq!((e.targets, e.comparisons), (10, 30));
        assert_eq!(e.before, vec![2017, 2018, 2019]);
        assert_eq!(e.after, vec![2023, 2024], "2022 (start year) is left out");
        let pre = r.pre_trend.unwrap();
        assert!(!pre.excludes_zero(), "{pre:?}");
        // Chart means: the targets' mean level is 2 lower than the comparisons' after the start
        // (the panel gives both groups the same mean level before it).
        let m2024 = r.means.iter().find(|m| m.period == 2024).unwrap();
        assert_eq!(m2024.targets, 10);
        let m2019 = r.means.iter().find(|m| m.period == 2019).unwrap();
        let gap = |m: &PeriodMeans| m.target_mean.unwrap() - m.comparison_mean.unwrap();
        assert!(
            (gap(m2024) - gap(m2019) + 2.0).abs() < 0.05,
            "{m2019:?} {m2024:?}"
        );
    }

    #[test]
    fn matches_welchs_test_on_the_changes() {
        // Three targets and five comparisons, one period before and one after. Reference:
        // scipy 1.16 `stats.ttest_ind(t, c, equal_var=False)` on the changes
        // t = [-1, 0.5, -2], c = [0.5, 0.2, 0.9, 0.1, 0.8], and its `confidence_interval(0.95)`.
        let region = |target: bool, before: f64, after: f64| DidRegion {
            target,
            values: vec![Some(before), Some(after)],
        };
        let input = DidInput {
            periods: vec![2019, 2024],
            phases: vec![Phase::Before, Phase::After],
            regions: vec![
                region(true, 10.0, 9.0),
                region(true, 12.0, 12.5),
                region(true, 14.0, 12.0),
                region(false, 10.0, 10.5),
                region(false, 11.0, 11.2),
                region(false, 12.0, 12.9),
                region(false, 13.0, 13.1),
                region(false, 14.0, 14.8),
            ],
            min_targets: 3,
            min_comparisons: 5,
            confidence: 0.95,
        };
        let e = did(&input).effect.expect("an estimate");
        assert_eq!((e.targets, e.comparisons, e.outside_support), (3, 5, 0));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b.abs().max(1.0);
        assert!(close(e.estimate, -1.3333333333333335), "{e:?}");
        assert!(
            close(e.df, 2.191502607877589),
            "Welch–Satterthwaite df: {e:?}"
        );
        assert!(close(e.p_value, 0.20364162453732196), "{e:?}");
        assert!(close(e.lower, -4.278814331498921), "{e:?}");
        assert!(close(e.upper, 1.6121476648322544), "{e:?}");
    }

    #[test]
    fn no_effect_gives_an_interval_containing_zero() {
        let r = did(&panel(0.0, 10, 30, 0.0));
        let e = r.effect.unwrap();
        assert!(e.lower < 0.0 && e.upper > 0.0, "{e:?}");
        assert!(e.p_value > 0.05);
    }

    #[test]
    fn a_diverging_pre_trend_is_labelled() {
        let r = did(&panel(-2.0, 10, 30, 0.8));
        assert_eq!(r.label, EffectLabel::PreTrendDiverges);
        assert!(r.pre_trend.unwrap().excludes_zero());
    }

    #[test]
    fn too_few_regions_give_no_estimate() {
        let r = did(&panel(-2.0, 2, 30, 0.0));
        assert_eq!(r.label, EffectLabel::TooFewRegions);
        assert!(r.effect.is_none());
        let r = did(&panel(-2.0, 10, 4, 0.0));
        assert_eq!(r.label, EffectLabel::TooFewRegions);
    }

    #[test]
    fn one_period_before_is_indicative() {
        let mut input = panel(-2.0, 10, 30, 0.0);
        for r in &mut input.regions {
            r.values[0] = None;
            r.values[1] = None;
        }
        let r = did(&input);
        assert_eq!(r.label, EffectLabel::Indicative);
        assert!(r.pre_trend.is_none());
        assert!((r.effect.unwrap().estimate + 2.0).abs() < 0.05);
    }

    #[test]
    fn no_period_after_gives_only_the_placebo_check() {
        let mut input = panel(-2.0, 10, 30, 0.0);
        for r in &mut input.regions {
            r.values[4] = None;
            r.values[5] = None;
        }
        let r = did(&input);
        assert_eq!(r.label, EffectLabel::PlaceboOnly);
        assert!(r.effect.is_none());
        let pre = r.pre_trend.unwrap();
        assert_eq!(
            (pre.before.clone(), pre.after.clone()),
            (vec![2017, 2018], vec![2019])
        );
        assert!(!pre.excludes_zero());
        // Only one period at all: nothing.
        for r in &mut input.regions {
            r.values[0] = None;
            r.values[1] = None;
        }
        assert_eq!(did(&input).label, EffectLabel::NoPeriods);
    }

    #[test]
    fn comparisons_outside_the_targets_baseline_range_are_left_out() {
        let mut input = panel(-2.0, 10, 30, 0.0);
        // A comparison region far above every target.
        input.regions.push(DidRegion {
            target: false,
            values: vec![Some(90.0); 6],
        });
        let e = did(&input).effect.unwrap();
        assert_eq!((e.comparisons, e.outside_support), (30, 1));
    }
}
