//! Region code lists: names and parents of the regions of one layout year.
//!
//! Two header shapes are accepted:
//! - `code,name[,parent][,layout]`;
//! - CBS's convention `year,<level>_code,<level>_naam,...` with one or more levels
//!   (`gemeente_code,gemeente_naam,provincie_code,provincie_naam`), where the finest level is the
//!   list's subject and coarser levels are its parents.

use std::collections::BTreeMap;

use kwm_model::{Level, RegionCode};

use crate::batch::{Dataset, LoadBatch, RegionRecord};
use crate::error::{IngestError, LineIndex};
use crate::statline::csv_error;
use crate::ReadOptions;

const LEVEL_PREFIXES: [(&str, Level); 5] = [
    ("provincie", Level::Provincie),
    ("ggd", Level::Ggd),
    ("gemeente", Level::Gemeente),
    ("wijk", Level::Wijk),
    ("buurt", Level::Buurt),
];

/// Pseudo-gemeente CBS uses for "abroad"; not a place on any map.
const ABROAD: &str = "GM0998";

/// True when a CSV header line looks like a region code list.
pub fn is_regions_header(first_line: &str) -> bool {
    let cols: Vec<String> = first_line
        .split([',', ';'])
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |n: &str| cols.iter().any(|c| c == n);
    (has("code") && has("name"))
        || LEVEL_PREFIXES.iter().any(|(p, _)| {
            has(&format!("{p}_code")) && (has(&format!("{p}_naam")) || has(&format!("{p}_name")))
        })
}

struct LevelColumns {
    level: Level,
    code: usize,
    name: Option<usize>,
}

pub(crate) fn read(
    file: &str,
    file_stem: &str,
    text: &str,
    options: &ReadOptions,
) -> Result<LoadBatch, IngestError> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| IngestError::at(file, 1, 1, format!("could not read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n);
    let layout_col = col("layout")
        .or_else(|| col("year"))
        .or_else(|| col("jaar"));

    // Levels present, finest last.
    let mut levels: Vec<LevelColumns> = Vec::new();
    if let (Some(code), Some(name)) = (col("code"), col("name")) {
        levels.push(LevelColumns {
            level: Level::Gemeente,
            code,
            name: Some(name),
        }); // level read per row
    } else {
        for (prefix, level) in LEVEL_PREFIXES {
            if let Some(code) = col(&format!("{prefix}_code")) {
                let name =
                    col(&format!("{prefix}_naam")).or_else(|| col(&format!("{prefix}_name")));
                levels.push(LevelColumns { level, code, name });
            }
        }
    }
    if levels.is_empty() {
        return Err(IngestError::at(file, 1, 1, format!(
            "expected a code list header (code,name[,parent][,layout] or <level>_code,<level>_naam), found '{}'", header.join(","))));
    }
    let canonical = col("code").is_some();
    let parent_col = col("parent");

    let mut records: BTreeMap<(RegionCode, i32), RegionRecord> = BTreeMap::new();
    let mut rows = 0;
    let mut abroad = 0;
    let lines = LineIndex::new(text);
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(file, &lines, &e))?;
        let line = record.position().map_or(0, |p| lines.line(p.byte()));
        rows += 1;
        let layout = match (layout_col, options.layout) {
            (_, Some(l)) => l,
            (Some(c), None) => {
                let raw = record[c].trim();
                raw.parse::<i32>()
                    .ok()
                    .filter(|y| (1900..=2100).contains(y))
                    .ok_or_else(|| {
                        IngestError::at(
                            file,
                            line,
                            c + 1,
                            format!("expected a layout year like 2024, found '{raw}'"),
                        )
                    })?
            }
            (None, None) => {
                return Err(IngestError::at(
                    file,
                    line,
                    1,
                    "expected a 'layout' or 'year' column, or --layout YEAR; found neither",
                ))
            }
        };
        let mut chain: Vec<(RegionCode, Option<String>)> = Vec::new();
        for lc in &levels {
            let raw = record[lc.code].trim();
            if raw.is_empty() && !canonical {
                continue;
            }
            let code = RegionCode::parse(raw)
                .map_err(|e| IngestError::at(file, line, lc.code + 1, e.to_string()))?;
            if !canonical && code.level() != lc.level {
                return Err(IngestError::at(
                    file,
                    line,
                    lc.code + 1,
                    format!(
                        "expected a {} code in column '{}', found '{code}' ({})",
                        lc.level,
                        header[lc.code],
                        code.level()
                    ),
                ));
            }
            let name = lc
                .name
                .map(|c| record[c].trim().to_string())
                .filter(|n| !n.is_empty());
            chain.push((code, name));
        }
        if chain
            .iter()
            .any(|(c, _)| c.gemeente().is_some_and(|g| g.as_str() == ABROAD))
        {
            abroad += 1;
            continue;
        }
        let explicit_parent = match parent_col {
            Some(c) if !record[c].trim().is_empty() => Some(
                RegionCode::parse(&record[c])
                    .map_err(|e| IngestError::at(file, line, c + 1, e.to_string()))?,
            ),
            _ => None,
        };
        for (i, (code, name)) in chain.iter().enumerate() {
            let parent = if i == chain.len() - 1 {
                explicit_parent
                    .clone()
                    .or_else(|| i.checked_sub(1).map(|p| chain[p].0.clone()))
                    .or_else(|| code.parent())
            } else {
                i.checked_sub(1)
                    .map(|p| chain[p].0.clone())
                    .or_else(|| code.parent())
            };
            let entry = records
                .entry((code.clone(), layout))
                .or_insert_with(|| RegionRecord {
                    code: code.clone(),
                    layout,
                    name: None,
                    parent: None,
                });
            if entry.name.is_none() {
                entry.name = name.clone();
            }
            if entry.parent.is_none() {
                entry.parent = parent;
            }
        }
    }
    let mut notes = Vec::new();
    if abroad > 0 {
        notes.push(format!(
            "skipped {abroad} row(s) of {ABROAD} (Buitenland), a pseudo-region for persons abroad"
        ));
    }
    Ok(LoadBatch {
        dataset: Dataset {
            id: file_stem.to_string(),
            title: format!("Regio-indeling ({file_stem})"),
            ..Default::default()
        },
        regions: records.into_values().collect(),
        rows,
        notes,
        ..Default::default()
    })
}
