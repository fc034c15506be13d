//! What a stored run is: the parameters and fingerprint it was computed with, its summary as
//! read back, and which run answers a level and period. Everything that reads stored risk
//! results starts here; nothing here computes.

use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{Definition, FactorKind, MethodParams};
use kwm_model::Level;
use kwm_store::{RiskRunRecord, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::summary::RunSummary;
use crate::MonitorError;

/// Version of the computation itself; part of the fingerprint, so results computed by an older
/// method are recomputed after an upgrade. Bump it when `kwm_engine::stacking` changes results.
pub const METHOD_VERSION: &str = "stacking-3";

/// Levels the risk model can be computed for (the country has nothing to be ranked against).
pub const LEVELS: [Level; 5] = [
    Level::Provincie,
    Level::Ggd,
    Level::Gemeente,
    Level::Wijk,
    Level::Buurt,
];

#[derive(Serialize)]
struct FactorUsed<'a> {
    id: &'a str,
    kind: FactorKind,
    definition: Option<&'a Definition>,
}

#[derive(Serialize)]
struct RunParameters<'a> {
    method_version: &'static str,
    level: Level,
    period: i32,
    method: &'a MethodParams,
    factors: Vec<FactorUsed<'a>>,
    themes: Vec<&'a str>,
    matrix: &'a [Vec<u8>],
}

#[derive(Deserialize)]
struct StoredParameters {
    method: MethodParams,
}

/// The parameters JSON stored with a run and the fingerprint of everything the run depends on.
pub fn fingerprint(
    store: &dyn Store,
    catalogue: &Catalogue,
    level: Level,
    period: i32,
) -> Result<(String, String), MonitorError> {
    let model = &catalogue.risk;
    let parameters = RunParameters {
        method_version: METHOD_VERSION,
        level,
        period,
        method: &model.method,
        factors: model
            .factors()
            .map(|f| FactorUsed {
                id: &f.id,
                kind: f.kind,
                definition: f.definition_at(level, period),
            })
            .collect(),
        themes: model.themes.iter().map(|t| t.id.as_str()).collect(),
        matrix: &model.matrix.values,
    };
    let json = serde_json::to_string(&parameters)
        .map_err(|e| MonitorError::Internal(format!("serialising run parameters: {e}")))?;
    let mut checksums: Vec<String> = store.loads()?.into_iter().map(|l| l.checksum).collect();
    checksums.sort();
    let mut hash = Sha256::new();
    for part in [catalogue.version.as_str(), json.as_str()]
        .into_iter()
        .chain(checksums.iter().map(String::as_str))
    {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    let digest: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((json, digest))
}

/// A stored run's summary, or why it cannot be read.
pub(crate) fn parse_summary(run: &RiskRunRecord) -> Result<RunSummary, MonitorError> {
    serde_json::from_str(&run.summary).map_err(|e| {
        MonitorError::Stored(format!(
            "stored run {} has an unreadable summary: {e}",
            run.id
        ))
    })
}

/// A stored run as pages and the API show it.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The stored run.
    pub record: RiskRunRecord,
    /// Method parameters it was computed with.
    pub method: MethodParams,
    /// Its summary.
    pub summary: RunSummary,
    /// True when the catalogue, parameters or data changed since: `kwm compute` would
    /// recompute.
    pub stale: bool,
}

pub(crate) fn run_info(
    store: &dyn Store,
    catalogue: &Catalogue,
    record: RiskRunRecord,
) -> Result<RunInfo, MonitorError> {
    let method = serde_json::from_str::<StoredParameters>(&record.parameters)
        .map(|p| p.method)
        .map_err(|e| {
            MonitorError::Stored(format!(
                "stored run {} has unreadable parameters: {e}",
                record.id
            ))
        })?;
    let (_, current) = fingerprint(store, catalogue, record.level, record.period)?;
    Ok(RunInfo {
        summary: parse_summary(&record)?,
        stale: current != record.fingerprint,
        method,
        record,
    })
}

/// Periods with stored results at a level.
pub fn result_periods(store: &dyn Store, level: Level) -> Result<Vec<i32>, MonitorError> {
    Ok(store
        .risk_runs()?
        .into_iter()
        .filter(|r| r.level == level)
        .map(|r| r.period)
        .collect())
}

/// The risk characteristics a stored run measured (empty when its summary is unreadable).
pub fn measured_characteristics(run: &RiskRunRecord) -> Vec<String> {
    parse_summary(run).map_or_else(|_| Vec::new(), |s| s.characteristics_with_data)
}

pub(crate) fn pick_run(
    store: &dyn Store,
    level: Level,
    period: Option<i32>,
) -> Result<RiskRunRecord, MonitorError> {
    let runs: Vec<RiskRunRecord> = store
        .risk_runs()?
        .into_iter()
        .filter(|r| r.level == level)
        .collect();
    if runs.is_empty() {
        return Err(MonitorError::NotFound(format!(
            "no stacking results for level {level}; compute them with `kwm compute --db STORE --level {level}`"
        )));
    }
    let periods = runs
        .iter()
        .map(|r| r.period.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    match period {
        // Without a period: the one that measures the most characteristics (the national
        // adults' figures of 2020 rather than a later year with the young adults' survey
        // only), the latest among equals.
        None => Ok(runs
            .into_iter()
            .max_by_key(|r| {
                let measured = parse_summary(r).map_or(0, |s| s.characteristics_with_data.len());
                (measured, r.period)
            })
            .expect("not empty")),
        Some(p) => runs.into_iter().find(|r| r.period == p).ok_or_else(|| {
            MonitorError::NotFound(format!(
                "no stacking results for {level} in {p} (periods with results: {periods})"
            ))
        }),
    }
}
