//! Composite indices: normalise, weight, aggregate, rank — and measure how much the ranking
//! depends on those choices.
//!
//! The steps follow the JRC/OECD *Handbook on Constructing Composite Indicators* (2008) and its
//! implementation in COINr (ANCHORS.md §3). A [`CompositeSpec`] names every choice and its
//! parameters; [`compute_composite`] applies it to a [`Table`] of indicators per unit and returns
//! a [`CompositeResult`] that carries the spec, the effective weights and every intermediate
//! value, so each score can be traced to its inputs and method. A setting that cannot apply
//! to the data (a constant indicator under min-max, a zero under a geometric mean, a weight for
//! an unknown indicator) is an error, never silently skipped.
//!
//! [`rank_uncertainty`] and [`sensitivity`] rerun the composite under alternative choices
//! (Monte Carlo, seeded) and give each unit's median rank with a 90% interval and each
//! choice's first-order and total sensitivity index (Jansen estimators, COINr's design).
//! [`shrink_to_parent`] stabilises small-area estimates before they enter a composite.
//!
//! ```
//! use kwm_engine::composite::*;
//! use kwm_model::Direction;
//! let table = Table::new(
//!     vec!["GM0001".into(), "GM0002".into(), "GM0003".into()],
//!     vec![
//!         TableIndicator { id: "low_income".into(), direction: Direction::HigherIsWorse, values: vec![Some(8.0), Some(12.0), Some(10.0)] },
//!         TableIndicator { id: "good_health".into(), direction: Direction::HigherIsBetter, values: vec![Some(80.0), Some(70.0), Some(75.0)] },
//!     ],
//! ).unwrap();
//! let result = compute_composite(&table, &CompositeSpec::default()).unwrap();
//! assert_eq!(result.scores, [Some(0.0), Some(1.0), Some(0.5)]);
//! assert_eq!(result.ranks, [Some(3), Some(1), Some(2)]); // 1 = most vulnerable
//! ```

mod aggregate;
mod normalise;
mod rng;
mod shrinkage;
mod uncertainty;
mod weights;

use std::collections::HashSet;
use std::fmt;

use kwm_model::Direction;
use serde::{Deserialize, Serialize};

pub use aggregate::{Aggregation, ZeroRule};
pub use normalise::{
    imd_exponential_transform, quantile_sorted, winsorise, Normalisation, Reference, Winsorise,
};
pub use rng::Rng;
pub use shrinkage::{between_area_variance, shrink_to_parent, Shrunk, Z_90, Z_95};
pub use uncertainty::{
    jansen_indices, rank_uncertainty, sensitivity, Alternatives, Factor, SensitivityIndex,
    SensitivityResult, UncertaintyResult, UncertaintySpec, UnitRankStats,
};
pub use weights::{matrix_weights, ThemeMatrix, Weighting};

use crate::rank::{ranks_unfavourable_first, round_half_away};

/// Scores are rounded to this many decimals before ranking: a weighted sum depends on the
/// order of its terms in the last bits, and two units with the same values in another
/// indicator order must tie, not be ranked apart by float noise.
pub const SCORE_DECIMALS: u32 = 9;

/// Why a composite cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompositeError {
    /// The table is malformed (lengths, duplicate ids, non-finite values).
    Table(String),
    /// A method setting does not fit the data or is out of range.
    Setting(String),
    /// One Monte Carlo run failed: the combination of choices that made it fail.
    Run {
        /// 1-based run number.
        run: usize,
        /// The choice of every factor in that run.
        choices: Vec<String>,
        /// What failed.
        message: String,
    },
}

impl fmt::Display for CompositeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompositeError::Table(m) => write!(f, "table: {m}"),
            CompositeError::Setting(m) => f.write_str(m),
            CompositeError::Run {
                run,
                choices,
                message,
            } => {
                write!(f, "run {run} ({}): {message}", choices.join("; "))
            }
        }
    }
}

impl std::error::Error for CompositeError {}

/// One indicator column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableIndicator {
    /// Indicator id.
    pub id: String,
    /// Whether a higher value is worse or better; neutral indicators cannot enter a composite.
    pub direction: Direction,
    /// One value per unit; `None` when missing.
    pub values: Vec<Option<f64>>,
}

/// Indicator values per unit (region): the input of a composite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    units: Vec<String>,
    indicators: Vec<TableIndicator>,
}

impl Table {
    /// Validates and builds a table: unique unit and indicator ids, one finite value or `None`
    /// per unit in every indicator.
    pub fn new(
        units: Vec<String>,
        indicators: Vec<TableIndicator>,
    ) -> Result<Table, CompositeError> {
        if units.is_empty() || indicators.is_empty() {
            return Err(CompositeError::Table(
                "a composite needs at least one unit and one indicator".into(),
            ));
        }
        let mut seen = HashSet::new();
        if let Some(dup) = units.iter().find(|u| !seen.insert(u.as_str())) {
            return Err(CompositeError::Table(format!("unit {dup} appears twice")));
        }
        let mut seen = HashSet::new();
        for ind in &indicators {
            if !seen.insert(ind.id.as_str()) {
                return Err(CompositeError::Table(format!(
                    "indicator {} appears twice",
                    ind.id
                )));
            }
            if ind.values.len() != units.len() {
                return Err(CompositeError::Table(format!(
                    "indicator {} has {} values for {} units",
                    ind.id,
                    ind.values.len(),
                    units.len()
                )));
            }
            if let Some(i) = ind
                .values
                .iter()
                .position(|v| v.is_some_and(|x| !x.is_finite()))
            {
                return Err(CompositeError::Table(format!(
                    "indicator {} has a non-finite value for unit {}",
                    ind.id, units[i]
                )));
            }
        }
        Ok(Table { units, indicators })
    }

    /// Unit ids, in row order.
    pub fn units(&self) -> &[String] {
        &self.units
    }

    /// The indicator columns.
    pub fn indicators(&self) -> &[TableIndicator] {
        &self.indicators
    }

    fn ids(&self) -> Vec<&str> {
        self.indicators.iter().map(|i| i.id.as_str()).collect()
    }
}

/// Every choice that defines a composite index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompositeSpec {
    /// Winsorising of raw values before normalisation; `None` for none.
    pub winsorise: Option<Winsorise>,
    /// How indicators are put on one scale.
    pub normalisation: Normalisation,
    /// How much each indicator counts.
    pub weighting: Weighting,
    /// How a unit's indicators are combined.
    pub aggregation: Aggregation,
    /// Minimum share of indicators a unit must have to get a score, in `(0, 1]`.
    pub min_coverage: f64,
    /// Decimals the normalised values are rounded to before they are weighted; `None` keeps
    /// them unrounded. A monitor that shows percentile ranks rounded sets this, so that the
    /// composite is computed from the very numbers on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalised_decimals: Option<u32>,
}

impl Default for CompositeSpec {
    /// Percentile ranks, equal weights, arithmetic mean, complete data only: the SVI's choices.
    fn default() -> Self {
        CompositeSpec {
            winsorise: None,
            normalisation: Normalisation::PercentRank,
            weighting: Weighting::Equal,
            aggregation: Aggregation::Arithmetic,
            min_coverage: 1.0,
            normalised_decimals: None,
        }
    }
}

impl CompositeSpec {
    /// A one-line description of the method (`percent_rank; equal; arithmetic; ...`).
    pub fn describe(&self) -> String {
        let w = match &self.winsorise {
            None => "no winsorising".to_string(),
            Some(w) => format!("winsorised at quantiles {}–{}", w.lower, w.upper),
        };
        let rounded = self
            .normalised_decimals
            .map_or(String::new(), |d| format!(" (rounded to {d} decimals)"));
        format!(
            "{w}; {}{rounded}; {} weights; {} mean; min. data availability {}",
            self.normalisation.label(),
            self.weighting.label(),
            self.aggregation.label(),
            self.min_coverage
        )
    }
}

/// The result of a composite, with everything needed to trace it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompositeResult {
    /// The method exactly as applied.
    pub spec: CompositeSpec,
    /// [`CompositeSpec::describe`] of it.
    pub description: String,
    /// Version of the engine that computed it.
    pub engine_version: &'static str,
    /// Unit ids, in the table's order.
    pub units: Vec<String>,
    /// Indicator ids, in the table's order.
    pub indicators: Vec<String>,
    /// Effective weight per indicator (summing to 1).
    pub weights: Vec<f64>,
    /// `normalised[indicator][unit]`: the values that were aggregated (after winsorising,
    /// normalising and a geometric mean's rescale); higher is more vulnerable.
    pub normalised: Vec<Vec<Option<f64>>>,
    /// Share of indicators present per unit.
    pub coverage: Vec<f64>,
    /// Composite score per unit; `None` below the data-availability threshold.
    pub scores: Vec<Option<f64>>,
    /// Rank per unit, 1 = most vulnerable (highest score); ties share the best rank.
    pub ranks: Vec<Option<usize>>,
}

/// Winsorises (when asked) and normalises every indicator: `[indicator][unit]`.
pub fn normalise_table(
    table: &Table,
    winsorising: Option<Winsorise>,
    normalisation: &Normalisation,
) -> Result<Vec<Vec<Option<f64>>>, CompositeError> {
    if let Some(w) = &winsorising {
        w.validate()?;
    }
    table
        .indicators
        .iter()
        .map(|ind| {
            let raw = match winsorising {
                Some(w) => winsorise(&ind.values, w),
                None => ind.values.clone(),
            };
            normalisation.apply(&ind.id, ind.direction, &raw, &table.units)
        })
        .collect()
}

/// Computes a composite index.
pub fn compute_composite(
    table: &Table,
    spec: &CompositeSpec,
) -> Result<CompositeResult, CompositeError> {
    let normalised = normalise_table(table, spec.winsorise, &spec.normalisation)?;
    let weights = spec.weighting.weights(&table.ids())?;
    finish(table, spec, normalised, weights)
}

/// Aggregates normalised values with given weights and ranks the scores.
pub(crate) fn finish(
    table: &Table,
    spec: &CompositeSpec,
    normalised: Vec<Vec<Option<f64>>>,
    weights: Vec<f64>,
) -> Result<CompositeResult, CompositeError> {
    let ids = table.ids();
    let normalised = match spec.normalised_decimals {
        None => normalised,
        Some(d) => normalised
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|v| v.map(|x| round_half_away(x, d)))
                    .collect()
            })
            .collect(),
    };
    let mut aggregated = aggregate::aggregate(
        normalised,
        &ids,
        &table.units,
        &weights,
        &spec.aggregation,
        spec.min_coverage,
    )?;
    for s in aggregated.scores.iter_mut().flatten() {
        *s = round_half_away(*s, SCORE_DECIMALS);
    }
    let ranks = ranks_unfavourable_first(&aggregated.scores, Direction::HigherIsWorse);
    Ok(CompositeResult {
        spec: spec.clone(),
        description: spec.describe(),
        engine_version: env!("CARGO_PKG_VERSION"),
        units: table.units.clone(),
        indicators: ids.iter().map(|s| s.to_string()).collect(),
        weights,
        normalised: aggregated.inputs,
        coverage: aggregated.coverage,
        scores: aggregated.scores,
        ranks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(values: &[[Option<f64>; 3]]) -> Table {
        let units = (0..values.len()).map(|i| format!("u{i}")).collect();
        let dirs = [
            Direction::HigherIsWorse,
            Direction::HigherIsBetter,
            Direction::HigherIsWorse,
        ];
        let indicators = (0..3)
            .map(|k| TableIndicator {
                id: format!("i{k}"),
                direction: dirs[k],
                values: values.iter().map(|row| row[k]).collect(),
            })
            .collect();
        Table::new(units, indicators).unwrap()
    }

    #[test]
    fn hand_computed_min_max_arithmetic_with_explicit_weights() {
        let t = table(&[
            [Some(0.0), Some(10.0), Some(1.0)],
            [Some(5.0), Some(0.0), Some(2.0)],
            [Some(10.0), Some(5.0), Some(3.0)],
        ]);
        let spec = CompositeSpec {
            normalisation: Normalisation::MinMax {
                low: 0.0,
                high: 100.0,
            },
            weighting: Weighting::Explicit {
                weights: [("i0".into(), 2.0), ("i1".into(), 1.0), ("i2".into(), 1.0)].into(),
            },
            ..CompositeSpec::default()
        };
        let r = compute_composite(&t, &spec).unwrap();
        // i0 → 0, 50, 100; i1 (better) → 0, 100, 50; i2 → 0, 50, 100.
        // Scores: 0; 0.5·50 + 0.25·100 + 0.25·50 = 62.5; 0.5·100 + 0.25·50 + 0.25·100 = 87.5.
        assert_eq!(r.scores, [Some(0.0), Some(62.5), Some(87.5)]);
        assert_eq!(r.ranks, [Some(3), Some(2), Some(1)]);
        assert_eq!(r.weights, [0.5, 0.25, 0.25]);
        assert!(r.description.contains("min_max[0,100]") && r.description.contains("explicit"));
    }

    #[test]
    fn missing_values_and_coverage_threshold() {
        let t = table(&[
            [Some(1.0), Some(3.0), None],
            [Some(2.0), Some(2.0), Some(2.0)],
            [Some(3.0), None, None],
        ]);
        let spec = CompositeSpec {
            min_coverage: 0.6,
            ..CompositeSpec::default()
        };
        let r = compute_composite(&t, &spec).unwrap();
        // Percent ranks: i0 0, .5, 1; i1 (better, over 2) 0, 1; i2 (over 1) 0.
        // u0: (0 + 0)/2 = 0; u1: (.5 + 1 + 0)/3 = 0.5; u2: one of three < 0.6.
        assert_eq!(r.scores, [Some(0.0), Some(0.5), None]);
        assert_eq!(r.ranks, [Some(2), Some(1), None]);
    }

    #[test]
    fn equal_values_in_another_indicator_order_tie() {
        // 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit as floats; the two units
        // hold the same values and must share a rank.
        let ind = |id: &str, v: [f64; 3]| TableIndicator {
            id: id.into(),
            direction: Direction::HigherIsWorse,
            values: v.iter().map(|x| Some(*x)).collect(),
        };
        let t = Table::new(
            vec!["a".into(), "b".into(), "c".into()],
            vec![
                ind("i0", [0.1, 0.3, 0.0]),
                ind("i1", [0.2, 0.2, 0.0]),
                ind("i2", [0.3, 0.1, 0.0]),
            ],
        )
        .unwrap();
        assert_ne!(
            0.1 + 0.2 + 0.3,
            0.3 + 0.2 + 0.1,
            "the float noise this guards against"
        );
        let spec = CompositeSpec {
            normalisation: Normalisation::MinMax {
                low: 0.0,
                high: 1.0,
            },
            ..CompositeSpec::default()
        };
        let r = compute_composite(&t, &spec).unwrap();
        assert_eq!(r.scores[0], r.scores[1]);
        assert_eq!(r.ranks, [Some(1), Some(1), Some(3)]);
    }

    #[test]
    fn normalised_values_are_rounded_when_asked() {
        // Percent ranks over 4 units: 0, 1/3, 2/3, 1; at 2 decimals 0, 0.33, 0.67, 1.
        let t = Table::new(
            (0..4).map(|i| format!("u{i}")).collect(),
            vec![TableIndicator {
                id: "x".into(),
                direction: Direction::HigherIsWorse,
                values: vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0)],
            }],
        )
        .unwrap();
        let spec = CompositeSpec {
            normalised_decimals: Some(2),
            ..CompositeSpec::default()
        };
        let r = compute_composite(&t, &spec).unwrap();
        assert_eq!(r.scores, [Some(0.0), Some(0.33), Some(0.67), Some(1.0)]);
        assert!(
            r.description.contains("rounded to 2 decimals"),
            "{}",
            r.description
        );
    }

    #[test]
    fn table_errors() {
        let ind = |id: &str, n: usize| TableIndicator {
            id: id.into(),
            direction: Direction::HigherIsWorse,
            values: vec![Some(1.0); n],
        };
        assert!(Table::new(vec!["a".into(), "a".into()], vec![ind("x", 2)]).is_err());
        assert!(Table::new(vec!["a".into()], vec![ind("x", 2)]).is_err());
        assert!(Table::new(vec!["a".into()], vec![ind("x", 1), ind("x", 1)]).is_err());
        let nan = TableIndicator {
            values: vec![Some(f64::NAN)],
            ..ind("x", 1)
        };
        assert!(Table::new(vec!["a".into()], vec![nan]).is_err());
    }

    #[test]
    fn spec_round_trips_through_json_like_serde() {
        // The spec is the record of the method; it must serialise with its parameters.
        let spec = CompositeSpec {
            winsorise: Some(Winsorise {
                lower: 0.05,
                upper: 0.95,
            }),
            normalisation: Normalisation::ZScore { mean: 0.0, sd: 1.0 },
            weighting: Weighting::Equal,
            aggregation: Aggregation::Geometric {
                zeros: ZeroRule::Rescale {
                    low: 1.0,
                    high: 100.0,
                },
            },
            min_coverage: 0.75,
            normalised_decimals: Some(3),
        };
        let text = toml::to_string(&spec).unwrap();
        assert!(text.contains("method = \"z_score\""), "{text}");
        assert_eq!(toml::from_str::<CompositeSpec>(&text).unwrap(), spec);
    }

    fn spec_strategy() -> impl Strategy<Value = CompositeSpec> {
        let norm = prop_oneof![
            Just(Normalisation::PercentRank),
            Just(Normalisation::MinMax {
                low: 1.0,
                high: 100.0
            }),
            Just(Normalisation::ZScore { mean: 0.0, sd: 1.0 }),
            Just(Normalisation::ExponentialRank),
        ];
        let agg = prop_oneof![
            Just(Aggregation::Arithmetic),
            Just(Aggregation::Geometric {
                zeros: ZeroRule::Rescale {
                    low: 1.0,
                    high: 10.0
                }
            }),
        ];
        (norm, agg).prop_map(|(normalisation, aggregation)| CompositeSpec {
            normalisation,
            aggregation,
            ..CompositeSpec::default()
        })
    }

    fn rows_strategy() -> impl Strategy<Value = Vec<[Option<f64>; 3]>> {
        // Distinct-enough integer values, so no indicator is constant.
        proptest::collection::vec(
            proptest::array::uniform3((0i32..50).prop_map(|x| Some(f64::from(x)))),
            3..25,
        )
        .prop_filter("no constant indicator", |rows| {
            (0..3).all(|k| rows.iter().any(|r| r[k] != rows[0][k]))
        })
    }

    proptest! {
        #[test]
        fn ranks_are_permutation_invariant(rows in rows_strategy(), spec in spec_strategy(), seed in any::<u64>()) {
            let base = compute_composite(&table(&rows), &spec).unwrap();
            let mut rng = super::rng::Rng::seeded(seed);
            let mut order: Vec<usize> = (0..rows.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            let permuted: Vec<_> = order.iter().map(|&i| rows[i]).collect();
            let other = compute_composite(&table(&permuted), &spec).unwrap();
            for (k, &i) in order.iter().enumerate() {
                prop_assert_eq!(other.ranks[k], base.ranks[i]);
                let (a, b) = (other.scores[k].unwrap(), base.scores[i].unwrap());
                prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{} vs {}", a, b);
            }
        }

        #[test]
        fn scores_are_monotone_and_ranks_bounded(rows in rows_strategy(), spec in spec_strategy(), which in any::<proptest::sample::Index>(), up in 1i32..20) {
            let base = compute_composite(&table(&rows), &spec).unwrap();
            let n = rows.len();
            prop_assert!(base.ranks.iter().all(|r| r.is_some_and(|r| (1..=n).contains(&r))));
            if spec.normalisation == Normalisation::PercentRank && spec.aggregation == Aggregation::Arithmetic {
                prop_assert!(base.scores.iter().flatten().all(|s| (0.0..=1.0).contains(s)));
            }
            // Make unit i worse on i0 (higher is worse) and on i1 (higher is better).
            let i = which.index(n);
            let mut worse = rows.clone();
            worse[i][0] = worse[i][0].map(|x| x + f64::from(up));
            worse[i][1] = worse[i][1].map(|x| x - f64::from(up));
            let after = compute_composite(&table(&worse), &spec).unwrap();
            prop_assert!(after.scores[i].unwrap() >= base.scores[i].unwrap() - 1e-9);
            prop_assert!(after.ranks[i].unwrap() <= base.ranks[i].unwrap());
        }
    }
}
