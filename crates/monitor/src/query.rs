//! Questions the dashboard and the API ask: which indicators exist, which regions, the figures
//! of one indicator with ranks, the profile of one region, and map shapes.
//!
//! Ranks and percentiles are computed on values rounded to the indicator's displayed
//! decimals, so two regions that *show* the same value always get the same rank, percentile
//! and map class.

use std::collections::HashMap;

use kwm_engine::classify::{quantile_classes, Classes};
use kwm_engine::rank::{percent_rank_inc, ranks_unfavourable_first, round_half_away};
use kwm_model::{Level, RegionCode, ValueStatus};
use kwm_store::{BoundaryRecord, IndicatorRecord, ObservationRecord, RegionRecord, Store};

pub use crate::layouts::{layout_for, map_layout_for};
use crate::MonitorError;

/// Number of map classes.
pub const MAP_CLASSES: usize = 5;

/// Parses a level parameter.
pub fn parse_level(raw: &str) -> Result<Level, MonitorError> {
    raw.parse().map_err(MonitorError::BadRequest)
}

/// Parses a period parameter (a year).
pub fn parse_period(raw: &str) -> Result<i32, MonitorError> {
    kwm_model::Period::parse(raw)
        .map(|p| p.year())
        .ok_or_else(|| {
            MonitorError::BadRequest(format!("expected a period like 2024, found '{raw}'"))
        })
}

/// Parses a region code parameter.
pub fn parse_region(raw: &str) -> Result<RegionCode, MonitorError> {
    RegionCode::parse(raw).map_err(|e| MonitorError::BadRequest(e.to_string()))
}

/// The national value of an indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct NationalValue {
    /// The value.
    pub value: f64,
    /// True when derived by summing all regions of a level (counts only); false when published.
    pub derived: bool,
}

/// One region's row in an indicator table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// Region.
    pub code: RegionCode,
    /// Name, when known.
    pub name: Option<String>,
    /// Value as published (unrounded).
    pub value: Option<f64>,
    /// Value rounded to the indicator's decimals, the one ranks are computed on.
    pub shown: Option<f64>,
    /// Published interval.
    pub lower: Option<f64>,
    /// Published interval.
    pub upper: Option<f64>,
    /// Present, suppressed or missing.
    pub status: ValueStatus,
    /// Rank, 1 = least favourable (highest for neutral indicators).
    pub rank: Option<usize>,
    /// Percentile among the regions with a value (0 = lowest value, 100 = highest).
    pub percentile: Option<f64>,
    /// Map class (0-based), when the value is present.
    pub class: Option<usize>,
}

/// An indicator's figures for all regions of a level in a period.
#[derive(Debug, Clone)]
pub struct IndicatorTable {
    /// The indicator.
    pub indicator: IndicatorRecord,
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// Region layout the names and map follow.
    pub layout: Option<i32>,
    /// Rows, in code order.
    pub rows: Vec<TableRow>,
    /// Regions with a value (the rank population).
    pub ranked: usize,
    /// National value.
    pub national: Option<NationalValue>,
    /// Map classes on the shown values.
    pub classes: Option<Classes>,
}

fn national_value(
    indicator: &IndicatorRecord,
    level: Level,
    land: &[ObservationRecord],
    rows: &[TableRow],
) -> Option<NationalValue> {
    if let Some(v) = land.iter().find_map(|o| o.value) {
        return Some(NationalValue {
            value: v,
            derived: false,
        });
    }
    // Only counts add up, and only the gemeenten partition the country.
    if indicator.indicator.additive && level == Level::Gemeente {
        let values: Vec<Option<f64>> = rows.iter().map(|r| r.value).collect();
        return kwm_engine::aggregate::complete_sum(&values).map(|value| NationalValue {
            value,
            derived: true,
        });
    }
    None
}

/// Splits observations ordered by indicator into one slice per indicator.
fn group_by_indicator(observations: &[ObservationRecord]) -> HashMap<&str, &[ObservationRecord]> {
    let mut groups = HashMap::new();
    let mut start = 0;
    for i in 1..=observations.len() {
        if i == observations.len() || observations[i].indicator != observations[start].indicator {
            groups.insert(
                observations[start].indicator.as_str(),
                &observations[start..i],
            );
            start = i;
        }
    }
    groups
}

fn indicator_or_404(store: &dyn Store, id: &str) -> Result<IndicatorRecord, MonitorError> {
    store
        .indicator(id)?
        .ok_or_else(|| MonitorError::NotFound(format!("unknown indicator '{id}'")))
}

/// The figures of one indicator for a level and period, with ranks, percentiles and classes.
/// `period` defaults to the latest period with data for that level.
pub fn indicator_table(
    store: &dyn Store,
    indicator_id: &str,
    level: Level,
    period: Option<i32>,
) -> Result<IndicatorTable, MonitorError> {
    let indicator = indicator_or_404(store, indicator_id)?;
    if !indicator.levels.contains(&level) {
        return Err(MonitorError::NotFound(format!(
            "indicator '{indicator_id}' has no figures at level {level} (it has: {})",
            indicator
                .levels
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let period = match period {
        Some(p) => p,
        None => *indicator.periods.last().ok_or_else(|| {
            MonitorError::NotFound(format!("indicator '{indicator_id}' has no figures"))
        })?,
    };
    let layout = layout_for(store, level, period)?;
    let regions: Vec<RegionRecord> = match layout {
        Some(l) => store.regions(level, l)?,
        None => Vec::new(),
    };
    let observations = store.observations(indicator.indicator.id.as_str(), level, period)?;
    let land = store.observations(indicator.indicator.id.as_str(), Level::Land, period)?;
    let table = table_for(
        store,
        indicator,
        level,
        period,
        layout,
        &regions,
        &observations,
        &land,
    )?;
    if table.rows.iter().all(|r| r.status == ValueStatus::Missing) {
        return Err(MonitorError::NotFound(format!(
            "indicator '{indicator_id}' has no figures for {level} in {period} (periods: {})",
            table
                .indicator
                .periods
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(table)
}

/// Ranks, percentiles and map classes of values as shown (rounded), one per value; `None`
/// where the value is absent. The one rule for every table, profile and stored rank.
struct RankedValues {
    ranks: Vec<Option<usize>>,
    percentiles: Vec<Option<f64>>,
    class: Vec<Option<usize>>,
    classes: Option<Classes>,
    /// Values present.
    present: usize,
}

fn rank_shown(shown: &[Option<f64>], direction: kwm_model::Direction) -> RankedValues {
    let ranks = ranks_unfavourable_first(shown, direction);
    // One meaning everywhere (as on the theme pages): the percentile counts from favourable
    // to unfavourable, so 100 is the least favourable; for a neutral indicator, the highest.
    let aligned: Vec<Option<f64>> = match direction {
        kwm_model::Direction::HigherIsBetter => shown.iter().map(|v| v.map(|x| -x)).collect(),
        _ => shown.to_vec(),
    };
    let percentiles = percent_rank_inc(&aligned);
    let present: Vec<f64> = shown.iter().flatten().copied().collect();
    let classes = quantile_classes(&present, MAP_CLASSES);
    // A figure loaded for a handful of regions (one gemeente's own file) ranks nothing: "rank
    // 1, percentile 0" among one region would read as a national position.
    let rankable = present.len() >= crate::risk::MIN_RANKED_REGIONS;
    RankedValues {
        ranks: ranks.iter().map(|r| r.filter(|_| rankable)).collect(),
        percentiles: percentiles
            .iter()
            .map(|p| p.filter(|_| rankable).map(|p| p * 100.0))
            .collect(),
        class: shown
            .iter()
            .map(|v| match (&classes, v) {
                (Some(c), Some(v)) => Some(c.class_of(*v)),
                _ => None,
            })
            .collect(),
        classes,
        present: present.len(),
    }
}

/// What stored ranks of an indicator's figures are computed from: the rank rule's version, the
/// indicator's direction and decimals, and the figures' count and newest load (every write of
/// a figure comes with a new load). Equal bases mean equal ranks.
fn rank_basis(indicator: &kwm_model::Indicator, figures: i64, last_load: i64) -> String {
    format!(
        "v1 {} {} {figures} {last_load}",
        indicator.direction.as_str(),
        indicator.decimals
    )
}

/// Computes and stores the ranks, percentiles and map classes of every indicator, level and
/// period whose stored ones are missing or stale (figures loaded, direction or decimals
/// changed since). Returns how many were computed. Pages read them with a few indexed reads
/// instead of ranking every region of a level per request.
pub fn refresh_ranks(store: &mut dyn Store) -> Result<usize, MonitorError> {
    let indicators: HashMap<String, kwm_model::Indicator> = store
        .indicators()?
        .into_iter()
        .map(|r| (r.indicator.id.to_string(), r.indicator))
        .collect();
    let stale: Vec<(kwm_store::RankState, String)> = store
        .rank_states()?
        .into_iter()
        .filter_map(|state| {
            let indicator = indicators.get(&state.indicator)?;
            let basis = rank_basis(indicator, state.figures, state.last_load);
            (state.basis.as_deref() != Some(basis.as_str())).then_some((state, basis))
        })
        .collect();
    let mut batch: Vec<kwm_store::FigureRanks> = Vec::new();
    let mut batch_rows = 0;
    for (state, basis) in &stale {
        let indicator = &indicators[&state.indicator];
        let figures = store.observations(&state.indicator, state.level, state.period)?;
        let decimals = u32::from(indicator.decimals);
        let shown: Vec<Option<f64>> = figures
            .iter()
            .map(|o| o.value.map(|v| round_half_away(v, decimals)))
            .collect();
        let ranked = rank_shown(&shown, indicator.direction);
        batch_rows += figures.len();
        batch.push(kwm_store::FigureRanks {
            indicator: state.indicator.clone(),
            level: state.level,
            period: state.period,
            basis: basis.clone(),
            ranked: ranked.present as i64,
            rows: figures
                .iter()
                .enumerate()
                .map(|(i, o)| kwm_store::FigureRank {
                    region: o.region.clone(),
                    rank: ranked.ranks[i].map(|r| r as i64),
                    percentile: ranked.percentiles[i],
                    class: ranked.class[i].map(|c| c as i64),
                })
                .collect(),
        });
        // Stored a few hundred thousand at a time: memory stays bounded on a national store.
        if batch_rows > 200_000 {
            store.save_figure_ranks(&batch)?;
            batch.clear();
            batch_rows = 0;
        }
    }
    if !batch.is_empty() {
        store.save_figure_ranks(&batch)?;
    }
    Ok(stale.len())
}

/// Builds an indicator table for a known layout and its regions (shared by the single-table
/// query and the region profile, which needs one table per indicator).
#[allow(clippy::too_many_arguments)]
fn table_for(
    store: &dyn Store,
    indicator: IndicatorRecord,
    level: Level,
    period: i32,
    layout: Option<i32>,
    regions: &[RegionRecord],
    observations: &[ObservationRecord],
    land: &[ObservationRecord],
) -> Result<IndicatorTable, MonitorError> {
    let mut by_code: HashMap<RegionCode, &ObservationRecord> =
        observations.iter().map(|o| (o.region.clone(), o)).collect();
    let mut rows: Vec<TableRow> = Vec::with_capacity(regions.len().max(observations.len()));
    let decimals = u32::from(indicator.indicator.decimals);
    let mut push = |code: RegionCode, name: Option<String>, o: Option<&ObservationRecord>| {
        rows.push(TableRow {
            code,
            name,
            value: o.and_then(|o| o.value),
            shown: o
                .and_then(|o| o.value)
                .map(|v| round_half_away(v, decimals)),
            lower: o.and_then(|o| o.lower),
            upper: o.and_then(|o| o.upper),
            status: o.map_or(ValueStatus::Missing, |o| o.status),
            rank: None,
            percentile: None,
            class: None,
        })
    };
    for r in regions {
        let o = by_code.remove(&r.code);
        push(r.code.clone(), r.name.clone(), o);
    }
    // Figures for regions not in the layout (e.g. codes of another year) are kept, nameless.
    let mut rest: Vec<&ObservationRecord> = by_code.into_values().collect();
    rest.sort_by(|a, b| a.region.cmp(&b.region));
    for o in rest {
        let name = store.region(&o.region, period)?.and_then(|r| r.name);
        push(o.region.clone(), name, Some(o));
    }
    rows.sort_by(|a, b| a.code.cmp(&b.code));

    let shown: Vec<Option<f64>> = rows.iter().map(|r| r.shown).collect();
    let ranked = rank_shown(&shown, indicator.indicator.direction);
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = ranked.ranks[i];
        row.percentile = ranked.percentiles[i];
        row.class = ranked.class[i];
    }
    let classes = ranked.classes;
    let national = national_value(&indicator, level, land, &rows);
    Ok(IndicatorTable {
        ranked: ranked.present,
        indicator,
        level,
        period,
        layout,
        rows,
        national,
        classes,
    })
}

/// A region's identity as the profile shows it.
#[derive(Debug, Clone)]
pub struct RegionIdentity {
    /// Code.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// Parent code and name.
    pub parent: Option<(RegionCode, Option<String>)>,
    /// Layout the name comes from.
    pub layout: Option<i32>,
}

/// One indicator in a region profile.
#[derive(Debug, Clone)]
pub struct ProfileRow {
    /// The indicator.
    pub indicator: IndicatorRecord,
    /// The region's row (value, rank, percentile, status).
    pub row: TableRow,
    /// Regions ranked.
    pub ranked: usize,
    /// National value.
    pub national: Option<NationalValue>,
}

/// Everything known about one region in one period.
#[derive(Debug, Clone)]
pub struct RegionProfile {
    /// Identity.
    pub region: RegionIdentity,
    /// Period shown.
    pub period: Option<i32>,
    /// Periods with figures for this region.
    pub periods: Vec<i32>,
    /// One row per indicator that has figures at this level in this period (person-level
    /// stacking tables excluded: see `person_stacking`).
    pub rows: Vec<ProfileRow>,
    /// Person-level stacking tables at this level and period: `Some(true)` when only synthetic
    /// ones, `Some(false)` when real ones; shown on their own page, never among the rows.
    pub person_stacking: Option<bool>,
    /// The areas the region lies in and the areas in it, to move between them.
    pub links: RegionLinks,
}

/// The profile of a region: all indicators with figures at its level in the period, with the
/// region's value, the national value, its rank and percentile, or why the value is absent.
/// `period` defaults to the period of the level's default stacking results when the region has
/// figures then, else to its latest period with figures.
pub fn region_profile(
    store: &dyn Store,
    code: &RegionCode,
    period: Option<i32>,
) -> Result<RegionProfile, MonitorError> {
    let periods = store.region_periods(code)?;
    let known = store.region(code, period.or(periods.last().copied()).unwrap_or(9999))?;
    if known.is_none() && periods.is_empty() {
        return Err(MonitorError::NotFound(format!("unknown region '{code}'")));
    }
    if let Some(p) = period {
        if !periods.contains(&p) && !periods.is_empty() {
            return Err(MonitorError::NotFound(format!(
                "region '{code}' has no figures for {p} (periods: {})",
                periods
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let period = period.or(default_region_period(store, code, &periods));
    let parent = match known.as_ref().and_then(|r| r.parent.clone()) {
        Some(p) => {
            let name = store
                .region(&p, known.as_ref().map_or(9999, |r| r.layout))?
                .and_then(|r| r.name);
            Some((p, name))
        }
        None => None,
    };
    let region = RegionIdentity {
        code: code.clone(),
        name: known.as_ref().and_then(|r| r.name.clone()),
        parent,
        layout: known.as_ref().map(|r| r.layout),
    };
    let mut rows = Vec::new();
    let mut person_stacking = None;
    if let Some(period) = period {
        let level = code.level();
        let mut ids = store.indicator_ids_at(level, period)?;
        if ids.iter().any(|id| crate::persons::is_person_level(id)) {
            let real = ids
                .iter()
                .any(|id| id.starts_with(crate::persons::PREFIX_REAL));
            person_stacking = Some(!real);
            ids.retain(|id| !crate::persons::is_person_level(id));
        }
        let own = store.region_observations(code, period)?;
        let own: HashMap<&str, &ObservationRecord> =
            own.iter().map(|o| (o.indicator.as_str(), o)).collect();
        let stored: HashMap<String, kwm_store::RegionRank> = store
            .region_ranks(code, period)?
            .into_iter()
            .map(|r| (r.indicator.clone(), r))
            .collect();
        let land_all = if level == Level::Land {
            Vec::new()
        } else {
            store.observations_at(Level::Land, period)?
        };
        let land_by_indicator = group_by_indicator(&land_all);
        // Ranking every region of the level is only needed where the stored ranks are stale
        // (or a national total must be summed from the gemeenten): read lazily.
        let mut layout_regions: Option<(Option<i32>, Vec<RegionRecord>)> = None;
        for record in store
            .indicators()?
            .into_iter()
            .filter(|r| ids.iter().any(|id| id == r.indicator.id.as_str()))
        {
            let id = record.indicator.id.to_string();
            let land = land_by_indicator.get(id.as_str()).copied().unwrap_or(&[]);
            let fresh = stored.get(&id).filter(|r| {
                r.basis.as_deref()
                    == Some(rank_basis(&record.indicator, r.figures, r.last_load).as_str())
            });
            let summed_nationally = record.indicator.additive
                && level == Level::Gemeente
                && land.iter().all(|o| o.value.is_none());
            if let (Some(fresh), false) = (fresh, summed_nationally) {
                let o = own.get(id.as_str()).copied();
                let decimals = u32::from(record.indicator.decimals);
                let row = TableRow {
                    code: code.clone(),
                    name: region.name.clone(),
                    value: o.and_then(|o| o.value),
                    shown: o
                        .and_then(|o| o.value)
                        .map(|v| round_half_away(v, decimals)),
                    lower: o.and_then(|o| o.lower),
                    upper: o.and_then(|o| o.upper),
                    status: o.map_or(ValueStatus::Missing, |o| o.status),
                    rank: fresh.rank.map(|r| r as usize),
                    percentile: fresh.percentile,
                    class: fresh.class.map(|c| c as usize),
                };
                let national = national_value(&record, level, land, &[]);
                rows.push(ProfileRow {
                    indicator: record,
                    row,
                    ranked: fresh.ranked.unwrap_or(0) as usize,
                    national,
                });
                continue;
            }
            let (layout, regions) = match &layout_regions {
                Some(lr) => lr,
                None => {
                    let layout = layout_for(store, level, period)?;
                    let regions = match layout {
                        Some(l) => store.regions(level, l)?,
                        None => Vec::new(),
                    };
                    layout_regions.insert((layout, regions))
                }
            };
            let observations = store.observations(&id, level, period)?;
            let table = table_for(
                store,
                record,
                level,
                period,
                *layout,
                regions,
                &observations,
                land,
            )?;
            let row = table
                .rows
                .iter()
                .find(|r| &r.code == code)
                .cloned()
                .unwrap_or(TableRow {
                    code: code.clone(),
                    name: region.name.clone(),
                    value: None,
                    shown: None,
                    lower: None,
                    upper: None,
                    status: ValueStatus::Missing,
                    rank: None,
                    percentile: None,
                    class: None,
                });
            rows.push(ProfileRow {
                indicator: table.indicator,
                row,
                ranked: table.ranked,
                national: table.national,
            });
        }
    }
    // Curated indicators first, then by source and label.
    rows.sort_by(|a, b| {
        (
            !a.indicator.indicator.curated,
            &a.indicator.indicator.source,
            &a.indicator.indicator.label_nl,
        )
            .cmp(&(
                !b.indicator.indicator.curated,
                &b.indicator.indicator.source,
                &b.indicator.indicator.label_nl,
            ))
    });
    let links = region_links(store, code, region.layout)?;
    Ok(RegionProfile {
        region,
        period,
        periods,
        rows,
        person_stacking,
        links,
    })
}

/// The period a region's views open on without one asked for: the period of its level's
/// default stacking results (the one measuring the most characteristics), when the region has
/// figures then; else its latest period with figures. `periods`: the region's periods.
pub fn default_region_period(store: &dyn Store, code: &RegionCode, periods: &[i32]) -> Option<i32> {
    crate::risk::pick_run(store, code.level(), None)
        .ok()
        .map(|r| r.period)
        .filter(|p| periods.contains(p))
        .or(periods.last().copied())
}

/// Regions of a level in the layout for a period (default: the latest layout).
pub fn regions(
    store: &dyn Store,
    level: Level,
    period: Option<i32>,
) -> Result<(i32, Vec<RegionRecord>), MonitorError> {
    let layout = match period {
        Some(p) => layout_for(store, level, p)?,
        None => store.layouts(level)?.last().copied(),
    }
    .ok_or_else(|| MonitorError::NotFound(format!("no regions of level {level} are loaded")))?;
    Ok((layout, store.regions(level, layout)?))
}

/// Boundaries of a level in the layout for a period.
pub fn map_shapes(
    store: &dyn Store,
    level: Level,
    layout: i32,
) -> Result<Vec<BoundaryRecord>, MonitorError> {
    Ok(store.boundaries(level, layout)?)
}

/// Longest query [`search`] accepts, in characters: longer than any region name.
pub const SEARCH_MAX_QUERY: usize = 100;
/// Results [`search`] returns when the caller names no limit.
pub const SEARCH_DEFAULT_LIMIT: usize = 20;
/// Most results [`search`] returns.
pub const SEARCH_MAX_LIMIT: usize = 200;

/// Levels [`search`] looks in: every level with names people look up (not the country).
const SEARCH_LEVELS: [Level; 5] = [
    Level::Provincie,
    Level::Ggd,
    Level::Gemeente,
    Level::Wijk,
    Level::Buurt,
];

/// One region found by [`search`].
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// Code.
    pub code: RegionCode,
    /// Name, from the newest layout that names the region.
    pub name: Option<String>,
    /// The layout the name comes from (the newest that has the region, when none names it).
    pub layout: i32,
    /// The gemeente the region lies in, from its code (itself for a gemeente; none for a
    /// province or GGD region), with the gemeente's own name.
    pub gemeente: Option<(RegionCode, Option<String>)>,
    /// How the query matched.
    pub kind: kwm_model::search::MatchKind,
}

/// Every region of a level across all stored layouts, once per code: the record of the newest
/// layout that names it, else of the newest layout that has it. Sorted by code.
fn regions_all_layouts(store: &dyn Store, level: Level) -> Result<Vec<RegionRecord>, MonitorError> {
    let mut best: HashMap<RegionCode, RegionRecord> = HashMap::new();
    // Newest first, so the first record seen is kept unless it lacks a name.
    for layout in store.layouts(level)?.into_iter().rev() {
        for r in store.regions(level, layout)? {
            match best.get(&r.code) {
                Some(kept) if kept.name.is_some() || r.name.is_none() => {}
                _ => {
                    best.insert(r.code.clone(), r);
                }
            }
        }
    }
    let mut all: Vec<RegionRecord> = best.into_values().collect();
    all.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(all)
}

/// Regions whose name or code matches `text`, ignoring case, diacritics, hyphens and
/// apostrophes (see [`kwm_model::search`]): exact matches first, then those starting with the
/// text, then those containing it; within each larger areas first (provincie, GGD region,
/// gemeente, wijk, buurt), then by name. Regions of every stored layout count, once per code.
/// At most `limit` hits (default [`SEARCH_DEFAULT_LIMIT`], at most [`SEARCH_MAX_LIMIT`]).
pub fn search(
    store: &dyn Store,
    text: &str,
    limit: Option<usize>,
) -> Result<Vec<SearchHit>, MonitorError> {
    if text.chars().count() > SEARCH_MAX_QUERY {
        return Err(MonitorError::BadRequest(format!(
            "search text is longer than {SEARCH_MAX_QUERY} characters"
        )));
    }
    let limit = limit.unwrap_or(SEARCH_DEFAULT_LIMIT);
    if !(1..=SEARCH_MAX_LIMIT).contains(&limit) {
        return Err(MonitorError::BadRequest(format!(
            "limit must be between 1 and {SEARCH_MAX_LIMIT}, found {limit}"
        )));
    }
    // Text without a letter or digit ("---") matches no name or code: no hits, not an error —
    // "has a letter" in every script is a rule an API schema cannot state, so callers could
    // not know in advance which texts are refused.
    let Some(query) = kwm_model::search::Query::new(text) else {
        return Ok(Vec::new());
    };
    let gemeenten = regions_all_layouts(store, Level::Gemeente)?;
    let gemeente_names: HashMap<&RegionCode, Option<&String>> = gemeenten
        .iter()
        .map(|r| (&r.code, r.name.as_ref()))
        .collect();
    let mut hits: Vec<(String, SearchHit)> = Vec::new();
    for level in SEARCH_LEVELS {
        let fetched;
        let records: &[RegionRecord] = if level == Level::Gemeente {
            &gemeenten
        } else {
            fetched = regions_all_layouts(store, level)?;
            &fetched
        };
        for r in records {
            let folded = r.name.as_deref().map(kwm_model::search::fold);
            let Some(kind) = query.matches(folded.as_deref(), r.code.as_str()) else {
                continue;
            };
            let gemeente = r.code.gemeente().map(|g| {
                let name = gemeente_names.get(&g).copied().flatten().cloned();
                (g, name)
            });
            hits.push((
                folded.unwrap_or_default(),
                SearchHit {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    layout: r.layout,
                    gemeente,
                    kind,
                },
            ));
        }
    }
    hits.sort_by(|(a_name, a), (b_name, b)| {
        kwm_model::search::rank_key(a.kind, a.code.level(), a_name, a.code.as_str()).cmp(
            &kwm_model::search::rank_key(b.kind, b.code.level(), b_name, b.code.as_str()),
        )
    });
    hits.truncate(limit);
    Ok(hits.into_iter().map(|(_, hit)| hit).collect())
}

/// A region with its name, as a link target.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionLink {
    /// Code.
    pub code: RegionCode,
    /// Name, when known.
    pub name: Option<String>,
}

/// Where to go from a region: up to the areas it lies in, down to the areas in it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegionLinks {
    /// The areas the region lies in, largest first: a buurt's gemeente and wijk, a wijk's
    /// gemeente (from the code), else the stored parent (a gemeente's province).
    pub parents: Vec<RegionLink>,
    /// The wijken of a gemeente or the buurten of a wijk, by code: the regions of the level
    /// below whose code-derived parent is this region, in the newest layout that has any
    /// (named from the newest layout that names them, when that layout does not).
    pub children: Vec<RegionLink>,
    /// The layout the children come from.
    pub children_layout: Option<i32>,
}

/// A region's name in the layout nearest to `near`, else in the newest layout that names it.
fn name_of(
    store: &dyn Store,
    code: &RegionCode,
    near: i32,
) -> Result<Option<String>, MonitorError> {
    if let Some(name) = store.region(code, near)?.and_then(|r| r.name) {
        return Ok(Some(name));
    }
    for layout in store.layouts(code.level())?.into_iter().rev() {
        if let Some(r) = store.region(code, layout)? {
            if r.layout == layout && r.name.is_some() {
                return Ok(r.name);
            }
        }
    }
    Ok(None)
}

/// The parents and children of a region (see [`RegionLinks`]). `layout` is the layout the
/// region itself is shown in: parent names come from the nearest layout to it.
pub fn region_links(
    store: &dyn Store,
    code: &RegionCode,
    layout: Option<i32>,
) -> Result<RegionLinks, MonitorError> {
    let near = layout.unwrap_or(9999);
    let mut up: Vec<RegionCode> = Vec::new();
    let mut next = code.parent();
    while let Some(p) = next {
        next = p.parent();
        up.push(p);
    }
    if up.is_empty() {
        if let Some(p) = store.region(code, near)?.and_then(|r| r.parent) {
            up.push(p);
        }
    }
    let mut parents = Vec::with_capacity(up.len());
    for p in up.into_iter().rev() {
        let name = name_of(store, &p, near)?;
        parents.push(RegionLink { code: p, name });
    }
    let child_level = match code.level() {
        Level::Gemeente => Some(Level::Wijk),
        Level::Wijk => Some(Level::Buurt),
        _ => None,
    };
    let mut children = Vec::new();
    let mut children_layout = None;
    if let Some(level) = child_level {
        for l in store.layouts(level)?.into_iter().rev() {
            children = store
                .child_regions(code, l)?
                .into_iter()
                .map(|r| RegionLink {
                    code: r.code,
                    name: r.name,
                })
                .collect();
            if !children.is_empty() {
                children_layout = Some(l);
                break;
            }
        }
        // A layout loaded from figures alone (a StatLine table without names) has codes only;
        // the name then comes from the newest layout that has one.
        if children.iter().any(|c| c.name.is_none()) {
            let named: HashMap<RegionCode, String> = regions_all_layouts(store, level)?
                .into_iter()
                .filter_map(|r| Some((r.code, r.name?)))
                .collect();
            for c in children.iter_mut().filter(|c| c.name.is_none()) {
                c.name = named.get(&c.code).cloned();
            }
        }
    }
    Ok(RegionLinks {
        parents,
        children,
        children_layout,
    })
}
