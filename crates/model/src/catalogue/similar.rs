//! `similar.toml`: which areas count as similar ([`crate::similar::SimilarRule`]).

use serde::Deserialize;
use toml::Spanned;

use super::{line_col, CatalogueError, CatalogueFile, CatalogueIndicator};
use crate::similar::{SimilarRule, SimilarVariable};
use crate::IndicatorId;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    k: Spanned<i64>,
    #[serde(default)]
    variable: Vec<Spanned<RawVariable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    indicator: Spanned<String>,
    #[serde(default = "one")]
    weight: f64,
    #[serde(default)]
    log: bool,
}

fn one() -> f64 {
    1.0
}

impl SimilarRule {
    /// Parses `similar.toml` against the catalogue's indicators. Errors carry file, line,
    /// column and field: an unknown indicator, a duplicate, a weight ≤ 0, k < 1, no variables.
    ///
    /// ```
    /// # use kwm_model::catalogue::CatalogueFile;
    /// # use kwm_model::similar::SimilarRule;
    /// let file = CatalogueFile { name: "similar.toml".into(), text: "k = 0\n".into() };
    /// let e = SimilarRule::parse(&file, &[]).unwrap_err();
    /// assert_eq!((e.line, e.field.as_deref()), (1, Some("k")));
    /// ```
    pub fn parse(
        file: &CatalogueFile,
        indicators: &[CatalogueIndicator],
    ) -> Result<SimilarRule, CatalogueError> {
        let err = |offset: usize, field: &str, message: String| {
            let (line, column) = line_col(&file.text, offset);
            CatalogueError {
                file: file.name.clone(),
                line,
                column,
                field: Some(field.to_string()),
                message,
            }
        };
        let raw: RawRule = toml::from_str(&file.text).map_err(|e| {
            let (line, column) = line_col(&file.text, e.span().map_or(0, |s| s.start));
            CatalogueError {
                file: file.name.clone(),
                line,
                column,
                field: None,
                message: e.message().to_string(),
            }
        })?;
        let k = *raw.k.get_ref();
        if k < 1 {
            return Err(err(
                raw.k.span().start,
                "k",
                format!("expected at least 1 similar area, found {k}"),
            ));
        }
        if raw.variable.is_empty() {
            return Err(err(
                0,
                "variable",
                "expected at least one [[variable]] to compare areas on".into(),
            ));
        }
        let mut variables: Vec<SimilarVariable> = Vec::new();
        for spanned in raw.variable {
            let start = spanned.span().start;
            let v = spanned.into_inner();
            let at = v.indicator.span().start;
            let id =
                IndicatorId::new(v.indicator.get_ref()).map_err(|m| err(at, "indicator", m))?;
            if !indicators.iter().any(|i| i.indicator.id == id) {
                return Err(err(
                    at,
                    "indicator",
                    format!("'{id}' is not an indicator of indicators.toml"),
                ));
            }
            if variables.iter().any(|x| x.indicator == id) {
                return Err(err(at, "indicator", format!("'{id}' is listed twice")));
            }
            if !(v.weight > 0.0 && v.weight.is_finite()) {
                return Err(err(
                    start,
                    "weight",
                    format!("expected a weight > 0, found {}", v.weight),
                ));
            }
            variables.push(SimilarVariable {
                indicator: id,
                weight: v.weight,
                log: v.log,
            });
        }
        Ok(SimilarRule {
            k: k as usize,
            variables,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SimilarRule, CatalogueError> {
        let file = CatalogueFile {
            name: "similar.toml".into(),
            text: text.into(),
        };
        SimilarRule::parse(&file, &[])
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = parse("k = 10\n\n[[variable]]\nindicator = \"kwb_onbekend\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "similar.toml:4:13: field 'indicator': 'kwb_onbekend' is not an indicator of indicators.toml"
        );
        let e = parse("k = 10\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("variable"));
        let e = parse("k = 10\nextra = 1\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("similar.toml", 2));
    }
}
