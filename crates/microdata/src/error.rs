//! Errors, and the policy for bad input rows: a row is either counted or the run stops;
//! never is a row dropped without being reported.

use std::collections::BTreeMap;
use std::fmt;

/// A problem with one input row, located as `FILE:LINE:COLUMN` (for Parquet, LINE is the
/// 1-based row number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line (CSV, header = line 1 or later after comment lines) or row (Parquet).
    pub line: u64,
    /// 1-based column (field) number.
    pub column: usize,
    /// The column's name in the header.
    pub column_name: String,
    /// A short, stable reason used to count dropped rows (`invalid region code`).
    pub reason: &'static str,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for RowError {}

/// What to do with bad rows: at most `max_errors` rows may be dropped (each counted and
/// reported); one more stops the run. The default, 0, stops at the first bad row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorPolicy {
    /// How many bad rows may be dropped.
    pub max_errors: u64,
}

/// Dropped rows, counted per column and reason, with the first example of each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropLog {
    /// Total rows dropped.
    pub dropped: u64,
    /// (column name, reason) → (count, first error).
    pub by_reason: BTreeMap<(String, &'static str), (u64, RowError)>,
}

impl DropLog {
    /// Records a bad row under `policy`; returns the error when the policy says stop.
    pub fn record(&mut self, error: RowError, policy: ErrorPolicy) -> Result<(), MicrodataError> {
        if self.dropped >= policy.max_errors {
            return Err(if policy.max_errors == 0 {
                MicrodataError::Row(error)
            } else {
                MicrodataError::TooManyBadRows {
                    limit: policy.max_errors,
                    last: error,
                    log: Box::new(self.clone()),
                }
            });
        }
        self.dropped += 1;
        let entry = self
            .by_reason
            .entry((error.column_name.clone(), error.reason))
            .or_insert_with(|| (0, error));
        entry.0 += 1;
        Ok(())
    }

    /// Adds another log (from a parallel reader).
    pub fn merge(&mut self, other: DropLog) {
        self.dropped += other.dropped;
        for (key, (n, first)) in other.by_reason {
            let entry = self.by_reason.entry(key).or_insert((0, first.clone()));
            entry.0 += n;
            if (first.line) < entry.1.line {
                entry.1 = first;
            }
        }
    }

    /// One line per reason: `12 rows: column 'age': not a number (first at f.csv:7:4: …)`.
    pub fn lines(&self) -> Vec<String> {
        self.by_reason
            .iter()
            .map(|((col, reason), (n, first))| {
                format!("{n} row(s) dropped, column '{col}': {reason} (first: {first})")
            })
            .collect()
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum MicrodataError {
    /// A bad row under the default policy (stop at the first).
    #[error("{0}")]
    Row(RowError),
    /// More bad rows than `--max-errors` allows.
    #[error("more than {limit} bad row(s); the last one: {last}\n{}", log.lines().join("\n"))]
    TooManyBadRows {
        /// The policy's limit.
        limit: u64,
        /// The row that passed the limit.
        last: RowError,
        /// The rows dropped so far.
        log: Box<DropLog>,
    },
    /// A whole-file problem (missing column, unreadable header, wrong type).
    #[error("{file}: {message}")]
    File {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Input/output failure.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An invalid request (bad `--by`, bad profile).
    #[error("{0}")]
    Invalid(String),
    /// The attacker check could not prove a table safe; nothing was written.
    #[error("refusing to write: {0}")]
    Unsafe(String),
}

impl MicrodataError {
    /// A whole-file error.
    pub fn file(file: &str, message: impl Into<String>) -> MicrodataError {
        MicrodataError::File {
            file: file.to_string(),
            message: message.into(),
        }
    }

    /// An I/O error on a file.
    pub fn io(file: &str, source: std::io::Error) -> MicrodataError {
        MicrodataError::Io {
            file: file.to_string(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: u64, reason: &'static str) -> RowError {
        RowError {
            file: "p.csv".into(),
            line,
            column: 4,
            column_name: "age".into(),
            reason,
            message: "expected an age 0..=130, found 'x'".into(),
        }
    }

    #[test]
    fn default_policy_stops_at_the_first_bad_row() {
        let mut log = DropLog::default();
        let e = log
            .record(err(3, "not an age"), ErrorPolicy::default())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.csv:3:4: expected an age 0..=130, found 'x'"
        );
        assert_eq!(log.dropped, 0);
    }

    #[test]
    fn a_limit_counts_every_dropped_row_and_stops_after_it() {
        let mut log = DropLog::default();
        let policy = ErrorPolicy { max_errors: 2 };
        log.record(err(3, "not an age"), policy).unwrap();
        log.record(err(9, "not an age"), policy).unwrap();
        let e = log.record(err(11, "not an age"), policy).unwrap_err();
        assert_eq!(log.dropped, 2);
        assert_eq!(log.lines(), ["2 row(s) dropped, column 'age': not an age (first: p.csv:3:4: expected an age 0..=130, found 'x')"]);
        assert!(
            e.to_string()
                .starts_with("more than 2 bad row(s); the last one: p.csv:11:4"),
            "{e}"
        );
    }
}
