//! Similar areas of a region under the catalogue's rule (`similar.toml`, see
//! [`kwm_model::similar`]): the stored figures of the rule's variables at the region's level go
//! into `kwm_engine::similar::nearest`.

use kwm_engine::similar::{nearest, Candidate};
use kwm_model::catalogue::Catalogue;
use kwm_model::similar::SimilarRule;
use kwm_model::{Level, RegionCode};
use kwm_store::Store;

use crate::layouts::layout_for;
use crate::MonitorError;

/// One similar area.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarArea {
    /// Region.
    pub code: RegionCode,
    /// Name in the period's layout.
    pub name: Option<String>,
    /// Distance in standardised units (0 = identical on every variable).
    pub distance: f64,
}

/// The similar areas of a region in a period, and what the rule needed.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarAreas {
    /// Region.
    pub code: RegionCode,
    /// The period asked for (the latest with figures for the region by default).
    pub period: i32,
    /// Per variable the period its figures come from (`None`: the level never has it).
    pub periods: Vec<(String, Option<i32>)>,
    /// The rule applied.
    pub rule: SimilarRule,
    /// Regions of the level that had every variable (the pool the neighbours come from).
    pub compared: usize,
    /// Variables the region itself has no figure for (then `areas` is empty).
    pub missing: Vec<String>,
    /// Nearest first.
    pub areas: Vec<SimilarArea>,
}

/// The similar areas of `code` in `period` (default: the latest with figures for the region),
/// each variable of the rule taken from the latest period up to it in which the level has it.
/// No rule in the catalogue gives an empty list, not an error.
pub fn similar(
    store: &dyn Store,
    catalogue: &Catalogue,
    code: &RegionCode,
    period: Option<i32>,
) -> Result<SimilarAreas, MonitorError> {
    let rule = catalogue.similar.clone();
    let level: Level = code.level();
    let latest = match period {
        Some(p) => p,
        None => *store
            .region_periods(code)?
            .last()
            .ok_or_else(|| MonitorError::NotFound(format!("no figures for region '{code}'")))?,
    };
    // The variables are not published every year (income figures lag two years, urbanity is
    // not in every edition): each comes from the latest period up to the asked one in which
    // the level has it. They describe an area's structure, which changes slowly.
    let mut ids_by_period: Vec<(i32, Vec<String>)> = Vec::new();
    for p in store
        .periods(level)?
        .into_iter()
        .rev()
        .filter(|&p| p <= latest)
    {
        ids_by_period.push((p, store.indicator_ids_at(level, p)?));
    }
    let periods: Vec<(String, Option<i32>)> = rule
        .variables
        .iter()
        .map(|v| {
            let at = ids_by_period
                .iter()
                .find(|(_, ids)| ids.iter().any(|i| i == v.indicator.as_str()))
                .map(|(p, _)| *p);
            (v.indicator.to_string(), at)
        })
        .collect();
    let period = latest;
    // Codes of the picture's layout; a variable from an older period counts for the codes
    // that still exist.
    let layout = layout_for(store, level, period)?;
    let regions = match layout {
        Some(l) => store.regions(level, l)?,
        None => Vec::new(),
    };
    // Values per region in the order of the rule's variables.
    let mut values: std::collections::BTreeMap<RegionCode, Vec<Option<f64>>> = regions
        .iter()
        .map(|r| (r.code.clone(), vec![None; rule.variables.len()]))
        .collect();
    for (j, v) in rule.variables.iter().enumerate() {
        let Some(at) = periods[j].1 else { continue };
        for o in store.observations(v.indicator.as_str(), level, at)? {
            let x = o.value.filter(|x| !v.log || *x > 0.0);
            let x = if v.log { x.map(f64::ln) } else { x };
            if let Some(slot) = values.get_mut(&o.region) {
                slot[j] = x;
            }
        }
    }
    let missing: Vec<String> = match values.get(code) {
        Some(vs) => rule
            .variables
            .iter()
            .zip(vs)
            .filter(|(_, x)| x.is_none())
            .map(|(v, _)| v.indicator.to_string())
            .collect(),
        None => rule
            .variables
            .iter()
            .map(|v| v.indicator.to_string())
            .collect(),
    };
    let candidates: Vec<Candidate<RegionCode>> = values
        .into_iter()
        .map(|(key, values)| Candidate { key, values })
        .collect();
    let compared = candidates
        .iter()
        .filter(|c| c.values.iter().all(Option::is_some))
        .count();
    let weights: Vec<f64> = rule.variables.iter().map(|v| v.weight).collect();
    let areas = if rule.variables.is_empty() {
        Vec::new()
    } else {
        nearest(&candidates, code, &weights, rule.k)
    }
    .into_iter()
    .map(|n| SimilarArea {
        name: regions
            .iter()
            .find(|r| r.code == n.key)
            .and_then(|r| r.name.clone()),
        code: n.key,
        distance: n.distance,
    })
    .collect();
    Ok(SimilarAreas {
        code: code.clone(),
        period,
        periods,
        rule,
        compared,
        missing,
        areas,
    })
}
