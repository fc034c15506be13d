use std::fmt;

use serde::{Deserialize, Serialize};

/// A reporting period. The monitor works in calendar years; StatLine writes a year as
/// `2024JJ00`, which [`Period::parse_statline`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Period(pub i32);

impl Period {
    /// Earliest and latest years accepted; anything outside is a typo, not a period.
    pub const RANGE: std::ops::RangeInclusive<i32> = 1900..=2100;

    /// Parses `2024` or StatLine's `2024JJ00`.
    pub fn parse(raw: &str) -> Option<Period> {
        let s = raw.trim();
        let year = s.strip_suffix("JJ00").unwrap_or(s);
        let y: i32 = year.parse().ok()?;
        Period::RANGE.contains(&y).then_some(Period(y))
    }

    /// The calendar year.
    pub fn year(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_plain_and_statline_years() {
        assert_eq!(Period::parse("2024"), Some(Period(2024)));
        assert_eq!(Period::parse("2019JJ00 "), Some(Period(2019)));
        assert_eq!(Period::parse("2019KW01"), None);
        assert_eq!(Period::parse("24"), None);
    }
}
