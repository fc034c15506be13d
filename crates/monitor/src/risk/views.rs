//! What the stacking, theme-profile, coverage and group pages ask of stored runs; reads only.

use std::collections::{BTreeSet, HashMap};

use kwm_engine::stacking::{TermTrace, ThemeDriver};
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::FactorKind;
use kwm_model::{Level, RegionCode};
use kwm_store::{RiskRegionRecord, Store};
use serde::Serialize;

use super::compute::MIN_RANKED_REGIONS;
use super::runs::{pick_run, result_periods, run_info, RunInfo, LEVELS};
use crate::layouts::region_names;
use crate::MonitorError;

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
    let population = population_ids(
        catalogue,
        s.run
            .summary
            .characteristics_with_data
            .iter()
            .filter(|c| group.characteristics.contains(c)),
        level,
        s.run.record.period,
    );
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

/// The distinct populations (ids, first-seen order) that the definitions of these
/// characteristics at a level and period describe: whom a set of flags is about.
pub fn population_ids<'a>(
    catalogue: &Catalogue,
    characteristics: impl IntoIterator<Item = &'a String>,
    level: Level,
    period: i32,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in characteristics {
        let pop = catalogue
            .risk
            .factor(id)
            .and_then(|f| f.definition_at(level, period))
            .and_then(|d| d.population_id.clone());
        if let Some(p) = pop.filter(|p| !out.contains(p)) {
            out.push(p);
        }
    }
    out
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
