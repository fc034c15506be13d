//! Person-level stacking: tables made by `kwm microdata stack` inside a secure environment,
//! disclosure-checked there, and loaded as long CSV. Per region, the persons by the number of
//! risk characteristics they have (0, 1, 2, 3+), in total and per breakdown cell
//! (`age_class=25-44`, `ses_class=low`, or crossed).
//!
//! Only published figures are used: a suppressed cell stays suppressed, and a share is computed
//! only from a published count and a published number of persons (which reveals nothing the
//! two do not). Nothing here is about individual persons.

use std::collections::{BTreeMap, HashMap};

use kwm_model::{Level, RegionCode, ValueStatus};
use kwm_store::{ObservationRecord, Store};

use crate::layouts::{layout_for, region_names};
use crate::MonitorError;

/// Indicator prefix of tables made from real person data.
pub const PREFIX_REAL: &str = "mds_";
/// Indicator prefix of tables made from the synthetic generator (`kwm microdata generate`).
pub const PREFIX_SYNTHETIC: &str = "synthetic_mds_";

/// True for the indicators of person-level stacking tables (real or synthetic). They have their
/// own page and API; area views (map, region profile) leave them out, so counts of persons by
/// stacking, and above all synthetic ones, never stand among an area's published figures.
pub fn is_person_level(indicator: &str) -> bool {
    indicator.starts_with(PREFIX_REAL) || indicator.starts_with(PREFIX_SYNTHETIC)
}

/// One published figure, as the table shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// Published.
    Value(f64),
    /// Suppressed by disclosure control: never filled in.
    Suppressed,
    /// Not in the loaded table (or missing for another reason).
    Missing,
}

impl Cell {
    fn of(o: Option<&ObservationRecord>) -> Cell {
        match o {
            Some(o) => match (o.value, o.status) {
                (Some(v), _) => Cell::Value(v),
                (None, ValueStatus::Suppressed) => Cell::Suppressed,
                _ => Cell::Missing,
            },
            None => Cell::Missing,
        }
    }

    /// The value when published.
    pub fn value(self) -> Option<f64> {
        match self {
            Cell::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// One class of the stacking count as published: `0`, `1`, `2` or the top-coded `3+`.
#[derive(Debug, Clone, PartialEq)]
pub struct StackClass {
    /// Indicator id (`synthetic_mds_stack_3plus`).
    pub indicator: String,
    /// Label (`0`, `3+`).
    pub label: String,
    /// The lowest count in the class (3 for `3+`).
    pub from: u8,
    /// Whether the class is open upwards (`3+`).
    pub open: bool,
}

/// The distribution of one population cell (a region's total or one breakdown cell).
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionRow {
    /// The breakdown cell as stored (`""` for the total).
    pub breakdown: String,
    /// Its dimensions and categories, in stored order (`[("age_class", "25-44")]`).
    pub parts: Vec<(String, String)>,
    /// Number of persons.
    pub persons: Cell,
    /// Persons per stacking class, in the order of [`PersonStacking::classes`].
    pub counts: Vec<Cell>,
    /// Each count as a percentage of the persons, when both are published.
    pub shares: Vec<Option<f64>>,
}

/// The rows that break the population down by the same dimensions (`age_class`, or
/// `age_class` × `ses_class`).
#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownGroup {
    /// The dimensions.
    pub dimensions: Vec<String>,
    /// One row per category (combination), in category order.
    pub rows: Vec<DistributionRow>,
}

/// Person-level stacking of one region and period.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonStacking {
    /// Indicator prefix of the table shown (`mds_` or `synthetic_mds_`).
    pub prefix: String,
    /// True when the figures come from the synthetic generator: not about real persons.
    pub synthetic: bool,
    /// Prefixes with loaded tables (to switch between real and synthetic).
    pub prefixes: Vec<String>,
    /// The region.
    pub region: RegionCode,
    /// Its name, when known.
    pub region_name: Option<String>,
    /// The period.
    pub period: i32,
    /// Periods with figures.
    pub periods: Vec<i32>,
    /// Regions with figures in the period: Nederland first, then gemeenten by name.
    pub regions: Vec<(RegionCode, Option<String>)>,
    /// The published stacking classes.
    pub classes: Vec<StackClass>,
    /// The region's total population.
    pub total: DistributionRow,
    /// Breakdowns: single dimensions first (in the order they appear), then crossed ones.
    pub groups: Vec<BreakdownGroup>,
    /// Loads the figures came from.
    pub load_ids: Vec<i64>,
}

/// The indicator prefixes (real first, then synthetic) that have a loaded persons table.
pub fn prefixes(store: &dyn Store) -> Result<Vec<String>, MonitorError> {
    let mut out = Vec::new();
    for prefix in [PREFIX_REAL, PREFIX_SYNTHETIC] {
        if let Some(i) = store.indicator(&format!("{prefix}persons"))? {
            if !i.periods.is_empty() {
                out.push(prefix.to_string());
            }
        }
    }
    Ok(out)
}

/// The published stacking classes of a prefix in a period: `0 … t−1` and the smallest
/// top-coded `t+` with figures; without a top-coded class, every single count with figures.
fn classes(store: &dyn Store, prefix: &str, period: i32) -> Result<Vec<StackClass>, MonitorError> {
    let stack = format!("{prefix}stack_");
    let mut single: BTreeMap<u8, String> = BTreeMap::new();
    let mut plus: BTreeMap<u8, String> = BTreeMap::new();
    for i in store.indicators()? {
        let id = i.indicator.id.as_str();
        let Some(rest) = id.strip_prefix(&stack) else {
            continue;
        };
        if !i.periods.contains(&period) {
            continue;
        }
        if let Some(t) = rest.strip_suffix("plus").and_then(|t| t.parse::<u8>().ok()) {
            plus.insert(t, id.to_string());
        } else if let Ok(k) = rest.parse::<u8>() {
            single.insert(k, id.to_string());
        }
    }
    let mut out = Vec::new();
    let top = plus.keys().next().copied();
    for (&k, id) in &single {
        if top.is_none_or(|t| k < t) {
            out.push(StackClass {
                indicator: id.clone(),
                label: k.to_string(),
                from: k,
                open: false,
            });
        }
    }
    if let Some(t) = top {
        out.push(StackClass {
            indicator: plus[&t].clone(),
            label: format!("{t}+"),
            from: t,
            open: true,
        });
    }
    Ok(out)
}

/// Parses `age_class=25-44;ses_class=low` into its parts (`""` gives none).
pub fn parse_breakdown(breakdown: &str) -> Vec<(String, String)> {
    breakdown
        .split(';')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

/// Sort key of a category within its dimension: known orders for the microdata breakdowns,
/// age classes by their lower bound, else bytewise.
fn category_key(dimension: &str, category: &str) -> (u32, String) {
    let known: &[&str] = match dimension {
        "ses_class" => &["low", "middle", "high"],
        "sex" => &["male", "female"],
        "migration" => &["dutch", "europe", "outside_europe"],
        "household" => &[
            "single",
            "couple",
            "couple_with_children",
            "single_parent",
            "other",
        ],
        _ => &[],
    };
    if let Some(i) = known.iter().position(|k| *k == category) {
        return (i as u32, String::new());
    }
    let digits: String = category.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u32>() {
        Ok(n) => (n, category.to_string()),
        Err(_) => (u32::MAX, category.to_string()),
    }
}

/// Person-level stacking of a region (default Nederland) and period (default the latest),
/// from the real tables when loaded, else the synthetic ones (or the `prefix` asked for).
/// `Ok(None)` when no person-level table is loaded at all.
pub fn person_stacking(
    store: &dyn Store,
    prefix: Option<&str>,
    region: Option<&RegionCode>,
    period: Option<i32>,
) -> Result<Option<PersonStacking>, MonitorError> {
    let prefixes = prefixes(store)?;
    let prefix =
        match prefix {
            Some(p) if prefixes.iter().any(|q| q == p) => p.to_string(),
            Some(p) => {
                return Err(MonitorError::NotFound(format!(
                "no person-level stacking table with indicator prefix '{p}' is loaded (loaded: {})",
                if prefixes.is_empty() { "none".to_string() } else { prefixes.join(", ") }
            )))
            }
            None => match prefixes.first() {
                Some(p) => p.clone(),
                None => return Ok(None),
            },
        };
    let persons_id = format!("{prefix}persons");
    let periods = store
        .indicator(&persons_id)?
        .map(|i| i.periods)
        .unwrap_or_default();
    let period = match period {
        Some(p) if periods.contains(&p) => p,
        Some(p) => {
            return Err(MonitorError::NotFound(format!(
                "no person-level stacking for {p}; periods with figures: {}",
                periods
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
        None => *periods
            .last()
            .ok_or_else(|| MonitorError::NotFound("no person-level stacking figures".into()))?,
    };
    // Regions with a published (or suppressed) number of persons: Nederland, then gemeenten.
    let mut regions: Vec<(RegionCode, Option<String>)> = Vec::new();
    for level in [Level::Land, Level::Gemeente] {
        let codes: Vec<RegionCode> = store
            .observations(&persons_id, level, period)?
            .into_iter()
            .map(|o| o.region)
            .collect();
        if codes.is_empty() {
            continue;
        }
        let names = region_names(store, level, layout_for(store, level, period)?)?;
        let mut named: Vec<(RegionCode, Option<String>)> = codes
            .into_iter()
            .map(|c| {
                let name = names
                    .get(&c)
                    .cloned()
                    .flatten()
                    .or_else(|| (level == Level::Land).then(|| "Nederland".to_string()));
                (c, name)
            })
            .collect();
        named.sort_by_key(|(c, n)| (n.clone().unwrap_or_else(|| c.to_string()), c.clone()));
        regions.extend(named);
    }
    let region = match region {
        Some(r) => r.clone(),
        None => regions.first().map(|(c, _)| c.clone()).ok_or_else(|| {
            MonitorError::NotFound(format!("no regions with {persons_id} in {period}"))
        })?,
    };
    let persons = store.breakdown_observations(&persons_id, &region, period)?;
    if persons.is_empty() {
        return Err(MonitorError::NotFound(format!(
            "no person-level stacking for region {region} in {period}"
        )));
    }
    let region_name = match regions.iter().find(|(c, _)| *c == region) {
        Some((_, n)) => n.clone(),
        None => store.region(&region, period)?.and_then(|r| r.name),
    };
    let classes = classes(store, &prefix, period)?;
    let mut load_ids: Vec<i64> = persons.iter().map(|o| o.load_id).collect();
    let per_class: Vec<HashMap<String, ObservationRecord>> = classes
        .iter()
        .map(|c| {
            let rows = store.breakdown_observations(&c.indicator, &region, period)?;
            load_ids.extend(rows.iter().map(|o| o.load_id));
            Ok(rows.into_iter().map(|o| (o.breakdown.clone(), o)).collect())
        })
        .collect::<Result<_, MonitorError>>()?;
    load_ids.sort_unstable();
    load_ids.dedup();
    let row = |o: &ObservationRecord| {
        let persons = Cell::of(Some(o));
        let counts: Vec<Cell> = per_class
            .iter()
            .map(|m| Cell::of(m.get(&o.breakdown)))
            .collect();
        let shares = counts
            .iter()
            .map(|c| match (c.value(), persons.value()) {
                (Some(c), Some(p)) if p > 0.0 => Some(100.0 * c / p),
                _ => None,
            })
            .collect();
        DistributionRow {
            breakdown: o.breakdown.clone(),
            parts: parse_breakdown(&o.breakdown),
            persons,
            counts,
            shares,
        }
    };
    let mut total = None;
    let mut groups: Vec<BreakdownGroup> = Vec::new();
    for o in &persons {
        let r = row(o);
        if r.parts.is_empty() {
            total = Some(r);
            continue;
        }
        let dims: Vec<String> = r.parts.iter().map(|(k, _)| k.clone()).collect();
        match groups.iter_mut().find(|g| g.dimensions == dims) {
            Some(g) => g.rows.push(r),
            None => groups.push(BreakdownGroup {
                dimensions: dims,
                rows: vec![r],
            }),
        }
    }
    for g in &mut groups {
        g.rows.sort_by_key(|r| {
            r.parts
                .iter()
                .map(|(k, v)| category_key(k, v))
                .collect::<Vec<_>>()
        });
    }
    // Single dimensions before crossed ones; otherwise as first seen.
    groups.sort_by_key(|g| g.dimensions.len());
    let total = total.unwrap_or_else(|| DistributionRow {
        breakdown: String::new(),
        parts: Vec::new(),
        persons: Cell::Missing,
        counts: vec![Cell::Missing; classes.len()],
        shares: vec![None; classes.len()],
    });
    Ok(Some(PersonStacking {
        synthetic: prefix.starts_with("synthetic_"),
        prefix,
        prefixes,
        region,
        region_name,
        period,
        periods,
        regions,
        classes,
        total,
        groups,
        load_ids,
    }))
}

/// Every stored cell (total and breakdowns) of one indicator for a region and period;
/// not found when there is none.
pub fn breakdown_cells(
    store: &dyn Store,
    indicator: &str,
    region: &RegionCode,
    period: i32,
) -> Result<Vec<ObservationRecord>, MonitorError> {
    let cells = store.breakdown_observations(indicator, region, period)?;
    if cells.is_empty() {
        return Err(MonitorError::NotFound(format!(
            "no figures of {indicator} for {region} in {period}"
        )));
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdowns_parse_and_categories_sort_in_their_own_order() {
        assert_eq!(
            parse_breakdown("age_class=25-44;ses_class=low"),
            [
                ("age_class".to_string(), "25-44".to_string()),
                ("ses_class".to_string(), "low".to_string())
            ]
        );
        assert!(parse_breakdown("").is_empty());
        let mut ses = ["high", "low", "middle"];
        ses.sort_by_key(|c| category_key("ses_class", c));
        assert_eq!(ses, ["low", "middle", "high"]);
        let mut age = ["65+", "5-14", "0-4", "25-44"];
        age.sort_by_key(|c| category_key("age_class", c));
        assert_eq!(age, ["0-4", "5-14", "25-44", "65+"]);
    }
}
