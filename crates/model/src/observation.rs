use serde::{Deserialize, Serialize};

use crate::{IndicatorId, Period, RegionCode};

/// Whether a value is present, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueStatus {
    /// A published value.
    Ok,
    /// The publisher withheld the value (too few respondents, disclosure control): StatLine
    /// writes an empty cell or `.`.
    Suppressed,
    /// Not published for this region (no cell at all).
    Missing,
    /// The figure does not apply to this region (CBS's "niet van toepassing", e.g. a rate for a
    /// buurt without residents): never a number, never a gap to fill.
    NotApplicable,
}

impl ValueStatus {
    /// Identifier used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueStatus::Ok => "ok",
            ValueStatus::Suppressed => "suppressed",
            ValueStatus::Missing => "missing",
            ValueStatus::NotApplicable => "not_applicable",
        }
    }

    /// Parses the identifier.
    pub fn parse(s: &str) -> Option<ValueStatus> {
        match s {
            "ok" => Some(ValueStatus::Ok),
            "suppressed" => Some(ValueStatus::Suppressed),
            "missing" => Some(ValueStatus::Missing),
            "not_applicable" => Some(ValueStatus::NotApplicable),
            _ => None,
        }
    }
}

/// One figure: an indicator for a region in a period, optionally for a breakdown cell
/// (e.g. `age_class=18-24`), with its interval and the count behind it where known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The indicator.
    pub indicator: IndicatorId,
    /// The region.
    pub region: RegionCode,
    /// The period.
    pub period: Period,
    /// Breakdown cell, empty for the total population.
    pub breakdown: String,
    /// The value; `None` when suppressed or missing.
    pub value: Option<f64>,
    /// Lower bound of the published interval.
    pub lower: Option<f64>,
    /// Upper bound of the published interval.
    pub upper: Option<f64>,
    /// Number of observations (respondents, persons) behind the value.
    pub n: Option<f64>,
    /// Present, suppressed or missing.
    pub status: ValueStatus,
}
