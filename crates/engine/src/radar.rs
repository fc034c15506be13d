//! The findability radar: areas where need is high but the use of support clearly lags behind
//! what comparable areas use — "hulpvraag mogelijk uit beeld" (need may be out of sight).
//! Areas only: nothing here knows of persons.
//!
//! Per kind of support:
//!
//! 1. Areas take part when they have a use rate, every need indicator and at least the minimum
//!    population (smaller areas have rates that move by chance).
//! 2. The expected use is a linear regression of the use rate on the need indicators (and on
//!    control variables: figures that shape use without being need, such as the share of
//!    pensioners, who receive a state pension instead of social assistance), fitted across those
//!    areas (each area counts once). For every area the expectation comes from the
//!    fit **without that area** ([`crate::regression`]), so low use does not lower its own
//!    expectation, with a prediction interval at the given level.
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
    /// Observed minus expected.
    pub gap: Option<f64>,
    /// Gap as a share of the expectation.
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
    /// Intercept, then one coefficient per need indicator, then per control variable.
    pub coefficients: Vec<f64>,
    /// Their standard errors.
    pub standard_errors: Vec<f64>,
    /// Residual standard deviation.
    pub residual_sd: f64,
    /// Share of the variance between areas the need indicators explain.
    pub r_squared: f64,
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
    let fit = match fit_linear(&x, &y, None, input.interval) {
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
        row.expected = Some(o.expected);
        row.lower = Some(o.lower);
        row.upper = Some(o.upper);
        row.gap = Some(observed - o.expected);
        row.relative_gap =
            (o.expected.abs() > f64::EPSILON).then(|| (observed - o.expected) / o.expected);
        row.t = Some(o.t);
        row.p_below = Some(o.p_below);
        row.q_below = Some(qs[pos]);
        row.candidate = row.high_need && o.p_below < one_sided && observed < o.lower;
    }
    RadarResult {
        model: Ok(RadarModel {
            n: fit.n,
            coefficients: fit.coefficients,
            standard_errors: fit.standard_errors,
            residual_sd: fit.residual_sd,
            r_squared: fit.r_squared,
            interval: input.interval,
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
    /// share aged 65+ `o` (8–27%). True use per 1,000: `20 + 3 m + 2 o` plus a small,
    /// zero-mean wiggle. Then:
    /// - areas 5 and 17 have high need (m ≥ 20) and use 35 below the truth → candidates;
    /// - area 3 has low need and use 35 below → clearly low, but not high need → no candidate;
    /// - area 14 has high need and use 35 *above* → no candidate;
    /// - area 30 has 400 residents → left out;
    /// - area 31 has no use figure → left out.
    fn hand_made(stacking_available: bool) -> RadarInput {
        let wiggle = [1.5, -1.0, 0.5, -2.0, 1.0, 0.0, -0.5, 2.0, -1.5, 0.0];
        let areas = (0..40)
            .map(|i| {
                let m = 5.0 + (i * 7 % 20) as f64;
                let o = 8.0 + (i * 11 % 20) as f64;
                let mut use_rate = 20.0 + 3.0 * m + 2.0 * o + wiggle[i % 10];
                match i {
                    5 | 17 | 3 => use_rate -= 35.0,
                    14 => use_rate += 35.0,
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
        // The leave-one-out expectation of a candidate is close to its true use.
        let truth = |i: usize| {
            let a = &input.areas[i];
            20.0 + 3.0 * a.need[0].unwrap() + 2.0 * a.need[1].unwrap()
        };
        for i in [5, 17] {
            let e = r.rows[i].expected.unwrap();
            assert!((e - truth(i)).abs() < 4.0, "area {i}: {e} vs {}", truth(i));
            assert!(r.rows[i].p_below.unwrap() < 0.01, "{:?}", r.rows[i]);
            assert!(r.rows[i].q_below.unwrap() < 0.05);
            assert!(r.rows[i].gap.unwrap() < -25.0);
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
        // Use = 10 + 2 m − 1.5 c: c (say, the share of pensioners for social assistance) lowers
        // use without being need.
        let wiggle = [0.3, -0.2, 0.1, -0.3, 0.2, -0.1, 0.0, 0.1, -0.1, 0.0];
        let areas: Vec<RadarArea> = (0..30)
            .map(|i| {
                let m = 5.0 + (i * 7 % 20) as f64;
                let c = 10.0 + (i * 3 % 11) as f64;
                RadarArea {
                    use_rate: Some(10.0 + 2.0 * m - 1.5 * c + wiggle[i % 10]),
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
            (m.coefficients[1] - 2.0).abs() < 0.05,
            "{:?}",
            m.coefficients
        );
        assert!(
            (m.coefficients[2] + 1.5).abs() < 0.05,
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
