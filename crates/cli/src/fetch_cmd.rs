//! `kwm fetch`: argument parsing and printing; the work is in `kwm_fetch`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use kwm_fetch::{FetchConfig, Fetcher, HttpConfig, Progress};
use kwm_model::Level;
use kwm_store::{LoadOutcome, StoreLocation};

/// Arguments of `kwm fetch`.
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Store: a SQLite file (created when missing) or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// StatLine tables to fetch (`85984NED`). Without tables, `--catalogue` fetches every
    /// table the catalogue names.
    tables: Vec<String>,
    /// Fetch every table the catalogue names (with `=DIR`: that catalogue directory; else
    /// ./catalogue when present, else the built-in copy) and say which risk characteristics
    /// each fills and which stay gaps.
    #[arg(long, value_name = "DIR", num_args = 0..=1, require_equals = true)]
    catalogue: Option<Option<PathBuf>>,
    /// Only the catalogue's tables of these sources (`kwb`, `jv`, `vo`); repeatable.
    #[arg(long = "source", value_name = "ID")]
    sources: Vec<String>,
    /// Only the catalogue's tables of these periods: `2024` or `2019..2024`.
    #[arg(long, value_name = "YEAR|FROM..TO")]
    periods: Option<String>,
    /// Only rows of these levels: `gemeente,wijk,buurt` (also `land`, `provincie`, `ggd`).
    #[arg(long, value_delimiter = ',', value_name = "LEVEL,…")]
    regions: Vec<Level>,
    /// Also fetch region boundaries of these levels (`gemeente,wijk,buurt`) for the layout
    /// year of every table fetched (PDOK, generalised, WGS84; `[[boundaries]]` in sources.toml).
    #[arg(long, value_delimiter = ',', value_name = "LEVEL,…")]
    boundaries: Vec<Level>,
    /// Boundary request template with `{level}` and `{year}`, replacing the catalogue's.
    /// Default: the environment variable KWM_FETCH_BOUNDARY_URL, else the catalogue's.
    #[arg(long, value_name = "URL")]
    boundary_url: Option<String>,
    /// Print the requests and the expected size; download no data and store nothing.
    #[arg(long)]
    dry_run: bool,
    /// Load only from the cache; send no request.
    #[arg(long)]
    offline: bool,
    /// OData v3 service root replacing the catalogue's (a mirror or proxy), the
    /// `…/ODataApi/odata` path to which the table id is appended. Default: the environment
    /// variable KWM_FETCH_BASE_URL, else the catalogue's services.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Cache directory for downloaded pages (kept until a table is complete, and after, so
    /// unchanged tables are not downloaded again and `--offline` works).
    #[arg(long, value_name = "DIR", default_value = "kwm-fetch-cache")]
    cache: PathBuf,
    /// Rows per request (at most the service's limit, 10,000 for CBS).
    #[arg(long, value_name = "N")]
    row_limit: Option<usize>,
    /// Timeout per request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
    /// Retries after a 429, a 5xx or a broken connection.
    #[arg(long, value_name = "N", default_value_t = 5)]
    retries: u32,
    /// First wait before a retry, in milliseconds (doubled each time; a server's
    /// Retry-After wins).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    backoff_ms: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_periods(raw: &str) -> anyhow::Result<(i32, i32)> {
    let bad = || anyhow!("--periods: expected a year or FROM..TO (2019..2024), found '{raw}'");
    match raw.split_once("..") {
        Some((a, b)) => {
            let (a, b): (i32, i32) = (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            );
            if a > b {
                return Err(bad());
            }
            Ok((a, b))
        }
        None => {
            let y = raw.trim().parse().map_err(|_| bad())?;
            Ok((y, y))
        }
    }
}

/// A bar per table: rows and pages so far (the total is not known before the last page).
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, table: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(table.to_string());
        bar.set_message("starting");
        bar.enable_steady_tick(Duration::from_millis(120));
        self.bars.lock().unwrap().insert(table.to_string(), bar);
    }
    fn rows(&self, table: &str, rows: u64, page: usize) {
        if let Some(b) = self.bars.lock().unwrap().get(table) {
            b.set_message(format!("{rows} rows, page {page}"));
        }
    }
    fn finish(&self, table: &str, summary: &str) {
        if let Some(b) = self.bars.lock().unwrap().remove(table) {
            b.finish_and_clear();
            let _ = self.multi.println(format!("{table}: {summary}"));
        }
    }
}

/// `kwm fetch`
pub fn run(args: &FetchArgs) -> anyhow::Result<()> {
    let catalogue_dir = args.catalogue.clone().flatten();
    let (catalogue, _) = kwm_monitor::catalogue::resolve(catalogue_dir.as_deref())
        .map_err(|e| anyhow!("{e}\ncatalogue invalid; nothing was done"))?;
    let config = FetchConfig {
        cache_dir: args.cache.clone(),
        base_url: args
            .base_url
            .clone()
            .or_else(|| std::env::var(kwm_fetch::BASE_URL_ENV).ok())
            .filter(|s| !s.is_empty()),
        offline: args.offline,
        levels: args.regions.clone(),
        row_limit: args.row_limit,
        http: HttpConfig {
            timeout: Duration::from_secs(args.timeout.max(1)),
            retries: args.retries,
            backoff: Duration::from_millis(args.backoff_ms),
            ..HttpConfig::default()
        },
    };
    let requests = if args.tables.is_empty() {
        if args.catalogue.is_none() {
            bail!("name the tables to fetch (kwm fetch --db STORE 85984NED), or pass --catalogue to fetch every table the catalogue names");
        }
        let periods = args.periods.as_deref().map(parse_periods).transpose()?;
        kwm_fetch::plan_catalogue(&catalogue, periods, &args.sources, &config)?
    } else {
        if args.periods.is_some() || !args.sources.is_empty() {
            bail!("--periods and --source choose among the catalogue's tables; without table ids (with --catalogue) only");
        }
        kwm_fetch::plan_tables(&catalogue, &args.tables, &config)?
    };
    if requests.is_empty() {
        bail!("no table to fetch: the catalogue names none for these periods and sources");
    }
    let mut years: Vec<i32> = requests.iter().filter_map(|r| r.layout).collect();
    years.sort_unstable();
    years.dedup();
    let template = args
        .boundary_url
        .clone()
        .or_else(|| std::env::var(kwm_fetch::BOUNDARY_URL_ENV).ok())
        .filter(|s| !s.is_empty());
    let boundaries =
        kwm_fetch::plan_boundaries(&catalogue, &args.boundaries, &years, template.as_deref())?;
    if !args.boundaries.is_empty() && boundaries.is_empty() {
        bail!("--boundaries: none of the tables has a layout year in the catalogue");
    }
    let fetcher = Fetcher::new(config);

    if args.dry_run {
        let mut plans = Vec::new();
        for r in &requests {
            plans.push(fetcher.dry_run(r)?);
        }
        if args.json {
            println!("{}", serde_json::to_string_pretty(&plans)?);
            return Ok(());
        }
        let (mut rows, mut bytes) = (0usize, 0u64);
        for p in &plans {
            let r = &p.request;
            println!(
                "{} ({}{}) Modified {}: {} rows, {} column(s), {} page(s) of at most {} rows, ~{}{}",
                r.table,
                r.source.as_deref().unwrap_or("not in the catalogue"),
                r.period.map(|p| format!(" {p}")).unwrap_or_default(),
                p.modified,
                p.rows.map_or("?".into(), |n| n.to_string()),
                p.columns.map_or("?".into(), |n| n.to_string()),
                p.pages.map_or("?".into(), |n| n.to_string()),
                r.row_limit,
                p.bytes_estimate.map_or("?".into(), human_bytes),
                if p.cached { "; unchanged and in the cache: nothing to download" } else { "" },
            );
            for u in &p.requests {
                println!("  GET {u}");
            }
            rows += p.rows.unwrap_or(0);
            bytes += p.bytes_estimate.unwrap_or(0);
        }
        for b in &boundaries {
            println!(
                "boundaries {} {}: GET {} (and the pages its `next` links name)",
                b.level.as_str(),
                b.year,
                b.url
            );
        }
        println!(
            "dry run: {} table(s), {rows} rows, ~{} of data; nothing downloaded or stored",
            plans.len(),
            human_bytes(bytes)
        );
        return Ok(());
    }

    let mut store = db_open(&args.db)?;
    let bars = Bars {
        multi: MultiProgress::new(),
        bars: Mutex::new(HashMap::new()),
    };
    let report = kwm_fetch::fetch_and_ingest(
        &mut *store,
        &catalogue,
        &fetcher,
        &requests,
        &boundaries,
        &bars,
        &crate::now_rfc3339(),
    )
    .map_err(|e| anyhow!("{e}\nnothing was stored"))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    for t in &report.tables {
        let stored = match &t.ingest.outcome {
            LoadOutcome::Loaded { load_id, inserted, replaced } => format!(
                "stored as load {load_id}: {} observations ({inserted} new, {replaced} replaced), {} regions",
                t.ingest.observations, t.ingest.regions
            ),
            LoadOutcome::AlreadyLoaded { load_id, .. } => {
                format!("already stored (load {load_id}); nothing changed")
            }
        };
        println!(
            "{} ({}): {} rows, {} page(s), {} downloaded{} — {stored}",
            t.table,
            t.source.as_deref().unwrap_or("not in the catalogue"),
            t.rows,
            t.pages,
            t.pages_downloaded,
            if t.unchanged {
                ", unchanged since the last fetch"
            } else {
                ""
            },
        );
        println!("  from {} (Modified {})", t.url, t.modified);
        if !t.fills.is_empty() {
            println!("  fills: {}", t.fills.join(", "));
        }
        for n in &t.ingest.notes {
            println!("  note: {n}");
        }
    }
    for b in &report.boundaries {
        let stored = match b.ingest.as_ref().map(|i| &i.outcome) {
            None => "none published; nothing stored".to_string(),
            Some(LoadOutcome::Loaded { load_id, .. }) => format!("stored as load {load_id}"),
            Some(LoadOutcome::AlreadyLoaded { load_id, .. }) => {
                format!("already stored (load {load_id}); nothing changed")
            }
        };
        println!(
            "boundaries {} {}: {} features, {} page(s), {} downloaded — {stored}",
            b.request.level.as_str(),
            b.request.year,
            b.features,
            b.pages,
            b.pages_downloaded
        );
        println!("  from {}", b.request.url);
    }
    if args.catalogue.is_some() {
        if report.gaps.is_empty() {
            println!("gaps: none at the levels fetched");
        } else {
            println!(
                "gaps (no fetched table fills them): {}",
                report.gaps.join(", ")
            );
        }
    }
    println!("{} request(s) sent", report.requests);
    Ok(())
}

fn db_open(db: &StoreLocation) -> anyhow::Result<Box<dyn kwm_store::Store + Send>> {
    db.open()
        .map_err(|e| anyhow!("cannot open store {db}: {e}"))
}

fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} kB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}
