//! Source adapters of the Kwetsbaarheidsmonitor.
//!
//! Only this crate knows file formats. It reads CBS StatLine downloads (TypedDataSet CSV and
//! OData JSON, with `DataProperties` metadata; "met labels" CSV, also as rewritten by R),
//! plain long CSV, region code lists, region change tables and GeoJSON/TopoJSON boundaries, and turns each file into one validated [`LoadBatch`]. A file
//! that is wrong in any way yields an [`IngestError`] naming file, line and column, and no
//! batch at all — so the store never sees half a file.
//!
//! ```no_run
//! use kwm_ingest::{read_inputs, ReadOptions};
//! # let catalogue = kwm_model::catalogue::Catalogue::default();
//! let batches = read_inputs(&["data/50140NED_TypedDataSet.csv".into()], &catalogue, &ReadOptions::default())?;
//! println!("{} observations", batches[0].observations.len());
//! # Ok::<(), kwm_ingest::IngestError>(())
//! ```

mod batch;
mod boundaries;
mod changes;
mod error;
mod kwb_map;
mod limits;
mod long;
mod regions;
pub mod statline;
mod statline_labels;
pub mod svi_csv;
mod values;

use std::path::{Path, PathBuf};

use kwm_model::catalogue::Catalogue;
use sha2::{Digest, Sha256};

pub use batch::{Boundary, Dataset, Format, LoadBatch, RegionRecord};
pub use error::IngestError;
pub use limits::Limits;
pub use statline::Metadata;
pub use values::{parse_values, read_values, ValueColumn, KEY_COLUMNS};

/// Options that apply to every file of one `kwm ingest` call.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Format to use instead of detecting it.
    pub format: Option<Format>,
    /// Period for files that do not carry one.
    pub period: Option<i32>,
    /// Region layout year, overriding what files and the catalogue say.
    pub layout: Option<i32>,
    /// StatLine table id, when the file name does not contain it.
    pub table: Option<String>,
    /// Load numeric StatLine-keyed properties of boundary features as figures (opt-in: most
    /// boundary files carry copies of figures that have their own, better-described table).
    pub boundary_figures: bool,
    /// What one file may cost (size, columns, field length, vertices).
    pub limits: Limits,
}

/// SHA-256 of bytes as lower-case hex.
pub fn checksum(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a file is, judged from its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Data or boundaries to load.
    Load(Format),
    /// StatLine `DataProperties` metadata for other files.
    Metadata,
}

/// Detects the kind of a file from its extension and content.
pub fn detect(name: &str, text: &str) -> Result<FileKind, IngestError> {
    let lower = name.to_ascii_lowercase();
    let head: String = text.chars().take(4096).collect();
    let head_compact: String = head.chars().filter(|c| !c.is_whitespace()).collect();
    if lower.ends_with(".topojson") || head_compact.contains("\"type\":\"Topology\"") {
        return Ok(FileKind::Load(Format::Topojson));
    }
    if lower.ends_with(".geojson") || head_compact.contains("\"type\":\"FeatureCollection\"") {
        return Ok(FileKind::Load(Format::Geojson));
    }
    if lower.ends_with(".json") {
        if lower.contains("dataproperties") || statline::is_data_properties(&head) {
            return Ok(FileKind::Metadata);
        }
        return Ok(FileKind::Load(Format::Statline));
    }
    let first_line = text.lines().next().unwrap_or("");
    if changes::is_changes_header(changes::first_data_line(text)) {
        return Ok(FileKind::Load(Format::Changes));
    }
    if statline_labels::is_labels_header(first_line) {
        return Ok(FileKind::Load(Format::StatlineLabels));
    }
    if kwb_map::is_kwb_map_header(first_line) {
        return Ok(FileKind::Load(Format::KwbMap));
    }
    if long::is_long_header(first_line) {
        return Ok(FileKind::Load(Format::Long));
    }
    if regions::is_regions_header(first_line) {
        return Ok(FileKind::Load(Format::Regions));
    }
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        return Ok(FileKind::Load(Format::Statline));
    }
    Err(IngestError::at(name, 1, 1, "could not tell the format from the name or content; give --format statline|statline-labels|kwb-map|long|regions|changes|geojson|topojson"))
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn read_bytes(path: &Path, limits: &Limits) -> Result<Vec<u8>, IngestError> {
    let cannot = |e: std::io::Error| {
        IngestError::at(
            &display_name(path),
            0,
            0,
            format!("cannot read the file: {e}"),
        )
    };
    // Refuse before reading: the size is known without allocating it.
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    limits::check_size(&display_name(path), size, limits)?;
    std::fs::read(path).map_err(cannot)
}

/// Finds `DataProperties` and region-dimension sidecar files next to a StatLine download
/// (`85984NED_DataProperties.json`, `85984NED_WijkenEnBuurten.json`).
fn sidecar_metadata(path: &Path, table: &str) -> Result<Option<Metadata>, IngestError> {
    let Some(dir) = path.parent().map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    }) else {
        return Ok(None);
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut meta: Option<Metadata> = None;
    let mut names = std::collections::HashMap::new();
    let prefix = format!("{}_", table.to_ascii_lowercase());
    for entry in entries.flatten() {
        let p = entry.path();
        let n = p
            .file_name()
            .map(|s| s.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if !n.starts_with(&prefix) || !n.ends_with(".json") {
            continue;
        }
        let text = error::decode_utf8(&display_name(&p), &read_bytes(&p, &Limits::default())?)?;
        if n.ends_with("_dataproperties.json") {
            meta = Some(statline::parse_data_properties(&display_name(&p), &text)?);
        } else if n.ends_with("_wijkenenbuurten.json") || n.ends_with("_regios.json") {
            names.extend(statline::parse_dimension_names(&display_name(&p), &text)?);
        }
    }
    if !names.is_empty() {
        meta.get_or_insert_with(Metadata::default).region_names = names;
    }
    Ok(meta)
}

/// Reads one file into a batch. `metadata` is StatLine column metadata handed in explicitly;
/// when `None`, sidecar files next to a StatLine download are used.
pub fn read_path(
    path: &Path,
    catalogue: &Catalogue,
    options: &ReadOptions,
    metadata: Option<&Metadata>,
) -> Result<LoadBatch, IngestError> {
    let bytes = read_bytes(path, &options.limits)?;
    read_file(path, &bytes, catalogue, options, metadata, true)
}

/// Reads the bytes of one file named `name` into a batch, as [`read_path`] does but without the
/// file system: no sidecar `DataProperties` are looked for. For callers that hold the bytes
/// already, and for the fuzz targets.
pub fn read_bytes_named(
    name: &str,
    bytes: &[u8],
    catalogue: &Catalogue,
    options: &ReadOptions,
    metadata: Option<&Metadata>,
) -> Result<LoadBatch, IngestError> {
    read_file(Path::new(name), bytes, catalogue, options, metadata, false)
}

fn read_file(
    path: &Path,
    bytes: &[u8],
    catalogue: &Catalogue,
    options: &ReadOptions,
    metadata: Option<&Metadata>,
    sidecars: bool,
) -> Result<LoadBatch, IngestError> {
    let name = display_name(path);
    let stem = file_stem(path);
    let table = options
        .table
        .clone()
        .or_else(|| statline::table_id_from_name(&stem));
    // Sidecars describe StatLine data only; other formats never look for them.
    let is_statline = match options.format {
        Some(f) => f == Format::Statline,
        None => std::str::from_utf8(bytes)
            .is_ok_and(|text| matches!(detect(&name, text), Ok(FileKind::Load(Format::Statline)))),
    };
    let sidecar = match (metadata, &table) {
        (None, Some(t)) if is_statline && sidecars => sidecar_metadata(path, t)?,
        _ => None,
    };
    let mut batch = read_bytes_as(
        &name,
        &stem,
        bytes,
        catalogue,
        options,
        metadata.or(sidecar.as_ref()),
    )?;
    batch.file_name = path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or(name);
    Ok(batch)
}

/// Reads a document held in memory (e.g. downloaded by `kwm fetch`) exactly as [`read_path`]
/// reads a file: `name` is what errors name and what the format and table id are judged from
/// (`85984NED_TypedDataSet.json`); `origin` is recorded as the load's file name (a URL with the
/// table's modification date). No sidecar files are looked for: pass StatLine metadata in
/// `metadata`.
pub fn read_memory(
    name: &str,
    origin: &str,
    bytes: &[u8],
    catalogue: &Catalogue,
    options: &ReadOptions,
    metadata: Option<&Metadata>,
) -> Result<LoadBatch, IngestError> {
    let stem = file_stem(Path::new(name));
    let mut batch = read_bytes_as(name, &stem, bytes, catalogue, options, metadata)?;
    batch.file_name = origin.to_string();
    Ok(batch)
}

fn read_bytes_as(
    name: &str,
    stem: &str,
    bytes: &[u8],
    catalogue: &Catalogue,
    options: &ReadOptions,
    metadata: Option<&Metadata>,
) -> Result<LoadBatch, IngestError> {
    let name = name.to_string();
    let stem = stem.to_string();
    limits::check_size(&name, bytes.len() as u64, &options.limits)?;
    let text = error::decode_utf8(&name, bytes)?;
    let format = match options.format {
        Some(f) => f,
        None => match detect(&name, &text)? {
            FileKind::Load(f) => f,
            FileKind::Metadata => {
                return Err(IngestError::at(&name, 1, 1, "this is StatLine column metadata (DataProperties), not data: pass it together with the data file it describes"))
            }
        },
    };
    let is_json = text.trim_start().starts_with(['{', '[']);
    if !is_json && !matches!(format, Format::Geojson | Format::Topojson) {
        limits::check_csv(&name, &text, &options.limits)?;
    }
    let mut batch = match format {
        Format::Statline => {
            let input = statline::StatlineInput {
                file: &name,
                file_stem: &stem,
                text: &text,
                catalogue,
                options,
                metadata,
            };
            if is_json {
                statline::read_json(input)?
            } else {
                statline::read_csv(input)?
            }
        }
        Format::Long => long::read(&name, &stem, &text, catalogue, options)?,
        Format::KwbMap => kwb_map::read(&name, &stem, &text, catalogue, options)?,
        Format::Regions => regions::read(&name, &stem, &text, options)?,
        Format::Geojson => boundaries::read_geojson(&name, &stem, &text, options, catalogue)?,
        Format::Topojson => boundaries::read_topojson(&name, &stem, &text, options, catalogue)?,
        Format::Changes => changes::read(&name, &stem, &text, options)?,
        Format::StatlineLabels => statline_labels::read(&name, &stem, &text, catalogue, options)?,
    };
    limits::check_not_empty(&name, &text, &batch)?;
    let warnings = limits::bounded_unit_notes(&batch);
    batch.notes.extend(warnings);
    batch.file_name = name;
    batch.checksum = checksum(bytes);
    batch.format = Some(format);
    Ok(batch)
}

/// Reads all files of one load. `DataProperties` files among them are applied as column
/// metadata to the StatLine files of the same table (or to all, when a table id is unknown).
/// The first error stops the whole load.
pub fn read_inputs(
    paths: &[PathBuf],
    catalogue: &Catalogue,
    options: &ReadOptions,
) -> Result<Vec<LoadBatch>, IngestError> {
    let mut metadata: Vec<(Option<String>, Metadata)> = Vec::new();
    let mut data_paths = Vec::new();
    for path in paths {
        let name = display_name(path);
        let bytes = read_bytes(path, &options.limits)?;
        let text = error::decode_utf8(&name, &bytes)?;
        match options
            .format
            .map(FileKind::Load)
            .map_or_else(|| detect(&name, &text), Ok)?
        {
            FileKind::Metadata => {
                let table = statline::table_id_from_name(&file_stem(path));
                metadata.push((table, statline::parse_data_properties(&name, &text)?));
            }
            FileKind::Load(_) => data_paths.push(path),
        }
    }
    data_paths
        .into_iter()
        .map(|path| {
            let table = options
                .table
                .clone()
                .or_else(|| statline::table_id_from_name(&file_stem(path)));
            let meta = metadata
                .iter()
                .find(|(t, _)| t.is_some() && *t == table)
                .or_else(|| metadata.iter().find(|(t, _)| t.is_none()))
                .map(|(_, m)| m);
            read_path(path, catalogue, options, meta)
        })
        .collect()
}
