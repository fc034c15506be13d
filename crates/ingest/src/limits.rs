//! What one input may cost, and the checks every format shares: the file size, the columns and
//! field length of any CSV (one pass before a format's own parser sees the text), a file with a
//! header and no rows, and values of a bounded unit outside their bounds.
//!
//! Why before the parsers: a StatLine CSV with 10,000 columns was accepted after 60–115 s at
//! ~8 GB resident memory, since every column became an indicator with its own maps. Counting
//! fields costs one `csv` pass (hundreds of MB/s) and refuses such a file in milliseconds with
//! a located error, whichever of the six CSV formats it claims to be.

use kwm_model::Observation;

use crate::batch::LoadBatch;
use crate::error::{IngestError, LineIndex};

/// Limits on what one input file may cost. Each is refused with a located error naming the
/// limit and the `kwm ingest` option that raises it. The defaults are well above every real
/// file the monitor reads (the widest in `data/` has 152 columns) and far below what exhausts
/// memory. Columns cost more than their bytes — each becomes an indicator — so a StatLine CSV
/// of 400 rows and 2,000 columns still took 134 s (390 MB) to load; hence 1,000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file in bytes (`--max-file-size`). The whole file is read before parsing, and a
    /// JSON file's parsed form takes several times its size.
    pub max_file_bytes: u64,
    /// Most fields in one CSV record (`--max-columns`).
    pub max_columns: usize,
    /// Longest CSV field in bytes (`--max-field-length`).
    pub max_field_bytes: usize,
    /// Most positions in one boundary feature (`--max-vertices`); a file may hold 20 times as
    /// many in all.
    pub max_vertices: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 1 << 30,
            max_columns: 1_000,
            max_field_bytes: 64 * 1024,
            max_vertices: 2_000_000,
        }
    }
}

impl Limits {
    /// Most positions in all boundary features of one file.
    pub fn max_file_vertices(&self) -> usize {
        self.max_vertices.saturating_mul(20)
    }
}

/// Refuses a file larger than the limit (checked on the size before reading, and again on the
/// bytes handed in, for callers that read themselves).
pub(crate) fn check_size(file: &str, size: u64, limits: &Limits) -> Result<(), IngestError> {
    if size > limits.max_file_bytes {
        return Err(IngestError::at(
            file,
            0,
            0,
            format!(
                "the file has {size} bytes, more than the limit of {} (raise it with --max-file-size BYTES)",
                limits.max_file_bytes
            ),
        ));
    }
    Ok(())
}

/// Counts the fields of every record of a CSV text with the delimiter the readers use (`;` when
/// the first line has one, else `,`) and refuses the first record or field beyond the limits.
pub(crate) fn check_csv(file: &str, text: &str, limits: &Limits) -> Result<(), IngestError> {
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let lines = LineIndex::new(text);
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            // Malformed CSV is the format reader's to explain.
            Err(_) => return Ok(()),
            Ok(true) => {}
        }
        let line = || lines.line(record.position().map_or(0, |p| p.byte()));
        if record.len() > limits.max_columns {
            return Err(IngestError::at(
                file,
                line(),
                limits.max_columns + 1,
                format!(
                    "expected at most {} columns, found {} (raise the limit with --max-columns N)",
                    limits.max_columns,
                    record.len()
                ),
            ));
        }
        if let Some((i, field)) = record
            .iter()
            .enumerate()
            .find(|(_, f)| f.len() > limits.max_field_bytes)
        {
            return Err(IngestError::at(
                file,
                line(),
                i + 1,
                format!(
                    "expected fields of at most {} bytes, found one of {} (raise the limit with --max-field-length BYTES)",
                    limits.max_field_bytes,
                    field.len()
                ),
            ));
        }
    }
}

/// Refuses a file that has a header and no data rows: recording it as an empty load would say
/// the source was read while nothing was.
pub(crate) fn check_not_empty(
    file: &str,
    text: &str,
    batch: &LoadBatch,
) -> Result<(), IngestError> {
    if batch.rows > 0 {
        return Ok(());
    }
    let line = text.lines().count() + 1;
    Err(IngestError::at(
        file,
        line,
        1,
        "expected data rows after the header, found none (a file without rows is not loaded)",
    ))
}

/// Units whose values lie between 0 and 100.
fn is_percentage(unit: &str) -> bool {
    let u = unit.trim().to_ascii_lowercase();
    u == "%" || u == "procent" || u == "percentage" || u == "percent"
}

/// How many out-of-range values a note lists by region and period before it only counts.
const LISTED: usize = 5;

/// Notes on values of a percentage indicator below 0 or above 100 (value or interval bounds):
/// loaded as published, since a source may define a share that way, but never silently.
/// Each is named by indicator, region, period and breakdown — the key of its row in the file.
pub(crate) fn bounded_unit_notes(batch: &LoadBatch) -> Vec<String> {
    let mut notes = Vec::new();
    for indicator in batch.indicators.iter().filter(|i| is_percentage(&i.unit)) {
        let out: Vec<&Observation> = batch
            .observations
            .iter()
            .filter(|o| o.indicator == indicator.id)
            .filter(|o| {
                [o.value, o.lower, o.upper]
                    .into_iter()
                    .flatten()
                    .any(|v| !(0.0..=100.0).contains(&v))
            })
            .collect();
        if out.is_empty() {
            continue;
        }
        let listed: Vec<String> = out
            .iter()
            .take(LISTED)
            .map(|o| {
                let cell = if o.breakdown.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", o.breakdown)
                };
                let v = o.value.map_or("—".to_string(), |v| v.to_string());
                match (o.lower, o.upper) {
                    (Some(l), Some(u)) => {
                        format!("{} {}{cell} = {v} ({l}–{u})", o.region, o.period.0)
                    }
                    _ => format!("{} {}{cell} = {v}", o.region, o.period.0),
                }
            })
            .collect();
        let more = out.len().saturating_sub(LISTED);
        notes.push(format!(
            "warning: {} value(s) of {} (unit %) outside 0–100, loaded as published: {}{}",
            out.len(),
            indicator.id,
            listed.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_records_and_long_fields_are_located() {
        let limits = Limits {
            max_columns: 3,
            max_field_bytes: 5,
            ..Limits::default()
        };
        assert!(check_csv("f", "a;b;c\r\n1;2;3\r\n", &limits).is_ok());
        let e = check_csv("f", "a;b;c\r\n1;2;3\r\n1;2;3;4\r\n", &limits).unwrap_err();
        assert_eq!((e.line, e.column), (3, 4), "{e}");
        assert!(e.message.contains("--max-columns"), "{e}");
        let e = check_csv("f", "a,b\n1,\"123456\"\n", &limits).unwrap_err();
        assert_eq!((e.line, e.column), (2, 2), "{e}");
        assert!(e.message.contains("--max-field-length"), "{e}");
    }

    #[test]
    fn size_is_checked() {
        let limits = Limits {
            max_file_bytes: 10,
            ..Limits::default()
        };
        assert!(check_size("f", 10, &limits).is_ok());
        assert!(check_size("f", 11, &limits)
            .unwrap_err()
            .to_string()
            .starts_with("f:0:0: the file has 11 bytes"));
    }
}
