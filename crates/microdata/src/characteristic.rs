//! The twelve risk characteristics and sets of them.

use std::fmt;

/// One of the twelve risk characteristics that predict vulnerability (TNO, in the cross-ministry
/// report on vulnerable groups). Migration background is deliberately *not* one of them: it is a
/// breakdown for inclusive monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Characteristic {
    /// Flexible employment (temporary contract, on-call, self-employed without staff).
    FlexibleEmployment,
    /// Works in a vulnerable labour-market sector.
    VulnerableSector,
    /// Small financial buffer.
    SmallFinancialBuffer,
    /// Disability.
    Disability,
    /// Vulnerable health.
    VulnerableHealth,
    /// Psychological problems.
    PsychologicalProblems,
    /// Low parental education.
    LowParentalEducation,
    /// Low social capital.
    LowSocialCapital,
    /// Family situation (e.g. single parent, divorce).
    FamilySituation,
    /// Low language or digital skills.
    LowLanguageDigitalSkills,
    /// Age at the vulnerable ends: old or young.
    AgeOldYoung,
    /// Low trust in society.
    LowTrust,
}

impl Characteristic {
    /// All twelve, in a fixed order; the bit of a characteristic in a [`CharacteristicSet`] is
    /// its position here.
    pub const ALL: [Characteristic; 12] = [
        Characteristic::FlexibleEmployment,
        Characteristic::VulnerableSector,
        Characteristic::SmallFinancialBuffer,
        Characteristic::Disability,
        Characteristic::VulnerableHealth,
        Characteristic::PsychologicalProblems,
        Characteristic::LowParentalEducation,
        Characteristic::LowSocialCapital,
        Characteristic::FamilySituation,
        Characteristic::LowLanguageDigitalSkills,
        Characteristic::AgeOldYoung,
        Characteristic::LowTrust,
    ];

    /// The stable identifier, also the default input column name.
    pub fn id(self) -> &'static str {
        match self {
            Characteristic::FlexibleEmployment => "flexible_employment",
            Characteristic::VulnerableSector => "vulnerable_sector",
            Characteristic::SmallFinancialBuffer => "small_financial_buffer",
            Characteristic::Disability => "disability",
            Characteristic::VulnerableHealth => "vulnerable_health",
            Characteristic::PsychologicalProblems => "psychological_problems",
            Characteristic::LowParentalEducation => "low_parental_education",
            Characteristic::LowSocialCapital => "low_social_capital",
            Characteristic::FamilySituation => "family_situation",
            Characteristic::LowLanguageDigitalSkills => "low_language_digital_skills",
            Characteristic::AgeOldYoung => "age_old_young",
            Characteristic::LowTrust => "low_trust",
        }
    }

    /// A short code used in indicator ids of combinations (`mds_combo_buffer_psych`), which
    /// must stay within 64 characters.
    pub fn short(self) -> &'static str {
        match self {
            Characteristic::FlexibleEmployment => "flex",
            Characteristic::VulnerableSector => "sector",
            Characteristic::SmallFinancialBuffer => "buffer",
            Characteristic::Disability => "disab",
            Characteristic::VulnerableHealth => "health",
            Characteristic::PsychologicalProblems => "psych",
            Characteristic::LowParentalEducation => "paredu",
            Characteristic::LowSocialCapital => "soccap",
            Characteristic::FamilySituation => "family",
            Characteristic::LowLanguageDigitalSkills => "skills",
            Characteristic::AgeOldYoung => "age",
            Characteristic::LowTrust => "trust",
        }
    }

    /// Position in [`Characteristic::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parses an id or a short code.
    pub fn parse(s: &str) -> Result<Characteristic, String> {
        let s = s.trim();
        Characteristic::ALL
            .into_iter()
            .find(|c| c.id() == s || c.short() == s)
            .ok_or_else(|| {
                let ids: Vec<&str> = Characteristic::ALL.iter().map(|c| c.id()).collect();
                format!(
                    "unknown risk characteristic '{s}', expected one of {}",
                    ids.join(", ")
                )
            })
    }
}

impl fmt::Display for Characteristic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A set of risk characteristics as a 12-bit mask; the stacking count of a person is its
/// [`len`](CharacteristicSet::len).
///
/// ```
/// use kwm_microdata::{Characteristic, CharacteristicSet};
/// let mut s = CharacteristicSet::EMPTY;
/// s.insert(Characteristic::Disability);
/// s.insert(Characteristic::LowTrust);
/// assert_eq!(s.len(), 2);
/// assert!(s.contains(Characteristic::LowTrust));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct CharacteristicSet(u16);

impl CharacteristicSet {
    /// No characteristic.
    pub const EMPTY: CharacteristicSet = CharacteristicSet(0);

    /// The set with exactly these bits (bit i = `Characteristic::ALL[i]`); higher bits are dropped.
    pub fn from_bits(bits: u16) -> CharacteristicSet {
        CharacteristicSet(bits & 0x0FFF)
    }

    /// The bit mask.
    pub fn bits(self) -> u16 {
        self.0
    }

    /// Adds a characteristic.
    pub fn insert(&mut self, c: Characteristic) {
        self.0 |= 1 << c.index();
    }

    /// Whether `c` is in the set.
    pub fn contains(self, c: Characteristic) -> bool {
        self.0 & (1 << c.index()) != 0
    }

    /// Whether every characteristic of `other` is in this set.
    pub fn contains_all(self, other: CharacteristicSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// Number of characteristics: the stacking count.
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// True for the empty set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The characteristics in the set, in [`Characteristic::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Characteristic> {
        Characteristic::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

/// A combination of characteristics whose co-occurrence is counted (`buffer+psych`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Combination {
    /// The characteristics that must all be present.
    pub set: CharacteristicSet,
}

impl Combination {
    /// Parses `a+b[+c…]` of ids or short codes; at least two distinct characteristics.
    pub fn parse(s: &str) -> Result<Combination, String> {
        let mut set = CharacteristicSet::EMPTY;
        for part in s.split('+') {
            let c = Characteristic::parse(part)?;
            if set.contains(c) {
                return Err(format!("combination '{s}' names '{c}' twice"));
            }
            set.insert(c);
        }
        if set.len() < 2 {
            return Err(format!(
                "a combination needs at least two characteristics joined by '+', found '{s}'"
            ));
        }
        Ok(Combination { set })
    }

    /// The indicator suffix of this combination's count: `combo_` + short codes joined by `_`
    /// (`combo_buffer_psych`). Indicator ids are limited to 64 characters, so a combination
    /// whose readable suffix would pass 48 characters is named by its bit mask instead
    /// (`combo_set0fff`).
    pub fn indicator_suffix(&self) -> String {
        let parts: Vec<&str> = self.set.iter().map(|c| c.short()).collect();
        let readable = format!("combo_{}", parts.join("_"));
        if readable.len() <= 48 {
            readable
        } else {
            format!("combo_set{:03x}", self.set.bits())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_short_codes_parse_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Characteristic::ALL {
            assert_eq!(Characteristic::parse(c.id()).unwrap(), c);
            assert_eq!(Characteristic::parse(c.short()).unwrap(), c);
            assert!(seen.insert(c.id()) && seen.insert(c.short()));
        }
        assert!(Characteristic::parse("migration")
            .unwrap_err()
            .contains("expected one of"));
    }

    #[test]
    fn combinations_need_two_distinct_characteristics() {
        let c = Combination::parse("psych+small_financial_buffer").unwrap();
        assert_eq!(c.indicator_suffix(), "combo_buffer_psych");
        assert!(Combination::parse("psych").is_err());
        assert!(Combination::parse("psych+psychological_problems")
            .unwrap_err()
            .contains("twice"));
        let all = Characteristic::ALL.map(|c| c.short()).join("+");
        // The longest possible combination still gives a valid indicator id.
        let id = format!(
            "synthetic_mds_{}",
            Combination::parse(&all).unwrap().indicator_suffix()
        );
        assert_eq!(id, "synthetic_mds_combo_setfff");
    }
}
