//! Normalisation: bringing indicators in different units onto one scale, oriented so that a
//! higher normalised value always means *more vulnerable*.
//!
//! The options follow the JRC/OECD Handbook (2008) and COINr: percentile rank, min-max,
//! z-score, distance to a reference, and the English Indices of Deprivation's exponential
//! transform of ranks. Outliers can be winsorised first.

use std::collections::BTreeMap;

use kwm_model::Direction;
use serde::{Deserialize, Serialize};

use super::CompositeError;
use crate::rank::{min_ranks_ascending, percent_rank_inc};

/// How one indicator is normalised. Every method turns "higher is better" indicators around,
/// so that the result is higher for more vulnerable units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Normalisation {
    /// `PERCENTRANK.INC` in `0..=1` (minimum rank among ties), as CDC SVI ranks.
    PercentRank,
    /// Linear onto `[low, high]`: the least vulnerable unit gets `low`, the most `high`.
    /// COINr's default is `[0, 100]`; a range with `low > 0` suits geometric means.
    MinMax {
        /// Value of the least vulnerable unit.
        low: f64,
        /// Value of the most vulnerable unit.
        high: f64,
    },
    /// `mean + sd·(x − x̄)/s` with `s` the sample standard deviation; `(0, 1)` is the classic z-score.
    ZScore {
        /// Mean of the result.
        mean: f64,
        /// Standard deviation of the result.
        sd: f64,
    },
    /// Ratio to a reference (a unit in the table, such as the country, or given values) times
    /// `scale`: `scale·x/x_ref` for "higher is worse" and `scale·x_ref/x` for "higher is
    /// better", so 100 means "as the reference" and more means more vulnerable.
    DistanceToReference {
        /// The reference.
        reference: Reference,
        /// Value given to a unit equal to the reference (COINr: 1; a monitor: 100).
        scale: f64,
    },
    /// The English Indices of Deprivation's exponential transform of ranks: with `R` the rank
    /// scaled to `(0, 1]` (1 = most vulnerable), `X = −23·ln(1 − R·(1 − e^(−100/23)))`, in
    /// `(0, 100]`. It stretches the vulnerable tail so that low values on one indicator cannot
    /// fully make up for high values on another.
    ExponentialRank,
}

/// What [`Normalisation::DistanceToReference`] compares with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// A unit of the table (its own value per indicator).
    Unit(String),
    /// A value per indicator id.
    Values(BTreeMap<String, f64>),
}

/// Quantile-based winsorising of raw values before normalisation: values below the `lower`
/// quantile are raised to it, values above the `upper` quantile lowered to it (quantiles of
/// the present values, R's default type 7).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Winsorise {
    /// Lower quantile in `[0, 0.5)`, e.g. 0.01.
    pub lower: f64,
    /// Upper quantile in `(0.5, 1]`, e.g. 0.99.
    pub upper: f64,
}

/// The English IMD exponential transform of a scaled rank `r` in `[0, 1]`:
/// `−23·ln(1 − r·(1 − e^(−100/23)))`, 0 at `r = 0` and 100 at `r = 1`.
///
/// ```
/// use kwm_engine::composite::imd_exponential_transform;
/// assert_eq!(imd_exponential_transform(0.0), 0.0);
/// assert!((imd_exponential_transform(1.0) - 100.0).abs() < 1e-12);
/// // The median area scores only about 15.6: the scale is stretched at the deprived end.
/// assert!((imd_exponential_transform(0.5) - 15.6468).abs() < 1e-4);
/// ```
pub fn imd_exponential_transform(r: f64) -> f64 {
    -23.0 * (1.0 - r * (1.0 - (-100.0f64 / 23.0).exp())).ln()
}

/// Quantile of sorted values, R's type 7: `x[h]` interpolated at `h = (n − 1)·p`.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Clamps the present values to the quantiles of a [`Winsorise`] setting.
pub fn winsorise(values: &[Option<f64>], setting: Winsorise) -> Vec<Option<f64>> {
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let (Some(lo), Some(hi)) = (
        quantile_sorted(&sorted, setting.lower),
        quantile_sorted(&sorted, setting.upper),
    ) else {
        return values.to_vec();
    };
    values.iter().map(|v| v.map(|x| x.clamp(lo, hi))).collect()
}

impl Winsorise {
    pub(crate) fn validate(&self) -> Result<(), CompositeError> {
        if (0.0..0.5).contains(&self.lower) && self.upper > 0.5 && self.upper <= 1.0 {
            Ok(())
        } else {
            Err(CompositeError::Setting(format!(
                "winsorising needs a lower quantile in [0, 0.5) and an upper one in (0.5, 1], found {} and {}",
                self.lower, self.upper
            )))
        }
    }
}

impl Normalisation {
    /// Short name for records and messages (`min_max[0,100]`).
    pub fn label(&self) -> String {
        match self {
            Normalisation::PercentRank => "percent_rank".into(),
            Normalisation::MinMax { low, high } => format!("min_max[{low},{high}]"),
            Normalisation::ZScore { mean, sd } => format!("z_score(mean {mean}, sd {sd})"),
            Normalisation::DistanceToReference { reference, scale } => match reference {
                Reference::Unit(u) => format!("distance_to_reference({u}, scale {scale})"),
                Reference::Values(_) => format!("distance_to_reference(values, scale {scale})"),
            },
            Normalisation::ExponentialRank => "exponential_rank".into(),
        }
    }

    /// Normalises one indicator. `units` names the units (for a reference unit and for
    /// messages); `id` names the indicator.
    pub fn apply(
        &self,
        id: &str,
        direction: Direction,
        values: &[Option<f64>],
        units: &[String],
    ) -> Result<Vec<Option<f64>>, CompositeError> {
        let worse_is_higher = match direction {
            Direction::HigherIsWorse => true,
            Direction::HigherIsBetter => false,
            Direction::Neutral => {
                return Err(CompositeError::Setting(format!(
                    "indicator {id} is neutral (context only): a composite needs to know whether higher is worse or better"
                )))
            }
        };
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        if present.is_empty() {
            return Err(CompositeError::Setting(format!(
                "indicator {id} has no values"
            )));
        }
        let oriented = |x: f64| if worse_is_higher { x } else { -x };
        Ok(match self {
            Normalisation::PercentRank => {
                let o: Vec<Option<f64>> = values.iter().map(|v| v.map(oriented)).collect();
                percent_rank_inc(&o)
            }
            Normalisation::MinMax { low, high } => {
                if !(low.is_finite() && high.is_finite() && low < high) {
                    return Err(CompositeError::Setting(format!(
                        "min-max needs low < high, found [{low}, {high}]"
                    )));
                }
                let min = present.iter().copied().fold(f64::INFINITY, f64::min);
                let max = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if max == min {
                    return Err(CompositeError::Setting(format!(
                        "indicator {id} has the same value ({min}) for every unit: min-max normalisation divides by zero"
                    )));
                }
                values
                    .iter()
                    .map(|v| {
                        v.map(|x| {
                            let share = if worse_is_higher {
                                (x - min) / (max - min)
                            } else {
                                (max - x) / (max - min)
                            };
                            low + share * (high - low)
                        })
                    })
                    .collect()
            }
            Normalisation::ZScore { mean, sd } => {
                if !(sd.is_finite() && *sd > 0.0 && mean.is_finite()) {
                    return Err(CompositeError::Setting(format!(
                        "z-score needs a positive sd, found {sd}"
                    )));
                }
                if present.len() < 2 {
                    return Err(CompositeError::Setting(format!(
                        "indicator {id}: a z-score needs at least two values"
                    )));
                }
                let n = present.len() as f64;
                let xbar = present.iter().sum::<f64>() / n;
                let s =
                    (present.iter().map(|x| (x - xbar).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                if s == 0.0 {
                    return Err(CompositeError::Setting(format!(
                        "indicator {id} has the same value for every unit: its z-score divides by zero"
                    )));
                }
                values
                    .iter()
                    .map(|v| v.map(|x| mean + sd * oriented(x - xbar) / s))
                    .collect()
            }
            Normalisation::DistanceToReference { reference, scale } => {
                let reference_value = match reference {
                    Reference::Unit(unit) => {
                        let i = units.iter().position(|u| u == unit).ok_or_else(|| {
                            CompositeError::Setting(format!(
                                "reference unit {unit} is not in the table"
                            ))
                        })?;
                        values[i].ok_or_else(|| {
                            CompositeError::Setting(format!(
                                "reference unit {unit} has no value for {id}"
                            ))
                        })?
                    }
                    Reference::Values(map) => *map.get(id).ok_or_else(|| {
                        CompositeError::Setting(format!("no reference value for indicator {id}"))
                    })?,
                };
                if !(reference_value > 0.0 && reference_value.is_finite()) {
                    return Err(CompositeError::Setting(format!(
                        "indicator {id}: distance to a reference needs a positive reference value, found {reference_value}"
                    )));
                }
                if let Some(bad) = present
                    .iter()
                    .find(|x| **x < 0.0 || (!worse_is_higher && **x == 0.0))
                {
                    return Err(CompositeError::Setting(format!(
                        "indicator {id}: distance to a reference is a ratio and needs positive values, found {bad}"
                    )));
                }
                values
                    .iter()
                    .map(|v| {
                        v.map(|x| {
                            if worse_is_higher {
                                scale * x / reference_value
                            } else {
                                scale * reference_value / x
                            }
                        })
                    })
                    .collect()
            }
            Normalisation::ExponentialRank => {
                let o: Vec<Option<f64>> = values.iter().map(|v| v.map(oriented)).collect();
                let n = present.len() as f64;
                // Ascending ranks of vulnerability: the most vulnerable unit gets R = 1.
                // Ties share the lower rank, as everywhere in the engine.
                min_ranks_ascending(&o)
                    .into_iter()
                    .map(|r| r.map(|r| imd_exponential_transform(r as f64 / n)))
                    .collect()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i}")).collect()
    }

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn hand_computed_normalisations() {
        let v = some(&[2.0, 4.0, 6.0, 10.0]);
        let u = units(4);
        let mm = Normalisation::MinMax {
            low: 0.0,
            high: 100.0,
        };
        assert_eq!(
            mm.apply("x", Direction::HigherIsWorse, &v, &u).unwrap(),
            some(&[0.0, 25.0, 50.0, 100.0])
        );
        assert_eq!(
            mm.apply("x", Direction::HigherIsBetter, &v, &u).unwrap(),
            some(&[100.0, 75.0, 50.0, 0.0])
        );

        // mean 5.5, sample sd sqrt(((3.5²+1.5²+0.5²+4.5²)/3) = sqrt(35/3).
        let z = Normalisation::ZScore { mean: 0.0, sd: 1.0 }
            .apply("x", Direction::HigherIsWorse, &v, &u)
            .unwrap();
        let s = (35.0f64 / 3.0).sqrt();
        for (a, b) in z.iter().zip([-3.5 / s, -1.5 / s, 0.5 / s, 4.5 / s]) {
            assert!((a.unwrap() - b).abs() < 1e-12);
        }

        let d = Normalisation::DistanceToReference {
            reference: Reference::Unit("u1".into()),
            scale: 100.0,
        };
        assert_eq!(
            d.apply("x", Direction::HigherIsWorse, &v, &u).unwrap(),
            some(&[50.0, 100.0, 150.0, 250.0])
        );
        assert_eq!(
            d.apply("x", Direction::HigherIsBetter, &v, &u).unwrap(),
            some(&[200.0, 100.0, 400.0 / 6.0, 40.0])
        );

        let p = Normalisation::PercentRank
            .apply("x", Direction::HigherIsBetter, &v, &u)
            .unwrap();
        assert_eq!(p, some(&[1.0, 2.0 / 3.0, 1.0 / 3.0, 0.0]));

        // Ranks 1..4 of 4 → R = 0.25, 0.5, 0.75, 1.
        let e = Normalisation::ExponentialRank
            .apply("x", Direction::HigherIsWorse, &v, &u)
            .unwrap();
        let expected = [0.25, 0.5, 0.75, 1.0]
            .map(|r: f64| -23.0 * (1.0 - r * (1.0 - (-100.0f64 / 23.0).exp())).ln());
        assert_eq!(e, some(&expected));
        assert!((e[3].unwrap() - 100.0).abs() < 1e-12);
    }

    #[test]
    fn settings_that_cannot_apply_are_errors() {
        let u = units(3);
        let constant = some(&[1.0, 1.0, 1.0]);
        let mm = Normalisation::MinMax {
            low: 0.0,
            high: 1.0,
        };
        assert!(mm
            .apply("x", Direction::HigherIsWorse, &constant, &u)
            .unwrap_err()
            .to_string()
            .contains("same value"));
        assert!(Normalisation::PercentRank
            .apply("x", Direction::Neutral, &constant, &u)
            .is_err());
        let d = Normalisation::DistanceToReference {
            reference: Reference::Unit("nl".into()),
            scale: 1.0,
        };
        assert!(d
            .apply("x", Direction::HigherIsWorse, &constant, &u)
            .unwrap_err()
            .to_string()
            .contains("not in the table"));
        assert!(Winsorise {
            lower: 0.6,
            upper: 0.9
        }
        .validate()
        .is_err());
    }

    #[test]
    fn winsorising_clamps_to_type_7_quantiles() {
        // Quantile 0.25 of 1..=5 (type 7): h = 1 → 2; quantile 0.75 → 4.
        let v = some(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let w = winsorise(
            &v,
            Winsorise {
                lower: 0.25,
                upper: 0.75,
            },
        );
        assert_eq!(w, some(&[2.0, 2.0, 3.0, 4.0, 4.0]));
        assert_eq!(quantile_sorted(&[1.0, 2.0], 0.9), Some(1.9));
    }
}
