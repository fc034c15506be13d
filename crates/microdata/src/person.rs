//! The attributes of a person record that tables can be broken down by.
//!
//! Each type parses the codes found in real files (CBS codes, Dutch and English words) and has
//! one stable label used in output breakdowns (`sex=female`). [`PersonBatch`] holds persons in
//! columns, as the generator makes them and the person-file writers write them.

use std::fmt;

use crate::characteristic::CharacteristicSet;

/// Sex as registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    /// Man (CBS code 1).
    Male,
    /// Woman (CBS code 2).
    Female,
}

impl Sex {
    /// All values in output order.
    pub const ALL: [Sex; 2] = [Sex::Male, Sex::Female];

    /// Output label.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Parses `male/female`, `m/v/f`, `man/vrouw` or CBS codes `1/2` (case-insensitive).
    pub fn parse(s: &str) -> Option<Sex> {
        let s = s.trim();
        if any_of(s, &["male", "m", "man", "1"]) {
            Some(Sex::Male)
        } else if any_of(s, &["female", "f", "v", "vrouw", "2"]) {
            Some(Sex::Female)
        } else {
            None
        }
    }
}

/// The household a person lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Household {
    /// One-person household.
    Single,
    /// Couple (or other multi-person household) without children.
    Couple,
    /// Two-parent household with children.
    CoupleWithChildren,
    /// Single-parent household.
    SingleParent,
    /// Other, including institutional households.
    Other,
}

impl Household {
    /// All values in output order.
    pub const ALL: [Household; 5] = [
        Household::Single,
        Household::Couple,
        Household::CoupleWithChildren,
        Household::SingleParent,
        Household::Other,
    ];

    /// Output label.
    pub fn label(self) -> &'static str {
        match self {
            Household::Single => "single",
            Household::Couple => "couple",
            Household::CoupleWithChildren => "couple_with_children",
            Household::SingleParent => "single_parent",
            Household::Other => "other",
        }
    }

    /// Parses the labels above and common Dutch names.
    pub fn parse(s: &str) -> Option<Household> {
        let s = s.trim();
        let table: [(&[&str], Household); 5] = [
            (
                &["single", "eenpersoons", "alleenstaand"],
                Household::Single,
            ),
            (
                &["couple", "paar", "paar_zonder_kinderen"],
                Household::Couple,
            ),
            (
                &["couple_with_children", "paar_met_kinderen"],
                Household::CoupleWithChildren,
            ),
            (
                &["single_parent", "eenouder", "eenoudergezin"],
                Household::SingleParent,
            ),
            (
                &["other", "overig", "institutional", "institutioneel"],
                Household::Other,
            ),
        ];
        table
            .into_iter()
            .find(|(names, _)| any_of(s, names))
            .map(|(_, h)| h)
    }
}

/// Migration background, in CBS's classification by origin (*herkomst*) since 2022.
/// A breakdown for inclusive monitoring, never a risk characteristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Migration {
    /// Dutch origin.
    Dutch,
    /// European origin (excluding the Netherlands).
    Europe,
    /// Origin outside Europe.
    OutsideEurope,
}

impl Migration {
    /// All values in output order.
    pub const ALL: [Migration; 3] = [
        Migration::Dutch,
        Migration::Europe,
        Migration::OutsideEurope,
    ];

    /// Output label.
    pub fn label(self) -> &'static str {
        match self {
            Migration::Dutch => "dutch",
            Migration::Europe => "europe",
            Migration::OutsideEurope => "outside_europe",
        }
    }

    /// Parses the labels above and Dutch names (`nederland`, `europa`, `buiten_europa`).
    pub fn parse(s: &str) -> Option<Migration> {
        let s = s.trim();
        if any_of(s, &["dutch", "nl", "nederland", "nederlands"]) {
            Some(Migration::Dutch)
        } else if any_of(s, &["europe", "europa"]) {
            Some(Migration::Europe)
        } else if any_of(s, &["outside_europe", "buiten_europa", "buiten-europa"]) {
            Some(Migration::OutsideEurope)
        } else {
            None
        }
    }
}

/// Socio-economic status class, derived from the income decile or read directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SesClass {
    /// Low SES.
    Low,
    /// Middle SES.
    Middle,
    /// High SES.
    High,
}

impl SesClass {
    /// All values in output order.
    pub const ALL: [SesClass; 3] = [SesClass::Low, SesClass::Middle, SesClass::High];

    /// Output label.
    pub fn label(self) -> &'static str {
        match self {
            SesClass::Low => "low",
            SesClass::Middle => "middle",
            SesClass::High => "high",
        }
    }

    /// Parses `low/middle/high` or Dutch `laag/midden/hoog`.
    pub fn parse(s: &str) -> Option<SesClass> {
        let s = s.trim();
        if any_of(s, &["low", "laag"]) {
            Some(SesClass::Low)
        } else if any_of(s, &["middle", "midden"]) {
            Some(SesClass::Middle)
        } else if any_of(s, &["high", "hoog"]) {
            Some(SesClass::High)
        } else {
            None
        }
    }
}

impl fmt::Display for SesClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Parses a boolean cell: `1/0`, `true/false`, `ja/nee`, `yes/no`, `j/n`, `y/n`, `t/f`.
pub fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if any_of(s, &["1", "true", "ja", "yes", "j", "y", "t"]) {
        Some(true)
    } else if any_of(s, &["0", "false", "nee", "no", "n", "f"]) {
        Some(false)
    } else {
        None
    }
}

/// Case-insensitive membership without allocating: these parsers run once per row of
/// national files.
fn any_of(s: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(s))
}

/// A batch of persons in columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonBatch {
    /// Reference year of all persons.
    pub year: i32,
    /// Pseudonymous ids (a keyed hash of the person number; no meaning).
    pub person_id: Vec<i64>,
    /// Index into the region code list.
    pub region: Vec<u32>,
    /// Age.
    pub age: Vec<u8>,
    /// Sex.
    pub sex: Vec<Sex>,
    /// Household.
    pub household: Vec<Household>,
    /// Income decile 1..=10.
    pub income_decile: Vec<u8>,
    /// Migration background.
    pub migration: Vec<Migration>,
    /// Standardised disposable household income (euros).
    pub income: Vec<f64>,
    /// Risk characteristics.
    pub characteristics: Vec<CharacteristicSet>,
}

impl PersonBatch {
    /// Number of persons.
    pub fn len(&self) -> usize {
        self.person_id.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.person_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_back() {
        for s in Sex::ALL {
            assert_eq!(Sex::parse(s.label()), Some(s));
        }
        for h in Household::ALL {
            assert_eq!(Household::parse(h.label()), Some(h));
        }
        for m in Migration::ALL {
            assert_eq!(Migration::parse(m.label()), Some(m));
        }
        for c in SesClass::ALL {
            assert_eq!(SesClass::parse(c.label()), Some(c));
        }
        assert_eq!(Sex::parse("V"), Some(Sex::Female));
        assert_eq!(Sex::parse("x"), None);
        assert_eq!(parse_bool(" Ja "), Some(true));
        assert_eq!(parse_bool("2"), None);
    }
}
