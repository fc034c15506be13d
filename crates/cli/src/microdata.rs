//! `kwm microdata`: synthetic person files and person-level stacking tables with disclosure
//! control. Argument parsing and printing only; the work is in `kwm-microdata`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use kwm_microdata::aggregate::parse_by;
use kwm_microdata::generate::{GenerateOptions, Generator, DEFAULT_PERSONS};
use kwm_microdata::output::{report, write_long_csv, Timings};
use kwm_microdata::run::stack_file;
use kwm_microdata::sdc::profile::{Profile, StackDetail};
use kwm_microdata::stack::StackSpec;
use kwm_microdata::{Combination, ErrorPolicy, ReadConfig};

/// Person-level microdata: synthetic populations and disclosure-controlled stacking tables.
#[derive(Args)]
pub struct MicrodataArgs {
    // Boxed so the `kwm` command enum stays small.
    #[command(subcommand)]
    command: Box<MicrodataCommand>,
}

#[derive(Subcommand)]
enum MicrodataCommand {
    /// Generate a SYNTHETIC national population (for tests and benchmarks; not real persons).
    Generate(GenerateArgs),
    /// Count persons by number of stacked risk characteristics per region and breakdown, and
    /// write only tables that pass disclosure control.
    Stack(StackArgs),
}

#[derive(Args)]
struct GenerateArgs {
    /// Number of persons (default: the Dutch population on 1 January 2024).
    #[arg(long, default_value_t = DEFAULT_PERSONS)]
    persons: u64,
    /// Random seed; the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Reference year written in every record.
    #[arg(long, default_value_t = 2024)]
    year: i32,
    /// Output file: `.parquet` or `.csv`.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct StackArgs {
    /// Person file (`.parquet` or CSV).
    #[arg(long)]
    input: PathBuf,
    /// Region level first, then breakdowns: `gemeente[,age_class][,ses_class][,sex][,migration][,household]`;
    /// `wijk`/`buurt` add the levels above as margins.
    #[arg(long)]
    by: String,
    /// Output long CSV (loads with `kwm ingest`).
    #[arg(long)]
    out: PathBuf,
    /// Disclosure-control profile: `default`, `cbs-income` or a TOML file.
    #[arg(long, default_value = "default")]
    profile: String,
    /// Top-coding of the stacking count: publish 0 … N−1 and N+ (overrides the profile's
    /// `stacking.top`; the default profile has 3: 0, 1, 2, 3+).
    #[arg(long, value_name = "N")]
    stack_top: Option<u8>,
    /// Where the detailed counts N … 12 are published as well: `never`, `gemeente_totals`
    /// (Nederland and gemeenten without breakdown) or `all` (overrides `stacking.detail`).
    #[arg(long, value_name = "WHERE")]
    stack_detail: Option<String>,
    /// Reading configuration (column names, classes, characteristic thresholds), TOML.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Count persons having all characteristics of a combination, e.g. `buffer+psych`; repeatable.
    #[arg(long = "combination")]
    combinations: Vec<String>,
    /// Numeric column whose mean is published per cell (a magnitude table, with dominance rules).
    #[arg(long)]
    measure: Option<String>,
    /// Also write percentages (computed from published figures only).
    #[arg(long)]
    percentages: bool,
    /// Bad rows that may be dropped (each counted and reported); one more stops the run.
    #[arg(long, default_value_t = 0)]
    max_errors: u64,
    /// Report file (Markdown); default: OUT with `.report.md`.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// Runs a `kwm microdata` command.
pub fn run(args: MicrodataArgs) -> anyhow::Result<()> {
    match *args.command {
        MicrodataCommand::Generate(a) => generate(a),
        MicrodataCommand::Stack(a) => stack(a),
    }
}

fn generate(a: GenerateArgs) -> anyhow::Result<()> {
    if a.persons == 0 {
        bail!("--persons must be at least 1");
    }
    println!(
        "SYNTHETIC population: {} persons, seed {}, not real persons",
        a.persons, a.seed
    );
    let g = Generator::new(GenerateOptions {
        persons: a.persons,
        seed: a.seed,
        year: a.year,
    });
    let s = g.write(&a.out)?;
    println!(
        "wrote {} (SYNTHETIC) in {:.1} s: {} persons in {} synthetic buurten",
        a.out.display(),
        s.time.as_secs_f64(),
        s.persons,
        s.buurten
    );
    let stack: Vec<String> = s
        .stacking
        .iter()
        .enumerate()
        .map(|(k, p)| format!("{k}: {:.1} %", 100.0 * p))
        .collect();
    println!("stacking (SYNTHETIC): {}", stack.join(", "));
    Ok(())
}

fn load_profile(name: &str) -> anyhow::Result<Profile> {
    if let Some(p) = Profile::built_in(name) {
        return Ok(p);
    }
    let text = std::fs::read_to_string(name).with_context(|| {
        format!(
            "--profile '{name}' is neither a built-in profile ({}) nor a readable file",
            Profile::BUILT_IN.join(", ")
        )
    })?;
    Profile::parse(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

fn stack(a: StackArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut profile = load_profile(&a.profile)?;
    // Command-line top-coding goes through the profile's own validation, so it can be no
    // looser than a profile file could be.
    if a.stack_top.is_some() || a.stack_detail.is_some() {
        let top = a.stack_top.unwrap_or(profile.stacking.top);
        let detail = match &a.stack_detail {
            Some(d) => StackDetail::parse(d).map_err(|e| anyhow::anyhow!("--stack-detail: {e}"))?,
            None => profile.stacking.detail,
        };
        profile = profile
            .with_stacking(top, detail)
            .map_err(|e| anyhow::anyhow!("--stack-top: {e}"))?;
    }
    let cfg = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            ReadConfig::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => ReadConfig::default(),
    };
    let (level, breakdowns) = parse_by(&a.by).map_err(anyhow::Error::msg)?;
    let combinations = a
        .combinations
        .iter()
        .map(|c| Combination::parse(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let spec = StackSpec {
        level,
        breakdowns,
        combinations,
        measure: a.measure.clone(),
        percentages: a.percentages,
        prefix: "mds_".into(),
    };
    let run = stack_file(
        &a.input,
        &cfg,
        spec,
        profile,
        ErrorPolicy {
            max_errors: a.max_errors,
        },
    )?;
    if run.read.synthetic {
        println!(
            "input is SYNTHETIC: indicators are written as {}…",
            run.spec.prefix
        );
    }
    for line in run.read.drops.lines() {
        eprintln!("warning: {line}");
    }
    let rows = run.rows();
    let write_started = Instant::now();
    write_long_csv(&a.out, &rows)?;
    let timings = Timings {
        read: run.read.time,
        build: run.build_time,
        sdc: run.tables.iter().map(|t| t.summary.sdc_time).sum(),
        write: write_started.elapsed(),
        total: started.elapsed(),
    };
    let report_path = a
        .report
        .clone()
        .unwrap_or_else(|| a.out.with_extension("report.md"));
    std::fs::write(&report_path, report(&run, &a.out, rows.len(), &timings))
        .with_context(|| format!("cannot write {}", report_path.display()))?;
    for t in &run.tables {
        let m = &t.summary;
        let primary: usize = m.primary.values().sum();
        println!(
            "{} {}: {} cells, {} primary + {} secondary suppressions, attacker check {} ({} sensitive cells proven)",
            m.kind,
            m.year,
            m.publishable,
            primary,
            m.secondary,
            if m.attack.passed() { "passed" } else { "FAILED" },
            m.attack.sensitive_checked
        );
    }
    println!(
        "wrote {} ({} rows from {} persons, {} rows dropped) and {} in {:.1} s",
        a.out.display(),
        rows.len(),
        run.persons,
        run.read.drops.dropped,
        report_path.display(),
        timings.total.as_secs_f64()
    );
    Ok(())
}
