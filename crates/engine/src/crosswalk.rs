//! Crosswalks between region layouts.
//!
//! - [`derive_changes`]: what changed between two layouts, from the data alone — codes that
//!   disappear and appear, names that change, and (where both layouts have boundaries) which
//!   old area went where, by overlaying the shapes;
//! - [`area_shares`] and [`shares_from_counts`]: the weights of a split;
//! - [`compose`]: the changes of consecutive layouts chained into one mapping from a source
//!   layout to a target layout.
//!
//! Areas are computed in RD New (metres), so shares are shares of real surface.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use geo::{Area, BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use kwm_model::{rd, ChangeKind, Level, RegionChange, RegionCode};

/// Weight basis of a re-code matched by name alone: the area is assumed unchanged, so
/// figures carried over it are marked as estimated.
pub const NAME_MATCH_BASIS: &str = "zelfde naam (aanname: zelfde gebied)";

/// Weight basis of links found by overlaying boundaries.
pub const OVERLAY_BASIS: &str = "oppervlakte (overlay van de grenzen van beide indelingen)";

/// A region of a layout as the derivation sees it.
#[derive(Debug, Clone)]
pub struct LayoutRegion {
    /// Code.
    pub code: RegionCode,
    /// Name, when known.
    pub name: Option<String>,
}

/// Thresholds of [`derive_changes`].
#[derive(Debug, Clone, Copy)]
pub struct DeriveOptions {
    /// A link from an old to a new region counts when at least this share of the old
    /// region's area lies in the new one. Below it the overlap is taken for generalisation
    /// noise (the boundary files are simplified differently from year to year).
    pub min_share: f64,
    /// A boundary correction between two continuing regions counts when at least this share
    /// of the old region moved …
    pub boundary_min_share: f64,
    /// … and at least this many m².
    pub boundary_min_area: f64,
}

impl Default for DeriveOptions {
    fn default() -> Self {
        DeriveOptions {
            // Weesp's 2022 outline overlaps Stichtse Vecht's 2023 outline by 2.8% of its area:
            // pure generalisation. Real splits move whole villages (Haaren's smallest part is 9%).
            min_share: 0.05,
            boundary_min_share: 0.05,
            boundary_min_area: 2_000_000.0,
        }
    }
}

/// What [`derive_changes`] found.
#[derive(Debug, Clone, Default)]
pub struct DerivedChanges {
    /// Links it could establish.
    pub changes: Vec<RegionChange>,
    /// Old codes that disappear without a successor the data can show.
    pub disappeared: Vec<RegionCode>,
    /// New codes that appear without a predecessor the data can show.
    pub appeared: Vec<RegionCode>,
    /// Regions compared (in both layouts' coverage).
    pub compared: usize,
}

/// Names compared on letters and digits only, so punctuation differences between sources
/// (`Bijlmer Oost (E.G.K)` / `(E,G,K)`) are not renames.
fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when two names are spellings of the same name as different sources write it:
/// equal on letters and digits once a parenthesised province marker is dropped
/// (`Hengelo` / `Hengelo (O.)`, `Bergen (L)` / `Bergen (L.)`), or one a shortening of the
/// other (`Nuenen` / `Nuenen, Gerwen en Nederwetten`).
fn same_name(a: &str, b: &str) -> bool {
    let strip = |s: &str| -> String {
        let mut out = String::new();
        let mut depth = 0;
        for ch in s.chars() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 => out.extend(ch.to_lowercase()),
                _ => {}
            }
        }
        out.trim().to_string()
    };
    let (a, b) = (strip(a), strip(b));
    if name_key(&a) == name_key(&b) {
        return true;
    }
    // A shortening ends at a word boundary of the full name: "nuenen" | ", gerwen …".
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    !short.is_empty()
        && long.starts_with(short.as_str())
        && long[short.len()..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_alphanumeric())
}

/// A shape projected to RD New, with its bounding box and area.
struct Projected {
    shape: MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
    area: f64,
}

fn project(shape: &MultiPolygon<f64>) -> Projected {
    let ring = |ls: &LineString<f64>| -> LineString<f64> {
        ls.0.iter()
            .map(|c| {
                let (x, y) = rd::wgs84_to_rd(c.x, c.y);
                Coord { x, y }
            })
            .collect()
    };
    let shape = MultiPolygon(
        shape
            .0
            .iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    );
    Projected {
        bbox: shape.bounding_rect(),
        area: shape.unsigned_area(),
        shape,
    }
}

fn boxes_meet(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.min().x <= b.max().x
                && b.min().x <= a.max().x
                && a.min().y <= b.max().y
                && b.min().y <= a.max().y
        }
        _ => false,
    }
}

/// Area (m²) of `old` lying in each candidate, for candidates whose box meets `old`'s.
fn overlaps<'a>(
    old: &Projected,
    candidates: impl Iterator<Item = (&'a RegionCode, &'a Projected)>,
) -> Vec<(RegionCode, f64)> {
    candidates
        .filter(|(_, p)| boxes_meet(old.bbox, p.bbox))
        .map(|(code, p)| {
            (
                code.clone(),
                old.shape.intersection(&p.shape).unsigned_area(),
            )
        })
        .filter(|(_, a)| *a > 0.0)
        .collect()
}

/// Shares of an old region's area that lie in each of the given new regions, normalised over
/// the listed regions (slivers into other regions, from generalisation, are ignored).
/// `None` when the old region overlaps none of them.
///
/// ```
/// use geo::{polygon, MultiPolygon};
/// let old: MultiPolygon<f64> = polygon![(x: 5.0, y: 52.0), (x: 5.2, y: 52.0), (x: 5.2, y: 52.1), (x: 5.0, y: 52.1)].into();
/// let west: MultiPolygon<f64> = polygon![(x: 4.9, y: 51.9), (x: 5.05, y: 51.9), (x: 5.05, y: 52.2), (x: 4.9, y: 52.2)].into();
/// let east: MultiPolygon<f64> = polygon![(x: 5.05, y: 51.9), (x: 5.3, y: 51.9), (x: 5.3, y: 52.2), (x: 5.05, y: 52.2)].into();
/// let shares = kwm_engine::crosswalk::area_shares(&old, &[&west, &east]).unwrap();
/// assert!((shares[0] - 0.25).abs() < 0.01 && (shares[1] - 0.75).abs() < 0.01);
/// ```
pub fn area_shares(old: &MultiPolygon<f64>, new: &[&MultiPolygon<f64>]) -> Option<Vec<f64>> {
    let old = project(old);
    let areas: Vec<f64> = new
        .iter()
        .map(|n| {
            let p = project(n);
            if boxes_meet(old.bbox, p.bbox) {
                old.shape.intersection(&p.shape).unsigned_area()
            } else {
                0.0
            }
        })
        .collect();
    let total: f64 = areas.iter().sum();
    (total > 0.0).then(|| areas.iter().map(|a| a / total).collect())
}

/// Shares proportional to counts (e.g. the population of the wijken a split-off village
/// became). `None` unless every count is known and their sum is positive: a share computed
/// from some parts only would be wrong for all of them.
///
/// ```
/// let s = kwm_engine::crosswalk::shares_from_counts(&[Some(300.0), Some(100.0)]).unwrap();
/// assert_eq!(s, vec![0.75, 0.25]);
/// assert_eq!(kwm_engine::crosswalk::shares_from_counts(&[Some(1.0), None]), None);
/// ```
pub fn shares_from_counts(counts: &[Option<f64>]) -> Option<Vec<f64>> {
    let values: Vec<f64> = counts.iter().copied().collect::<Option<_>>()?;
    let total: f64 = values.iter().sum();
    (total > 0.0 && values.iter().all(|v| *v >= 0.0))
        .then(|| values.iter().map(|v| v / total).collect())
}

/// Shares from counts of which at most one is unknown: the unknown part gets what remains of
/// `total` (the old region's own count). `None` when more than one count is unknown, or the
/// remainder is not positive (the counts do not fit the total).
///
/// ```
/// let s = kwm_engine::crosswalk::shares_with_remainder(&[Some(300.0), None], Some(1000.0)).unwrap();
/// assert_eq!(s, vec![0.3, 0.7]);
/// assert_eq!(kwm_engine::crosswalk::shares_with_remainder(&[Some(3000.0), None], Some(1000.0)), None);
/// ```
pub fn shares_with_remainder(counts: &[Option<f64>], total: Option<f64>) -> Option<Vec<f64>> {
    if let Some(shares) = shares_from_counts(counts) {
        return Some(shares);
    }
    let missing = counts.iter().filter(|c| c.is_none()).count();
    let known: f64 = counts.iter().flatten().sum();
    let rest = total? - known;
    if missing != 1 || rest <= 0.0 || counts.iter().flatten().any(|c| *c < 0.0) {
        return None;
    }
    let filled: Vec<Option<f64>> = counts.iter().map(|c| Some(c.unwrap_or(rest))).collect();
    shares_from_counts(&filled)
}

fn change(
    old: &LayoutRegion,
    new: &LayoutRegion,
    kind: ChangeKind,
    to_layout: i32,
    weight: f64,
    basis: Option<String>,
) -> RegionChange {
    RegionChange {
        to_layout,
        effective: None,
        old_code: old.code.clone(),
        old_name: old.name.clone(),
        new_code: new.code.clone(),
        new_name: new.name.clone(),
        kind,
        weight: Some(weight),
        weight_basis: basis,
        parts: Vec::new(),
    }
}

/// Derives the changes between an older and a newer layout of one level from their regions
/// and, when given, their boundaries (WGS84; missing codes are simply not overlaid).
///
/// For wijken and buurten only gemeenten present in both layouts are compared (a layout may
/// hold a few gemeenten only). Links found, in this order:
/// 1. same code, different name (letters and digits compared) → rename;
/// 2. a code that disappears and a code that appears with the same name (and, below gemeente
///    level, in the same gemeente) → re-code;
/// 3. by overlay, for each remaining disappeared code: the new regions holding at least
///    `min_share` of its area → one successor: merge (re-code when nothing else goes there),
///    several: split with area shares;
/// 4. by overlay, appeared codes carved out of continuing regions → boundary changes;
/// 5. continuing regions whose area changed by more than `boundary_min_share` → boundary
///    corrections to the neighbours that received the part.
///
/// What stays unexplained is listed as disappeared/appeared: the data cannot say, and an
/// official change table is needed.
pub fn derive_changes(
    old: &[LayoutRegion],
    new: &[LayoutRegion],
    old_shapes: &HashMap<RegionCode, MultiPolygon<f64>>,
    new_shapes: &HashMap<RegionCode, MultiPolygon<f64>>,
    to_layout: i32,
    options: &DeriveOptions,
) -> DerivedChanges {
    let sub_gemeente = |r: &LayoutRegion| matches!(r.code.level(), Level::Wijk | Level::Buurt);
    let gemeenten = |rs: &[LayoutRegion]| -> BTreeSet<Option<RegionCode>> {
        rs.iter().map(|r| r.code.gemeente()).collect()
    };
    let covered: BTreeSet<Option<RegionCode>> = gemeenten(old)
        .intersection(&gemeenten(new))
        .cloned()
        .collect();
    let in_scope = |r: &&LayoutRegion| !sub_gemeente(r) || covered.contains(&r.code.gemeente());
    let old: BTreeMap<&RegionCode, &LayoutRegion> =
        old.iter().filter(in_scope).map(|r| (&r.code, r)).collect();
    let new: BTreeMap<&RegionCode, &LayoutRegion> =
        new.iter().filter(in_scope).map(|r| (&r.code, r)).collect();

    let mut out = DerivedChanges {
        compared: old.len().max(new.len()),
        ..Default::default()
    };
    // 1. Renames.
    for (code, o) in &old {
        if let Some(n) = new.get(code) {
            if let (Some(a), Some(b)) = (&o.name, &n.name) {
                if !same_name(a, b) {
                    out.changes
                        .push(change(o, n, ChangeKind::Rename, to_layout, 1.0, None));
                }
            }
        }
    }
    let mut gone: BTreeSet<&RegionCode> = old
        .keys()
        .filter(|c| !new.contains_key(*c))
        .copied()
        .collect();
    let mut fresh: BTreeSet<&RegionCode> = new
        .keys()
        .filter(|c| !old.contains_key(*c))
        .copied()
        .collect();

    // 2. Re-codes by name, only when the name is unique on both sides.
    let by_name = |set: &BTreeSet<&RegionCode>, regions: &BTreeMap<&RegionCode, &LayoutRegion>| {
        let mut m: HashMap<(Option<RegionCode>, String), Vec<RegionCode>> = HashMap::new();
        for c in set {
            if let Some(n) = regions[c].name.as_deref() {
                m.entry((
                    c.gemeente().filter(|_| c.level() != Level::Gemeente),
                    name_key(n),
                ))
                .or_default()
                .push((*c).clone());
            }
        }
        m
    };
    let old_names = by_name(&gone, &old);
    let new_names = by_name(&fresh, &new);
    for (key, olds) in &old_names {
        if let (1, Some(news)) = (olds.len(), new_names.get(key)) {
            if news.len() == 1 && !key.1.is_empty() {
                let (o, n) = (old[&olds[0]], new[&news[0]]);
                out.changes.push(change(
                    o,
                    n,
                    ChangeKind::Recode,
                    to_layout,
                    1.0,
                    Some(NAME_MATCH_BASIS.into()),
                ));
                gone.remove(&o.code);
                fresh.remove(&n.code);
            }
        }
    }

    // 3–5. Overlay, where both sides have shapes.
    let project_all = |shapes: &HashMap<RegionCode, MultiPolygon<f64>>,
                       regions: &BTreeMap<&RegionCode, &LayoutRegion>| {
        regions
            .keys()
            .filter_map(|c| shapes.get(*c).map(|s| ((*c).clone(), project(s))))
            .collect::<BTreeMap<RegionCode, Projected>>()
    };
    let old_p = project_all(old_shapes, &old);
    let new_p = project_all(new_shapes, &new);
    if !old_p.is_empty() && !new_p.is_empty() {
        let basis = OVERLAY_BASIS.to_string();
        // Links from disappeared codes.
        let mut links: Vec<(RegionCode, Vec<(RegionCode, f64)>)> = Vec::new();
        for code in gone.iter() {
            let Some(p) = old_p.get(*code) else { continue };
            let mut found: Vec<(RegionCode, f64)> = overlaps(p, new_p.iter())
                .into_iter()
                .map(|(c, a)| (c, a / p.area))
                .filter(|(_, s)| *s >= options.min_share)
                .collect();
            let total: f64 = found.iter().map(|(_, s)| s).sum();
            if total > 0.0 {
                for f in &mut found {
                    f.1 /= total;
                }
                links.push(((*code).clone(), found));
            }
        }
        let mut receivers: HashMap<RegionCode, usize> = HashMap::new();
        for (_, found) in &links {
            for (c, _) in found {
                *receivers.entry(c.clone()).or_default() += 1;
            }
        }
        for (code, found) in &links {
            let o = old[code];
            if found.len() == 1 {
                let target = &found[0].0;
                let n = new[target];
                let whole_new = fresh.contains(target) && receivers[target] == 1;
                let kind = if whole_new {
                    ChangeKind::Recode
                } else {
                    ChangeKind::Merge
                };
                out.changes
                    .push(change(o, n, kind, to_layout, 1.0, Some(basis.clone())));
                fresh.remove(target);
            } else {
                for (target, share) in found {
                    out.changes.push(change(
                        o,
                        new[target],
                        ChangeKind::Split,
                        to_layout,
                        *share,
                        Some(basis.clone()),
                    ));
                    fresh.remove(target);
                }
            }
            gone.remove(code);
        }
        // Appeared codes carved out of continuing regions.
        for code in fresh.clone() {
            let Some(p) = new_p.get(code) else { continue };
            let donors: Vec<(RegionCode, f64)> =
                overlaps(p, old_p.iter().filter(|(c, _)| new.contains_key(c)))
                    .into_iter()
                    .filter(|(_, a)| *a >= options.min_share * p.area)
                    .collect();
            for (donor, a) in &donors {
                let share = a / old_p[donor].area;
                out.changes.push(change(
                    old[donor],
                    new[code],
                    ChangeKind::Boundary,
                    to_layout,
                    share,
                    Some(basis.clone()),
                ));
            }
            if !donors.is_empty() {
                fresh.remove(code);
            }
        }
        // Boundary corrections between continuing regions.
        for (code, p_old) in &old_p {
            let Some(p_new) = new_p.get(code) else {
                continue;
            };
            let ratio = p_new.area / p_old.area;
            if (ratio - 1.0).abs() < options.boundary_min_share {
                continue;
            }
            for (other, a) in overlaps(
                p_old,
                new_p
                    .iter()
                    .filter(|(c, _)| *c != code && old.contains_key(c)),
            ) {
                let share = a / p_old.area;
                if share >= options.boundary_min_share && a >= options.boundary_min_area {
                    out.changes.push(change(
                        old[code],
                        new[&other],
                        ChangeKind::Boundary,
                        to_layout,
                        share,
                        Some(basis.clone()),
                    ));
                }
            }
        }
    }
    out.disappeared = gone.into_iter().cloned().collect();
    out.appeared = fresh.into_iter().cloned().collect();
    out
}

/// One step of a chain: the changes that take the regions of one layout to the next.
#[derive(Debug, Clone)]
pub struct Step {
    /// The layout after the step.
    pub to_layout: i32,
    /// Links that move figures (renames are not needed here); weights must be known.
    pub links: Vec<Link>,
}

/// A weighted link of a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Region before.
    pub from: RegionCode,
    /// Region after.
    pub to: RegionCode,
    /// Share of `from` going to `to`.
    pub weight: f64,
    /// What kind of change it is.
    pub kind: ChangeKind,
    /// True when the link is an assumption (a re-code matched by name only).
    pub assumed: bool,
}

impl Link {
    /// The link of a change, when its weight is known.
    pub fn from_change(c: &RegionChange) -> Option<Link> {
        Some(Link {
            from: c.old_code.clone(),
            to: c.new_code.clone(),
            weight: c.weight?,
            kind: c.kind,
            assumed: c.weight_basis.as_deref() == Some(NAME_MATCH_BASIS),
        })
    }

    /// True when figures carried over the link are estimates: a share of a split or boundary
    /// correction, or a re-code assumed from the name.
    pub fn estimated(&self) -> bool {
        self.assumed || matches!(self.kind, ChangeKind::Split | ChangeKind::Boundary)
    }
}

/// Where a source region's figures end up in the target layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// Target region.
    pub target: RegionCode,
    /// Share of the source region.
    pub weight: f64,
    /// True when any step on the way used an estimated share.
    pub estimated: bool,
}

/// Chains steps (in layout order) into the mapping of each given source code to target
/// regions. A code no step mentions maps to itself with weight 1. A region that only gives
/// away parts (boundary corrections) keeps the rest.
///
/// ```
/// use kwm_engine::crosswalk::{compose, Link, Step};
/// use kwm_model::{ChangeKind, RegionCode};
/// let c = |s: &str| RegionCode::parse(s).unwrap();
/// let steps = vec![Step { to_layout: 2021, links: vec![
///     Link { from: c("GM0003"), to: c("GM1979"), weight: 1.0, kind: ChangeKind::Merge, assumed: false },
/// ] }];
/// let map = compose(&[c("GM0003"), c("GM0014")], &steps);
/// assert_eq!(map[&c("GM0003")][0].target, c("GM1979"));
/// assert_eq!(map[&c("GM0014")][0].target, c("GM0014"));
/// ```
pub fn compose(sources: &[RegionCode], steps: &[Step]) -> BTreeMap<RegionCode, Vec<Share>> {
    let mut ordered: Vec<&Step> = steps.iter().collect();
    ordered.sort_by_key(|s| s.to_layout);
    let indexed: Vec<HashMap<&RegionCode, Vec<&Link>>> = ordered
        .iter()
        .map(|s| {
            let mut m: HashMap<&RegionCode, Vec<&Link>> = HashMap::new();
            for l in &s.links {
                m.entry(&l.from).or_default().push(l);
            }
            m
        })
        .collect();
    sources
        .iter()
        .map(|source| {
            let mut current: BTreeMap<RegionCode, (f64, bool)> =
                BTreeMap::from([(source.clone(), (1.0, false))]);
            for step in &indexed {
                let mut next: BTreeMap<RegionCode, (f64, bool)> = BTreeMap::new();
                for (code, (w, est)) in current {
                    let mut add = |to: &RegionCode, weight: f64, e: bool| {
                        let entry = next.entry(to.clone()).or_insert((0.0, false));
                        entry.0 += weight;
                        entry.1 |= e;
                    };
                    match step.get(&code) {
                        None => add(&code, w, est),
                        Some(links) => {
                            let given: f64 = links.iter().map(|l| l.weight).sum();
                            // Only boundary corrections (links to other regions that keep
                            // existing alongside) leave a remainder with the region itself.
                            let keeps_rest = links.iter().all(|l| l.kind == ChangeKind::Boundary)
                                && given < 1.0 - 1e-9
                                && !links.iter().any(|l| l.to == code);
                            for l in links {
                                add(&l.to, w * l.weight, est || l.estimated());
                            }
                            if keeps_rest {
                                add(&code, w * (1.0 - given), true);
                            }
                        }
                    }
                }
                current = next;
            }
            (
                source.clone(),
                current
                    .into_iter()
                    .map(|(target, (weight, estimated))| Share {
                        target,
                        weight,
                        estimated,
                    })
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn c(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn region(code: &str, name: &str) -> LayoutRegion {
        LayoutRegion {
            code: c(code),
            name: Some(name.into()),
        }
    }

    fn square(x0: f64, y0: f64, w: f64, h: f64) -> MultiPolygon<f64> {
        polygon![(x: x0, y: y0), (x: x0 + w, y: y0), (x: x0 + w, y: y0 + h), (x: x0, y: y0 + h)]
            .into()
    }

    #[test]
    fn codes_names_and_overlay_give_merges_splits_renames() {
        // Old: A | B | C | D side by side; new: A and B merged into M, C split over C' and D,
        // D renamed.
        let old = vec![
            region("GM0001", "A"),
            region("GM0002", "B"),
            region("GM0003", "C"),
            region("GM0004", "Dorp"),
        ];
        let new = vec![
            region("GM0100", "M"),
            region("GM0004", "Stad"),
            region("GM0101", "C-nieuw"),
        ];
        let old_shapes = HashMap::from([
            (c("GM0001"), square(5.0, 52.0, 0.1, 0.1)),
            (c("GM0002"), square(5.1, 52.0, 0.1, 0.1)),
            (c("GM0003"), square(5.2, 52.0, 0.1, 0.1)),
            (c("GM0004"), square(5.3, 52.0, 0.1, 0.1)),
        ]);
        let new_shapes = HashMap::from([
            (c("GM0100"), square(5.0, 52.0, 0.2, 0.1)),
            (c("GM0101"), square(5.2, 52.0, 0.07, 0.1)),
            (c("GM0004"), square(5.27, 52.0, 0.13, 0.1)),
        ]);
        let d = derive_changes(
            &old,
            &new,
            &old_shapes,
            &new_shapes,
            2021,
            &DeriveOptions::default(),
        );
        let find = |o: &str, n: &str| {
            d.changes
                .iter()
                .find(|x| x.old_code.as_str() == o && x.new_code.as_str() == n)
                .unwrap_or_else(|| panic!("{o} → {n} missing: {:?}", d.changes))
        };
        assert_eq!(find("GM0001", "GM0100").kind, ChangeKind::Merge);
        assert_eq!(find("GM0002", "GM0100").kind, ChangeKind::Merge);
        assert_eq!(find("GM0004", "GM0004").kind, ChangeKind::Rename);
        let split = find("GM0003", "GM0101");
        assert_eq!(split.kind, ChangeKind::Split);
        assert!((split.weight.unwrap() - 0.7).abs() < 0.01, "{split:?}");
        assert!((find("GM0003", "GM0004").weight.unwrap() - 0.3).abs() < 0.01);
        assert!(d.disappeared.is_empty() && d.appeared.is_empty());
    }

    #[test]
    fn without_shapes_unmatched_codes_stay_unresolved_and_same_names_recode() {
        let old = vec![region("WK036300", "Centrum"), region("WK036301", "Oost")];
        let new = vec![
            region("WK0363AA", "Centrum"),
            region("WK0363AB", "Oost-Noord"),
        ];
        let d = derive_changes(
            &old,
            &new,
            &HashMap::new(),
            &HashMap::new(),
            2022,
            &DeriveOptions::default(),
        );
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].kind, ChangeKind::Recode);
        assert_eq!(d.disappeared, vec![c("WK036301")]);
        assert_eq!(d.appeared, vec![c("WK0363AB")]);
    }

    #[test]
    fn spelling_variants_between_sources_are_not_renames() {
        assert!(same_name("Hengelo", "Hengelo (O.)"));
        assert!(same_name("Bergen (L)", "Bergen (L.)"));
        assert!(same_name("Nuenen", "Nuenen, Gerwen en Nederwetten"));
        assert!(same_name("Bijlmer Oost (E.G.K)", "Bijlmer Oost (E,G,K)"));
        assert!(!same_name("Eemsdelta", "Delfzijl"));
        assert!(
            !same_name("Oost", "Oosterhout"),
            "short names need an exact match"
        );
    }

    #[test]
    fn wijken_of_gemeenten_outside_one_layout_are_not_compared() {
        let old = vec![region("WK036300", "Centrum")];
        let new = vec![
            region("WK036300", "Centrum"),
            region("WK001400", "Groningen-C"),
        ];
        let d = derive_changes(
            &old,
            &new,
            &HashMap::new(),
            &HashMap::new(),
            2023,
            &DeriveOptions::default(),
        );
        assert!(d.appeared.is_empty(), "{:?}", d.appeared);
    }

    #[test]
    fn chains_compose_merges_and_splits_with_estimated_flags() {
        let steps = vec![
            Step {
                to_layout: 2021,
                links: vec![
                    Link {
                        from: c("GM0788"),
                        to: c("GM0757"),
                        weight: 0.2,
                        kind: ChangeKind::Split,
                        assumed: false,
                    },
                    Link {
                        from: c("GM0788"),
                        to: c("GM0855"),
                        weight: 0.8,
                        kind: ChangeKind::Split,
                        assumed: false,
                    },
                ],
            },
            Step {
                to_layout: 2023,
                links: vec![Link {
                    from: c("GM0855"),
                    to: c("GM9999"),
                    weight: 1.0,
                    kind: ChangeKind::Merge,
                    assumed: false,
                }],
            },
        ];
        let map = compose(&[c("GM0788"), c("GM0757")], &steps);
        let haaren = &map[&c("GM0788")];
        assert_eq!(haaren.len(), 2);
        assert_eq!(
            (haaren[0].target.as_str(), haaren[0].weight),
            ("GM0757", 0.2)
        );
        assert_eq!(haaren[1].target.as_str(), "GM9999");
        assert!(haaren.iter().all(|s| s.estimated));
        assert_eq!(
            map[&c("GM0757")],
            vec![Share {
                target: c("GM0757"),
                weight: 1.0,
                estimated: false
            }]
        );
        let total: f64 = haaren.iter().map(|s| s.weight).sum();
        assert!((total - 1.0).abs() < 1e-12, "shares are conserved");
    }

    #[test]
    fn boundary_corrections_keep_the_rest() {
        let steps = vec![Step {
            to_layout: 2020,
            links: vec![Link {
                from: c("GM0001"),
                to: c("GM0002"),
                weight: 0.1,
                kind: ChangeKind::Boundary,
                assumed: false,
            }],
        }];
        let map = compose(&[c("GM0001")], &steps);
        let shares = &map[&c("GM0001")];
        assert_eq!(shares.len(), 2);
        assert!((shares[0].weight - 0.9).abs() < 1e-12 && shares[0].target.as_str() == "GM0001");
    }
}
