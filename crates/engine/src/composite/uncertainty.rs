//! Uncertainty and sensitivity of a composite's ranking (JRC/OECD Handbook step 7; COINr's
//! `get_sensitivity`).
//!
//! Each uncertain choice is a [`Factor`] with alternatives. A run draws one uniform number per
//! factor and maps it onto an alternative (discrete uniform), recomputes the composite, and
//! ranks the units.
//!
//! - [`rank_uncertainty`]: `N` random runs; per unit the median rank and the 5th–95th
//!   percentile interval (90%), R's quantile type 7.
//! - [`sensitivity`]: the `N·(d + 2)` design of Saltelli et al. (matrices A, B and the `d`
//!   matrices A with column `i` from B). The output of a run is the mean absolute rank shift
//!   from the nominal ranking (as COINr); first-order `Sᵢ = mean(y_B·(y_ABᵢ − y_A))/V` and total
//!   `STᵢ = Σ(y_A − y_ABᵢ)²/(2NV)` (Jansen), `V` the sample variance of `y_A` and `y_B`. Rank
//!   statistics come from the `2N` runs of A and B.
//!
//! Everything is seeded: the same spec and seed give the same numbers. Unlike COINr, a run
//! that fails is not recorded as missing: the analysis stops with the run's choices, and
//! every alternative is first tried once against the nominal spec so a setting that cannot
//! apply is reported before any run.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::normalise::quantile_sorted;
use super::weights::normalise_weights;
use super::{
    finish, normalise_table, Aggregation, CompositeError, CompositeResult, CompositeSpec,
    Normalisation, Rng, Table, Weighting, Winsorise,
};

/// The alternatives of one uncertain choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "alternatives", rename_all = "snake_case")]
pub enum Alternatives {
    /// Winsorising settings (`None` = no winsorising).
    Winsorise(Vec<Option<Winsorise>>),
    /// Normalisation methods.
    Normalisation(Vec<Normalisation>),
    /// Weighting schemes.
    Weighting(Vec<Weighting>),
    /// Random perturbation of the weights: each weight times `1 + U(−relative, relative)`,
    /// then scaled to sum 1 (COINr's `get_noisy_weights`). The `replications` noisy weight
    /// sets are drawn once from the seed; a run picks one of them.
    WeightNoise {
        /// Largest relative change, in `(0, 1)`.
        relative: f64,
        /// Number of noisy weight sets to choose from.
        replications: usize,
    },
    /// Aggregation methods.
    Aggregation(Vec<Aggregation>),
    /// Minimum data-availability shares.
    MinCoverage(Vec<f64>),
}

impl Alternatives {
    fn count(&self) -> usize {
        match self {
            Alternatives::Winsorise(v) => v.len(),
            Alternatives::Normalisation(v) => v.len(),
            Alternatives::Weighting(v) => v.len(),
            Alternatives::WeightNoise { replications, .. } => *replications,
            Alternatives::Aggregation(v) => v.len(),
            Alternatives::MinCoverage(v) => v.len(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Alternatives::Winsorise(_) => "winsorising",
            Alternatives::Normalisation(_) => "normalisation",
            Alternatives::Weighting(_) => "weighting",
            Alternatives::WeightNoise { .. } => "weight noise",
            Alternatives::Aggregation(_) => "aggregation",
            Alternatives::MinCoverage(_) => "minimum data availability",
        }
    }
}

/// One uncertain choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    /// Name shown with its sensitivity index.
    pub name: String,
    /// Its alternatives.
    pub alternatives: Alternatives,
}

/// An uncertainty or sensitivity analysis: the nominal method, the uncertain choices, the
/// number of runs `N` and the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncertaintySpec {
    /// The method whose ranking is the reference.
    pub nominal: CompositeSpec,
    /// The uncertain choices; each kind at most once.
    pub factors: Vec<Factor>,
    /// `N`: runs of an uncertainty analysis; a sensitivity analysis makes `N·(d + 2)`.
    pub runs: usize,
    /// Seed of the random numbers.
    pub seed: u64,
}

/// Rank statistics of one unit over the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRankStats {
    /// Unit id.
    pub unit: String,
    /// Rank under the nominal method (1 = most vulnerable).
    pub nominal_rank: Option<usize>,
    /// Median rank over the runs.
    pub median_rank: Option<f64>,
    /// 5th percentile of the ranks: the better end of the 90% interval.
    pub lower_rank: Option<f64>,
    /// 95th percentile of the ranks.
    pub upper_rank: Option<f64>,
    /// Mean rank.
    pub mean_rank: Option<f64>,
    /// Runs in which the unit had a score (it can miss one under a stricter data threshold).
    pub runs_with_score: usize,
}

/// The result of [`rank_uncertainty`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UncertaintyResult {
    /// The analysis as specified.
    pub spec: UncertaintySpec,
    /// The nominal composite.
    pub nominal: CompositeResult,
    /// Runs the statistics are based on.
    pub runs: usize,
    /// Per unit, in the table's order.
    pub units: Vec<UnitRankStats>,
}

/// Sensitivity indices of one factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityIndex {
    /// Factor name.
    pub factor: String,
    /// First-order index `Sᵢ`: share of the output variance due to this choice alone.
    /// `None` when the output does not vary at all.
    pub first_order: Option<f64>,
    /// Total index `STᵢ`: including its interactions with other choices.
    pub total: Option<f64>,
}

/// The result of [`sensitivity`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityResult {
    /// Rank statistics over the `2N` runs of matrices A and B.
    pub uncertainty: UncertaintyResult,
    /// All runs made: `N·(d + 2)`.
    pub total_runs: usize,
    /// What the indices measure the variance of.
    pub output: &'static str,
    /// Variance `V` of the output.
    pub output_variance: f64,
    /// Per factor, in the spec's order.
    pub indices: Vec<SensitivityIndex>,
}

/// Runs an uncertainty analysis: `spec.runs` random runs.
pub fn rank_uncertainty(
    table: &Table,
    spec: &UncertaintySpec,
) -> Result<UncertaintyResult, CompositeError> {
    let mut runner = Runner::new(table, spec)?;
    let d = spec.factors.len();
    let samples: Vec<Vec<f64>> = (0..spec.runs)
        .map(|_| (0..d).map(|_| runner.rng.next_f64()).collect())
        .collect();
    let ranks = runner.run_all(&samples)?;
    Ok(runner.into_result(&ranks))
}

/// Runs a variance-based sensitivity analysis: `N·(d + 2)` runs, `d ≥ 2` factors.
pub fn sensitivity(
    table: &Table,
    spec: &UncertaintySpec,
) -> Result<SensitivityResult, CompositeError> {
    let d = spec.factors.len();
    if d < 2 {
        return Err(CompositeError::Setting(format!(
            "a sensitivity analysis needs at least two uncertain choices, found {d}; run an uncertainty analysis instead"
        )));
    }
    let mut runner = Runner::new(table, spec)?;
    let n = spec.runs;
    let a: Vec<Vec<f64>> = (0..n)
        .map(|_| (0..d).map(|_| runner.rng.next_f64()).collect())
        .collect();
    let b: Vec<Vec<f64>> = (0..n)
        .map(|_| (0..d).map(|_| runner.rng.next_f64()).collect())
        .collect();
    let mut samples = Vec::with_capacity(n * (d + 2));
    samples.extend(a.iter().cloned());
    samples.extend(b.iter().cloned());
    for i in 0..d {
        for (row_a, row_b) in a.iter().zip(&b) {
            let mut row = row_a.clone();
            row[i] = row_b[i];
            samples.push(row);
        }
    }
    let ranks = runner.run_all(&samples)?;
    let nominal = &runner.nominal.ranks;
    let y: Vec<f64> = ranks
        .iter()
        .enumerate()
        .map(|(run, r)| {
            let (sum, count) =
                r.iter()
                    .zip(nominal)
                    .fold((0.0, 0usize), |(s, c), (x, nom)| match (x, nom) {
                        (Some(x), Some(nom)) => (s + (f64::from(*x) - *nom as f64).abs(), c + 1),
                        _ => (s, c),
                    });
            if count == 0 {
                Err(CompositeError::Run {
                    run: run + 1,
                    choices: runner.describe(&samples[run]),
                    message: "no unit has both a nominal and a run score".into(),
                })
            } else {
                Ok(sum / count as f64)
            }
        })
        .collect::<Result<_, _>>()?;
    let (variance, pairs) = jansen_indices(&y, n, d)?;
    let indices = spec
        .factors
        .iter()
        .zip(pairs)
        .map(|(f, (s, st))| SensitivityIndex {
            factor: f.name.clone(),
            first_order: s,
            total: st,
        })
        .collect();
    let uncertainty = runner.into_result(&ranks[..2 * n]);
    Ok(SensitivityResult {
        uncertainty,
        total_runs: samples.len(),
        output: "mean absolute rank shift from the nominal ranking",
        output_variance: variance,
        indices,
    })
}

/// First-order and total sensitivity indices from outputs of the `N·(d + 2)` design, laid out
/// as `y_A` (N), `y_B` (N), then `y_ABᵢ` for `i = 1..d` (N each). Returns the variance `V` of
/// `y_A ∪ y_B` (sample variance) and per factor `(Sᵢ, STᵢ)`, both `None` when `V = 0`.
///
/// ```
/// use kwm_engine::composite::jansen_indices;
/// // y = x₁ on a two-point design where only factor 1 changes the output.
/// let y = [0.0, 1.0, /* B */ 1.0, 0.0, /* AB1 */ 1.0, 0.0, /* AB2 */ 0.0, 1.0];
/// let (v, s) = jansen_indices(&y, 2, 2).unwrap();
/// assert!(v > 0.0);
/// assert_eq!(s[1], (Some(0.0), Some(0.0)));
/// ```
#[allow(clippy::type_complexity)]
pub fn jansen_indices(
    y: &[f64],
    n: usize,
    d: usize,
) -> Result<(f64, Vec<(Option<f64>, Option<f64>)>), CompositeError> {
    if n < 2 || y.len() != n * (d + 2) {
        return Err(CompositeError::Setting(format!(
            "the sensitivity design needs N ≥ 2 and N·(d + 2) = {} outputs, found N = {n} and {}",
            n * (d + 2),
            y.len()
        )));
    }
    let (ya, rest) = y.split_at(n);
    let (yb, yab) = rest.split_at(n);
    let both: Vec<f64> = ya.iter().chain(yb).copied().collect();
    let mean = both.iter().sum::<f64>() / both.len() as f64;
    let variance = both.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (both.len() - 1) as f64;
    let indices = yab
        .chunks(n)
        .map(|yabi| {
            if variance == 0.0 {
                return (None, None);
            }
            let first = ya
                .iter()
                .zip(yb)
                .zip(yabi)
                .map(|((a, b), ab)| b * (ab - a))
                .sum::<f64>()
                / n as f64
                / variance;
            let total = ya
                .iter()
                .zip(yabi)
                .map(|(a, ab)| (a - ab).powi(2))
                .sum::<f64>()
                / (2.0 * n as f64 * variance);
            (Some(first), Some(total))
        })
        .collect();
    Ok((variance, indices))
}

/// Evaluates runs, caching normalisations (the expensive, sorting step) per choice.
struct Runner<'a> {
    table: &'a Table,
    spec: &'a UncertaintySpec,
    rng: Rng,
    nominal: CompositeResult,
    /// Multipliers `1 + U(−r, r)` per replication and indicator, when a factor adds noise.
    noise: Vec<Vec<f64>>,
    cache: HashMap<(usize, usize), Vec<Vec<Option<f64>>>>,
}

/// The alternative chosen by a uniform number `u` among `count` (discrete uniform).
fn pick(u: f64, count: usize) -> usize {
    ((u * count as f64) as usize).min(count - 1)
}

impl<'a> Runner<'a> {
    fn new(table: &'a Table, spec: &'a UncertaintySpec) -> Result<Runner<'a>, CompositeError> {
        if spec.runs < 2 {
            return Err(CompositeError::Setting(format!(
                "an uncertainty analysis needs at least 2 runs, found {}",
                spec.runs
            )));
        }
        if spec.factors.is_empty() {
            return Err(CompositeError::Setting("no uncertain choices given".into()));
        }
        let mut kinds = Vec::new();
        for f in &spec.factors {
            let kind = f.alternatives.kind();
            if kinds.contains(&kind) {
                return Err(CompositeError::Setting(format!(
                    "two factors vary the {kind}; combine their alternatives into one factor"
                )));
            }
            kinds.push(kind);
            if f.alternatives.count() == 0 {
                return Err(CompositeError::Setting(format!(
                    "factor {} has no alternatives",
                    f.name
                )));
            }
            if let Alternatives::WeightNoise { relative, .. } = f.alternatives {
                if !(relative > 0.0 && relative < 1.0) {
                    return Err(CompositeError::Setting(format!(
                        "factor {}: weight noise must be a share in (0, 1), found {relative}",
                        f.name
                    )));
                }
            }
        }
        let nominal = super::compute_composite(table, &spec.nominal)?;
        let mut rng = Rng::seeded(spec.seed);
        let d = table.indicators().len();
        let noise = match spec.factors.iter().find_map(|f| match f.alternatives {
            Alternatives::WeightNoise {
                relative,
                replications,
            } => Some((relative, replications)),
            _ => None,
        }) {
            Some((relative, replications)) => (0..replications)
                .map(|_| {
                    (0..d)
                        .map(|_| 1.0 + (rng.next_f64() * 2.0 - 1.0) * relative)
                        .collect()
                })
                .collect(),
            None => Vec::new(),
        };
        let mut runner = Runner {
            table,
            spec,
            rng,
            nominal,
            noise,
            cache: HashMap::new(),
        };
        // Try every alternative once with the other choices nominal: a setting that cannot
        // apply is reported here, named, rather than in some later run.
        for (k, f) in spec.factors.iter().enumerate() {
            // Noisy weight sets differ only in positive multipliers: one is checked for all.
            let checked = match f.alternatives {
                Alternatives::WeightNoise { .. } => 1,
                _ => f.alternatives.count(),
            };
            for j in 0..checked {
                let mut choice: Vec<Option<usize>> = vec![None; spec.factors.len()];
                choice[k] = Some(j);
                runner.evaluate(&choice).map_err(|e| {
                    CompositeError::Setting(format!(
                        "factor {}, alternative {}: {e}",
                        f.name,
                        j + 1
                    ))
                })?;
            }
        }
        Ok(runner)
    }

    fn choices(&self, sample: &[f64]) -> Vec<Option<usize>> {
        self.spec
            .factors
            .iter()
            .zip(sample)
            .map(|(f, u)| Some(pick(*u, f.alternatives.count())))
            .collect()
    }

    fn describe(&self, sample: &[f64]) -> Vec<String> {
        self.spec
            .factors
            .iter()
            .zip(self.choices(sample))
            .map(|(f, c)| {
                let j = c.unwrap_or(0);
                let what = match &f.alternatives {
                    Alternatives::Winsorise(v) => v[j].map_or("no winsorising".into(), |w| {
                        format!("winsorise {}–{}", w.lower, w.upper)
                    }),
                    Alternatives::Normalisation(v) => v[j].label(),
                    Alternatives::Weighting(v) => v[j].label(),
                    Alternatives::WeightNoise { .. } => format!("noisy weights #{}", j + 1),
                    Alternatives::Aggregation(v) => v[j].label(),
                    Alternatives::MinCoverage(v) => format!("min. data availability {}", v[j]),
                };
                format!("{}: {what}", f.name)
            })
            .collect()
    }

    /// Computes the composite for a choice per factor (`None` = nominal) and returns its ranks.
    fn evaluate(&mut self, choice: &[Option<usize>]) -> Result<Vec<Option<u32>>, CompositeError> {
        let mut spec = self.spec.nominal.clone();
        let (mut w_idx, mut n_idx, mut noise) = (0usize, 0usize, None);
        for (f, c) in self.spec.factors.iter().zip(choice) {
            let Some(j) = *c else { continue };
            match &f.alternatives {
                Alternatives::Winsorise(v) => {
                    spec.winsorise = v[j];
                    w_idx = j + 1;
                }
                Alternatives::Normalisation(v) => {
                    spec.normalisation = v[j].clone();
                    n_idx = j + 1;
                }
                Alternatives::Weighting(v) => spec.weighting = v[j].clone(),
                Alternatives::WeightNoise { .. } => noise = Some(j),
                Alternatives::Aggregation(v) => spec.aggregation = v[j].clone(),
                Alternatives::MinCoverage(v) => spec.min_coverage = v[j],
            }
        }
        let normalised = match self.cache.get(&(w_idx, n_idx)) {
            Some(n) => n.clone(),
            None => {
                let n = normalise_table(self.table, spec.winsorise, &spec.normalisation)?;
                self.cache.insert((w_idx, n_idx), n.clone());
                n
            }
        };
        let ids: Vec<&str> = self
            .table
            .indicators()
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        let mut weights = spec.weighting.weights(&ids)?;
        if let Some(j) = noise {
            let noisy = weights
                .iter()
                .zip(&self.noise[j])
                .map(|(w, m)| w * m)
                .collect();
            weights = normalise_weights(noisy, &ids)?;
        }
        let result = finish(self.table, &spec, normalised, weights)?;
        Ok(result.ranks.iter().map(|r| r.map(|r| r as u32)).collect())
    }

    fn run_all(&mut self, samples: &[Vec<f64>]) -> Result<Vec<Vec<Option<u32>>>, CompositeError> {
        samples
            .iter()
            .enumerate()
            .map(|(run, sample)| {
                let choice = self.choices(sample);
                self.evaluate(&choice).map_err(|e| CompositeError::Run {
                    run: run + 1,
                    choices: self.describe(sample),
                    message: e.to_string(),
                })
            })
            .collect()
    }

    fn into_result(self, ranks: &[Vec<Option<u32>>]) -> UncertaintyResult {
        let units = self
            .table
            .units()
            .iter()
            .enumerate()
            .map(|(i, unit)| {
                let mut r: Vec<f64> = ranks
                    .iter()
                    .filter_map(|run| run[i])
                    .map(f64::from)
                    .collect();
                r.sort_by(f64::total_cmp);
                UnitRankStats {
                    unit: unit.clone(),
                    nominal_rank: self.nominal.ranks[i],
                    median_rank: quantile_sorted(&r, 0.5),
                    lower_rank: quantile_sorted(&r, 0.05),
                    upper_rank: quantile_sorted(&r, 0.95),
                    mean_rank: (!r.is_empty()).then(|| r.iter().sum::<f64>() / r.len() as f64),
                    runs_with_score: r.len(),
                }
            })
            .collect();
        UncertaintyResult {
            spec: self.spec.clone(),
            nominal: self.nominal,
            runs: ranks.len(),
            units,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TableIndicator, ZeroRule};
    use super::*;
    use kwm_model::Direction;

    fn table() -> Table {
        // Five units, three indicators that disagree, so method choices move ranks.
        let rows = [
            [1.0, 9.0, 3.0],
            [2.0, 7.0, 8.0],
            [3.0, 1.0, 2.0],
            [4.0, 3.0, 9.0],
            [10.0, 5.0, 1.0],
        ];
        let indicators = (0..3)
            .map(|k| TableIndicator {
                id: format!("i{k}"),
                direction: Direction::HigherIsWorse,
                values: rows.iter().map(|r| Some(r[k])).collect(),
            })
            .collect();
        Table::new((0..5).map(|i| format!("u{i}")).collect(), indicators).unwrap()
    }

    fn factors() -> Vec<Factor> {
        vec![
            Factor {
                name: "normalisation".into(),
                alternatives: Alternatives::Normalisation(vec![
                    Normalisation::PercentRank,
                    Normalisation::MinMax {
                        low: 1.0,
                        high: 100.0,
                    },
                ]),
            },
            Factor {
                name: "aggregation".into(),
                alternatives: Alternatives::Aggregation(vec![
                    Aggregation::Arithmetic,
                    Aggregation::Geometric {
                        zeros: ZeroRule::Rescale {
                            low: 1.0,
                            high: 100.0,
                        },
                    },
                ]),
            },
            Factor {
                name: "weights".into(),
                alternatives: Alternatives::WeightNoise {
                    relative: 0.5,
                    replications: 50,
                },
            },
        ]
    }

    fn spec(factors: Vec<Factor>, runs: usize, seed: u64) -> UncertaintySpec {
        UncertaintySpec {
            nominal: CompositeSpec::default(),
            factors,
            runs,
            seed,
        }
    }

    #[test]
    fn the_analysis_spec_serialises_with_every_parameter() {
        // The spec is what a result records; the API sends it as JSON.
        let mut f = factors();
        f.push(Factor {
            name: "outliers".into(),
            alternatives: Alternatives::Winsorise(vec![
                None,
                Some(Winsorise {
                    lower: 0.05,
                    upper: 0.95,
                }),
            ]),
        });
        let s = spec(f, 100, 9);
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            json.contains(
                r#""kind":"weight_noise","alternatives":{"relative":0.5,"replications":50}"#
            ),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<UncertaintySpec>(&json).unwrap(), s);
    }

    #[test]
    fn identical_alternatives_leave_every_rank_at_its_nominal_value() {
        let f = vec![Factor {
            name: "same".into(),
            alternatives: Alternatives::Normalisation(vec![
                Normalisation::PercentRank,
                Normalisation::PercentRank,
            ]),
        }];
        let r = rank_uncertainty(&table(), &spec(f, 20, 7)).unwrap();
        for u in &r.units {
            let nominal = u.nominal_rank.map(|x| x as f64);
            assert_eq!(
                (u.median_rank, u.lower_rank, u.upper_rank),
                (nominal, nominal, nominal)
            );
            assert_eq!(u.runs_with_score, 20);
        }
    }

    #[test]
    fn uncertainty_is_seeded_and_intervals_hold_the_median() {
        let a = rank_uncertainty(&table(), &spec(factors(), 200, 42)).unwrap();
        let b = rank_uncertainty(&table(), &spec(factors(), 200, 42)).unwrap();
        assert_eq!(a, b);
        for u in &a.units {
            let (lo, med, hi) = (
                u.lower_rank.unwrap(),
                u.median_rank.unwrap(),
                u.upper_rank.unwrap(),
            );
            assert!(1.0 <= lo && lo <= med && med <= hi && hi <= 5.0, "{u:?}");
        }
        // The choices do move ranks here (the indicators disagree).
        assert!(a.units.iter().any(|u| u.lower_rank != u.upper_rank));
    }

    #[test]
    fn a_factor_without_effect_has_zero_sensitivity() {
        // As COINr's own test: a choice between identical alternatives has Sᵢ = STᵢ = 0 exactly,
        // because y_ABᵢ = y_A run by run.
        let mut f = factors();
        f[0].alternatives = Alternatives::Normalisation(vec![
            Normalisation::PercentRank,
            Normalisation::PercentRank,
        ]);
        let s = sensitivity(&table(), &spec(f, 64, 3)).unwrap();
        assert_eq!(s.total_runs, 64 * 5);
        assert_eq!(s.uncertainty.runs, 128);
        assert_eq!(
            (s.indices[0].first_order, s.indices[0].total),
            (Some(0.0), Some(0.0))
        );
        assert!(s.output_variance > 0.0);
        assert!(s.indices[1].total.unwrap() > 0.0 || s.indices[2].total.unwrap() > 0.0);
    }

    #[test]
    fn jansen_estimators_recover_an_additive_model() {
        // y = x₁ + 2x₂ + 3x₃ with xᵢ ~ U(0, 1): Sᵢ = STᵢ = aᵢ²/Σa² = 1/14, 4/14, 9/14.
        let (n, d) = (20_000, 3);
        let mut rng = Rng::seeded(11);
        let a: Vec<[f64; 3]> = (0..n)
            .map(|_| [rng.next_f64(), rng.next_f64(), rng.next_f64()])
            .collect();
        let b: Vec<[f64; 3]> = (0..n)
            .map(|_| [rng.next_f64(), rng.next_f64(), rng.next_f64()])
            .collect();
        let f = |x: &[f64; 3]| x[0] + 2.0 * x[1] + 3.0 * x[2];
        let mut y: Vec<f64> = a.iter().chain(&b).map(f).collect();
        for i in 0..d {
            y.extend(a.iter().zip(&b).map(|(ra, rb)| {
                let mut r = *ra;
                r[i] = rb[i];
                f(&r)
            }));
        }
        let (v, s) = jansen_indices(&y, n, d).unwrap();
        assert!((v - 14.0 / 12.0).abs() < 0.03, "{v}");
        for (i, (si, sti)) in s.iter().enumerate() {
            let exact = [1.0, 4.0, 9.0][i] / 14.0;
            assert!(
                (si.unwrap() - exact).abs() < 0.03,
                "S{i} = {si:?}, exact {exact}"
            );
            assert!(
                (sti.unwrap() - exact).abs() < 0.03,
                "ST{i} = {sti:?}, exact {exact}"
            );
        }
    }

    #[test]
    fn settings_that_cannot_apply_are_errors() {
        // A geometric mean refusing zeros cannot follow percentile ranks (the lowest unit has 0).
        let f = vec![
            Factor {
                name: "agg".into(),
                alternatives: Alternatives::Aggregation(vec![Aggregation::Geometric {
                    zeros: ZeroRule::Refuse,
                }]),
            },
            Factor {
                name: "norm".into(),
                alternatives: Alternatives::Normalisation(vec![Normalisation::PercentRank]),
            },
        ];
        let e = rank_uncertainty(&table(), &spec(f, 10, 1))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("factor agg, alternative 1") && e.contains("positive values"),
            "{e}"
        );
        // One factor is not enough for a sensitivity analysis.
        assert!(sensitivity(&table(), &spec(factors()[..1].to_vec(), 10, 1)).is_err());
        // The same kind twice is ambiguous.
        let twice = vec![factors()[0].clone(), factors()[0].clone()];
        assert!(rank_uncertainty(&table(), &spec(twice, 10, 1))
            .unwrap_err()
            .to_string()
            .contains("two factors"));
        let noise = vec![Factor {
            name: "w".into(),
            alternatives: Alternatives::WeightNoise {
                relative: 1.5,
                replications: 3,
            },
        }];
        assert!(rank_uncertainty(&table(), &spec(noise, 10, 1)).is_err());
        let empty = vec![Factor {
            name: "w".into(),
            alternatives: Alternatives::MinCoverage(vec![]),
        }];
        assert!(rank_uncertainty(&table(), &spec(empty, 10, 1)).is_err());
    }
}
