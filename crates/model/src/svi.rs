//! Editions of the CDC/ATSDR Social Vulnerability Index (SVI) as configuration.
//!
//! An edition says which variables form which theme, which variables are ranked inversely,
//! the flag threshold, the rounding and the missing-value code. The engine's SVI functions
//! take an [`SviEdition`] and know nothing about a particular year. The 2018 and 2020
//! editions ship as TOML files in `catalogue/svi/` and are compiled in as defaults
//! ([`SviEdition::builtin`]); a researcher can write another edition in the same format and
//! load it with [`SviEdition::parse`].
//!
//! ```
//! let edition = kwm_model::svi::SviEdition::builtin(2020).unwrap();
//! assert_eq!(edition.variables().count(), 16);
//! assert!(edition.variables().all(|v| !v.inverted));
//! ```

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalogue::{line_col, CatalogueError};

/// The editions compiled into the binary, by year.
pub const BUILTIN_EDITIONS: [(i32, &str, &str); 2] = [
    (
        2018,
        "catalogue/svi/2018.toml",
        include_str!("../../../catalogue/svi/2018.toml"),
    ),
    (
        2020,
        "catalogue/svi/2020.toml",
        include_str!("../../../catalogue/svi/2020.toml"),
    ),
];

/// One SVI edition: the complete, named configuration of the method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SviEdition {
    /// Stable identifier, recorded with results (`cdc-svi-2018`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Data year of the edition.
    pub year: i32,
    /// Where the configuration comes from (document and pages).
    pub source: String,
    /// A variable is flagged when its rounded percentile rank is at least this (CDC: 0.90).
    pub threshold: f64,
    /// Decimals of percentile ranks and sums (CDC: 4), rounded half away from zero.
    pub decimals: u32,
    /// The number that stands for "no data" in inputs and outputs (CDC: -999).
    pub missing_code: f64,
    /// Column with the total population; areas where it is 0 are left out of every ranking
    /// and get `missing_code` in every computed column. `None` disables the rule.
    pub population_column: Option<String>,
    /// Themes in order; theme `k` (1-based) gives the columns `SPL_THEMEk`, `RPL_THEMEk`,
    /// `F_THEMEk`.
    pub themes: Vec<SviTheme>,
}

/// A theme: a group of variables whose percentile ranks are summed and ranked again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SviTheme {
    /// 1-based theme number.
    pub number: u32,
    /// Name of the theme.
    pub name: String,
    /// The variables, in CDC's column order.
    pub variables: Vec<SviVariable>,
}

/// One ranked variable. Its input column is `EP_<id>`; it yields `EPL_<id>` and `F_<id>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SviVariable {
    /// CDC's variable name (`POV`, `PCI`).
    pub id: String,
    /// What the estimate measures.
    pub label: String,
    /// Ranked inversely (`EPL = 1 − percentile rank`), for variables where a high value means
    /// low vulnerability (per-capita income in 2018 and before).
    pub inverted: bool,
}

impl SviVariable {
    /// The input column: the estimated percentage or value, `EP_<id>`.
    pub fn input_column(&self) -> String {
        format!("EP_{}", self.id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    id: String,
    name: String,
    year: i32,
    #[serde(default)]
    source: String,
    threshold: Spanned<f64>,
    decimals: Spanned<u32>,
    missing_code: f64,
    population_column: Option<String>,
    #[serde(rename = "theme")]
    themes: Vec<Spanned<RawTheme>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    number: Spanned<u32>,
    name: String,
    variables: Vec<Spanned<RawVariable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    id: Spanned<String>,
    #[serde(default)]
    label: String,
    #[serde(default)]
    inverted: bool,
}

impl SviEdition {
    /// A compiled-in edition (2018 or 2020), or `None` for other years.
    pub fn builtin(year: i32) -> Option<SviEdition> {
        BUILTIN_EDITIONS
            .iter()
            .find(|(y, _, _)| *y == year)
            .map(|(_, file, text)| {
                SviEdition::parse(file, text).expect("compiled-in SVI editions are valid (tested)")
            })
    }

    /// Parses and validates an edition file. Errors name the file, line, column and field.
    pub fn parse(file: &str, text: &str) -> Result<SviEdition, CatalogueError> {
        let err = |offset: usize, field: Option<&str>, message: String| {
            let (line, column) = line_col(text, offset);
            CatalogueError {
                file: file.to_string(),
                line,
                column,
                field: field.map(str::to_string),
                message,
            }
        };
        let raw: RawEdition = toml::from_str(text).map_err(|e| {
            err(
                e.span().map_or(0, |s| s.start),
                None,
                e.message().to_string(),
            )
        })?;

        let threshold = *raw.threshold.get_ref();
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(err(
                raw.threshold.span().start,
                Some("threshold"),
                format!("expected a percentile threshold in (0, 1], found {threshold}"),
            ));
        }
        let decimals = *raw.decimals.get_ref();
        if decimals > 12 {
            return Err(err(
                raw.decimals.span().start,
                Some("decimals"),
                format!("expected at most 12 decimals, found {decimals}"),
            ));
        }
        if raw.themes.is_empty() {
            return Err(err(
                0,
                Some("theme"),
                "expected at least one [[theme]]".into(),
            ));
        }
        let mut seen = HashSet::new();
        let mut themes = Vec::with_capacity(raw.themes.len());
        for (k, spanned) in raw.themes.into_iter().enumerate() {
            let theme_start = spanned.span().start;
            let theme = spanned.into_inner();
            // Output columns are numbered SPL_THEME1..n, so numbering must be exactly 1..n.
            if *theme.number.get_ref() as usize != k + 1 {
                return Err(err(
                    theme.number.span().start,
                    Some("number"),
                    format!(
                        "expected theme number {} (themes are numbered 1, 2, … in order), found {}",
                        k + 1,
                        theme.number.get_ref()
                    ),
                ));
            }
            if theme.variables.is_empty() {
                return Err(err(
                    theme_start,
                    Some("variables"),
                    format!("theme {} has no variables", k + 1),
                ));
            }
            let mut variables = Vec::with_capacity(theme.variables.len());
            for v in theme.variables {
                let v = v.into_inner();
                let id = v.id.get_ref();
                let valid = !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if !valid {
                    return Err(err(
                        v.id.span().start,
                        Some("id"),
                        format!("expected a variable id of upper-case letters, digits and '_' (as in CDC's EP_<id> columns), found '{id}'"),
                    ));
                }
                if !seen.insert(id.clone()) {
                    return Err(err(
                        v.id.span().start,
                        Some("id"),
                        format!("variable '{id}' appears twice"),
                    ));
                }
                variables.push(SviVariable {
                    id: id.clone(),
                    label: v.label,
                    inverted: v.inverted,
                });
            }
            themes.push(SviTheme {
                number: *theme.number.get_ref(),
                name: theme.name,
                variables,
            });
        }
        Ok(SviEdition {
            id: raw.id,
            name: raw.name,
            year: raw.year,
            source: raw.source,
            threshold,
            decimals,
            missing_code: raw.missing_code,
            population_column: raw.population_column.filter(|c| !c.is_empty()),
            themes,
        })
    }

    /// All variables, theme by theme, in CDC's column order.
    pub fn variables(&self) -> impl Iterator<Item = &SviVariable> {
        self.themes.iter().flat_map(|t| t.variables.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(e: &SviEdition, theme: usize) -> Vec<&str> {
        e.themes[theme]
            .variables
            .iter()
            .map(|v| v.id.as_str())
            .collect()
    }

    #[test]
    fn builtin_2018_matches_the_documentation() {
        let e = SviEdition::builtin(2018).unwrap();
        assert_eq!(ids(&e, 0), ["POV", "UNEMP", "PCI", "NOHSDP"]);
        assert_eq!(ids(&e, 1), ["AGE65", "AGE17", "DISABL", "SNGPNT"]);
        assert_eq!(ids(&e, 2), ["MINRTY", "LIMENG"]);
        assert_eq!(ids(&e, 3), ["MUNIT", "MOBILE", "CROWD", "NOVEH", "GROUPQ"]);
        let inverted: Vec<&str> = e
            .variables()
            .filter(|v| v.inverted)
            .map(|v| v.id.as_str())
            .collect();
        assert_eq!(inverted, ["PCI"]);
        assert_eq!((e.threshold, e.decimals, e.missing_code), (0.90, 4, -999.0));
        assert_eq!(e.population_column.as_deref(), Some("E_TOTPOP"));
    }

    #[test]
    fn builtin_2020_has_sixteen_variables_and_none_inverted() {
        let e = SviEdition::builtin(2020).unwrap();
        assert_eq!(
            ids(&e, 0),
            ["POV150", "UNEMP", "HBURD", "NOHSDP", "UNINSUR"]
        );
        assert_eq!(ids(&e, 1), ["AGE65", "AGE17", "DISABL", "SNGPNT", "LIMENG"]);
        assert_eq!(ids(&e, 2), ["MINRTY"]);
        assert_eq!(ids(&e, 3), ["MUNIT", "MOBILE", "CROWD", "NOVEH", "GROUPQ"]);
        assert!(e.variables().all(|v| !v.inverted));
        assert!(SviEdition::builtin(2016).is_none());
    }

    #[test]
    fn errors_name_line_and_field() {
        let text = "id = \"x\"\nname = \"x\"\nyear = 2018\nthreshold = 1.5\ndecimals = 4\nmissing_code = -999\n[[theme]]\nnumber = 1\nname = \"a\"\nvariables = [{ id = \"POV\" }]\n";
        let e = SviEdition::parse("x.toml", text).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (4, Some("threshold")), "{e}");

        let dup = text
            .replace("threshold = 1.5", "threshold = 0.9")
            .replace("[{ id = \"POV\" }]", "[{ id = \"POV\" }, { id = \"POV\" }]");
        let e = SviEdition::parse("x.toml", &dup).unwrap_err();
        assert!(e.message.contains("twice") && e.line == 10, "{e}");

        let numbering = text
            .replace("threshold = 1.5", "threshold = 0.9")
            .replace("number = 1", "number = 2");
        let e = SviEdition::parse("x.toml", &numbering).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("number"), "{e}");

        let unknown = text.replace("threshold = 1.5", "treshold = 0.9");
        assert!(SviEdition::parse("x.toml", &unknown).is_err());
    }
}
