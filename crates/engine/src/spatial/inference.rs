//! Conditional permutation inference for local statistics, and multiple-testing control.
//!
//! For site `i`, its own value stays put and its `k_i` neighbour values are replaced by values
//! drawn without replacement from the other `n − 1` sites; the statistic is recomputed for
//! each of `R` draws and the observed value is located in that reference distribution. As in
//! esda, one table of draws ([`PermutationTable`]) is shared by all sites, which makes the
//! result independent of how sites are spread over threads.

use std::sync::{Arc, Mutex};

use super::random::PermutationTable;
use super::weights::SpatialWeights;
use super::{normal_sf, SpatialError};

/// Which tail(s) a pseudo p-value counts, with esda's names and meanings
/// (`esda.significance.calculate_significance`). `M` below is the count of simulated values
/// that satisfy the condition; the pseudo p-value is `(M + 1) / (R + 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alternative {
    /// esda's default: `M = #(sim ≥ obs)`, replaced by `R − M` when that is smaller, i.e. the
    /// smaller of the two one-sided counts (with `≥` on one side and `<` on the other). Kept
    /// for comparability with published esda/GeoDa results; it is half a two-sided p-value and
    /// so too small — esda itself advises against it.
    #[default]
    Directed,
    /// Both tails: the observed value sits at percentile `p` of the simulated values; `M`
    /// counts simulated values at or below the `min(p, 100 − p)` percentile and at or above
    /// the `max(p, 100 − p)` percentile (linear interpolation, like `np.percentile`).
    TwoSided,
    /// High values: `M = #(sim ≥ obs)`.
    Greater,
    /// Low values: `M = #(sim ≤ obs)`.
    Lesser,
    /// Distance from the simulated mean: `M = #(|sim − mean| ≥ |obs − mean|)`.
    Folded,
}

impl Alternative {
    /// esda's spelling: `directed`, `two-sided`, `greater`, `lesser`, `folded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Alternative::Directed => "directed",
            Alternative::TwoSided => "two-sided",
            Alternative::Greater => "greater",
            Alternative::Lesser => "lesser",
            Alternative::Folded => "folded",
        }
    }

    /// Parses esda's spelling.
    pub fn parse(s: &str) -> Option<Alternative> {
        [
            Alternative::Directed,
            Alternative::TwoSided,
            Alternative::Greater,
            Alternative::Lesser,
            Alternative::Folded,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// Settings of a permutation test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermutationOptions {
    /// Number of random draws `R` (esda's default 999). 0 skips the test.
    pub permutations: usize,
    /// Seed; the same seed gives the same draws as esda's `seed=` argument.
    pub seed: u32,
    /// Which tail(s) the pseudo p-value counts.
    pub alternative: Alternative,
    /// Worker threads; 0 means all available cores. Results do not depend on it.
    pub threads: usize,
}

impl Default for PermutationOptions {
    fn default() -> Self {
        PermutationOptions {
            permutations: 999,
            seed: 12345,
            alternative: Alternative::Directed,
            threads: 0,
        }
    }
}

/// The outcome of a permutation test at one site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Simulated {
    /// Pseudo p-value `(M + 1) / (R + 1)` for the chosen alternative.
    pub p_sim: f64,
    /// Mean of the simulated statistics.
    pub mean: f64,
    /// Standard deviation of the simulated statistics (population, like NumPy's `std`).
    pub sd: f64,
    /// `(observed − mean) / sd`.
    pub z: f64,
    /// One-sided normal tail probability of `|z|`, like esda's `p_z_sim` for local statistics.
    pub p_z: f64,
}

/// Locates `observed` in the simulated values `sims` (which this reorders) and summarises.
pub(crate) fn summarise(observed: f64, sims: &mut [f64], alternative: Alternative) -> Simulated {
    let r = sims.len();
    let rf = r as f64;
    let mean = sims.iter().sum::<f64>() / rf;
    let sd = (sims.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / rf).sqrt();
    fn count(sims: &[f64], pred: impl Fn(f64) -> bool) -> usize {
        sims.iter().filter(|&&s| pred(s)).count()
    }
    let m = match alternative {
        Alternative::Directed => {
            let larger = count(sims, |s| s >= observed);
            larger.min(r - larger)
        }
        Alternative::Greater => count(sims, |s| s >= observed),
        Alternative::Lesser => count(sims, |s| s <= observed),
        Alternative::Folded => {
            let folded = (observed - mean).abs();
            count(sims, |s| (s - mean).abs() >= folded)
        }
        Alternative::TwoSided => {
            let percentile = count(sims, |s| s <= observed) as f64 / rf * 100.0;
            let p_low = percentile.min(100.0 - percentile);
            sims.sort_unstable_by(f64::total_cmp);
            let low = percentile_sorted(sims, p_low);
            let high = percentile_sorted(sims, 100.0 - p_low);
            count(sims, |s| s <= low) + count(sims, |s| s >= high)
        }
    };
    let z = (observed - mean) / sd;
    Simulated {
        p_sim: (m as f64 + 1.0) / (rf + 1.0),
        mean,
        sd,
        z,
        p_z: normal_sf(z.abs()),
    }
}

/// The `q`-th percentile of sorted values with linear interpolation, computed the way numba's
/// `np.percentile` does (`lower·(1 − m) + upper·m`), so ties resolve as in esda.
fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 1 || q == 0.0 {
        return sorted[0];
    }
    if q == 100.0 {
        return sorted[n - 1];
    }
    let rank = 1.0 + (n as f64 - 1.0) * (q / 100.0);
    let f = rank.floor();
    let m = rank - f;
    let k = f as usize - 1;
    let (lower, upper) = (sorted[k], sorted[(k + 1).min(n - 1)]);
    lower * (1.0 - m) + upper * m
}

/// The table for these settings, reusing the previous one when it matches: one `kwm spatial`
/// run tests LISA, G_i* and G_i with the same seed on the same weights, and drawing the table
/// (`R` shuffles of `n − 1` indices) is the one step that cannot run in parallel. Keeping the
/// last table (kilobytes) changes no result, since a table depends only on its four settings.
fn table_for(n: usize, width: usize, permutations: usize, seed: u32) -> Arc<PermutationTable> {
    static LAST: Mutex<Option<Arc<PermutationTable>>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match last.as_ref() {
        Some(table) if table.is(n, width, permutations, seed) => Arc::clone(table),
        _ => {
            let table = Arc::new(PermutationTable::esda(n, width, permutations, seed));
            *last = Some(Arc::clone(&table));
            table
        }
    }
}

pub(crate) fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Runs the conditional permutation test for every site that has neighbours.
///
/// `values` are the values being permuted (standardised for Moran, raw for Gi). For draw `r`
/// at site `i`, `lag` is `Σ_k w_ik · values[draw_k]` over the site's neighbour weights (the
/// self-weight is not included; `statistic(i, lag)` adds what it needs). Islands get `None`.
pub(crate) fn conditional_permutation<F>(
    weights: &SpatialWeights,
    values: &[f64],
    observed: &[f64],
    options: &PermutationOptions,
    statistic: F,
) -> Result<Vec<Option<Simulated>>, SpatialError>
where
    F: Fn(usize, f64) -> f64 + Sync,
{
    let n = weights.len();
    let mut out: Vec<Option<Simulated>> = vec![None; n];
    if options.permutations == 0 {
        return Ok(out);
    }
    let width = weights.neighbours().max_cardinality();
    if width == 0 {
        return Ok(out);
    }
    if width >= n {
        return Err(SpatialError::Weights(format!(
            "a site has {width} neighbours among only {n} sites"
        )));
    }
    let table = table_for(n, width, options.permutations, options.seed);
    let r = options.permutations;
    const CHUNK: usize = 64;
    let chunks = Mutex::new(out.chunks_mut(CHUNK).enumerate());
    let threads = thread_count(options.threads).min(n.div_ceil(CHUNK)).max(1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                // Per-thread buffers, reused for every site: nothing is allocated in the loop.
                let mut sims = vec![0.0f64; r];
                loop {
                    let next = chunks
                        .lock()
                        .expect("no worker panics while holding the lock")
                        .next();
                    let Some((c, slots)) = next else { break };
                    for (offset, slot) in slots.iter_mut().enumerate() {
                        let i = c * CHUNK + offset;
                        let (_, w) = weights.row(i);
                        let k = w.len();
                        if k == 0 {
                            continue;
                        }
                        for (row, sim) in sims.iter_mut().enumerate() {
                            let ids = &table.row(row)[..k];
                            // Map "index among the others" to a site index, skipping i itself.
                            let lag: f64 = ids
                                .iter()
                                .zip(w)
                                .map(|(&j, &w)| {
                                    let j = j as usize;
                                    values[j + usize::from(j >= i)] * w
                                })
                                .sum();
                            *sim = statistic(i, lag);
                        }
                        *slot = Some(summarise(observed[i], &mut sims, options.alternative));
                    }
                }
            });
        }
    });
    Ok(out)
}

/// The false-discovery-rate cut-off of Benjamini and Hochberg, exactly as `esda.fdr`: sort the
/// `m` p-values, find the largest rank `k` with `p_(k) < k·α/m` and return `k·α/m`; when there
/// is none, return the Bonferroni bound `α/m`. A site is significant when `p < cut-off`.
///
/// ```
/// use kwm_engine::spatial::fdr_cutoff;
/// // esda.fdr(np.array([0.001, 0.01, 0.03, 0.5]), 0.05) gives 3 · 0.05 / 4:
/// assert_eq!(fdr_cutoff(&[0.001, 0.01, 0.03, 0.5], 0.05), 0.037500000000000006);
/// ```
pub fn fdr_cutoff(p_values: &[f64], alpha: f64) -> f64 {
    let m = p_values.len();
    let mut sorted: Vec<f64> = p_values.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    for (pos, &p) in sorted.iter().enumerate() {
        let rank = m - pos;
        let cut = rank as f64 * alpha / m as f64;
        if p < cut {
            return cut;
        }
    }
    alpha / m as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directed_takes_the_smaller_tail() {
        let mut sims: Vec<f64> = (0..9).map(f64::from).collect();
        // 2 of 9 are ≥ 7 ⇒ M = 2 ⇒ p = 3/10.
        assert!(
            (summarise(7.0, &mut sims.clone(), Alternative::Directed).p_sim - 0.3).abs() < 1e-15
        );
        // 8 of 9 are ≥ 1 ⇒ the other tail, 9 − 8 = 1 ⇒ p = 2/10.
        assert!((summarise(1.0, &mut sims, Alternative::Directed).p_sim - 0.2).abs() < 1e-15);
    }

    #[test]
    fn one_sided_alternatives_count_ties() {
        let sims = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(
            summarise(2.0, &mut sims.clone(), Alternative::Greater).p_sim,
            4.0 / 5.0
        );
        assert_eq!(
            summarise(2.0, &mut sims.clone(), Alternative::Lesser).p_sim,
            4.0 / 5.0
        );
        assert_eq!(
            summarise(10.0, &mut sims.clone(), Alternative::Greater).p_sim,
            1.0 / 5.0
        );
    }

    #[test]
    fn two_sided_is_about_twice_directed_in_a_tail() {
        let sims: Vec<f64> = (0..999).map(|i| f64::from(i) / 998.0).collect();
        let two = summarise(0.99, &mut sims.clone(), Alternative::TwoSided).p_sim;
        let directed = summarise(0.99, &mut sims.clone(), Alternative::Directed).p_sim;
        assert!(
            (two / directed - 2.0).abs() < 0.2,
            "two-sided {two}, directed {directed}"
        );
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&v, 50.0), 2.5);
        assert_eq!(percentile_sorted(&v, 0.0), 1.0);
        assert_eq!(percentile_sorted(&v, 100.0), 4.0);
        assert!((percentile_sorted(&v, 10.0) - 1.3).abs() < 1e-12);
    }

    #[test]
    fn fdr_falls_back_to_bonferroni() {
        assert_eq!(fdr_cutoff(&[0.5, 0.6], 0.1), 0.05);
    }
}
