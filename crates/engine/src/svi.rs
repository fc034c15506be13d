//! The CDC/ATSDR Social Vulnerability Index (SVI), reproduced exactly.
//!
//! The method is generic — percentile ranks, flags, sums of ranks, counts of flags — and an
//! [`SviEdition`] configures it (variables per theme, inverted variables, threshold, decimals).
//! The rules, as CDC documents them (SVI 2018 Documentation, data dictionary pp. 17–22) and as
//! checked on CDC's published county file:
//!
//! - `EPL_x` = `PERCENTRANK.INC` of `EP_x` among the areas that have a value: `(r − 1)/(n − 1)`
//!   with `r` the minimum rank among ties, rounded half away from zero to 4 decimals. An inverted
//!   variable gets `1 − EPL` (documentation: "1-(PERCENTRANK.INC … with 4 significant digits)").
//! - `SPL_THEMEk` = sum of the theme's rounded `EPL`s; `RPL_THEMEk` = percentile rank of
//!   `SPL_THEMEk`. `SPL_THEMES` = sum of the `SPL_THEMEk`; `RPL_THEMES` its percentile rank.
//! - `F_x` = 1 when the rounded `EPL_x ≥ 0.90`; `F_THEMEk` = number of flags in the theme;
//!   `F_TOTAL` = sum of the `F_THEMEk`.
//! - A missing input (`-999`) is left out of its ranking (n shrinks) and its outputs are
//!   missing; any sum or count that includes a missing term is missing, not a partial sum. On
//!   the published file: Rio Arriba County, NM (no POV, UNEMP, PCI) has missing `SPL/RPL_THEME1`,
//!   `F_THEME1`, `SPL/RPL_THEMES` and `F_TOTAL` — although the prose says totals skip nulls.
//! - Areas with a total population of 0 are left out of every ranking and every computed
//!   column is missing for them.
//!
//! Sums are rounded to the edition's decimals before they are ranked: they are sums of 4-decimal
//! numbers, and rounding removes binary noise (`0.1 + 0.2`) that would otherwise split ties.
//!
//! ```
//! use std::collections::BTreeMap;
//! use kwm_engine::svi::{compute_svi, SviInput};
//! let edition = kwm_model::svi::SviEdition::builtin(2018).unwrap();
//! let mut variables = BTreeMap::new();
//! for v in edition.variables() {
//!     variables.insert(v.id.clone(), vec![Some(1.0), Some(2.0), Some(3.0)]);
//! }
//! let population = Some(vec![Some(120.0), Some(80.0), Some(4000.0)]);
//! let result = compute_svi(&edition, &SviInput { areas: 3, population, variables }).unwrap();
//! // POV: 1, 2, 3 → PERCENTRANK.INC 0, 0.5, 1; PCI is inverted.
//! assert_eq!(result.themes[0].variables[0].epl, [Some(0.0), Some(0.5), Some(1.0)]);
//! assert_eq!(result.themes[0].variables[2].epl, [Some(1.0), Some(0.5), Some(0.0)]);
//! ```

use std::collections::BTreeMap;
use std::fmt;

use kwm_model::svi::SviEdition;
use serde::Serialize;

use crate::rank::{percent_rank_inc, round_half_away};

/// The inputs of one SVI computation, one value per area (row) in every vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SviInput {
    /// Number of areas.
    pub areas: usize,
    /// Total population per area (`E_TOTPOP`); required when the edition names a population
    /// column. An unknown population (`None`) does not exclude the area.
    pub population: Option<Vec<Option<f64>>>,
    /// The estimate (`EP_<id>`) per variable id; `None` is a missing value.
    pub variables: BTreeMap<String, Vec<Option<f64>>>,
}

/// Why an SVI computation cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SviError {
    /// The edition needs a variable the input does not have.
    MissingVariable(String),
    /// The edition excludes zero-population areas but no population was given.
    MissingPopulation(String),
    /// A column does not have one value per area.
    Length {
        /// The column.
        column: String,
        /// Values expected (areas).
        expected: usize,
        /// Values found.
        found: usize,
    },
}

impl fmt::Display for SviError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SviError::MissingVariable(id) => write!(
                f,
                "the edition ranks variable {id}, but the input has no EP_{id}"
            ),
            SviError::MissingPopulation(col) => {
                write!(f, "the edition leaves out zero-population areas, but the input has no {col} column")
            }
            SviError::Length {
                column,
                expected,
                found,
            } => {
                write!(
                    f,
                    "column {column} has {found} values, expected one per area ({expected})"
                )
            }
        }
    }
}

impl std::error::Error for SviError {}

/// Percentile rank and flag of one variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SviVariableResult {
    /// Variable id (`POV`).
    pub id: String,
    /// `EPL_<id>`: rounded percentile rank in `0..=1`.
    pub epl: Vec<Option<f64>>,
    /// `F_<id>`: 1 when `EPL ≥ threshold`, else 0.
    pub flag: Vec<Option<u8>>,
}

/// One theme: its variables, their sum, its rank and its flag count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SviThemeResult {
    /// Theme number (1-based).
    pub number: u32,
    /// The theme's variables, in the edition's order.
    pub variables: Vec<SviVariableResult>,
    /// `SPL_THEMEk`: sum of the theme's `EPL`s.
    pub spl: Vec<Option<f64>>,
    /// `RPL_THEMEk`: percentile rank of `SPL_THEMEk`.
    pub rpl: Vec<Option<f64>>,
    /// `F_THEMEk`: number of flagged variables in the theme.
    pub flags: Vec<Option<u32>>,
}

/// Every computed SVI column for every area, in input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SviResult {
    /// The edition used (`cdc-svi-2018`), for traceability.
    pub edition: String,
    /// Whether the area took part in the rankings (false: zero population).
    pub ranked: Vec<bool>,
    /// Per theme, with its variables.
    pub themes: Vec<SviThemeResult>,
    /// `SPL_THEMES`: sum of the theme sums.
    pub spl_themes: Vec<Option<f64>>,
    /// `RPL_THEMES`: overall percentile rank.
    pub rpl_themes: Vec<Option<f64>>,
    /// `F_TOTAL`: number of flagged variables.
    pub f_total: Vec<Option<u32>>,
}

impl SviResult {
    /// All variables, theme by theme.
    pub fn variables(&self) -> impl Iterator<Item = &SviVariableResult> {
        self.themes.iter().flat_map(|t| t.variables.iter())
    }

    /// All computed columns with CDC's names, in the order of CDC's files: per theme the
    /// `EPL_*`, `SPL_THEMEk`, `RPL_THEMEk`; then `SPL_THEMES`, `RPL_THEMES`; then per theme the
    /// `F_*` and `F_THEMEk`; then `F_TOTAL`. Flags and counts are given as numbers.
    pub fn columns(&self) -> Vec<(String, Vec<Option<f64>>)> {
        self.clone().into_columns()
    }

    /// [`SviResult::columns`], consuming the result instead of copying every column.
    pub fn into_columns(self) -> Vec<(String, Vec<Option<f64>>)> {
        fn as_f64<T: Copy + Into<f64>>(v: &[Option<T>]) -> Vec<Option<f64>> {
            v.iter().map(|x| x.map(Into::into)).collect()
        }
        let mut out = Vec::new();
        let mut flags = Vec::new();
        for theme in self.themes {
            for v in theme.variables {
                out.push((format!("EPL_{}", v.id), v.epl));
                flags.push((format!("F_{}", v.id), as_f64(&v.flag)));
            }
            out.push((format!("SPL_THEME{}", theme.number), theme.spl));
            out.push((format!("RPL_THEME{}", theme.number), theme.rpl));
            flags.push((format!("F_THEME{}", theme.number), as_f64(&theme.flags)));
        }
        out.push(("SPL_THEMES".into(), self.spl_themes));
        out.push(("RPL_THEMES".into(), self.rpl_themes));
        out.extend(flags);
        out.push(("F_TOTAL".into(), as_f64(&self.f_total)));
        out
    }
}

/// Rounded `PERCENTRANK.INC` of every present value (see [`percent_rank_inc`]); with
/// `inverted`, `1 − rank` as CDC ranks per-capita income. Missing values stay missing.
///
/// ```
/// use kwm_engine::svi::percentile_ranks;
/// let v = [Some(10.0), Some(20.0), Some(20.0), None, Some(40.0)];
/// assert_eq!(percentile_ranks(&v, 4, false), [Some(0.0), Some(0.3333), Some(0.3333), None, Some(1.0)]);
/// assert_eq!(percentile_ranks(&v, 4, true), [Some(1.0), Some(0.6667), Some(0.6667), None, Some(0.0)]);
/// ```
pub fn percentile_ranks(values: &[Option<f64>], decimals: u32, inverted: bool) -> Vec<Option<f64>> {
    percent_rank_inc(values)
        .into_iter()
        .map(|p| {
            p.map(|p| {
                let rounded = round_half_away(p, decimals);
                // Rounding again removes the binary noise of 1 − x (1 − 0.2156 = 0.7844000000000001).
                if inverted {
                    round_half_away(1.0 - rounded, decimals)
                } else {
                    rounded
                }
            })
        })
        .collect()
}

/// Flags: 1 where the (already rounded) rank is at least `threshold`, else 0. Comparing the
/// rounded value keeps the flag consistent with the number shown (0.8999 is shown and
/// treated as below 0.90).
pub fn flags(ranks: &[Option<f64>], threshold: f64) -> Vec<Option<u8>> {
    ranks
        .iter()
        .map(|r| r.map(|r| u8::from(r >= threshold)))
        .collect()
}

/// Row sums of equally long columns, rounded to `decimals`; a row with any missing term is
/// missing (CDC: "Output for sums with null values in the same row set to -999").
pub fn complete_row_sums(
    columns: &[&[Option<f64>]],
    rows: usize,
    decimals: u32,
) -> Vec<Option<f64>> {
    (0..rows)
        .map(|i| {
            columns
                .iter()
                .try_fold(0.0, |acc, c| c[i].map(|x| acc + x))
                .map(|s| round_half_away(s, decimals))
        })
        .collect()
}

/// Row counts: the sum of per-row counts, missing when any term is missing.
pub fn complete_row_counts<T: Copy + Into<u32>>(
    columns: &[&[Option<T>]],
    rows: usize,
) -> Vec<Option<u32>> {
    (0..rows)
        .map(|i| {
            columns
                .iter()
                .try_fold(0u32, |acc, c| c[i].map(|x| acc + x.into()))
        })
        .collect()
}

fn check_length(column: &str, values: &[Option<f64>], areas: usize) -> Result<(), SviError> {
    if values.len() == areas {
        Ok(())
    } else {
        Err(SviError::Length {
            column: column.to_string(),
            expected: areas,
            found: values.len(),
        })
    }
}

/// Computes every SVI column of an edition for all areas.
///
/// Errors only when the input does not fit the edition (a variable or the population column
/// absent, a column of the wrong length); missing values are not errors.
pub fn compute_svi(edition: &SviEdition, input: &SviInput) -> Result<SviResult, SviError> {
    let n = input.areas;
    let ranked: Vec<bool> = match (&edition.population_column, &input.population) {
        (None, _) => vec![true; n],
        (Some(col), None) => return Err(SviError::MissingPopulation(col.clone())),
        (Some(col), Some(pop)) => {
            check_length(col, pop, n)?;
            pop.iter().map(|p| *p != Some(0.0)).collect()
        }
    };
    let d = edition.decimals;

    let mut themes = Vec::with_capacity(edition.themes.len());
    for theme in &edition.themes {
        let mut variables = Vec::with_capacity(theme.variables.len());
        for var in &theme.variables {
            let values = input
                .variables
                .get(&var.id)
                .ok_or_else(|| SviError::MissingVariable(var.id.clone()))?;
            check_length(&var.input_column(), values, n)?;
            // Zero-population areas are taken out of the ranking universe altogether.
            let universe: Vec<Option<f64>> = values
                .iter()
                .zip(&ranked)
                .map(|(v, &r)| if r { *v } else { None })
                .collect();
            let epl = percentile_ranks(&universe, d, var.inverted);
            let flag = flags(&epl, edition.threshold);
            variables.push(SviVariableResult {
                id: var.id.clone(),
                epl,
                flag,
            });
        }
        let epls: Vec<&[Option<f64>]> = variables.iter().map(|v| v.epl.as_slice()).collect();
        let spl = complete_row_sums(&epls, n, d);
        let rpl = percentile_ranks(&spl, d, false);
        let fl: Vec<&[Option<u8>]> = variables.iter().map(|v| v.flag.as_slice()).collect();
        let theme_flags = complete_row_counts(&fl, n);
        themes.push(SviThemeResult {
            number: theme.number,
            variables,
            spl,
            rpl,
            flags: theme_flags,
        });
    }
    let spls: Vec<&[Option<f64>]> = themes.iter().map(|t| t.spl.as_slice()).collect();
    let spl_themes = complete_row_sums(&spls, n, d);
    let rpl_themes = percentile_ranks(&spl_themes, d, false);
    let counts: Vec<&[Option<u32>]> = themes.iter().map(|t| t.flags.as_slice()).collect();
    let f_total = complete_row_counts(&counts, n);
    Ok(SviResult {
        edition: edition.id.clone(),
        ranked,
        themes,
        spl_themes,
        rpl_themes,
        f_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small edition: theme 1 = A and B (B inverted), theme 2 = C.
    fn small_edition() -> SviEdition {
        let text = r#"
id = "test"
name = "test"
year = 2000
threshold = 0.9
decimals = 4
missing_code = -999
population_column = "E_TOTPOP"
[[theme]]
number = 1
name = "one"
variables = [{ id = "A" }, { id = "B", inverted = true }]
[[theme]]
number = 2
name = "two"
variables = [{ id = "C" }]
"#;
        SviEdition::parse("test.toml", text).unwrap()
    }

    fn input(
        pop: Vec<Option<f64>>,
        a: Vec<Option<f64>>,
        b: Vec<Option<f64>>,
        c: Vec<Option<f64>>,
    ) -> SviInput {
        SviInput {
            areas: a.len(),
            population: Some(pop),
            variables: [
                ("A".to_string(), a),
                ("B".to_string(), b),
                ("C".to_string(), c),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn hand_computed_small_case() {
        // Five areas; area 4 has zero population, area 3 lacks B.
        let r = compute_svi(
            &small_edition(),
            &input(
                vec![Some(100.0), Some(50.0), Some(80.0), Some(0.0), Some(10.0)],
                vec![Some(1.0), Some(2.0), Some(2.0), Some(9.0), Some(4.0)],
                vec![Some(30.0), Some(10.0), None, Some(5.0), Some(20.0)],
                vec![Some(7.0), Some(3.0), Some(5.0), Some(1.0), Some(9.0)],
            ),
        )
        .unwrap();
        // A over areas 1,2,3,5 (n = 4): values 1,2,2,4 → min ranks 1,2,2,4 → 0, 1/3, 1/3, 1.
        let a = &r.themes[0].variables[0];
        assert_eq!(
            a.epl,
            [Some(0.0), Some(0.3333), Some(0.3333), None, Some(1.0)]
        );
        assert_eq!(a.flag, [Some(0), Some(0), Some(0), None, Some(1)]);
        // B over areas 1,2,5 (n = 3): 30,10,20 → ranks 3,1,2 → 1, 0, 0.5; inverted → 0, 1, 0.5.
        let b = &r.themes[0].variables[1];
        assert_eq!(b.epl, [Some(0.0), Some(1.0), None, None, Some(0.5)]);
        // SPL_THEME1 = A + B; area 3 lacks B, so missing.
        assert_eq!(
            r.themes[0].spl,
            [Some(0.0), Some(1.3333), None, None, Some(1.5)]
        );
        // RPL_THEME1 over 3 sums: 0, 1.3333, 1.5 → 0, 0.5, 1.
        assert_eq!(
            r.themes[0].rpl,
            [Some(0.0), Some(0.5), None, None, Some(1.0)]
        );
        assert_eq!(r.themes[0].flags, [Some(0), Some(1), None, None, Some(1)]);
        // C over areas 1,2,3,5: 7,3,5,9 → ranks 3,1,2,4 → 2/3, 0, 1/3, 1.
        assert_eq!(
            r.themes[1].spl,
            [Some(0.6667), Some(0.0), Some(0.3333), None, Some(1.0)]
        );
        assert_eq!(r.themes[1].rpl, r.themes[1].spl);
        // SPL_THEMES: 0.6667, 1.3333, missing, missing, 2.5 → ranks 0, 0.5, 1.
        assert_eq!(
            r.spl_themes,
            [Some(0.6667), Some(1.3333), None, None, Some(2.5)]
        );
        assert_eq!(r.rpl_themes, [Some(0.0), Some(0.5), None, None, Some(1.0)]);
        assert_eq!(r.f_total, [Some(0), Some(1), None, None, Some(2)]);
        assert_eq!(r.ranked, [true, true, true, false, true]);
    }

    #[test]
    fn columns_follow_cdc_order() {
        let e = SviEdition::builtin(2018).unwrap();
        let variables = e
            .variables()
            .map(|v| (v.id.clone(), vec![Some(1.0), Some(2.0)]))
            .collect();
        let r = compute_svi(
            &e,
            &SviInput {
                areas: 2,
                population: Some(vec![Some(5.0), Some(5.0)]),
                variables,
            },
        )
        .unwrap();
        let names: Vec<String> = r.columns().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 15 + 8 + 2 + 15 + 4 + 1);
        assert_eq!(
            &names[..6],
            [
                "EPL_POV",
                "EPL_UNEMP",
                "EPL_PCI",
                "EPL_NOHSDP",
                "SPL_THEME1",
                "RPL_THEME1"
            ]
        );
        assert_eq!(&names[23..26], ["SPL_THEMES", "RPL_THEMES", "F_POV"]);
        assert_eq!(names.last().unwrap(), "F_TOTAL");
    }

    #[test]
    fn input_that_does_not_fit_is_an_error() {
        let e = small_edition();
        let mut i = input(
            vec![Some(1.0)],
            vec![Some(1.0)],
            vec![Some(1.0)],
            vec![Some(1.0)],
        );
        i.variables.remove("C");
        assert_eq!(
            compute_svi(&e, &i),
            Err(SviError::MissingVariable("C".into()))
        );
        let mut i = input(
            vec![Some(1.0)],
            vec![Some(1.0)],
            vec![Some(1.0)],
            vec![Some(1.0)],
        );
        i.population = None;
        assert!(matches!(
            compute_svi(&e, &i),
            Err(SviError::MissingPopulation(_))
        ));
        let i = input(
            vec![Some(1.0)],
            vec![Some(1.0), Some(2.0)],
            vec![Some(1.0)],
            vec![Some(1.0)],
        );
        assert!(matches!(compute_svi(&e, &i), Err(SviError::Length { .. })));
    }

    #[test]
    fn threshold_compares_the_rounded_rank() {
        // 0.89996 rounds to 0.9 and is flagged, as CDC's rounded EPL would be.
        assert_eq!(
            flags(
                &[Some(round_half_away(0.89996, 4)), Some(0.8999), None],
                0.9
            ),
            [Some(1), Some(0), None]
        );
    }

    /// One generated area: values of A, B and C, and whether its population is zero.
    type Row = (Option<f64>, Option<f64>, Option<f64>, bool);

    fn values_strategy() -> impl Strategy<Value = Vec<Row>> {
        // Few distinct values so that ties are common.
        let v = proptest::option::weighted(0.9, (0i32..12).prop_map(f64::from));
        proptest::collection::vec(
            (v.clone(), v.clone(), v, proptest::bool::weighted(0.1)),
            2..40,
        )
    }

    fn to_input(rows: &[Row]) -> SviInput {
        input(
            rows.iter()
                .map(|r| Some(if r.3 { 0.0 } else { 100.0 }))
                .collect(),
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1).collect(),
            rows.iter().map(|r| r.2).collect(),
        )
    }

    proptest! {
        #[test]
        fn results_are_bounded(rows in values_strategy()) {
            let r = compute_svi(&small_edition(), &to_input(&rows)).unwrap();
            for (_, col) in r.columns() {
                for (i, v) in col.iter().enumerate() {
                    if rows[i].3 { prop_assert_eq!(*v, None); }
                }
            }
            for v in r.variables() {
                prop_assert!(v.epl.iter().flatten().all(|x| (0.0..=1.0).contains(x)));
            }
            for t in &r.themes {
                prop_assert!(t.rpl.iter().flatten().all(|x| (0.0..=1.0).contains(x)));
                prop_assert!(t.spl.iter().flatten().all(|x| *x >= 0.0 && *x <= t.variables.len() as f64));
            }
            prop_assert!(r.rpl_themes.iter().flatten().all(|x| (0.0..=1.0).contains(x)));
            prop_assert!(r.f_total.iter().flatten().all(|&x| x <= 3));
        }

        #[test]
        fn results_do_not_depend_on_row_order(rows in values_strategy(), seed in any::<u64>()) {
            let mut order: Vec<usize> = (0..rows.len()).collect();
            let mut s = seed | 1;
            for i in (1..order.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                order.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let permuted: Vec<_> = order.iter().map(|&i| rows[i]).collect();
            let a = compute_svi(&small_edition(), &to_input(&rows)).unwrap().columns();
            let b = compute_svi(&small_edition(), &to_input(&permuted)).unwrap().columns();
            for ((name, ca), (_, cb)) in a.iter().zip(&b) {
                for (k, &i) in order.iter().enumerate() {
                    prop_assert_eq!(cb[k], ca[i], "column {} row {}", name, i);
                }
            }
        }

        #[test]
        fn ranks_are_monotone_in_inputs(rows in values_strategy(), which in any::<proptest::sample::Index>(), up in 1i32..5) {
            // An area that is ranked on both A and B (rare enough that rejecting would starve).
            let candidates: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].0.is_some() && rows[i].1.is_some() && !rows[i].3).collect();
            if candidates.is_empty() {
                return Ok(());
            }
            let i = candidates[which.index(candidates.len())];
            let before = compute_svi(&small_edition(), &to_input(&rows)).unwrap();
            let mut raised = rows.clone();
            raised[i].0 = raised[i].0.map(|x| x + f64::from(up));
            raised[i].1 = raised[i].1.map(|x| x + f64::from(up));
            let after = compute_svi(&small_edition(), &to_input(&raised)).unwrap();
            let (a0, a1) = (&before.themes[0].variables[0].epl, &after.themes[0].variables[0].epl);
            prop_assert!(a1[i] >= a0[i], "A: {:?} -> {:?}", a0[i], a1[i]);
            // B is inverted: a higher value can only lower its rank.
            let (b0, b1) = (&before.themes[0].variables[1].epl, &after.themes[0].variables[1].epl);
            prop_assert!(b1[i] <= b0[i], "B: {:?} -> {:?}", b0[i], b1[i]);
        }
    }
}
