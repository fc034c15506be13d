//! `kwm demo`, `init`, `ingest`, `compute`, `serve`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::Args;
use kwm_ingest::{Format, ReadOptions};
use kwm_monitor::ingest::{ingest_files_as, IngestReport, LoadAs};
use kwm_monitor::risk::{ComputeOutcome, ComputeStatus};
use kwm_monitor::MonitorError;
use kwm_store::{LoadOutcome, Store, StoreLocation};

use crate::CatalogueArg;

/// Arguments of `kwm ingest`.
#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Store: a SQLite file (created when missing) or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// Input format; detected from name and content when not given.
    #[arg(long, value_parser = ["statline", "statline-labels", "kwb-map", "long", "regions", "changes", "geojson", "topojson"])]
    format: Option<String>,
    /// Period for files that carry none (e.g. a StatLine table not in the catalogue).
    #[arg(long)]
    period: Option<i32>,
    /// Region layout year, overriding what files say.
    #[arg(long)]
    layout: Option<i32>,
    /// StatLine table id when the file name does not contain it.
    #[arg(long)]
    table: Option<String>,
    /// Also load the numeric StatLine-keyed properties of boundary features
    /// (`AantalInwoners_5`, …) as figures of the boundaries' layout year; `--table` names
    /// the StatLine table they come from.
    #[arg(long)]
    boundary_figures: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Refuse a file larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = kwm_ingest::Limits::default().max_file_bytes)]
    max_file_size: u64,
    /// Refuse a CSV record with more fields than this.
    #[arg(long, value_name = "N", default_value_t = kwm_ingest::Limits::default().max_columns)]
    max_columns: usize,
    /// Refuse a CSV field longer than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = kwm_ingest::Limits::default().max_field_bytes)]
    max_field_length: usize,
    /// Refuse a boundary feature with more positions than this (a file: 20 times as many).
    #[arg(long, value_name = "N", default_value_t = kwm_ingest::Limits::default().max_vertices)]
    max_vertices: usize,
    #[command(flatten)]
    catalogue: CatalogueArg,
    #[command(flatten)]
    access: crate::access_cmds::IngestAccess,
    /// Files to load. StatLine DataProperties JSON files among them describe the others.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// A monitor error as the user should read it: ingest errors are exactly `FILE:LINE:COL: ...`.
fn explain(e: MonitorError) -> anyhow::Error {
    match e {
        MonitorError::Ingest(e) => anyhow!("{e}\nnothing was stored"),
        MonitorError::Catalogue(e) => anyhow!("{e}\ncatalogue invalid; nothing was done"),
        other => anyhow!("{other}"),
    }
}

fn open_store(db: &StoreLocation) -> anyhow::Result<Box<dyn Store + Send>> {
    // The cause goes into the message itself: main prints only the outermost error.
    db.open()
        .map_err(|e| anyhow!("cannot open store {db}: {e}"))
}

/// `kwm init`
pub fn init(db: &StoreLocation) -> anyhow::Result<()> {
    open_store(db)?;
    println!("store ready: {db}");
    Ok(())
}

fn print_report(report: &IngestReport) {
    for f in &report.files {
        match &f.outcome {
            LoadOutcome::AlreadyLoaded { load_id, loaded_at } => {
                println!(
                    "{}: already loaded (load {load_id}, {loaded_at}); nothing changed",
                    f.file_name
                );
            }
            LoadOutcome::Loaded {
                load_id,
                inserted,
                replaced,
            } => {
                println!(
                    "{}: loaded as {} (load {load_id}) — dataset {}, {} rows, {} observations ({inserted} new, {replaced} replaced), {} regions, {} boundaries, {} indicators, periods [{}], levels [{}]",
                    f.file_name,
                    f.format,
                    f.dataset,
                    f.rows,
                    f.observations,
                    f.regions,
                    f.boundaries,
                    f.indicators,
                    f.periods.iter().map(i32::to_string).collect::<Vec<_>>().join(", "),
                    f.levels.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", "),
                );
            }
        }
        for n in &f.notes {
            println!("  note: {n}");
        }
    }
    if report.parents_derived > 0 {
        println!(
            "derived the province of {} gemeente(n) from boundaries or other layouts",
            report.parents_derived
        );
    }
}

fn run_ingest(
    db: &StoreLocation,
    files: &[PathBuf],
    options: &ReadOptions,
    catalogue: &CatalogueArg,
    who: &LoadAs,
) -> anyhow::Result<IngestReport> {
    let (catalogue, _) =
        kwm_monitor::catalogue::resolve(catalogue.catalogue.as_deref()).map_err(explain)?;
    // A refused load changes nothing — not even by leaving behind a new, empty store file.
    let created = match db {
        StoreLocation::Sqlite(path) if !path.exists() => Some(path.clone()),
        _ => None,
    };
    let mut store = open_store(db)?;
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("loading {} file(s)", files.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let result = ingest_files_as(
        &mut *store,
        &catalogue,
        files,
        options,
        &crate::now_rfc3339(),
        who,
    );
    spinner.finish_and_clear();
    drop(store);
    if let (Err(_), Some(path)) = (&result, created) {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
    result.map_err(explain)
}

/// `kwm ingest`
pub fn ingest(args: &IngestArgs) -> anyhow::Result<()> {
    let options = ReadOptions {
        format: args.format.as_deref().and_then(Format::parse),
        period: args.period,
        layout: args.layout,
        table: args.table.clone(),
        boundary_figures: args.boundary_figures,
        limits: kwm_ingest::Limits {
            max_file_bytes: args.max_file_size,
            max_columns: args.max_columns,
            max_field_bytes: args.max_field_length,
            max_vertices: args.max_vertices,
        },
    };
    let report = run_ingest(
        &args.db,
        &args.files,
        &options,
        &args.catalogue,
        &args.access.load_as(),
    )?;
    if args.access.restricted {
        for f in &report.files {
            if let LoadOutcome::AlreadyLoaded { load_id, .. } = &f.outcome {
                eprintln!(
                    "warning: {} was loaded before (load {load_id}) and keeps its access; change it with `kwm access --db {} --load {load_id} --restricted --reason TEXT`",
                    f.file_name, args.db
                );
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Arguments of `kwm compute`.
#[derive(Args, Debug)]
pub struct ComputeArgs {
    /// Store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// Level to compute (default: every level the catalogue defines characteristics for).
    #[arg(long, value_parser = ["provincie", "ggd", "gemeente", "wijk", "buurt"])]
    level: Option<String>,
    /// Period to compute (default: every period with figures for some characteristic).
    #[arg(long)]
    period: Option<i32>,
    /// Recompute even when the stored results are up to date.
    #[arg(long)]
    force: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    catalogue: CatalogueArg,
    #[command(flatten)]
    method: MethodArgs,
    /// Print how long each phase took.
    #[arg(long)]
    timings: bool,
}

/// Overrides of the catalogue's `method.toml` for one `kwm compute`. Results computed with
/// them record them (and their fingerprint differs from the catalogue's, so a server running
/// with the catalogue's method marks them out of date); to make a method the default, edit
/// `method.toml`.
#[derive(Args, Debug, Default)]
pub struct MethodArgs {
    /// Normalisation of the characteristic scores in the composite.
    #[arg(long, value_parser = ["percent_rank", "min_max", "z_score", "exponential_rank"])]
    normalisation: Option<String>,
    /// Weights of the characteristics in the composite (matrix: through the characteristic ×
    /// theme matrix).
    #[arg(long, value_parser = ["equal", "matrix"])]
    weighting: Option<String>,
    /// Aggregation of the composite.
    #[arg(long, value_parser = ["arithmetic", "geometric"])]
    aggregation: Option<String>,
    /// Monte Carlo runs N of the rank-uncertainty analysis (0 = off).
    #[arg(long)]
    runs: Option<usize>,
    /// Seed of the Monte Carlo runs.
    #[arg(long)]
    seed: Option<u64>,
    /// Permutations of the cluster statistics (0 = no clusters).
    #[arg(long)]
    permutations: Option<usize>,
    /// Seed of the cluster permutations.
    #[arg(long)]
    cluster_seed: Option<u32>,
}

impl MethodArgs {
    fn any(&self) -> bool {
        self.normalisation.is_some()
            || self.weighting.is_some()
            || self.aggregation.is_some()
            || self.runs.is_some()
            || self.seed.is_some()
            || self.permutations.is_some()
            || self.cluster_seed.is_some()
    }

    /// Applies the overrides to the catalogue's method parameters.
    fn apply(&self, catalogue: &mut kwm_model::catalogue::Catalogue) -> anyhow::Result<()> {
        use kwm_model::risk::{AggregationChoice, NormalisationChoice, WeightingChoice};
        let m = &mut catalogue.risk.method;
        // clap restricts the values, so the parses succeed.
        if let Some(n) = self
            .normalisation
            .as_deref()
            .and_then(NormalisationChoice::parse)
        {
            m.composite.normalisation = n;
        }
        if let Some(w) = self.weighting.as_deref().and_then(WeightingChoice::parse) {
            m.composite.weighting = w;
        }
        if let Some(a) = self
            .aggregation
            .as_deref()
            .and_then(AggregationChoice::parse)
        {
            m.composite.aggregation = a;
        }
        if let Some(r) = self.runs {
            if r == 1 {
                return Err(anyhow!("--runs: expected 0 (off) or at least 2, found 1"));
            }
            m.uncertainty.runs = r;
        }
        if let Some(s) = self.seed {
            m.uncertainty.seed = s;
        }
        if let Some(p) = self.permutations {
            m.clusters.permutations = p;
        }
        if let Some(s) = self.cluster_seed {
            m.clusters.seed = s;
        }
        Ok(())
    }
}

fn fmt_index(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{v:.2}"))
}

fn print_analyses(summary: &kwm_monitor::risk::RunSummary) {
    if let Some(c) = &summary.composite {
        println!("  composite: {}", c.description);
        let moved: Vec<String> = c
            .methods
            .iter()
            .skip(1)
            .map(|m| match (&m.error, m.mean_abs_shift) {
                (Some(e), _) => format!("{}: not applicable ({e})", m.key),
                (None, Some(shift)) => format!(
                    "{}: mean shift {shift:.1}, >10 places {}",
                    m.key,
                    m.moved_more_than
                        .iter()
                        .find(|(t, _)| *t == 10)
                        .map_or(0, |x| x.1)
                ),
                (None, None) => format!("{}: no regions to compare", m.key),
            })
            .collect();
        if !moved.is_empty() {
            println!("  ranks under other methods: {}", moved.join("; "));
        }
        match (&c.uncertainty, &c.uncertainty_error) {
            (Some(u), _) => {
                let indices: Vec<String> = u
                    .indices
                    .iter()
                    .map(|i| {
                        format!(
                            "{} {}/{}",
                            i.factor,
                            fmt_index(i.first_order),
                            fmt_index(i.total)
                        )
                    })
                    .collect();
                println!(
                    "  rank uncertainty: {} composites (seed {}), median width of the 90% rank interval {}{}",
                    u.total_runs,
                    u.seed,
                    u.median_interval_width.map_or("–".into(), |w| format!("{w:.1}")),
                    if indices.is_empty() {
                        String::new()
                    } else {
                        format!("; sensitivity (first-order/total): {}", indices.join(", "))
                    }
                );
            }
            (None, Some(e)) => println!("  rank uncertainty: not computed: {e}"),
            (None, None) => println!("  rank uncertainty: switched off"),
        }
    }
    if let Some(cl) = &summary.clusters {
        match &cl.note {
            Some(n) => println!("  clusters: {n}"),
            None => {
                let vars: Vec<String> = cl
                    .variables
                    .iter()
                    .map(|v| {
                        let moran = v
                            .global
                            .as_ref()
                            .map_or(String::new(), |g| format!(" (Moran's I {:.2})", g.i));
                        if v.errors.is_empty() {
                            format!("{}{moran}", v.variable)
                        } else {
                            format!("{}{moran}: {}", v.variable, v.errors.join("; "))
                        }
                    })
                    .collect();
                println!(
                    "  clusters (LISA, G_i*; {} permutations, queen, {} links{}): {}",
                    cl.settings.permutations,
                    cl.links,
                    if cl.without_boundary.is_empty() {
                        String::new()
                    } else {
                        format!(", {} regions without a boundary", cl.without_boundary.len())
                    },
                    vars.join(", ")
                );
            }
        }
    }
}

fn print_compute(outcomes: &[ComputeOutcome], timings: bool) {
    if outcomes.is_empty() {
        println!("no level and period has figures for any characteristic of the catalogue; nothing computed");
    }
    for o in outcomes {
        let head = format!("{} {}", o.level, o.period);
        match (o.status, &o.run, &o.summary) {
            (ComputeStatus::TooFewRegions, _, _) => {
                println!(
                    "{head}: fewer than {} regions have figures; not ranked, nothing stored",
                    kwm_monitor::risk::MIN_RANKED_REGIONS
                );
            }
            (ComputeStatus::NoData, _, _) => {
                println!("{head}: no figures for any characteristic; nothing stored");
            }
            (status, Some(run), Some(summary)) => {
                let what = match status {
                    ComputeStatus::Computed => "computed and stored".to_string(),
                    _ => format!("up to date (computed {}); nothing changed", run.computed_at),
                };
                let counts: Vec<String> = summary
                    .distribution
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(k, n)| format!("{k}: {n}"))
                    .collect();
                println!(
                    "{head}: {what} — {} regions, {} of {} characteristics with data ({}); regions by number of flagged characteristics: {}; {} without data; catalogue {}, fingerprint {} (run {})",
                    summary.regions,
                    summary.characteristics_with_data.len(),
                    summary.distribution.len().saturating_sub(1),
                    summary.characteristics_with_data.join(", "),
                    if counts.is_empty() { "none".to_string() } else { counts.join(", ") },
                    summary.no_data,
                    run.catalogue_version,
                    &run.fingerprint[..12.min(run.fingerprint.len())],
                    run.id,
                );
                if status == ComputeStatus::Computed {
                    print_analyses(summary);
                }
                if timings && !o.timings.is_empty() {
                    let parts: Vec<String> = o
                        .timings
                        .iter()
                        .map(|(p, s)| format!("{p} {s:.3} s"))
                        .collect();
                    println!("  timings: {}", parts.join(", "));
                }
            }
            _ => println!("{head}: {:?}", o.status),
        }
    }
}

fn run_compute(
    db: &StoreLocation,
    catalogue: &CatalogueArg,
    method: &MethodArgs,
    level: Option<kwm_model::Level>,
    period: Option<i32>,
    force: bool,
) -> anyhow::Result<Vec<ComputeOutcome>> {
    if db.is_missing() {
        return Err(anyhow!(
            "store {db} does not exist; load figures first with `kwm ingest --db {db} FILES`"
        ));
    }
    let (mut catalogue, _) =
        kwm_monitor::catalogue::resolve(catalogue.catalogue.as_deref()).map_err(explain)?;
    if method.any() {
        method.apply(&mut catalogue)?;
        println!("method overridden on the command line; the results record it (a server running with the catalogue's method.toml shows them as out of date)");
    }
    let mut store = open_store(db)?;
    kwm_monitor::risk::compute_all(
        &mut *store,
        &catalogue,
        level,
        period,
        &crate::now_rfc3339(),
        force,
    )
    .map_err(explain)
}

/// `kwm compute`
pub fn compute(args: &ComputeArgs) -> anyhow::Result<()> {
    let level = args
        .level
        .as_deref()
        .map(kwm_monitor::query::parse_level)
        .transpose()
        .map_err(explain)?;
    let started = std::time::Instant::now();
    let outcomes = run_compute(
        &args.db,
        &args.catalogue,
        &args.method,
        level,
        args.period,
        args.force,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
    } else {
        print_compute(&outcomes, args.timings);
        if args.timings {
            println!("total {:.2} s", started.elapsed().as_secs_f64());
        }
    }
    if level.is_some()
        && args.period.is_some()
        && outcomes.iter().all(|o| {
            matches!(
                o.status,
                ComputeStatus::NoData | ComputeStatus::TooFewRegions
            )
        })
    {
        return Err(anyhow!(
            "nothing to compute: no characteristic has figures at that level and period"
        ));
    }
    Ok(())
}

/// The demo files, in load order: region lists, change table and boundaries first, then figures.
const DEMO_FILES: &[&str] = &[
    "codelists/gemeenten_2019.csv",
    "codelists/gemeenten_2021_provincie.csv",
    "codelists/wijken_2023.csv",
    "changes/gemeentelijke_indelingswijzigingen_2019_2024.csv",
    "boundaries/provincie_2023_cartomap_wgs84.topojson",
    "boundaries/gemeente_2019_haaren_cbs_wijk2017.geojson",
    "boundaries/gemeente_2022_cartomap_wgs84.topojson",
    "boundaries/gemeente_2023_cartomap_wgs84.topojson",
    "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
    "boundaries/wijk_2017_amsterdam_cbs.geojson",
    "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
    "kwb/85984NED_DataProperties.json",
    "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
    "kwb/kwb_2019_gemeente_bevolking_long.csv",
    "kwb_amsterdam/kwb_2017_amsterdam_gemeente_wijk_buurt.csv",
    "kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv",
    // The whole country: adults (2012, 2016, 2020) and the elderly (2016, 2020) down to buurt
    // (RIVM small-area estimates), KWB 2020 per gemeente, KWB 2024 ages for every level, and
    // the 2022 wijk boundaries that the 2020 wijk figures are drawn on.
    "boundaries/wijk_2022_pdok_gegeneraliseerd.geojson",
    "kwb/kwb_2020_gemeente_wijkbuurtkaart.csv",
    "kwb/kwb_2024_85984NED_alle_niveaus_leeftijd.csv",
    "rivm/50090NED_2012_18plus.csv",
    "rivm/50090NED_2016_18plus.csv",
    "rivm/50090NED_2020_18plus.csv",
    "rivm/50090NED_2016_65plus.csv",
    "rivm/50090NED_2020_65plus.csv",
    // SYNTHETIC person-level stacking (invented persons; see data/synthetic/README.md), so the
    // page "Stapeling per persoon" has something to show. Its ids say synthetic_ everywhere.
    "synthetic/persons_stacking_synthetic_2024.csv",
];

/// The demo data directory: `--data`, else `./data`, else the repository's `data/`.
fn demo_data_dir(data: Option<&Path>) -> anyhow::Result<PathBuf> {
    let candidates: Vec<PathBuf> = match data {
        Some(d) => vec![d.to_path_buf()],
        None => vec![
            PathBuf::from("data"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data"),
        ],
    };
    candidates
        .into_iter()
        .find(|d| d.join(DEMO_FILES[0]).exists())
        .ok_or_else(|| {
            anyhow!("demo data not found: run from the repository root or pass --data DIR")
        })
}

/// The demo file list, for tests and the README.
pub fn demo_files(dir: &Path) -> Vec<PathBuf> {
    DEMO_FILES.iter().map(|f| dir.join(f)).collect()
}

/// `kwm demo`
pub fn demo(
    addr: &str,
    db: &StoreLocation,
    data: Option<&Path>,
    catalogue: &CatalogueArg,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let dir = demo_data_dir(data)?;
    let report = run_ingest(
        db,
        &demo_files(&dir),
        &ReadOptions::default(),
        catalogue,
        &LoadAs {
            actor: crate::access_cmds::cli_actor(),
            access: None,
        },
    )?;
    let loaded = report
        .files
        .iter()
        .filter(|f| matches!(f.outcome, LoadOutcome::Loaded { .. }))
        .count();
    println!(
        "demo store {db}: {loaded} file(s) loaded, {} already present ({:.1} s)",
        report.files.len() - loaded,
        started.elapsed().as_secs_f64()
    );
    harmonise_demo(db, catalogue)?;
    // The stacking pages need results: compute what is missing or out of date.
    let started = std::time::Instant::now();
    let outcomes = run_compute(db, catalogue, &MethodArgs::default(), None, None, false)?;
    print_compute(&outcomes, false);
    println!(
        "risk model, composite analyses and clusters ready ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    serve(db, addr, catalogue, &ServeLimits::default(), None, None)
}

/// Harmonises the demo's series onto every layout that some period is published in, so each
/// period's own regions have a series (the newest layout included). Skips work already done.
fn harmonise_demo(db: &StoreLocation, catalogue: &CatalogueArg) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let (catalogue, _) =
        kwm_monitor::catalogue::resolve(catalogue.catalogue.as_deref()).map_err(explain)?;
    let mut store = open_store(db)?;
    let targets = kwm_monitor::harmonise::default_targets(&*store).map_err(explain)?;
    let reports = crate::time_cmds::run_harmonise(&mut *store, &catalogue, &targets)?;
    let ran = reports.iter().filter(|r| r.ran).count();
    println!(
        "harmonised onto layouts {} ({ran} updated, {:.1} s)",
        targets
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Limits of `kwm serve` (defaults: [`kwm_server::HardeningConfig::default`]).
#[derive(clap::Args, Clone, Debug)]
pub struct ServeLimits {
    /// Requests per minute per client (IPv4 address or IPv6 /64) on /api/*, sustained; beyond it
    /// 429 with Retry-After. 0 turns the limit off (e.g. behind a proxy that limits).
    #[arg(long, value_name = "N", default_value_t = kwm_server::HardeningConfig::default().api_requests_per_minute)]
    pub rate_limit: u32,
    /// Requests a client may make to /api/* in a burst before the sustained rate applies.
    #[arg(long, value_name = "N", default_value_t = kwm_server::HardeningConfig::default().api_burst)]
    pub rate_burst: u32,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, value_name = "SECONDS", default_value_t = kwm_server::HardeningConfig::default().request_timeout.as_secs())]
    pub request_timeout: u64,
    /// Seconds a client may take to send its request headers (and an idle connection stays open).
    #[arg(long, value_name = "SECONDS", default_value_t = kwm_server::HardeningConfig::default().header_read_timeout.as_secs())]
    pub header_timeout: u64,
}

impl Default for ServeLimits {
    fn default() -> Self {
        let d = kwm_server::HardeningConfig::default();
        ServeLimits {
            rate_limit: d.api_requests_per_minute,
            rate_burst: d.api_burst,
            request_timeout: d.request_timeout.as_secs(),
            header_timeout: d.header_read_timeout.as_secs(),
        }
    }
}

impl ServeLimits {
    fn config(&self) -> kwm_server::HardeningConfig {
        kwm_server::HardeningConfig {
            api_requests_per_minute: self.rate_limit,
            api_burst: self.rate_burst,
            request_timeout: std::time::Duration::from_secs(self.request_timeout.max(1)),
            header_read_timeout: std::time::Duration::from_secs(self.header_timeout.max(1)),
            ..kwm_server::HardeningConfig::default()
        }
    }
}

/// The `[oidc]` table of a configuration file (other tables are left to their readers), checked.
fn read_oidc(path: &Path) -> anyhow::Result<kwm_server::oidc::Oidc> {
    // `kwm` prints only the outermost error, so each message names the file itself.
    let file = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("cannot read {file}: {e}"))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| anyhow!("{file}: {e}"))?;
    let oidc = table
        .remove("oidc")
        .ok_or_else(|| anyhow!("{file}: no [oidc] table"))?;
    oidc_from_table(path, oidc)
}

/// Sign-in configured by an `[oidc]` table of `path`.
fn oidc_from_table(path: &Path, oidc: toml::Value) -> anyhow::Result<kwm_server::oidc::Oidc> {
    let file = path.display();
    let config: kwm_server::oidc::OidcConfig = oidc
        .try_into()
        .map_err(|e| anyhow!("{file}: [oidc]: {e}"))?;
    kwm_server::oidc::Oidc::new(config).map_err(|e| anyhow!("{file}: {e}"))
}

fn state_is_public(access_line: &str) -> bool {
    access_line == kwm_server::auth::PUBLIC_ONLY
}

/// Caps glibc's malloc arenas at two before the server starts its threads.
///
/// Why: store reads run on tokio's blocking threads, and glibc gives each new thread its own
/// arena (up to 8 per core). A page that reads a whole level's figures (the stacking page) leaves
/// freed memory behind in whichever arena served it, so resident memory grew with every burst of
/// concurrent requests: measured on the national demo store with the release build, 600 stacking
/// pages at concurrency 16 left 287 MB anonymous memory and still growing, against 127 MB and
/// flat with two arenas (`bench/store/memory.sh`). The `MALLOC_ARENA_MAX` environment variable,
/// when set, still wins.
fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes allocator tuning; it is called before the runtime's
        // threads exist and its return value (0 = refused) leaves the default in place.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// `kwm serve`
pub fn serve(
    db: &StoreLocation,
    addr: &str,
    catalogue: &CatalogueArg,
    limits: &ServeLimits,
    auth: Option<&Path>,
    oidc: Option<&Path>,
) -> anyhow::Result<()> {
    let auth_config = auth
        .map(kwm_server::auth::AuthConfig::read)
        .transpose()
        .map_err(|e| anyhow!("{e}"))?;
    // Sign-in from `--oidc FILE`, else from the `[oidc]` table of the `--auth` file.
    let oidc = match (
        oidc,
        auth.zip(auth_config.as_ref().and_then(|c| c.oidc.clone())),
    ) {
        (Some(path), _) => Some(read_oidc(path)?),
        (None, Some((path, table))) => Some(oidc_from_table(path, toml::Value::Table(table))?),
        (None, None) => None,
    };
    // Sign-in alone is access control too: its sessions are principals of the access layer.
    let auth_config = match (auth_config, &oidc) {
        (None, Some(_)) => Some(kwm_server::auth::AuthConfig {
            tokens: Default::default(),
            trusted_proxy: None,
            oidc: Some(toml::Table::new()),
        }),
        (config, _) => config,
    };
    if db.is_missing() {
        return Err(anyhow!(
            "store {db} does not exist; create it with `kwm init --db {db}` or `kwm ingest`"
        ));
    }
    let (catalogue, source) =
        kwm_monitor::catalogue::resolve(catalogue.catalogue.as_deref()).map_err(explain)?;
    {
        // Labels, units and directions follow the catalogue the server runs with.
        let mut store = open_store(db)?;
        kwm_monitor::ingest::sync_catalogue(&mut *store, &catalogue).map_err(explain)?;
    }
    let mut state = kwm_server::AppState::new(db.clone(), catalogue, source);
    let access_line = match auth_config {
        Some(config) => {
            let line = config.describe();
            state = state.with_auth(config);
            line
        }
        None => kwm_server::auth::PUBLIC_ONLY.to_string(),
    };
    let issuer = oidc.as_ref().map(|o| o.config().issuer.clone());
    if let Some(oidc) = oidc {
        state = state.with_oidc(oidc);
    }
    cap_malloc_arenas();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        // Before the line that says the server is up: a SIGTERM right after it must stop the
        // server cleanly, not kill it.
        let shutdown = kwm_server::shutdown_signal();
        println!("Kwetsbaarheidsmonitor: http://{local}/  (Ctrl-C stops)");
        {
            // Not println!: a caller that read only the first line may have closed the pipe,
            // and the server must not die of that. After the line above: scripts take the
            // first address printed as the server's.
            use std::io::Write as _;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "{access_line}");
            if let Some(issuer) = &issuer {
                let _ = writeln!(out, "sign-in: OpenID Connect, issuer {issuer}");
            }
            if !local.ip().is_loopback() && state_is_public(&access_line) {
                // Every public figure in the store is shown to whoever reaches this port.
                let _ = writeln!(
                    out,
                    "note: listening beyond this machine ({local}); the server has no sign-in"
                );
            }
            let _ = out.flush();
        }
        kwm_server::serve(listener, state, limits.config(), shutdown).await?;
        Ok(())
    })
}
