//! Person files as CSV.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use super::{Field, Plan, ReadSummary, SYNTHETIC_MARKER};
use crate::aggregate::Counter;
use crate::characteristic::Characteristic;
use crate::config::ReadConfig;
use crate::error::{DropLog, ErrorPolicy, MicrodataError, RowError};
use crate::person::PersonBatch;
use crate::stack::StackSpec;

pub(crate) fn read(
    path: &Path,
    cfg: &ReadConfig,
    spec: &StackSpec,
    policy: ErrorPolicy,
    mut counter: Counter,
) -> Result<(Counter, ReadSummary), MicrodataError> {
    let started = Instant::now();
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| MicrodataError::io(&name, e))?;
    // Leading `#` lines are comments; a synthetic file says so there.
    let mut head = BufReader::new(file);
    let mut synthetic = false;
    let mut first_data_line = String::new();
    loop {
        first_data_line.clear();
        if head
            .read_line(&mut first_data_line)
            .map_err(|e| MicrodataError::io(&name, e))?
            == 0
        {
            break;
        }
        if !first_data_line.starts_with('#') {
            break;
        }
        synthetic |= first_data_line.contains(SYNTHETIC_MARKER);
    }
    let delimiter = if first_data_line.contains(';') && !first_data_line.contains(',') {
        b';'
    } else {
        b','
    };
    let file = File::open(path).map_err(|e| MicrodataError::io(&name, e))?;
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .comment(Some(b'#'))
        .flexible(false)
        .buffer_capacity(1 << 20)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| MicrodataError::file(&name, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let has = |n: &str| header.iter().any(|h| h.eq_ignore_ascii_case(n));
    let plan = Plan::new(cfg, spec, has);
    let mut field_of = Vec::with_capacity(plan.columns.len());
    for col in &plan.columns {
        let i = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(col))
            .ok_or_else(|| {
                MicrodataError::file(
                    &name,
                    format!(
                        "expected a column '{col}' in the header, found: {}",
                        header.join(",")
                    ),
                )
            })?;
        field_of.push(i);
    }
    let mut drops = DropLog::default();
    let mut rows = 0u64;
    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) if matches!(e.kind(), ::csv::ErrorKind::Io(_)) => {
                return Err(MicrodataError::file(&name, e.to_string()))
            }
            Err(e) => {
                let (line, column) = match e.kind() {
                    ::csv::ErrorKind::UnequalLengths { pos, .. } => {
                        (pos.as_ref().map_or(0, |p| p.line()), 0)
                    }
                    ::csv::ErrorKind::Utf8 { pos, err } => {
                        (pos.as_ref().map_or(0, |p| p.line()), err.field() + 1)
                    }
                    _ => (e.position().map_or(0, |p| p.line()), 0),
                };
                rows += 1;
                let err = RowError {
                    file: name.clone(),
                    line,
                    column,
                    column_name: "(row)".into(),
                    reason: "malformed row",
                    message: match e.kind() {
                        ::csv::ErrorKind::UnequalLengths {
                            expected_len, len, ..
                        } => {
                            format!("expected {expected_len} fields like the header, found {len}")
                        }
                        ::csv::ErrorKind::Utf8 { .. } => "expected UTF-8 text".to_string(),
                        _ => e.to_string(),
                    },
                };
                drops.record(err, policy)?;
                continue;
            }
        }
        rows += 1;
        let line = record.position().map_or(0, |p| p.line());
        let result = plan.row(|c| {
            let s = &record[field_of[c]];
            if s.trim().is_empty() {
                Field::Missing
            } else {
                Field::Text(s)
            }
        });
        let outcome = match result {
            Ok(person) => counter.add(&person).map_err(|issue| RowError {
                file: name.clone(),
                line,
                column: field_of[plan.region] + 1,
                column_name: plan.columns[plan.region].clone(),
                reason: issue.reason,
                message: issue.message,
            }),
            Err(fe) => Err(RowError {
                file: name.clone(),
                line,
                column: field_of[fe.column] + 1,
                column_name: plan.columns[fe.column].clone(),
                reason: fe.reason,
                message: fe.message,
            }),
        };
        if let Err(e) = outcome {
            drops.record(e, policy)?;
        }
    }
    Ok((
        counter,
        ReadSummary {
            file: name,
            format: "csv",
            rows,
            drops,
            synthetic,
            time: started.elapsed(),
        },
    ))
}

/// Writes person batches as CSV, with a `# SYNTHETIC …` comment line first.
pub struct CsvPersonWriter {
    out: BufWriter<File>,
    line: String,
}

impl CsvPersonWriter {
    /// Creates the file and writes the comment and header lines.
    pub fn create(path: &Path, comment: &str) -> Result<CsvPersonWriter, MicrodataError> {
        let name = path.display().to_string();
        let file = File::create(path).map_err(|e| MicrodataError::io(&name, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut header =
            String::from("person_id,region,year,age,sex,household,income_decile,migration,income");
        for c in Characteristic::ALL {
            header.push(',');
            header.push_str(c.id());
        }
        writeln!(out, "# {comment}\n{header}").map_err(|e| MicrodataError::io(&name, e))?;
        Ok(CsvPersonWriter {
            out,
            line: String::with_capacity(256),
        })
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &PersonBatch, regions: &[String]) -> std::io::Result<()> {
        use std::fmt::Write as _;
        for i in 0..batch.len() {
            let l = &mut self.line;
            l.clear();
            let _ = write!(
                l,
                "{},{},{},{},{},{},{},{},{:.0}",
                batch.person_id[i],
                regions[batch.region[i] as usize],
                batch.year,
                batch.age[i],
                batch.sex[i].label(),
                batch.household[i].label(),
                batch.income_decile[i],
                batch.migration[i].label(),
                batch.income[i]
            );
            let set = batch.characteristics[i];
            for c in Characteristic::ALL {
                l.push_str(if set.contains(c) { ",1" } else { ",0" });
            }
            l.push('\n');
            self.out.write_all(l.as_bytes())?;
        }
        Ok(())
    }

    /// Flushes and closes.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
