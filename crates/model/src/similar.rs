//! The rule that says which areas are "similar" to a region (`similar.toml`): nearest neighbours
//! among the regions of the same level on a few standardised context variables. The rule is
//! data, so a researcher can change the variables, their weights and k without code; the
//! engine (`kwm_engine::similar`) applies it.

use crate::IndicatorId;

/// One context variable of the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarVariable {
    /// The indicator compared.
    pub indicator: IndicatorId,
    /// Weight of its standardised difference (> 0).
    pub weight: f64,
    /// Compare the natural logarithm (values must be > 0), for skewed counts.
    pub log: bool,
}

/// Nearest neighbours on standardised variables, same level, `k` of them. Empty `variables`
/// (no `similar.toml`) means no similar areas are shown.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarRule {
    /// How many neighbours.
    pub k: usize,
    /// The variables, in file order.
    pub variables: Vec<SimilarVariable>,
}

impl Default for SimilarRule {
    fn default() -> Self {
        SimilarRule {
            k: 10,
            variables: Vec::new(),
        }
    }
}
