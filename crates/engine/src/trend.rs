//! Change over time of one region's series, with its uncertainty and a significance judgement
//! that accounts for small numbers.
//!
//! Which test is used follows from what is known about the two values compared:
//!
//! | known | test | uncertainty of the change |
//! |---|---|---|
//! | published 95% intervals (survey estimates) | z-test on the difference, standard errors from the interval half-widths (normal approximation, independent samples) | ±1.96 √(se₁² + se₂²) |
//! | a rate with its denominator count n (x = rate·n/scale) | two-proportion z-test (pooled), or **Fisher's exact test** when an expected cell count is below `min_expected` | Wald interval of the difference |
//! | a count | Poisson test: exact conditional binomial (x₂ given x₁ + x₂, p = ½) up to 1,000 events, normal approximation above | ±1.96 √(x₁ + x₂) |
//! | nothing | not tested | — |
//!
//! Register counts (KWB) are not samples; the tests then ask whether a change is larger than
//! the random variation of a process producing such counts, the usual reading in small-area
//! statistics. CBS rounds wijk and buurt counts to multiples of 5, which the tests ignore.

use serde::Serialize;

use crate::stats::{binomial_exact, fisher_exact, two_sided_p};

const Z95: f64 = 1.959_963_984_540_054;
/// Above this many events the Poisson test uses the normal approximation (the exact sum
/// gains nothing and costs time).
const POISSON_EXACT_MAX: f64 = 1_000.0;

/// One value of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Period.
    pub period: i32,
    /// Value.
    pub value: f64,
    /// Lower bound of a published 95% interval.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Denominator count behind a rate (or respondents).
    pub n: Option<f64>,
}

/// What kind of quantity the series is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// A rate x / n × scale (percentage: 100; per 1,000: 1000).
    Rate {
        /// The multiplier.
        scale: f64,
    },
    /// A count of events or persons.
    Count,
    /// Anything else (averages, densities): only published intervals allow a test.
    Other,
}

/// The test that was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// z-test on the difference with standard errors from published intervals.
    IntervalZ,
    /// Two-proportion z-test with pooled proportion.
    TwoProportionZ,
    /// Fisher's exact test (small expected counts).
    FisherExact,
    /// Exact conditional binomial test of two Poisson counts.
    PoissonExact,
    /// Normal approximation of the Poisson test.
    PoissonZ,
    /// Nothing known about the uncertainty: not tested.
    NotTestable,
}

impl TestKind {
    /// Identifier used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::IntervalZ => "interval_z",
            TestKind::TwoProportionZ => "two_proportion_z",
            TestKind::FisherExact => "fisher_exact",
            TestKind::PoissonExact => "poisson_exact",
            TestKind::PoissonZ => "poisson_z",
            TestKind::NotTestable => "not_testable",
        }
    }
}

/// Settings of the tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestSettings {
    /// Significance level.
    pub alpha: f64,
    /// Smallest expected cell count for the z-test (below it: Fisher's exact test).
    pub min_expected: f64,
}

impl Default for TestSettings {
    fn default() -> Self {
        TestSettings {
            alpha: 0.05,
            min_expected: 5.0,
        }
    }
}

/// The change between two values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// Earlier period.
    pub from: i32,
    /// Later period.
    pub to: i32,
    /// Later value minus earlier value.
    pub delta: f64,
    /// Relative change (delta / earlier value), when the earlier value is not 0.
    pub relative: Option<f64>,
    /// 95% interval of the change, when the uncertainty is known.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Test applied.
    pub test: TestKind,
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// p < alpha; `None` when not testable.
    pub significant: Option<bool>,
}

fn se_from_interval(p: &Point) -> Option<f64> {
    let (l, u) = (p.lower?, p.upper?);
    (u >= l).then(|| (u - l) / (2.0 * Z95))
}

/// Compares two values of a series (`a` earlier, `b` later).
///
/// ```
/// use kwm_engine::trend::{compare, Measure, Point, TestKind, TestSettings};
/// // 12 of 100 households vs 30 of 100: a clear rise.
/// let a = Point { period: 2017, value: 12.0, lower: None, upper: None, n: Some(100.0) };
/// let b = Point { period: 2019, value: 30.0, lower: None, upper: None, n: Some(100.0) };
/// let c = compare(&a, &b, Measure::Rate { scale: 100.0 }, &TestSettings::default());
/// assert_eq!(c.test, TestKind::TwoProportionZ);
/// assert_eq!(c.significant, Some(true));
/// ```
pub fn compare(a: &Point, b: &Point, measure: Measure, settings: &TestSettings) -> Change {
    let delta = b.value - a.value;
    let mut change = Change {
        from: a.period,
        to: b.period,
        delta,
        relative: (a.value != 0.0).then(|| delta / a.value),
        lower: None,
        upper: None,
        test: TestKind::NotTestable,
        p_value: None,
        significant: None,
    };
    let (p, half): (f64, f64);
    if let (Some(s1), Some(s2)) = (se_from_interval(a), se_from_interval(b)) {
        let se = (s1 * s1 + s2 * s2).sqrt();
        change.test = TestKind::IntervalZ;
        p = if se > 0.0 {
            two_sided_p(delta / se)
        } else if delta == 0.0 {
            1.0
        } else {
            0.0
        };
        half = Z95 * se;
    } else {
        match (measure, a.n, b.n) {
            (Measure::Rate { scale }, Some(n1), Some(n2)) if n1 >= 1.0 && n2 >= 1.0 => {
                let (p1, p2) = (
                    (a.value / scale).clamp(0.0, 1.0),
                    (b.value / scale).clamp(0.0, 1.0),
                );
                let (x1, x2) = ((p1 * n1).round(), (p2 * n2).round());
                let pooled = (x1 + x2) / (n1 + n2);
                let smallest_expected = [n1, n2]
                    .iter()
                    .flat_map(|n| [n * pooled, n * (1.0 - pooled)])
                    .fold(f64::INFINITY, f64::min);
                if smallest_expected < settings.min_expected {
                    change.test = TestKind::FisherExact;
                    p = fisher_exact(x1 as u64, n1.round() as u64, x2 as u64, n2.round() as u64);
                } else {
                    change.test = TestKind::TwoProportionZ;
                    let se0 = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
                    p = if se0 > 0.0 {
                        two_sided_p((p2 - p1) / se0)
                    } else {
                        1.0
                    };
                }
                half = Z95 * (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt() * scale;
            }
            (Measure::Count, _, _) if a.value >= 0.0 && b.value >= 0.0 => {
                let (x1, x2) = (a.value.round(), b.value.round());
                let total = x1 + x2;
                if total <= POISSON_EXACT_MAX {
                    change.test = TestKind::PoissonExact;
                    p = binomial_exact(x2 as u64, total as u64, 0.5);
                } else {
                    change.test = TestKind::PoissonZ;
                    p = two_sided_p((x2 - x1) / total.sqrt());
                }
                half = Z95 * total.sqrt();
            }
            _ => return change,
        }
    }
    change.p_value = Some(p);
    change.significant = Some(p < settings.alpha);
    change.lower = Some(delta - half);
    change.upper = Some(delta + half);
    change
}

/// When a value is the first of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Appearance {
    /// The indicator itself is published for the first time in this period (at this level):
    /// a new effect, not a change from zero.
    NewIndicator,
    /// The indicator existed before, but this region has no earlier value (suppressed or
    /// not covered).
    FirstForRegion,
}

/// Change since the previous period and over the whole series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// Latest value minus the one before.
    pub previous: Option<Change>,
    /// Latest value minus the first.
    pub whole: Option<Change>,
    /// Set when the series starts with this region's or indicator's first value.
    pub appearance: Option<(i32, Appearance)>,
}

/// When the indicator first has figures at the series' level, and whether that first period
/// is a *new appearance* (the same source published other indicators there earlier, as with
/// long COVID in a health monitor) rather than simply the start of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstPeriod {
    /// First period with a figure for the indicator at this level.
    pub period: i32,
    /// True when the source had earlier periods without this indicator.
    pub new: bool,
}

/// Trend of a series (points in any order). A series that starts with the indicator's new
/// appearance is marked as a new effect, never read as a change from zero; one that starts
/// later than the indicator is marked as the region's first figure.
pub fn trend(
    points: &[Point],
    measure: Measure,
    first: Option<FirstPeriod>,
    settings: &TestSettings,
) -> Trend {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by_key(|p| p.period);
    let appearance = match (sorted.first(), first) {
        (Some(p), Some(f)) if p.period == f.period && f.new => {
            Some((p.period, Appearance::NewIndicator))
        }
        (Some(p), Some(f)) if p.period > f.period => Some((p.period, Appearance::FirstForRegion)),
        _ => None,
    };
    let n = sorted.len();
    Trend {
        previous: (n >= 2).then(|| compare(sorted[n - 2], sorted[n - 1], measure, settings)),
        whole: (n >= 3).then(|| compare(sorted[0], sorted[n - 1], measure, settings)),
        appearance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(period: i32, value: f64, n: f64) -> Point {
        Point {
            period,
            value,
            lower: None,
            upper: None,
            n: Some(n),
        }
    }

    #[test]
    fn large_counts_use_the_z_test_with_its_textbook_value() {
        // 45/500 vs 70/500: pooled p = 0.115, z = (0.14 − 0.09) / √(0.115·0.885·(2/500)) = 2.4781.
        let c = compare(
            &rate(2017, 9.0, 500.0),
            &rate(2019, 14.0, 500.0),
            Measure::Rate { scale: 100.0 },
            &TestSettings::default(),
        );
        assert_eq!(c.test, TestKind::TwoProportionZ);
        let z = 0.05 / (0.115f64 * 0.885 * (2.0 / 500.0)).sqrt();
        assert!((z - 2.4781).abs() < 1e-4);
        assert!((c.p_value.unwrap() - two_sided_p(z)).abs() < 1e-12, "{c:?}");
        assert!((c.p_value.unwrap() - 0.013_208).abs() < 1e-6);
        assert_eq!(c.significant, Some(true));
        assert!((c.delta - 5.0).abs() < 1e-12);
    }

    #[test]
    fn small_areas_switch_to_fishers_exact_test() {
        // A buurt: 1 of 10 households vs 4 of 12. Expected counts < 5 → Fisher.
        let c = compare(
            &rate(2017, 10.0, 10.0),
            &rate(2019, 100.0 * 4.0 / 12.0, 12.0),
            Measure::Rate { scale: 100.0 },
            &TestSettings::default(),
        );
        assert_eq!(c.test, TestKind::FisherExact);
        // Two-sided sum of the hypergeometric probabilities ≤ P(observed), computed by hand: 0.323308.
        assert!((c.p_value.unwrap() - 0.323_308).abs() < 1e-5, "{c:?}");
        assert_eq!(
            c.significant,
            Some(false),
            "a rise from 10% to 33% is noise at this size"
        );
    }

    #[test]
    fn intervals_and_counts_and_nothing() {
        let a = Point {
            period: 2020,
            value: 20.0,
            lower: Some(18.0),
            upper: Some(22.0),
            n: None,
        };
        let b = Point {
            period: 2024,
            value: 25.0,
            lower: Some(23.0),
            upper: Some(27.0),
            n: None,
        };
        let c = compare(&a, &b, Measure::Other, &TestSettings::default());
        assert_eq!(c.test, TestKind::IntervalZ);
        // se = 2/1.96 each; z = 5 / (√2 · 2/1.96) = 3.465
        assert!((c.p_value.unwrap() - two_sided_p(5.0 / (2f64.sqrt() * 2.0 / Z95))).abs() < 1e-12);
        let plain = |v| Point {
            period: 2020,
            value: v,
            lower: None,
            upper: None,
            n: None,
        };
        let c = compare(
            &plain(10.0),
            &plain(25.0),
            Measure::Count,
            &TestSettings::default(),
        );
        // Exact binomial: Σ P(k; 35, ½) over k with P(k) ≤ P(25) = 0.016674.
        assert_eq!(c.test, TestKind::PoissonExact);
        assert!((c.p_value.unwrap() - 0.016_674).abs() < 1e-5, "{c:?}");
        let c = compare(
            &plain(10.0),
            &plain(25.0),
            Measure::Other,
            &TestSettings::default(),
        );
        assert_eq!((c.test, c.significant), (TestKind::NotTestable, None));
    }

    #[test]
    fn a_new_indicator_is_new_not_a_change_from_zero() {
        let s = TestSettings::default();
        let wmo = [rate(2019, 81.0, 1000.0)];
        let new_in_2019 = Some(FirstPeriod {
            period: 2019,
            new: true,
        });
        let t = trend(&wmo, Measure::Rate { scale: 1000.0 }, new_in_2019, &s);
        assert_eq!(t.appearance, Some((2019, Appearance::NewIndicator)));
        assert_eq!(t.previous, None);
        // The first period of all data is the start of the series, not something new.
        let start = Some(FirstPeriod {
            period: 2019,
            new: false,
        });
        assert_eq!(
            trend(&wmo, Measure::Rate { scale: 1000.0 }, start, &s).appearance,
            None
        );
        let earlier = Some(FirstPeriod {
            period: 2017,
            new: false,
        });
        let t = trend(&wmo, Measure::Rate { scale: 1000.0 }, earlier, &s);
        assert_eq!(t.appearance, Some((2019, Appearance::FirstForRegion)));
        let t = trend(
            &[
                rate(2019, 12.0, 100.0),
                rate(2015, 10.0, 100.0),
                rate(2017, 11.0, 100.0),
            ],
            Measure::Rate { scale: 100.0 },
            Some(FirstPeriod {
                period: 2015,
                new: false,
            }),
            &s,
        );
        assert_eq!(t.appearance, None);
        assert_eq!(t.previous.unwrap().from, 2017);
        assert_eq!(t.whole.unwrap().from, 2015);
    }
}
