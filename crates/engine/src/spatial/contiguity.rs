//! Contiguity weights from polygons: queen (touching anywhere) and rook (sharing an edge).
//!
//! Two modes, chosen by the snapping tolerance:
//!
//! * **Exact** (`tolerance == 0`): libpysal's rule. Queen neighbours share at least one vertex
//!   with bit-identical coordinates; rook neighbours share at least one edge whose two end
//!   vertices are bit-identical (in either direction). This reproduces
//!   `libpysal.weights.Queen/Rook.from_dataframe` exactly and is what the esda comparison
//!   tests use.
//! * **Snapped** (`tolerance > 0`, in the units of the coordinates — metres for RD New): for
//!   generalised boundaries whose shared borders are not vertex-identical. The CBS/PDOK
//!   generalised gemeente layer has T-junctions: a vertex of one gemeente lies *on* a segment
//!   of its neighbour, which has no vertex there. Exact matching misses such pairs. Snapped queen
//!   neighbours have boundaries that come within `tolerance` of each other anywhere (segment to
//!   segment distance). Snapped rook neighbours share a stretch of border: some boundary segment
//!   of one polygon has both end points *and* its midpoint within `tolerance` of the other's
//!   boundary. A point-touch at a corner therefore stays queen-only, as it should.
//!
//! Both modes use a spatial index (a hash of exact vertices, or an R-tree of segments), so
//! tens of thousands of polygons take well under a second.

use geo::MultiPolygon;
use rstar::primitives::{GeomWithData, Line};
use rstar::{RTree, AABB};

use super::weights::Neighbours;

/// Which contiguity rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contiguity {
    /// Neighbours touch in at least one point.
    Queen,
    /// Neighbours share at least one edge (a stretch of border, not just a corner).
    Rook,
}

impl Contiguity {
    /// `queen` or `rook`.
    pub fn as_str(self) -> &'static str {
        match self {
            Contiguity::Queen => "queen",
            Contiguity::Rook => "rook",
        }
    }
}

/// Contiguity neighbours of `polygons` (planar coordinates; every ring, holes included).
/// `tolerance` is the snapping distance in coordinate units; `0` means libpysal's exact rule.
///
/// ```
/// use geo::{polygon, MultiPolygon};
/// use kwm_engine::spatial::{contiguity, Contiguity};
/// let a: MultiPolygon<f64> = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)].into();
/// let b: MultiPolygon<f64> = polygon![(x: 1., y: 0.), (x: 2., y: 0.), (x: 2., y: 1.), (x: 1., y: 1.)].into();
/// let c: MultiPolygon<f64> = polygon![(x: 2., y: 1.), (x: 3., y: 1.), (x: 3., y: 2.), (x: 2., y: 2.)].into();
/// let queen = contiguity(&[a.clone(), b.clone(), c.clone()], Contiguity::Queen, 0.0);
/// assert_eq!(queen.of(1), &[0, 2]);
/// let rook = contiguity(&[a, b, c], Contiguity::Rook, 0.0);
/// assert_eq!(rook.of(1), &[0]); // b and c only share the corner (2, 1)
/// ```
pub fn contiguity(polygons: &[MultiPolygon<f64>], rule: Contiguity, tolerance: f64) -> Neighbours {
    assert!(
        tolerance >= 0.0 && tolerance.is_finite(),
        "tolerance must be finite and >= 0, got {tolerance}"
    );
    if tolerance == 0.0 {
        exact(polygons, rule)
    } else {
        snapped(polygons, rule, tolerance)
    }
}

/// Every ring of every polygon, as coordinate slices, with the polygon index.
fn rings(polygons: &[MultiPolygon<f64>]) -> impl Iterator<Item = (u32, &[geo::Coord<f64>])> {
    polygons.iter().enumerate().flat_map(|(p, mp)| {
        mp.0.iter()
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .map(move |ring| (p as u32, ring.0.as_slice()))
    })
}

/// A coordinate as a hashable key; `+ 0.0` folds −0.0 into 0.0, as Python's tuple
/// comparison (which libpysal relies on) treats them as equal.
fn key(c: geo::Coord<f64>) -> (u64, u64) {
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

fn exact(polygons: &[MultiPolygon<f64>], rule: Contiguity) -> Neighbours {
    // Collect (feature key, polygon) and sort: equal keys end up adjacent, and every run of
    // equal keys with more than one polygon links all of them. Sorting a flat vector is
    // faster and leaner than a hash map of sets for millions of vertices.
    let mut entries: Vec<([u64; 4], u32)> = Vec::new();
    for (p, ring) in rings(polygons) {
        match rule {
            Contiguity::Queen => {
                entries.extend(ring.iter().map(|&c| {
                    let (x, y) = key(c);
                    ([x, y, 0, 0], p)
                }));
            }
            Contiguity::Rook => {
                entries.extend(ring.windows(2).map(|w| {
                    let (a, b) = (key(w[0]), key(w[1]));
                    // libpysal sorts the two end points as (x, y) tuples of floats.
                    let (lo, hi) = if (w[0].x, w[0].y) <= (w[1].x, w[1].y) {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    ([lo.0, lo.1, hi.0, hi.1], p)
                }));
            }
        }
    }
    entries.sort_unstable();
    entries.dedup();
    let mut pairs = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let mut end = start + 1;
        while end < entries.len() && entries[end].0 == entries[start].0 {
            end += 1;
        }
        for a in start..end {
            for b in a + 1..end {
                pairs.push((entries[a].1, entries[b].1));
            }
        }
        start = end;
    }
    Neighbours::from_pairs(polygons.len(), pairs)
}

type Segment = GeomWithData<Line<[f64; 2]>, u32>;

fn point_segment_distance2(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    cx * cx + cy * cy
}

fn orientation(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn segments_cross(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let (o1, o2) = (orientation(a, b, c), orientation(a, b, d));
    let (o3, o4) = (orientation(c, d, a), orientation(c, d, b));
    (o1 > 0.0) != (o2 > 0.0)
        && (o3 > 0.0) != (o4 > 0.0)
        && o1 != 0.0
        && o2 != 0.0
        && o3 != 0.0
        && o4 != 0.0
}

fn segment_distance2(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> f64 {
    if segments_cross(a, b, c, d) {
        return 0.0;
    }
    point_segment_distance2(a, c, d)
        .min(point_segment_distance2(b, c, d))
        .min(point_segment_distance2(c, a, b))
        .min(point_segment_distance2(d, a, b))
}

fn segment_index(polygons: &[MultiPolygon<f64>]) -> RTree<Segment> {
    let segments: Vec<Segment> = rings(polygons)
        .flat_map(|(p, ring)| {
            ring.windows(2)
                .filter(|w| w[0] != w[1])
                .map(move |w| GeomWithData::new(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]), p))
        })
        .collect();
    RTree::bulk_load(segments)
}

fn around(p: [f64; 2], q: [f64; 2], tolerance: f64) -> AABB<[f64; 2]> {
    AABB::from_corners(
        [p[0].min(q[0]) - tolerance, p[1].min(q[1]) - tolerance],
        [p[0].max(q[0]) + tolerance, p[1].max(q[1]) + tolerance],
    )
}

fn snapped(polygons: &[MultiPolygon<f64>], rule: Contiguity, tolerance: f64) -> Neighbours {
    let tree = segment_index(polygons);
    let tol2 = tolerance * tolerance;
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    // Polygons near a point: reused buffers, so the scan allocates nothing per vertex.
    let mut near_a: Vec<u32> = Vec::new();
    let mut near_b: Vec<u32> = Vec::new();
    let near_point = |p: [f64; 2], own: u32, out: &mut Vec<u32>| {
        out.clear();
        for s in tree.locate_in_envelope_intersecting(&around(p, p, tolerance)) {
            if s.data != own
                && !out.contains(&s.data)
                && point_segment_distance2(p, s.geom().from, s.geom().to) <= tol2
            {
                out.push(s.data);
            }
        }
    };
    for (p, ring) in rings(polygons) {
        for w in ring.windows(2) {
            let (a, b) = ([w[0].x, w[0].y], [w[1].x, w[1].y]);
            match rule {
                Contiguity::Queen => {
                    for s in tree.locate_in_envelope_intersecting(&around(a, b, tolerance)) {
                        // Each unordered pair of segments is seen from both sides; keep one.
                        if s.data > p && segment_distance2(a, b, s.geom().from, s.geom().to) <= tol2
                        {
                            pairs.push((p, s.data));
                        }
                    }
                }
                Contiguity::Rook => {
                    near_point(a, p, &mut near_a);
                    if near_a.is_empty() {
                        continue;
                    }
                    near_point(b, p, &mut near_b);
                    let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
                    for &q in near_a.iter().filter(|q| near_b.contains(q)) {
                        let mid_near = tree
                            .locate_in_envelope_intersecting(&around(mid, mid, tolerance))
                            .any(|s| {
                                s.data == q
                                    && point_segment_distance2(mid, s.geom().from, s.geom().to)
                                        <= tol2
                            });
                        if mid_near {
                            pairs.push((p, q));
                        }
                    }
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    Neighbours::from_pairs(polygons.len(), pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x0: f64, y0: f64, size: f64) -> MultiPolygon<f64> {
        polygon![(x: x0, y: y0), (x: x0 + size, y: y0), (x: x0 + size, y: y0 + size), (x: x0, y: y0 + size)].into()
    }

    #[test]
    fn exact_grid_gives_queen_eight_and_rook_four_neighbours_in_the_middle() {
        let cells: Vec<_> = (0..9)
            .map(|i| square((i % 3) as f64, (i / 3) as f64, 1.0))
            .collect();
        assert_eq!(contiguity(&cells, Contiguity::Queen, 0.0).of(4).len(), 8);
        assert_eq!(
            contiguity(&cells, Contiguity::Rook, 0.0).of(4),
            &[1, 3, 5, 7]
        );
        assert_eq!(contiguity(&cells, Contiguity::Rook, 0.0).of(0), &[1, 3]);
    }

    #[test]
    fn t_junctions_need_snapping() {
        // Left: one tall cell with vertices only at its corners. Right: two cells stacked; their
        // shared corner (1, 1) lies on the left cell's edge, where it has no vertex.
        let left: MultiPolygon<f64> =
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 2.), (x: 0., y: 2.)].into();
        let cells = vec![left, square(1.0, 0.0, 1.0), square(1.0, 1.0, 1.0)];
        let exact = contiguity(&cells, Contiguity::Rook, 0.0);
        assert_eq!(
            exact.of(0),
            &[] as &[u32],
            "no shared vertex pair, so exact rook finds nothing"
        );
        let snapped = contiguity(&cells, Contiguity::Rook, 1e-6);
        assert_eq!(snapped.of(0), &[1, 2]);
        assert_eq!(snapped.of(1), &[0, 2]);
    }

    #[test]
    fn small_gaps_are_bridged_only_within_tolerance() {
        let cells = vec![square(0.0, 0.0, 1.0), square(1.0005, 0.0, 1.0)];
        assert_eq!(
            contiguity(&cells, Contiguity::Queen, 0.0).islands(),
            vec![0, 1]
        );
        assert_eq!(
            contiguity(&cells, Contiguity::Queen, 0.0001).islands(),
            vec![0, 1]
        );
        assert_eq!(contiguity(&cells, Contiguity::Queen, 0.001).of(0), &[1]);
        assert_eq!(contiguity(&cells, Contiguity::Rook, 0.001).of(0), &[1]);
    }

    #[test]
    fn snapped_corner_touch_is_queen_but_not_rook() {
        let cells = vec![square(0.0, 0.0, 1.0), square(1.0, 1.0, 1.0)];
        assert_eq!(contiguity(&cells, Contiguity::Queen, 1e-6).of(0), &[1]);
        assert_eq!(
            contiguity(&cells, Contiguity::Rook, 1e-6).of(0),
            &[] as &[u32]
        );
    }

    #[test]
    fn holes_count_as_boundary() {
        // An enclave inside a hole of its surrounding polygon (like Baarle-Nassau's exclaves).
        let outer = geo::Polygon::new(
            square(0.0, 0.0, 3.0).0[0].exterior().clone(),
            vec![square(1.0, 1.0, 1.0).0[0].exterior().clone()],
        );
        let cells = vec![MultiPolygon(vec![outer]), square(1.0, 1.0, 1.0)];
        assert_eq!(contiguity(&cells, Contiguity::Rook, 0.0).of(1), &[0]);
    }
}
