//! Class breaks for choropleth maps.
//!
//! Values are classified *as displayed*: callers pass values already rounded to the
//! indicator's decimals, so a region shown as 12.3 is never in a different class than another
//! region shown as 12.3 (the justice40 lesson: displayed and compared values must agree).

use serde::Serialize;

/// Classes with upper bounds: class `i` holds values `v` with `breaks[i-1] < v <= breaks[i]`
/// (class 0 from the minimum).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classes {
    /// Smallest value.
    pub min: f64,
    /// Inclusive upper bound of each class, ascending; the last is the maximum.
    pub upper_bounds: Vec<f64>,
    /// Number of values in each class.
    pub counts: Vec<usize>,
    /// Method used (`quantile`).
    pub method: &'static str,
}

impl Classes {
    /// The class of a value (0-based).
    pub fn class_of(&self, value: f64) -> usize {
        self.upper_bounds
            .iter()
            .position(|&b| value <= b)
            .unwrap_or(self.upper_bounds.len().saturating_sub(1))
    }

    /// Lower bound of class `i` (exclusive except for class 0, whose bound is the minimum).
    pub fn lower_bound(&self, i: usize) -> f64 {
        if i == 0 {
            self.min
        } else {
            self.upper_bounds[i - 1]
        }
    }
}

/// Quantile classes: up to `k` classes with about equally many regions each. Fewer classes
/// come out when there are fewer distinct values. Returns `None` for no values.
///
/// ```
/// let c = kwm_engine::classify::quantile_classes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3).unwrap();
/// assert_eq!(c.upper_bounds, vec![2.0, 4.0, 6.0]);
/// assert_eq!(c.counts, vec![2, 2, 2]);
/// ```
pub fn quantile_classes(values: &[f64], k: usize) -> Option<Classes> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() || k == 0 {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mut bounds: Vec<f64> = Vec::with_capacity(k);
    for i in 1..=k {
        // Upper bound of class i: the value at the i/k quantile (nearest-rank).
        let idx = ((i * n).div_ceil(k)).clamp(1, n) - 1;
        let b = sorted[idx];
        if bounds.last() != Some(&b) {
            bounds.push(b);
        }
    }
    if *bounds.last().unwrap() != sorted[n - 1] {
        bounds.push(sorted[n - 1]);
    }
    let mut classes = Classes {
        min: sorted[0],
        upper_bounds: bounds,
        counts: Vec::new(),
        method: "quantile",
    };
    let mut counts = vec![0; classes.upper_bounds.len()];
    for &v in &sorted {
        counts[classes.class_of(v)] += 1;
    }
    classes.counts = counts;
    Some(classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_never_straddle_a_break() {
        let c = quantile_classes(&[1.0, 1.0, 1.0, 1.0, 2.0, 3.0], 3).unwrap();
        assert_eq!(c.upper_bounds, vec![1.0, 3.0]);
        assert_eq!(c.counts, vec![4, 2]);
        let single = quantile_classes(&[7.0, 7.0], 5).unwrap();
        assert_eq!(single.upper_bounds, vec![7.0]);
    }

    proptest! {
        #[test]
        fn every_value_is_in_exactly_one_class(values in proptest::collection::vec(-1e3f64..1e3, 1..200), k in 1usize..8) {
            let c = quantile_classes(&values, k).unwrap();
            prop_assert!(c.upper_bounds.len() <= k.max(1) + 1);
            prop_assert_eq!(c.counts.iter().sum::<usize>(), values.len());
            for w in c.upper_bounds.windows(2) { prop_assert!(w[0] < w[1]); }
            for &v in &values {
                let i = c.class_of(v);
                prop_assert!(v <= c.upper_bounds[i]);
                if i > 0 { prop_assert!(v > c.upper_bounds[i - 1]); }
            }
        }
    }
}
