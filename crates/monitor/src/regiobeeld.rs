//! A regional picture ("regiobeeld", the report's recommendation 5): everything one printed
//! page shows about a gemeente, wijk or buurt, gathered from stored figures and the stored risk
//! run. Nothing is computed here that the pages do not already show elsewhere, and nothing
//! missing is filled in: a key figure without a value, a characteristic without data and a
//! figure no loaded source publishes (the birth slots) are listed as gaps.

use kwm_model::catalogue::Catalogue;
use kwm_model::{Level, RegionCode};
use kwm_store::{IndicatorRecord, Store};

use crate::query::{self, NationalValue, RegionLink, TableRow};
use crate::risk::{self, RegionRisk};
use crate::similar::{self, SimilarAreas};
use crate::{series, MonitorError};

/// One key figure with everything it is compared with.
#[derive(Debug, Clone)]
pub struct KeyFigure {
    /// The indicator id (also when it has no figures at this level).
    pub id: String,
    /// The period of the figure: the latest up to the picture's period in which the level has
    /// figures of the indicator (sources publish with different delays).
    pub period: Option<i32>,
    /// The stored indicator, when it has figures at this level and period.
    pub indicator: Option<IndicatorRecord>,
    /// The region's row (value, status, rank, percentile); `None` when the indicator has no
    /// figures at this level and period at all.
    pub row: Option<TableRow>,
    /// Regions ranked.
    pub ranked: usize,
    /// National value.
    pub national: Option<NationalValue>,
    /// The area the region lies in (direct parent) and its value there.
    pub parent: Option<(RegionLink, Option<f64>)>,
    /// Lowest and highest value among the similar areas, and how many of them have one.
    pub similar_range: Option<(f64, f64, usize)>,
    /// The harmonised series (period, value), oldest first; empty when none is stored.
    pub series: Vec<(i32, f64)>,
}

/// A figure the report asks for that no loaded source provides, with who publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingSlot {
    /// The indicator id it would be loaded as.
    pub id: &'static str,
    /// Dutch label.
    pub label_nl: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// Who would fill it.
    pub source: &'static str,
    /// Whether the store has figures for it at the region's level (then it is no gap).
    pub loaded: bool,
}

/// Recommendation 5c: premature birth and low birth weight. No open source in the demo data
/// publishes them per gemeente, wijk or buurt; Perined (the perinatal registry) and CBS hold
/// them. The slots stay on the picture as named gaps until an indicator with this id is loaded.
pub const BIRTH_SLOTS: [(&str, &str, &str, &str); 2] = [
    (
        "perined_vroeggeboorte",
        "Vroeggeboorte (< 37 weken)",
        "Premature birth (< 37 weeks)",
        "Perined (Perinatale Registratie Nederland); CBS StatLine Geboorte",
    ),
    (
        "perined_laag_geboortegewicht",
        "Laag geboortegewicht (< 2.500 g)",
        "Low birth weight (< 2,500 g)",
        "Perined (Perinatale Registratie Nederland); CBS StatLine Geboorte",
    ),
];

/// Everything on a regiobeeld.
#[derive(Debug, Clone)]
pub struct Regiobeeld {
    /// Region.
    pub code: RegionCode,
    /// Name (the code when no layout names it).
    pub name: String,
    /// Period of the figures.
    pub period: Option<i32>,
    /// The areas it lies in, largest first.
    pub parents: Vec<RegionLink>,
    /// The stored risk run's picture, when the level has one.
    pub risk: Option<RegionRisk>,
    /// Key figures: the population size, then the catalogue's key signals (`warnings.toml`).
    pub key_figures: Vec<KeyFigure>,
    /// Similar areas under the catalogue's rule.
    pub similar: Option<SimilarAreas>,
    /// The birth slots.
    pub slots: Vec<MissingSlot>,
    /// What the locator map draws.
    pub locator: Locator,
}

/// The locator map: the region among the other regions of its level in the area around it (a
/// gemeente in its province, a wijk or buurt in its gemeente), from stored boundaries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Locator {
    /// The boundary layout drawn ([`crate::layouts::map_layout_for`]); `None` when no boundaries of the
    /// level are loaded.
    pub map_layout: Option<i32>,
    /// The regions drawn around it (the region itself included when it has a boundary).
    pub context: Vec<RegionCode>,
    /// The area drawn (province or gemeente), when known.
    pub context_area: Option<RegionLink>,
    /// Whether the highlighted region has a boundary in that layout.
    pub drawn: bool,
    /// The region highlighted: the region itself, or for a buurt without loaded buurt
    /// boundaries the wijk it lies in (then `stand_in` is true).
    pub highlighted: Option<RegionCode>,
    /// True when `highlighted` is the wijk standing in for a buurt.
    pub stand_in: bool,
}

impl Locator {
    /// The level whose boundaries are drawn (a wijk's for a buurt with a stand-in).
    pub fn level(&self, code: &RegionCode) -> Level {
        self.highlighted.as_ref().unwrap_or(code).level()
    }
}

fn locator(
    store: &dyn Store,
    code: &RegionCode,
    period: Option<i32>,
    parents: &[RegionLink],
) -> Result<Locator, MonitorError> {
    let level = code.level();
    let Some(layout) = crate::layouts::layout_for(store, level, period.unwrap_or(9999))? else {
        return Ok(Locator::default());
    };
    let Some(map_layout) = crate::layouts::map_layout_for(store, level, layout)? else {
        // No buurt boundaries: show the wijk the buurt lies in, and say so.
        if let (Level::Buurt, Some(wijk)) = (level, code.parent()) {
            let mut l = locator(store, &wijk, period, parents)?;
            l.stand_in = l.drawn;
            return Ok(l);
        }
        return Ok(Locator::default());
    };
    let with_boundary = store.boundary_codes(level, map_layout)?;
    let (context, area): (Vec<RegionCode>, Option<RegionLink>) = match level {
        Level::Gemeente => {
            let province = parents.first().cloned();
            let regions = store.regions(level, map_layout)?;
            let in_province: Vec<RegionCode> = match &province {
                Some(pv) => regions
                    .iter()
                    .filter(|r| r.parent.as_ref() == Some(&pv.code))
                    .map(|r| r.code.clone())
                    .collect(),
                None => Vec::new(),
            };
            if in_province.is_empty() {
                // Without a province the whole country is the context.
                (with_boundary.clone(), None)
            } else {
                (in_province, province)
            }
        }
        _ => {
            let gemeente = code.gemeente();
            (
                with_boundary
                    .iter()
                    .filter(|c| c.gemeente() == gemeente)
                    .cloned()
                    .collect(),
                parents
                    .iter()
                    .find(|p| p.code.level() == Level::Gemeente)
                    .cloned(),
            )
        }
    };
    let context: Vec<RegionCode> = context
        .into_iter()
        .filter(|c| with_boundary.contains(c))
        .collect();
    Ok(Locator {
        map_layout: Some(map_layout),
        drawn: context.contains(code),
        highlighted: Some(code.clone()),
        stand_in: false,
        context,
        context_area: area,
    })
}

/// At most this many key figures (with the population size), so the picture stays one page.
pub const KEY_FIGURES_MAX: usize = 7;

/// The indicator ids shown as key figures: the population size (context), then the main
/// indicator of every risk characteristic defined at this level and period (so the picture shows
/// what its stacking is made of, for the population the definition names), then the signals the
/// early-warning rule watches.
pub fn key_figure_ids(catalogue: &Catalogue, level: Level, period: Option<i32>) -> Vec<String> {
    let mut ids = vec!["kwb_aantal_inwoners".to_string()];
    if let Some(p) = period {
        for f in &catalogue.risk.characteristics {
            // A term with `per` is a share the monitor derives; its numerator alone (a count)
            // would read as the characteristic's figure, so only published indicators count.
            let main = f.definition_at(level, p).and_then(|d| {
                d.terms
                    .iter()
                    .find(|t| t.per.is_none() && t.plus.is_empty())
            });
            if let Some(t) = main {
                if !ids.iter().any(|i| i == t.indicator.as_str()) {
                    ids.push(t.indicator.to_string());
                }
            }
        }
    }
    // One A4 page holds about seven rows beside the rest: the first characteristics in catalogue
    // order; the stacking section names every flagged one. The early-warning signals fill in
    // where the risk model defines nothing (a level or year without definitions).
    ids.truncate(KEY_FIGURES_MAX);
    if ids.len() > 1 {
        return ids;
    }
    for s in &catalogue.warning_rule.signals {
        if !ids.iter().any(|i| i == s.as_str()) {
            ids.push(s.to_string());
        }
    }
    ids
}

/// Gathers the regiobeeld of a gemeente, wijk or buurt (`period` defaults to the latest with
/// figures for the region).
pub fn regiobeeld(
    store: &dyn Store,
    catalogue: &Catalogue,
    code: &RegionCode,
    period: Option<i32>,
) -> Result<Regiobeeld, MonitorError> {
    let level = code.level();
    if !matches!(level, Level::Gemeente | Level::Wijk | Level::Buurt) {
        return Err(MonitorError::BadRequest(format!(
            "a regiobeeld is made for a gemeente, wijk or buurt; '{code}' is a {level}"
        )));
    }
    let periods = store.region_periods(code)?;
    let layout_near = period.or(periods.last().copied()).unwrap_or(9999);
    let known = store.region(code, layout_near)?;
    if known.is_none() && periods.is_empty() {
        return Err(MonitorError::NotFound(format!("unknown region '{code}'")));
    }
    let period = period.or(query::default_region_period(store, code, &periods));
    let links = query::region_links(store, code, known.as_ref().map(|r| r.layout))?;
    let name = known
        .as_ref()
        .and_then(|r| r.name.clone())
        .unwrap_or_else(|| code.to_string());
    // The stored run of the picture's period, else the latest one of the level (the page
    // names the run's period).
    let risk = match period {
        Some(p) => risk::region_risk(store, catalogue, code, Some(p))
            .or_else(|_| risk::region_risk(store, catalogue, code, None))
            .ok(),
        None => None,
    };
    let similar = match period {
        Some(p) => Some(similar::similar(store, catalogue, code, Some(p))?),
        None => None,
    };
    let parent = links.parents.last().cloned();
    let ids = key_figure_ids(catalogue, level, period);
    // Which indicators each period has at this level, newest first, read once.
    // The picture's year first, then earlier years (newest first), then later ones (oldest
    // first): a context figure such as the population comes from the nearest year that has it,
    // and the row says which year.
    let mut ids_by_period: Vec<(i32, Vec<String>)> = Vec::new();
    if let Some(p) = period {
        let all = store.periods(level)?;
        let earlier = all.iter().rev().filter(|&&q| q <= p);
        let later = all.iter().filter(|&&q| q > p);
        for &q in earlier.chain(later) {
            // What this region has a value for in that year (not merely the level: one
            // gemeente's own file of another year would otherwise win).
            let here: Vec<String> = store
                .region_observations(code, q)?
                .into_iter()
                .filter(|o| o.value.is_some())
                .map(|o| o.indicator)
                .collect();
            ids_by_period.push((q, here));
        }
    }
    let mut points = series::region_points(store, code, &ids)?;
    let mut key_figures = Vec::new();
    for id in &ids {
        let at = ids_by_period
            .iter()
            .find(|(_, have)| have.iter().any(|i| i == id))
            .map(|(q, _)| *q);
        let mut k = key_figure(store, code, id, at, parent.as_ref(), similar.as_ref())?;
        k.series = points.remove(id).unwrap_or_default();
        key_figures.push(k);
    }
    let ids_here = match period {
        Some(p) => store.indicator_ids_at(level, p)?,
        None => Vec::new(),
    };
    let slots = BIRTH_SLOTS
        .iter()
        .map(|(id, nl, en, source)| MissingSlot {
            id,
            label_nl: nl,
            label_en: en,
            source,
            loaded: ids_here.iter().any(|i| i == id),
        })
        .collect();
    let locator = locator(store, code, period, &links.parents)?;
    Ok(Regiobeeld {
        locator,
        code: code.clone(),
        name,
        period,
        parents: links.parents,
        risk,
        key_figures,
        similar,
        slots,
    })
}

fn key_figure(
    store: &dyn Store,
    code: &RegionCode,
    id: &str,
    period: Option<i32>,
    parent: Option<&RegionLink>,
    similar: Option<&SimilarAreas>,
) -> Result<KeyFigure, MonitorError> {
    let level = code.level();
    let mut out = KeyFigure {
        id: id.to_string(),
        period,
        indicator: None,
        row: None,
        ranked: 0,
        national: None,
        parent: None,
        similar_range: None,
        series: Vec::new(),
    };
    let Some(period) = period else {
        return Ok(out);
    };
    let table = query::indicator_table(store, id, level, Some(period))?;
    out.row = table.rows.iter().find(|r| &r.code == code).cloned();
    out.ranked = table.ranked;
    out.national = table.national.clone();
    if let Some(s) = similar {
        let values: Vec<f64> = s
            .areas
            .iter()
            .filter_map(|a| table.rows.iter().find(|r| r.code == a.code))
            .filter_map(|r| r.value)
            .collect();
        if !values.is_empty() {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            out.similar_range = Some((lo, hi, values.len()));
        }
    }
    if let Some(p) = parent {
        let value = store
            .observations(id, p.code.level(), period)?
            .into_iter()
            .find(|o| o.region == p.code)
            .and_then(|o| o.value);
        out.parent = Some((p.clone(), value));
    }
    out.indicator = Some(table.indicator);
    Ok(out)
}
