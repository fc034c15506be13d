//! The early-warning rule ("vroegsignalering"): which signals are watched and when a region is
//! flagged. Read from the catalogue file `warnings.toml`, so a researcher can change it
//! without code; the engine evaluates it.

use serde::{Deserialize, Serialize};

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
