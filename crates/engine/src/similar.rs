//! Similar areas: the k nearest neighbours of one region on standardised, weighted variables.
//!
//! Each variable is standardised over the regions that have *every* variable (z-score with the
//! population standard deviation), multiplied by its weight, and regions are ordered by
//! Euclidean distance to the target, ties by key. A variable with no spread (all equal) adds
//! nothing. Regions lacking a variable are left out, never filled in; a target lacking one has
//! no neighbours.

/// One candidate: a key (region code) and its variables, `None` where missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<K> {
    /// The region's key.
    pub key: K,
    /// Values in the order of the weights.
    pub values: Vec<Option<f64>>,
}

/// A neighbour and its distance in standardised units.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour<K> {
    /// The region's key.
    pub key: K,
    /// Weighted Euclidean distance on z-scores.
    pub distance: f64,
}

/// The `k` candidates nearest to `target` (which must be among `candidates`), or an empty list
/// when the target lacks a variable. `weights[j]` belongs to variable j.
///
/// ```
/// use kwm_engine::similar::{nearest, Candidate};
/// let c = |key: &'static str, x: f64| Candidate { key, values: vec![Some(x)] };
/// let all = [c("a", 1.0), c("b", 2.0), c("c", 10.0), c("d", 2.5)];
/// let n = nearest(&all, &"b", &[1.0], 2);
/// assert_eq!(n.iter().map(|x| x.key).collect::<Vec<_>>(), ["d", "a"]);
/// ```
pub fn nearest<K: Clone + Ord>(
    candidates: &[Candidate<K>],
    target: &K,
    weights: &[f64],
    k: usize,
) -> Vec<Neighbour<K>> {
    let complete: Vec<(&K, Vec<f64>)> = candidates
        .iter()
        .filter_map(|c| {
            let v: Option<Vec<f64>> = c.values.iter().copied().collect();
            v.filter(|v| v.len() == weights.len() && v.iter().all(|x| x.is_finite()))
                .map(|v| (&c.key, v))
        })
        .collect();
    let Some((_, t)) = complete.iter().find(|(key, _)| *key == target) else {
        return Vec::new();
    };
    let n = complete.len() as f64;
    let scale: Vec<f64> = (0..weights.len())
        .map(|j| {
            let mean = complete.iter().map(|(_, v)| v[j]).sum::<f64>() / n;
            let var = complete
                .iter()
                .map(|(_, v)| (v[j] - mean).powi(2))
                .sum::<f64>()
                / n;
            if var > 0.0 {
                weights[j] / var.sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let mut out: Vec<Neighbour<K>> = complete
        .iter()
        .filter(|(key, _)| *key != target)
        .map(|(key, v)| Neighbour {
            key: (*key).clone(),
            distance: v
                .iter()
                .zip(t)
                .zip(&scale)
                .map(|((a, b), s)| ((a - b) * s).powi(2))
                .sum::<f64>()
                .sqrt(),
        })
        .collect();
    out.sort_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then_with(|| a.key.cmp(&b.key))
    });
    out.truncate(k);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_so_units_do_not_matter_and_skips_incomplete_regions() {
        // Variable 2 is variable 1 × 1000: scaling must not change the order.
        let c = |key: &'static str, x: Option<f64>, y: Option<f64>| Candidate {
            key,
            values: vec![x, y],
        };
        let all = [
            c("t", Some(0.0), Some(0.0)),
            c("near", Some(1.0), Some(1000.0)),
            c("far", Some(3.0), Some(3000.0)),
            c("gap", Some(0.0), None),
        ];
        let n = nearest(&all, &"t", &[1.0, 1.0], 10);
        assert_eq!(n.iter().map(|x| x.key).collect::<Vec<_>>(), ["near", "far"]);
        assert!(nearest(&all, &"gap", &[1.0, 1.0], 10).is_empty());
    }
}
