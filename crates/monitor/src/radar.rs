//! The findability radar as a use case: gather, for a level and period, every area's use of a
//! kind of support (`radar.toml`), its need indicators, population and stacking count (from the
//! stored risk-model run, when there is one), and let the engine ([`kwm_engine::radar`]) say
//! which areas have high need and clearly lower use than expected.
//!
//! Where the figures a support needs are not loaded, the answer is [`RadarOutcome::MissingData`]:
//! exactly which indicators, from which StatLine tables and columns, and in which periods they
//! do exist — never an empty radar or invented figures. Areas only: the radar points outreach at
//! areas, never at persons.

use std::collections::{BTreeSet, HashMap};

use kwm_engine::radar::{self as engine, RadarArea, RadarInput, RadarModel, Stacking};
use kwm_model::catalogue::Catalogue;
use kwm_model::radar::{NeedTerm, Support, UseMeasure};
use kwm_model::{IndicatorId, Level, RegionCode};
use kwm_store::{ObservationRecord, Store};

use crate::layouts::POPULATION_INDICATOR;
use crate::layouts::{layout_for, region_names};
use crate::risk::{self, RunInfo};
use crate::MonitorError;

/// What is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarQuery {
    /// Level of the areas.
    pub level: Level,
    /// Period; default the latest with the support's figures at the level.
    pub period: Option<i32>,
    /// Support id (`radar.toml`); default the first with figures.
    pub support: Option<String>,
    /// Only show areas of this gemeente (the model is still fitted on the whole level).
    pub gemeente: Option<RegionCode>,
}

/// An indicator the radar needs that is not loaded for the level and period.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingIndicator {
    /// The indicator.
    pub id: IndicatorId,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// The source's title (`Kerncijfers wijken en buurten`), when the catalogue knows it.
    pub source_title: Option<String>,
    /// StatLine tables of that source, with their periods.
    pub tables: Vec<(String, i32)>,
    /// StatLine key stems of the column (`WmoClienten`).
    pub keys: Vec<String>,
    /// Column headers in "met labels" downloads.
    pub labels: Vec<String>,
    /// Periods at this level where it is loaded.
    pub loaded_periods: Vec<i32>,
}

/// One area on the radar.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarAreaView {
    /// Area.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// Residents.
    pub population: Option<f64>,
    /// Need indicator values, aligned with the support's need terms.
    pub need: Vec<Option<f64>>,
    /// Control values, aligned with the support's controls.
    pub controls: Vec<Option<f64>>,
    /// Stacking count and characteristics with a score, when the risk model has results.
    pub stacking: Option<Stacking>,
    /// Ids of the flagged risk characteristics.
    pub flagged: Vec<String>,
    /// What the engine says.
    pub row: engine::RadarRow,
}

/// What the radar found.
#[derive(Debug, Clone, PartialEq)]
pub enum RadarOutcome {
    /// The support's figures are not loaded for this level and period.
    MissingData(Vec<MissingIndicator>),
    /// Figures are loaded, but no model could be fitted (too few areas, degenerate need).
    NoModel(engine::NoModel),
    /// The model.
    Model(RadarModel),
}

/// A gemeente asked for whose areas have no figures of the support at the level and period:
/// what is missing for it, and where the radar does have its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct GemeenteWithoutFigures {
    /// The gemeente.
    pub code: RegionCode,
    /// Its name, when a stored layout knows it.
    pub name: Option<String>,
    /// The support's indicators that none of its areas has at this level and period (with the
    /// StatLine tables and columns to load).
    pub missing: Vec<MissingIndicator>,
    /// Levels and periods where the support has a model and this gemeente (or its areas) has a
    /// use figure — where the radar can show it.
    pub elsewhere: Vec<(Level, i32)>,
}

/// Whether a support has its figures at a level, per period.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportAvailability {
    /// Support id.
    pub id: String,
    /// Periods at the level with every figure the support needs.
    pub periods: Vec<i32>,
}

/// The radar of one support at a level and period.
#[derive(Debug, Clone)]
pub struct Radar {
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// Layout the names follow.
    pub layout: Option<i32>,
    /// The support shown.
    pub support: Support,
    /// Every support with the periods it has figures for at this level.
    pub availability: Vec<SupportAvailability>,
    /// Periods at the level with any figures.
    pub periods: Vec<i32>,
    /// The stored risk-model run used for high need, when there is one.
    pub stacking_run: Option<RunInfo>,
    /// How high need was judged: `stacking` or `need_percentile`.
    pub need_rule: &'static str,
    /// The outcome.
    pub outcome: RadarOutcome,
    /// Areas (of the gemeente asked for, if any), candidates first (most certain first), then
    /// by how far below expectation.
    pub areas: Vec<RadarAreaView>,
    /// Gemeenten with areas on the radar at this level (for a filter), with names.
    pub gemeenten: Vec<(RegionCode, Option<String>)>,
    /// The gemeente asked for.
    pub gemeente: Option<RegionCode>,
    /// The gemeente asked for has no figures of the support here (rather than "0 candidates").
    pub gemeente_without_figures: Option<GemeenteWithoutFigures>,
}

impl Radar {
    /// The radar candidates among the shown areas.
    pub fn candidates(&self) -> impl Iterator<Item = &RadarAreaView> {
        self.areas.iter().filter(|a| a.row.candidate)
    }
}

/// Values of one indicator per region.
type Column = HashMap<RegionCode, f64>;

fn columns(observations: &[ObservationRecord]) -> HashMap<&str, Column> {
    let mut out: HashMap<&str, Column> = HashMap::new();
    for o in observations {
        if let Some(v) = o.value {
            out.entry(o.indicator.as_str())
                .or_default()
                .insert(o.region.clone(), v);
        }
    }
    out
}

fn share(num: Option<f64>, den: Option<f64>, scale: f64) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d > 0.0 => Some(scale * n / d),
        _ => None,
    }
}

fn need_value(cols: &HashMap<&str, Column>, term: &NeedTerm, code: &RegionCode) -> Option<f64> {
    let v = cols.get(term.indicator.as_str())?.get(code).copied();
    match &term.per {
        None => v,
        Some(per) => share(v, cols.get(per.as_str())?.get(code).copied(), 100.0),
    }
}

fn use_value(cols: &HashMap<&str, Column>, support: &Support, code: &RegionCode) -> Option<f64> {
    match &support.measure {
        UseMeasure::Rate { rate } => cols.get(rate.as_str())?.get(code).copied(),
        UseMeasure::Count { count, per, scale } => share(
            cols.get(count.as_str())?.get(code).copied(),
            cols.get(per.as_str())?.get(code).copied(),
            *scale,
        ),
    }
}

/// The periods of a level and, per period, the indicators with figures: read once per level
/// (a radar page or a profile's radar link asks about every support in every period).
struct LevelIndicators {
    periods: Vec<i32>,
    ids: HashMap<i32, BTreeSet<String>>,
}

impl LevelIndicators {
    fn read(store: &dyn Store, level: Level) -> Result<LevelIndicators, MonitorError> {
        let periods = store.periods(level)?;
        let mut ids = HashMap::with_capacity(periods.len());
        for &p in &periods {
            ids.insert(p, store.indicator_ids_at(level, p)?.into_iter().collect());
        }
        Ok(LevelIndicators { periods, ids })
    }
}

/// Periods at a level in which every indicator a support needs has figures.
fn available_periods(at: &LevelIndicators, support: &Support, level: Level) -> Vec<i32> {
    let mut out = Vec::new();
    if !support.applies_at(level) {
        return out;
    }
    let support = support.at_level(level);
    let required = support.required_indicators();
    for &p in &at.periods {
        let ids = &at.ids[&p];
        if required.iter().all(|i| ids.contains(i.as_str())) {
            out.push(p);
        }
    }
    out
}

/// Levels and periods where some support of the catalogue has every figure it needs, for at
/// least as many areas as a model needs (so a default never lands on a radar without one), in
/// level order (gemeente, wijk, buurt).
pub fn available(
    store: &dyn Store,
    catalogue: &Catalogue,
) -> Result<Vec<(Level, Vec<i32>)>, MonitorError> {
    let mut out = Vec::new();
    let min_regions = catalogue.radar.params.min_regions;
    for level in [Level::Gemeente, Level::Wijk, Level::Buurt] {
        let at = LevelIndicators::read(store, level)?;
        let mut with: BTreeSet<i32> = BTreeSet::new();
        for s in &catalogue.radar.supports {
            for p in available_periods(&at, s, level) {
                if use_published_areas(store, s, level, p)? >= min_regions {
                    with.insert(p);
                }
            }
        }
        if !with.is_empty() {
            out.push((level, with.into_iter().collect()));
        }
    }
    Ok(out)
}

/// The first support of the catalogue whose use is published for at least as many areas as a
/// model needs at this level and period: what the radar page opens on.
pub fn default_support(
    store: &dyn Store,
    catalogue: &Catalogue,
    level: Level,
    period: i32,
) -> Result<Option<String>, MonitorError> {
    let min_regions = catalogue.radar.params.min_regions;
    for s in &catalogue.radar.supports {
        if use_published_areas(store, s, level, period)? >= min_regions {
            return Ok(Some(s.id.clone()));
        }
    }
    Ok(None)
}

/// How many areas of a level have a published figure of a support's use in a period.
fn use_published_areas(
    store: &dyn Store,
    support: &Support,
    level: Level,
    period: i32,
) -> Result<usize, MonitorError> {
    let use_id = match &support.measure {
        UseMeasure::Rate { rate } => rate,
        UseMeasure::Count { count, .. } => count,
    };
    Ok(store
        .observations(use_id.as_str(), level, period)?
        .iter()
        .filter(|o| o.value.is_some())
        .count())
}

fn missing(
    store: &dyn Store,
    catalogue: &Catalogue,
    support: &Support,
    level: Level,
    period: i32,
    periods: &[i32],
) -> Result<Vec<MissingIndicator>, MonitorError> {
    let here: BTreeSet<String> = store.indicator_ids_at(level, period)?.into_iter().collect();
    let ids: Vec<&IndicatorId> = support
        .required_indicators()
        .into_iter()
        .filter(|id| !here.contains(id.as_str()))
        .collect();
    describe_missing(store, catalogue, &ids, level, periods)
}

/// What the catalogue says about indicators that are not loaded: labels, source, StatLine
/// tables and columns, and the periods at the level where they are.
fn describe_missing(
    store: &dyn Store,
    catalogue: &Catalogue,
    ids: &[&IndicatorId],
    level: Level,
    periods: &[i32],
) -> Result<Vec<MissingIndicator>, MonitorError> {
    let mut out = Vec::new();
    for &id in ids {
        let mut loaded_periods = Vec::new();
        for &p in periods {
            if store
                .indicator_ids_at(level, p)?
                .iter()
                .any(|x| x == id.as_str())
            {
                loaded_periods.push(p);
            }
        }
        let ci = catalogue.indicator(id);
        let source = ci.and_then(|c| catalogue.source(&c.source_id));
        out.push(MissingIndicator {
            id: id.clone(),
            label_nl: ci.map_or_else(|| id.to_string(), |c| c.indicator.label_nl.clone()),
            label_en: ci.map_or_else(|| id.to_string(), |c| c.indicator.label_en.clone()),
            source_title: source.map(|s| s.title_nl.clone()),
            tables: source
                .map(|s| {
                    s.tables
                        .iter()
                        .map(|t| (t.table.clone(), t.period))
                        .collect()
                })
                .unwrap_or_default(),
            keys: ci.map(|c| c.keys.clone()).unwrap_or_default(),
            labels: ci.map(|c| c.labels.clone()).unwrap_or_default(),
            loaded_periods,
        });
    }
    Ok(out)
}

/// The radar for a level, period and support (see the module documentation).
pub fn radar(
    store: &dyn Store,
    catalogue: &Catalogue,
    query: &RadarQuery,
) -> Result<Radar, MonitorError> {
    let spec = &catalogue.radar;
    if spec.supports.is_empty() {
        return Err(MonitorError::NotFound(
            "the catalogue describes no support for the radar (radar.toml is missing or empty)"
                .into(),
        ));
    }
    let level = query.level;
    if !matches!(level, Level::Gemeente | Level::Wijk | Level::Buurt) {
        return Err(MonitorError::BadRequest(format!(
            "the radar compares gemeenten, wijken or buurten, not level {level}"
        )));
    }
    if let Some(g) = &query.gemeente {
        if g.level() != Level::Gemeente {
            return Err(MonitorError::BadRequest(format!(
                "gemeente must be a gemeente code like GM0363, found '{g}'"
            )));
        }
    }
    let at = LevelIndicators::read(store, level)?;
    let mut availability = Vec::new();
    for s in &spec.supports {
        availability.push(SupportAvailability {
            id: s.id.clone(),
            periods: available_periods(&at, s, level),
        });
    }
    let chosen = match &query.support {
        Some(id) => spec.support(id).cloned().ok_or_else(|| {
            MonitorError::NotFound(format!(
                "unknown support '{id}' (known: {})",
                spec.supports
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
        None => availability
            .iter()
            .find(|a| match query.period {
                Some(p) => a.periods.contains(&p),
                None => !a.periods.is_empty(),
            })
            .and_then(|a| spec.support(&a.id))
            .unwrap_or(&spec.supports[0])
            .clone(),
    };
    if !chosen.applies_at(level) {
        return Err(MonitorError::BadRequest(format!(
            "support '{}' is computed only at level {} (radar.toml: levels)",
            chosen.id,
            chosen
                .levels
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // The need list and controls of this level (radar.toml [[support.at]]).
    let support = chosen.at_level(level);
    let own_periods = availability
        .iter()
        .find(|a| a.id == support.id)
        .map(|a| a.periods.clone())
        .unwrap_or_default();
    let period = match query.period {
        Some(p) => p,
        None => own_periods
            .last()
            .or(at.periods.last())
            .copied()
            .ok_or_else(|| {
                MonitorError::NotFound(format!("no figures of level {level} are loaded"))
            })?,
    };
    let layout = layout_for(store, level, period)?;
    let names = region_names(store, level, layout)?;
    // The names of the areas' gemeenten (at gemeente level the areas are the gemeenten).
    let gemeente_layout = layout_for(store, Level::Gemeente, period)?;
    let gemeente_names = region_names(
        store,
        Level::Gemeente,
        gemeente_layout.filter(|_| level != Level::Gemeente),
    )?;

    let mut base = Radar {
        level,
        period,
        layout,
        support: support.clone(),
        availability,
        periods: at.periods.clone(),
        stacking_run: None,
        need_rule: "stacking",
        outcome: RadarOutcome::MissingData(Vec::new()),
        areas: Vec::new(),
        gemeenten: Vec::new(),
        gemeente: query.gemeente.clone(),
        gemeente_without_figures: None,
    };
    if !own_periods.contains(&period) {
        base.outcome = RadarOutcome::MissingData(missing(
            store,
            catalogue,
            &support,
            level,
            period,
            &at.periods,
        )?);
        return Ok(base);
    }

    let observations = store.observations_at(level, period)?;
    let cols = columns(&observations);
    let stacking = match risk::stacking(store, catalogue, level, Some(period)) {
        Ok(s) => Some(s),
        Err(MonitorError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let stacking_by_code: HashMap<RegionCode, (Stacking, Vec<String>)> = stacking
        .as_ref()
        .map(|s| {
            s.rows
                .iter()
                .filter(|r| r.with_data > 0)
                .map(|r| {
                    (
                        r.code.clone(),
                        (
                            Stacking {
                                flagged: r.flagged,
                                with_data: r.with_data,
                            },
                            r.flagged_ids.clone(),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // Every region with a use or need figure takes part (the engine says why one is left out).
    let mut codes: BTreeSet<RegionCode> = BTreeSet::new();
    for id in support.required_indicators() {
        if let Some(c) = cols.get(id.as_str()) {
            codes.extend(c.keys().cloned());
        }
    }
    let codes: Vec<RegionCode> = codes.into_iter().filter(|c| c.level() == level).collect();
    let population = cols.get(POPULATION_INDICATOR);
    let areas: Vec<RadarArea> = codes
        .iter()
        .map(|c| RadarArea {
            use_rate: use_value(&cols, &support, c),
            need: support
                .need
                .iter()
                .map(|t| need_value(&cols, t, c))
                .collect(),
            controls: support
                .controls
                .iter()
                .map(|t| need_value(&cols, t, c))
                .collect(),
            population: population.and_then(|p| p.get(c).copied()),
            stacking: stacking_by_code.get(c).map(|(s, _)| *s),
        })
        .collect();
    let stacking_available = !stacking_by_code.is_empty();
    let params = &catalogue.radar.params;
    let result = engine::radar(&RadarInput {
        areas: areas.clone(),
        need_directions: support.need.iter().map(|t| t.direction).collect(),
        controls: support.controls.len(),
        stacking_available,
        min_population: params.min_population,
        min_regions: params.min_regions,
        interval: params.interval,
        min_stacking: params.min_stacking,
        min_need_score: params.min_need_score,
        need_percentile: params.need_percentile,
    });
    let mut gemeenten: BTreeSet<RegionCode> = BTreeSet::new();
    let mut views: Vec<RadarAreaView> = Vec::new();
    for ((code, area), row) in codes.iter().zip(areas).zip(result.rows) {
        if let Some(g) = code.gemeente().filter(|_| level != Level::Gemeente) {
            gemeenten.insert(g);
        }
        if let Some(g) = &query.gemeente {
            if code.gemeente().as_ref() != Some(g) {
                continue;
            }
        }
        views.push(RadarAreaView {
            name: names.get(code).cloned().flatten(),
            population: area.population,
            need: area.need,
            controls: area.controls,
            stacking: area.stacking,
            flagged: stacking_by_code
                .get(code)
                .map(|(_, ids)| ids.clone())
                .unwrap_or_default(),
            code: code.clone(),
            row,
        });
    }
    // Candidates first, most certain first; then everything else by how far below expectation
    // (studentised), areas left out last.
    views.sort_by(|a, b| {
        b.row
            .candidate
            .cmp(&a.row.candidate)
            .then_with(|| a.row.excluded.is_some().cmp(&b.row.excluded.is_some()))
            .then_with(|| {
                a.row
                    .t
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.row.t.unwrap_or(f64::INFINITY))
            })
            .then_with(|| a.code.cmp(&b.code))
    });
    base.gemeenten = gemeenten
        .into_iter()
        .map(|g| {
            let name = gemeente_names.get(&g).cloned().flatten();
            (g, name)
        })
        .collect();
    base.stacking_run = stacking.filter(|_| stacking_available).map(|s| s.run);
    base.need_rule = result.need_rule;
    base.outcome = match result.model {
        Ok(m) => RadarOutcome::Model(m),
        Err(e) => RadarOutcome::NoModel(e),
    };
    // A gemeente whose areas have no use figure here: say so, with what would be needed and
    // where the radar does have its figures — never "0 candidates" as if it had looked.
    if let Some(g) = &query.gemeente {
        if !views.iter().any(|v| v.row.observed.is_some()) {
            let in_gemeente = |code: &RegionCode| code.gemeente().as_ref() == Some(g);
            let lacking: Vec<&IndicatorId> = support
                .required_indicators()
                .into_iter()
                .filter(|id| {
                    !cols.get(id.as_str()).is_some_and(|c| {
                        c.keys()
                            .any(|code| code.level() == level && in_gemeente(code))
                    })
                })
                .collect();
            base.gemeente_without_figures = Some(GemeenteWithoutFigures {
                code: g.clone(),
                name: gemeente_name(store, g)?,
                missing: describe_missing(store, catalogue, &lacking, level, &at.periods)?,
                elsewhere: figures_elsewhere(store, &chosen, g, (level, period))?,
            });
        }
    }
    base.areas = views;
    Ok(base)
}

/// A gemeente's name from the newest stored gemeente layout that knows it.
fn gemeente_name(store: &dyn Store, code: &RegionCode) -> Result<Option<String>, MonitorError> {
    let mut layouts = store.layouts(Level::Gemeente)?;
    layouts.sort_unstable();
    for l in layouts.into_iter().rev() {
        if let Some(r) = store
            .regions(Level::Gemeente, l)?
            .into_iter()
            .find(|r| &r.code == code)
        {
            if r.name.is_some() {
                return Ok(r.name);
            }
        }
    }
    Ok(None)
}

/// Levels and periods (newest first per level, gemeente → wijk → buurt) where a support has
/// every figure it needs and the gemeente — itself at gemeente level, its areas below — has a
/// use figure; `skip` is the level and period already shown.
fn figures_elsewhere(
    store: &dyn Store,
    support: &Support,
    gemeente: &RegionCode,
    skip: (Level, i32),
) -> Result<Vec<(Level, i32)>, MonitorError> {
    let use_id = match &support.measure {
        UseMeasure::Rate { rate } => rate,
        UseMeasure::Count { count, .. } => count,
    };
    let mut out = Vec::new();
    for level in [Level::Gemeente, Level::Wijk, Level::Buurt] {
        let at = LevelIndicators::read(store, level)?;
        for p in available_periods(&at, support, level).into_iter().rev() {
            if (level, p) == skip {
                continue;
            }
            let has = store
                .observations(use_id.as_str(), level, p)?
                .iter()
                .any(|o| o.value.is_some() && o.region.gemeente().as_ref() == Some(gemeente));
            if has {
                out.push((level, p));
            }
        }
    }
    Ok(out)
}

/// Where a region profile's radar link should go: the region's own level when some support
/// has figures for the region there, else its gemeente's level when the gemeente has them —
/// so the link never lands on a radar without figures for the place. `None` when neither has.
/// Returns the level, the period and the gemeente filter (below gemeente level).
pub fn region_target(
    store: &dyn Store,
    catalogue: &Catalogue,
    code: &RegionCode,
) -> Result<Option<(Level, i32, Option<RegionCode>)>, MonitorError> {
    let own = code.level();
    if !matches!(own, Level::Gemeente | Level::Wijk | Level::Buurt) {
        return Ok(None);
    }
    let Some(gemeente) = code.gemeente() else {
        return Ok(None);
    };
    let mut levels = vec![(own, code.clone())];
    if own != Level::Gemeente {
        levels.push((Level::Gemeente, gemeente.clone()));
    }
    for (level, region) in levels {
        let at = LevelIndicators::read(store, level)?;
        let mut best: Option<i32> = None;
        for s in &catalogue.radar.supports {
            let use_id = match &s.measure {
                UseMeasure::Rate { rate } => rate,
                UseMeasure::Count { count, .. } => count,
            };
            for p in available_periods(&at, s, level).into_iter().rev() {
                if best.is_some_and(|b| b >= p) {
                    break;
                }
                // One region's figure (the total is the first cell), not the whole level.
                if store
                    .breakdown_observations(use_id.as_str(), &region, p)?
                    .first()
                    .is_some_and(|o| o.breakdown.is_empty() && o.value.is_some())
                {
                    best = Some(p);
                    break;
                }
            }
        }
        if let Some(p) = best {
            let filter = (level != Level::Gemeente).then(|| gemeente.clone());
            return Ok(Some((level, p, filter)));
        }
    }
    Ok(None)
}

/// The radar's verdict for one area, for links from a region profile: the supports for which
/// the area is a radar candidate at its level in the latest period with figures.
pub fn region_candidacy(
    store: &dyn Store,
    catalogue: &Catalogue,
    code: &RegionCode,
) -> Result<Vec<(String, i32)>, MonitorError> {
    let level = code.level();
    if !matches!(level, Level::Gemeente | Level::Wijk | Level::Buurt) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for s in catalogue
        .radar
        .supports
        .iter()
        .filter(|s| s.applies_at(level))
    {
        let r = radar(
            store,
            catalogue,
            &RadarQuery {
                level,
                period: None,
                support: Some(s.id.clone()),
                gemeente: code.gemeente().filter(|_| level != Level::Gemeente),
            },
        )?;
        if r.areas.iter().any(|a| &a.code == code && a.row.candidate) {
            out.push((s.id.clone(), r.period));
        }
    }
    Ok(out)
}
