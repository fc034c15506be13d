//! Person files in: CSV (any delimiter `,`/`;`, `#` comment lines) and Parquet (low-level
//! column API, row groups read in parallel). Both turn every row into a [`PersonRow`] through
//! one plan of columns, so the checks and messages are the same for both; a bad row is reported as
//! `FILE:LINE:COLUMN` (Parquet: LINE = row number) and dropped only within `--max-errors`.

mod csv_format;
#[cfg(feature = "parquet")]
mod parquet_format;

use std::path::Path;
use std::time::Duration;

use kwm_model::Period;

use crate::aggregate::{Breakdown, Counter, PersonRow};
use crate::characteristic::CharacteristicSet;
use crate::config::{CharacteristicRule, ReadConfig};
use crate::error::{DropLog, ErrorPolicy, MicrodataError};
use crate::person::{parse_bool, Household, Migration, SesClass, Sex};
use crate::stack::StackSpec;

/// The marker a synthetic file carries (CSV comment line, Parquet key-value metadata).
pub const SYNTHETIC_MARKER: &str = "SYNTHETIC";
/// Parquet key-value metadata key for the marker.
pub const SYNTHETIC_KEY: &str = "kwm.synthetic";

/// What reading one file did.
#[derive(Debug, Clone, Default)]
pub struct ReadSummary {
    /// The file as named.
    pub file: String,
    /// `csv` or `parquet`.
    pub format: &'static str,
    /// Rows read (counted + dropped).
    pub rows: u64,
    /// Dropped rows by reason.
    pub drops: DropLog,
    /// Whether the file says it is synthetic.
    pub synthetic: bool,
    /// Wall time of reading and counting.
    pub time: Duration,
}

/// One field of one row, whatever the file type.
// Typed variants come from Parquet; a CSV-only build has text only.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Field<'a> {
    Missing,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
}

impl Field<'_> {
    fn describe(&self) -> String {
        match self {
            Field::Missing => "an empty cell".into(),
            Field::Bool(b) => format!("'{b}'"),
            Field::Int(i) => format!("'{i}'"),
            Field::Float(f) => format!("'{f}'"),
            Field::Text(s) => format!("'{}'", s.trim()),
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match *self {
            Field::Int(i) => Some(i),
            Field::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(f as i64),
            Field::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match *self {
            Field::Int(i) => Some(i as f64),
            Field::Float(f) => Some(f),
            Field::Text(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|v| v.is_finite())
    }

    fn as_bool(&self) -> Option<bool> {
        match *self {
            Field::Bool(b) => Some(b),
            Field::Int(0) => Some(false),
            Field::Int(1) => Some(true),
            Field::Float(f) if f == 0.0 || f == 1.0 => Some(f == 1.0),
            Field::Text(s) => parse_bool(s),
            _ => None,
        }
    }

    /// Categorical parse from text or an integer code.
    fn category<T>(&self, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        match *self {
            Field::Text(s) => parse(s),
            Field::Int(i) => parse(&i.to_string()),
            _ => None,
        }
    }
}

/// A whole column of a batch, for column-wise evaluation.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
pub(crate) enum ColumnValues<'a> {
    Bool(&'a [bool]),
    I32(&'a [i32]),
    F64(&'a [f64]),
}

/// A problem with one field; the reader adds file and position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    /// Index into [`Plan::columns`].
    pub column: usize,
    pub reason: &'static str,
    pub message: String,
}

/// Which input columns a run reads and what each means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// Distinct input column names, in the order fields are handed to [`Plan::row`].
    pub columns: Vec<String>,
    pub person_id: usize,
    pub region: usize,
    pub year: usize,
    pub age: Option<usize>,
    pub sex: Option<usize>,
    pub household: Option<usize>,
    pub migration: Option<usize>,
    pub ses: Option<(usize, bool)>,
    pub rules: Vec<(usize, CharacteristicRule)>,
    pub measure: Option<usize>,
    pub ses_classes: crate::config::SesClasses,
}

impl Plan {
    /// The columns a spec needs. `has_column` tells which names the file has (to choose
    /// between income decile and SES class).
    pub fn new(cfg: &ReadConfig, spec: &StackSpec, has_column: impl Fn(&str) -> bool) -> Plan {
        let mut columns: Vec<String> = Vec::new();
        let mut idx = |name: &str| -> usize {
            match columns.iter().position(|c| c.eq_ignore_ascii_case(name)) {
                Some(i) => i,
                None => {
                    columns.push(name.to_string());
                    columns.len() - 1
                }
            }
        };
        let c = &cfg.columns;
        let needs = |b: Breakdown| spec.breakdowns.contains(&b);
        let person_id = idx(&c.person_id);
        let region = idx(&c.region);
        let year = idx(&c.year);
        let age = needs(Breakdown::AgeClass).then(|| idx(&c.age));
        let sex = needs(Breakdown::Sex).then(|| idx(&c.sex));
        let household = needs(Breakdown::Household).then(|| idx(&c.household));
        let migration = needs(Breakdown::Migration).then(|| idx(&c.migration));
        let ses = needs(Breakdown::SesClass).then(|| {
            if has_column(&c.income_decile) || !has_column(&c.ses_class) {
                (idx(&c.income_decile), true)
            } else {
                (idx(&c.ses_class), false)
            }
        });
        let rules = cfg
            .rules
            .iter()
            .map(|r| (idx(r.column()), r.clone()))
            .collect();
        let measure = spec.measure.as_deref().map(&mut idx);
        Plan {
            columns,
            person_id,
            region,
            year,
            age,
            sex,
            household,
            migration,
            ses,
            rules,
            measure,
            ses_classes: cfg.ses_classes.clone(),
        }
    }

    /// The characteristic bits of a batch computed column by column, when every rule column
    /// is a required boolean or number column (the common case, and 12 of the ~17 fields of a
    /// row); `None` otherwise, and rows then evaluate the rules one by one.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub fn masks<'a>(
        &self,
        n: usize,
        column: impl Fn(usize) -> Option<ColumnValues<'a>>,
    ) -> Option<Vec<u16>> {
        let mut masks = vec![0u16; n];
        for (i, (c, rule)) in self.rules.iter().enumerate() {
            let bit = 1u16 << i;
            match (column(*c)?, rule) {
                (ColumnValues::Bool(v), CharacteristicRule::Boolean { .. }) => {
                    for (m, &x) in masks.iter_mut().zip(v) {
                        *m |= bit * x as u16;
                    }
                }
                (ColumnValues::I32(v), CharacteristicRule::Threshold { .. }) => {
                    for (m, &x) in masks.iter_mut().zip(v) {
                        *m |= bit * rule.holds(x as f64) as u16;
                    }
                }
                (ColumnValues::F64(v), CharacteristicRule::Threshold { .. }) => {
                    if v.iter().any(|x| !x.is_finite()) {
                        return None;
                    }
                    for (m, &x) in masks.iter_mut().zip(v) {
                        *m |= bit * rule.holds(x) as u16;
                    }
                }
                _ => return None,
            }
        }
        Some(masks)
    }

    /// Builds a person from the fields of one row (`mask`: its characteristics, when already
    /// computed by [`Plan::masks`]).
    pub fn row_masked<'a>(
        &self,
        get: impl Fn(usize) -> Field<'a>,
        mask: Option<u16>,
    ) -> Result<PersonRow<'a>, FieldError> {
        let mut row = self.row_base(&get)?;
        match mask {
            Some(m) => row.characteristics = CharacteristicSet::from_bits(m),
            None => row.characteristics = self.characteristics(&get)?,
        }
        Ok(row)
    }

    /// Builds a person from the fields of one row.
    pub fn row<'a>(&self, get: impl Fn(usize) -> Field<'a>) -> Result<PersonRow<'a>, FieldError> {
        self.row_masked(get, None)
    }

    fn characteristics<'a>(
        &self,
        get: &impl Fn(usize) -> Field<'a>,
    ) -> Result<CharacteristicSet, FieldError> {
        let err = |column: usize, reason: &'static str, message: String| FieldError {
            column,
            reason,
            message,
        };
        let mut characteristics = CharacteristicSet::EMPTY;
        for (i, (c, rule)) in self.rules.iter().enumerate() {
            let f = get(*c);
            let present = match rule {
                CharacteristicRule::Boolean { .. } => f.as_bool().ok_or_else(|| {
                    err(
                        *c,
                        "invalid yes/no value",
                        format!(
                            "expected 0/1 (true/false, ja/nee) for {}, found {}",
                            crate::Characteristic::ALL[i],
                            f.describe()
                        ),
                    )
                })?,
                CharacteristicRule::Threshold { .. } => {
                    rule.holds(f.as_f64().ok_or_else(|| {
                        err(
                            *c,
                            "invalid number",
                            format!(
                                "expected a number for {}, found {}",
                                crate::Characteristic::ALL[i],
                                f.describe()
                            ),
                        )
                    })?)
                }
            };
            if present {
                characteristics.insert(crate::Characteristic::ALL[i]);
            }
        }
        Ok(characteristics)
    }

    fn row_base<'a>(&self, get: &impl Fn(usize) -> Field<'a>) -> Result<PersonRow<'a>, FieldError> {
        let err = |column: usize, reason: &'static str, message: String| FieldError {
            column,
            reason,
            message,
        };
        if matches!(get(self.person_id), Field::Missing)
            || matches!(get(self.person_id), Field::Text(s) if s.trim().is_empty())
        {
            return Err(err(
                self.person_id,
                "missing person id",
                "expected a pseudonymised person id, found an empty cell".into(),
            ));
        }
        let region = match get(self.region) {
            Field::Text(s) => s.trim(),
            f => {
                return Err(err(
                    self.region,
                    "invalid region code",
                    format!(
                        "expected a region code like BU03630001, found {}",
                        f.describe()
                    ),
                ))
            }
        };
        let year_f = get(self.year);
        let year = match year_f {
            Field::Text(s) => Period::parse(s),
            f => f
                .as_i64()
                .filter(|y| {
                    (*Period::RANGE.start() as i64..=*Period::RANGE.end() as i64).contains(y)
                })
                .map(|y| Period(y as i32)),
        }
        .ok_or_else(|| {
            err(
                self.year,
                "invalid year",
                format!("expected a year like 2024, found {}", year_f.describe()),
            )
        })?
        .year();
        let age = match self.age {
            Some(c) => {
                let f = get(c);
                Some(
                    f.as_i64()
                        .filter(|a| (0..=130).contains(a))
                        .ok_or_else(|| {
                            err(
                                c,
                                "invalid age",
                                format!(
                                    "expected an age in whole years 0..=130, found {}",
                                    f.describe()
                                ),
                            )
                        })? as u32,
                )
            }
            None => None,
        };
        let cat = |col: Option<usize>,
                   reason: &'static str,
                   expected: &str,
                   parse: &dyn Fn(&str) -> Option<usize>|
         -> Result<Option<usize>, FieldError> {
            match col {
                Some(c) => {
                    let f = get(c);
                    f.category(parse).map(Some).ok_or_else(|| {
                        err(
                            c,
                            reason,
                            format!("expected {expected}, found {}", f.describe()),
                        )
                    })
                }
                None => Ok(None),
            }
        };
        let sex = cat(self.sex, "invalid sex", "male/female (or m/v, 1/2)", &|s| {
            Sex::parse(s).map(|x| x as usize)
        })?
        .map(|i| Sex::ALL[i]);
        let household = cat(
            self.household,
            "invalid household type",
            "single, couple, couple_with_children, single_parent or other",
            &|s| Household::parse(s).map(|x| x as usize),
        )?
        .map(|i| Household::ALL[i]);
        let migration = cat(
            self.migration,
            "invalid migration background",
            "dutch, europe or outside_europe",
            &|s| Migration::parse(s).map(|x| x as usize),
        )?
        .map(|i| Migration::ALL[i]);
        let ses = match self.ses {
            Some((c, true)) => {
                let f = get(c);
                let class = f
                    .as_i64()
                    .filter(|d| (1..=10).contains(d))
                    .and_then(|d| self.ses_classes.class_of(d as u8));
                Some(class.ok_or_else(|| {
                    err(
                        c,
                        "invalid income decile",
                        format!("expected an income decile 1..=10, found {}", f.describe()),
                    )
                })?)
            }
            Some((c, false)) => {
                let f = get(c);
                Some(f.category(SesClass::parse).ok_or_else(|| {
                    err(
                        c,
                        "invalid SES class",
                        format!("expected low, middle or high, found {}", f.describe()),
                    )
                })?)
            }
            None => None,
        };
        let measure = match self.measure {
            Some(c) => {
                let f = get(c);
                Some(f.as_f64().ok_or_else(|| {
                    err(
                        c,
                        "invalid number",
                        format!("expected a number, found {}", f.describe()),
                    )
                })?)
            }
            None => None,
        };
        Ok(PersonRow {
            region,
            year,
            age,
            sex,
            household,
            ses,
            migration,
            characteristics: CharacteristicSet::EMPTY,
            measure,
        })
    }
}

/// Reads a person file (by extension: `.parquet` or anything else as CSV) into `counter`.
pub fn read_into(
    path: &Path,
    cfg: &ReadConfig,
    spec: &StackSpec,
    policy: ErrorPolicy,
    counter: Counter,
) -> Result<(Counter, ReadSummary), MicrodataError> {
    let is_parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if is_parquet {
        #[cfg(feature = "parquet")]
        return parquet_format::read(path, cfg, spec, policy, counter);
        #[cfg(not(feature = "parquet"))]
        return Err(MicrodataError::file(
            &path.display().to_string(),
            "this build has no Parquet support (feature `parquet`)",
        ));
    }
    csv_format::read(path, cfg, spec, policy, counter)
}

#[cfg(feature = "parquet")]
pub use parquet_format::{write_persons_parquet, ParquetPersonWriter};

pub use csv_format::CsvPersonWriter;
