//! Getis–Ord local statistics G_i and G_i* (hot and cold spots), as `esda.G_Local`.

use super::inference::{conditional_permutation, PermutationOptions, Simulated};
use super::weights::{Neighbours, SpatialWeights, Transform};
use super::{check_values, normal_sf, SpatialError};

/// G_i or G_i* at one site that has neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalGSite {
    /// `G_i = Σ_j w_ij y_j / (Σ y − y_i)`, or for G_i* `Σ_j w_ij y_j / Σ y` with the site's own
    /// value in the numerator through its self-weight.
    pub g: f64,
    /// Expected value under no association, `W_i / N` (`W_i` = row sum, `N = n − 1` for G_i).
    pub expected: f64,
    /// Analytic variance.
    pub variance: f64,
    /// `(G − E) / √Var`: positive for hot spots, negative for cold spots.
    pub z: f64,
    /// One-sided normal p-value of `|z|` (esda's `p_norm`).
    pub p_norm: f64,
    /// The conditional permutation test, when permutations were asked for.
    pub simulated: Option<Simulated>,
}

/// G_i or G_i* for every site; islands get `None` (no neighbourhood to sum over).
#[derive(Debug, Clone, PartialEq)]
pub struct LocalG {
    /// One entry per site.
    pub sites: Vec<Option<LocalGSite>>,
    /// Whether this is G_i* (own value included).
    pub star: bool,
    /// Permutation settings used.
    pub options: PermutationOptions,
}

/// Getis–Ord G_i (`star = None`) or G_i* (`star = Some(self_weight)`) of non-negative
/// `values`. For G_i* every site with neighbours weighs itself with `self_weight` before the
/// transform is applied to the whole row: with `Some(1.0)` and [`Transform::Row`] a site and
/// each of its `k` neighbours weigh `1/(k + 1)` — esda's behaviour for `star=True` with
/// binary input weights (it fills the diagonal with the row maximum, then standardises).
///
/// ```
/// use kwm_engine::spatial::{getis_ord_local, Neighbours, PermutationOptions, Transform};
/// let nb = Neighbours::from_lists(vec![vec![1], vec![0, 2], vec![1, 3], vec![2, 4], vec![3]]).unwrap();
/// let opts = PermutationOptions { permutations: 0, ..Default::default() };
/// let g = getis_ord_local(&[9.0, 8.0, 5.0, 1.0, 0.0], &nb, Transform::Row, Some(1.0), &opts).unwrap();
/// assert!(g.sites[0].as_ref().unwrap().z > 0.0); // hot end
/// assert!(g.sites[4].as_ref().unwrap().z < 0.0); // cold end
/// ```
pub fn getis_ord_local(
    values: &[f64],
    neighbours: &Neighbours,
    transform: Transform,
    star: Option<f64>,
    options: &PermutationOptions,
) -> Result<LocalG, SpatialError> {
    let weights = match star {
        Some(s) if !(s > 0.0 && s.is_finite()) => {
            return Err(SpatialError::Weights(format!(
                "the G_i* self-weight must be positive, got {s}"
            )));
        }
        Some(s) => SpatialWeights::with_self_weight(neighbours, transform, s),
        None => SpatialWeights::new(neighbours, transform),
    };
    check_values(values, &weights)?;
    if let Some(i) = values.iter().position(|&v| v < 0.0) {
        return Err(SpatialError::Values(format!(
            "Getis–Ord G needs non-negative values; site {i} has {}",
            values[i]
        )));
    }
    let n = values.len();
    if n < 3 {
        return Err(SpatialError::Values(format!(
            "Getis–Ord G needs at least 3 sites, got {n}"
        )));
    }
    let remove_self = if star.is_some() { 0.0 } else { 1.0 };
    let big_n = n as f64 - remove_self;
    let sum: f64 = values.iter().sum();
    let sum_sq: f64 = values.iter().map(|v| v * v).sum();
    if sum <= 0.0 {
        return Err(SpatialError::Values(
            "Getis–Ord G needs values that are not all zero".into(),
        ));
    }
    let observed: Vec<f64> = (0..n)
        .map(|i| {
            let (idx, w) = weights.row(i);
            let lag = idx
                .iter()
                .zip(w)
                .map(|(&j, &w)| w * values[j as usize])
                .sum::<f64>()
                + weights.self_weight(i) * values[i];
            lag / (sum - values[i] * remove_self)
        })
        .collect();
    let simulated = if star.is_some() {
        conditional_permutation(&weights, values, &observed, options, |i, lag| {
            (lag + weights.self_weight(i) * values[i]) / sum
        })?
    } else {
        conditional_permutation(&weights, values, &observed, options, |i, lag| {
            lag / (sum - values[i])
        })?
    };
    let sites = (0..n)
        .map(|i| {
            if neighbours.cardinality(i) == 0 {
                return None;
            }
            let y = values[i];
            let mean = (sum - y * remove_self) / big_n;
            let mean_of_squares = (sum_sq - y * y * remove_self) / big_n;
            let empirical_variance = mean_of_squares - mean * mean;
            let cardinality = weights.row_sum(i);
            let expected = cardinality / big_n;
            // Same order of operations as esda.
            let mut variance = cardinality * (big_n - cardinality);
            variance /= big_n - 1.0;
            variance *= 1.0 / (big_n * big_n);
            variance *= empirical_variance / (mean * mean);
            let z = (observed[i] - expected) / variance.sqrt();
            Some(LocalGSite {
                g: observed[i],
                expected,
                variance,
                z,
                p_norm: normal_sf(z.abs()),
                simulated: simulated[i],
            })
        })
        .collect();
    Ok(LocalG {
        sites,
        star: star.is_some(),
        options: *options,
    })
}
