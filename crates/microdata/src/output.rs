//! What leaves: the long CSV that `kwm ingest` loads, and the run report.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::MicrodataError;
use crate::run::StackRun;
use crate::stack::OutputRow;

/// Formats a number the way the long format expects: integers without a decimal point.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Writes rows as `region,period,indicator,value,n,breakdown` (suppressed = empty value),
/// atomically: to a temporary file next to `path`, renamed when complete.
pub fn write_long_csv(path: &Path, rows: &[OutputRow]) -> Result<(), MicrodataError> {
    let name = path.display().to_string();
    let tmp: PathBuf = path.with_extension("csv.partial");
    let io = |e| MicrodataError::io(&name, e);
    let mut out = BufWriter::new(File::create(&tmp).map_err(io)?);
    let mut line = String::with_capacity(128);
    writeln!(out, "region,period,indicator,value,n,breakdown").map_err(io)?;
    for r in rows {
        line.clear();
        let value = r.value.map(number).unwrap_or_default();
        let n = r.n.map(number).unwrap_or_default();
        let _ = writeln!(
            line,
            "{},{},{},{},{},{}",
            r.region, r.period, r.indicator, value, n, r.breakdown
        );
        out.write_all(line.as_bytes()).map_err(io)?;
    }
    out.flush().map_err(io)?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(io)
}

/// Times of the phases of a run, for the report.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Reading and counting.
    pub read: Duration,
    /// Building tables (margins).
    pub build: Duration,
    /// Disclosure control (suppression and attacker check), all tables.
    pub sdc: Duration,
    /// Writing the CSV.
    pub write: Duration,
    /// Whole run.
    pub total: Duration,
}

/// The report of a run as Markdown.
pub fn report(run: &StackRun, out: &Path, rows: usize, timings: &Timings) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# kwm microdata stack: disclosure-control report\n");
    if run.read.synthetic {
        let _ = writeln!(s, "**SYNTHETIC INPUT**: the person file is marked synthetic; these are not statistics of real persons. Indicator ids carry the prefix `{}`.\n", run.spec.prefix);
    }
    let _ = writeln!(
        s,
        "- input: `{}` ({}), {} rows read, {} persons counted",
        run.read.file, run.read.format, run.read.rows, run.persons
    );
    let _ = writeln!(s, "- dropped rows: {}", run.read.drops.dropped);
    for line in run.read.drops.lines() {
        let _ = writeln!(s, "  - {line}");
    }
    let by: Vec<&str> = std::iter::once(run.spec.level.level().as_str())
        .chain(run.spec.breakdowns.iter().map(|b| b.key()))
        .collect();
    let _ = writeln!(
        s,
        "- breakdown: `{}`; combinations: {}; measure: {}",
        by.join(","),
        if run.spec.combinations.is_empty() {
            "none".to_string()
        } else {
            run.spec
                .combinations
                .iter()
                .map(|c| c.indicator_suffix())
                .collect::<Vec<_>>()
                .join(", ")
        },
        run.spec.measure.as_deref().unwrap_or("none")
    );
    let p = &run.profile;
    let _ = writeln!(s, "- profile: `{}`: {}", p.name, p.description);
    let _ = writeln!(s, "  - minimum frequency {} ({}), protection width {}, rounding base {}, percentages from denominator {}",
        p.frequency.min_count, if p.frequency.suppress { "suppress" } else { "rely on rounding, verified" },
        p.protection.min_width, p.rounding.base, p.percentages.min_denominator);
    let _ = writeln!(
        s,
        "  - stacking count published as {}",
        p.stacking_description()
    );
    let _ = writeln!(s, "- output: `{}`, {} rows\n", out.display(), rows);
    for t in &run.tables {
        let m = &t.summary;
        let suppressed: usize = m.primary.values().sum::<usize>() + m.secondary;
        let _ = writeln!(s, "## {} table, {}\n", m.kind, m.year);
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(s, "| cells written | {} |", m.publishable);
        for (rule, n) in &m.primary {
            let _ = writeln!(s, "| primary suppression: {rule} | {n} |");
        }
        let _ = writeln!(s, "| secondary suppression | {} |", m.secondary);
        if m.hidden_by_rounding > 0 {
            let _ = writeln!(
                s,
                "| sensitive cells published rounded (rounding verified to hide them) | {} |",
                m.hidden_by_rounding
            );
        }
        let _ = writeln!(
            s,
            "| information loss: cells suppressed | {} ({:.2} %) |",
            suppressed,
            100.0 * suppressed as f64 / m.publishable.max(1) as f64
        );
        let _ = writeln!(
            s,
            "| information loss: {} in suppressed cells at the finest level | {:.3} % |",
            if m.kind == "stacking" {
                "persons"
            } else {
                "sum"
            },
            100.0 * m.hidden_share
        );
        let a = &m.attack;
        let _ = writeln!(
            s,
            "| attacker check | {} |",
            if a.passed() { "PASSED" } else { "FAILED" }
        );
        let _ = writeln!(
            s,
            "| - sensitive cells proven hidden | {} |",
            a.sensitive_checked
        );
        let _ = writeln!(
            s,
            "| - suppressed cells proven not recoverable | {} |",
            a.secondary_checked
        );
        let _ = writeln!(
            s,
            "| - proofs by box perturbation / by LP | {} / {} |",
            a.proven_by_boxes, a.proven_by_lp
        );
        let _ = writeln!(s, "| - largest LP (variables) | {} |", a.largest_lp);
        let _ = writeln!(
            s,
            "| time: suppression and check | {:.2} s |\n",
            m.sdc_time.as_secs_f64()
        );
    }
    let _ = writeln!(s, "## Time\n");
    let _ = writeln!(s, "| phase | seconds |\n|---|---|");
    for (phase, d) in [
        ("read and count", timings.read),
        ("build tables", timings.build),
        ("disclosure control", timings.sdc),
        ("write CSV", timings.write),
        ("total", timings.total),
    ] {
        let _ = writeln!(s, "| {phase} | {:.2} |", d.as_secs_f64());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_plainly() {
        assert_eq!(number(120.0), "120");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-3.0), "-3");
    }
}
