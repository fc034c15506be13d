//! Loading files into the store.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kwm_ingest::{LoadBatch, ReadOptions};
use kwm_model::catalogue::Catalogue;
use kwm_model::{Level, RegionCode};
use kwm_store::{LoadOutcome, Store};
use serde::Serialize;

use crate::MonitorError;

/// What one file of a load brought in.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// File name.
    pub file_name: String,
    /// Format it was read as.
    pub format: String,
    /// Dataset id (StatLine table or file stem).
    pub dataset: String,
    /// Stored, or already stored before.
    pub outcome: LoadOutcome,
    /// Data rows read.
    pub rows: usize,
    /// Observations in the file.
    pub observations: usize,
    /// Distinct regions named.
    pub regions: usize,
    /// Boundaries.
    pub boundaries: usize,
    /// Distinct indicators.
    pub indicators: usize,
    /// Periods covered.
    pub periods: Vec<i32>,
    /// Levels covered.
    pub levels: Vec<Level>,
    /// What was deliberately not loaded, and why.
    pub notes: Vec<String>,
}

/// The result of one `kwm ingest` call.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// Per file.
    pub files: Vec<FileReport>,
    /// Regions whose parent (province) was derived after the load.
    pub parents_derived: usize,
    /// Layout comparisons redone after the load.
    pub layouts: crate::layouts::DeriveReport,
}

fn report(batch: &LoadBatch, outcome: LoadOutcome) -> FileReport {
    let periods: BTreeSet<i32> = batch.observations.iter().map(|o| o.period.year()).collect();
    let mut levels: BTreeSet<Level> = batch
        .observations
        .iter()
        .map(|o| o.region.level())
        .collect();
    levels.extend(batch.boundaries.iter().map(|b| b.code.level()));
    levels.extend(batch.regions.iter().map(|r| r.code.level()));
    FileReport {
        file_name: batch.file_name.clone(),
        format: batch.format.map(|f| f.as_str()).unwrap_or("").to_string(),
        dataset: batch.dataset.id.clone(),
        outcome,
        rows: batch.rows,
        observations: batch.observations.len(),
        regions: batch.regions.len(),
        boundaries: batch.boundaries.len(),
        indicators: batch.indicators.len(),
        periods: periods.into_iter().collect(),
        levels: levels.into_iter().collect(),
        notes: batch.notes.clone(),
    }
}

/// Reads all files, then stores them in one transaction: either every file is stored or none.
/// Files already loaded (same checksum) change nothing. Catalogue metadata of indicators is
/// refreshed in the same run, and the changes between consecutive region layouts are derived
/// again where their inputs changed.
pub fn ingest_files(
    store: &mut dyn Store,
    catalogue: &Catalogue,
    paths: &[PathBuf],
    options: &ReadOptions,
    loaded_at: &str,
) -> Result<IngestReport, MonitorError> {
    let batches = kwm_ingest::read_inputs(paths, catalogue, options)?;
    ingest_batches(store, catalogue, &batches, loaded_at)
}

/// Who loads, and who may see what is loaded: recorded in the same write as the load.
#[derive(Debug, Clone)]
pub struct LoadAs {
    /// For the audit log's "who" (e.g. `cli:USER`).
    pub actor: String,
    /// Access of every new load; `None` = public.
    pub access: Option<kwm_store::LoadAccess>,
}

impl Default for LoadAs {
    fn default() -> Self {
        LoadAs {
            actor: "kwm".into(),
            access: None,
        }
    }
}

/// [`ingest_files`] with who loads and, for a restricted load, its access set in the same
/// write as its figures: no reader ever sees them public (on either backend).
pub fn ingest_files_as(
    store: &mut dyn Store,
    catalogue: &Catalogue,
    paths: &[PathBuf],
    options: &ReadOptions,
    loaded_at: &str,
    who: &LoadAs,
) -> Result<IngestReport, MonitorError> {
    let batches = kwm_ingest::read_inputs(paths, catalogue, options)?;
    ingest_batches_as(store, catalogue, &batches, loaded_at, who)
}

/// Stores batches already read (by `kwm_ingest::read_memory`, e.g. tables downloaded by
/// `kwm fetch`) exactly as [`ingest_files`] stores files: one write for all of them and what is
/// derived from them (catalogue sync and ranks, parents, layout changes).
pub fn ingest_batches(
    store: &mut dyn Store,
    catalogue: &Catalogue,
    batches: &[LoadBatch],
    loaded_at: &str,
) -> Result<IngestReport, MonitorError> {
    ingest_batches_as(store, catalogue, batches, loaded_at, &LoadAs::default())
}

/// [`ingest_batches`] with who loads and the access of the new loads (see [`ingest_files_as`]).
/// Every new load is appended to the audit log in the same write.
pub fn ingest_batches_as(
    store: &mut dyn Store,
    catalogue: &Catalogue,
    batches: &[LoadBatch],
    loaded_at: &str,
    who: &LoadAs,
) -> Result<IngestReport, MonitorError> {
    // The files and everything derived from them are one write: a process killed half-way
    // leaves the store as it was.
    let mut derived = None;
    let mut failure = None;
    store
        .write_all(&mut |store| {
            let result = (|| -> Result<_, MonitorError> {
                let outcomes = store.apply_loads(batches, loaded_at)?;
                for (batch, outcome) in batches.iter().zip(&outcomes) {
                    let LoadOutcome::Loaded { load_id, .. } = outcome else {
                        continue;
                    };
                    let mut subject = format!("load {load_id} ({})", batch.file_name);
                    if let Some(access) = &who.access {
                        store.set_load_access(*load_id, access, loaded_at, &who.actor)?;
                        subject.push_str(&format!(
                            " restricted{}",
                            access
                                .until
                                .as_ref()
                                .map(|u| format!(" until {u}"))
                                .unwrap_or_default()
                        ));
                    }
                    store.append_audit(&kwm_store::AuditEntry {
                        id: 0,
                        at: loaded_at.to_string(),
                        actor: who.actor.clone(),
                        via: "cli".into(),
                        action: "load".into(),
                        subject,
                        origin: "cli".into(),
                    })?;
                }
                sync_catalogue(store, catalogue)?;
                let parents_derived = derive_parents(store)?;
                let layouts = crate::layouts::derive_changes(store)?;
                Ok((outcomes, parents_derived, layouts))
            })();
            match result {
                Ok(done) => {
                    derived = Some(done);
                    Ok(())
                }
                Err(MonitorError::Store(e)) => Err(e),
                Err(other) => {
                    failure = Some(other);
                    Err(kwm_store::StoreError::Unavailable(
                        "load abandoned: a derivation failed".into(),
                    ))
                }
            }
        })
        .map_err(|e| failure.take().unwrap_or(MonitorError::Store(e)))?;
    let (outcomes, parents_derived, layouts) = derived.expect("set when the write succeeded");
    Ok(IngestReport {
        layouts,
        files: batches
            .iter()
            .zip(outcomes)
            .map(|(b, o)| report(b, o))
            .collect(),
        parents_derived,
    })
}

/// Writes the catalogue's indicator metadata into the store, so labels, units and directions
/// follow the catalogue even for data loaded before it was edited, and brings the stored ranks
/// up to date ([`crate::query::refresh_ranks`]).
pub fn sync_catalogue(store: &mut dyn Store, catalogue: &Catalogue) -> Result<(), MonitorError> {
    let indicators: Vec<_> = catalogue
        .indicators
        .iter()
        .map(|c| c.indicator.clone())
        .collect();
    store.sync_indicators(&indicators)?;
    // Directions and decimals may have changed, and loads may have added figures: ranks
    // follow both.
    crate::query::refresh_ranks(store)?;
    Ok(())
}

/// Gives gemeenten without a parent their province: from the same code in another layout
/// where it is known (gemeenten rarely change province), else from the province boundary
/// that contains the gemeente's interior point. Idempotent; only fills what is missing.
pub fn derive_parents(store: &mut dyn Store) -> Result<usize, MonitorError> {
    let province_layouts = store.layouts(Level::Provincie)?;
    let provinces = match province_layouts.last() {
        Some(&l) => store.boundaries(Level::Provincie, l)?,
        None => Vec::new(),
    };
    let mut updates: Vec<(RegionCode, i32, RegionCode)> = Vec::new();
    for layout in store.layouts(Level::Gemeente)? {
        let orphans: Vec<RegionCode> = store
            .regions(Level::Gemeente, layout)?
            .into_iter()
            .filter(|r| r.parent.is_none())
            .map(|r| r.code)
            .collect();
        if orphans.is_empty() {
            continue;
        }
        let mut still: Vec<RegionCode> = Vec::new();
        for code in orphans {
            match store.region(&code, layout)?.and_then(|r| r.parent) {
                Some(parent) => updates.push((code, layout, parent)),
                None => still.push(code),
            }
        }
        if still.is_empty() || provinces.is_empty() {
            continue;
        }
        let shapes = store.boundaries(Level::Gemeente, layout)?;
        let (codes, geoms): (Vec<_>, Vec<_>) = shapes
            .into_iter()
            .filter(|b| still.contains(&b.code))
            .map(|b| (b.code, b.geometry))
            .unzip();
        let province_geoms: Vec<_> = provinces.iter().map(|p| p.geometry.clone()).collect();
        for (code, parent) in codes
            .into_iter()
            .zip(kwm_engine::geometry::containing_parent(
                &geoms,
                &province_geoms,
            ))
        {
            if let Some(i) = parent {
                updates.push((code, layout, provinces[i].code.clone()));
            }
        }
    }
    Ok(store.set_missing_parents(&updates)?)
}
