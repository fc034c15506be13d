//! Aggregation: combining a unit's normalised indicators into one score.
//!
//! Arithmetic means are fully compensatory (a low value makes up for a high one); geometric
//! means only partly. A geometric mean needs positive values, so its rule for zeros and
//! negatives is part of the method ([`ZeroRule`]). Missing values drop out of a unit's mean
//! with its weight re-scaled over the indicators present, and a unit with too few indicators
//! gets no score (COINr's `dat_thresh`).

use serde::{Deserialize, Serialize};

use super::CompositeError;

/// How normalised indicators are combined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Aggregation {
    /// Weighted arithmetic mean.
    Arithmetic,
    /// Weighted geometric mean `exp(Σ w·ln x / Σ w)`.
    Geometric {
        /// What to do with values that are not positive.
        zeros: ZeroRule,
    },
}

/// The geometric mean's rule for values ≤ 0 (a percentile rank of 0, a negative z-score).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum ZeroRule {
    /// Refuse: an error names the first unit and indicator with a value ≤ 0.
    Refuse,
    /// Rescale every normalised indicator linearly onto `[low, high]` (with `low > 0`) before
    /// taking the mean, as COINr users do with a min-max range such as `[1, 100]`.
    Rescale {
        /// Value of the least vulnerable unit, > 0.
        low: f64,
        /// Value of the most vulnerable unit.
        high: f64,
    },
}

impl Aggregation {
    /// Short name for records and messages.
    pub fn label(&self) -> String {
        match self {
            Aggregation::Arithmetic => "arithmetic".into(),
            Aggregation::Geometric {
                zeros: ZeroRule::Refuse,
            } => "geometric".into(),
            Aggregation::Geometric {
                zeros: ZeroRule::Rescale { low, high },
            } => format!("geometric (rescaled to [{low},{high}])"),
        }
    }
}

/// Scores per unit and the share of indicators each unit has.
pub(crate) struct Aggregated {
    pub scores: Vec<Option<f64>>,
    pub coverage: Vec<f64>,
    /// The values that were averaged (after a geometric rescale).
    pub inputs: Vec<Vec<Option<f64>>>,
}

/// Aggregates `columns[indicator][unit]` with `weights` (summing to 1).
pub(crate) fn aggregate(
    columns: Vec<Vec<Option<f64>>>,
    ids: &[&str],
    units: &[String],
    weights: &[f64],
    aggregation: &Aggregation,
    min_coverage: f64,
) -> Result<Aggregated, CompositeError> {
    if !(min_coverage > 0.0 && min_coverage <= 1.0) {
        return Err(CompositeError::Setting(format!(
            "the minimum data availability must be a share in (0, 1], found {min_coverage}"
        )));
    }
    let n = units.len();
    let d = columns.len() as f64;
    let columns = match aggregation {
        Aggregation::Geometric {
            zeros: ZeroRule::Rescale { low, high },
        } => {
            if !(*low > 0.0 && low < high && high.is_finite()) {
                return Err(CompositeError::Setting(format!(
                    "a geometric mean's rescale range must satisfy 0 < low < high, found [{low}, {high}]"
                )));
            }
            columns
                .into_iter()
                .zip(ids)
                .map(|(c, id)| rescale(c, id, *low, *high))
                .collect::<Result<Vec<_>, _>>()?
        }
        Aggregation::Geometric {
            zeros: ZeroRule::Refuse,
        } => {
            for (c, id) in columns.iter().zip(ids) {
                if let Some(i) = c.iter().position(|v| v.is_some_and(|x| x <= 0.0)) {
                    return Err(CompositeError::Setting(format!(
                        "geometric mean: unit {} has {} for {id}, and a geometric mean needs positive values; \
                         choose a normalisation with a positive range or the rescale rule",
                        units[i],
                        c[i].unwrap_or_default()
                    )));
                }
            }
            columns
        }
        Aggregation::Arithmetic => columns,
    };
    let mut scores = Vec::with_capacity(n);
    let mut coverage = Vec::with_capacity(n);
    for i in 0..n {
        let (mut total_w, mut acc, mut present) = (0.0, 0.0, 0usize);
        for (c, w) in columns.iter().zip(weights) {
            if let Some(x) = c[i] {
                present += 1;
                total_w += w;
                acc += match aggregation {
                    Aggregation::Arithmetic => w * x,
                    Aggregation::Geometric { .. } => w * x.ln(),
                };
            }
        }
        let share = present as f64 / d;
        coverage.push(share);
        // A unit whose present indicators all have weight 0 carries no information.
        scores.push(
            (share >= min_coverage && total_w > 0.0).then(|| match aggregation {
                Aggregation::Arithmetic => acc / total_w,
                Aggregation::Geometric { .. } => (acc / total_w).exp(),
            }),
        );
    }
    Ok(Aggregated {
        scores,
        coverage,
        inputs: columns,
    })
}

fn rescale(
    values: Vec<Option<f64>>,
    id: &str,
    low: f64,
    high: f64,
) -> Result<Vec<Option<f64>>, CompositeError> {
    let present = values.iter().flatten();
    let min = present.clone().copied().fold(f64::INFINITY, f64::min);
    let max = present.copied().fold(f64::NEG_INFINITY, f64::max);
    if max <= min {
        return Err(CompositeError::Setting(format!(
            "indicator {id} is constant after normalisation, so it cannot be rescaled for a geometric mean"
        )));
    }
    Ok(values
        .into_iter()
        .map(|v| v.map(|x| low + (x - min) / (max - min) * (high - low)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i}")).collect()
    }

    #[test]
    fn hand_computed_means_with_missing_values_and_threshold() {
        let cols = vec![
            vec![Some(1.0), Some(4.0), None],
            vec![Some(4.0), Some(1.0), None],
            vec![Some(16.0), None, Some(2.0)],
        ];
        let w = [0.25, 0.25, 0.5];
        let a = aggregate(
            cols.clone(),
            &["a", "b", "c"],
            &units(3),
            &w,
            &Aggregation::Arithmetic,
            0.5,
        )
        .unwrap();
        // Unit 0: 0.25 + 1 + 8 = 9.25. Unit 1: (1 + 0.25)/0.5 = 2.5. Unit 2: one of three < 0.5.
        assert_eq!(a.scores, [Some(9.25), Some(2.5), None]);
        assert_eq!(a.coverage, [1.0, 2.0 / 3.0, 1.0 / 3.0]);
        let g = aggregate(
            cols,
            &["a", "b", "c"],
            &units(3),
            &w,
            &Aggregation::Geometric {
                zeros: ZeroRule::Refuse,
            },
            0.3,
        )
        .unwrap();
        // Unit 0: 1^0.25 · 4^0.25 · 16^0.5 = √2 · 4; unit 1: (4·1)^(0.25/0.5) = 2; unit 2: 2.
        let s = g.scores;
        assert!(
            (s[0].unwrap() - 4.0 * 2f64.sqrt()).abs() < 1e-12
                && (s[1].unwrap() - 2.0).abs() < 1e-12
        );
        assert!((s[2].unwrap() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn geometric_zero_rules() {
        let cols = vec![
            vec![Some(0.0), Some(0.5), Some(1.0)],
            vec![Some(1.0), Some(0.5), Some(0.0)],
        ];
        let refuse = aggregate(
            cols.clone(),
            &["a", "b"],
            &units(3),
            &[0.5, 0.5],
            &Aggregation::Geometric {
                zeros: ZeroRule::Refuse,
            },
            1.0,
        );
        let msg = refuse.err().unwrap().to_string();
        assert!(msg.contains("unit u0 has 0 for a"), "{msg}");
        let rescaled = Aggregation::Geometric {
            zeros: ZeroRule::Rescale {
                low: 1.0,
                high: 100.0,
            },
        };
        let g = aggregate(cols, &["a", "b"], &units(3), &[0.5, 0.5], &rescaled, 1.0).unwrap();
        // [1, 50.5, 100] and [100, 50.5, 1]: √100 = 10, 50.5, 10.
        let s: Vec<f64> = g.scores.iter().map(|x| x.unwrap()).collect();
        assert!(
            (s[0] - 10.0).abs() < 1e-9 && (s[1] - 50.5).abs() < 1e-9 && (s[2] - 10.0).abs() < 1e-9,
            "{s:?}"
        );
        let bad = Aggregation::Geometric {
            zeros: ZeroRule::Rescale {
                low: 0.0,
                high: 1.0,
            },
        };
        assert!(aggregate(vec![vec![Some(1.0)]], &["a"], &units(1), &[1.0], &bad, 1.0).is_err());
        assert!(aggregate(
            vec![vec![Some(1.0)]],
            &["a"],
            &units(1),
            &[1.0],
            &Aggregation::Arithmetic,
            0.0
        )
        .is_err());
    }
}
