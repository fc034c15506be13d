//! The policy agenda as a use case: for a recommendation of `agenda.toml`, the **effect view**
//! of every indicator it should move — its target regions (the recommendation's region set)
//! against comparable regions, before and after the start of the programme that carries it —
//! estimated by the engine ([`kwm_engine::did`]) with an honest label.
//!
//! Comparable regions (the rule `agenda.toml [effect]` parameterises): the same level; not in
//! the target set; at least `min_population` residents (their latest known population among the
//! periods compared); at wijk or buurt level only in the gemeenten of the targets, so that local
//! policy and local statistics are alike; and a baseline within the targets' range (the engine's
//! common support). Rates whose counts are loaded but which are not published themselves
//! (`kwb_bijstand_per_1000`) are computed from their numerator and denominator.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kwm_engine::did::{did, DidInput, DidRegion, DidResult, Phase};
use kwm_model::agenda::{Expect, Recommendation, StartMonth};
use kwm_model::catalogue::Catalogue;
use kwm_model::{IndicatorId, Level, RegionCode};
use kwm_store::Store;

use crate::layouts::layout_for;
use crate::layouts::POPULATION_INDICATOR;
use crate::MonitorError;

/// Levels an effect view can be drawn at: the region sets know gemeenten and wijken.
pub const EFFECT_LEVELS: [Level; 2] = [Level::Gemeente, Level::Wijk];

/// One region of an effect view.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectRegion {
    /// Region.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// The target area it belongs to (for targets).
    pub area: Option<String>,
    /// Value per period, aligned with [`EffectView::periods`].
    pub values: Vec<Option<f64>>,
}

/// The effect view of one indicator at one level.
#[derive(Debug, Clone)]
pub struct EffectView {
    /// The indicator.
    pub indicator: IndicatorId,
    /// Which way the recommendation should move it.
    pub expect: Expect,
    /// Level.
    pub level: Level,
    /// The region set (id).
    pub region_set: String,
    /// The programme's start.
    pub start: StartMonth,
    /// Periods with figures at this level, ascending.
    pub periods: Vec<i32>,
    /// Phase of each period.
    pub phases: Vec<Phase>,
    /// Codes the region set lists at this level.
    pub targets_listed: usize,
    /// Target regions with figures in some period.
    pub targets: Vec<EffectRegion>,
    /// Codes the region set lists at this level that have figures here (any layout may be
    /// listed; codes of other layouts that do not occur in the figures are not counted).
    pub targets_matched: usize,
    /// Areas of the set none of whose codes at this level has figures here — by name, never
    /// dropped silently (at wijk level: areas without known wijk codes, or whose codes belong
    /// to a layout the figures are not on).
    pub unmatched_areas: Vec<String>,
    /// Candidate comparison regions (before the engine's common-support rule).
    pub comparisons: Vec<EffectRegion>,
    /// Regions left out for having fewer residents than the minimum (or no known population).
    pub small: usize,
    /// True when values were computed from counts (the rate is not published).
    pub derived: bool,
    /// The engine's outcome.
    pub result: DidResult,
}

/// A linked indicator without any effect view, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct NotMeasured {
    /// The indicator.
    pub indicator: IndicatorId,
    /// Levels where it has figures (but the set has no regions) — empty when it has none.
    pub levels_with_figures: Vec<Level>,
}

/// The effect views of a recommendation.
#[derive(Debug, Clone)]
pub struct Effects {
    /// Views per indicator and level, in the recommendation's order.
    pub views: Vec<EffectView>,
    /// Linked indicators without a view.
    pub not_measured: Vec<NotMeasured>,
}

impl Effects {
    /// The most informative view: the one whose label allows the most, then the most target
    /// regions.
    pub fn headline(&self) -> Option<&EffectView> {
        use kwm_engine::did::EffectLabel as L;
        let rank = |v: &EffectView| match v.result.label {
            L::Estimate => 6,
            L::PreTrendDiverges => 5,
            L::Indicative => 4,
            L::PlaceboOnly => 3,
            L::TooFewRegions => 2,
            L::NoPeriodBefore => 1,
            L::NoPeriods => 0,
        };
        // Reversed, so that among equals the first view (the recommendation's own order) wins.
        self.views
            .iter()
            .rev()
            .max_by_key(|v| (rank(v), v.targets.len(), std::cmp::Reverse(v.level)))
    }
}

/// A recommendation by id, or 404.
pub fn recommendation<'a>(
    catalogue: &'a Catalogue,
    id: &str,
) -> Result<&'a Recommendation, MonitorError> {
    catalogue.agenda.recommendation(id).ok_or_else(|| {
        MonitorError::NotFound(format!(
            "unknown recommendation '{id}' (known: {})",
            catalogue
                .agenda
                .recommendations
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// Values per period, per region.
type PeriodValues = BTreeMap<i32, HashMap<RegionCode, f64>>;

/// Values of an indicator per region and period at a level: published, or computed from the
/// numerator and denominator counts of its catalogue relation (then `derived` is true).
fn values_at(
    store: &dyn Store,
    catalogue: &Catalogue,
    indicator: &IndicatorId,
    level: Level,
    periods: &[i32],
) -> Result<(PeriodValues, bool), MonitorError> {
    let read = |id: &str, p: i32| -> Result<HashMap<RegionCode, f64>, MonitorError> {
        Ok(store
            .observations(id, level, p)?
            .into_iter()
            .filter_map(|o| o.value.map(|v| (o.region, v)))
            .collect())
    };
    let mut out = BTreeMap::new();
    let mut derived = false;
    let relation = catalogue
        .indicator(indicator)
        .and_then(|c| c.relation.as_ref());
    for &p in periods {
        let mut values = read(indicator.as_str(), p)?;
        if values.is_empty() {
            if let Some(rel) = relation {
                if let Some(num) = &rel.numerator {
                    let (n, d) = (read(num.as_str(), p)?, read(rel.denominator.as_str(), p)?);
                    values = n
                        .into_iter()
                        .filter_map(|(code, x)| {
                            let y = *d.get(&code)?;
                            (y > 0.0).then(|| (code, rel.scale * x / y))
                        })
                        .collect();
                    derived |= !values.is_empty();
                }
            }
        }
        if !values.is_empty() {
            out.insert(p, values);
        }
    }
    Ok((out, derived))
}

fn phase(start: StartMonth, period: i32) -> Phase {
    if start.is_before(period) {
        Phase::Before
    } else if start.is_after(period) {
        Phase::After
    } else {
        Phase::During
    }
}

/// The effect view of one indicator at one level, or `None` when the indicator has no figures
/// there or the set lists no regions at that level.
#[allow(clippy::too_many_arguments)]
fn effect_view(
    store: &dyn Store,
    catalogue: &Catalogue,
    indicator: &IndicatorId,
    expect: Expect,
    level: Level,
    set_id: &str,
    start: StartMonth,
) -> Result<Option<EffectView>, MonitorError> {
    let set = catalogue
        .region_sets
        .iter()
        .find(|s| s.id == set_id)
        .ok_or_else(|| MonitorError::NotFound(format!("unknown region set '{set_id}'")))?;
    let listed = set.codes_at(level);
    if listed.is_empty() {
        return Ok(None);
    }
    let all_periods = store.periods(level)?;
    let (values, derived) = values_at(store, catalogue, indicator, level, &all_periods)?;
    if values.is_empty() {
        return Ok(None);
    }
    let periods: Vec<i32> = values.keys().copied().collect();
    // Residents: the latest among the periods compared, else the latest stored at the level (the
    // RIVM wijk figures of 2012–2020 come without residents; the KWB of another year has them).
    let population = values_at(
        store,
        catalogue,
        &IndicatorId::new(POPULATION_INDICATOR).expect("valid id"),
        level,
        &all_periods,
    )?
    .0;
    let latest_population = |code: &RegionCode| -> Option<f64> {
        periods
            .iter()
            .rev()
            .chain(all_periods.iter().rev())
            .find_map(|p| population.get(p).and_then(|m| m.get(code)).copied())
    };
    let codes: BTreeSet<&RegionCode> = values.values().flat_map(|m| m.keys()).collect();
    let targets_matched = listed.iter().filter(|c| codes.contains(c)).count();
    let unmatched_areas: Vec<String> = set
        .areas
        .iter()
        .filter(|a| {
            let own: Vec<&RegionCode> = match level {
                Level::Gemeente => vec![&a.gemeente],
                _ => a.wijken.iter().collect(),
            };
            !own.iter().any(|c| codes.contains(c))
        })
        .map(|a| a.name.clone())
        .collect();
    let target_gemeenten: BTreeSet<RegionCode> = codes
        .iter()
        .filter(|c| listed.contains(**c))
        .filter_map(|c| c.gemeente())
        .collect();
    let names = {
        let mut names: HashMap<RegionCode, Option<String>> = HashMap::new();
        for &p in periods.iter().rev() {
            if let Some(l) = layout_for(store, level, p)? {
                for r in store.regions(level, l)? {
                    names.entry(r.code).or_insert(r.name);
                }
            }
        }
        names
    };
    let min_population = catalogue.agenda.effect.min_population;
    let mut targets = Vec::new();
    let mut comparisons = Vec::new();
    let mut small = 0;
    for code in codes {
        let is_target = listed.contains(code);
        if !is_target
            && level != Level::Gemeente
            && !code
                .gemeente()
                .is_some_and(|g| target_gemeenten.contains(&g))
        {
            continue;
        }
        if !latest_population(code).is_some_and(|p| p >= min_population) {
            small += 1;
            continue;
        }
        let region = EffectRegion {
            code: code.clone(),
            name: names.get(code).cloned().flatten(),
            area: if is_target {
                set.area_of(code).map(|a| a.name.clone())
            } else {
                None
            },
            values: periods
                .iter()
                .map(|p| values.get(p).and_then(|m| m.get(code)).copied())
                .collect(),
        };
        if is_target {
            targets.push(region);
        } else {
            comparisons.push(region);
        }
    }
    let phases: Vec<Phase> = periods.iter().map(|&p| phase(start, p)).collect();
    let params = &catalogue.agenda.effect;
    let result = did(&DidInput {
        periods: periods.clone(),
        phases: phases.clone(),
        regions: targets
            .iter()
            .map(|r| DidRegion {
                target: true,
                values: r.values.clone(),
            })
            .chain(comparisons.iter().map(|r| DidRegion {
                target: false,
                values: r.values.clone(),
            }))
            .collect(),
        min_targets: params.min_targets,
        min_comparisons: params.min_comparisons,
        confidence: params.confidence,
    });
    Ok(Some(EffectView {
        indicator: indicator.clone(),
        expect,
        level,
        region_set: set_id.to_string(),
        start,
        periods,
        phases,
        targets_listed: listed.len(),
        targets,
        targets_matched,
        unmatched_areas,
        comparisons,
        small,
        derived,
        result,
    }))
}

/// The effect views of a recommendation: every linked indicator at every level where it has
/// figures and the recommendation's region set lists regions. Empty when the recommendation
/// has no region set.
pub fn effects(
    store: &dyn Store,
    catalogue: &Catalogue,
    recommendation: &Recommendation,
) -> Result<Effects, MonitorError> {
    let mut views = Vec::new();
    let mut not_measured = Vec::new();
    let (Some(set), Some(start)) = (&recommendation.region_set, recommendation.start) else {
        return Ok(Effects {
            views,
            not_measured: recommendation
                .indicators
                .iter()
                .map(|l| NotMeasured {
                    indicator: l.indicator.clone(),
                    levels_with_figures: Vec::new(),
                })
                .collect(),
        });
    };
    for link in &recommendation.indicators {
        let mut any = false;
        for level in EFFECT_LEVELS {
            if let Some(v) = effect_view(
                store,
                catalogue,
                &link.indicator,
                link.expect,
                level,
                set,
                start,
            )? {
                views.push(v);
                any = true;
            }
        }
        if !any {
            let mut levels = Vec::new();
            for level in [Level::Gemeente, Level::Wijk, Level::Buurt, Level::Ggd] {
                let periods = store.periods(level)?;
                if !values_at(store, catalogue, &link.indicator, level, &periods)?
                    .0
                    .is_empty()
                {
                    levels.push(level);
                }
            }
            not_measured.push(NotMeasured {
                indicator: link.indicator.clone(),
                levels_with_figures: levels,
            });
        }
    }
    Ok(Effects {
        views,
        not_measured,
    })
}

/// The headline of every recommendation's effects, for the agenda overview, in number order.
pub fn overview(
    store: &dyn Store,
    catalogue: &Catalogue,
) -> Result<Vec<(String, Effects)>, MonitorError> {
    catalogue
        .agenda
        .recommendations
        .iter()
        .map(|r| Ok((r.id.clone(), effects(store, catalogue, r)?)))
        .collect()
}
