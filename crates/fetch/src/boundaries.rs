//! Region boundaries from an OGC API Features service (PDOK's CBS gebiedsindelingen): GeoJSON
//! pages in WGS84, followed by their `next` link, cached like table pages, and read with the
//! GeoJSON reader `kwm ingest` uses for a boundary file.

use kwm_ingest::{Format, LoadBatch, ReadOptions};
use kwm_model::catalogue::Catalogue;
use kwm_model::Level;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::cache::{Manifest, TableCache};
use crate::{FetchError, Fetcher, Progress};

/// Boundaries of one level in one layout year.
#[derive(Debug, Clone, Serialize)]
pub struct BoundaryRequest {
    /// Level.
    pub level: Level,
    /// Layout year.
    pub year: i32,
    /// First request.
    pub url: String,
}

impl BoundaryRequest {
    /// Name used in messages and as the cache directory (`boundaries-gemeente-2024`).
    pub fn name(&self) -> String {
        format!("boundaries-{}-{}", self.level.as_str(), self.year)
    }
}

/// Boundaries for `levels` in each of `years`, from the catalogue's first `[[boundaries]]`
/// service or `template` when given.
pub fn plan_boundaries(
    catalogue: &Catalogue,
    levels: &[Level],
    years: &[i32],
    template: Option<&str>,
) -> Result<Vec<BoundaryRequest>, FetchError> {
    if levels.is_empty() {
        return Ok(Vec::new());
    }
    let template = match template {
        Some(t) => t.to_string(),
        None => catalogue
            .boundary_services
            .first()
            .map(|b| b.items.clone())
            .ok_or_else(|| {
                FetchError::Request(
                    "the catalogue names no [[boundaries]] service in sources.toml; give --boundary-url".into(),
                )
            })?,
    };
    let mut out = Vec::new();
    for &year in years {
        for &level in levels {
            out.push(BoundaryRequest {
                level,
                year,
                url: template
                    .replace("{level}", level.as_str())
                    .replace("{year}", &year.to_string()),
            });
        }
    }
    Ok(out)
}

/// Boundaries downloaded (or taken from the cache), not yet stored.
#[derive(Debug, Clone)]
pub struct DownloadedBoundaries {
    /// What was asked for.
    pub request: BoundaryRequest,
    /// All features as one FeatureCollection.
    pub data: Vec<u8>,
    /// Features.
    pub features: usize,
    /// Pages.
    pub pages: usize,
    /// Pages downloaded in this run.
    pub pages_downloaded: usize,
}

struct Page<'a> {
    features: Vec<&'a RawValue>,
    next: Option<String>,
}

fn parse_page(body: &[u8]) -> Result<Page<'_>, String> {
    #[derive(Deserialize)]
    struct Link {
        rel: String,
        href: String,
    }
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        features: Vec<&'a RawValue>,
        #[serde(default)]
        links: Vec<Link>,
    }
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    let raw: Raw<'_> = serde_json::from_str(text).map_err(|e| {
        format!(
            "expected a GeoJSON FeatureCollection at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    Ok(Page {
        features: raw.features,
        next: raw
            .links
            .into_iter()
            .find(|l| l.rel == "next")
            .map(|l| l.href),
    })
}

impl Fetcher {
    /// Brings one level's boundaries of one year into the cache and reads them back. A
    /// complete cache is used as it is: a past layout's boundaries do not change.
    pub fn download_boundaries(
        &self,
        req: &BoundaryRequest,
        progress: &dyn Progress,
    ) -> Result<DownloadedBoundaries, FetchError> {
        let name = req.name();
        let cache = TableCache::new(&self.config.cache_dir, &name);
        let mut manifest = match cache.load() {
            Some(m) if m.root == req.url => m,
            _ if self.config.offline => {
                return Err(FetchError::NotCached {
                    table: name,
                    dir: cache.dir().to_path_buf(),
                })
            }
            _ => {
                cache.clear()?;
                Manifest {
                    table: name.clone(),
                    root: req.url.clone(),
                    ..Manifest::default()
                }
            }
        };
        if self.config.offline && !manifest.complete {
            return Err(FetchError::NotCached {
                table: name,
                dir: cache.dir().to_path_buf(),
            });
        }
        progress.start(&name);
        let mut bodies = Vec::new();
        let mut features = 0;
        for p in &manifest.pages {
            let body = cache
                .read_verified(&p.file)
                .ok_or_else(|| FetchError::NotCached {
                    table: name.clone(),
                    dir: cache.dir().to_path_buf(),
                })?;
            features += p.rows;
            bodies.push(body);
        }
        let mut pages_downloaded = 0;
        while !manifest.complete {
            let url = match manifest.pages.last() {
                None => req.url.clone(),
                Some(p) => match &p.next {
                    Some(n) => n.clone(),
                    None => break,
                },
            };
            let body = self.http.get(&name, &url)?;
            let page = parse_page(&body).map_err(|m| FetchError::Wire {
                table: name.clone(),
                url: url.clone(),
                message: m,
            })?;
            let (n, next) = (page.features.len(), page.next);
            cache.record_page(&mut manifest, "items", &url, &body, n, next)?;
            pages_downloaded += 1;
            features += n;
            bodies.push(body);
            progress.rows(&name, features as u64, bodies.len());
        }
        let mut data = b"{\"type\":\"FeatureCollection\",\"features\":[".to_vec();
        let mut first = true;
        for (i, body) in bodies.iter().enumerate() {
            let page = parse_page(body).map_err(|m| FetchError::Wire {
                table: name.clone(),
                url: manifest.pages[i].file.url.clone(),
                message: m,
            })?;
            for f in page.features {
                if !first {
                    data.push(b',');
                }
                data.push(b'\n');
                data.extend_from_slice(f.get().as_bytes());
                first = false;
            }
        }
        data.extend_from_slice(b"\n]}\n");
        progress.finish(
            &name,
            &format!(
                "{features} features in {} page(s), {pages_downloaded} downloaded",
                bodies.len()
            ),
        );
        Ok(DownloadedBoundaries {
            request: req.clone(),
            data,
            features,
            pages: bodies.len(),
            pages_downloaded,
        })
    }
}

/// Reads downloaded boundaries with the GeoJSON reader of `kwm ingest`, in the requested layout
/// year. `None` when the service has none for that level and year.
pub fn read_boundaries(
    catalogue: &Catalogue,
    d: &DownloadedBoundaries,
) -> Result<Option<LoadBatch>, FetchError> {
    if d.features == 0 {
        return Ok(None);
    }
    let options = ReadOptions {
        format: Some(Format::Geojson),
        layout: Some(d.request.year),
        ..ReadOptions::default()
    };
    let name = format!("{}.geojson", d.request.name());
    kwm_ingest::read_memory(&name, &d.request.url, &d.data, catalogue, &options, None)
        .map(Some)
        .map_err(|e| FetchError::Ingest {
            table: d.request.name(),
            url: d.request.url.clone(),
            source: e,
        })
}
