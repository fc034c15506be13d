//! Plain long-format CSV: one figure per row.
//!
//! Required columns `region, period, indicator, value`; optional `lower, upper, n, breakdown`.
//! Delimiter `,` or `;` (taken from the header line). An empty value or `.` is a suppressed
//! figure. Indicators unknown to the catalogue are registered with their id as label and no
//! direction, and the load says so.

use std::collections::{BTreeMap, HashMap};

use kwm_model::catalogue::Catalogue;
use kwm_model::{Direction, Indicator, IndicatorId, Observation, Period, RegionCode, ValueStatus};

use crate::batch::{Dataset, LoadBatch, RegionRecord};
use crate::error::{IngestError, LineIndex};
use crate::statline::csv_error;
use crate::ReadOptions;

const REQUIRED: [&str; 4] = ["region", "period", "indicator", "value"];
const OPTIONAL: [&str; 4] = ["lower", "upper", "n", "breakdown"];

/// True when a CSV header line is a long-format header.
pub fn is_long_header(first_line: &str) -> bool {
    let cols: Vec<String> = first_line
        .split([',', ';'])
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    REQUIRED.iter().all(|r| cols.iter().any(|c| c == r))
}

fn parse_opt_number(
    file: &str,
    line: usize,
    col: usize,
    name: &str,
    raw: &str,
) -> Result<Option<f64>, IngestError> {
    let s = raw.trim();
    if s.is_empty() || s == "." {
        return Ok(None);
    }
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| {
            IngestError::at(
                file,
                line,
                col,
                format!("expected a number or an empty cell in column '{name}', found '{s}'"),
            )
        })
}

pub(crate) fn read(
    file: &str,
    file_stem: &str,
    text: &str,
    catalogue: &Catalogue,
    options: &ReadOptions,
) -> Result<LoadBatch, IngestError> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| IngestError::at(file, 1, 1, format!("could not read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    for (i, h) in header.iter().enumerate() {
        if !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str()) {
            return Err(IngestError::at(file, 1, i + 1, format!(
                "expected only the columns region, period, indicator, value, lower, upper, n, breakdown; found '{h}'")));
        }
    }
    let mut required = [0usize; 4];
    for (slot, name) in required.iter_mut().zip(REQUIRED) {
        *slot = col(name).ok_or_else(|| {
            IngestError::at(
                file,
                1,
                1,
                format!(
                    "expected a '{name}' column in the header, found '{}'",
                    header.join(",")
                ),
            )
        })?;
    }
    let [c_region, c_period, c_indicator, c_value] = required;
    let (c_lower, c_upper, c_n, c_breakdown) =
        (col("lower"), col("upper"), col("n"), col("breakdown"));

    let mut observations = Vec::new();
    let mut first_line_of: HashMap<(IndicatorId, RegionCode, i32, String), usize> = HashMap::new();
    let mut indicators: BTreeMap<IndicatorId, Indicator> = BTreeMap::new();
    let mut regions: BTreeMap<(RegionCode, i32), ()> = BTreeMap::new();
    let mut unknown = 0usize;
    let mut rows = 0usize;
    let lines = LineIndex::new(text);
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(file, &lines, &e))?;
        let line = record.position().map_or(0, |p| lines.line(p.byte()));
        rows += 1;
        let region = RegionCode::parse(&record[c_region])
            .map_err(|e| IngestError::at(file, line, c_region + 1, e.to_string()))?;
        let period = Period::parse(&record[c_period]).ok_or_else(|| {
            IngestError::at(
                file,
                line,
                c_period + 1,
                format!(
                    "expected a year like 2024, found '{}'",
                    record[c_period].trim()
                ),
            )
        })?;
        let indicator = IndicatorId::new(record[c_indicator].trim())
            .map_err(|m| IngestError::at(file, line, c_indicator + 1, m))?;
        let value = parse_opt_number(file, line, c_value + 1, "value", &record[c_value])?;
        let get = |c: Option<usize>, name: &str| -> Result<Option<f64>, IngestError> {
            match c {
                Some(c) => parse_opt_number(file, line, c + 1, name, &record[c]),
                None => Ok(None),
            }
        };
        let lower = get(c_lower, "lower")?;
        let upper = get(c_upper, "upper")?;
        let n = get(c_n, "n")?;
        if let (Some(l), Some(u)) = (lower, upper) {
            if l > u {
                return Err(IngestError::at(
                    file,
                    line,
                    c_lower.unwrap() + 1,
                    format!("expected lower ≤ upper, found lower {l} > upper {u}"),
                ));
            }
        }
        if let Some(n) = n {
            if n < 0.0 {
                return Err(IngestError::at(
                    file,
                    line,
                    c_n.unwrap() + 1,
                    format!("expected n ≥ 0, found {n}"),
                ));
            }
        }
        let breakdown = c_breakdown
            .map(|c| record[c].trim().to_string())
            .unwrap_or_default();
        let key = (
            indicator.clone(),
            region.clone(),
            period.year(),
            breakdown.clone(),
        );
        if let Some(first) = first_line_of.insert(key, line) {
            return Err(IngestError::at(file, line, c_region + 1, format!(
                "expected one row per region, period, indicator and breakdown, found a duplicate of line {first}")));
        }
        if !indicators.contains_key(&indicator) {
            let known = catalogue.indicator(&indicator).map(|c| c.indicator.clone());
            if known.is_none() {
                unknown += 1;
            }
            indicators.insert(
                indicator.clone(),
                known.unwrap_or_else(|| Indicator {
                    id: indicator.clone(),
                    label_nl: indicator.to_string(),
                    label_en: indicator.to_string(),
                    unit: String::new(),
                    direction: Direction::Neutral,
                    source: file_stem.to_string(),
                    decimals: 1,
                    description: String::new(),
                    additive: false,
                    curated: false,
                }),
            );
        }
        regions.insert(
            (region.clone(), options.layout.unwrap_or(period.year())),
            (),
        );
        observations.push(Observation {
            indicator,
            region,
            period,
            breakdown,
            status: if value.is_some() {
                ValueStatus::Ok
            } else {
                ValueStatus::Suppressed
            },
            value,
            lower,
            upper,
            n,
        });
    }
    let mut notes = Vec::new();
    if unknown > 0 {
        notes.push(format!("{unknown} indicator(s) are not in the catalogue; registered with their id as label and no direction"));
    }
    Ok(LoadBatch {
        dataset: Dataset {
            id: file_stem.to_string(),
            title: file_stem.to_string(),
            ..Default::default()
        },
        indicators: indicators.into_values().collect(),
        observations,
        regions: regions
            .into_keys()
            .map(|(code, layout)| RegionRecord {
                parent: code.parent(),
                code,
                layout,
                name: None,
            })
            .collect(),
        rows,
        notes,
        ..Default::default()
    })
}
