//! The page cache: per table a directory with every response kept as received, and a manifest
//! naming each file with its SHA-256. A page counts as downloaded only when its file matches
//! the manifest; a table counts as complete only when its last page is in. This is what makes
//! a run cut off half-way resumable and `--offline` possible.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::FetchError;

/// One cached response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CachedFile {
    /// The request it answered.
    pub url: String,
    /// File name inside the table's directory.
    pub file: String,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// One cached page of `TypedDataSet`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CachedPage {
    /// The response.
    #[serde(flatten)]
    pub file: CachedFile,
    /// Rows on the page.
    pub rows: usize,
    /// The next page's request, when there is one.
    pub next: Option<String>,
}

/// What is cached of one table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Manifest {
    /// StatLine table id.
    pub table: String,
    /// Service root it came from.
    pub root: String,
    /// The table's `Modified` date when it was fetched.
    pub modified: String,
    /// Table title (`TableInfos`).
    pub title: String,
    /// The periods it covers (`TableInfos.Period`).
    #[serde(default)]
    pub period: String,
    /// The `$filter` the pages were requested with (`--regions`); pages of another filter
    /// are another download.
    #[serde(default)]
    pub filter: Option<String>,
    /// `DataProperties`.
    pub data_properties: Option<CachedFile>,
    /// The region dimension (`WijkenEnBuurten`, `RegioS`): codes and names.
    pub dimension: Option<CachedFile>,
    /// `TypedDataSet` pages, in order.
    pub pages: Vec<CachedPage>,
    /// True when the last page is in.
    pub complete: bool,
}

/// The cache directory of one table.
pub struct TableCache {
    table: String,
    dir: PathBuf,
}

impl TableCache {
    /// `<cache>/<TABLE>`.
    pub fn new(cache_dir: &Path, table: &str) -> TableCache {
        TableCache {
            table: table.to_string(),
            dir: cache_dir.join(table),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn err(&self, path: &Path, e: impl std::fmt::Display) -> FetchError {
        FetchError::Cache {
            table: self.table.clone(),
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }

    /// The manifest, with every entry whose file is missing or altered dropped (and the pages
    /// after it, since each page's request comes from the one before). `None` without one.
    pub fn load(&self) -> Option<Manifest> {
        let text = std::fs::read(self.dir.join("manifest.json")).ok()?;
        let mut m: Manifest = serde_json::from_slice(&text).ok()?;
        let ok = |f: &CachedFile| self.read_verified(f).is_some();
        if m.data_properties.as_ref().is_some_and(|f| !ok(f)) {
            m.data_properties = None;
        }
        if m.dimension.as_ref().is_some_and(|f| !ok(f)) {
            m.dimension = None;
        }
        if let Some(bad) = m.pages.iter().position(|p| !ok(&p.file)) {
            m.pages.truncate(bad);
            m.complete = false;
        }
        if m.data_properties.is_none() {
            m.complete = false;
        }
        Some(m)
    }

    /// A cached file's bytes when they still match their checksum.
    pub fn read_verified(&self, f: &CachedFile) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.dir.join(&f.file)).ok()?;
        (kwm_ingest::checksum(&bytes) == f.sha256).then_some(bytes)
    }

    /// Writes a response and returns its entry. Written to a temporary name and renamed, so a
    /// file is either whole or absent.
    pub fn write(&self, file: &str, url: &str, bytes: &[u8]) -> Result<CachedFile, FetchError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.err(&self.dir, e))?;
        let path = self.dir.join(file);
        let tmp = self.dir.join(format!(".{file}.tmp"));
        std::fs::write(&tmp, bytes).map_err(|e| self.err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| self.err(&path, e))?;
        Ok(CachedFile {
            url: url.to_string(),
            file: file.to_string(),
            sha256: kwm_ingest::checksum(bytes),
        })
    }

    /// Records one downloaded page: writes it as `{prefix}-{NNNNN}.json` (numbered after the
    /// pages already in `manifest`), adds it with its row count and the next page's request
    /// (the table is complete when there is none), and saves the manifest.
    pub fn record_page(
        &self,
        manifest: &mut Manifest,
        prefix: &str,
        url: &str,
        body: &[u8],
        rows: usize,
        next: Option<String>,
    ) -> Result<(), FetchError> {
        let file = self.write(
            &format!("{prefix}-{:05}.json", manifest.pages.len() + 1),
            url,
            body,
        )?;
        manifest.complete = next.is_none();
        manifest.pages.push(CachedPage { file, rows, next });
        self.save(manifest)
    }

    /// Saves the manifest (after every page, so an interrupted run loses at most one page).
    pub fn save(&self, m: &Manifest) -> Result<(), FetchError> {
        let text = serde_json::to_vec_pretty(m).map_err(|e| self.err(&self.dir, e))?;
        self.write("manifest.json", "", &text).map(|_| ())
    }

    /// Removes everything cached for the table (a new version of it was published).
    pub fn clear(&self) -> Result<(), FetchError> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(|e| self.err(&self.dir, e))?;
        }
        Ok(())
    }
}
