//! How person records are read: column names, classes and the rule behind every risk
//! characteristic. A TOML file a data steward edits; every field has a default.
//!
//! ```toml
//! [columns]
//! region = "buurtcode"          # input column names, when they differ from the defaults
//!
//! [age_classes]
//! lower_bounds = [0, 15, 25, 45, 65]
//!
//! [ses_classes]                 # income decile → SES class
//! low = [1, 3]
//! middle = [4, 7]
//! high = [8, 10]
//!
//! [characteristics.small_financial_buffer]
//! column = "liquid_assets"      # an underlying value instead of a 0/1 column …
//! below = 2500                  # … and the threshold that makes it a risk characteristic
//!
//! [characteristics.age_old_young]
//! column = "age"
//! below = 25                    # several bounds are OR-ed: younger than 25 or 75 and older
//! at_least = 75
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::characteristic::Characteristic;
use crate::person::SesClass;

/// Input column names of the person attributes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Columns {
    /// Pseudonymised person id; read and checked for presence, never written anywhere.
    pub person_id: String,
    /// Region code at buurt, wijk or gemeente level.
    pub region: String,
    /// Reference year.
    pub year: String,
    /// Age in whole years.
    pub age: String,
    /// Sex.
    pub sex: String,
    /// Household type.
    pub household: String,
    /// Income decile 1–10 (used when present; see also `ses_class`).
    pub income_decile: String,
    /// SES class read directly (`low/middle/high`), used when there is no income decile column.
    pub ses_class: String,
    /// Migration background.
    pub migration: String,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            person_id: "person_id".into(),
            region: "region".into(),
            year: "year".into(),
            age: "age".into(),
            sex: "sex".into(),
            household: "household".into(),
            income_decile: "income_decile".into(),
            ses_class: "ses_class".into(),
            migration: "migration".into(),
        }
    }
}

/// Age classes by their lower bounds; the last class is open (`65+`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgeClasses {
    /// Strictly increasing lower bounds, the first one 0.
    pub lower_bounds: Vec<u32>,
}

impl Default for AgeClasses {
    /// The KWB age groups, so the tables line up with the open area statistics.
    fn default() -> Self {
        AgeClasses {
            lower_bounds: vec![0, 15, 25, 45, 65],
        }
    }
}

impl AgeClasses {
    /// Labels `0-14`, `15-24`, …, `65+`.
    pub fn labels(&self) -> Vec<String> {
        let b = &self.lower_bounds;
        (0..b.len())
            .map(|i| match b.get(i + 1) {
                Some(next) => format!("{}-{}", b[i], next - 1),
                None => format!("{}+", b[i]),
            })
            .collect()
    }

    /// The class index of an age.
    pub fn class_of(&self, age: u32) -> usize {
        self.lower_bounds
            .partition_point(|&lb| lb <= age)
            .saturating_sub(1)
    }
}

/// Which income deciles form each SES class.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SesClasses {
    /// Inclusive decile range of the low class.
    pub low: [u8; 2],
    /// Inclusive decile range of the middle class.
    pub middle: [u8; 2],
    /// Inclusive decile range of the high class.
    pub high: [u8; 2],
}

impl Default for SesClasses {
    fn default() -> Self {
        SesClasses {
            low: [1, 3],
            middle: [4, 7],
            high: [8, 10],
        }
    }
}

impl SesClasses {
    /// The class of a decile 1–10.
    pub fn class_of(&self, decile: u8) -> Option<SesClass> {
        let within = |r: [u8; 2]| (r[0]..=r[1]).contains(&decile);
        if within(self.low) {
            Some(SesClass::Low)
        } else if within(self.middle) {
            Some(SesClass::Middle)
        } else if within(self.high) {
            Some(SesClass::High)
        } else {
            None
        }
    }
}

/// How one characteristic is read, as written in the file.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleSpec {
    /// Input column; defaults to the characteristic id.
    pub column: Option<String>,
    /// Present when the value is < this.
    pub below: Option<f64>,
    /// Present when the value is ≤ this.
    pub at_most: Option<f64>,
    /// Present when the value is > this.
    pub above: Option<f64>,
    /// Present when the value is ≥ this.
    pub at_least: Option<f64>,
}

/// How one characteristic is derived from a record.
#[derive(Debug, Clone, PartialEq)]
pub enum CharacteristicRule {
    /// A 0/1 (true/false, ja/nee) column.
    Boolean {
        /// Column name.
        column: String,
    },
    /// A numeric column compared with thresholds; present when *any* bound holds.
    Threshold {
        /// Column name.
        column: String,
        /// `< below`.
        below: Option<f64>,
        /// `≤ at_most`.
        at_most: Option<f64>,
        /// `> above`.
        above: Option<f64>,
        /// `≥ at_least`.
        at_least: Option<f64>,
    },
}

impl CharacteristicRule {
    /// The input column this rule reads.
    pub fn column(&self) -> &str {
        match self {
            CharacteristicRule::Boolean { column }
            | CharacteristicRule::Threshold { column, .. } => column,
        }
    }

    /// Applies a threshold rule to a value (a boolean rule treats non-zero as present).
    pub fn holds(&self, v: f64) -> bool {
        match self {
            CharacteristicRule::Boolean { .. } => v != 0.0,
            CharacteristicRule::Threshold {
                below,
                at_most,
                above,
                at_least,
                ..
            } => {
                below.is_some_and(|b| v < b)
                    || at_most.is_some_and(|b| v <= b)
                    || above.is_some_and(|b| v > b)
                    || at_least.is_some_and(|b| v >= b)
            }
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    columns: Columns,
    age_classes: AgeClasses,
    ses_classes: SesClasses,
    characteristics: BTreeMap<String, RuleSpec>,
}

/// The validated reading configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadConfig {
    /// Input column names.
    pub columns: Columns,
    /// Age classes.
    pub age_classes: AgeClasses,
    /// SES classes.
    pub ses_classes: SesClasses,
    /// One rule per characteristic, in [`Characteristic::ALL`] order.
    pub rules: Vec<CharacteristicRule>,
}

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig::parse("").expect("the empty configuration is valid")
    }
}

impl ReadConfig {
    /// Parses and validates configuration text; the error names the problem (and for TOML
    /// syntax errors the line and column).
    pub fn parse(text: &str) -> Result<ReadConfig, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let b = &file.age_classes.lower_bounds;
        if b.first() != Some(&0) || b.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!(
                "age_classes.lower_bounds must start at 0 and increase strictly, found {b:?}"
            ));
        }
        let s = &file.ses_classes;
        for (name, r) in [("low", s.low), ("middle", s.middle), ("high", s.high)] {
            if r[0] > r[1] || r[0] < 1 || r[1] > 10 {
                return Err(format!(
                    "ses_classes.{name} must be a decile range within 1..10, found {r:?}"
                ));
            }
        }
        for d in 1..=10u8 {
            let n = [s.low, s.middle, s.high]
                .iter()
                .filter(|r| (r[0]..=r[1]).contains(&d))
                .count();
            if n != 1 {
                return Err(format!("ses_classes must put every decile 1..10 in exactly one class; decile {d} is in {n}"));
            }
        }
        let mut specs = file.characteristics;
        let mut rules = Vec::with_capacity(12);
        for c in Characteristic::ALL {
            let spec = specs.remove(c.id()).unwrap_or_default();
            let column = spec.column.clone().unwrap_or_else(|| c.id().to_string());
            let bounds = [spec.below, spec.at_most, spec.above, spec.at_least];
            if bounds.iter().any(|b| b.is_some_and(|v| !v.is_finite())) {
                return Err(format!(
                    "characteristics.{}: thresholds must be finite numbers",
                    c.id()
                ));
            }
            rules.push(if bounds.iter().all(Option::is_none) {
                CharacteristicRule::Boolean { column }
            } else {
                CharacteristicRule::Threshold {
                    column,
                    below: spec.below,
                    at_most: spec.at_most,
                    above: spec.above,
                    at_least: spec.at_least,
                }
            });
        }
        if let Some(unknown) = specs.keys().next() {
            return Err(Characteristic::parse(unknown).err().unwrap_or_default());
        }
        Ok(ReadConfig {
            columns: file.columns,
            age_classes: file.age_classes,
            ses_classes: file.ses_classes,
            rules,
        })
    }

    /// The rule of one characteristic.
    pub fn rule(&self, c: Characteristic) -> &CharacteristicRule {
        &self.rules[c.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_boolean_columns_named_by_id() {
        let c = ReadConfig::default();
        assert_eq!(
            c.rule(Characteristic::LowTrust),
            &CharacteristicRule::Boolean {
                column: "low_trust".into()
            }
        );
        assert_eq!(
            c.age_classes.labels(),
            ["0-14", "15-24", "25-44", "45-64", "65+"]
        );
        assert_eq!(c.age_classes.class_of(0), 0);
        assert_eq!(c.age_classes.class_of(14), 0);
        assert_eq!(c.age_classes.class_of(15), 1);
        assert_eq!(c.age_classes.class_of(103), 4);
        assert_eq!(c.ses_classes.class_of(3), Some(SesClass::Low));
        assert_eq!(c.ses_classes.class_of(8), Some(SesClass::High));
        assert_eq!(c.ses_classes.class_of(11), None);
    }

    #[test]
    fn threshold_rules_or_their_bounds() {
        let c = ReadConfig::parse(
            "[characteristics.age_old_young]\ncolumn = \"age\"\nbelow = 25\nat_least = 75\n",
        )
        .unwrap();
        let r = c.rule(Characteristic::AgeOldYoung);
        assert_eq!(r.column(), "age");
        assert!(r.holds(24.0) && !r.holds(25.0) && !r.holds(74.0) && r.holds(75.0));
    }

    #[test]
    fn bad_configurations_say_what_is_wrong() {
        assert!(
            ReadConfig::parse("[age_classes]\nlower_bounds = [0, 20, 20]")
                .unwrap_err()
                .contains("increase strictly")
        );
        assert!(ReadConfig::parse("[ses_classes]\nlow = [1, 4]")
            .unwrap_err()
            .contains("decile 4"));
        assert!(ReadConfig::parse("[characteristics.wealth]\nbelow = 3")
            .unwrap_err()
            .contains("unknown risk characteristic 'wealth'"));
        assert!(ReadConfig::parse("[characteristics.low_trust]\nbellow = 3")
            .unwrap_err()
            .contains("bellow"));
    }
}
