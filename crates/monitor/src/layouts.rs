//! Region layouts over time: deriving the changes between consecutive stored layouts, and
//! reading them back merged with loaded (official) change tables.
//!
//! Precedence: for an old code that a loaded change table mentions within an interval between
//! two stored layouts, the table's links are used; the data-derived links of that code serve
//! only to fill in weights the table leaves open (a split's shares, from the population of
//! the named parts, else from overlaying boundaries).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use geo::MultiPolygon;
use kwm_engine::crosswalk::{self, DeriveOptions, LayoutRegion};
use kwm_model::{ChangeKind, Level, RegionChange, RegionCode};
use kwm_store::{ChangeOrigin, ChangeRecord, LayoutDerivation, LayoutSummary, Store};
use serde::Serialize;

use crate::MonitorError;

/// The count indicator whose values weight splits and population-weighted means.
pub const POPULATION_INDICATOR: &str = "kwb_aantal_inwoners";

/// Version of the derivation rules; part of every comparison's signature.
const DERIVATION_VERSION: u32 = 3;

/// Levels whose layouts change over time (provinces and GGD regions are not modelled).
pub const CHANGING_LEVELS: [Level; 3] = [Level::Gemeente, Level::Wijk, Level::Buurt];

/// A stored layout that lists fewer than this share of the level's largest layout is a
/// fragment (e.g. one gemeente of an older year kept for its boundary), not a layout to
/// compare: comparing it would report hundreds of codes as new.
const FRAGMENT_SHARE: f64 = 0.5;

/// Layouts of a level that are complete enough to compare, ascending. Below gemeente level
/// every layout counts, because the derivation compares only gemeenten present in both.
pub fn comparable_layouts(store: &dyn Store, level: Level) -> Result<Vec<i32>, MonitorError> {
    let summaries: Vec<LayoutSummary> = store
        .layout_summaries()?
        .into_iter()
        .filter(|s| s.level == level && s.regions > 0)
        .collect();
    let largest = summaries.iter().map(|s| s.regions).max().unwrap_or(0);
    Ok(summaries
        .iter()
        .filter(|s| level != Level::Gemeente || s.regions as f64 >= FRAGMENT_SHARE * largest as f64)
        .map(|s| s.layout)
        .collect())
}

/// What [`derive_changes`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeriveReport {
    /// Layout pairs compared anew.
    pub derived_pairs: usize,
    /// Pairs whose inputs had not changed.
    pub unchanged_pairs: usize,
}

fn layout_regions(
    store: &dyn Store,
    level: Level,
    layout: i32,
) -> Result<Vec<LayoutRegion>, MonitorError> {
    Ok(store
        .regions(level, layout)?
        .into_iter()
        .map(|r| LayoutRegion {
            code: r.code,
            name: r.name,
        })
        .collect())
}

/// Boundaries of a layout, but only when they cover at least half of its regions: a stray
/// shape (one dissolved gemeente) is no basis for comparing layouts.
fn layout_shapes(
    store: &dyn Store,
    level: Level,
    layout: i32,
    regions: usize,
) -> Result<HashMap<RegionCode, MultiPolygon<f64>>, MonitorError> {
    let shapes = store.boundaries(level, layout)?;
    if (shapes.len() as f64) < FRAGMENT_SHARE * regions as f64 {
        return Ok(HashMap::new());
    }
    Ok(shapes.into_iter().map(|b| (b.code, b.geometry)).collect())
}

fn signature(
    old: &[LayoutRegion],
    new: &[LayoutRegion],
    shapes: (usize, usize),
    loads: usize,
) -> String {
    // The version changes whenever the derivation rules do, so stored comparisons are redone.
    let mut text = format!(
        "derivation {DERIVATION_VERSION}; loads {loads}; shapes {} {}\n",
        shapes.0, shapes.1
    );
    for r in old.iter().chain([None].iter().flatten()).chain(new) {
        text.push_str(r.code.as_str());
        text.push('|');
        text.push_str(r.name.as_deref().unwrap_or(""));
        text.push('\n');
    }
    kwm_ingest::checksum(text.as_bytes())
}

/// Compares every pair of consecutive comparable layouts of every changing level, where the
/// inputs changed since the last comparison, and stores what it finds (changes, codes left
/// unexplained). Also resolves the open weights of loaded splits (see [`resolve_weights`]).
pub fn derive_changes(store: &mut dyn Store) -> Result<DeriveReport, MonitorError> {
    let mut report = DeriveReport::default();
    let loads = store.loads()?.len();
    for level in CHANGING_LEVELS {
        let layouts = comparable_layouts(store, level)?;
        let stored: BTreeMap<(i32, i32), LayoutDerivation> = store
            .layout_derivations(level)?
            .into_iter()
            .map(|d| ((d.from_layout, d.to_layout), d))
            .collect();
        let existing = store.region_changes(Some(level))?;
        let mut pairs: Vec<(LayoutDerivation, Vec<RegionChange>)> = Vec::new();
        let mut any_new = stored.len() != layouts.len().saturating_sub(1);
        for w in layouts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let old = layout_regions(store, level, a)?;
            let new = layout_regions(store, level, b)?;
            let boundary_counts = (
                store.boundaries(level, a)?.len(),
                store.boundaries(level, b)?.len(),
            );
            let sig = signature(&old, &new, boundary_counts, loads);
            if let Some(d) = stored.get(&(a, b)).filter(|d| d.signature == sig) {
                report.unchanged_pairs += 1;
                let kept: Vec<RegionChange> = existing
                    .iter()
                    .filter(|c| {
                        c.origin == ChangeOrigin::Derived
                            && c.from_layout == a
                            && c.change.to_layout == b
                    })
                    .map(|c| c.change.clone())
                    .collect();
                pairs.push((d.clone(), kept));
                continue;
            }
            any_new = true;
            report.derived_pairs += 1;
            let old_shapes = layout_shapes(store, level, a, old.len())?;
            let new_shapes = layout_shapes(store, level, b, new.len())?;
            let found = crosswalk::derive_changes(
                &old,
                &new,
                &old_shapes,
                &new_shapes,
                b,
                &DeriveOptions::default(),
            );
            let mut changes = found.changes;
            changes.extend(resolve_weights(store, level, a, b, &existing)?);
            pairs.push((
                LayoutDerivation {
                    level,
                    from_layout: a,
                    to_layout: b,
                    signature: sig,
                    compared: found.compared,
                    disappeared: found.disappeared,
                    appeared: found.appeared,
                },
                changes,
            ));
        }
        if any_new {
            store.replace_derived_changes(level, &pairs)?;
        }
    }
    Ok(report)
}

/// Weights for the loaded splits and boundary corrections of the interval `(from, to]` that
/// leave their share open, as derived changes of the same links:
/// 1. the population of the named `parts` (the latest period in which all parts of the split
///    have a value; failing that, the newest period missing one part, which gets the rest of
///    the old region's own population) — the weight CBS itself would use;
/// 2. else the area of the old region's boundary (latest layout up to `from` that has it)
///    lying in each successor's boundary (earliest layout from `to` on that has them all).
///
/// A split that neither can weigh stays open, and harmonisation reports it.
pub fn resolve_weights(
    store: &dyn Store,
    level: Level,
    from: i32,
    to: i32,
    existing: &[ChangeRecord],
) -> Result<Vec<RegionChange>, MonitorError> {
    let mut open: BTreeMap<&RegionCode, Vec<&RegionChange>> = BTreeMap::new();
    for c in existing {
        let ch = &c.change;
        if c.origin == ChangeOrigin::Official
            && ch.weight.is_none()
            && ch.to_layout > from
            && ch.to_layout <= to
            && matches!(ch.kind, ChangeKind::Split | ChangeKind::Boundary)
        {
            open.entry(&ch.old_code).or_default().push(ch);
        }
    }
    let mut out = Vec::new();
    for (old, links) in open {
        if let Some((shares, basis)) = population_shares(store, old, &links)? {
            out.extend(weighted(&links, &shares, &basis, to));
            continue;
        }
        if let Some((shares, basis)) = area_shares(store, level, old, &links, from, to)? {
            out.extend(weighted(&links, &shares, &basis, to));
        }
    }
    Ok(out)
}

/// The links with their weights, as derived changes of the compared pair (`to_layout` is the
/// pair's newer layout, so they are found with the pair).
fn weighted(links: &[&RegionChange], shares: &[f64], basis: &str, to: i32) -> Vec<RegionChange> {
    links
        .iter()
        .zip(shares)
        .map(|(l, s)| RegionChange {
            to_layout: to,
            weight: Some(*s),
            weight_basis: Some(basis.to_string()),
            ..(*l).clone()
        })
        .collect()
}

/// The population of each link's parts in one period (`None` where a part has no figure).
type PartCounts = (i32, Vec<Option<f64>>);

/// Population of each link's named parts, per period (newest first).
fn part_counts(
    store: &dyn Store,
    links: &[&RegionChange],
) -> Result<Vec<PartCounts>, MonitorError> {
    let level = links[0].parts[0].level();
    let mut periods = store.periods(level)?;
    periods.reverse();
    let mut out = Vec::new();
    for period in periods {
        let obs = store.observations(POPULATION_INDICATOR, level, period)?;
        let by_code: HashMap<&RegionCode, f64> = obs
            .iter()
            .filter_map(|o| o.value.map(|v| (&o.region, v)))
            .collect();
        let counts: Vec<Option<f64>> = links
            .iter()
            .map(|l| {
                l.parts
                    .iter()
                    .map(|p| by_code.get(p).copied())
                    .sum::<Option<f64>>()
            })
            .collect();
        if counts.iter().any(Option::is_some) {
            out.push((period, counts));
        }
    }
    Ok(out)
}

/// The latest population of the old region itself.
fn own_population(store: &dyn Store, old: &RegionCode) -> Result<Option<(i32, f64)>, MonitorError> {
    let mut periods = store.periods(old.level())?;
    periods.reverse();
    for period in periods {
        let found = store
            .observations(POPULATION_INDICATOR, old.level(), period)?
            .into_iter()
            .find(|o| &o.region == old)
            .and_then(|o| o.value);
        if let Some(v) = found {
            return Ok(Some((period, v)));
        }
    }
    Ok(None)
}

/// Shares of a split by the population of the parts it names: all parts from one period when
/// some period has them all; else the newest period missing one part, which then gets the rest
/// of the old region's own (latest) population. The basis says which numbers were used.
fn population_shares(
    store: &dyn Store,
    old: &RegionCode,
    links: &[&RegionChange],
) -> Result<Option<(Vec<f64>, String)>, MonitorError> {
    if links.iter().any(|l| l.parts.is_empty()) {
        return Ok(None);
    }
    let by_period = part_counts(store, links)?;
    let detail = |counts: &[Option<f64>]| -> String {
        links
            .iter()
            .zip(counts)
            .filter_map(|(l, n)| {
                n.map(|n| {
                    let parts: Vec<&str> = l.parts.iter().map(RegionCode::as_str).collect();
                    format!("{} {n}", parts.join("+"))
                })
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (period, counts) in &by_period {
        if let Some(shares) = crosswalk::shares_from_counts(counts) {
            return Ok(Some((
                shares,
                format!(
                    "bevolking van de delen in {period} ({POPULATION_INDICATOR}: {})",
                    detail(counts)
                ),
            )));
        }
    }
    let own = own_population(store, old)?;
    for (period, counts) in &by_period {
        if let Some(shares) = crosswalk::shares_with_remainder(counts, own.map(|(_, v)| v)) {
            let (own_period, total) = own.expect("a remainder needs the total");
            let missing = links
                .iter()
                .zip(counts)
                .find(|(_, n)| n.is_none())
                .map(|(l, _)| {
                    l.parts
                        .iter()
                        .map(RegionCode::as_str)
                        .collect::<Vec<_>>()
                        .join("+")
                })
                .unwrap_or_default();
            let known: f64 = counts.iter().flatten().sum();
            return Ok(Some((
                shares,
                format!(
                    "bevolking van de delen in {period} ({POPULATION_INDICATOR}: {}); {missing} zonder cijfer krijgt de rest van {old} in {own_period} ({total} − {known} = {})",
                    detail(counts),
                    total - known
                ),
            )));
        }
    }
    Ok(None)
}

fn area_shares(
    store: &dyn Store,
    level: Level,
    old: &RegionCode,
    links: &[&RegionChange],
    from: i32,
    to: i32,
) -> Result<Option<(Vec<f64>, String)>, MonitorError> {
    let boundary_layouts = store.boundary_layouts(level)?;
    let Some((old_layout, old_shape)) = boundary_layouts
        .iter()
        .rev()
        .filter(|&&l| l <= from)
        .find_map(|&l| {
            store
                .boundaries(level, l)
                .ok()?
                .into_iter()
                .find(|b| &b.code == old)
                .map(|b| (l, b.geometry))
        })
    else {
        return Ok(None);
    };
    for &layout in boundary_layouts.iter().filter(|&&l| l >= to) {
        let shapes: HashMap<RegionCode, MultiPolygon<f64>> = store
            .boundaries(level, layout)?
            .into_iter()
            .map(|b| (b.code, b.geometry))
            .collect();
        let targets: Option<Vec<&MultiPolygon<f64>>> =
            links.iter().map(|l| shapes.get(&l.new_code)).collect();
        if let Some(targets) = targets {
            if let Some(shares) = crosswalk::area_shares(&old_shape, &targets) {
                return Ok(Some((
                    shares,
                    format!(
                        "oppervlakte: grens van {old} ({old_layout}) over de grenzen van {layout}"
                    ),
                )));
            }
        }
    }
    Ok(None)
}

/// A change as users see it: official or derived, with its weight filled in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeView {
    /// Level.
    pub level: Level,
    /// Layout before.
    pub from_layout: i32,
    /// The change (weight and basis filled in where the monitor derived them).
    #[serde(flatten)]
    pub change: RegionChange,
    /// Official (loaded table) or derived from the data.
    pub origin: ChangeOrigin,
    /// True when the weight was derived by the monitor, not given by the source.
    pub weight_derived: bool,
    /// The load of an official change.
    pub load_id: Option<i64>,
}

/// True when harmonisation carries figures over this change: not renames (same code), and not
/// boundary corrections seen only in generalised boundary files — simplification moves
/// borders by hundreds of metres, and an area share says little about where people live;
/// they are shown as candidates, and only a change table's corrections move figures.
pub fn moves_figures(c: &ChangeView) -> bool {
    c.change.kind.moves_figures()
        && !(c.origin == ChangeOrigin::Derived && c.change.kind == ChangeKind::Boundary)
}

/// The interval between consecutive comparable layouts that a change falls in.
fn interval_of(layouts: &[i32], to_layout: i32) -> Option<(i32, i32)> {
    let i = layouts.iter().position(|&l| l >= to_layout)?;
    (i > 0).then(|| (layouts[i - 1], layouts[i]))
}

/// All effective changes of a level in layout order: official links where a loaded table
/// covers an old code in an interval, derived links elsewhere, and weights completed.
/// Renames are kept (they do not move figures).
pub fn effective_changes(store: &dyn Store, level: Level) -> Result<Vec<ChangeView>, MonitorError> {
    let layouts = comparable_layouts(store, level)?;
    let records = store.region_changes(Some(level))?;
    // Official old codes per interval.
    let mut covered: BTreeSet<((i32, i32), RegionCode)> = BTreeSet::new();
    for r in records
        .iter()
        .filter(|r| r.origin == ChangeOrigin::Official)
    {
        let interval = interval_of(&layouts, r.change.to_layout)
            .unwrap_or((r.from_layout, r.change.to_layout));
        covered.insert((interval, r.change.old_code.clone()));
    }
    let derived_weight: HashMap<(RegionCode, RegionCode, i32), (f64, Option<String>)> = records
        .iter()
        .filter(|r| r.origin == ChangeOrigin::Derived)
        .filter_map(|r| {
            r.change.weight.map(|w| {
                (
                    (
                        r.change.old_code.clone(),
                        r.change.new_code.clone(),
                        r.change.to_layout,
                    ),
                    (w, r.change.weight_basis.clone()),
                )
            })
        })
        .collect();
    let mut out = Vec::new();
    for r in records {
        match r.origin {
            ChangeOrigin::Official => {
                let mut change = r.change.clone();
                let mut weight_derived = false;
                if change.weight.is_none() {
                    let pair_to =
                        interval_of(&layouts, change.to_layout).map_or(change.to_layout, |i| i.1);
                    if let Some((w, basis)) = derived_weight.get(&(
                        change.old_code.clone(),
                        change.new_code.clone(),
                        pair_to,
                    )) {
                        change.weight = Some(*w);
                        change.weight_basis = basis.clone();
                        weight_derived = true;
                    }
                }
                out.push(ChangeView {
                    level,
                    from_layout: r.from_layout,
                    change,
                    origin: r.origin,
                    weight_derived,
                    load_id: r.load_id,
                });
            }
            ChangeOrigin::Derived => {
                let interval = (r.from_layout, r.change.to_layout);
                if covered.contains(&(interval, r.change.old_code.clone())) {
                    continue;
                }
                out.push(ChangeView {
                    level,
                    from_layout: r.from_layout,
                    change: r.change,
                    origin: r.origin,
                    weight_derived: true,
                    load_id: None,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.change.to_layout, &a.change.old_code, &a.change.new_code).cmp(&(
            b.change.to_layout,
            &b.change.old_code,
            &b.change.new_code,
        ))
    });
    Ok(out)
}

/// One comparison of consecutive layouts, for `kwm layouts` and the API.
#[derive(Debug, Clone, Serialize)]
pub struct LayoutPair {
    /// Older layout.
    pub from_layout: i32,
    /// Newer layout.
    pub to_layout: i32,
    /// Regions compared.
    pub compared: usize,
    /// Effective changes by kind.
    pub counts: BTreeMap<ChangeKind, usize>,
    /// Of those, how many come from a loaded change table.
    pub official: usize,
    /// Codes that disappear with no successor, from the data nor from a change table.
    pub unexplained_disappeared: Vec<RegionCode>,
    /// Codes that appear with no predecessor.
    pub unexplained_appeared: Vec<RegionCode>,
}

/// The layouts of one level and what changed between them.
#[derive(Debug, Clone, Serialize)]
pub struct LevelLayouts {
    /// Level.
    pub level: Level,
    /// Stored layouts (also fragments), with sizes.
    pub layouts: Vec<LayoutSummary>,
    /// Consecutive comparable layouts.
    pub pairs: Vec<LayoutPair>,
}

/// Every level's layouts and the changes between consecutive ones.
pub fn overview(store: &dyn Store) -> Result<Vec<LevelLayouts>, MonitorError> {
    let summaries = store.layout_summaries()?;
    let mut out = Vec::new();
    for level in Level::ALL {
        let layouts: Vec<LayoutSummary> = summaries
            .iter()
            .filter(|s| s.level == level)
            .cloned()
            .collect();
        if layouts.is_empty() {
            continue;
        }
        let mut pairs = Vec::new();
        if CHANGING_LEVELS.contains(&level) {
            let changes = effective_changes(store, level)?;
            let comparable = comparable_layouts(store, level)?;
            for d in store.layout_derivations(level)? {
                let in_pair: Vec<&ChangeView> = changes
                    .iter()
                    .filter(|c| {
                        interval_of(&comparable, c.change.to_layout)
                            == Some((d.from_layout, d.to_layout))
                    })
                    .collect();
                let mut counts = BTreeMap::new();
                for c in &in_pair {
                    *counts.entry(c.change.kind).or_insert(0) += 1;
                }
                let olds: BTreeSet<&RegionCode> =
                    in_pair.iter().map(|c| &c.change.old_code).collect();
                let news: BTreeSet<&RegionCode> =
                    in_pair.iter().map(|c| &c.change.new_code).collect();
                pairs.push(LayoutPair {
                    from_layout: d.from_layout,
                    to_layout: d.to_layout,
                    compared: d.compared,
                    official: in_pair
                        .iter()
                        .filter(|c| c.origin == ChangeOrigin::Official)
                        .count(),
                    counts,
                    unexplained_disappeared: d
                        .disappeared
                        .iter()
                        .filter(|c| !olds.contains(c))
                        .cloned()
                        .collect(),
                    unexplained_appeared: d
                        .appeared
                        .iter()
                        .filter(|c| !news.contains(c))
                        .cloned()
                        .collect(),
                });
            }
        }
        out.push(LevelLayouts {
            level,
            layouts,
            pairs,
        });
    }
    Ok(out)
}

/// Effective changes with `from < to_layout ≤ to` (either bound optional), all changing levels
/// or one. With `from ≥ to` the interval is empty and so is the answer: a filter, like any
/// other (an error here made requests valid by the API's own schema fail).
pub fn changes_between(
    store: &dyn Store,
    level: Option<Level>,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<Vec<ChangeView>, MonitorError> {
    let levels: Vec<Level> = match level {
        Some(l) => vec![l],
        None => CHANGING_LEVELS.to_vec(),
    };
    let mut out = Vec::new();
    for l in levels {
        out.extend(effective_changes(store, l)?.into_iter().filter(|c| {
            from.is_none_or(|f| c.change.to_layout > f)
                && to.is_none_or(|t| c.change.to_layout <= t)
        }));
    }
    Ok(out)
}

/// What happened to one region over the stored layouts.
#[derive(Debug, Clone, Serialize)]
pub struct RegionHistory {
    /// The region.
    pub code: RegionCode,
    /// Its most recent name.
    pub name: Option<String>,
    /// Layouts in which the code is listed, with the name it had there.
    pub listed: Vec<(i32, Option<String>)>,
    /// Changes where it is the old or the new region.
    pub changes: Vec<ChangeView>,
}

/// The history of a region code: where it is listed and which changes involve it.
pub fn region_history(store: &dyn Store, code: &RegionCode) -> Result<RegionHistory, MonitorError> {
    let level = code.level();
    let mut listed = Vec::new();
    for s in store
        .layout_summaries()?
        .iter()
        .filter(|s| s.level == level)
    {
        if let Some(r) = store
            .region(code, s.layout)?
            .filter(|r| r.layout == s.layout)
        {
            listed.push((s.layout, r.name));
        }
    }
    let changes: Vec<ChangeView> = if CHANGING_LEVELS.contains(&level) {
        effective_changes(store, level)?
            .into_iter()
            .filter(|c| &c.change.old_code == code || &c.change.new_code == code)
            .collect()
    } else {
        Vec::new()
    };
    if listed.is_empty() && changes.is_empty() {
        return Err(MonitorError::NotFound(format!("unknown region '{code}'")));
    }
    let name = listed
        .iter()
        .rev()
        .find_map(|(_, n)| n.clone())
        .or_else(|| {
            changes.iter().find_map(|c| {
                if &c.change.new_code == code {
                    c.change.new_name.clone()
                } else {
                    c.change.old_name.clone()
                }
            })
        });
    Ok(RegionHistory {
        code: code.clone(),
        name,
        listed,
        changes,
    })
}

/// The layout to use for a level and period: the period's own layout when stored, else the
/// latest earlier one, else the earliest later one.
pub fn layout_for(
    store: &dyn Store,
    level: Level,
    period: i32,
) -> Result<Option<i32>, MonitorError> {
    let layouts = store.layouts(level)?;
    Ok(layouts
        .iter()
        .copied()
        .filter(|&l| l <= period)
        .max()
        .or_else(|| layouts.first().copied()))
}

/// The boundary layout to draw a table of `layout` on: the same year when boundaries exist for
/// it, else the latest earlier one, else the earliest later one — among boundary layouts that
/// cover at least half of the layout's regions. A boundary file of a few regions (a dissolved
/// gemeente kept to weigh its split, one city's wijken of another year) is no map of the
/// level. `None` when no boundaries qualify.
pub fn map_layout_for(
    store: &dyn Store,
    level: Level,
    layout: i32,
) -> Result<Option<i32>, MonitorError> {
    let regions: HashSet<RegionCode> = store
        .regions(level, layout)?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let mut covering = Vec::new();
    for l in store.boundary_layouts(level)? {
        let codes = store.boundary_codes(level, l)?;
        let covered = codes.iter().filter(|c| regions.contains(*c)).count();
        if regions.is_empty() || covered * 2 >= regions.len() {
            covering.push(l);
        }
    }
    Ok(covering
        .iter()
        .copied()
        .filter(|&l| l <= layout)
        .max()
        .or_else(|| covering.iter().copied().find(|&l| l > layout)))
}

/// The names of a level's regions in `layout` (none without a layout).
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
