//! Computing a run: gather the figures the model needs, run the stacking engine, the
//! composite's analyses and the clusters, and store it all with the run's fingerprint.

use std::collections::{BTreeSet, HashMap};

use kwm_engine::stacking::{self, Column, FactorInput, StackingError, StackingInput, TermInput};
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{Factor, FactorKind, RiskModel};
use kwm_model::{Level, RegionCode};
use kwm_store::{
    RiskFactorRecord, RiskRegionRecord, RiskRun, RiskRunRecord, RiskThemeRecord, Store,
};
use serde::Serialize;

use super::clusters::{self, Variable};
use super::composite;
use super::runs::{fingerprint, parse_summary, LEVELS};
use super::summary::RunSummary;
use crate::layouts::layout_for;
use crate::MonitorError;

fn require_model(catalogue: &Catalogue) -> Result<&RiskModel, MonitorError> {
    if catalogue.risk.characteristics.is_empty() {
        return Err(MonitorError::BadRequest(
            "the catalogue has no risk characteristics (characteristics.toml is missing or empty)"
                .into(),
        ));
    }
    Ok(&catalogue.risk)
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
