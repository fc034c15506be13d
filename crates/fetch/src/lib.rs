//! `kwm fetch`: the monitor gets its own figures from the statistics offices.
//!
//! This crate owns HTTP, the page cache and the OData wire format. It downloads StatLine tables
//! from the CBS OData v3 services named in the catalogue (`[[service]]` in `sources.toml`),
//! page by page into a cache directory, puts the pages back together as the OData JSON document
//! `kwm ingest` reads from a file, and hands it to the same reader (`kwm_ingest::read_memory`)
//! and the same store path (`kwm_monitor::ingest::ingest_batches`) — so a fetched table and the
//! downloaded file of that table give the same figures. It computes nothing and knows no SQL.
//!
//! Order of work, so that a failure changes nothing: every table is downloaded (or taken from the
//! cache) and read first; only then is each stored, one transaction per table.

mod boundaries;
mod cache;
mod error;
pub mod http;
pub mod odata;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use kwm_ingest::{LoadBatch, Metadata, ReadOptions};
use kwm_model::catalogue::Catalogue;
use kwm_model::Level;
use kwm_store::Store;
use serde::Serialize;

pub use boundaries::{plan_boundaries, read_boundaries, BoundaryRequest, DownloadedBoundaries};
pub use cache::{CachedFile, CachedPage, Manifest, TableCache};
pub use error::FetchError;
pub use http::{Http, HttpConfig};

/// Environment variable that replaces every service root, like `--base-url`.
pub const BASE_URL_ENV: &str = "KWM_FETCH_BASE_URL";
/// Environment variable that replaces the boundary request template, like `--boundary-url`.
pub const BOUNDARY_URL_ENV: &str = "KWM_FETCH_BOUNDARY_URL";

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Where pages are kept (`<cache>/<TABLE>/…`).
    pub cache_dir: PathBuf,
    /// A root that replaces every service's OData v3 root (a mirror or proxy).
    pub base_url: Option<String>,
    /// Load only from the cache; send no request.
    pub offline: bool,
    /// Levels to fetch rows of; empty for all rows.
    pub levels: Vec<Level>,
    /// Rows per request, instead of the service's limit (never above it).
    pub row_limit: Option<usize>,
    /// Timeouts and retries.
    pub http: HttpConfig,
}

impl FetchConfig {
    /// Defaults for everything but the cache directory.
    pub fn new(cache_dir: PathBuf) -> FetchConfig {
        FetchConfig {
            cache_dir,
            base_url: None,
            offline: false,
            levels: Vec::new(),
            row_limit: None,
            http: HttpConfig::default(),
        }
    }
}

/// One table to fetch, resolved against the catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct TableRequest {
    /// StatLine table id (`85984NED`).
    pub table: String,
    /// Catalogue source, when the catalogue lists the table.
    pub source: Option<String>,
    /// Period the catalogue gives it.
    pub period: Option<i32>,
    /// Region layout year the catalogue gives it (the year of its boundaries).
    pub layout: Option<i32>,
    /// OData v3 root it is fetched from.
    pub root: String,
    /// Rows per request.
    pub row_limit: usize,
}

impl TableRequest {
    /// `{root}/{table}`, the table's address.
    pub fn url(&self) -> String {
        format!("{}/{}", self.root, self.table)
    }
}

fn root_for(
    catalogue: &Catalogue,
    source: Option<&kwm_model::catalogue::Source>,
    config: &FetchConfig,
) -> Result<(String, usize), FetchError> {
    let service = match source.map(|s| s.service.as_str()) {
        Some(id) if !id.is_empty() => catalogue.services.iter().find(|s| s.id == id),
        _ => catalogue.services.first(),
    };
    let limit = service.map_or(10_000, |s| s.row_limit);
    let limit = config.row_limit.map_or(limit, |r| r.min(limit)).max(1);
    let root = match (&config.base_url, service) {
        (Some(b), _) => b.trim_end_matches('/').to_string(),
        (None, Some(s)) => s.odata_v3.clone(),
        (None, None) => {
            return Err(FetchError::Request(
                "the catalogue names no [[service]] in sources.toml; give --base-url".into(),
            ))
        }
    };
    Ok((root, limit))
}

/// The tables named on the command line. A table the catalogue lists is fetched from its
/// source's service; any other from the catalogue's first service (its figures then get ids
/// prefixed with `t<table>`, as when its file is ingested).
pub fn plan_tables(
    catalogue: &Catalogue,
    tables: &[String],
    config: &FetchConfig,
) -> Result<Vec<TableRequest>, FetchError> {
    let mut out = Vec::new();
    for t in tables {
        let table = t.trim().to_ascii_uppercase();
        if table.is_empty() || !table.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(FetchError::Request(format!(
                "'{t}' is not a StatLine table id (like 85984NED)"
            )));
        }
        let entry = catalogue.table(&table);
        let (root, row_limit) = root_for(catalogue, entry.map(|(s, _)| s), config)?;
        out.push(TableRequest {
            source: entry.map(|(s, _)| s.id.clone()),
            period: entry.map(|(_, t)| t.period),
            layout: entry.map(|(_, t)| t.layout),
            table,
            root,
            row_limit,
        });
    }
    Ok(out)
}

/// Every table the catalogue names, limited to `periods` (inclusive) and `sources` when given.
pub fn plan_catalogue(
    catalogue: &Catalogue,
    periods: Option<(i32, i32)>,
    sources: &[String],
    config: &FetchConfig,
) -> Result<Vec<TableRequest>, FetchError> {
    for s in sources {
        if !catalogue.sources.iter().any(|x| &x.id == s) {
            return Err(FetchError::Request(format!(
                "unknown source '{s}' (sources.toml has {})",
                catalogue
                    .sources
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut out = Vec::new();
    for source in &catalogue.sources {
        if !sources.is_empty() && !sources.contains(&source.id) {
            continue;
        }
        let (root, row_limit) = root_for(catalogue, Some(source), config)?;
        for t in &source.tables {
            if periods.is_some_and(|(a, b)| t.period < a || t.period > b) {
                continue;
            }
            out.push(TableRequest {
                table: t.table.clone(),
                source: Some(source.id.clone()),
                period: Some(t.period),
                layout: Some(t.layout),
                root: root.clone(),
                row_limit,
            });
        }
    }
    Ok(out)
}

/// Progress of a fetch, shown by the caller (the cli draws a bar per table).
pub trait Progress {
    /// A table's download starts.
    fn start(&self, _table: &str) {}
    /// Rows arrived (or were taken from the cache).
    fn rows(&self, _table: &str, _rows: u64, _page: usize) {}
    /// The table is complete.
    fn finish(&self, _table: &str, _summary: &str) {}
}

/// Shows nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// A table downloaded (or taken from the cache), not yet stored.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// What was asked for.
    pub request: TableRequest,
    /// `TableInfos.Modified`.
    pub modified: String,
    /// Table title.
    pub title: String,
    /// `TableInfos.Period` (`2024`).
    pub period: String,
    /// The `TypedDataSet` request of the first page.
    pub data_url: String,
    /// The rows of all pages as one OData JSON document.
    pub data: Vec<u8>,
    /// Column metadata.
    pub metadata: Metadata,
    /// Rows.
    pub rows: usize,
    /// Pages in all.
    pub pages: usize,
    /// Pages downloaded in this run (the rest came from the cache).
    pub pages_downloaded: usize,
    /// True when the cache already held the table at this `Modified` date: no page was
    /// downloaded again.
    pub unchanged: bool,
}

/// Downloads tables into the cache and reads them back.
pub struct Fetcher {
    pub(crate) http: Http,
    pub(crate) config: FetchConfig,
}

impl Fetcher {
    /// A fetcher with its own HTTP client.
    pub fn new(config: FetchConfig) -> Fetcher {
        Fetcher {
            http: Http::new(config.http.clone()),
            config,
        }
    }

    /// Requests sent so far.
    pub fn requests_sent(&self) -> u64 {
        self.http.requests_sent()
    }

    fn wire(&self, req: &TableRequest, url: &str, message: impl Into<String>) -> FetchError {
        FetchError::Wire {
            table: req.table.clone(),
            url: url.to_string(),
            message: message.into(),
        }
    }

    /// The levels asked for, as recorded in the cache (`None`: all rows).
    fn levels_key(&self) -> Option<String> {
        let mut codes: Vec<&str> = self
            .config
            .levels
            .iter()
            .filter_map(|l| level_prefix(*l))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        (!codes.is_empty()).then(|| codes.join(","))
    }

    /// The `$filter` for the requested levels, on the table's region column.
    fn filter(&self, geo_key: Option<&str>) -> Option<String> {
        let geo = geo_key?;
        if self.config.levels.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .config
            .levels
            .iter()
            .filter_map(|l| level_prefix(*l))
            .map(|p| format!("substringof('{p}',{geo})"))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" or "))
    }

    /// Brings one table into the cache (downloading only what is missing) and reads it.
    pub fn download(
        &self,
        req: &TableRequest,
        progress: &dyn Progress,
    ) -> Result<Downloaded, FetchError> {
        let cache = TableCache::new(&self.config.cache_dir, &req.table);
        // The filter names the region column, known only from DataProperties; the levels
        // asked for identify it as well, and are known now.
        let levels_key = self.levels_key();
        let cached = cache
            .load()
            .filter(|m| m.filter.as_deref() == levels_key.as_deref());
        let mut manifest = if self.config.offline {
            match cached {
                Some(m) if m.complete => m,
                _ => {
                    return Err(FetchError::NotCached {
                        table: req.table.clone(),
                        dir: cache.dir().to_path_buf(),
                    })
                }
            }
        } else {
            let infos_url = format!("{}/TableInfos", req.url());
            let body = self.http.get(&req.table, &infos_url)?;
            let info =
                odata::parse_table_infos(&body).map_err(|m| self.wire(req, &infos_url, m))?;
            match cached {
                // Same table, same version: resume (or reuse, when complete).
                Some(m) if m.modified == info.modified && m.root == req.root => m,
                _ => {
                    cache.clear()?;
                    cache.write("TableInfos.json", &infos_url, &body)?;
                    Manifest {
                        table: req.table.clone(),
                        root: req.root.clone(),
                        modified: info.modified,
                        title: info.title,
                        period: info.period,
                        filter: levels_key.clone(),
                        ..Manifest::default()
                    }
                }
            }
        };
        let unchanged = manifest.complete;
        progress.start(&req.table);

        let dp = match &manifest.data_properties {
            Some(f) => cache
                .read_verified(f)
                .ok_or_else(|| FetchError::NotCached {
                    table: req.table.clone(),
                    dir: cache.dir().to_path_buf(),
                })?,
            None => {
                let url = format!("{}/DataProperties", req.url());
                let body = self.http.get(&req.table, &url)?;
                odata::parse_page(&body).map_err(|m| self.wire(req, &url, m))?;
                manifest.data_properties = Some(cache.write("DataProperties.json", &url, &body)?);
                cache.save(&manifest)?;
                body
            }
        };
        let dp_name = format!("{}_DataProperties.json", req.table);
        let dp_text = String::from_utf8_lossy(&dp);
        let mut metadata = kwm_ingest::statline::parse_data_properties(&dp_name, &dp_text)
            .map_err(|e| FetchError::Ingest {
                table: req.table.clone(),
                url: format!("{}/DataProperties", req.url()),
                source: e,
            })?;
        let geo_key = metadata.geo_keys.first().cloned();

        // Region names come from the region dimension, as from a `…_WijkenEnBuurten.json` file
        // beside a download.
        if let Some(geo) = &geo_key {
            let dim = match &manifest.dimension {
                Some(f) => cache.read_verified(f),
                None => None,
            };
            let dim = match dim {
                Some(d) => d,
                None => {
                    let url = format!("{}/{geo}", req.url());
                    let body = self.http.get(&req.table, &url)?;
                    odata::parse_page(&body).map_err(|m| self.wire(req, &url, m))?;
                    manifest.dimension = Some(cache.write(&format!("{geo}.json"), &url, &body)?);
                    cache.save(&manifest)?;
                    body
                }
            };
            let name = format!("{}_{geo}.json", req.table);
            metadata.region_names =
                kwm_ingest::statline::parse_dimension_names(&name, &String::from_utf8_lossy(&dim))
                    .map_err(|e| FetchError::Ingest {
                        table: req.table.clone(),
                        url: format!("{}/{geo}", req.url()),
                        source: e,
                    })?;
        }

        let filter = self.filter(geo_key.as_deref());
        let first_url = odata::data_url(&req.root, &req.table, req.row_limit, 0, filter.as_deref());
        let mut bodies: Vec<Vec<u8>> = Vec::new();
        let mut rows = 0usize;
        for p in &manifest.pages {
            let body = cache
                .read_verified(&p.file)
                .ok_or_else(|| FetchError::NotCached {
                    table: req.table.clone(),
                    dir: cache.dir().to_path_buf(),
                })?;
            rows += p.rows;
            bodies.push(body);
            progress.rows(&req.table, rows as u64, bodies.len());
        }
        let mut pages_downloaded = 0;
        while !manifest.complete {
            let url = match manifest.pages.last() {
                None => first_url.clone(),
                Some(p) => match &p.next {
                    Some(n) => n.clone(),
                    None => {
                        manifest.complete = true;
                        break;
                    }
                },
            };
            let body = self.http.get(&req.table, &url)?;
            let page = odata::parse_page(&body).map_err(|m| self.wire(req, &url, m))?;
            let n = page.rows.len();
            // The service's own link wins; without one a full page means there may be more.
            let next = match page.next_link {
                Some(link) => Some(link),
                None if n >= req.row_limit && n > 0 => Some(odata::data_url(
                    &req.root,
                    &req.table,
                    req.row_limit,
                    odata::skip_of(&url) + n,
                    filter.as_deref(),
                )),
                None => None,
            };
            cache.record_page(&mut manifest, "TypedDataSet", &url, &body, n, next)?;
            pages_downloaded += 1;
            rows += n;
            bodies.push(body);
            progress.rows(&req.table, rows as u64, bodies.len());
        }
        let data = odata::assemble(&bodies).map_err(|m| self.wire(req, &first_url, m))?;
        progress.finish(
            &req.table,
            &if unchanged {
                format!(
                    "{rows} rows, unchanged since the last fetch (Modified {})",
                    manifest.modified
                )
            } else {
                format!(
                    "{rows} rows in {} page(s), {pages_downloaded} downloaded",
                    bodies.len()
                )
            },
        );
        Ok(Downloaded {
            request: req.clone(),
            modified: manifest.modified.clone(),
            title: manifest.title.clone(),
            period: manifest.period.clone(),
            data_url: first_url,
            data,
            metadata,
            rows,
            pages: bodies.len(),
            pages_downloaded,
            unchanged,
        })
    }

    /// What a fetch would request, without downloading data: asks for `TableInfos` and the row
    /// count (`TypedDataSet/$count`), or reads them from the cache with `--offline`.
    pub fn dry_run(&self, req: &TableRequest) -> Result<DryRun, FetchError> {
        let cache = TableCache::new(&self.config.cache_dir, &req.table);
        let levels_key = self.levels_key();
        let cached = cache
            .load()
            .filter(|m| m.filter.as_deref() == levels_key.as_deref());
        let (modified, rows, cached_complete) = if self.config.offline {
            match cached {
                Some(m) if m.complete => {
                    let rows = m.pages.iter().map(|p| p.rows).sum::<usize>();
                    (m.modified, Some(rows), true)
                }
                _ => {
                    return Err(FetchError::NotCached {
                        table: req.table.clone(),
                        dir: cache.dir().to_path_buf(),
                    })
                }
            }
        } else {
            let infos_url = format!("{}/TableInfos", req.url());
            let body = self.http.get(&req.table, &infos_url)?;
            let modified = odata::parse_table_infos(&body)
                .map_err(|m| self.wire(req, &infos_url, m))?
                .modified;
            let count_url = format!("{}/TypedDataSet/$count", req.url());
            let body = self.http.get(&req.table, &count_url)?;
            let rows = String::from_utf8_lossy(&body)
                .trim()
                .parse::<usize>()
                .map_err(|_| self.wire(req, &count_url, "expected a row count"))?;
            let complete = cached
                .as_ref()
                .is_some_and(|m| m.complete && m.modified == modified && m.root == req.root);
            (modified, Some(rows), complete)
        };
        // Columns, for the size estimate: from the cache, else one small request.
        let columns = match cache
            .load()
            .and_then(|m| m.data_properties)
            .and_then(|f| cache.read_verified(&f))
        {
            Some(body) => Some(body),
            None if !self.config.offline => Some(
                self.http
                    .get(&req.table, &format!("{}/DataProperties", req.url()))?,
            ),
            None => None,
        }
        .and_then(|body| {
            let meta = kwm_ingest::statline::parse_data_properties(
                &req.table,
                &String::from_utf8_lossy(&body),
            )
            .ok()?;
            // Topics, dimensions (the region among them) and the row's ID.
            Some(meta.topics.len() + meta.geo_keys.len() + meta.dimension_keys.len() + 1)
        });
        // A TypedDataSet row in JSON: the key and a value per column, ~25 bytes each (measured
        // on KWB 2024 pages), plus the row's braces and ID.
        let bytes_estimate = rows.zip(columns).map(|(r, c)| (r * (c * 25 + 12)) as u64);
        let pages = rows.map(|r| r.div_ceil(req.row_limit).max(1));
        let mut requests = vec![
            format!("{}/TableInfos", req.url()),
            format!("{}/DataProperties", req.url()),
            format!("{}/<region dimension>", req.url()),
        ];
        let filter = self.filter(Some("<region column>"));
        for i in 0..pages.unwrap_or(1) {
            requests.push(odata::data_url(
                &req.root,
                &req.table,
                req.row_limit,
                i * req.row_limit,
                filter.as_deref(),
            ));
        }
        Ok(DryRun {
            request: req.clone(),
            modified,
            rows,
            columns,
            bytes_estimate,
            pages,
            requests: if cached_complete {
                Vec::new()
            } else {
                requests
            },
            cached: cached_complete,
        })
    }
}

/// What `--dry-run` says about one table.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    /// The table.
    pub request: TableRequest,
    /// `TableInfos.Modified`.
    pub modified: String,
    /// Rows in `TypedDataSet` (before a `--regions` filter).
    pub rows: Option<usize>,
    /// Columns of a row (topics, the ID and the region), from `DataProperties`.
    pub columns: Option<usize>,
    /// Expected size of the data pages in bytes (rows × columns; an estimate).
    pub bytes_estimate: Option<u64>,
    /// Data pages at the row limit.
    pub pages: Option<usize>,
    /// Requests a fetch would send; empty when the cache already holds this version.
    pub requests: Vec<String>,
    /// True when the cache already holds this version (nothing would be downloaded).
    pub cached: bool,
}

fn level_prefix(level: Level) -> Option<&'static str> {
    match level {
        Level::Land => Some("NL"),
        Level::Provincie => Some("PV"),
        Level::Ggd => Some("GG"),
        Level::Gemeente => Some("GM"),
        Level::Wijk => Some("WK"),
        Level::Buurt => Some("BU"),
    }
}

/// The provenance recorded as the load's file name: where the data came from and which
/// version of the table it is. (The store has no URL column; the checksum of the assembled
/// document is the load's checksum.)
pub fn origin(d: &Downloaded) -> String {
    format!("{} (Modified {})", d.data_url, d.modified)
}

/// Reads a downloaded table with the StatLine reader `kwm ingest` uses for files.
pub fn read(catalogue: &Catalogue, d: &Downloaded) -> Result<LoadBatch, FetchError> {
    // A table the catalogue does not list has its period from the catalogue nowhere; a
    // single-year table says it in TableInfos (what `--period` gives a file of it). A table
    // with a Perioden column ignores this.
    let period = match d.request.period {
        Some(_) => None,
        None => d.period.trim().parse::<i32>().ok(),
    };
    let options = ReadOptions {
        table: Some(d.request.table.clone()),
        period,
        ..ReadOptions::default()
    };
    let name = format!("{}_TypedDataSet.json", d.request.table);
    let mut batch = kwm_ingest::read_memory(
        &name,
        &origin(d),
        &d.data,
        catalogue,
        &options,
        Some(&d.metadata),
    )
    .map_err(|e| FetchError::Ingest {
        table: d.request.table.clone(),
        url: d.data_url.clone(),
        source: e,
    })?;
    if batch.dataset.title.is_empty() {
        batch.dataset.title = d.title.clone();
    }
    Ok(batch)
}

/// What one table brought.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    /// Table id.
    pub table: String,
    /// Catalogue source.
    pub source: Option<String>,
    /// The `TypedDataSet` request.
    pub url: String,
    /// `TableInfos.Modified`.
    pub modified: String,
    /// Rows, pages, pages downloaded now.
    pub rows: usize,
    /// Pages in all.
    pub pages: usize,
    /// Pages downloaded in this run.
    pub pages_downloaded: usize,
    /// Not downloaded again: unchanged since the last fetch.
    pub unchanged: bool,
    /// The ingest's report of the table (stored, or already stored).
    pub ingest: kwm_monitor::ingest::FileReport,
    /// Risk characteristics this table gives figures for, per level (`id@level`).
    pub fills: Vec<String>,
}

/// What one level's boundaries of one year brought.
#[derive(Debug, Clone, Serialize)]
pub struct BoundaryReport {
    /// Level, year and first request.
    pub request: BoundaryRequest,
    /// Features received.
    pub features: usize,
    /// Pages in all.
    pub pages: usize,
    /// Pages downloaded in this run.
    pub pages_downloaded: usize,
    /// The ingest's report; `None` when the service had no boundaries for it.
    pub ingest: Option<kwm_monitor::ingest::FileReport>,
}

/// The result of `kwm fetch`.
#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    /// Per table, in order.
    pub tables: Vec<TableReport>,
    /// Per level and year of boundaries, in order.
    pub boundaries: Vec<BoundaryReport>,
    /// Risk characteristics that none of the fetched tables fills at any of the levels they
    /// cover (the data gaps that remain after this fetch).
    pub gaps: Vec<String>,
    /// Requests sent.
    pub requests: u64,
}

/// The characteristics a batch gives figures for (at least one term of their definition at
/// that level and period), as `id@level`.
fn fills(catalogue: &Catalogue, batch: &LoadBatch) -> BTreeSet<String> {
    let mut have: BTreeMap<(Level, i32), BTreeSet<&str>> = BTreeMap::new();
    for o in &batch.observations {
        if o.value.is_some() {
            have.entry((o.region.level(), o.period.year()))
                .or_default()
                .insert(o.indicator.as_str());
        }
    }
    let mut out = BTreeSet::new();
    for factor in &catalogue.risk.characteristics {
        for ((level, period), ids) in &have {
            let Some(def) = factor.definition_at(*level, *period) else {
                continue;
            };
            // A term's figure is its indicator (plus any added to it); a denominator alone
            // (residents, households) fills nothing.
            if def
                .terms
                .iter()
                .flat_map(|t| std::iter::once(&t.indicator).chain(&t.plus))
                .any(|i| ids.contains(i.as_str()))
            {
                out.insert(format!("{}@{}", factor.id, level.as_str()));
            }
        }
    }
    out
}

/// Fetches the tables and stores them: everything is downloaded and read first, then each
/// table is stored in its own transaction through the monitor's ingest path. A table already
/// stored (same checksum) changes nothing.
pub fn fetch_and_ingest(
    store: &mut dyn Store,
    catalogue: &Catalogue,
    fetcher: &Fetcher,
    requests: &[TableRequest],
    boundaries: &[BoundaryRequest],
    progress: &dyn Progress,
    loaded_at: &str,
) -> Result<FetchReport, FetchError> {
    let mut downloaded = Vec::new();
    for req in requests {
        downloaded.push(fetcher.download(req, progress)?);
    }
    let mut shapes = Vec::new();
    for req in boundaries {
        shapes.push(fetcher.download_boundaries(req, progress)?);
    }
    let mut batches = Vec::new();
    for d in &downloaded {
        batches.push(read(catalogue, d)?);
    }
    let mut shape_batches = Vec::new();
    for d in &shapes {
        shape_batches.push(read_boundaries(catalogue, d)?);
    }
    // Boundaries first: a table's regions then find their shapes' layout already stored.
    let mut boundary_reports = Vec::new();
    for (d, batch) in shapes.iter().zip(shape_batches) {
        let ingest = match batch {
            Some(b) => Some(
                kwm_monitor::ingest::ingest_batches(store, catalogue, &[b], loaded_at)
                    .map_err(|e| FetchError::Store {
                        table: d.request.name(),
                        source: e,
                    })?
                    .files
                    .remove(0),
            ),
            None => None,
        };
        boundary_reports.push(BoundaryReport {
            request: d.request.clone(),
            features: d.features,
            pages: d.pages,
            pages_downloaded: d.pages_downloaded,
            ingest,
        });
    }
    let mut tables = Vec::new();
    let mut filled: BTreeSet<String> = BTreeSet::new();
    let mut levels: BTreeSet<Level> = BTreeSet::new();
    for (d, batch) in downloaded.iter().zip(batches) {
        let f = fills(catalogue, &batch);
        filled.extend(f.iter().cloned());
        levels.extend(batch.observations.iter().map(|o| o.region.level()));
        let report = kwm_monitor::ingest::ingest_batches(
            store,
            catalogue,
            std::slice::from_ref(&batch),
            loaded_at,
        )
        .map_err(|e| FetchError::Store {
            table: d.request.table.clone(),
            source: e,
        })?;
        tables.push(TableReport {
            table: d.request.table.clone(),
            source: d.request.source.clone(),
            url: d.data_url.clone(),
            modified: d.modified.clone(),
            rows: d.rows,
            pages: d.pages,
            pages_downloaded: d.pages_downloaded,
            unchanged: d.unchanged,
            ingest: report
                .files
                .into_iter()
                .next()
                .expect("one batch, one report"),
            fills: f.into_iter().collect(),
        });
    }
    let gaps = catalogue
        .risk
        .characteristics
        .iter()
        .flat_map(|c| {
            levels
                .iter()
                .filter(|l| matches!(l, Level::Gemeente | Level::Wijk | Level::Buurt))
                .map(move |l| format!("{}@{}", c.id, l.as_str()))
        })
        .filter(|k| !filled.contains(k))
        .collect();
    Ok(FetchReport {
        tables,
        boundaries: boundary_reports,
        gaps,
        requests: fetcher.requests_sent(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kwm_model::{IndicatorId, Observation, Period, RegionCode, ValueStatus};

    fn obs(indicator: &str, region: &str, period: i32) -> Observation {
        Observation {
            indicator: IndicatorId::new(indicator).unwrap(),
            region: RegionCode::parse(region).unwrap(),
            period: Period::parse(&period.to_string()).unwrap(),
            breakdown: String::new(),
            value: Some(10.0),
            lower: None,
            upper: None,
            n: None,
            status: ValueStatus::Ok,
        }
    }

    #[test]
    fn a_table_fills_a_characteristic_by_its_figures_not_by_a_denominator() {
        let (catalogue, _) = kwm_monitor::catalogue::resolve(None).unwrap();
        let mut batch = LoadBatch {
            observations: vec![obs("kwb_laag_inkomen", "WK036300", 2019)],
            ..LoadBatch::default()
        };
        let f = fills(&catalogue, &batch);
        assert!(f.contains("kleine_financiele_buffer@wijk"), "{f:?}");
        assert!(!f.iter().any(|x| x.ends_with("@gemeente")), "{f:?}");
        // Residents alone are the denominator of many definitions and fill none of them.
        batch.observations = vec![obs("kwb_aantal_inwoners", "WK036300", 2019)];
        assert!(fills(&catalogue, &batch).is_empty());
    }
}
