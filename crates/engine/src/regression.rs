//! Linear regression with leave-one-out prediction intervals: what the findability radar uses
//! to say how much support an area would be expected to use given its need.
//!
//! The model is ordinary (or weighted) least squares with an intercept. For every observation
//! it also gives the prediction of the model fitted **without** that observation, with a
//! prediction interval and the externally studentised residual — so an area with unusually low
//! use does not pull its own expectation down, and "how far below" is measured against the
//! spread of the other areas. All of it follows from one fit (the hat matrix and
//! Sherman–Morrison), no refitting:
//!
//! - leverage `h_i = w_i x_iᵀ(XᵀWX)⁻¹x_i`, residual `e_i = y_i − ŷ_i`;
//! - leave-one-out prediction `ŷ_(i) = y_i − e_i / (1 − h_i)`;
//! - leave-one-out residual variance
//!   `s_(i)² = ((n − p) s² − w_i e_i² / (1 − h_i)) / (n − p − 1)`;
//! - variance of `y_i − ŷ_(i)`: `s_(i)² / (w_i (1 − h_i))`;
//! - `t_i = e_i √w_i / (s_(i) √(1 − h_i))`, Student t with `n − p − 1` degrees of freedom
//!   when the model holds (Belsley, Kuh & Welsch 1980; Cook & Weisberg 1982).

use crate::stats::{student_t_cdf, student_t_quantile};

/// Why no model could be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegressionError {
    /// Too few observations for the number of coefficients.
    #[error("{n} observations are too few for {p} coefficients (need at least {need})")]
    TooFew {
        /// Observations.
        n: usize,
        /// Coefficients, intercept included.
        p: usize,
        /// Observations needed.
        need: usize,
    },
    /// The predictors are (nearly) linearly dependent.
    #[error("the predictors are collinear: predictor {column} is (almost) a combination of the others or constant")]
    Collinear {
        /// 1-based predictor column (0 = the intercept).
        column: usize,
    },
    /// A value is not finite, a row has the wrong length or a weight is not positive.
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// The leave-one-out view of one observation.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveOneOut {
    /// Fitted value of the full model.
    pub fitted: f64,
    /// Prediction of the model fitted without this observation.
    pub expected: f64,
    /// Standard error of `y − expected` (prediction error).
    pub se: f64,
    /// Lower bound of the prediction interval.
    pub lower: f64,
    /// Upper bound of the prediction interval.
    pub upper: f64,
    /// Externally studentised residual.
    pub t: f64,
    /// One-sided p-value of being this far below: P(T ≤ t).
    pub p_below: f64,
    /// Leverage.
    pub leverage: f64,
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearFit {
    /// Coefficients: intercept first, then one per predictor column.
    pub coefficients: Vec<f64>,
    /// Their standard errors.
    pub standard_errors: Vec<f64>,
    /// Residual standard deviation `s` (per unit weight).
    pub residual_sd: f64,
    /// Residual degrees of freedom `n − p`.
    pub df: usize,
    /// Share of the (weighted) variance explained.
    pub r_squared: f64,
    /// Observations.
    pub n: usize,
    /// Two-sided level of the prediction intervals.
    pub level: f64,
    /// Per observation, in input order.
    pub observations: Vec<LeaveOneOut>,
}

/// Fits `y = b0 + Σ b_j x_j` by (weighted) least squares and returns the leave-one-out view of
/// every observation with `level` two-sided prediction intervals (`level` in (0, 1)).
/// `rows[i]` holds observation i's predictors (no intercept column); `weights` default to 1.
///
/// ```
/// use kwm_engine::regression::fit_linear;
/// // y = 1 + 2x with a small wiggle.
/// let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64]).collect();
/// let y: Vec<f64> = (0..10).map(|i| 1.0 + 2.0 * i as f64 + if i % 2 == 0 { 0.1 } else { -0.1 }).collect();
/// let fit = fit_linear(&rows, &y, None, 0.9).unwrap();
/// assert!((fit.coefficients[1] - 2.0).abs() < 0.05);
/// ```
pub fn fit_linear(
    rows: &[Vec<f64>],
    y: &[f64],
    weights: Option<&[f64]>,
    level: f64,
) -> Result<LinearFit, RegressionError> {
    let n = y.len();
    if rows.len() != n {
        return Err(RegressionError::Invalid(format!(
            "{} predictor rows for {n} outcomes",
            rows.len()
        )));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(RegressionError::Invalid(format!(
            "interval level {level} is not between 0 and 1"
        )));
    }
    let k = rows.first().map_or(0, Vec::len);
    let p = k + 1;
    // One degree of freedom must remain after leaving an observation out.
    let need = p + 2;
    if n < need {
        return Err(RegressionError::TooFew { n, p, need });
    }
    let w: Vec<f64> = match weights {
        Some(w) if w.len() == n => w.to_vec(),
        Some(w) => {
            return Err(RegressionError::Invalid(format!(
                "{} weights for {n} outcomes",
                w.len()
            )))
        }
        None => vec![1.0; n],
    };
    for (i, row) in rows.iter().enumerate() {
        if row.len() != k {
            return Err(RegressionError::Invalid(format!(
                "row {i} has {} predictors, row 0 has {k}",
                row.len()
            )));
        }
        if !y[i].is_finite() || row.iter().any(|v| !v.is_finite()) {
            return Err(RegressionError::Invalid(format!(
                "row {i} has a value that is not a finite number"
            )));
        }
        if !(w[i] > 0.0 && w[i].is_finite()) {
            return Err(RegressionError::Invalid(format!(
                "weight {} of row {i} is not positive",
                w[i]
            )));
        }
    }

    // Centre and scale the predictors so the normal equations are well conditioned; the
    // coefficients are transformed back at the end.
    let sw: f64 = w.iter().sum();
    let mut centre = vec![0.0; k];
    let mut scale = vec![1.0; k];
    for j in 0..k {
        centre[j] = rows.iter().zip(&w).map(|(r, wi)| wi * r[j]).sum::<f64>() / sw;
        let var = rows
            .iter()
            .zip(&w)
            .map(|(r, wi)| wi * (r[j] - centre[j]).powi(2))
            .sum::<f64>()
            / sw;
        if var.is_nan() || var.sqrt() <= 1e-12 * centre[j].abs().max(1.0) {
            return Err(RegressionError::Collinear { column: j + 1 });
        }
        scale[j] = var.sqrt();
    }
    let design = |i: usize| -> Vec<f64> {
        let mut x = Vec::with_capacity(p);
        x.push(1.0);
        for j in 0..k {
            x.push((rows[i][j] - centre[j]) / scale[j]);
        }
        x
    };
    let xs: Vec<Vec<f64>> = (0..n).map(design).collect();
    let mut a = vec![vec![0.0; p]; p];
    let mut b = vec![0.0; p];
    for i in 0..n {
        for r in 0..p {
            b[r] += w[i] * xs[i][r] * y[i];
            for c in 0..p {
                a[r][c] += w[i] * xs[i][r] * xs[i][c];
            }
        }
    }
    let inv = invert_spd(&a)?;
    let beta: Vec<f64> = (0..p)
        .map(|r| (0..p).map(|c| inv[r][c] * b[c]).sum())
        .collect();
    let fitted: Vec<f64> = xs
        .iter()
        .map(|x| x.iter().zip(&beta).map(|(a, b)| a * b).sum())
        .collect();
    let resid: Vec<f64> = y.iter().zip(&fitted).map(|(y, f)| y - f).collect();
    let df = n - p;
    let rss: f64 = resid.iter().zip(&w).map(|(e, wi)| wi * e * e).sum();
    let s2 = rss / df as f64;
    let ybar = y.iter().zip(&w).map(|(y, wi)| wi * y).sum::<f64>() / sw;
    let tss: f64 = y
        .iter()
        .zip(&w)
        .map(|(y, wi)| wi * (y - ybar).powi(2))
        .sum();
    let r_squared = if tss > 0.0 { 1.0 - rss / tss } else { 0.0 };

    // Back to the original scale: b_j = β_j / scale_j, b0 = β0 − Σ b_j centre_j; the
    // covariance follows the same linear map.
    let mut map = vec![vec![0.0; p]; p];
    map[0][0] = 1.0;
    for j in 0..k {
        map[j + 1][j + 1] = 1.0 / scale[j];
        map[0][j + 1] = -centre[j] / scale[j];
    }
    let coefficients: Vec<f64> = (0..p)
        .map(|r| (0..p).map(|c| map[r][c] * beta[c]).sum())
        .collect();
    let standard_errors: Vec<f64> = (0..p)
        .map(|r| {
            let mut v = 0.0;
            for c in 0..p {
                for d in 0..p {
                    v += map[r][c] * inv[c][d] * map[r][d];
                }
            }
            (v * s2).max(0.0).sqrt()
        })
        .collect();

    let loo_df = (df - 1) as f64;
    let t_crit = student_t_quantile(0.5 + level / 2.0, loo_df);
    let observations = (0..n)
        .map(|i| {
            let q: f64 = (0..p)
                .map(|r| (0..p).map(|c| xs[i][r] * inv[r][c] * xs[i][c]).sum::<f64>())
                .sum();
            let h = (w[i] * q).min(1.0);
            let e = resid[i];
            if 1.0 - h < 1e-10 {
                // The observation alone determines its own fit: without it, nothing predicts it.
                return LeaveOneOut {
                    fitted: fitted[i],
                    expected: f64::NAN,
                    se: f64::NAN,
                    lower: f64::NAN,
                    upper: f64::NAN,
                    t: f64::NAN,
                    p_below: f64::NAN,
                    leverage: h,
                };
            }
            let s2_i = ((df as f64 * s2 - w[i] * e * e / (1.0 - h)) / loo_df).max(0.0);
            let se = (s2_i / (w[i] * (1.0 - h))).sqrt();
            let expected = y[i] - e / (1.0 - h);
            let t = if se > 0.0 {
                (y[i] - expected) / se
            } else if e == 0.0 {
                0.0
            } else {
                e.signum() * f64::INFINITY
            };
            LeaveOneOut {
                fitted: fitted[i],
                expected,
                se,
                lower: expected - t_crit * se,
                upper: expected + t_crit * se,
                t,
                p_below: student_t_cdf(t, loo_df),
                leverage: h,
            }
        })
        .collect();
    Ok(LinearFit {
        coefficients,
        standard_errors,
        residual_sd: s2.sqrt(),
        df,
        r_squared,
        n,
        level,
        observations,
    })
}

/// Inverts a symmetric positive definite matrix by Cholesky decomposition.
// Index loops: matrix algebra reads closest to its formulas this way.
#[allow(clippy::needless_range_loop)]
fn invert_spd(a: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, RegressionError> {
    let p = a.len();
    let mut l = vec![vec![0.0; p]; p];
    for j in 0..p {
        let mut d = a[j][j];
        for k in 0..j {
            d -= l[j][k] * l[j][k];
        }
        // Relative to the diagonal: a predictor that the others explain almost entirely leaves a
        // tiny pivot.
        if d.is_nan() || d <= 1e-10 * a[j][j].abs().max(f64::MIN_POSITIVE) {
            return Err(RegressionError::Collinear { column: j });
        }
        l[j][j] = d.sqrt();
        for i in j + 1..p {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            l[i][j] = s / l[j][j];
        }
    }
    // inv = L⁻ᵀ L⁻¹, column by column.
    let mut inv = vec![vec![0.0; p]; p];
    for col in 0..p {
        let mut z = vec![0.0; p];
        for i in 0..p {
            let mut s = if i == col { 1.0 } else { 0.0 };
            for k in 0..i {
                s -= l[i][k] * z[k];
            }
            z[i] = s / l[i][i];
        }
        let mut x = vec![0.0; p];
        for i in (0..p).rev() {
            let mut s = z[i];
            for k in i + 1..p {
                s -= l[k][i] * x[k];
            }
            x[i] = s / l[i][i];
        }
        for i in 0..p {
            inv[i][col] = x[i];
        }
    }
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, mean-zero wiggle (no random numbers: the test must be repeatable).
    fn wiggle(i: usize) -> f64 {
        [0.3, -0.2, 0.1, -0.4, 0.2, 0.0, -0.1, 0.4, -0.3, 0.0][i % 10]
    }

    #[test]
    fn recovers_known_coefficients() {
        let rows: Vec<Vec<f64>> = (0..40)
            .map(|i| vec![i as f64 % 13.0, (i * 7 % 11) as f64])
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| 5.0 + 1.5 * r[0] - 0.8 * r[1] + wiggle(i))
            .collect();
        let fit = fit_linear(&rows, &y, None, 0.9).unwrap();
        assert!(
            (fit.coefficients[0] - 5.0).abs() < 0.3,
            "{:?}",
            fit.coefficients
        );
        assert!((fit.coefficients[1] - 1.5).abs() < 0.05);
        assert!((fit.coefficients[2] + 0.8).abs() < 0.05);
        assert!(fit.r_squared > 0.99);
        assert_eq!(fit.df, 37);
    }

    #[test]
    fn leave_one_out_equals_refitting_without_the_observation() {
        let rows: Vec<Vec<f64>> = (0..15)
            .map(|i| vec![i as f64, (i * i % 7) as f64])
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| 2.0 + r[0] + 0.5 * r[1] + wiggle(i) * 3.0)
            .collect();
        let w: Vec<f64> = (0..15).map(|i| 1.0 + (i % 3) as f64).collect();
        let fit = fit_linear(&rows, &y, Some(&w), 0.95).unwrap();
        for i in [0, 4, 14] {
            let keep: Vec<usize> = (0..15).filter(|&j| j != i).collect();
            let sub_rows: Vec<Vec<f64>> = keep.iter().map(|&j| rows[j].clone()).collect();
            let sub_y: Vec<f64> = keep.iter().map(|&j| y[j]).collect();
            let sub_w: Vec<f64> = keep.iter().map(|&j| w[j]).collect();
            let sub = fit_linear(&sub_rows, &sub_y, Some(&sub_w), 0.95).unwrap();
            let pred = sub.coefficients[0]
                + sub.coefficients[1] * rows[i][0]
                + sub.coefficients[2] * rows[i][1];
            let o = &fit.observations[i];
            assert!((o.expected - pred).abs() < 1e-9, "{} vs {pred}", o.expected);
            // s_(i) is the refit's residual standard deviation, so the prediction error's
            // standard error is s_(i) / √(w_i (1 − h_i)).
            let s_i = sub.residual_sd;
            let expected_se = s_i / (w[i] * (1.0 - o.leverage)).sqrt();
            assert!(
                (o.se - expected_se).abs() < 1e-9,
                "{} vs {expected_se}",
                o.se
            );
            // The interval uses the refit's degrees of freedom, n − p − 1 = 11:
            // t(0.975; 11) = 2.200985160082949 (scipy.stats.t.ppf).
            let t = (o.upper - o.expected) / o.se;
            assert!((t - 2.200985160082949).abs() < 1e-9, "t = {t}");
        }
    }

    #[test]
    fn an_outlier_below_gets_a_small_p_and_an_interval_above_it() {
        let rows: Vec<Vec<f64>> = (0..30).map(|i| vec![i as f64]).collect();
        let mut y: Vec<f64> = (0..30).map(|i| 10.0 + 0.5 * i as f64 + wiggle(i)).collect();
        y[12] -= 4.0;
        let fit = fit_linear(&rows, &y, None, 0.9).unwrap();
        let o = &fit.observations[12];
        assert!(y[12] < o.lower, "{} should lie below {}", y[12], o.lower);
        assert!(o.p_below < 0.001, "{}", o.p_below);
        assert!((o.expected - 16.0).abs() < 0.3, "{}", o.expected);
        // Others stay inside their intervals.
        let outside = fit
            .observations
            .iter()
            .enumerate()
            .filter(|(i, o)| *i != 12 && (y[*i] < o.lower || y[*i] > o.upper))
            .count();
        assert_eq!(outside, 0);
    }

    #[test]
    fn refuses_what_it_cannot_fit() {
        let rows: Vec<Vec<f64>> = (0..3).map(|i| vec![i as f64]).collect();
        assert!(matches!(
            fit_linear(&rows, &[1.0, 2.0, 3.0], None, 0.9),
            Err(RegressionError::TooFew {
                n: 3,
                p: 2,
                need: 4
            })
        ));
        let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64, 2.0 * i as f64]).collect();
        let y: Vec<f64> = (0..10).map(|i| i as f64).collect();
        assert!(matches!(
            fit_linear(&rows, &y, None, 0.9),
            Err(RegressionError::Collinear { .. })
        ));
        let rows: Vec<Vec<f64>> = (0..10).map(|_| vec![3.0]).collect();
        assert!(matches!(
            fit_linear(&rows, &y, None, 0.9),
            Err(RegressionError::Collinear { column: 1 })
        ));
        let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64]).collect();
        let mut bad = y.clone();
        bad[3] = f64::NAN;
        assert!(matches!(
            fit_linear(&rows, &bad, None, 0.9),
            Err(RegressionError::Invalid(_))
        ));
    }
}
