//! Small-area shrinkage: pulling an unreliable area estimate toward its parent region.
//!
//! The English and Scottish deprivation indices shrink small-number indicators with the
//! precision-weighted estimate (SIMD 2003, appendix 1; ANCHORS.md §2)
//!
//! `z* = w·z + (1 − w)·z_parent`, `w = (1/s²) / (1/s² + 1/τ²) = τ² / (τ² + s²)`,
//!
//! with `s` the standard error of the area's estimate and `τ²` the variance between areas.
//! Precise areas barely move; areas with wide intervals in homogeneous surroundings move
//! most. Under the normal–normal model behind it, the shrunk estimate has standard error
//! `√w·s`, which gives the interval shown with it. That interval treats `z_parent` and `τ²`
//! as known, so it is somewhat too narrow when the parent is itself small. The scale (a rate,
//! or its logit as in the IMD) is the caller's choice; the arithmetic is the same.
//!
//! The known downside (2005 Scottish evaluation): a small deprived pocket in an affluent
//! parent is pulled toward the parent, so show the unshrunk value beside the shrunk one.

use serde::Serialize;

use super::CompositeError;

/// z for a two-sided 90% interval.
pub const Z_90: f64 = 1.644_853_626_951_472_2;
/// z for a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A shrunk estimate with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shrunk {
    /// The shrunk estimate `z*`.
    pub estimate: f64,
    /// The weight `w` of the area's own estimate (1 = unchanged, 0 = the parent's value).
    pub weight: f64,
    /// Standard error of `z*`: `√w·s`.
    pub standard_error: f64,
    /// Lower bound `z* − z_crit·se`.
    pub lower: f64,
    /// Upper bound `z* + z_crit·se`.
    pub upper: f64,
}

/// Shrinks an estimate `z` with standard error `s` toward the parent's estimate with
/// between-area variance `tau2`; `z_crit` sets the interval ([`Z_95`], [`Z_90`]).
///
/// ```
/// use kwm_engine::composite::{shrink_to_parent, Z_95};
/// // s² = 4, τ² = 1: w = 1/(1 + 4) = 0.2, z* = 0.2·30 + 0.8·20 = 22, se = √0.2·2.
/// let s = shrink_to_parent(30.0, 2.0, 20.0, 1.0, Z_95).unwrap();
/// assert!((s.estimate - 22.0).abs() < 1e-12 && (s.weight - 0.2).abs() < 1e-12);
/// assert!((s.standard_error - 0.2f64.sqrt() * 2.0).abs() < 1e-12);
/// ```
pub fn shrink_to_parent(
    z: f64,
    s: f64,
    z_parent: f64,
    tau2: f64,
    z_crit: f64,
) -> Result<Shrunk, CompositeError> {
    if !(z.is_finite() && z_parent.is_finite()) {
        return Err(CompositeError::Setting(format!(
            "shrinkage needs finite estimates, found {z} and parent {z_parent}"
        )));
    }
    if !(s.is_finite() && s >= 0.0 && tau2.is_finite() && tau2 >= 0.0) {
        return Err(CompositeError::Setting(format!(
            "shrinkage needs a standard error ≥ 0 and a between-area variance ≥ 0, found {s} and {tau2}"
        )));
    }
    if s == 0.0 && tau2 == 0.0 {
        return Err(CompositeError::Setting(
            "shrinkage is undefined when both the standard error and the between-area variance are 0".into(),
        ));
    }
    if !(z_crit.is_finite() && z_crit > 0.0) {
        return Err(CompositeError::Setting(format!(
            "the interval's z value must be positive, found {z_crit}"
        )));
    }
    // τ²/(τ² + s²) equals (1/s²)/(1/s² + 1/τ²) and stays defined when s or τ² is 0.
    let s2 = s * s;
    let weight = tau2 / (tau2 + s2);
    let estimate = weight * z + (1.0 - weight) * z_parent;
    let standard_error = weight.sqrt() * s;
    Ok(Shrunk {
        estimate,
        weight,
        standard_error,
        lower: estimate - z_crit * standard_error,
        upper: estimate + z_crit * standard_error,
    })
}

/// A method-of-moments estimate of the between-area variance τ² among areas with estimates
/// `z` and standard errors `s`: the variance of the estimates minus the mean sampling
/// variance, at least 0. `None` with fewer than two areas.
///
/// ```
/// use kwm_engine::composite::between_area_variance;
/// // Estimates 1, 3, 5 (sample variance 4), all with s = 1: τ² = 4 − 1 = 3.
/// assert_eq!(between_area_variance(&[1.0, 3.0, 5.0], &[1.0, 1.0, 1.0]), Some(3.0));
/// ```
pub fn between_area_variance(z: &[f64], s: &[f64]) -> Option<f64> {
    if z.len() < 2 || z.len() != s.len() {
        return None;
    }
    let n = z.len() as f64;
    let mean = z.iter().sum::<f64>() / n;
    let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sampling = s.iter().map(|x| x * x).sum::<f64>() / n;
    Some((var - sampling).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limits_and_errors() {
        // A precise estimate keeps its value; with no between-area variance the parent wins.
        let exact = shrink_to_parent(5.0, 0.0, 9.0, 2.0, Z_95).unwrap();
        assert_eq!(
            (exact.estimate, exact.weight, exact.lower, exact.upper),
            (5.0, 1.0, 5.0, 5.0)
        );
        let pooled = shrink_to_parent(5.0, 1.0, 9.0, 0.0, Z_95).unwrap();
        assert_eq!(
            (pooled.estimate, pooled.weight, pooled.standard_error),
            (9.0, 0.0, 0.0)
        );
        assert!(shrink_to_parent(5.0, 0.0, 9.0, 0.0, Z_95).is_err());
        assert!(shrink_to_parent(5.0, -1.0, 9.0, 1.0, Z_95).is_err());
        assert!(shrink_to_parent(5.0, 1.0, 9.0, 1.0, 0.0).is_err());
        let s = shrink_to_parent(30.0, 2.0, 20.0, 1.0, Z_95).unwrap();
        assert!((s.upper - s.lower - 2.0 * Z_95 * s.standard_error).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn shrunk_estimate_lies_between_area_and_parent_and_narrows(
            z in -100.0f64..100.0, parent in -100.0f64..100.0, s in 0.01f64..50.0, tau2 in 0.0f64..100.0,
        ) {
            let r = shrink_to_parent(z, s, parent, tau2, Z_90).unwrap();
            prop_assert!(r.estimate >= z.min(parent) - 1e-9 && r.estimate <= z.max(parent) + 1e-9);
            prop_assert!((0.0..=1.0).contains(&r.weight));
            prop_assert!(r.standard_error <= s + 1e-12);
            // A less precise estimate (larger s) is pulled further toward the parent.
            let wider = shrink_to_parent(z, s * 2.0, parent, tau2, Z_90).unwrap();
            prop_assert!(wider.weight <= r.weight);
        }
    }
}
