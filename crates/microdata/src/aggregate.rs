//! Counting persons into the leaf cells of a stacking table: one pass, constant memory per
//! region, mergeable across threads. Pure: readers hand in parsed rows.

use std::collections::HashMap;

use kwm_model::{Level, RegionCode};

use crate::characteristic::CharacteristicSet;
use crate::config::ReadConfig;
use crate::person::{Household, Migration, SesClass, Sex};
use crate::sdc::primary::MagnitudeStats;

/// The region level a table is broken down to (its margins go up to Nederland).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionLevel {
    /// Gemeente.
    Gemeente,
    /// Wijk, with gemeente margins.
    Wijk,
    /// Buurt, with wijk and gemeente margins.
    Buurt,
}

impl RegionLevel {
    /// The model level.
    pub fn level(self) -> Level {
        match self {
            RegionLevel::Gemeente => Level::Gemeente,
            RegionLevel::Wijk => Level::Wijk,
            RegionLevel::Buurt => Level::Buurt,
        }
    }

    fn rank(level: Level) -> Option<u8> {
        match level {
            Level::Gemeente => Some(0),
            Level::Wijk => Some(1),
            Level::Buurt => Some(2),
            _ => None,
        }
    }
}

/// A person attribute a table can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Breakdown {
    /// Age class (configured classes).
    AgeClass,
    /// SES class.
    SesClass,
    /// Sex.
    Sex,
    /// Migration background.
    Migration,
    /// Household type.
    Household,
}

impl Breakdown {
    /// All breakdowns.
    pub const ALL: [Breakdown; 5] = [
        Breakdown::AgeClass,
        Breakdown::SesClass,
        Breakdown::Sex,
        Breakdown::Migration,
        Breakdown::Household,
    ];

    /// The key in `--by` and in output breakdown cells (`age_class=25-44`).
    pub fn key(self) -> &'static str {
        match self {
            Breakdown::AgeClass => "age_class",
            Breakdown::SesClass => "ses_class",
            Breakdown::Sex => "sex",
            Breakdown::Migration => "migration",
            Breakdown::Household => "household",
        }
    }

    /// The category labels.
    pub fn labels(self, cfg: &ReadConfig) -> Vec<String> {
        match self {
            Breakdown::AgeClass => cfg.age_classes.labels(),
            Breakdown::SesClass => SesClass::ALL
                .iter()
                .map(|c| c.label().to_string())
                .collect(),
            Breakdown::Sex => Sex::ALL.iter().map(|c| c.label().to_string()).collect(),
            Breakdown::Migration => Migration::ALL
                .iter()
                .map(|c| c.label().to_string())
                .collect(),
            Breakdown::Household => Household::ALL
                .iter()
                .map(|c| c.label().to_string())
                .collect(),
        }
    }
}

/// Parses `--by gemeente[,age_class][,ses_class]…`: a region level first, then distinct
/// breakdowns.
pub fn parse_by(by: &str) -> Result<(RegionLevel, Vec<Breakdown>), String> {
    let mut parts = by.split(',').map(str::trim);
    let level = match parts.next() {
        Some("gemeente") => RegionLevel::Gemeente,
        Some("wijk") => RegionLevel::Wijk,
        Some("buurt") => RegionLevel::Buurt,
        other => {
            return Err(format!(
                "--by must start with a region level (gemeente, wijk or buurt), found '{}'",
                other.unwrap_or("")
            ))
        }
    };
    let mut bds = Vec::new();
    for p in parts {
        let b = Breakdown::ALL.into_iter().find(|b| b.key() == p).ok_or_else(|| {
            format!("unknown breakdown '{p}' in --by, expected age_class, ses_class, sex, migration or household")
        })?;
        if bds.contains(&b) {
            return Err(format!("breakdown '{p}' appears twice in --by"));
        }
        bds.push(b);
    }
    Ok((level, bds))
}

/// One person as a reader hands it over; fields a table does not need may be `None`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersonRow<'a> {
    /// Region code as found in the file.
    pub region: &'a str,
    /// Reference year.
    pub year: i32,
    /// Age.
    pub age: Option<u32>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Household.
    pub household: Option<Household>,
    /// SES class.
    pub ses: Option<SesClass>,
    /// Migration background.
    pub migration: Option<Migration>,
    /// Risk characteristics present.
    pub characteristics: CharacteristicSet,
    /// The magnitude measure, when a magnitude table is made.
    pub measure: Option<f64>,
}

/// Why a row could not be counted; the reader adds file, line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    /// Short stable reason.
    pub reason: &'static str,
    /// What was expected and found.
    pub message: String,
}

/// The shape of the leaf counts of one region: breakdown categories × combination pattern ×
/// stacking count 0..12.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafLayout {
    /// Breakdowns in table order.
    pub breakdowns: Vec<Breakdown>,
    /// Categories per breakdown.
    pub sizes: Vec<usize>,
    /// Combinations counted.
    pub combinations: Vec<CharacteristicSet>,
}

impl LeafLayout {
    /// Leaf cells per region.
    pub fn inner(&self) -> usize {
        self.sizes.iter().product::<usize>() * (1 << self.combinations.len()) * 13
    }

    /// Breakdown positions of a leaf index (without pattern and count).
    pub fn breakdown_cell(&self, bd: &[usize]) -> usize {
        bd.iter()
            .zip(&self.sizes)
            .fold(0, |acc, (&i, &n)| acc * n + i)
    }
}

/// Counts per (year, region) of persons in every leaf cell, plus magnitude statistics per
/// breakdown cell when a measure is read.
#[derive(Debug, Clone)]
pub struct Counter {
    level: RegionLevel,
    layout: LeafLayout,
    age_classes: crate::config::AgeClasses,
    keys: HashMap<(i32, String), u32>,
    /// (year, region code at the table level) per block.
    pub blocks: Vec<(i32, String)>,
    /// `blocks.len() × layout.inner()` counts.
    pub counts: Vec<u64>,
    /// `blocks.len() × breakdown cells` magnitude statistics (empty without a measure).
    pub magnitudes: Vec<MagnitudeStats>,
    measure_keep: usize,
    with_measure: bool,
    last: Option<(i32, String, u32)>,
    /// Persons counted.
    pub persons: u64,
}

impl Counter {
    /// A counter for tables at `level` with this layout.
    pub fn new(
        level: RegionLevel,
        layout: LeafLayout,
        cfg: &ReadConfig,
        with_measure: bool,
        measure_keep: usize,
    ) -> Counter {
        Counter {
            level,
            layout,
            age_classes: cfg.age_classes.clone(),
            keys: HashMap::new(),
            blocks: Vec::new(),
            counts: Vec::new(),
            magnitudes: Vec::new(),
            measure_keep: measure_keep.max(2),
            with_measure,
            last: None,
            persons: 0,
        }
    }

    /// The leaf layout.
    pub fn layout(&self) -> &LeafLayout {
        &self.layout
    }

    /// The region level.
    pub fn level(&self) -> RegionLevel {
        self.level
    }

    /// The block (year × region at the table level) of a raw region code, creating it on
    /// first sight; the last code is cached because files are usually sorted by region.
    pub fn block(&mut self, year: i32, raw: &str) -> Result<u32, RowIssue> {
        if let Some((y, code, b)) = &self.last {
            if *y == year && code == raw {
                return Ok(*b);
            }
        }
        let code = RegionCode::parse(raw).map_err(|e| RowIssue {
            reason: "invalid region code",
            message: e.to_string(),
        })?;
        let have = RegionLevel::rank(code.level()).ok_or_else(|| RowIssue {
            reason: "region not a buurt, wijk or gemeente",
            message: format!(
                "expected a buurt, wijk or gemeente code, found {} code '{code}'",
                code.level()
            ),
        })?;
        let want = RegionLevel::rank(self.level.level()).unwrap_or(0);
        if have < want {
            return Err(RowIssue {
                reason: "region coarser than the table",
                message: format!(
                    "expected a {} code or finer for a table by {}, found {} code '{code}'",
                    self.level.level(),
                    self.level.level(),
                    code.level()
                ),
            });
        }
        let mut at = code;
        while RegionLevel::rank(at.level()).unwrap_or(0) > want {
            at = at.parent().expect("buurt and wijk codes have parents");
        }
        let key = (year, at.as_str().to_string());
        let block = match self.keys.get(&key) {
            Some(&b) => b,
            None => {
                let b = self.blocks.len() as u32;
                self.keys.insert(key.clone(), b);
                self.blocks.push(key);
                self.counts
                    .resize(self.counts.len() + self.layout.inner(), 0);
                if self.with_measure {
                    let n = self.layout.sizes.iter().product::<usize>();
                    self.magnitudes
                        .extend((0..n).map(|_| MagnitudeStats::empty(self.measure_keep)));
                }
                b
            }
        };
        self.last = Some((year, raw.to_string(), block));
        Ok(block)
    }

    /// Counts one person.
    pub fn add(&mut self, row: &PersonRow) -> Result<(), RowIssue> {
        let block = self.block(row.year, row.region)?;
        let mut bd = 0usize;
        for (b, &n) in self.layout.breakdowns.iter().zip(&self.layout.sizes) {
            let missing = || RowIssue {
                reason: "missing breakdown",
                message: format!("no value for breakdown {}", b.key()),
            };
            let i = match b {
                Breakdown::AgeClass => self.age_classes.class_of(row.age.ok_or_else(missing)?),
                Breakdown::SesClass => row.ses.ok_or_else(missing)? as usize,
                Breakdown::Sex => row.sex.ok_or_else(missing)? as usize,
                Breakdown::Migration => row.migration.ok_or_else(missing)? as usize,
                Breakdown::Household => row.household.ok_or_else(missing)? as usize,
            };
            bd = bd * n + i;
        }
        self.count(block, bd, row.characteristics, row.measure)
    }

    /// Counts one person already resolved to a block (see [`Counter::block`]) and breakdown
    /// cell (categories combined in breakdown order, first most significant).
    pub fn count(
        &mut self,
        block: u32,
        bd: usize,
        set: CharacteristicSet,
        measure: Option<f64>,
    ) -> Result<(), RowIssue> {
        let block = block as usize;
        if self.with_measure && measure.is_none() {
            return Err(RowIssue {
                reason: "missing measure",
                message: "no value for the measure".into(),
            });
        }
        let mut pattern = 0usize;
        for (i, c) in self.layout.combinations.iter().enumerate() {
            if set.contains_all(*c) {
                pattern |= 1 << i;
            }
        }
        let k = set.len() as usize;
        let inner = (bd << self.layout.combinations.len() | pattern) * 13 + k;
        self.counts[block * self.layout.inner() + inner] += 1;
        if let (true, Some(x)) = (self.with_measure, measure) {
            let n = self.layout.sizes.iter().product::<usize>();
            self.magnitudes[block * n + bd].add(x, self.measure_keep);
        }
        self.persons += 1;
        Ok(())
    }

    /// The age classes in use.
    pub fn age_classes(&self) -> &crate::config::AgeClasses {
        &self.age_classes
    }

    /// Adds another counter's counts (same layout).
    pub fn merge(&mut self, other: Counter) {
        assert_eq!(self.layout, other.layout);
        let inner = self.layout.inner();
        let n = self.layout.sizes.iter().product::<usize>();
        for (b, key) in other.blocks.iter().enumerate() {
            let mine = match self.keys.get(key) {
                Some(&m) => m as usize,
                None => {
                    let m = self.blocks.len();
                    self.keys.insert(key.clone(), m as u32);
                    self.blocks.push(key.clone());
                    self.counts.resize(self.counts.len() + inner, 0);
                    if self.with_measure {
                        self.magnitudes
                            .extend((0..n).map(|_| MagnitudeStats::empty(self.measure_keep)));
                    }
                    m
                }
            };
            for i in 0..inner {
                self.counts[mine * inner + i] += other.counts[b * inner + i];
            }
            if self.with_measure {
                for i in 0..n {
                    let s = other.magnitudes[b * n + i].clone();
                    self.magnitudes[mine * n + i].merge(&s, self.measure_keep);
                }
            }
        }
        self.persons += other.persons;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::characteristic::Characteristic;

    fn row<'a>(region: &'a str, age: u32, chars: &[Characteristic]) -> PersonRow<'a> {
        let mut set = CharacteristicSet::EMPTY;
        for c in chars {
            set.insert(*c);
        }
        PersonRow {
            region,
            year: 2024,
            age: Some(age),
            sex: None,
            household: None,
            ses: None,
            migration: None,
            characteristics: set,
            measure: None,
        }
    }

    #[test]
    fn by_parses_a_level_and_distinct_breakdowns() {
        assert_eq!(
            parse_by("wijk,age_class,sex").unwrap(),
            (RegionLevel::Wijk, vec![Breakdown::AgeClass, Breakdown::Sex])
        );
        assert!(parse_by("age_class").unwrap_err().contains("region level"));
        assert!(parse_by("gemeente,age")
            .unwrap_err()
            .contains("unknown breakdown 'age'"));
        assert!(parse_by("gemeente,sex,sex").unwrap_err().contains("twice"));
    }

    #[test]
    fn rows_are_counted_at_the_table_level_and_bad_regions_are_named() {
        let layout = LeafLayout {
            breakdowns: vec![Breakdown::AgeClass],
            sizes: vec![5],
            combinations: vec![],
        };
        let mut c = Counter::new(RegionLevel::Wijk, layout, &ReadConfig::default(), false, 2);
        use Characteristic::*;
        c.add(&row("BU03630001", 30, &[Disability, LowTrust]))
            .unwrap();
        c.add(&row("WK036300", 70, &[])).unwrap();
        c.add(&row("BU03630101", 30, &[Disability])).unwrap();
        assert_eq!(
            c.blocks,
            vec![
                (2024, "WK036300".to_string()),
                (2024, "WK036301".to_string())
            ]
        );
        // WK036300, age class 25-44 (index 2), 2 characteristics.
        assert_eq!(c.counts[2 * 13 + 2], 1);
        assert_eq!(c.counts[4 * 13], 1);
        assert_eq!(c.counts[c.layout.inner() + 2 * 13 + 1], 1);
        let e = c.add(&row("GM0363", 30, &[])).unwrap_err();
        assert_eq!(e.reason, "region coarser than the table");
        assert!(
            e.message.contains("found gemeente code 'GM0363'"),
            "{}",
            e.message
        );
        assert_eq!(
            c.add(&row("XX", 30, &[])).unwrap_err().reason,
            "invalid region code"
        );
    }

    #[test]
    fn merging_adds_counts_of_shared_and_new_regions() {
        let layout = LeafLayout {
            breakdowns: vec![],
            sizes: vec![],
            combinations: vec![],
        };
        let cfg = ReadConfig::default();
        let mut a = Counter::new(RegionLevel::Gemeente, layout.clone(), &cfg, false, 2);
        let mut b = Counter::new(RegionLevel::Gemeente, layout, &cfg, false, 2);
        a.add(&row("GM0363", 1, &[])).unwrap();
        b.add(&row("WK036300", 1, &[])).unwrap();
        b.add(&row("GM0014", 1, &[])).unwrap();
        a.merge(b);
        assert_eq!(a.persons, 3);
        assert_eq!(a.blocks.len(), 2);
        assert_eq!(a.counts[0], 2);
    }
}
