//! Region change tables: which codes of one layout became which codes of a later one, in the
//! shape of CBS's overviews of municipal boundary changes ("gemeentelijke
//! indelingswijzigingen"): one row per link from an old to a new region.
//!
//! Columns (header names in Dutch or English, any case, `,` or `;`; lines starting with `#`
//! are comments):
//!
//! | column | also accepted | required |
//! |---|---|---|
//! | `datum_ingang` | `ingangsdatum`, `datum`, `effective`, `date` | one of date or `indeling` |
//! | `indeling` | `layout` | (first layout year in force; default from the date) |
//! | `soort` | `soort_wijziging`, `kind`, `type` | yes: samenvoeging/merge, splitsing/split, naamswijziging/rename, hercodering/recode, grenscorrectie/boundary |
//! | `oude_code` | `old_code` | yes |
//! | `oude_naam` | `old_name` | no |
//! | `nieuwe_code` | `new_code` | yes |
//! | `nieuwe_naam` | `new_name` | no |
//! | `aandeel` | `gewicht`, `weight`, `share` | no: share of the old region (0–1); 1 for merges |
//! | `aandeel_basis` | `basis`, `weight_basis` | no: how the share was found |
//! | `delen` | `deel`, `parts` | no: codes (space-separated) of the regions that hold the part that moved |

use std::collections::{BTreeMap, HashMap};

use kwm_model::change::{layout_of_date, parse_date};
use kwm_model::{ChangeKind, RegionChange, RegionCode};

use crate::batch::{Dataset, LoadBatch};
use crate::error::{IngestError, LineIndex};
use crate::statline::csv_error;
use crate::ReadOptions;

const DATE: &[&str] = &["datum_ingang", "ingangsdatum", "datum", "effective", "date"];
const LAYOUT: &[&str] = &["indeling", "layout"];
const KIND: &[&str] = &["soort", "soort_wijziging", "kind", "type"];
const OLD_CODE: &[&str] = &["oude_code", "old_code"];
const OLD_NAME: &[&str] = &["oude_naam", "old_name"];
const NEW_CODE: &[&str] = &["nieuwe_code", "new_code"];
const NEW_NAME: &[&str] = &["nieuwe_naam", "new_name"];
const WEIGHT: &[&str] = &["aandeel", "gewicht", "weight", "share"];
const BASIS: &[&str] = &["aandeel_basis", "basis", "weight_basis"];
const PARTS: &[&str] = &["delen", "deel", "parts"];

/// Allowed difference from 1 of the weights of one split (they are published rounded).
const WEIGHT_TOLERANCE: f64 = 0.001;

fn header_columns(line: &str) -> Vec<String> {
    line.split([',', ';'])
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect()
}

/// True when a CSV header line (the first line that is not a `#` comment) looks like a
/// change table.
pub fn is_changes_header(first_line: &str) -> bool {
    let cols = header_columns(first_line);
    let has = |names: &[&str]| cols.iter().any(|c| names.contains(&c.as_str()));
    has(OLD_CODE) && has(NEW_CODE)
}

/// The first line of `text` that is not a comment.
pub(crate) fn first_data_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim_start().starts_with('#'))
        .unwrap_or("")
}

pub(crate) fn read(
    file: &str,
    file_stem: &str,
    text: &str,
    options: &ReadOptions,
) -> Result<LoadBatch, IngestError> {
    let header_line = first_data_line(text);
    let delimiter = if header_line.contains(';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .comment(Some(b'#'))
        .flexible(false)
        .from_reader(text.as_bytes());
    let lines = LineIndex::new(text);
    let header_line_no = text
        .lines()
        .position(|l| !l.trim_start().starts_with('#'))
        .map_or(1, |i| i + 1);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            IngestError::at(
                file,
                header_line_no,
                1,
                format!("could not read the header: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let required = |names: &[&str], what: &str| {
        col(names).ok_or_else(|| {
            IngestError::at(
                file,
                header_line_no,
                1,
                format!(
                    "expected a column {what} ({}), found '{}'",
                    names.join(" or "),
                    header.join(",")
                ),
            )
        })
    };
    let c_old = required(OLD_CODE, "with the old code")?;
    let c_new = required(NEW_CODE, "with the new code")?;
    let c_kind = required(KIND, "with the kind of change")?;
    let (c_date, c_layout) = (col(DATE), col(LAYOUT));
    if c_date.is_none() && c_layout.is_none() && options.layout.is_none() {
        return Err(IngestError::at(
            file,
            header_line_no,
            1,
            format!(
                "expected a date column ({}) or a layout column ({}), or --layout YEAR; found neither",
                DATE.join(", "),
                LAYOUT.join(", ")
            ),
        ));
    }
    let (c_old_name, c_new_name, c_weight, c_basis, c_parts) = (
        col(OLD_NAME),
        col(NEW_NAME),
        col(WEIGHT),
        col(BASIS),
        col(PARTS),
    );

    let mut changes: Vec<(usize, RegionChange)> = Vec::new();
    let mut seen: HashMap<(RegionCode, RegionCode, i32), usize> = HashMap::new();
    let mut rows = 0;
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(file, &lines, &e))?;
        let line = record.position().map_or(0, |p| lines.line(p.byte()));
        rows += 1;
        let text_at = |c: Option<usize>| {
            c.map(|c| record[c].trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let err = |c: usize, m: String| IngestError::at(file, line, c + 1, m);
        let old_code = RegionCode::parse(&record[c_old]).map_err(|e| err(c_old, e.to_string()))?;
        let new_code = RegionCode::parse(&record[c_new]).map_err(|e| err(c_new, e.to_string()))?;
        if old_code.level() != new_code.level() {
            return Err(err(
                c_new,
                format!(
                    "expected old and new code of the same level, found {old_code} ({}) and {new_code} ({})",
                    old_code.level(),
                    new_code.level()
                ),
            ));
        }
        let kind = ChangeKind::parse(&record[c_kind]).ok_or_else(|| {
            err(
                c_kind,
                format!(
                    "expected a kind of change (samenvoeging, splitsing, naamswijziging, hercodering, grenscorrectie or merge, split, rename, recode, boundary), found '{}'",
                    record[c_kind].trim()
                ),
            )
        })?;
        let effective = match c_date {
            Some(c) if !record[c].trim().is_empty() => {
                let raw = record[c].trim();
                let (y, m, d) = parse_date(raw).ok_or_else(|| {
                    err(
                        c,
                        format!("expected a date like 2021-01-01 or 1-1-2021, found '{raw}'"),
                    )
                })?;
                Some(format!("{y:04}-{m:02}-{d:02}"))
            }
            _ => None,
        };
        let to_layout = match (
            options.layout,
            c_layout.and_then(|c| text_at(Some(c)).map(|v| (c, v))),
        ) {
            (Some(l), _) => l,
            (None, Some((c, raw))) => raw
                .parse::<i32>()
                .ok()
                .filter(|y| (1900..=2100).contains(y))
                .ok_or_else(|| {
                    err(
                        c,
                        format!("expected a layout year like 2021, found '{raw}'"),
                    )
                })?,
            (None, None) => match &effective {
                Some(date) => layout_of_date(date).expect("validated date"),
                None => {
                    return Err(err(
                        c_date.unwrap_or(0),
                        "expected a date or a layout year, found neither in this row".into(),
                    ))
                }
            },
        };
        let weight = match c_weight.and_then(|c| text_at(Some(c)).map(|v| (c, v))) {
            None => None,
            Some((c, raw)) => {
                let w = raw
                    .replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|w| *w > 0.0 && *w <= 1.0)
                    .ok_or_else(|| {
                        err(
                            c,
                            format!("expected a share between 0 (exclusive) and 1, found '{raw}'"),
                        )
                    })?;
                Some(w)
            }
        };
        match kind {
            ChangeKind::Rename if old_code != new_code => {
                return Err(err(
                    c_new,
                    format!("expected the same code for a rename, found {old_code} → {new_code} (a new code is 'hercodering'/recode)"),
                ))
            }
            ChangeKind::Merge | ChangeKind::Recode | ChangeKind::Split | ChangeKind::Boundary
                if old_code == new_code =>
            {
                return Err(err(
                    c_new,
                    format!("expected a different new code for a {kind}, found {old_code} on both sides"),
                ))
            }
            ChangeKind::Merge | ChangeKind::Rename | ChangeKind::Recode
                if weight.is_some_and(|w| (w - 1.0).abs() > WEIGHT_TOLERANCE) =>
            {
                return Err(err(
                    c_weight.unwrap_or(0),
                    format!("expected share 1 for a {kind} (the whole region moves), found {}", weight.unwrap_or(1.0)),
                ))
            }
            _ => {}
        }
        let weight = match kind {
            ChangeKind::Merge | ChangeKind::Rename | ChangeKind::Recode => Some(1.0),
            _ => weight,
        };
        let mut parts = Vec::new();
        if let Some(c) = c_parts {
            for raw in record[c]
                .split([' ', ';', '|'])
                .filter(|s| !s.trim().is_empty())
            {
                let p = RegionCode::parse(raw).map_err(|e| err(c, e.to_string()))?;
                parts.push(p);
            }
        }
        if let Some(first) = seen.insert((old_code.clone(), new_code.clone(), to_layout), line) {
            return Err(err(
                c_old,
                format!("expected one row per old code, new code and layout, found a second {old_code} → {new_code} (first on line {first})"),
            ));
        }
        changes.push((
            line,
            RegionChange {
                to_layout,
                effective,
                old_name: text_at(c_old_name),
                new_name: text_at(c_new_name),
                kind,
                weight_basis: text_at(c_basis).or_else(|| {
                    weight
                        .filter(|_| matches!(kind, ChangeKind::Split | ChangeKind::Boundary))
                        .map(|_| "opgegeven in het wijzigingenbestand".to_string())
                }),
                weight,
                parts,
                old_code,
                new_code,
            },
        ));
    }
    check_shares(file, c_old + 1, &changes)?;
    if changes.is_empty() {
        return Err(IngestError::at(
            file,
            header_line_no,
            1,
            "expected at least one change row, found none",
        ));
    }
    Ok(LoadBatch {
        dataset: Dataset {
            id: file_stem.to_string(),
            title: format!("Indelingswijzigingen ({file_stem})"),
            ..Default::default()
        },
        rows,
        changes: changes.into_iter().map(|(_, c)| c).collect(),
        ..Default::default()
    })
}

/// A region that moves (merge/recode) goes to exactly one successor; the links of a split must
/// be at least two and, where all shares are given, add up to 1.
fn check_shares(
    file: &str,
    column: usize,
    changes: &[(usize, RegionChange)],
) -> Result<(), IngestError> {
    let mut by_old: BTreeMap<(&RegionCode, i32), Vec<(usize, &RegionChange)>> = BTreeMap::new();
    for (line, c) in changes {
        if c.kind.moves_figures() {
            by_old
                .entry((&c.old_code, c.to_layout))
                .or_default()
                .push((*line, c));
        }
    }
    for ((old, layout), links) in by_old {
        let whole: Vec<_> = links
            .iter()
            .filter(|(_, c)| matches!(c.kind, ChangeKind::Merge | ChangeKind::Recode))
            .collect();
        let (last_line, _) = links.last().expect("non-empty");
        if !whole.is_empty() && links.len() > 1 {
            return Err(IngestError::at(file, *last_line, column, format!(
                "{old} moves as a whole ({}) in layout {layout} but has {} links; a region divided over several successors is a split",
                whole[0].1.kind, links.len())));
        }
        let splits: Vec<_> = links
            .iter()
            .filter(|(_, c)| c.kind == ChangeKind::Split)
            .collect();
        if splits.len() == 1 {
            return Err(IngestError::at(file, splits[0].0, column, format!(
                "{old} is split in layout {layout} but has only one successor; a split needs at least two (or use samenvoeging/hercodering)")));
        }
        let shares: Vec<f64> = links.iter().filter_map(|(_, c)| c.weight).collect();
        let total: f64 = shares.iter().sum();
        let complete = shares.len() == links.len();
        if (complete && (total - 1.0).abs() > WEIGHT_TOLERANCE && splits.len() > 1)
            || total > 1.0 + WEIGHT_TOLERANCE
        {
            return Err(IngestError::at(
                file,
                *last_line,
                column,
                format!(
                "expected the shares of {old} in layout {layout} to add up to 1, found {total:.4}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<LoadBatch, IngestError> {
        read("w.csv", "w", text, &ReadOptions::default())
    }

    const HEADER: &str = "datum_ingang,soort,oude_code,oude_naam,nieuwe_code,nieuwe_naam,aandeel\n";

    #[test]
    fn merges_and_splits_are_read_with_layouts_from_dates() {
        let b = read_text(&format!(
            "# comment\n{HEADER}2021-01-01,samenvoeging,GM0003,Appingedam,GM1979,Eemsdelta,\n24-3-2022,samenvoeging,GM0457,Weesp,GM0363,Amsterdam,\n2021-01-01,splitsing,GM0788,Haaren,GM0757,Boxtel,0.25\n2021-01-01,splitsing,GM0788,Haaren,GM0824,Oisterwijk,0.75\n"
        ))
        .unwrap();
        assert_eq!(b.changes.len(), 4);
        assert_eq!(
            (b.changes[0].to_layout, b.changes[0].weight),
            (2021, Some(1.0))
        );
        assert_eq!(
            b.changes[1].to_layout, 2023,
            "24 March 2022 is first in force on 1 January 2023"
        );
        assert_eq!(b.changes[2].kind, ChangeKind::Split);
    }

    #[test]
    fn broken_rows_are_located() {
        let e = read_text(&format!("{HEADER}2021-01-01,fusie?,GM0003,A,GM1979,E,\n")).unwrap_err();
        assert_eq!((e.line, e.column), (2, 2), "{e}");
        let e = read_text(&format!(
            "{HEADER}2021-01-01,samenvoeging,GM0003,A,WK197900,E,\n"
        ))
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 5), "{e}");
        let e = read_text(&format!(
            "{HEADER}2021-31-01,samenvoeging,GM0003,A,GM1979,E,\n"
        ))
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 1), "{e}");
        let e = read_text(&format!(
            "{HEADER}2021-01-01,splitsing,GM0788,H,GM0757,B,0.5\n2021-01-01,splitsing,GM0788,H,GM0824,O,0.6\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("add up to 1"), "{e}");
        assert_eq!(e.line, 3);
        let e = read_text(&format!(
            "{HEADER}2021-01-01,splitsing,GM0788,H,GM0757,B,\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("only one successor"), "{e}");
        let e = read_text("oude_code,nieuwe_code\nGM0003,GM1979\n").unwrap_err();
        assert!(e.message.contains("kind of change"), "{e}");
    }
}
