//! Disclosure-control profiles: named, versionable TOML files. The built-in ones are the files
//! in `crates/microdata/profiles/`, compiled in.

use serde::Deserialize;

/// Primary suppression of counts by minimum frequency.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyRule {
    /// Counts `1..min_count` are sensitive.
    pub min_count: u32,
    /// Treat zero counts as sensitive too.
    pub protect_zeros: bool,
    /// Suppress sensitive counts (true) or rely on rounding, verified by the attacker check.
    pub suppress: bool,
}

/// How much uncertainty a sensitive count must keep.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectionRule {
    /// Minimum width of the attacker's interval for a sensitive count.
    pub min_width: f64,
}

/// Rules for magnitude tables (means of a measure).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagnitudeRules {
    /// Fewer observations make a cell sensitive.
    pub min_observations: u32,
    /// n of the (n,k) dominance rule; 0 = off.
    pub dominance_n: u32,
    /// k (percent) of the (n,k) dominance rule.
    pub dominance_k: f64,
    /// p of the p% rule; 0 = off.
    pub p_percent: f64,
    /// Largest allowed |min| or |max| as a share of |sum|; 0 = off.
    pub max_extreme_share: f64,
    /// Required uncertainty, as a share of the cell's sum, for cells sensitive only by count.
    pub protection_share: f64,
}

/// Rounding of published counts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundingRule {
    /// Rounding base; 0 = none.
    pub base: u32,
}

/// When percentages are written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PercentageRule {
    /// Minimum denominator (true count) for a percentage.
    pub min_denominator: u32,
}

/// Limits of the attacker check.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttackerLimits {
    /// Largest neighbourhood (cells) of one LP.
    pub lp_max_cells: usize,
}

/// Where the detailed stacking counts `top … 12` are published besides the top-coded `top+`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackDetail {
    /// Nowhere: the published stacking dimension is `0 … top−1, top+`.
    Never,
    /// Only for Nederland and gemeenten without any breakdown (the large cells).
    GemeenteTotals,
    /// In every cell of the table.
    All,
}

impl StackDetail {
    /// The name used in profiles and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            StackDetail::Never => "never",
            StackDetail::GemeenteTotals => "gemeente_totals",
            StackDetail::All => "all",
        }
    }

    /// Parses a name as used in profiles and on the command line.
    pub fn parse(s: &str) -> Result<StackDetail, String> {
        match s {
            "never" => Ok(StackDetail::Never),
            "gemeente_totals" => Ok(StackDetail::GemeenteTotals),
            "all" => Ok(StackDetail::All),
            _ => Err(format!(
                "stacking detail must be never, gemeente_totals or all, found '{s}'"
            )),
        }
    }
}

/// Top-coding of the stacking count: what the published stacking dimension is.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackingRule {
    /// Counts `0 … top−1` are published as they are, `top` and more together as `top+`
    /// (`3`: 0, 1, 2, 3+). 1..=12.
    pub top: u8,
    /// Where the counts `top … 12` are published as well.
    pub detail: StackDetail,
}

/// A complete disclosure-control profile.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name, written in every report.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Frequency rule.
    pub frequency: FrequencyRule,
    /// Protection width.
    pub protection: ProtectionRule,
    /// Magnitude rules.
    pub magnitude: MagnitudeRules,
    /// Rounding.
    pub rounding: RoundingRule,
    /// Percentages.
    pub percentages: PercentageRule,
    /// Attacker limits.
    pub attacker: AttackerLimits,
    /// Top-coding of the stacking count.
    pub stacking: StackingRule,
}

/// The text of the built-in `default` profile.
pub const DEFAULT_PROFILE: &str = include_str!("../../profiles/default.toml");
/// The text of the built-in `cbs-income` profile.
pub const CBS_INCOME_PROFILE: &str = include_str!("../../profiles/cbs-income.toml");

impl Default for Profile {
    fn default() -> Self {
        Profile::parse(DEFAULT_PROFILE).expect("the built-in default profile is valid")
    }
}

impl Profile {
    /// The names of the built-in profiles.
    pub const BUILT_IN: [&'static str; 2] = ["default", "cbs-income"];

    /// A built-in profile by name.
    pub fn built_in(name: &str) -> Option<Profile> {
        match name {
            "default" => Some(Profile::default()),
            "cbs-income" => Some(
                Profile::parse(CBS_INCOME_PROFILE)
                    .expect("the built-in cbs-income profile is valid"),
            ),
            _ => None,
        }
    }

    /// Parses a profile file. Keys left out take the value of the `default` profile, so a
    /// file only has to say what it changes.
    pub fn parse(text: &str) -> Result<Profile, String> {
        let mut base: toml::Table = toml::from_str(DEFAULT_PROFILE).map_err(|e| e.to_string())?;
        let over: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        for (k, v) in over {
            match (base.get_mut(&k), v) {
                (Some(toml::Value::Table(b)), toml::Value::Table(o)) => b.extend(o),
                (_, v) => {
                    base.insert(k, v);
                }
            }
        }
        let p: Profile = toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| e.to_string())?;
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<(), String> {
        let m = &self.magnitude;
        if !(self.protection.min_width >= 0.0 && self.protection.min_width.is_finite()) {
            return Err("protection.min_width must be a finite number ≥ 0".into());
        }
        if m.dominance_n > 0 && !(0.0 < m.dominance_k && m.dominance_k <= 100.0) {
            return Err("magnitude.dominance_k must be in (0, 100] when dominance_n > 0".into());
        }
        if !(0.0..=100.0).contains(&m.p_percent) || !(0.0..=1.0).contains(&m.max_extreme_share) {
            return Err(
                "magnitude.p_percent must be in [0, 100] and max_extreme_share in [0, 1]".into(),
            );
        }
        if !self.frequency.suppress && self.rounding.base == 0 && self.frequency.min_count > 1 {
            return Err("frequency.suppress = false needs rounding.base > 0: otherwise small counts would be published as they are".into());
        }
        if !(1..=12).contains(&self.stacking.top) {
            return Err(format!(
                "stacking.top must be 1..=12 (3: publish 0, 1, 2 and 3+), found {}",
                self.stacking.top
            ));
        }
        if self.attacker.lp_max_cells < 16 {
            return Err("attacker.lp_max_cells must be at least 16".into());
        }
        Ok(())
    }

    /// The profile with another top-coding of the stacking count, validated like a file.
    pub fn with_stacking(mut self, top: u8, detail: StackDetail) -> Result<Profile, String> {
        self.stacking = StackingRule { top, detail };
        self.validate()?;
        Ok(self)
    }

    /// A one-line description of the published stacking dimension, for reports.
    pub fn stacking_description(&self) -> String {
        let t = self.stacking.top;
        let lower: Vec<String> = (0..t).map(|k| k.to_string()).collect();
        let detail = match self.stacking.detail {
            StackDetail::Never => "no detail above it".to_string(),
            StackDetail::GemeenteTotals => {
                format!("{t} … 12 also for Nederland and gemeenten without breakdown")
            }
            StackDetail::All => format!("{t} … 12 also in every cell"),
        };
        format!("{}, {t}+ ({detail})", lower.join(", "))
    }

    /// Rounds a count for publication (half up to a multiple of the base).
    pub fn round(&self, x: f64) -> f64 {
        round_half_up(x, self.rounding.base)
    }
}

/// Rounds `x ≥ 0` half up to a multiple of `base` (base 0 or 1: unchanged).
pub fn round_half_up(x: f64, base: u32) -> f64 {
    if base <= 1 {
        return x;
    }
    let b = base as f64;
    ((x + b / 2.0) / b).floor() * b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_parse() {
        let d = Profile::default();
        assert_eq!(
            (d.frequency.min_count, d.rounding.base, d.frequency.suppress),
            (10, 0, true)
        );
        let c = Profile::built_in("cbs-income").unwrap();
        assert_eq!(
            (
                c.rounding.base,
                c.percentages.min_denominator,
                c.magnitude.min_observations
            ),
            (100, 100, 100)
        );
        assert!(!c.frequency.suppress);
        assert_eq!(c.magnitude.max_extreme_share, 0.30);
        // Both publish the stacking count top-coded at 3+ and nothing finer.
        for p in [&d, &c] {
            assert_eq!((p.stacking.top, p.stacking.detail), (3, StackDetail::Never));
        }
        assert_eq!(d.stacking_description(), "0, 1, 2, 3+ (no detail above it)");
    }

    #[test]
    fn stacking_top_and_detail_are_checked() {
        let p = Profile::parse("[stacking]\ndetail = \"gemeente_totals\"\n").unwrap();
        assert_eq!(
            (p.stacking.top, p.stacking.detail),
            (3, StackDetail::GemeenteTotals)
        );
        assert!(Profile::parse("[stacking]\ntop = 0\n")
            .unwrap_err()
            .contains("stacking.top"));
        assert!(Profile::parse("[stacking]\ntop = 13\n")
            .unwrap_err()
            .contains("stacking.top"));
        assert!(Profile::parse("[stacking]\ndetail = \"some\"\n").is_err());
        assert_eq!(StackDetail::parse("all"), Ok(StackDetail::All));
        assert!(StackDetail::parse("everything").is_err());
    }

    #[test]
    fn a_partial_file_overrides_only_what_it_names() {
        let p = Profile::parse("name = \"strict\"\n[frequency]\nmin_count = 20\n").unwrap();
        assert_eq!(p.frequency.min_count, 20);
        assert!(p.frequency.suppress);
        assert_eq!(p.protection.min_width, 10.0);
        assert!(Profile::parse("[frequency]\nmin_cout = 20\n")
            .unwrap_err()
            .contains("min_cout"));
        assert!(Profile::parse("[frequency]\nsuppress = false\n")
            .unwrap_err()
            .contains("rounding.base"));
    }

    #[test]
    fn cbs_rounding_of_counts_to_hundreds() {
        // CBS: 0–49 → 0, 50–149 → 100.
        for (x, r) in [
            (0.0, 0.0),
            (49.0, 0.0),
            (50.0, 100.0),
            (149.0, 100.0),
            (150.0, 200.0),
        ] {
            assert_eq!(round_half_up(x, 100), r, "{x}");
        }
        assert_eq!(round_half_up(7.0, 5), 5.0);
        assert_eq!(round_half_up(8.0, 5), 10.0);
        assert_eq!(round_half_up(8.0, 0), 8.0);
    }
}
