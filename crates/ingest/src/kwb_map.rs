//! The attribute table of CBS's Wijk- en Buurtkaart (district and neighbourhood map), as CSV.
//!
//! One row per gemeente, wijk or buurt keyed by `GM_CODE`, `WK_CODE` or `BU_CODE` (the most
//! specific one present), with the map's own column names (`AANT_INW`, `P_EENP_HH`, `WWB_UITTOT`)
//! and possibly StatLine keys joined from the Kerncijfers table (`OpleidingsniveauLaag_64`). The
//! period comes from the `JAAR` column or `--period`. CBS writes large negative sentinels where
//! a value is not a number: `-99999999`/`-99999998` (and `-99995`, `-99998`, `-99999` in newer
//! editions) mean *secret or unknown*, `-99999997` (`-99997`) *not applicable*. They become
//! those statuses, never values. An empty cell or `NA` is a suppressed value.
//!
//! Columns are matched to catalogue indicators of source `kwb` by their name (`keys` in
//! `indicators.toml` list the map names next to the StatLine stems); others are registered as
//! `kwb_<column>` with direction neutral, and the load says how many.

use std::collections::{BTreeMap, HashMap};

use kwm_model::catalogue::Catalogue;
use kwm_model::{
    Direction, Indicator, IndicatorId, Observation, Period, RegionCode, RegionCodeError,
    ValueStatus,
};

use crate::batch::{Dataset, LoadBatch, RegionRecord};
use crate::error::{IngestError, LineIndex};
use crate::statline::{csv_error, key_stem};
use crate::ReadOptions;

/// Region key columns, most specific first, with the name column that goes with each.
const KEYS: [(&str, &str); 3] = [
    ("BU_CODE", "BU_NAAM"),
    ("WK_CODE", "WK_NAAM"),
    ("GM_CODE", "GM_NAAM"),
];

/// Columns that are text or bookkeeping, never figures.
const NOT_FIGURES: &[&str] = &[
    "BU_CODE",
    "BU_NAAM",
    "WK_CODE",
    "WK_NAAM",
    "GM_CODE",
    "GM_NAAM",
    "H2O",
    "WATER",
    "JAAR",
    "JRSTATCODE",
    "POSTCODE",
    "DEK_PERC",
    "IND_WBI",
    "Shape_Leng",
    "Shape_Area",
    "OBJECTID",
    "ID",
    "geometry",
];

/// The catalogue source whose indicators the map's columns are matched to.
const SOURCE: &str = "kwb";

/// True when a CSV header line is a Wijk- en Buurtkaart attribute header.
pub fn is_kwb_map_header(first_line: &str) -> bool {
    first_line
        .trim_start_matches('\u{feff}')
        .split([',', ';'])
        .map(|c| c.trim().trim_matches('"'))
        .any(|c| KEYS.iter().any(|(k, _)| *k == c))
}

/// What a cell holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Value(f64),
    Secret,
    NotApplicable,
}

fn parse_cell(raw: &str) -> Option<Result<Cell, ()>> {
    let s = raw.trim();
    if s.is_empty() || s == "." || s.eq_ignore_ascii_case("na") {
        return Some(Ok(Cell::Secret));
    }
    let Ok(v) = s.parse::<f64>() else {
        return Some(Err(()));
    };
    if !v.is_finite() {
        return Some(Err(()));
    }
    Some(Ok(match v {
        -99999999.0 | -99999998.0 | -99995.0 | -99998.0 | -99999.0 => Cell::Secret,
        -99999997.0 | -99997.0 => Cell::NotApplicable,
        v => Cell::Value(v),
    }))
}

pub(crate) fn read(
    file: &str,
    file_stem: &str,
    text: &str,
    catalogue: &Catalogue,
    options: &ReadOptions,
) -> Result<LoadBatch, IngestError> {
    let text = text.trim_start_matches('\u{feff}');
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
        .map(|h| h.trim().to_string())
        .collect();
    let position = |name: &str| header.iter().position(|h| h == name);
    let Some((key_field, name_field)) = KEYS
        .iter()
        .find_map(|(k, n)| position(k).map(|f| (f, position(n))))
    else {
        return Err(IngestError::at(
            file,
            1,
            1,
            "expected a Wijk- en Buurtkaart header with GM_CODE, WK_CODE or BU_CODE",
        ));
    };
    let year_field = position("JAAR");
    if year_field.is_none() && options.period.is_none() {
        return Err(IngestError::at(
            file,
            1,
            1,
            "expected a JAAR column (the map's year); found none: give --period YEAR",
        ));
    }

    // One indicator per figure column.
    struct Column {
        field: usize,
        indicator: Indicator,
        any_value: bool,
    }
    let mut columns: Vec<Column> = Vec::new();
    let mut uncurated = 0usize;
    let mut seen: HashMap<IndicatorId, String> = HashMap::new();
    for (field, h) in header.iter().enumerate() {
        if NOT_FIGURES.iter().any(|n| n.eq_ignore_ascii_case(h)) {
            continue;
        }
        // StatLine keys joined into the map carry a numeric suffix; the map's own names do not.
        let stem = key_stem(h).map_or(h.as_str(), |(s, _)| s);
        let indicator = match catalogue.indicator_for_key(SOURCE, stem) {
            Some(c) => c.indicator.clone(),
            None => {
                uncurated += 1;
                let id = IndicatorId::from_key_stem(SOURCE, &stem.to_ascii_lowercase())
                    .map_err(|m| IngestError::at(file, 1, field + 1, m))?;
                Indicator {
                    id,
                    label_nl: h.clone(),
                    label_en: h.clone(),
                    unit: String::new(),
                    direction: Direction::Neutral,
                    source: format!("CBS Wijk- en Buurtkaart ({file_stem})"),
                    decimals: 1,
                    description: String::new(),
                    additive: false,
                    curated: false,
                }
            }
        };
        if let Some(other) = seen.insert(indicator.id.clone(), h.clone()) {
            return Err(IngestError::at(file, 1, field + 1, format!(
                "expected each column to map to its own indicator, found '{h}' and '{other}' both mapping to '{}'",
                indicator.id
            )));
        }
        columns.push(Column {
            field,
            indicator,
            any_value: false,
        });
    }
    if columns.is_empty() {
        return Err(IngestError::at(
            file,
            1,
            1,
            "expected at least one figure column besides the codes and names, found none",
        ));
    }

    let lines = LineIndex::new(text);
    let mut observations = Vec::new();
    let mut regions: BTreeMap<(RegionCode, i32), Option<String>> = BTreeMap::new();
    let mut first_line_of: HashMap<(RegionCode, i32), usize> = HashMap::new();
    let mut skipped: Vec<String> = Vec::new();
    let (mut secret, mut not_applicable) = (0usize, 0usize);
    let mut rows = 0usize;
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(file, &lines, &e))?;
        let line = record.position().map_or(0, |p| lines.line(p.byte()));
        rows += 1;
        let region = match RegionCode::parse(&record[key_field]) {
            Ok(c) => c,
            Err(RegionCodeError::UnsupportedType { code, .. }) => {
                skipped.push(code);
                continue;
            }
            Err(e) => return Err(IngestError::at(file, line, key_field + 1, e.to_string())),
        };
        let period = match year_field {
            Some(f) => Period::parse(&record[f])
                .ok_or_else(|| {
                    IngestError::at(
                        file,
                        line,
                        f + 1,
                        format!("expected a year like 2020, found '{}'", record[f].trim()),
                    )
                })?
                .year(),
            None => options.period.expect("checked above"),
        };
        if let Some(first) = first_line_of.insert((region.clone(), period), line) {
            return Err(IngestError::at(file, line, key_field + 1, format!(
                "expected one row per region and year, found a duplicate of line {first} ({region}, {period})")));
        }
        let name = name_field
            .map(|f| record[f].trim().to_string())
            .filter(|n| !n.is_empty());
        regions
            .entry((region.clone(), options.layout.unwrap_or(period)))
            .or_insert(name);
        for c in &mut columns {
            let raw = &record[c.field];
            let cell = parse_cell(raw).expect("always some").map_err(|()| {
                IngestError::at(file, line, c.field + 1, format!(
                    "expected a number, an empty cell or a CBS sentinel (-99999999 secret, -99999997 not applicable) in column '{}', found '{}'",
                    header[c.field], raw.trim()
                ))
            })?;
            let (value, status) = match cell {
                Cell::Value(v) => (Some(v), ValueStatus::Ok),
                Cell::Secret => {
                    secret += 1;
                    (None, ValueStatus::Suppressed)
                }
                Cell::NotApplicable => {
                    not_applicable += 1;
                    (None, ValueStatus::NotApplicable)
                }
            };
            c.any_value |= value.is_some();
            observations.push(Observation {
                indicator: c.indicator.id.clone(),
                region: region.clone(),
                period: Period(period),
                breakdown: String::new(),
                value,
                lower: None,
                upper: None,
                n: None,
                status,
            });
        }
    }
    if rows == 0 {
        return Err(IngestError::at(
            file,
            2,
            1,
            "expected at least one data row after the header, found none",
        ));
    }

    let mut notes = Vec::new();
    let empty: Vec<&IndicatorId> = columns
        .iter()
        .filter(|c| !c.any_value)
        .map(|c| &c.indicator.id)
        .collect();
    if !empty.is_empty() {
        notes.push(format!(
            "{} column(s) without any value, not loaded: {}",
            empty.len(),
            empty
                .iter()
                .map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        observations.retain(|o| !empty.contains(&&o.indicator));
    }
    if uncurated > 0 {
        notes.push(format!(
            "{uncurated} column(s) not described in the catalogue, loaded as kwb_<column> with direction neutral"
        ));
    }
    if secret + not_applicable > 0 {
        notes.push(format!(
            "{secret} cell(s) secret or unknown (empty or -99999999) and {not_applicable} not applicable (-99999997): stored as such, never as numbers"
        ));
    }
    if !skipped.is_empty() {
        notes.push(format!(
            "skipped {} row(s) with a region type the monitor does not model ({})",
            skipped.len(),
            skipped
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let indicators = columns
        .into_iter()
        .filter(|c| c.any_value)
        .map(|c| c.indicator)
        .collect();
    let regions = regions
        .into_iter()
        .map(|((code, layout), name)| RegionRecord {
            parent: code.parent(),
            code,
            layout,
            name,
        })
        .collect();
    Ok(LoadBatch {
        dataset: Dataset {
            id: file_stem.to_string(),
            title: "Kerncijfers wijken en buurten (Wijk- en Buurtkaart)".into(),
            publisher: "CBS".into(),
            licence: "CC BY 4.0".into(),
        },
        indicators,
        observations,
        regions,
        rows,
        notes,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinels_are_statuses_never_numbers() {
        assert_eq!(parse_cell("-99999999"), Some(Ok(Cell::Secret)));
        assert_eq!(parse_cell("-99999997"), Some(Ok(Cell::NotApplicable)));
        assert_eq!(parse_cell("-99997"), Some(Ok(Cell::NotApplicable)));
        assert_eq!(parse_cell(""), Some(Ok(Cell::Secret)));
        assert_eq!(parse_cell(" 12.5 "), Some(Ok(Cell::Value(12.5))));
        assert_eq!(parse_cell("-3"), Some(Ok(Cell::Value(-3.0))));
        assert_eq!(parse_cell("NEE"), Some(Err(())));
    }

    #[test]
    fn headers_are_recognised() {
        assert!(is_kwb_map_header("GM_CODE,GM_NAAM,AANT_INW"));
        assert!(is_kwb_map_header("\u{feff}\"WK_CODE\";\"WK_NAAM\""));
        assert!(!is_kwb_map_header("ID,WijkenEnBuurten,AantalInwoners_5"));
    }
}
