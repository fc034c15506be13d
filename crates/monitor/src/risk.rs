//! The risk model as use cases: compute stacking results for a level and period and store them
//! with what they were computed from; answer the questions of the stacking, theme-profile,
//! coverage and group pages from the stored results.
//!
//! A stored run carries a **fingerprint**: a SHA-256 over the catalogue version, the level's
//! model and method parameters exactly as used, and the checksums of every loaded file.
//! [`compute`] does nothing when the stored fingerprint equals the current one, and recomputes
//! when the catalogue, the parameters or the data changed. Pages say when stored results are
//! stale (computed with another catalogue or data than the server now has).

use std::collections::{BTreeSet, HashMap};

use kwm_engine::stacking::{
    self, Column, FactorInput, StackingError, StackingInput, TermInput, TermTrace, ThemeDriver,
};
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{Definition, Factor, FactorKind, MethodParams, RiskModel};
use kwm_model::{Level, RegionCode};
use kwm_store::{
    RiskFactorRecord, RiskRegionRecord, RiskRun, RiskRunRecord, RiskThemeRecord, Store,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clusters::{self, ClustersSummary, Variable};
use crate::composite::{self, CompositeSummary};
use crate::query::layout_for;
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

/// Run-level results stored with a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Regions in the run.
    pub regions: usize,
    /// `distribution[k]`: regions with stacking count `k`, among regions with data.
    pub distribution: Vec<usize>,
    /// Regions without any characteristic score.
    pub no_data: usize,
    /// Risk characteristics with a score somewhere at this level and period.
    pub characteristics_with_data: Vec<String>,
    /// Regions with a composite.
    pub composite_ranked: usize,
    /// The composite's method, the compared methods and the Monte Carlo analysis of its rank
    /// (`None` for runs stored before method comparisons, or without any characteristic).
    #[serde(default)]
    pub composite: Option<CompositeSummary>,
    /// Spatial clusters: settings, boundaries used, per variable (`None` for older runs).
    #[serde(default)]
    pub clusters: Option<ClustersSummary>,
}

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

fn require_model(catalogue: &Catalogue) -> Result<&RiskModel, MonitorError> {
    if catalogue.risk.characteristics.is_empty() {
        return Err(MonitorError::BadRequest(
            "the catalogue has no risk characteristics (characteristics.toml is missing or empty)"
                .into(),
        ));
    }
    Ok(&catalogue.risk)
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

/// What [`compute`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputeStatus {
    /// Results were computed and stored.
    Computed,
    /// Stored results already match the catalogue, parameters and data; nothing changed.
    UpToDate,
    /// No characteristic has any figure at this level and period; nothing was stored.
    NoData,
    /// Fewer regions than [`MIN_RANKED_REGIONS`] have figures (e.g. one gemeente's own wijk
    /// file read at gemeente level): a percentile among so few says nothing, so nothing was
    /// stored.
    TooFewRegions,
}

/// The fewest regions with figures a level and period needs before its regions are ranked:
/// with fewer than ten, "the least favourable 10%" is not even one region.
pub const MIN_RANKED_REGIONS: usize = 10;

/// The outcome of computing one level and period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComputeOutcome {
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// What happened.
    pub status: ComputeStatus,
    /// The stored run (computed now or earlier).
    pub run: Option<RiskRunRecord>,
    /// Its summary.
    pub summary: Option<RunSummary>,
    /// Seconds spent per phase (`stacking`, `composite analyses`, `clusters`) when computed now.
    pub timings: Vec<(String, f64)>,
}

fn parse_summary(run: &RiskRunRecord) -> Result<RunSummary, MonitorError> {
    serde_json::from_str(&run.summary).map_err(|e| {
        MonitorError::Stored(format!(
            "stored run {} has an unreadable summary: {e}",
            run.id
        ))
    })
}

/// The values the model needs at a level and period, on one region list.
struct Gathered {
    codes: Vec<RegionCode>,
    layout: Option<i32>,
    columns: HashMap<String, Column>,
}

fn used_indicators(model: &RiskModel, level: Level, period: i32) -> BTreeSet<String> {
    model
        .factors()
        .filter_map(|f| f.definition_at(level, period))
        .flat_map(|d| d.terms.iter())
        .flat_map(|t| t.indicators())
        .map(|i| i.to_string())
        .collect()
}

fn gather(
    store: &dyn Store,
    model: &RiskModel,
    level: Level,
    period: i32,
) -> Result<Gathered, MonitorError> {
    let layout = layout_for(store, level, period)?;
    let mut codes: BTreeSet<RegionCode> = match layout {
        Some(l) => store
            .regions(level, l)?
            .into_iter()
            .map(|r| r.code)
            .collect(),
        None => BTreeSet::new(),
    };
    let mut values: HashMap<String, HashMap<RegionCode, f64>> = HashMap::new();
    for id in used_indicators(model, level, period) {
        let observed: HashMap<RegionCode, f64> = store
            .observations(&id, level, period)?
            .into_iter()
            .filter_map(|o| o.value.map(|v| (o.region, v)))
            .collect();
        // An indicator published for a handful of regions only (one gemeente's own wijk file
        // read at gemeente level) cannot rank anything: it counts as not loaded here.
        if observed.len() < MIN_RANKED_REGIONS {
            continue;
        }
        // Regions with figures but outside the layout (another year's codes) are kept, as in
        // the indicator tables.
        codes.extend(observed.keys().cloned());
        values.insert(id, observed);
    }
    let codes: Vec<RegionCode> = codes.into_iter().collect();
    let columns = values
        .into_iter()
        .map(|(id, by_code)| {
            let column: Column = codes.iter().map(|c| by_code.get(c).copied()).collect();
            (id, column)
        })
        .collect();
    Ok(Gathered {
        codes,
        layout,
        columns,
    })
}

fn factor_input(
    f: &Factor,
    level: Level,
    period: i32,
    columns: &HashMap<String, Column>,
    n: usize,
) -> FactorInput {
    let column = |id: &str| columns.get(id).cloned().unwrap_or_else(|| vec![None; n]);
    FactorInput {
        id: f.id.clone(),
        kind: f.kind,
        terms: f
            .definition_at(level, period)
            .map(|d| {
                d.terms
                    .iter()
                    .map(|t| TermInput {
                        indicator: t.indicator.to_string(),
                        weight: t.weight,
                        direction: t.direction,
                        decimals: u32::from(t.decimals),
                        numerator: std::iter::once(&t.indicator)
                            .chain(t.plus.iter())
                            .map(|i| column(i.as_str()))
                            .collect(),
                        denominator: t.per.as_ref().map(|i| column(i.as_str())),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, MonitorError> {
    serde_json::to_string(value)
        .map_err(|e| MonitorError::Internal(format!("serialising results: {e}")))
}

/// Computes the risk model for one level and period and stores the results, unless results
/// with the same fingerprint are stored already (`force` recomputes anyway).
pub fn compute(
    store: &mut dyn Store,
    catalogue: &Catalogue,
    level: Level,
    period: i32,
    computed_at: &str,
    force: bool,
) -> Result<ComputeOutcome, MonitorError> {
    let model = require_model(catalogue)?;
    if level == Level::Land {
        return Err(MonitorError::BadRequest(
            "level land has one region: there is nothing to stack it against".into(),
        ));
    }
    let (parameters, fingerprint) = fingerprint(store, catalogue, level, period)?;
    if !force {
        if let Some(existing) = store
            .risk_runs()?
            .into_iter()
            .find(|r| r.level == level && r.period == period && r.fingerprint == fingerprint)
        {
            return Ok(ComputeOutcome {
                level,
                period,
                status: ComputeStatus::UpToDate,
                summary: Some(parse_summary(&existing)?),
                run: Some(existing),
                timings: Vec::new(),
            });
        }
    }
    let started = std::time::Instant::now();
    let mut timings = Vec::new();
    let mut lap = |phase: &str, since: &mut std::time::Instant| {
        timings.push((phase.to_string(), since.elapsed().as_secs_f64()));
        *since = std::time::Instant::now();
    };
    let mut since = started;
    let data = gather(store, model, level, period)?;
    let n = data.codes.len();
    let input = StackingInput {
        regions: n,
        factors: model
            .factors()
            .map(|f| factor_input(f, level, period, &data.columns, n))
            .collect(),
        themes: model.themes.iter().map(|t| t.id.clone()).collect(),
        matrix: model.matrix.values.clone(),
        params: model.method.clone(),
        composite: composite::composite_spec(&model.method, model, model.method.composite),
    };
    let result = stacking::compute(&input).map_err(|e| match e {
        StackingError::Composite(e) => MonitorError::BadRequest(format!(
            "{level} {period}: the composite's method cannot apply to these data: {e}; change [composite] in method.toml"
        )),
        StackingError::Input(e) => MonitorError::Internal(format!("{e} (a bug in the monitor)")),
    })?;
    lap("stacking", &mut since);
    let with_figures = result
        .regions
        .iter()
        .filter(|r| r.with_data > 0 || r.protective_with_data > 0)
        .count();
    if with_figures < MIN_RANKED_REGIONS {
        return Ok(ComputeOutcome {
            level,
            period,
            status: if with_figures == 0 {
                ComputeStatus::NoData
            } else {
                ComputeStatus::TooFewRegions
            },
            run: None,
            summary: None,
            timings,
        });
    }
    let (composite_summary, analyses) = match (&result.composite_table, &result.composite) {
        (Some(table), Some(nominal)) => {
            let (s, a) = composite::analyse(&model.method, model, table, nominal);
            (Some(s), a)
        }
        _ => (None, Vec::new()),
    };
    lap("composite analyses", &mut since);
    let variables = cluster_variables(model, &input, &result);
    let (clusters_summary, cluster_records) = clusters::compute(
        store,
        &model.method.clusters,
        level,
        data.layout,
        &data.codes,
        &variables,
    )?;
    lap("clusters", &mut since);
    let summary = RunSummary {
        regions: n,
        distribution: result.distribution.clone(),
        no_data: result.no_data,
        characteristics_with_data: model
            .characteristics
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                // Risk characteristics come first in the input, in catalogue order.
                result.regions.iter().any(|r| r.factors[*i].score.is_some())
            })
            .map(|(_, f)| f.id.clone())
            .collect(),
        composite_ranked: result.composite_ranked,
        composite: composite_summary,
        clusters: Some(clusters_summary),
    };
    let mut regions = Vec::with_capacity(n);
    for (i, (code, r)) in data.codes.iter().zip(&result.regions).enumerate() {
        let analysis = analyses.get(i);
        let interval = analysis.and_then(|a| a.interval.as_ref());
        let mut factors = Vec::with_capacity(r.factors.len());
        for (f, res) in input.factors.iter().zip(&r.factors) {
            factors.push(RiskFactorRecord {
                factor: f.id.clone(),
                score: res.score,
                rank: res.rank.map(|x| x as i64),
                ranked: res.ranked as i64,
                percentile: res.percentile,
                flagged: res.flagged,
                trace: to_json(&res.terms)?,
            });
        }
        let mut themes = Vec::with_capacity(r.themes.len());
        for (t, res) in input.themes.iter().zip(&r.themes) {
            themes.push(RiskThemeRecord {
                theme: t.clone(),
                exposure: res.exposure,
                rank: res.rank.map(|x| x as i64),
                ranked: res.ranked as i64,
                coverage: res.coverage,
                flagged_weight: i64::from(res.flagged_weight),
                drivers: to_json(&res.drivers)?,
            });
        }
        regions.push(RiskRegionRecord {
            region: code.clone(),
            flagged: r.flagged as i64,
            with_data: r.with_data as i64,
            weak_protective: r.weak_protective as i64,
            protective_with_data: r.protective_with_data as i64,
            composite: r.composite,
            composite_rank: r.composite_rank.map(|x| x as i64),
            composite_percentile: r.composite_percentile,
            rank_median: interval.and_then(|s| s.median_rank),
            rank_lower: interval.and_then(|s| s.lower_rank),
            rank_upper: interval.and_then(|s| s.upper_rank),
            method_ranks: analysis.map(|a| a.method_ranks.clone()).unwrap_or_default(),
            factors,
            themes,
        });
    }
    let mut run = RiskRun {
        run: RiskRunRecord {
            id: 0,
            level,
            period,
            layout: data.layout,
            catalogue_version: catalogue.version.clone(),
            fingerprint,
            parameters,
            summary: to_json(&summary)?,
            computed_at: computed_at.to_string(),
        },
        regions,
        clusters: cluster_records,
    };
    run.run.id = store.save_risk_run(&run)?;
    lap("store", &mut since);
    Ok(ComputeOutcome {
        level,
        period,
        status: ComputeStatus::Computed,
        run: Some(run.run),
        summary: Some(summary),
        timings,
    })
}

/// The variables whose clusters are computed: the stacking count (regions with any
/// characteristic measured), the composite score, and every risk characteristic's score where
/// it has data.
fn cluster_variables(
    model: &RiskModel,
    input: &StackingInput,
    result: &stacking::StackingResult,
) -> Vec<Variable> {
    let mut out = vec![
        Variable {
            id: clusters::STACKING.into(),
            values: result
                .regions
                .iter()
                .map(|r| (r.with_data > 0).then_some(r.flagged as f64))
                .collect(),
        },
        Variable {
            id: clusters::COMPOSITE.into(),
            values: result.regions.iter().map(|r| r.composite).collect(),
        },
    ];
    for (i, f) in input.factors.iter().enumerate() {
        if f.kind != FactorKind::Risk || model.factor(&f.id).is_none() {
            continue;
        }
        let values: Vec<Option<f64>> = result.regions.iter().map(|r| r.factors[i].score).collect();
        if values.iter().any(Option::is_some) {
            out.push(Variable {
                id: f.id.clone(),
                values,
            });
        }
    }
    out
}

/// Periods at a level for which some term of some factor has all its indicators stored.
pub fn computable_periods(
    store: &dyn Store,
    catalogue: &Catalogue,
    level: Level,
) -> Result<Vec<i32>, MonitorError> {
    let model = &catalogue.risk;
    if !model
        .factors()
        .any(|f| f.definitions_at(level).next().is_some())
    {
        return Ok(Vec::new());
    }
    let mut periods = Vec::new();
    for p in store.periods(level)? {
        let terms: Vec<Vec<String>> = model
            .factors()
            .filter_map(|f| f.definition_at(level, p))
            .flat_map(|d| d.terms.iter())
            .map(|t| t.indicators().map(|i| i.to_string()).collect())
            .collect();
        let ids: BTreeSet<String> = store.indicator_ids_at(level, p)?.into_iter().collect();
        if terms.iter().any(|t| t.iter().all(|i| ids.contains(i))) {
            periods.push(p);
        }
    }
    Ok(periods)
}

/// Computes every requested level and period: a given level or every level the catalogue
/// defines a factor for; a given period or every period with figures for some factor.
pub fn compute_all(
    store: &mut dyn Store,
    catalogue: &Catalogue,
    level: Option<Level>,
    period: Option<i32>,
    computed_at: &str,
    force: bool,
) -> Result<Vec<ComputeOutcome>, MonitorError> {
    let model = require_model(catalogue)?;
    let levels: Vec<Level> = match level {
        Some(l) => vec![l],
        None => LEVELS
            .into_iter()
            .filter(|l| {
                model
                    .factors()
                    .any(|f| f.definitions_at(*l).next().is_some())
            })
            .collect(),
    };
    let mut outcomes = Vec::new();
    for l in levels {
        let periods = match period {
            Some(p) => vec![p],
            None => computable_periods(store, catalogue, l)?,
        };
        for p in periods {
            outcomes.push(compute(store, catalogue, l, p, computed_at, force)?);
        }
    }
    Ok(outcomes)
}

// ---------------------------------------------------------------------------------------------
// Reading results

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

pub(crate) fn region_names(
    store: &dyn Store,
    level: Level,
    layout: Option<i32>,
) -> Result<HashMap<RegionCode, Option<String>>, MonitorError> {
    Ok(match layout {
        Some(l) => store
            .regions(level, l)?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect(),
        None => HashMap::new(),
    })
}

/// The 90% interval of a region's composite rank over the Monte Carlo runs of the method
/// choices, with the median.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankInterval {
    /// Median rank.
    pub median: f64,
    /// 5th percentile of the ranks (the better end).
    pub lower: f64,
    /// 95th percentile.
    pub upper: f64,
}

fn rank_interval(r: &RiskRegionRecord) -> Option<RankInterval> {
    Some(RankInterval {
        median: r.rank_median?,
        lower: r.rank_lower?,
        upper: r.rank_upper?,
    })
}

/// One region in the stacking table.
#[derive(Debug, Clone)]
pub struct StackingRow {
    /// Region.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// Stacking count.
    pub flagged: usize,
    /// Characteristics with a score here.
    pub with_data: usize,
    /// Ids of the flagged characteristics.
    pub flagged_ids: Vec<String>,
    /// Weak protective factors.
    pub weak_protective: usize,
    /// Protective factors with a score.
    pub protective_with_data: usize,
    /// Composite (0–1).
    pub composite: Option<f64>,
    /// Composite rank, 1 = most vulnerable.
    pub composite_rank: Option<usize>,
    /// Composite percentile.
    pub composite_percentile: Option<f64>,
    /// 90% interval of the composite rank over the method choices.
    pub rank_interval: Option<RankInterval>,
}

/// Stacking counts of all regions of a level in a period.
#[derive(Debug, Clone)]
pub struct Stacking {
    /// The run.
    pub run: RunInfo,
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// Periods with results at this level.
    pub periods: Vec<i32>,
    /// Risk characteristics in catalogue order, with whether they have data here.
    pub characteristics: Vec<(String, bool)>,
    /// Rows in code order.
    pub rows: Vec<StackingRow>,
}

/// One gemeente's part of a stacking result: its wijken or buurten, with their national ranks,
/// percentiles and flags (the thresholds are national), and the distribution of the stacking
/// counts recounted over them.
#[derive(Debug, Clone)]
pub struct StackingWithin {
    /// The gemeente.
    pub gemeente: RegionCode,
    /// Its name, when known.
    pub name: Option<String>,
    /// Regions per number of flagged characteristics, over the gemeente's regions with data.
    pub distribution: Vec<usize>,
    /// The gemeente's regions without data.
    pub no_data: usize,
}

/// Cuts a wijk or buurt stacking result to one gemeente's regions (see [`StackingWithin`]).
pub fn stacking_within(
    store: &dyn Store,
    s: &mut Stacking,
    gemeente: &RegionCode,
) -> Result<StackingWithin, MonitorError> {
    if gemeente.level() != Level::Gemeente {
        return Err(MonitorError::BadRequest(format!(
            "gemeente={gemeente}: expected a gemeente code (GM…)"
        )));
    }
    // Not found rather than malformed: a well-formed code whose result has no such part.
    if !matches!(s.level, Level::Wijk | Level::Buurt) {
        return Err(MonitorError::NotFound(format!(
            "gemeente={gemeente} cuts a wijk or buurt result; ask level=wijk or level=buurt"
        )));
    }
    let name = store.region(gemeente, s.period)?.and_then(|r| r.name);
    s.rows
        .retain(|r| r.code.gemeente().as_ref() == Some(gemeente));
    if s.rows.is_empty() {
        return Err(MonitorError::NotFound(format!(
            "no {} of {gemeente} in the {} stacking results of {}",
            s.level, s.level, s.period
        )));
    }
    let mut distribution = vec![0usize; s.characteristics.len() + 1];
    let mut no_data = 0;
    for r in &s.rows {
        if r.with_data == 0 {
            no_data += 1;
        } else if let Some(n) = distribution.get_mut(r.flagged) {
            *n += 1;
        }
    }
    Ok(StackingWithin {
        gemeente: gemeente.clone(),
        name,
        distribution,
        no_data,
    })
}

/// The stacking results of a level and period (default: the latest period with results).
pub fn stacking(
    store: &dyn Store,
    catalogue: &Catalogue,
    level: Level,
    period: Option<i32>,
) -> Result<Stacking, MonitorError> {
    let record = pick_run(store, level, period)?;
    let period = record.period;
    let run = store.risk_run_flags(level, period)?.ok_or_else(|| {
        MonitorError::NotFound(format!("no stacking results for {level} in {period}"))
    })?;
    let names = region_names(store, level, run.run.layout)?;
    let risk_ids: BTreeSet<&str> = catalogue
        .risk
        .characteristics
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    let info = run_info(store, catalogue, run.run)?;
    let rows = run
        .regions
        .into_iter()
        .map(|r| StackingRow {
            rank_interval: rank_interval(&r),
            name: names.get(&r.region).cloned().flatten(),
            flagged_ids: r
                .factors
                .iter()
                .filter(|f| f.flagged && risk_ids.contains(f.factor.as_str()))
                .map(|f| f.factor.clone())
                .collect(),
            code: r.region,
            flagged: r.flagged as usize,
            with_data: r.with_data as usize,
            weak_protective: r.weak_protective as usize,
            protective_with_data: r.protective_with_data as usize,
            composite: r.composite,
            composite_rank: r.composite_rank.map(|x| x as usize),
            composite_percentile: r.composite_percentile,
        })
        .collect();
    let with_data: BTreeSet<&str> = info
        .summary
        .characteristics_with_data
        .iter()
        .map(String::as_str)
        .collect();
    Ok(Stacking {
        characteristics: catalogue
            .risk
            .characteristics
            .iter()
            .map(|f| (f.id.clone(), with_data.contains(f.id.as_str())))
            .collect(),
        periods: result_periods(store, level)?,
        run: info,
        level,
        period,
        rows,
    })
}

/// One factor of one region, with how it was computed.
#[derive(Debug, Clone)]
pub struct FactorView {
    /// Factor id.
    pub id: String,
    /// Risk or protective.
    pub kind: FactorKind,
    /// Score (0–1).
    pub score: Option<f64>,
    /// Rank, 1 = least favourable.
    pub rank: Option<usize>,
    /// Regions with a score.
    pub ranked: usize,
    /// Displayed percentile.
    pub percentile: Option<f64>,
    /// Flagged (protective: weak).
    pub flagged: bool,
    /// Per indicator: inputs, value, rank, percentile, weights. Empty for a gap.
    pub terms: Vec<TermTrace>,
    /// True when the catalogue has no definition at this level: a data gap.
    pub gap: bool,
}

/// One theme of one region.
#[derive(Debug, Clone)]
pub struct ThemeView {
    /// Theme id.
    pub id: String,
    /// Exposure (0–100).
    pub exposure: Option<f64>,
    /// Rank, 1 = most exposed.
    pub rank: Option<usize>,
    /// Regions with an exposure.
    pub ranked: usize,
    /// Share of the theme's matrix weight measured here.
    pub coverage: f64,
    /// Sum of matrix values of flagged characteristics.
    pub flagged_weight: u32,
    /// Characteristics behind the exposure, largest contribution first.
    pub drivers: Vec<ThemeDriver>,
}

/// The risk picture of one region: stacking, characteristics with their indicators, themes.
#[derive(Debug, Clone)]
pub struct RegionRisk {
    /// Region.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// The run.
    pub run: RunInfo,
    /// Periods with results at the region's level.
    pub periods: Vec<i32>,
    /// Stacking count.
    pub flagged: usize,
    /// Characteristics with a score here.
    pub with_data: usize,
    /// Weak protective factors.
    pub weak_protective: usize,
    /// Protective factors with a score.
    pub protective_with_data: usize,
    /// Composite (0–1).
    pub composite: Option<f64>,
    /// Composite rank.
    pub composite_rank: Option<usize>,
    /// Composite percentile.
    pub composite_percentile: Option<f64>,
    /// Regions with a composite.
    pub composite_ranked: usize,
    /// 90% interval of the composite rank over the method choices.
    pub rank_interval: Option<RankInterval>,
    /// The composite's rank under each compared method (keys as in the run's summary).
    pub method_ranks: Vec<(String, Option<usize>)>,
    /// Risk characteristics then protective factors, catalogue order.
    pub factors: Vec<FactorView>,
    /// Themes, catalogue order.
    pub themes: Vec<ThemeView>,
}

/// The risk picture of a region in a period (default: the latest with results for its level).
pub fn region_risk(
    store: &dyn Store,
    catalogue: &Catalogue,
    code: &RegionCode,
    period: Option<i32>,
) -> Result<RegionRisk, MonitorError> {
    let level = code.level();
    let record = pick_run(store, level, period)?;
    let period = record.period;
    let run = store.risk_run(level, period, Some(code))?.ok_or_else(|| {
        MonitorError::NotFound(format!("no stacking results for {level} in {period}"))
    })?;
    let Some(r) = run.regions.first().cloned() else {
        return Err(MonitorError::NotFound(format!(
            "region '{code}' is not among the {level} regions with stacking results for {period}"
        )));
    };
    let name = store
        .region(code, run.run.layout.unwrap_or(period))?
        .and_then(|x| x.name);
    let mut factors = Vec::with_capacity(r.factors.len());
    for f in &r.factors {
        let terms: Vec<TermTrace> = serde_json::from_str(&f.trace).map_err(|e| {
            MonitorError::Stored(format!("stored trace of {} is unreadable: {e}", f.factor))
        })?;
        factors.push(FactorView {
            kind: catalogue
                .risk
                .factor(&f.factor)
                .map_or(FactorKind::Risk, |x| x.kind),
            // A factor is computed without terms exactly when it had no definition at the level.
            gap: terms.is_empty(),
            id: f.factor.clone(),
            score: f.score,
            rank: f.rank.map(|x| x as usize),
            ranked: f.ranked as usize,
            percentile: f.percentile,
            flagged: f.flagged,
            terms,
        });
    }
    let mut themes = Vec::with_capacity(r.themes.len());
    for t in &r.themes {
        themes.push(ThemeView {
            id: t.theme.clone(),
            exposure: t.exposure,
            rank: t.rank.map(|x| x as usize),
            ranked: t.ranked as usize,
            coverage: t.coverage,
            flagged_weight: t.flagged_weight as u32,
            drivers: serde_json::from_str(&t.drivers).map_err(|e| {
                MonitorError::Stored(format!("stored drivers of {} are unreadable: {e}", t.theme))
            })?,
        });
    }
    let info = run_info(store, catalogue, run.run)?;
    Ok(RegionRisk {
        code: code.clone(),
        name,
        periods: result_periods(store, level)?,
        flagged: r.flagged as usize,
        with_data: r.with_data as usize,
        weak_protective: r.weak_protective as usize,
        protective_with_data: r.protective_with_data as usize,
        composite: r.composite,
        composite_rank: r.composite_rank.map(|x| x as usize),
        composite_percentile: r.composite_percentile,
        composite_ranked: info.summary.composite_ranked,
        rank_interval: rank_interval(&r),
        method_ranks: r
            .method_ranks
            .iter()
            .map(|m| (m.method.clone(), m.rank.map(|x| x as usize)))
            .collect(),
        factors,
        themes,
        run: info,
    })
}

// ---------------------------------------------------------------------------------------------
// Coverage

/// Whether a factor is measured at a level and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    /// At least one term has all its indicators loaded.
    Measured,
    /// Defined at this level, but no figures are loaded: a gap.
    NoData,
    /// No definition at this level: a gap.
    NoDefinition,
}

/// An indicator in a coverage cell, with the number of regions that have a figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageIndicator {
    /// Indicator id.
    pub id: String,
    /// Regions with a published value.
    pub regions: usize,
}

/// One factor at one level and period.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageCell {
    /// Level.
    pub level: Level,
    /// Period; `None` when nothing at all is loaded at this level.
    pub period: Option<i32>,
    /// Measured or which kind of gap.
    pub status: CoverageStatus,
    /// The definition's population (Dutch, English).
    pub population: Option<(String, String)>,
    /// The definition's population id (`18plus`), when the catalogue has populations.
    pub population_id: Option<String>,
    /// The definition is a proxy.
    pub proxy: bool,
    /// The definition's indicators and their regions with a figure.
    pub indicators: Vec<CoverageIndicator>,
}

/// One factor across levels and periods.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageRow {
    /// Factor id.
    pub factor: String,
    /// Risk or protective.
    pub kind: FactorKind,
    /// One cell per column.
    pub cells: Vec<CoverageCell>,
}

/// Which factor has figures at which level and period, and which are gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Columns: level and period (`None`: nothing loaded at the level).
    pub columns: Vec<(Level, Option<i32>)>,
    /// Rows: risk characteristics, then protective factors.
    pub rows: Vec<CoverageRow>,
}

/// Coverage of every factor at every level (or only `level`) and every period with figures.
pub fn coverage(
    store: &dyn Store,
    catalogue: &Catalogue,
    level: Option<Level>,
) -> Result<Coverage, MonitorError> {
    if level == Some(Level::Land) {
        return Err(MonitorError::BadRequest(
            "level land has one region: the risk model is not computed for it".into(),
        ));
    }
    let levels: Vec<Level> = match level {
        Some(l) => vec![l],
        None => LEVELS.to_vec(),
    };
    let mut columns = Vec::new();
    for l in levels {
        let periods = store.periods(l)?;
        if periods.is_empty() {
            columns.push((l, None));
        } else {
            columns.extend(periods.into_iter().map(|p| (l, Some(p))));
        }
    }
    let mut present: HashMap<(Level, i32), BTreeSet<String>> = HashMap::new();
    let mut counts: HashMap<(String, Level, i32), usize> = HashMap::new();
    let mut rows = Vec::new();
    for f in catalogue.risk.factors() {
        let mut cells = Vec::with_capacity(columns.len());
        for &(l, period) in &columns {
            let def = match period {
                Some(p) => f.definition_at(l, p),
                None => f.definitions_at(l).next(),
            };
            let Some(def) = def else {
                cells.push(CoverageCell {
                    level: l,
                    period,
                    status: CoverageStatus::NoDefinition,
                    population: None,
                    population_id: None,
                    proxy: false,
                    indicators: Vec::new(),
                });
                continue;
            };
            let ids: BTreeSet<String> = def
                .terms
                .iter()
                .flat_map(|t| t.indicators())
                .map(|i| i.to_string())
                .collect();
            let mut indicators = Vec::with_capacity(ids.len());
            for id in ids {
                let n = match period {
                    None => 0,
                    Some(p) => {
                        let ids_at = match present.entry((l, p)) {
                            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                            std::collections::hash_map::Entry::Vacant(e) => {
                                e.insert(store.indicator_ids_at(l, p)?.into_iter().collect())
                            }
                        };
                        if !ids_at.contains(&id) {
                            0
                        } else if let Some(n) = counts.get(&(id.clone(), l, p)) {
                            *n
                        } else {
                            let n = store
                                .observations(&id, l, p)?
                                .iter()
                                .filter(|o| o.value.is_some())
                                .count();
                            counts.insert((id.clone(), l, p), n);
                            n
                        }
                    }
                };
                indicators.push(CoverageIndicator { id, regions: n });
            }
            // The same rule as the computation: a figure for a handful of regions (one
            // gemeente's own file) measures nothing at the level.
            let has = |id: &str| {
                indicators
                    .iter()
                    .any(|i| i.id == id && i.regions >= MIN_RANKED_REGIONS)
            };
            let measured = def
                .terms
                .iter()
                .any(|t| t.indicators().all(|i| has(i.as_str())));
            cells.push(CoverageCell {
                level: l,
                period,
                status: if measured {
                    CoverageStatus::Measured
                } else {
                    CoverageStatus::NoData
                },
                population: Some((def.population.clone(), def.population_en.clone())),
                population_id: def.population_id.clone(),
                proxy: def.proxy,
                indicators,
            });
        }
        rows.push(CoverageRow {
            factor: f.id.clone(),
            kind: f.kind,
            cells,
        });
    }
    Ok(Coverage { columns, rows })
}

// ---------------------------------------------------------------------------------------------
// Groups

/// A region where characteristics typical of a group are flagged.
#[derive(Debug, Clone)]
pub struct GroupArea {
    /// Region.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// The group's characteristics flagged here.
    pub flagged: Vec<String>,
}

/// Where the characteristics typical of a group stack (areas, never members of the group).
#[derive(Debug, Clone)]
pub struct GroupAreas {
    /// The run used.
    pub run: RunInfo,
    /// The group's characteristics with a score at this level and period.
    pub measured: Vec<String>,
    /// The group's characteristics that are gaps here.
    pub gaps: Vec<String>,
    /// Regions with at least one of the group's characteristics flagged, most first.
    pub areas: Vec<GroupArea>,
    /// Populations (ids) that the measured characteristics describe in the run used.
    pub populations: Vec<String>,
    /// The gemeente the areas were cut to, when asked.
    pub within: Option<StackingWithin>,
}

/// The period whose results fit a group best at a level: the one where most of the group's
/// characteristics are defined for the group's population (for the elderly, whose
/// characteristics no run describes, adults 18+ count as the nearest); ties go to the latest.
/// `None` (the default run) when the group names no population.
pub fn group_period(
    store: &dyn Store,
    catalogue: &Catalogue,
    group: &kwm_model::risk::Group,
    level: Level,
) -> Result<Option<i32>, MonitorError> {
    let Some(wanted) = group.population.as_deref() else {
        return Ok(None);
    };
    let fits = |p: &str| p == wanted || (wanted == "65plus" && p == "18plus");
    let mut best: Option<(usize, i32)> = None;
    for run in store.risk_runs()?.iter().filter(|r| r.level == level) {
        let score = group
            .characteristics
            .iter()
            .filter_map(|c| catalogue.risk.factor(c))
            .filter_map(|f| f.definition_at(level, run.period))
            .filter(|d| d.population_id.as_deref().is_some_and(fits))
            .count();
        if score > 0 && best.is_none_or(|(s, p)| (score, run.period) > (s, p)) {
            best = Some((score, run.period));
        }
    }
    Ok(best.map(|(_, p)| p))
}

/// Regions of a level where the characteristics the catalogue lists for a group are flagged;
/// with `within`, only the wijken or buurten of that gemeente (their flags stay national: the
/// thresholds are those of the whole level).
pub fn group_areas(
    store: &dyn Store,
    catalogue: &Catalogue,
    group_id: &str,
    level: Level,
    period: Option<i32>,
    within: Option<&RegionCode>,
) -> Result<GroupAreas, MonitorError> {
    let group = catalogue
        .risk
        .group(group_id)
        .ok_or_else(|| MonitorError::NotFound(format!("unknown group '{group_id}'")))?;
    let period = match period {
        Some(p) => Some(p),
        None => group_period(store, catalogue, group, level)?,
    };
    let mut s = stacking(store, catalogue, level, period)?;
    let within = match within {
        Some(gemeente) => Some(stacking_within(store, &mut s, gemeente)?),
        None => None,
    };
    let population = s
        .run
        .summary
        .characteristics_with_data
        .iter()
        .filter(|c| group.characteristics.contains(c))
        .filter_map(|c| catalogue.risk.factor(c))
        .filter_map(|f| f.definition_at(level, s.run.record.period))
        .filter_map(|d| d.population_id.clone())
        .fold(Vec::<String>::new(), |mut all, p| {
            if !all.contains(&p) {
                all.push(p);
            }
            all
        });
    let measured: Vec<String> = group
        .characteristics
        .iter()
        .filter(|c| s.run.summary.characteristics_with_data.contains(c))
        .cloned()
        .collect();
    let gaps = group
        .characteristics
        .iter()
        .filter(|c| !measured.contains(c))
        .cloned()
        .collect();
    let mut areas: Vec<(GroupArea, Option<usize>)> = s
        .rows
        .into_iter()
        .filter_map(|r| {
            let flagged: Vec<String> = r
                .flagged_ids
                .iter()
                .filter(|id| group.characteristics.contains(id))
                .cloned()
                .collect();
            (!flagged.is_empty()).then_some((
                GroupArea {
                    code: r.code,
                    name: r.name,
                    flagged,
                },
                r.composite_rank,
            ))
        })
        .collect();
    areas.sort_by(|a, b| {
        b.0.flagged
            .len()
            .cmp(&a.0.flagged.len())
            .then_with(|| a.1.unwrap_or(usize::MAX).cmp(&b.1.unwrap_or(usize::MAX)))
            .then_with(|| a.0.code.cmp(&b.0.code))
    });
    Ok(GroupAreas {
        run: s.run,
        measured,
        gaps,
        areas: areas.into_iter().map(|(a, _)| a).collect(),
        populations: population,
        within,
    })
}

/// How one of the report's groups shows in one area: which of the characteristics typical of
/// the group are flagged here, measured here, or gaps. About the area, never about members.
#[derive(Debug, Clone)]
pub struct AreaGroup {
    /// Group id.
    pub group: String,
    /// The group's characteristics flagged here.
    pub flagged: Vec<String>,
    /// The group's characteristics with a score here (flagged or not).
    pub measured: Vec<String>,
    /// The group's characteristics without a score here.
    pub gaps: Vec<String>,
}

/// The report's groups as they show in one area: most flagged characteristics first, then the
/// larger flagged share of what is measured, then the report's order. For outreach: which
/// groups' typical characteristics stack here.
pub fn groups_of_area(catalogue: &Catalogue, region: &RegionRisk) -> Vec<AreaGroup> {
    let factor = |id: &str| region.factors.iter().find(|f| f.id == id);
    let mut groups: Vec<(usize, AreaGroup)> = catalogue
        .risk
        .groups
        .iter()
        .map(|g| {
            let (measured, gaps): (Vec<String>, Vec<String>) = g
                .characteristics
                .iter()
                .cloned()
                .partition(|c| factor(c).is_some_and(|f| f.score.is_some()));
            let flagged = measured
                .iter()
                .filter(|c| factor(c).is_some_and(|f| f.flagged))
                .cloned()
                .collect();
            (
                g.number as usize,
                AreaGroup {
                    group: g.id.clone(),
                    flagged,
                    measured,
                    gaps,
                },
            )
        })
        .collect();
    // flagged / measured compared as fractions without dividing: a/b > c/d ⇔ a·d > c·b.
    groups.sort_by(|(na, a), (nb, b)| {
        b.flagged
            .len()
            .cmp(&a.flagged.len())
            .then_with(|| {
                (b.flagged.len() * a.measured.len()).cmp(&(a.flagged.len() * b.measured.len()))
            })
            .then_with(|| na.cmp(nb))
    });
    groups.into_iter().map(|(_, g)| g).collect()
}
