use std::fmt;

use serde::{Deserialize, Serialize};

/// The administrative level of a region, derived from its CBS code prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The Netherlands as a whole (`NL01`; StatLine also uses `NL00`).
    Land,
    /// A province (`PV20`..`PV31`).
    Provincie,
    /// A GGD region, the area of a municipal health service (`GG0111`).
    Ggd,
    /// A municipality (`GM0363`).
    Gemeente,
    /// A district within a municipality (`WK036300`, `WK0363AA`).
    Wijk,
    /// A neighbourhood within a district (`BU03630000`, `BU0363AA01`).
    Buurt,
}

impl Level {
    /// All levels, from the largest area to the smallest.
    pub const ALL: [Level; 6] = [
        Level::Land,
        Level::Provincie,
        Level::Ggd,
        Level::Gemeente,
        Level::Wijk,
        Level::Buurt,
    ];

    /// The identifier used in URLs, files and the API (`gemeente`, `wijk`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Land => "land",
            Level::Provincie => "provincie",
            Level::Ggd => "ggd",
            Level::Gemeente => "gemeente",
            Level::Wijk => "wijk",
            Level::Buurt => "buurt",
        }
    }

    /// Dutch display label, plural.
    pub fn label_nl_plural(self) -> &'static str {
        match self {
            Level::Land => "Nederland",
            Level::Provincie => "provincies",
            Level::Ggd => "GGD-regio's",
            Level::Gemeente => "gemeenten",
            Level::Wijk => "wijken",
            Level::Buurt => "buurten",
        }
    }

    /// English display label, plural.
    pub fn label_en_plural(self) -> &'static str {
        match self {
            Level::Land => "the Netherlands",
            Level::Provincie => "provinces",
            Level::Ggd => "GGD regions",
            Level::Gemeente => "municipalities",
            Level::Wijk => "districts",
            Level::Buurt => "neighbourhoods",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                format!("unknown level '{s}', expected one of land, provincie, ggd, gemeente, wijk, buurt")
            })
    }
}

/// A validated CBS region code such as `GM0363`, `WK036300` or `BU03630000`.
///
/// Wijk and buurt codes carry the gemeente number, so the parent gemeente (and for a buurt the
/// parent wijk) follows from the code alone. Since 2022 some gemeenten (Amsterdam) use letters in
/// the wijk/buurt part (`WK0363AA`, `BU0363AA01`); those are accepted.
///
/// ```
/// use kwm_model::{Level, RegionCode};
/// let code: RegionCode = "BU03630001".parse().unwrap();
/// assert_eq!(code.level(), Level::Buurt);
/// assert_eq!(code.parent().unwrap().as_str(), "WK036300");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode {
    code: String,
    level: Level,
}

/// Why a string is not a region code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    /// Not shaped like any CBS region code.
    #[error("expected a region code like GM0363, WK036300, BU03630000, NL01, PV27 or GG3406, found '{0}'")]
    Malformed(String),
    /// A well-formed CBS code of a region type this product does not model (e.g. COROP `CR01`).
    #[error(
        "region type '{prefix}' of '{code}' is not supported (supported: NL, PV, GG, GM, WK, BU)"
    )]
    UnsupportedType {
        /// The two-letter prefix.
        prefix: String,
        /// The whole code.
        code: String,
    },
}

/// Prefixes of CBS region types the monitor does not model but StatLine tables contain:
/// COROP regions, landsdelen, veiligheidsregio's, jeugdzorgregio's, arbeidsmarktregio's, and
/// `CG` (a regional aggregate in the Gezondheidsmonitor). Rows with these are skipped with a
/// note; any other unknown prefix is a malformed code.
const OTHER_CBS_TYPES: &[&str] = &["CR", "LD", "VR", "JZ", "AM", "CG"];

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn all_upper_alnum(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

impl RegionCode {
    /// Parses a code. Surrounding whitespace is removed first, because StatLine pads codes
    /// (`"NL01  "`); nothing else is normalised.
    pub fn parse(raw: &str) -> Result<RegionCode, RegionCodeError> {
        let code = raw.trim();
        let malformed = || RegionCodeError::Malformed(code.to_string());
        if code.len() < 4 || !code.is_ascii() {
            return Err(malformed());
        }
        let (prefix, rest) = code.split_at(2);
        let level = match prefix {
            "NL" if rest.len() == 2 && all_digits(rest) => Level::Land,
            "PV" if rest.len() == 2 && all_digits(rest) => Level::Provincie,
            "GG" if rest.len() == 4 && all_digits(rest) => Level::Ggd,
            "GM" if rest.len() == 4 && all_digits(rest) => Level::Gemeente,
            "WK" if rest.len() == 6 && all_digits(&rest[..4]) && all_upper_alnum(&rest[4..]) => {
                Level::Wijk
            }
            "BU" if rest.len() == 8 && all_digits(&rest[..4]) && all_upper_alnum(&rest[4..]) => {
                Level::Buurt
            }
            "NL" | "PV" | "GG" | "GM" | "WK" | "BU" => return Err(malformed()),
            p if OTHER_CBS_TYPES.contains(&p) && all_upper_alnum(rest) => {
                return Err(RegionCodeError::UnsupportedType {
                    prefix: p.to_string(),
                    code: code.to_string(),
                })
            }
            _ => return Err(malformed()),
        };
        Ok(RegionCode {
            code: code.to_string(),
            level,
        })
    }

    /// The code as text, e.g. `GM0363`.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The level this code belongs to.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The parent that follows from the code itself: buurt → wijk → gemeente.
    /// Gemeenten, GGD regions and provinces have parents that change with the layout year,
    /// so they are not derivable from the code and this returns `None` for them.
    pub fn parent(&self) -> Option<RegionCode> {
        let code = match self.level {
            Level::Buurt => format!("WK{}", &self.code[2..8]),
            Level::Wijk => format!("GM{}", &self.code[2..6]),
            _ => return None,
        };
        RegionCode::parse(&code).ok()
    }

    /// The gemeente this wijk or buurt lies in (itself for a gemeente).
    pub fn gemeente(&self) -> Option<RegionCode> {
        match self.level {
            Level::Gemeente => Some(self.clone()),
            Level::Wijk | Level::Buurt => {
                RegionCode::parse(&format!("GM{}", &self.code[2..6])).ok()
            }
            _ => None,
        }
    }
}

impl std::str::FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.code
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_prefixes() {
        for (code, level) in [
            ("NL01", Level::Land),
            ("NL00", Level::Land),
            ("PV27", Level::Provincie),
            ("GG3406", Level::Ggd),
            ("GM0363", Level::Gemeente),
            ("WK036300", Level::Wijk),
            ("WK0363AA", Level::Wijk),
            ("BU03630000", Level::Buurt),
            ("BU0363AA01", Level::Buurt),
        ] {
            assert_eq!(RegionCode::parse(code).unwrap().level(), level, "{code}");
        }
    }

    #[test]
    fn statline_padding_is_trimmed() {
        assert_eq!(RegionCode::parse("NL01  ").unwrap().as_str(), "NL01");
    }

    #[test]
    fn malformed_codes_are_rejected_with_the_code_in_the_message() {
        for bad in [
            "", "GM", "GM363", "GM03631", "gm0363", "WK0363", "BU036300", "GMX363", "GM0363 x",
        ] {
            let err = RegionCode::parse(bad).unwrap_err();
            assert!(matches!(err, RegionCodeError::Malformed(_)), "{bad}: {err}");
        }
        let err = RegionCode::parse("CR01").unwrap_err();
        assert!(matches!(err, RegionCodeError::UnsupportedType { .. }));
        assert!(err.to_string().contains("CR01"));
    }

    #[test]
    fn parents_follow_from_codes() {
        let bu = RegionCode::parse("BU0363AA01").unwrap();
        assert_eq!(bu.parent().unwrap().as_str(), "WK0363AA");
        assert_eq!(bu.gemeente().unwrap().as_str(), "GM0363");
        assert_eq!(RegionCode::parse("GM0363").unwrap().parent(), None);
    }

    proptest::proptest! {
        #[test]
        fn any_four_digit_gemeente_code_round_trips(n in 0u32..10000) {
            let s = format!("GM{n:04}");
            let c = RegionCode::parse(&s).unwrap();
            proptest::prop_assert_eq!(c.as_str(), s.as_str());
            proptest::prop_assert_eq!(c.level(), Level::Gemeente);
        }
    }
}
