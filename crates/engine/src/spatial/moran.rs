//! Moran's I: global (one number for the map) and local (LISA, one per site).
//!
//! Formulas follow esda (`esda.Moran`, `esda.Moran_Local`) operation for operation, so that
//! results agree to rounding and pseudo p-values agree exactly for the same seed.

use super::inference::{conditional_permutation, PermutationOptions, Simulated};
use super::random::Mt19937;
use super::weights::SpatialWeights;
use super::{check_values, normal_sf, SpatialError};

/// Global Moran's I with its analytic moments and, optionally, a permutation test.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalMoran {
    /// Number of sites.
    pub n: usize,
    /// Moran's I.
    pub i: f64,
    /// Expected I under no autocorrelation, `−1/(n − 1)`.
    pub expected: f64,
    /// Variance of I under normality.
    pub variance_normal: f64,
    /// z-score under normality.
    pub z_normal: f64,
    /// Two-sided p-value under normality.
    pub p_normal: f64,
    /// Variance of I under randomisation.
    pub variance_random: f64,
    /// z-score under randomisation.
    pub z_random: f64,
    /// Two-sided p-value under randomisation.
    pub p_random: f64,
    /// The permutation test, when permutations were asked for.
    pub simulated: Option<GlobalSimulated>,
}

/// Permutation test of global Moran's I (whole-map random relabelling, as `esda.Moran`).
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalSimulated {
    /// Number of permutations.
    pub permutations: usize,
    /// Pseudo p-value with esda's directed rule (the smaller tail).
    pub p_sim: f64,
    /// Mean of the simulated I.
    pub mean: f64,
    /// Standard deviation of the simulated I.
    pub sd: f64,
    /// `(I − mean) / sd`.
    pub z: f64,
    /// One-sided normal p-value of `z` (esda's `p_z_sim`).
    pub p_z: f64,
}

/// Global Moran's I of `values` under `weights`.
///
/// The permutation test shuffles all values `permutations` times with NumPy's legacy
/// generator seeded with `seed`; calling `np.random.seed(seed)` before `esda.Moran(...)` gives
/// the same draws and therefore the same `p_sim`.
pub fn global_moran(
    values: &[f64],
    weights: &SpatialWeights,
    permutations: usize,
    seed: u32,
) -> Result<GlobalMoran, SpatialError> {
    check_values(values, weights)?;
    let n = values.len();
    if n < 4 {
        return Err(SpatialError::Values(format!(
            "Moran's I under randomisation needs at least 4 sites, got {n}"
        )));
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let z: Vec<f64> = values.iter().map(|v| v - mean).collect();
    let z2ss: f64 = z.iter().map(|v| v * v).sum();
    if z2ss == 0.0 {
        return Err(SpatialError::Values(
            "all values are equal, so Moran's I is undefined".into(),
        ));
    }
    let s0 = weights.s0();
    let (s1, s2) = weights.s1_s2();
    let statistic = |z: &[f64]| -> f64 {
        let cross: f64 = (0..n)
            .map(|i| {
                let (idx, w) = weights.row(i);
                let lag: f64 = idx
                    .iter()
                    .zip(w)
                    .map(|(&j, &w)| w * z[j as usize])
                    .sum::<f64>()
                    + weights.self_weight(i) * z[i];
                z[i] * lag
            })
            .sum();
        nf / s0 * cross / z2ss
    };
    let i = statistic(&z);
    let expected = -1.0 / (nf - 1.0);
    let (n2, s02) = (nf * nf, s0 * s0);
    let variance_normal = (n2 * s1 - nf * s2 + 3.0 * s02) / ((nf - 1.0) * (nf + 1.0) * s02)
        - (1.0 / (nf - 1.0)).powi(2);
    let k = (z.iter().map(|v| v.powi(4)).sum::<f64>() / nf) / (z2ss / nf).powi(2);
    let a = nf * ((n2 - 3.0 * nf + 3.0) * s1 - nf * s2 + 3.0 * s02);
    let b = k * ((n2 - nf) * s1 - 2.0 * nf * s2 + 6.0 * s02);
    let variance_random =
        (a - b) / ((nf - 1.0) * (nf - 2.0) * (nf - 3.0) * s02) - expected * expected;
    let z_normal = (i - expected) / variance_normal.sqrt();
    let z_random = (i - expected) / variance_random.sqrt();

    let simulated = (permutations > 0).then(|| {
        let mut rng = Mt19937::new(seed);
        let mut shuffled = z.clone();
        let sims: Vec<f64> = (0..permutations)
            .map(|_| {
                // np.random.permutation shuffles a fresh copy of the original order each time.
                shuffled.copy_from_slice(&z);
                rng.shuffle(&mut shuffled);
                statistic(&shuffled)
            })
            .collect();
        let r = permutations as f64;
        let larger = sims.iter().filter(|&&s| s >= i).count();
        let m = larger.min(permutations - larger);
        let mean = sims.iter().sum::<f64>() / r;
        let sd = (sims.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / r).sqrt();
        let z = (i - mean) / sd;
        GlobalSimulated {
            permutations,
            p_sim: (m as f64 + 1.0) / (r + 1.0),
            mean,
            sd,
            z,
            p_z: normal_sf(z.abs()),
        }
    });
    Ok(GlobalMoran {
        n,
        i,
        expected,
        variance_normal,
        z_normal,
        p_normal: 2.0 * normal_sf(z_normal.abs()),
        variance_random,
        z_random,
        p_random: 2.0 * normal_sf(z_random.abs()),
        simulated,
    })
}

/// The Moran scatterplot quadrant of a site: its own value against its neighbours' (spatial
/// lag), both relative to the mean. Numbered as esda (`q` attribute, `geoda_quads=False`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quadrant {
    /// High value among high neighbours (1): a hot spot.
    HighHigh = 1,
    /// Low value among high neighbours (2): a cold outlier.
    LowHigh = 2,
    /// Low value among low neighbours (3): a cold spot.
    LowLow = 3,
    /// High value among low neighbours (4): a hot outlier.
    HighLow = 4,
}

impl Quadrant {
    /// `HH`, `LH`, `LL` or `HL`.
    pub fn label(self) -> &'static str {
        match self {
            Quadrant::HighHigh => "HH",
            Quadrant::LowHigh => "LH",
            Quadrant::LowLow => "LL",
            Quadrant::HighLow => "HL",
        }
    }

    /// esda's code 1–4.
    pub fn code(self) -> u8 {
        self as u8
    }

    fn of(z: f64, lag: f64) -> Quadrant {
        match (z > 0.0, lag > 0.0) {
            (true, true) => Quadrant::HighHigh,
            (false, true) => Quadrant::LowHigh,
            (false, false) => Quadrant::LowLow,
            (true, false) => Quadrant::HighLow,
        }
    }
}

/// Local Moran's I at one site that has neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalMoranSite {
    /// `I_i = (n − 1)·z_i·Σ_j w_ij z_j / Σ z²`.
    pub i: f64,
    /// The standardised value `z_i = (y_i − ȳ)/σ` (population σ).
    pub z: f64,
    /// The spatial lag of z, `Σ_j w_ij z_j`.
    pub lag: f64,
    /// Scatterplot quadrant.
    pub quadrant: Quadrant,
    /// E[I_i] under conditional randomisation (Sokal et al. 1998, A7), esda's `EIc`.
    pub expected_conditional: f64,
    /// Var[I_i] under conditional randomisation (A8), esda's `VIc`.
    pub variance_conditional: f64,
    /// E[I_i] under total randomisation (A3), esda's `EI`.
    pub expected_total: f64,
    /// Var[I_i] under total randomisation (A4), esda's `VI`.
    pub variance_total: f64,
    /// The conditional permutation test, when permutations were asked for.
    pub simulated: Option<Simulated>,
}

/// Local Moran's I for every site. Islands (no neighbours) get `None`: they have no
/// neighbourhood to be clustered with, and esda's convention of a zero statistic with a
/// pseudo p-value of 0.001 would wrongly flag them as significant.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalMoran {
    /// One entry per site, `None` for islands.
    pub sites: Vec<Option<LocalMoranSite>>,
    /// Permutation settings used.
    pub options: PermutationOptions,
}

impl LocalMoran {
    /// Indices of the islands.
    pub fn islands(&self) -> Vec<usize> {
        (0..self.sites.len())
            .filter(|&i| self.sites[i].is_none())
            .collect()
    }
}

/// Local Moran's I (LISA) of `values` under `weights` (esda's default is row-standardised),
/// with the conditional permutation test described by `options`.
///
/// ```
/// use kwm_engine::spatial::{local_moran, Neighbours, PermutationOptions, Quadrant, SpatialWeights, Transform};
/// // Five sites on a line; the high values cluster at one end.
/// let nb = Neighbours::from_lists(vec![vec![1], vec![0, 2], vec![1, 3], vec![2, 4], vec![3]]).unwrap();
/// let w = SpatialWeights::new(&nb, Transform::Row);
/// let lisa = local_moran(&[9.0, 8.0, 5.0, 1.0, 0.0], &w, &PermutationOptions { permutations: 99, ..Default::default() }).unwrap();
/// let first = lisa.sites[0].as_ref().unwrap();
/// assert_eq!(first.quadrant, Quadrant::HighHigh);
/// assert!(first.i > 0.0);
/// ```
pub fn local_moran(
    values: &[f64],
    weights: &SpatialWeights,
    options: &PermutationOptions,
) -> Result<LocalMoran, SpatialError> {
    check_values(values, weights)?;
    let n = values.len();
    if n < 3 {
        return Err(SpatialError::Values(format!(
            "local Moran's I needs at least 3 sites, got {n}"
        )));
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / nf).sqrt();
    if sd == 0.0 {
        return Err(SpatialError::Values(
            "all values are equal, so local Moran's I is undefined".into(),
        ));
    }
    let z: Vec<f64> = values.iter().map(|v| (v - mean) / sd).collect();
    let den: f64 = z.iter().map(|v| v * v).sum();
    let n_1 = nf - 1.0;
    let lags: Vec<f64> = (0..n)
        .map(|i| {
            let (idx, w) = weights.row(i);
            idx.iter()
                .zip(w)
                .map(|(&j, &w)| w * z[j as usize])
                .sum::<f64>()
                + weights.self_weight(i) * z[i]
        })
        .collect();
    // Same order of operations as esda: ((n − 1)·z)·lag / den.
    let observed: Vec<f64> = (0..n).map(|i| n_1 * z[i] * lags[i] / den).collect();
    let scaling = n_1 / den;
    let simulated = conditional_permutation(weights, &z, &observed, options, |i, lag| {
        z[i] * (lag + weights.self_weight(i) * z[i]) * scaling
    })?;

    let m2 = den / nf;
    let m4 = z.iter().map(|v| v.powi(4)).sum::<f64>() / nf;
    let b2 = m4 / (m2 * m2);
    let sites = (0..n)
        .map(|i| {
            if weights.neighbours().cardinality(i) == 0 {
                return None;
            }
            let (_, w) = weights.row(i);
            let sw = weights.self_weight(i);
            let wi = w.iter().sum::<f64>() + sw;
            let wi2 = w.iter().map(|w| w * w).sum::<f64>() + sw * sw;
            let zi2 = z[i] * z[i];
            let variance_conditional =
                (z[i] / m2).powi(2) * (nf / (nf - 2.0)) * (wi2 - wi * wi / n_1) * (m2 - zi2 / n_1);
            let variance_total = wi2 * (nf - b2) / n_1
                + (wi * wi - wi2) * (2.0 * b2 - nf) / (n_1 * (nf - 2.0))
                - (wi / n_1).powi(2);
            Some(LocalMoranSite {
                i: observed[i],
                z: z[i],
                lag: lags[i],
                quadrant: Quadrant::of(z[i], lags[i]),
                expected_conditional: -(zi2 * wi) / (n_1 * m2),
                variance_conditional,
                expected_total: -wi / n_1,
                variance_total,
                simulated: simulated[i],
            })
        })
        .collect();
    Ok(LocalMoran {
        sites,
        options: *options,
    })
}

/// Whether a LISA site is significant at `cutoff` (use `alpha`, or an [`super::fdr_cutoff`]).
/// Always false without a permutation test.
pub fn is_significant(site: &LocalMoranSite, cutoff: f64) -> bool {
    site.simulated.is_some_and(|s| s.p_sim < cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::{getis_ord_local, Alternative, Neighbours, Transform};

    /// A 12 × 12 rook grid with a smooth gradient plus a fixed wobble, and one island.
    fn grid() -> (Neighbours, Vec<f64>) {
        let side = 12;
        let mut lists = vec![Vec::new(); side * side + 1];
        for r in 0..side {
            for c in 0..side {
                let i = r * side + c;
                if c + 1 < side {
                    lists[i].push(i + 1);
                    lists[i + 1].push(i);
                }
                if r + 1 < side {
                    lists[i].push(i + side);
                    lists[i + side].push(i);
                }
            }
        }
        let values = (0..side * side + 1)
            .map(|i| (i % side + i / side) as f64 + ((i * 7919) % 13) as f64 / 4.0)
            .collect();
        (Neighbours::from_lists(lists).unwrap(), values)
    }

    #[test]
    fn results_do_not_depend_on_the_number_of_threads() {
        let (nb, y) = grid();
        let w = SpatialWeights::new(&nb, Transform::Row);
        for alternative in [
            Alternative::Directed,
            Alternative::TwoSided,
            Alternative::Folded,
        ] {
            let run = |threads| {
                local_moran(
                    &y,
                    &w,
                    &PermutationOptions {
                        permutations: 199,
                        seed: 7,
                        alternative,
                        threads,
                    },
                )
                .unwrap()
            };
            assert_eq!(run(1).sites, run(3).sites);
            assert_eq!(run(1).sites, run(8).sites);
        }
        let g = |threads| {
            getis_ord_local(
                &y,
                &nb,
                Transform::Row,
                Some(1.0),
                &PermutationOptions {
                    threads,
                    ..Default::default()
                },
            )
            .unwrap()
        };
        assert_eq!(g(1).sites, g(4).sites);
    }

    #[test]
    fn islands_get_no_statistic_and_a_gradient_clusters() {
        let (nb, y) = grid();
        let w = SpatialWeights::new(&nb, Transform::Row);
        let lisa = local_moran(
            &y,
            &w,
            &PermutationOptions {
                permutations: 99,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(lisa.islands(), vec![144]);
        let corner_low = lisa.sites[0].as_ref().unwrap();
        assert_eq!(corner_low.quadrant, Quadrant::LowLow);
        assert!(
            corner_low.simulated.unwrap().p_sim <= 0.05,
            "{corner_low:?}"
        );
        let global = global_moran(&y, &w, 99, 1).unwrap();
        assert!(global.i > 0.5 && global.z_normal > 5.0, "{global:?}");
        assert_eq!(global.simulated.unwrap().p_sim, 0.01);
    }

    #[test]
    fn constant_values_are_an_error_not_nan() {
        let (nb, _) = grid();
        let w = SpatialWeights::new(&nb, Transform::Row);
        let y = vec![3.0; nb.len()];
        assert!(local_moran(&y, &w, &PermutationOptions::default()).is_err());
        assert!(global_moran(&y, &w, 0, 0).is_err());
    }
}
