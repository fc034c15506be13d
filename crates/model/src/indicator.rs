use std::fmt;

use serde::{Deserialize, Serialize};

/// Stable identifier of an indicator (`jv_moeite_met_rondkomen`, `kwb_aantal_inwoners`).
/// Lower-case ASCII letters, digits and underscores, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IndicatorId(String);

impl IndicatorId {
    /// Validates an identifier.
    pub fn new(s: &str) -> Result<IndicatorId, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(IndicatorId(s.to_string()))
        } else {
            Err(format!(
                "expected an indicator id of lower-case letters, digits and '_' starting with a letter (max 64), found '{s}'"
            ))
        }
    }

    /// Builds an id from a StatLine key stem such as `MoeiteMetRondkomen` with a source prefix:
    /// `("jv", "MoeiteMetRondkomen")` → `jv_moeite_met_rondkomen`.
    pub fn from_key_stem(prefix: &str, stem: &str) -> Result<IndicatorId, String> {
        let mut out = String::with_capacity(prefix.len() + stem.len() + 8);
        out.push_str(&prefix.to_ascii_lowercase());
        let mut prev_lower_or_digit = false;
        out.push('_');
        for ch in stem.chars() {
            if ch.is_ascii_uppercase() {
                if prev_lower_or_digit {
                    out.push('_');
                }
                out.push(ch.to_ascii_lowercase());
                prev_lower_or_digit = false;
            } else if ch.is_ascii_alphanumeric() {
                out.push(ch.to_ascii_lowercase());
                prev_lower_or_digit = true;
            } else {
                if !out.ends_with('_') {
                    out.push('_');
                }
                prev_lower_or_digit = false;
            }
        }
        let trimmed: String = out.trim_end_matches('_').chars().take(64).collect();
        IndicatorId::new(trimmed.trim_end_matches('_'))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IndicatorId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IndicatorId::new(&s)
    }
}

impl From<IndicatorId> for String {
    fn from(i: IndicatorId) -> String {
        i.0
    }
}

impl fmt::Display for IndicatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way an indicator points. Ranks and flags are always computed on direction-aligned
/// values, so "rank 1" is the least favourable region whatever the indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A higher value is less favourable (e.g. share with debts).
    HigherIsWorse,
    /// A higher value is more favourable (e.g. share in good health).
    HigherIsBetter,
    /// Context only (population, density): no judgement; rank 1 is the highest value.
    Neutral,
}

impl Direction {
    /// Identifier used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsWorse => "higher_is_worse",
            Direction::HigherIsBetter => "higher_is_better",
            Direction::Neutral => "neutral",
        }
    }

    /// Parses the identifier.
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "higher_is_worse" => Some(Direction::HigherIsWorse),
            "higher_is_better" => Some(Direction::HigherIsBetter),
            "neutral" => Some(Direction::Neutral),
            _ => None,
        }
    }
}

/// An indicator as the monitor knows it: from the catalogue, or registered by a load with the
/// metadata the source file carried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Stable id.
    pub id: IndicatorId,
    /// Dutch label.
    pub label_nl: String,
    /// English label (falls back to the Dutch one when a source gave none).
    pub label_en: String,
    /// Unit as shown to users (`%`, `aantal`, `inwoners per km²`).
    pub unit: String,
    /// Which way is unfavourable.
    pub direction: Direction,
    /// Where the figures come from (publisher and table).
    pub source: String,
    /// Decimals to show.
    pub decimals: u8,
    /// Longer explanation, may be empty.
    pub description: String,
    /// True when values are counts that add up over areas (population, dwellings); then a
    /// total over areas is a sum. Rates and percentages are never summed.
    pub additive: bool,
    /// True when the catalogue describes this indicator; false when a load registered it
    /// from file metadata alone.
    pub curated: bool,
}
