//! Weighting: how much each indicator counts in the composite.
//!
//! Equal weights, explicit weights, or weights derived from a characteristic × theme matrix
//! (DESIGN.md §5): every theme spreads its weight over the characteristics in proportion to
//! their matrix values (0 = hardly, 3 = strong). With arithmetic aggregation the composite is
//! then exactly the weighted mean of the theme scores, where a theme's score is the
//! matrix-weighted mean of its characteristics.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CompositeError;

/// A characteristic × theme matrix of 0–3 values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeMatrix {
    /// Row ids: the indicators (risk characteristics) of the table.
    pub characteristics: Vec<String>,
    /// Column names: the themes.
    pub themes: Vec<String>,
    /// `values[c][t]` in `0..=3`.
    pub values: Vec<Vec<u8>>,
}

/// How indicator weights are set. Weights are always scaled to sum to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Weighting {
    /// Every indicator the same weight.
    Equal,
    /// A non-negative weight per indicator id; every indicator of the table must have one.
    Explicit {
        /// Weight by indicator id.
        weights: BTreeMap<String, f64>,
    },
    /// Derived from a characteristic × theme matrix; theme weights equal unless given.
    Matrix {
        /// The matrix.
        matrix: ThemeMatrix,
        /// A weight per theme (in the matrix's theme order); `None` for equal theme weights.
        theme_weights: Option<Vec<f64>>,
    },
}

impl Weighting {
    /// Short name for records and messages.
    pub fn label(&self) -> String {
        match self {
            Weighting::Equal => "equal".into(),
            Weighting::Explicit { .. } => "explicit".into(),
            Weighting::Matrix {
                theme_weights: None,
                ..
            } => "matrix (equal theme weights)".into(),
            Weighting::Matrix {
                theme_weights: Some(_),
                ..
            } => "matrix (given theme weights)".into(),
        }
    }

    /// The same weighting for a table of only `indicators` (a subset of the ones it was written
    /// for), e.g. the characteristics that have data at a level. Explicit weights keep the
    /// indicators in the list; a matrix keeps their rows and drops the themes none of them
    /// bears on (a column of zeros), with those themes' weights: the remaining themes share
    /// the whole weight, as their weights are scaled to sum 1. Equal weights are unchanged.
    ///
    /// ```
    /// use kwm_engine::composite::{ThemeMatrix, Weighting};
    /// let w = Weighting::Matrix {
    ///     matrix: ThemeMatrix {
    ///         characteristics: vec!["a".into(), "b".into(), "c".into()],
    ///         themes: vec!["t1".into(), "t2".into()],
    ///         values: vec![vec![2, 0], vec![1, 0], vec![0, 3]],
    ///     },
    ///     theme_weights: None,
    /// };
    /// // Without c, theme t2 has nothing left to pass its weight to: it is dropped.
    /// let r = w.restricted_to(&["a", "b"]);
    /// assert_eq!(r.weights(&["a", "b"]).unwrap(), [2.0 / 3.0, 1.0 / 3.0]);
    /// ```
    pub fn restricted_to(&self, indicators: &[&str]) -> Weighting {
        match self {
            Weighting::Equal => Weighting::Equal,
            Weighting::Explicit { weights } => Weighting::Explicit {
                weights: weights
                    .iter()
                    .filter(|(k, _)| indicators.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
            },
            Weighting::Matrix {
                matrix,
                theme_weights,
            } => {
                let rows: Vec<usize> = (0..matrix.characteristics.len())
                    .filter(|&r| indicators.contains(&matrix.characteristics[r].as_str()))
                    .collect();
                let themes: Vec<usize> = (0..matrix.themes.len())
                    .filter(|&t| {
                        rows.iter()
                            .any(|&r| matrix.values[r].get(t).is_some_and(|v| *v > 0))
                    })
                    .collect();
                Weighting::Matrix {
                    matrix: ThemeMatrix {
                        characteristics: rows
                            .iter()
                            .map(|&r| matrix.characteristics[r].clone())
                            .collect(),
                        themes: themes.iter().map(|&t| matrix.themes[t].clone()).collect(),
                        values: rows
                            .iter()
                            .map(|&r| {
                                themes
                                    .iter()
                                    .map(|&t| matrix.values[r].get(t).copied().unwrap_or(0))
                                    .collect()
                            })
                            .collect(),
                    },
                    theme_weights: theme_weights
                        .as_ref()
                        .map(|w| themes.iter().filter_map(|&t| w.get(t).copied()).collect()),
                }
            }
        }
    }

    /// The weight of every indicator, in the order of `indicators`, summing to 1.
    pub fn weights(&self, indicators: &[&str]) -> Result<Vec<f64>, CompositeError> {
        let raw: Vec<f64> = match self {
            Weighting::Equal => vec![1.0; indicators.len()],
            Weighting::Explicit { weights } => {
                if let Some(extra) = weights.keys().find(|k| !indicators.contains(&k.as_str())) {
                    return Err(CompositeError::Setting(format!(
                        "a weight is given for {extra}, which is not an indicator of the table"
                    )));
                }
                indicators
                    .iter()
                    .map(|id| {
                        weights.get(*id).copied().ok_or_else(|| {
                            CompositeError::Setting(format!("no weight given for indicator {id}"))
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            Weighting::Matrix {
                matrix,
                theme_weights,
            } => matrix_weights(matrix, theme_weights.as_deref(), indicators)?,
        };
        normalise_weights(raw, indicators)
    }
}

/// Scales non-negative weights to sum 1; negative, non-finite or all-zero weights are errors.
pub(crate) fn normalise_weights(
    raw: Vec<f64>,
    indicators: &[&str],
) -> Result<Vec<f64>, CompositeError> {
    if let Some((id, w)) = indicators
        .iter()
        .zip(&raw)
        .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
    {
        return Err(CompositeError::Setting(format!(
            "weight of {id} must be a non-negative number, found {w}"
        )));
    }
    let total: f64 = raw.iter().sum();
    if total <= 0.0 {
        return Err(CompositeError::Setting("all weights are zero".into()));
    }
    Ok(raw.into_iter().map(|w| w / total).collect())
}

/// Weights from a characteristic × theme matrix: `w_c = Σ_t θ_t · m[c][t] / Σ_c' m[c'][t]`,
/// with theme weights `θ` (equal when `None`). The matrix must describe exactly the given
/// indicators; a theme without any characteristic is an error.
///
/// ```
/// use kwm_engine::composite::{matrix_weights, ThemeMatrix};
/// let m = ThemeMatrix {
///     characteristics: vec!["a".into(), "b".into()],
///     themes: vec!["t1".into(), "t2".into()],
///     values: vec![vec![3, 0], vec![1, 2]],
/// };
/// // Theme 1 splits its half 3:1, theme 2 gives its half to b: a = 3/8, b = 1/8 + 1/2.
/// assert_eq!(matrix_weights(&m, None, &["a", "b"]).unwrap(), [0.375, 0.625]);
/// ```
pub fn matrix_weights(
    matrix: &ThemeMatrix,
    theme_weights: Option<&[f64]>,
    indicators: &[&str],
) -> Result<Vec<f64>, CompositeError> {
    let t = matrix.themes.len();
    if t == 0 {
        return Err(CompositeError::Setting(
            "the characteristic × theme matrix has no themes".into(),
        ));
    }
    if matrix.values.len() != matrix.characteristics.len() {
        return Err(CompositeError::Setting(format!(
            "the matrix has {} characteristics but {} rows of values",
            matrix.characteristics.len(),
            matrix.values.len()
        )));
    }
    for (c, row) in matrix.characteristics.iter().zip(&matrix.values) {
        if row.len() != t {
            return Err(CompositeError::Setting(format!(
                "matrix row {c} has {} values, expected one per theme ({t})",
                row.len()
            )));
        }
        if let Some(v) = row.iter().find(|v| **v > 3) {
            return Err(CompositeError::Setting(format!(
                "matrix row {c} has value {v}; expected 0 (hardly) to 3 (strong)"
            )));
        }
    }
    if let Some(extra) = matrix
        .characteristics
        .iter()
        .find(|c| !indicators.contains(&c.as_str()))
    {
        return Err(CompositeError::Setting(format!(
            "the matrix has characteristic {extra}, which is not an indicator of the table"
        )));
    }
    let theta: Vec<f64> = match theme_weights {
        None => vec![1.0 / t as f64; t],
        Some(w) if w.len() != t => {
            return Err(CompositeError::Setting(format!(
                "{} theme weights given for {t} themes",
                w.len()
            )));
        }
        Some(w) => {
            let names: Vec<&str> = matrix.themes.iter().map(String::as_str).collect();
            normalise_weights(w.to_vec(), &names)?
        }
    };
    let column_sums: Vec<u32> = (0..t)
        .map(|k| matrix.values.iter().map(|r| u32::from(r[k])).sum())
        .collect();
    if let Some(k) = (0..t).find(|&k| column_sums[k] == 0 && theta[k] > 0.0) {
        return Err(CompositeError::Setting(format!(
            "theme {} has no characteristic with a value above 0, so its weight cannot be passed on",
            matrix.themes[k]
        )));
    }
    indicators
        .iter()
        .map(|id| {
            let c = matrix
                .characteristics
                .iter()
                .position(|c| c == id)
                .ok_or_else(|| {
                    CompositeError::Setting(format!(
                        "indicator {id} is not in the characteristic × theme matrix"
                    ))
                })?;
            Ok((0..t)
                .filter(|&k| column_sums[k] > 0)
                .map(|k| theta[k] * f64::from(matrix.values[c][k]) / f64::from(column_sums[k]))
                .sum())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_and_explicit_weights_sum_to_one() {
        assert_eq!(
            Weighting::Equal.weights(&["a", "b", "c", "d"]).unwrap(),
            [0.25; 4]
        );
        let w = Weighting::Explicit {
            weights: [("a".into(), 2.0), ("b".into(), 6.0)].into(),
        };
        assert_eq!(w.weights(&["a", "b"]).unwrap(), [0.25, 0.75]);
        assert!(w
            .weights(&["a", "b", "c"])
            .unwrap_err()
            .to_string()
            .contains("no weight given for indicator c"));
        assert!(w
            .weights(&["a"])
            .unwrap_err()
            .to_string()
            .contains("not an indicator"));
        let neg = Weighting::Explicit {
            weights: [("a".into(), -1.0)].into(),
        };
        assert!(neg.weights(&["a"]).is_err());
    }

    #[test]
    fn matrix_weights_hand_computed_with_theme_weights() {
        let m = ThemeMatrix {
            characteristics: vec!["a".into(), "b".into(), "c".into()],
            themes: vec!["t1".into(), "t2".into()],
            values: vec![vec![2, 1], vec![2, 0], vec![0, 3]],
        };
        // θ = (0.25, 0.75): a = 0.25·2/4 + 0.75·1/4 = 0.3125; b = 0.125; c = 0.75·3/4 = 0.5625.
        let w = matrix_weights(&m, Some(&[1.0, 3.0]), &["a", "b", "c"]).unwrap();
        assert_eq!(w, [0.3125, 0.125, 0.5625]);
        // A theme with no characteristic cannot pass its weight on.
        let empty = ThemeMatrix {
            values: vec![vec![2, 0], vec![2, 0], vec![0, 0]],
            ..m.clone()
        };
        assert!(matrix_weights(&empty, None, &["a", "b", "c"]).is_err());
        // The matrix must cover the table's indicators.
        assert!(matrix_weights(&m, None, &["a", "b", "c", "d"]).is_err());
        let bad = ThemeMatrix {
            values: vec![vec![4, 0], vec![2, 0], vec![0, 3]],
            ..m
        };
        assert!(matrix_weights(&bad, None, &["a", "b", "c"]).is_err());
    }
}
