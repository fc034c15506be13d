//! The findability radar: areas where need is high but the use of support clearly lags behind
//! what comparable areas use — "hulpvraag mogelijk uit beeld" (need may be out of sight).
//! Areas only: nothing here knows of persons.
//!
//! Per kind of support:
//!
//! 1. Areas take part when they have a use rate, every need indicator and at least the minimum
//!    population (smaller areas have rates that move by chance).
//! 2. The expected use comes from a linear regression of the **logarithm** of the use rate on the
//!    need indicators (and on control variables: figures that shape use without being need, such
//!    as the share of pensioners, who receive a state pension instead of social assistance),
//!    fitted across those areas (each area counts once). A rate cannot be negative, and use
//!    grows with need by a factor rather than by a fixed amount; on the log scale the model
//!    respects both, where a straight line on the rate itself predicted negative use for areas
//!    of low need (−12.2 per 1,000 for the Zuidas in Amsterdam). When some area has zero use the
//!    fit is on `log(rate + c)` with `c` half the smallest positive rate ([`log_offset`]). For
//!    every area the expectation comes from the fit **without that area**
//!    ([`crate::regression`]), so low use does not lower its own expectation, with a prediction
//!    interval at the given level; expectation and bounds are transformed back with
//!    `exp(·) − c` (and never below 0), so the expectation is the *median* of the predicted use,
//!    always ≥ 0, and the interval is asymmetric (wider above than below).
//!
//! The **difference** (verschil) of an area is defined once: `gap = observed − expected`, in the
//! rate's unit (negative = use below expectation), and `relative_gap = gap / expected` (a
//! fraction; × 100 for a percentage of the expectation). Expectations are positive, so both have
//! the same sign.
//! 3. *High need*: where the risk model has stacking results for the level and period, at least
//!    `min_stacking` flagged risk characteristics **and** a need score (the mean percentile of
//!    the support's own need indicators, direction-aligned) of at least `min_need_score`, so
//!    that stacking of characteristics this support does not answer (say, many students) does
//!    not count; elsewhere a need score of at least `need_percentile`.
//! 4. A **radar candidate** has high need and observed use below the lower bound of its
//!    prediction interval. Its certainty is the one-sided p-value of the leave-one-out
//!    (externally studentised) residual, with a Benjamini–Hochberg q-value over all areas of the
//!    fit because many areas are looked at at once.

use kwm_model::Direction;
use serde::Serialize;

use crate::rank::percent_rank_inc;
use crate::regression::{fit_linear, RegressionError};

/// The risk model's stacking of one area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stacking {
    /// Flagged risk characteristics.
    pub flagged: usize,
    /// Risk characteristics with a score.
    pub with_data: usize,
}

/// One area's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarArea {
    /// Observed use (a rate).
    pub use_rate: Option<f64>,
    /// Need indicator values, aligned with [`RadarInput::need_directions`].
    pub need: Vec<Option<f64>>,
    /// Control variable values (in the model, not in the need score); `RadarInput::controls` of
    /// them.
    pub controls: Vec<Option<f64>>,
    /// Residents.
    pub population: Option<f64>,
    /// Stacking count, when the risk model has results for the area.
    pub stacking: Option<Stacking>,
}

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarInput {
    /// The areas.
    pub areas: Vec<RadarArea>,
    /// Which way each need indicator means more need.
    pub need_directions: Vec<Direction>,
    /// Number of control variables per area.
    pub controls: usize,
    /// Whether the risk model has stacking results at this level and period (then high need
    /// is judged on the stacking count).
    pub stacking_available: bool,
    /// Areas with fewer residents are left out.
    pub min_population: f64,
    /// Fewer usable areas: no model.
    pub min_regions: usize,
    /// Two-sided prediction interval level.
    pub interval: f64,
    /// High need: stacking count at least this…
    pub min_stacking: usize,
    /// …and a need score at least this (0–100).
    pub min_need_score: f64,
    /// High need without stacking: mean need percentile at least this (0–100).
    pub need_percentile: f64,
}

/// Why an area is not in the fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// No use figure.
    NoUse,
    /// A need or control figure is missing.
    NoNeed,
    /// Population unknown or below the minimum.
    SmallPopulation,
    /// The area alone determines part of the fit (extreme need values): no expectation without it.
    NoExpectation,
}

/// The radar's view of one area, in input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RadarRow {
    /// Why the area is left out, if it is.
    pub excluded: Option<Exclusion>,
    /// Observed use.
    pub observed: Option<f64>,
    /// Expected use (leave-one-out).
    pub expected: Option<f64>,
    /// Prediction interval.
    pub lower: Option<f64>,
    /// Prediction interval.
    pub upper: Option<f64>,
    /// The difference: observed − expected, in the rate's unit (negative = below expectation).
    pub gap: Option<f64>,
    /// `gap / expected` (a fraction, same sign as `gap`); `None` when the expectation is 0.
    pub relative_gap: Option<f64>,
    /// Externally studentised residual.
    pub t: Option<f64>,
    /// One-sided p-value of use this far below expectation.
    pub p_below: Option<f64>,
    /// Benjamini–Hochberg q-value of `p_below` over the areas of the fit.
    pub q_below: Option<f64>,
    /// Percentile (0–100) of each need indicator among the areas of the fit, direction-aligned
    /// (100 = most need).
    pub need_percentiles: Vec<Option<f64>>,
    /// Mean of those percentiles.
    pub need_score: Option<f64>,
    /// High need by the rule in use.
    pub high_need: bool,
    /// Radar candidate.
    pub candidate: bool,
}

/// The fitted model, for the explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RadarModel {
    /// Areas in the fit.
    pub n: usize,
    /// Intercept, then one coefficient per need indicator, then per control variable, on the
    /// log scale: one unit more of a figure multiplies the expected use by `exp(b)`.
    pub coefficients: Vec<f64>,
    /// Their standard errors.
    pub standard_errors: Vec<f64>,
    /// Residual standard deviation on the log scale.
    pub residual_sd: f64,
    /// Share of the variance of log use between areas that the model explains.
    pub r_squared: f64,
    /// `c` in `log(rate + c)`: 0 when every area in the fit has some use.
    pub log_offset: f64,
    /// Prediction interval level.
    pub interval: f64,
}

/// Why no model was fitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoModel {
    /// Too few areas with every figure.
    TooFewAreas {
        /// Usable areas.
        usable: usize,
        /// Needed.
        needed: usize,
    },
    /// The need indicators are collinear or constant across the areas.
    Degenerate {
        /// What the regression said.
        message: String,
    },
}

/// The radar for one kind of support.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RadarResult {
    /// The model, or why there is none.
    pub model: Result<RadarModel, NoModel>,
    /// One row per area, in input order.
    pub rows: Vec<RadarRow>,
    /// How high need was judged: `stacking` or `need_percentile`.
    pub need_rule: &'static str,
}

/// `c` in `log(rate + c)`: 0 when every rate is positive, else half the smallest positive rate
/// (the usual started log; it keeps a zero finite without moving the other areas much);
/// `None` when a rate is negative or every rate is zero (no log scale to fit on).
pub fn log_offset(rates: &[f64]) -> Option<f64> {
    if rates.iter().any(|&r| r.is_nan() || r < 0.0) {
        return None;
    }
    if rates.iter().all(|&r| r > 0.0) {
        return Some(0.0);
    }
    rates
        .iter()
        .copied()
        .filter(|&r| r > 0.0)
        .min_by(f64::total_cmp)
        .map(|m| m / 2.0)
}

/// From the log scale back to the rate: `exp(v) − c`, never below 0 (a rate cannot be).
fn back(v: f64, offset: f64) -> f64 {
    (v.exp() - offset).max(0.0)
}

/// Benjamini–Hochberg adjusted p-values (step-up), in input order.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let n = p.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![0.0; n];
    let mut running = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * n as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Runs the radar (see the module documentation).
pub fn radar(input: &RadarInput) -> RadarResult {
    let k = input.need_directions.len();
    let need_rule = if input.stacking_available {
        "stacking"
    } else {
        "need_percentile"
    };
    let mut rows: Vec<RadarRow> = input
        .areas
        .iter()
        .map(|a| {
            let excluded = if a.use_rate.is_none() {
                Some(Exclusion::NoUse)
            } else if a.need.len() != k
                || a.need.iter().any(Option::is_none)
                || a.controls.len() != input.controls
                || a.controls.iter().any(Option::is_none)
            {
                Some(Exclusion::NoNeed)
            } else if a.population.is_none_or(|p| p < input.min_population) {
                Some(Exclusion::SmallPopulation)
            } else {
                None
            };
            RadarRow {
                excluded,
                observed: a.use_rate,
                expected: None,
                lower: None,
                upper: None,
                gap: None,
                relative_gap: None,
                t: None,
                p_below: None,
                q_below: None,
                need_percentiles: vec![None; k],
                need_score: None,
                high_need: false,
                candidate: false,
            }
        })
        .collect();
    let used: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].excluded.is_none())
        .collect();

    // Need percentiles among the areas in the fit, most need = 100.
    for (j, dir) in input.need_directions.iter().enumerate() {
        let aligned: Vec<Option<f64>> = used
            .iter()
            .map(|&i| {
                input.areas[i].need[j].map(|v| match dir {
                    Direction::HigherIsBetter => -v,
                    _ => v,
                })
            })
            .collect();
        for (pos, pr) in percent_rank_inc(&aligned).into_iter().enumerate() {
            rows[used[pos]].need_percentiles[j] = pr.map(|x| 100.0 * x);
        }
    }
    for &i in &used {
        let ps: Vec<f64> = rows[i].need_percentiles.iter().flatten().copied().collect();
        if !ps.is_empty() {
            rows[i].need_score = Some(ps.iter().sum::<f64>() / ps.len() as f64);
        }
    }
    for (i, row) in rows.iter_mut().enumerate() {
        row.high_need = if input.stacking_available {
            input.areas[i]
                .stacking
                .is_some_and(|s| s.flagged >= input.min_stacking)
                && row.need_score.is_some_and(|s| s >= input.min_need_score)
        } else {
            row.need_score.is_some_and(|s| s >= input.need_percentile)
        };
    }

    if used.len() < input.min_regions {
        return RadarResult {
            model: Err(NoModel::TooFewAreas {
                usable: used.len(),
                needed: input.min_regions,
            }),
            rows,
            need_rule,
        };
    }
    let x: Vec<Vec<f64>> = used
        .iter()
        .map(|&i| {
            let a = &input.areas[i];
            a.need
                .iter()
                .chain(&a.controls)
                .map(|v| v.expect("used"))
                .collect()
        })
        .collect();
    let y: Vec<f64> = used
        .iter()
        .map(|&i| input.areas[i].use_rate.expect("used"))
        .collect();
    let Some(offset) = log_offset(&y) else {
        return RadarResult {
            model: Err(NoModel::Degenerate {
                message: "the use rates are all zero or some are negative: no log scale to fit on"
                    .into(),
            }),
            rows,
            need_rule,
        };
    };
    let log_y: Vec<f64> = y.iter().map(|v| (v + offset).ln()).collect();
    let fit = match fit_linear(&x, &log_y, None, input.interval) {
        Ok(f) => f,
        Err(RegressionError::TooFew { n, need, .. }) => {
            return RadarResult {
                model: Err(NoModel::TooFewAreas {
                    usable: n,
                    needed: need,
                }),
                rows,
                need_rule,
            }
        }
        Err(e) => {
            return RadarResult {
                model: Err(NoModel::Degenerate {
                    message: e.to_string(),
                }),
                rows,
                need_rule,
            }
        }
    };
    let one_sided = (1.0 - input.interval) / 2.0;
    let ps: Vec<f64> = fit
        .observations
        .iter()
        .map(|o| if o.p_below.is_nan() { 1.0 } else { o.p_below })
        .collect();
    let qs = benjamini_hochberg(&ps);
    for (pos, &i) in used.iter().enumerate() {
        let o = &fit.observations[pos];
        let row = &mut rows[i];
        if o.expected.is_nan() {
            row.excluded = Some(Exclusion::NoExpectation);
            row.high_need = false;
            continue;
        }
        let observed = y[pos];
        let (expected, lower) = (back(o.expected, offset), back(o.lower, offset));
        row.expected = Some(expected);
        row.lower = Some(lower);
        row.upper = Some(back(o.upper, offset));
        row.gap = Some(observed - expected);
        row.relative_gap = (expected > 0.0).then(|| (observed - expected) / expected);
        row.t = Some(o.t);
        row.p_below = Some(o.p_below);
        row.q_below = Some(qs[pos]);
        // exp(·) − c is increasing, so "below the bound" reads the same on either scale; a bound
        // clamped to 0 has no use below it.
        row.candidate = row.high_need && o.p_below < one_sided && observed < lower;
    }
    RadarResult {
        model: Ok(RadarModel {
            n: fit.n,
            coefficients: fit.coefficients,
            standard_errors: fit.standard_errors,
            residual_sd: fit.residual_sd,
            r_squared: fit.r_squared,
            interval: input.interval,
            log_offset: offset,
        }),
        rows,
        need_rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A documented hand-made dataset where the candidates are known.
    ///
    /// 40 areas of 2,000–9,000 residents. Need: share at the social minimum `m` (5–24%) and
    /// share aged 65+ `o` (8–27%). True use per 1,000: `exp(2.5 + 0.06 m + 0.03 o)` (21–115:
    /// use grows by a factor with need) times `1 + w`, `w` a small zero-mean wiggle (±4%).
    /// Then:
    /// - areas 5 and 17 have high need (m ≥ 20) and use 40% below the truth → candidates;
    /// - area 3 has low need and use 40% below → clearly low, but not high need → no candidate;
    /// - area 14 has high need and use 60% *above* → no candidate;
    /// - area 30 has 400 residents → left out;
    /// - area 31 has no use figure → left out.
    fn hand_made(stacking_available: bool) -> RadarInput {
        let wiggle = [0.03, -0.02, 0.01, -0.04, 0.02, 0.0, -0.01, 0.04, -0.03, 0.0];
        let areas = (0..40)
            .map(|i| {
                let m = 5.0 + (i * 7 % 20) as f64;
                let o = 8.0 + (i * 11 % 20) as f64;
                let mut use_rate = truth(m, o) * (1.0 + wiggle[i % 10]);
                match i {
                    5 | 17 | 3 => use_rate *= 0.6,
                    14 => use_rate *= 1.6,
                    _ => {}
                }
                RadarArea {
                    use_rate: (i != 31).then_some(use_rate),
                    need: vec![Some(m), Some(o)],
                    controls: Vec::new(),
                    population: Some(if i == 30 {
                        400.0
                    } else {
                        2000.0 + (i * 173 % 7000) as f64
                    }),
                    // The stacking count flags the ten areas with a social-minimum share of 20%
                    // or more, like a flag on the least favourable quarter would.
                    stacking: Some(Stacking {
                        flagged: usize::from(m >= 20.0),
                        with_data: 1,
                    }),
                }
            })
            .collect();
        RadarInput {
            areas,
            need_directions: vec![Direction::HigherIsWorse, Direction::HigherIsWorse],
            controls: 0,
            stacking_available,
            min_population: 1000.0,
            min_regions: 20,
            interval: 0.9,
            min_stacking: 1,
            min_need_score: 50.0,
            need_percentile: 60.0,
        }
    }

    /// The true use of the hand-made dataset.
    fn truth(m: f64, o: f64) -> f64 {
        (2.5 + 0.06 * m + 0.03 * o).exp()
    }

    fn candidates(r: &RadarResult) -> Vec<usize> {
        r.rows
            .iter()
            .enumerate()
            .filter(|(_, x)| x.candidate)
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn finds_exactly_the_planted_candidates() {
        let input = hand_made(true);
        // The planted areas have high need by construction.
        for i in [5, 17, 14] {
            assert!(input.areas[i].need[0].unwrap() >= 20.0, "area {i}");
        }
        assert!(input.areas[3].need[0].unwrap() < 20.0);
        let r = radar(&input);
        let model = r.model.as_ref().unwrap();
        assert_eq!(model.n, 38, "two areas left out");
        assert_eq!(candidates(&r), vec![5, 17]);
        assert_eq!(r.rows[30].excluded, Some(Exclusion::SmallPopulation));
        assert_eq!(r.rows[31].excluded, Some(Exclusion::NoUse));
        // Area 3 is clearly below expectation but does not have high need; area 14 has high
        // need and use above expectation.
        assert!(r.rows[3].observed.unwrap() < r.rows[3].lower.unwrap());
        assert!(!r.rows[3].high_need && !r.rows[3].candidate);
        assert!(r.rows[14].high_need && !r.rows[14].candidate);
        // The model is on the log scale: its coefficients are the true factors.
        assert!(
            (model.coefficients[1] - 0.06).abs() < 0.005,
            "{:?}",
            model.coefficients
        );
        assert!((model.coefficients[2] - 0.03).abs() < 0.005);
        assert_eq!(model.log_offset, 0.0, "every area has some use");
        // The leave-one-out expectation of a candidate is close to its true use.
        let truth_of = |i: usize| {
            let a = &input.areas[i];
            truth(a.need[0].unwrap(), a.need[1].unwrap())
        };
        for i in [5, 17] {
            let e = r.rows[i].expected.unwrap();
            assert!(
                (e / truth_of(i) - 1.0).abs() < 0.04,
                "area {i}: {e} vs {}",
                truth_of(i)
            );
            assert!(r.rows[i].p_below.unwrap() < 0.01, "{:?}", r.rows[i]);
            assert!(r.rows[i].q_below.unwrap() < 0.05);
            assert!(r.rows[i].relative_gap.unwrap() < -0.3);
        }
        assert_eq!(r.need_rule, "stacking");
    }

    #[test]
    fn stacking_alone_is_not_high_need_when_this_supports_need_is_low() {
        // Area 3 (low need for this support, use clearly below expectation) gets a flagged
        // characteristic the support does not answer — as a student area flagged on age would.
        let mut input = hand_made(true);
        input.areas[3].stacking = Some(Stacking {
            flagged: 2,
            with_data: 3,
        });
        let r = radar(&input);
        assert!(r.rows[3].need_score.unwrap() < 50.0);
        assert!(!r.rows[3].high_need && !r.rows[3].candidate);
        // Without the floor it would have been a candidate.
        input.min_need_score = 0.0;
        let r = radar(&input);
        assert!(r.rows[3].candidate);
    }

    #[test]
    fn controls_enter_the_model_but_not_the_need_score() {
        // Use = exp(3 + 0.08 m − 0.05 c): c (say, the share of pensioners for social assistance)
        // lowers use without being need.
        let wiggle = [0.01, -0.02, 0.01, -0.01, 0.02, -0.01, 0.0, 0.01, -0.01, 0.0];
        let areas: Vec<RadarArea> = (0..30)
            .map(|i| {
                let m = 5.0 + (i * 7 % 20) as f64;
                let c = 10.0 + (i * 3 % 11) as f64;
                RadarArea {
                    use_rate: Some((3.0 + 0.08 * m - 0.05 * c).exp() * (1.0 + wiggle[i % 10])),
                    need: vec![Some(m)],
                    controls: vec![Some(c)],
                    population: Some(5000.0),
                    stacking: None,
                }
            })
            .collect();
        let mut input = hand_made(false);
        input.areas = areas;
        input.need_directions = vec![Direction::HigherIsWorse];
        input.controls = 1;
        let r = radar(&input);
        let m = r.model.unwrap();
        assert_eq!(m.coefficients.len(), 3, "intercept, need, control");
        assert!(
            (m.coefficients[1] - 0.08).abs() < 0.005,
            "{:?}",
            m.coefficients
        );
        assert!(
            (m.coefficients[2] + 0.05).abs() < 0.005,
            "{:?}",
            m.coefficients
        );
        assert!(r.rows.iter().all(|x| x.need_percentiles.len() == 1));
        // A missing control leaves the area out, like a missing need figure.
        input.areas[0].controls = vec![None];
        assert_eq!(radar(&input).rows[0].excluded, Some(Exclusion::NoNeed));
    }

    #[test]
    fn without_stacking_high_need_comes_from_need_percentiles() {
        let r = radar(&hand_made(false));
        assert_eq!(r.need_rule, "need_percentile");
        for row in &r.rows {
            if let Some(s) = row.need_score {
                assert_eq!(row.high_need, s >= 60.0);
            }
        }
        // Area 3 (low need) and area 14 (use above expectation) are never candidates; the
        // planted high-need areas are whenever their mean need percentile reaches the threshold.
        let c = candidates(&r);
        assert!(!c.contains(&3) && !c.contains(&14));
        for i in [5, 17] {
            assert_eq!(c.contains(&i), r.rows[i].need_score.unwrap() >= 60.0);
        }
    }

    #[test]
    fn too_few_areas_give_no_model_but_keep_the_rows() {
        let mut input = hand_made(true);
        input.min_regions = 39;
        let r = radar(&input);
        assert_eq!(
            r.model,
            Err(NoModel::TooFewAreas {
                usable: 38,
                needed: 39
            })
        );
        assert!(r.rows.iter().all(|x| !x.candidate));
        assert_eq!(r.rows.len(), 40);
    }

    /// An input of `rates` with one need indicator `m` and one control `c`, every area in.
    fn simple(rates: &[f64], m: &[f64], c: &[f64]) -> RadarInput {
        let mut input = hand_made(false);
        input.areas = rates
            .iter()
            .enumerate()
            .map(|(i, &r)| RadarArea {
                use_rate: Some(r),
                need: vec![Some(m[i])],
                controls: if c.is_empty() {
                    Vec::new()
                } else {
                    vec![Some(c[i])]
                },
                population: Some(5000.0),
                stacking: None,
            })
            .collect();
        input.need_directions = vec![Direction::HigherIsWorse];
        input.controls = usize::from(!c.is_empty());
        input.min_regions = 8;
        input
    }

    #[test]
    fn expectations_are_never_negative_where_a_straight_line_would_be() {
        // Use grows by a factor with need (exp(0.15 m), 1.2 to 90 per 1,000). A straight line
        // through it predicts negative use for the areas of least need, as it did for the
        // Zuidas; the log-scale model never does.
        let m: Vec<f64> = (1..=30).map(f64::from).collect();
        let rates: Vec<f64> = m
            .iter()
            .enumerate()
            .map(|(i, m)| (0.15 * m).exp() * (1.0 + [0.02, -0.02, 0.0][i % 3]))
            .collect();
        let rows: Vec<Vec<f64>> = m.iter().map(|&x| vec![x]).collect();
        let line = crate::regression::fit_linear(&rows, &rates, None, 0.9).unwrap();
        assert!(
            line.observations[0].expected < 0.0,
            "the straight line goes negative: {}",
            line.observations[0].expected
        );
        let r = radar(&simple(&rates, &m, &[]));
        assert!(r.model.is_ok());
        for (i, row) in r.rows.iter().enumerate() {
            let (e, lo, hi) = (
                row.expected.unwrap(),
                row.lower.unwrap(),
                row.upper.unwrap(),
            );
            assert!(
                e > 0.0 && lo >= 0.0 && lo <= e && e <= hi,
                "area {i}: {row:?}"
            );
        }
        // Zero use is allowed: then the fit is on log(rate + c), c half the smallest positive
        // rate, and still nothing is expected below zero.
        let mut with_zero = rates.clone();
        with_zero[0] = 0.0;
        let r = radar(&simple(&with_zero, &m, &[]));
        let model = r.model.as_ref().unwrap();
        assert!((model.log_offset - rates[1] / 2.0).abs() < 1e-12);
        assert!(r
            .rows
            .iter()
            .all(|x| x.expected.unwrap() >= 0.0 && x.lower.unwrap() >= 0.0));
        // Negative rates do not exist: no model, and it says why.
        with_zero[3] = -1.0;
        assert!(matches!(
            radar(&simple(&with_zero, &m, &[])).model,
            Err(NoModel::Degenerate { .. })
        ));
    }

    #[test]
    fn the_difference_has_one_sign_everywhere() {
        let r = radar(&hand_made(true));
        for (i, row) in r.rows.iter().enumerate() {
            let (Some(obs), Some(exp)) = (row.observed, row.expected) else {
                continue;
            };
            let gap = row.gap.unwrap();
            let rel = row.relative_gap.unwrap();
            assert!((gap - (obs - exp)).abs() < 1e-12, "area {i}");
            assert!((rel - gap / exp).abs() < 1e-12, "area {i}");
            assert_eq!(gap < 0.0, rel < 0.0, "area {i}: {gap} and {rel}");
            assert_eq!(gap < 0.0, obs < exp, "area {i}");
        }
        // The planted areas: below expectation is negative, above is positive.
        assert!(r.rows[5].gap.unwrap() < 0.0 && r.rows[5].relative_gap.unwrap() < 0.0);
        assert!(r.rows[14].gap.unwrap() > 0.0 && r.rows[14].relative_gap.unwrap() > 0.0);
    }

    #[test]
    fn matches_statsmodels_leave_one_out_on_the_log_scale() {
        // Reference: scripts/reference/radar_log_loo.py — statsmodels OLS refitted without each
        // area on log(use + c), its 90% prediction interval for a new observation
        // (obs_ci_lower/upper), back with exp(·) − c. An independent computation: explicit
        // refits, not the hat-matrix shortcut the engine uses.
        let m = [
            3.1, 4.5, 5.0, 6.2, 7.7, 8.1, 9.4, 10.0, 11.3, 12.8, 13.5, 15.2,
        ];
        let c = [
            22.0, 18.0, 25.0, 15.0, 20.0, 17.0, 24.0, 12.0, 19.0, 16.0, 21.0, 14.0,
        ];
        let mut y = [
            14.2, 17.9, 16.5, 24.1, 25.0, 30.2, 27.8, 41.0, 38.5, 52.3, 49.9, 70.4,
        ];
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        let check = |r: &RadarResult, i: usize, e: f64, lo: f64, hi: f64| {
            let row = &r.rows[i];
            assert!(close(row.expected.unwrap(), e), "area {i}: {row:?} vs {e}");
            assert!(close(row.lower.unwrap(), lo), "area {i}: {row:?} vs {lo}");
            assert!(close(row.upper.unwrap(), hi), "area {i}: {row:?} vs {hi}");
        };
        let r = radar(&simple(&y, &m, &c));
        let model = r.model.as_ref().unwrap();
        assert!(close(model.coefficients[0], 2.8393247456469073));
        assert!(close(model.coefficients[1], 0.11748579184698832));
        assert!(close(model.coefficients[2], -0.025374752929274158));
        assert!(close(model.r_squared, 0.9978833156445527));
        check(
            &r,
            0,
            14.039435580751434,
            13.23222847777103,
            14.895884828257728,
        );
        check(
            &r,
            5,
            28.603994249856267,
            27.506720491529183,
            29.745039482179457,
        );
        check(
            &r,
            11,
            72.13984879377594,
            67.92438237724566,
            76.61693197422763,
        );
        // With a zero: c = 14.2 / 2 = 7.1.
        y[2] = 0.0;
        let r = radar(&simple(&y, &m, &c));
        let model = r.model.as_ref().unwrap();
        assert!(close(model.log_offset, 7.1));
        assert!(close(model.coefficients[0], 3.665653244331452));
        check(
            &r,
            2,
            15.81767225669593,
            14.37904568321594,
            17.3526553652123,
        );
        check(
            &r,
            7,
            55.467052885488954,
            22.23211234741406,
            126.35905880933561,
        );
    }

    #[test]
    fn benjamini_hochberg_matches_a_worked_example() {
        // p = (0.01, 0.04, 0.03, 0.20), n = 4: sorted 0.01, 0.03, 0.04, 0.20 →
        // 0.04, 0.06, 0.0533, 0.20 → monotone from the top: 0.04, 0.0533, 0.0533, 0.20.
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.20]);
        let expected = [0.04, 0.053_333_333_333, 0.053_333_333_333, 0.20];
        for (a, b) in q.iter().zip(expected) {
            assert!((a - b).abs() < 1e-9, "{q:?}");
        }
    }
}
