//! `warnings.toml`: the early-warning rule ([`crate::warning::WarningRule`]).

use serde::Deserialize;

use super::{line_col, CatalogueError, CatalogueFile};
use crate::warning::WarningRule;
use crate::IndicatorId;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWarnings {
    #[serde(default)]
    rule: Option<toml::Spanned<RawRule>>,
    #[serde(default)]
    signal: Vec<toml::Spanned<RawSignal>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    alpha: Option<f64>,
    min_expected: Option<f64>,
    past_variation_k: Option<f64>,
    min_past_changes: Option<usize>,
    require_past_variation: Option<bool>,
    national_margin: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignal {
    indicator: toml::Spanned<String>,
}

impl WarningRule {
    /// Parses `warnings.toml`. Indicator ids are checked for shape here; whether they exist
    /// is checked by the catalogue, which knows the indicators.
    pub fn parse(file: &CatalogueFile) -> Result<WarningRule, CatalogueError> {
        let err = |offset: usize, field: Option<&str>, message: String| {
            let (line, column) = line_col(&file.text, offset);
            CatalogueError {
                file: file.name.clone(),
                line,
                column,
                field: field.map(str::to_string),
                message,
            }
        };
        let raw: RawWarnings = toml::from_str(&file.text).map_err(|e| {
            err(
                e.span().map_or(0, |s| s.start),
                None,
                e.message().to_string(),
            )
        })?;
        let mut rule = WarningRule::default();
        if let Some(spanned) = raw.rule {
            let start = spanned.span().start;
            let r = spanned.into_inner();
            rule.alpha = r.alpha.unwrap_or(rule.alpha);
            rule.min_expected = r.min_expected.unwrap_or(rule.min_expected);
            rule.past_variation_k = r.past_variation_k.unwrap_or(rule.past_variation_k);
            rule.min_past_changes = r.min_past_changes.unwrap_or(rule.min_past_changes);
            rule.require_past_variation = r
                .require_past_variation
                .unwrap_or(rule.require_past_variation);
            rule.national_margin = r.national_margin.unwrap_or(rule.national_margin);
            if !(rule.alpha > 0.0 && rule.alpha < 0.5) {
                return Err(err(
                    start,
                    Some("alpha"),
                    format!(
                        "expected a significance level between 0 and 0.5, found {}",
                        rule.alpha
                    ),
                ));
            }
            if !(rule.past_variation_k >= 0.0 && rule.past_variation_k.is_finite()) {
                return Err(err(
                    start,
                    Some("past_variation_k"),
                    format!("expected a number ≥ 0, found {}", rule.past_variation_k),
                ));
            }
            if !(rule.min_expected >= 0.0 && rule.min_expected.is_finite()) {
                return Err(err(
                    start,
                    Some("min_expected"),
                    format!("expected a number ≥ 0, found {}", rule.min_expected),
                ));
            }
            if rule.min_past_changes == 0 {
                return Err(err(
                    start,
                    Some("min_past_changes"),
                    "expected at least 1 (a standard deviation needs earlier changes)".into(),
                ));
            }
            if !(rule.national_margin >= 0.0 && rule.national_margin.is_finite()) {
                return Err(err(
                    start,
                    Some("national_margin"),
                    format!("expected a number ≥ 0, found {}", rule.national_margin),
                ));
            }
        }
        for s in raw.signal {
            let ind = s.into_inner().indicator;
            let id = IndicatorId::new(ind.get_ref())
                .map_err(|m| err(ind.span().start, Some("indicator"), m))?;
            if rule.signals.contains(&id) {
                return Err(err(
                    ind.span().start,
                    Some("indicator"),
                    format!("signal '{id}' is listed twice"),
                ));
            }
            rule.signals.push(id);
        }
        Ok(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> CatalogueFile {
        CatalogueFile {
            name: "warnings.toml".into(),
            text: text.into(),
        }
    }

    #[test]
    fn defaults_apply_and_values_override() {
        let r = WarningRule::parse(&file(
            "[rule]\nalpha = 0.01\n\n[[signal]]\nindicator = \"kwb_laag_inkomen\"\n",
        ))
        .unwrap();
        assert_eq!(r.alpha, 0.01);
        assert_eq!(r.past_variation_k, 2.0);
        assert_eq!(r.signals[0].as_str(), "kwb_laag_inkomen");
    }

    #[test]
    fn bad_values_name_line_and_field() {
        let e = WarningRule::parse(&file("\n[rule]\nalpha = 0.7\n")).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (2, Some("alpha")));
        let e = WarningRule::parse(&file("[[signal]]\nindicator = \"Bad Id\"\n")).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (2, Some("indicator")));
    }
}
