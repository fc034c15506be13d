//! Changes to the region layout (indeling) between years: municipal mergers and splits,
//! renamed or re-coded regions, boundary corrections.
//!
//! A change links one region of an older layout to one region of a newer layout. A merge of
//! three gemeenten is three changes (each old code → the new code, weight 1); a split of one
//! gemeente over four is four changes whose weights (the share of the old region that went to
//! each successor) add up to 1.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Level, RegionCode};

/// What happened to a region between two layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The whole old region became part of the new one, together with others (or the new one
    /// is a continuing region that absorbed it).
    Merge,
    /// The old region was divided; this link carries the share `weight` of it.
    Split,
    /// Same code, different name.
    Rename,
    /// Same area, different code.
    Recode,
    /// A continuing region gave a part (`weight`) of its area to another region.
    Boundary,
}

impl ChangeKind {
    /// All kinds, in display order.
    pub const ALL: [ChangeKind; 5] = [
        ChangeKind::Merge,
        ChangeKind::Split,
        ChangeKind::Rename,
        ChangeKind::Recode,
        ChangeKind::Boundary,
    ];

    /// Identifier used in files, the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Merge => "merge",
            ChangeKind::Split => "split",
            ChangeKind::Rename => "rename",
            ChangeKind::Recode => "recode",
            ChangeKind::Boundary => "boundary",
        }
    }

    /// Parses the English identifier or the Dutch word CBS uses in its overviews
    /// (`samenvoeging`, `splitsing`, `naamswijziging`, `hercodering`, `grenscorrectie`).
    pub fn parse(raw: &str) -> Option<ChangeKind> {
        match raw.trim().to_lowercase().as_str() {
            "merge" | "samenvoeging" | "opheffing" | "fusie" => Some(ChangeKind::Merge),
            "split" | "splitsing" | "opsplitsing" | "verdeling" => Some(ChangeKind::Split),
            "rename" | "naamswijziging" => Some(ChangeKind::Rename),
            "recode" | "hercodering" | "codewijziging" => Some(ChangeKind::Recode),
            "boundary" | "grenscorrectie" | "grenswijziging" => Some(ChangeKind::Boundary),
            _ => None,
        }
    }

    /// Dutch label.
    pub fn label_nl(self) -> &'static str {
        match self {
            ChangeKind::Merge => "samenvoeging",
            ChangeKind::Split => "splitsing",
            ChangeKind::Rename => "naamswijziging",
            ChangeKind::Recode => "nieuwe code",
            ChangeKind::Boundary => "grenscorrectie",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ChangeKind::Merge => "merger",
            ChangeKind::Split => "split",
            ChangeKind::Rename => "renamed",
            ChangeKind::Recode => "new code",
            ChangeKind::Boundary => "boundary correction",
        }
    }

    /// True when the link moves figures from one code to another (everything but a rename).
    pub fn moves_figures(self) -> bool {
        self != ChangeKind::Rename
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One link between an old and a new region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionChange {
    /// The first layout year in which the change is in force (a change on 1 January 2021 is
    /// in force in layout 2021; one on 24 March 2022 first in layout 2023).
    pub to_layout: i32,
    /// Date the change took effect (`2021-01-01`), when known.
    pub effective: Option<String>,
    /// The region before.
    pub old_code: RegionCode,
    /// Its name, when known.
    pub old_name: Option<String>,
    /// The region after.
    pub new_code: RegionCode,
    /// Its name, when known.
    pub new_name: Option<String>,
    /// What happened.
    pub kind: ChangeKind,
    /// Share of the old region that went to the new one: 1 for merges, renames and re-codes;
    /// between 0 and 1 for splits and boundary corrections. `None` when it is still to be
    /// derived (from the population of `parts`, else from boundaries).
    pub weight: Option<f64>,
    /// How the weight was found, in words a reader can check.
    pub weight_basis: Option<String>,
    /// Regions of the new layout (or later) that hold exactly the part that moved, e.g. the
    /// wijken a village became. Their population gives the weight of a split.
    pub parts: Vec<RegionCode>,
}

impl RegionChange {
    /// The level of the change (of its old code).
    pub fn level(&self) -> Level {
        self.old_code.level()
    }
}

/// The first layout year in which a change with this effective date is in force: layouts are
/// the indeling on 1 January, so a change on 1 January counts that year, any later date the
/// next year.
///
/// ```
/// assert_eq!(kwm_model::change::layout_of_date("2021-01-01"), Some(2021));
/// assert_eq!(kwm_model::change::layout_of_date("2022-03-24"), Some(2023));
/// assert_eq!(kwm_model::change::layout_of_date("24-3-2022"), Some(2023));
/// ```
pub fn layout_of_date(date: &str) -> Option<i32> {
    let (y, m, d) = parse_date(date)?;
    Some(if (m, d) == (1, 1) { y } else { y + 1 })
}

/// Parses `2021-01-01`, `2021/1/1` or the Dutch `1-1-2021` / `01-01-2021` into (year, month,
/// day), checking ranges.
pub fn parse_date(raw: &str) -> Option<(i32, u32, u32)> {
    let parts: Vec<&str> = raw.trim().split(['-', '/']).collect();
    if parts.len() != 3 {
        return None;
    }
    let nums: Vec<u32> = parts
        .iter()
        .map(|p| p.parse::<u32>().ok())
        .collect::<Option<_>>()?;
    let (y, m, d) = if parts[0].len() == 4 {
        (nums[0], nums[1], nums[2])
    } else if parts[2].len() == 4 {
        (nums[2], nums[1], nums[0])
    } else {
        return None;
    };
    let ok = (1900..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d);
    ok.then_some((y as i32, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_in_english_and_dutch() {
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ChangeKind::parse("Samenvoeging"), Some(ChangeKind::Merge));
        assert_eq!(
            ChangeKind::parse("grenscorrectie"),
            Some(ChangeKind::Boundary)
        );
        assert_eq!(ChangeKind::parse("annexatie?"), None);
    }

    #[test]
    fn dates_map_to_the_first_layout_in_force() {
        assert_eq!(layout_of_date("2023-01-01"), Some(2023));
        assert_eq!(layout_of_date("2022-12-31"), Some(2023));
        assert_eq!(layout_of_date("1-1-2021"), Some(2021));
        assert_eq!(layout_of_date("2021-13-01"), None);
        assert_eq!(layout_of_date("2021"), None);
    }
}
