//! One numeric column of a wide CSV keyed by region code, for ad-hoc analyses such as
//! `kwm spatial`.
//!
//! The key column is the first of `code`, `region`, `regio`, `statcode`, `regios` (StatLine's
//! `RegioS`), `gm_code`, `wk_code`, `bu_code` (any case). Delimiter `,` or `;` (from the header
//! line); with `;` a decimal comma is accepted. An empty cell, `.` or `NA` is a missing value.
//! So both a hand-made `code,value` file and a StatLine TypedDataSet download (padded codes,
//! BOM) can be read as they are.

use std::collections::HashMap;
use std::path::Path;

use kwm_model::{RegionCode, RegionCodeError};

use crate::error::{decode_utf8, IngestError};

/// The key column names recognised, in order of preference.
pub const KEY_COLUMNS: &[&str] = &[
    "code", "region", "regio", "statcode", "regios", "gm_code", "wk_code", "bu_code",
];

/// One value column read from a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueColumn {
    /// The file as the user named it.
    pub file: String,
    /// The key column's name as written in the file.
    pub key_column: String,
    /// The value column's name as written in the file.
    pub column: String,
    /// One entry per data row with a supported region code, in file order; `None` = missing.
    pub values: Vec<(RegionCode, Option<f64>)>,
    /// What was skipped, and why (never silent).
    pub notes: Vec<String>,
}

fn parse_value(raw: &str, decimal_comma: bool) -> Option<Result<f64, ()>> {
    let s = raw.trim();
    if s.is_empty() || s == "." || s.eq_ignore_ascii_case("na") {
        return None;
    }
    let owned;
    let s = if decimal_comma && s.contains(',') && !s.contains('.') {
        owned = s.replace(',', ".");
        owned.as_str()
    } else {
        s
    };
    Some(s.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or(()))
}

/// Reads column `column` (matched case-insensitively) of a CSV keyed by region code.
///
/// Rows whose key is a well-formed code of a region type the product does not model (such as
/// StatLine's `CG01`) are skipped with a note; a malformed key, a non-numeric value or a region
/// that occurs twice is an error naming file, line and column.
pub fn read_values(path: &Path, column: &str) -> Result<ValueColumn, IngestError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| IngestError::at(&file, 0, 0, format!("cannot read the file: {e}")))?;
    let text = decode_utf8(&file, &bytes)?;
    parse_values(&file, &text, column)
}

/// [`read_values`] on text already read: `file` names it in errors.
pub fn parse_values(file: &str, text: &str, column: &str) -> Result<ValueColumn, IngestError> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
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
    let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let key = KEY_COLUMNS.iter().find_map(|k| find(k)).ok_or_else(|| {
        IngestError::at(
            file,
            1,
            1,
            format!(
                "expected a region code column named one of {}, found columns {}",
                KEY_COLUMNS.join(", "),
                header.join(", ")
            ),
        )
    })?;
    let value = find(column).ok_or_else(|| {
        IngestError::at(
            file,
            1,
            1,
            format!(
                "expected a column '{column}', found columns {}",
                header.join(", ")
            ),
        )
    })?;

    let mut values = Vec::new();
    let mut seen: HashMap<RegionCode, usize> = HashMap::new();
    let mut skipped: HashMap<String, usize> = HashMap::new();
    let mut missing = 0usize;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            IngestError::at(
                file,
                line,
                1,
                format!("expected {} fields per row: {e}", header.len()),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let raw_code = record.get(key).unwrap_or("");
        let code = match RegionCode::parse(raw_code) {
            Ok(c) => c,
            Err(RegionCodeError::UnsupportedType { prefix, .. }) => {
                *skipped.entry(prefix).or_default() += 1;
                continue;
            }
            Err(e) => {
                return Err(IngestError::at(
                    file,
                    line,
                    key + 1,
                    format!("column '{}': {e}", header[key]),
                ))
            }
        };
        if let Some(first) = seen.insert(code.clone(), line) {
            return Err(IngestError::at(
                file,
                line,
                key + 1,
                format!("expected one row per region, found {code} again (first on line {first})"),
            ));
        }
        let raw = record.get(value).unwrap_or("");
        let parsed = match parse_value(raw, delimiter == b';') {
            None => {
                missing += 1;
                None
            }
            Some(Ok(v)) => Some(v),
            Some(Err(())) => {
                return Err(IngestError::at(
                    file,
                    line,
                    value + 1,
                    format!(
                        "expected a number or an empty cell in column '{}', found '{}'",
                        header[value],
                        raw.trim()
                    ),
                ));
            }
        };
        values.push((code, parsed));
    }
    let mut notes = Vec::new();
    let mut skipped: Vec<_> = skipped.into_iter().collect();
    skipped.sort();
    for (prefix, count) in skipped {
        notes.push(format!(
            "skipped {count} row(s) with region type '{prefix}', which the product does not model"
        ));
    }
    if missing > 0 {
        notes.push(format!(
            "{missing} region(s) have no value in column '{}'",
            header[value]
        ));
    }
    Ok(ValueColumn {
        file: file.to_string(),
        key_column: header[key].clone(),
        column: header[value].clone(),
        values,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statline_layout_with_padded_codes_and_unsupported_regions() {
        let text = "ID;RegioS;MoeiteMetRondkomen_1\n0;GM0014  ;28.3\n1;CG01  ;30\n2;GM0034;.\n3;NL01  ;28,5\n";
        let v = parse_values("t.csv", text, "moeitemetrondkomen_1").unwrap();
        assert_eq!(v.key_column, "RegioS");
        assert_eq!(v.values.len(), 3);
        assert_eq!(
            v.values[0],
            (RegionCode::parse("GM0014").unwrap(), Some(28.3))
        );
        assert_eq!(v.values[1].1, None);
        assert_eq!(v.values[2].1, Some(28.5));
        assert!(v.notes.iter().any(|n| n.contains("'CG'")), "{:?}", v.notes);
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let err = parse_values("v.csv", "code,x\nGM0014,1\nGM0034,abc\n", "x").unwrap_err();
        assert_eq!((err.line, err.column), (3, 2));
        assert!(
            err.to_string().starts_with("v.csv:3:2: expected a number"),
            "{err}"
        );
        let err = parse_values("v.csv", "code,x\nGM0014,1\nGM0014,2\n", "x").unwrap_err();
        assert_eq!((err.line, err.column), (3, 1));
        let err = parse_values("v.csv", "code,x\nXX,1\n", "x").unwrap_err();
        assert_eq!(err.line, 2);
        let err = parse_values("v.csv", "name,x\nA,1\n", "x").unwrap_err();
        assert!(err.message.contains("region code column"), "{err}");
        let err = parse_values("v.csv", "code,x\nGM0014,1\n", "y").unwrap_err();
        assert!(err.message.contains("expected a column 'y'"), "{err}");
    }
}
