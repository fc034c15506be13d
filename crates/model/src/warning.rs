//! The early-warning rule ("vroegsignalering"): which signals are watched and when a region is
//! flagged. Read from the catalogue file `warnings.toml`, so a researcher can change it
//! without code; the engine evaluates it.

use serde::{Deserialize, Serialize};

use crate::catalogue::{line_col, CatalogueError, CatalogueFile};
use crate::IndicatorId;

/// When a region is flagged. A region is flagged for a signal in a period when **all** of:
///
/// 1. the signal worsened since the previous period (direction from the catalogue);
/// 2. the worsening is statistically significant at `alpha` (see `kwm_engine::trend` for the
///    tests; a change that cannot be tested is never flagged);
/// 3. it exceeds the region's own past variation: `past_variation_k` × the standard deviation
///    of its earlier period-to-period changes — assessable only with at least
///    `min_past_changes` earlier changes; when not assessable the flag depends on
///    `require_past_variation`;
/// 4. it exceeds the national change in the same period by more than `national_margin`
///    (in the signal's unit); when no national value exists this is not assessable and does
///    not block the flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRule {
    /// Significance level of the change test.
    pub alpha: f64,
    /// Smallest expected cell count for the two-proportion z-test; below it Fisher's exact
    /// test is used (Cochran's rule: 5).
    pub min_expected: f64,
    /// How many standard deviations of the region's own earlier changes a worsening must exceed.
    pub past_variation_k: f64,
    /// Earlier period-to-period changes needed before own variation is assessable.
    pub min_past_changes: usize,
    /// When true, a region whose own past variation is not assessable is never flagged.
    pub require_past_variation: bool,
    /// How much more than the national change a worsening must be (indicator unit).
    pub national_margin: f64,
    /// The signals watched: key indicators (and, once the risk model provides it, the
    /// stacking count).
    pub signals: Vec<IndicatorId>,
}

impl Default for WarningRule {
    fn default() -> Self {
        WarningRule {
            alpha: 0.05,
            min_expected: 5.0,
            past_variation_k: 2.0,
            min_past_changes: 2,
            require_past_variation: false,
            national_margin: 0.0,
            signals: Vec::new(),
        }
    }
}

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
