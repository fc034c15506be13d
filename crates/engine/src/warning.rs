//! Early warning: is a region's signal worsening beyond its own noise and beyond the country?
//!
//! A *signal* is any series with a direction: a key indicator, or — once the risk model
//! provides it — the stacking count of risk characteristics per area (direction "higher is
//! worse"; measure [`Measure::Count`] when it is a count of persons, [`Measure::Other`] when
//! it is a mean score). The rule is [`WarningRule`] from the catalogue; [`assess`] applies it
//! to one region and one period and returns every criterion's outcome, so the monitor can say
//! *why* a region is (not) flagged.

use kwm_model::warning::WarningRule;
use kwm_model::Direction;
use serde::Serialize;

use crate::trend::{compare, Change, Measure, Point, TestSettings};

/// One region's signal.
#[derive(Debug, Clone, Copy)]
pub struct Signal<'a> {
    /// The region's values (any order).
    pub points: &'a [Point],
    /// National values per period (any order), for the comparison with the country.
    pub national: &'a [(i32, f64)],
    /// Which way is unfavourable.
    pub direction: Direction,
    /// What kind of quantity it is (decides the significance test).
    pub measure: Measure,
}

/// Outcome of one criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Satisfied.
    Met,
    /// Not satisfied.
    NotMet,
    /// Not enough information to judge.
    NotAssessable,
}

/// The region's own past variation, per year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PastVariation {
    /// Outcome.
    pub criterion: Criterion,
    /// Earlier period-to-period changes used.
    pub changes_used: usize,
    /// Their mean per year (unfavourable direction positive).
    pub mean_per_year: Option<f64>,
    /// Their standard deviation per year.
    pub sd_per_year: Option<f64>,
    /// This change per year, unfavourable direction positive.
    pub current_per_year: f64,
}

/// The comparison with the national change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NationalComparison {
    /// Outcome.
    pub criterion: Criterion,
    /// The national change over the same periods.
    pub national_delta: Option<f64>,
}

/// The assessment of one region's signal in one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Assessment {
    /// The change from the previous period with its test.
    pub change: Change,
    /// True when the change is in the unfavourable direction.
    pub worsened: bool,
    /// Outcome of the significance test (not testable → not assessable).
    pub significance: Criterion,
    /// Own past variation.
    pub past: PastVariation,
    /// Versus the country.
    pub national: NationalComparison,
    /// All criteria hold: the region is flagged for this signal.
    pub flagged: bool,
}

fn sign(direction: Direction) -> f64 {
    match direction {
        Direction::HigherIsWorse => 1.0,
        Direction::HigherIsBetter => -1.0,
        Direction::Neutral => 0.0,
    }
}

/// Assesses a signal in `period` against the previous period the region has a value for.
/// `None` when the region has no value in `period` or none before it.
///
/// ```
/// use kwm_engine::trend::{Measure, Point};
/// use kwm_engine::warning::{assess, Signal};
/// use kwm_model::{warning::WarningRule, Direction};
/// let p = |period, value, n| Point { period, value, lower: None, upper: None, n: Some(n) };
/// let points = [p(2017, 10.0, 2000.0), p(2019, 14.0, 2000.0)];
/// let national = [(2017, 8.0), (2019, 7.5)];
/// let signal = Signal { points: &points, national: &national, direction: Direction::HigherIsWorse, measure: Measure::Rate { scale: 100.0 } };
/// let a = assess(&signal, 2019, &WarningRule::default()).unwrap();
/// assert!(a.flagged, "significant rise while the country improved");
/// ```
pub fn assess(signal: &Signal<'_>, period: i32, rule: &WarningRule) -> Option<Assessment> {
    let mut sorted: Vec<&Point> = signal.points.iter().collect();
    sorted.sort_by_key(|p| p.period);
    let at = sorted.iter().position(|p| p.period == period)?;
    if at == 0 {
        return None;
    }
    let (previous, current) = (sorted[at - 1], sorted[at]);
    let settings = TestSettings {
        alpha: rule.alpha,
        min_expected: rule.min_expected,
    };
    let change = compare(previous, current, signal.measure, &settings);
    let s = sign(signal.direction);
    let worse = change.delta * s;
    let worsened = worse > 0.0;
    let significance = match change.significant {
        Some(true) => Criterion::Met,
        Some(false) => Criterion::NotMet,
        None => Criterion::NotAssessable,
    };

    // Own variation: earlier changes per year, so that two-year and five-year gaps compare.
    let per_year =
        |a: &Point, b: &Point| (b.value - a.value) * s / f64::from((b.period - a.period).max(1));
    let earlier: Vec<f64> = sorted[..at]
        .windows(2)
        .map(|w| per_year(w[0], w[1]))
        .collect();
    let current_per_year = per_year(previous, current);
    let past = if earlier.len() >= rule.min_past_changes.max(1) {
        let m = earlier.len() as f64;
        let mean = earlier.iter().sum::<f64>() / m;
        let sd = if earlier.len() > 1 {
            (earlier.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt()
        } else {
            0.0
        };
        PastVariation {
            criterion: if current_per_year - mean > rule.past_variation_k * sd {
                Criterion::Met
            } else {
                Criterion::NotMet
            },
            changes_used: earlier.len(),
            mean_per_year: Some(mean),
            sd_per_year: Some(sd),
            current_per_year,
        }
    } else {
        PastVariation {
            criterion: Criterion::NotAssessable,
            changes_used: earlier.len(),
            mean_per_year: None,
            sd_per_year: None,
            current_per_year,
        }
    };

    let national_at = |p: i32| {
        signal
            .national
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(_, v)| *v)
    };
    let national = match (national_at(previous.period), national_at(current.period)) {
        (Some(a), Some(b)) => {
            let national_delta = b - a;
            NationalComparison {
                criterion: if worse - national_delta * s > rule.national_margin {
                    Criterion::Met
                } else {
                    Criterion::NotMet
                },
                national_delta: Some(national_delta),
            }
        }
        _ => NationalComparison {
            criterion: Criterion::NotAssessable,
            national_delta: None,
        },
    };
    let past_ok = match past.criterion {
        Criterion::Met => true,
        Criterion::NotMet => false,
        Criterion::NotAssessable => !rule.require_past_variation,
    };
    let flagged = worsened
        && significance == Criterion::Met
        && past_ok
        && national.criterion != Criterion::NotMet;
    Some(Assessment {
        change,
        worsened,
        significance,
        past,
        national,
        flagged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(period: i32, value: f64, n: f64) -> Point {
        Point {
            period,
            value,
            lower: None,
            upper: None,
            n: Some(n),
        }
    }

    fn signal<'a>(points: &'a [Point], national: &'a [(i32, f64)]) -> Signal<'a> {
        Signal {
            points,
            national,
            direction: Direction::HigherIsWorse,
            measure: Measure::Rate { scale: 100.0 },
        }
    }

    const NATIONAL: [(i32, f64); 5] = [
        (2015, 8.0),
        (2016, 8.0),
        (2017, 8.0),
        (2018, 8.0),
        (2019, 8.0),
    ];

    #[test]
    fn a_significant_worsening_beyond_noise_and_country_is_flagged() {
        // Stable around 10% for three years (±0.2), then 13% of 5,000 households.
        let pts = [
            p(2015, 10.0, 5000.0),
            p(2016, 10.2, 5000.0),
            p(2017, 10.0, 5000.0),
            p(2018, 10.1, 5000.0),
            p(2019, 13.0, 5000.0),
        ];
        let a = assess(&signal(&pts, &NATIONAL), 2019, &WarningRule::default()).unwrap();
        assert_eq!(
            (a.significance, a.past.criterion, a.national.criterion),
            (Criterion::Met, Criterion::Met, Criterion::Met)
        );
        assert!(a.flagged);
        assert_eq!(a.past.changes_used, 3);
    }

    #[test]
    fn each_criterion_can_block_the_flag() {
        let rule = WarningRule::default();
        // Improving: never flagged.
        let pts = [p(2017, 13.0, 5000.0), p(2019, 10.0, 5000.0)];
        assert!(
            !assess(&signal(&pts, &NATIONAL), 2019, &rule)
                .unwrap()
                .flagged
        );
        // Small area: 1 of 10 → 3 of 10 is not significant (Fisher).
        let pts = [p(2017, 10.0, 10.0), p(2019, 30.0, 10.0)];
        let a = assess(&signal(&pts, &NATIONAL), 2019, &rule).unwrap();
        assert_eq!((a.significance, a.flagged), (Criterion::NotMet, false));
        // Within its own (large) past swings.
        let pts = [
            p(2015, 10.0, 5000.0),
            p(2016, 13.0, 5000.0),
            p(2017, 10.0, 5000.0),
            p(2018, 13.0, 5000.0),
            p(2019, 16.0, 5000.0),
        ];
        let a = assess(&signal(&pts, &NATIONAL), 2019, &rule).unwrap();
        assert_eq!(
            (a.significance, a.past.criterion, a.flagged),
            (Criterion::Met, Criterion::NotMet, false)
        );
        // The whole country worsened just as much.
        let national = [(2017, 8.0), (2019, 11.0)];
        let pts = [p(2017, 10.0, 5000.0), p(2019, 13.0, 5000.0)];
        let a = assess(&signal(&pts, &national), 2019, &rule).unwrap();
        assert_eq!(
            (a.national.criterion, a.flagged),
            (Criterion::NotMet, false)
        );
        // Too short a history: not assessable, which blocks only when required.
        let a = assess(&signal(&pts, &NATIONAL[2..]), 2019, &rule).unwrap();
        assert_eq!(
            (a.past.criterion, a.flagged),
            (Criterion::NotAssessable, true)
        );
        let strict = WarningRule {
            require_past_variation: true,
            ..WarningRule::default()
        };
        assert!(
            !assess(&signal(&pts, &NATIONAL[2..]), 2019, &strict)
                .unwrap()
                .flagged
        );
        // No uncertainty known: never flagged.
        let plain = [Point { n: None, ..pts[0] }, Point { n: None, ..pts[1] }];
        let a = assess(&signal(&plain, &NATIONAL), 2019, &rule).unwrap();
        assert_eq!(
            (a.significance, a.flagged),
            (Criterion::NotAssessable, false)
        );
    }

    #[test]
    fn direction_higher_is_better_flags_falls() {
        let pts = [p(2017, 80.0, 5000.0), p(2019, 70.0, 5000.0)];
        let s = Signal {
            direction: Direction::HigherIsBetter,
            ..signal(&pts, &[])
        };
        let a = assess(&s, 2019, &WarningRule::default()).unwrap();
        assert!(a.worsened && a.flagged);
        assert_eq!(a.national.criterion, Criterion::NotAssessable);
        assert!(
            assess(&s, 2017, &WarningRule::default()).is_none(),
            "no previous period"
        );
    }
}
