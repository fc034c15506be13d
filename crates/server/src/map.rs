//! Map shapes for the choropleth, rendered as SVG by the server.
//!
//! Why server-side SVG: the map then works without JavaScript, every region is a real link
//! (keyboard focus, Enter opens the profile, screen readers read its label), and the browser
//! receives ~10× fewer bytes than the GeoJSON it would otherwise download and project itself.
//! Boundaries are projected to RD New (the Dutch national grid, so the country has its familiar
//! shape), scaled to a 10,000-unit-wide view box, simplified (Ramer–Douglas–Peucker, tolerance
//! 0.35 px at 1,000 px width) and written as integer relative path commands.

use std::fmt::Write;

use geo::{Area, Coord, LineString, Polygon, Simplify};
use kwm_model::{rd, RegionCode};
use kwm_store::BoundaryRecord;

/// View-box width in map units.
const WIDTH: f64 = 10_000.0;
/// Simplification tolerance in map units.
const TOLERANCE: f64 = 3.5;

/// Projected, simplified region outlines.
#[derive(Debug, Clone, PartialEq)]
pub struct MapShapes {
    /// View-box width.
    pub width: i64,
    /// View-box height.
    pub height: i64,
    /// SVG path data per region, in code order.
    pub paths: Vec<(RegionCode, String)>,
}

impl MapShapes {
    /// Projects and simplifies boundaries. Empty input gives an empty map.
    pub fn build(boundaries: &[BoundaryRecord]) -> MapShapes {
        let projected: Vec<(RegionCode, Vec<Polygon<f64>>)> = boundaries
            .iter()
            .map(|b| {
                let polys = b
                    .geometry
                    .0
                    .iter()
                    .map(|p| {
                        let ring = |ls: &LineString<f64>| -> LineString<f64> {
                            ls.0.iter()
                                .map(|c| {
                                    let (x, y) = rd::wgs84_to_rd(c.x, c.y);
                                    Coord { x, y }
                                })
                                .collect()
                        };
                        Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
                    })
                    .collect();
                (b.code.clone(), polys)
            })
            .collect();
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (_, polys) in &projected {
            for p in polys {
                for c in &p.exterior().0 {
                    min_x = min_x.min(c.x);
                    max_x = max_x.max(c.x);
                    min_y = min_y.min(c.y);
                    max_y = max_y.max(c.y);
                }
            }
        }
        if projected.is_empty() || max_x <= min_x {
            return MapShapes {
                width: WIDTH as i64,
                height: WIDTH as i64,
                paths: Vec::new(),
            };
        }
        let scale = WIDTH / (max_x - min_x);
        let height = ((max_y - min_y) * scale).ceil() as i64;
        let to_view = |ls: &LineString<f64>| -> LineString<f64> {
            ls.0.iter()
                .map(|c| Coord {
                    x: (c.x - min_x) * scale,
                    y: (max_y - c.y) * scale,
                })
                .collect()
        };
        let mut paths = Vec::with_capacity(projected.len());
        for (code, polys) in projected {
            let mut d = String::new();
            let mut largest: Option<(f64, LineString<f64>)> = None;
            for p in &polys {
                let exterior = to_view(p.exterior());
                let area = Polygon::new(exterior.clone(), vec![]).unsigned_area();
                if largest.as_ref().is_none_or(|(a, _)| area > *a) {
                    largest = Some((area, exterior.clone()));
                }
                if write_ring(&mut d, &exterior.simplify(TOLERANCE)) {
                    for hole in p.interiors() {
                        write_ring(&mut d, &to_view(hole).simplify(TOLERANCE));
                    }
                }
            }
            if d.is_empty() {
                // A region too small to survive simplification is still drawn, unsimplified.
                if let Some((_, ring)) = largest {
                    write_ring(&mut d, &ring);
                }
            }
            paths.push((code, d));
        }
        MapShapes {
            width: WIDTH as i64,
            height,
            paths,
        }
    }

    /// The SVG `viewBox` attribute.
    pub fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }
}

/// Appends one closed ring as `M x y l dx dy … z` in integer units; returns false (and writes
/// nothing) when the ring collapses to fewer than three distinct points.
fn write_ring(d: &mut String, ring: &LineString<f64>) -> bool {
    let mut points: Vec<(i64, i64)> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        let p = (c.x.round() as i64, c.y.round() as i64);
        if points.last() != Some(&p) {
            points.push(p);
        }
    }
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    if points.len() < 3 {
        return false;
    }
    let (x0, y0) = points[0];
    let _ = write!(d, "M{x0} {y0}l");
    let mut prev = (x0, y0);
    let mut first = true;
    for &(x, y) in &points[1..] {
        let (dx, dy) = (x - prev.0, y - prev.1);
        for v in [dx, dy] {
            if !first && v >= 0 {
                d.push(' ');
            }
            let _ = write!(d, "{v}");
            first = false;
        }
        prev = (x, y);
    }
    d.push('z');
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    #[test]
    fn rings_are_written_as_compact_relative_paths() {
        let mut d = String::new();
        let ring: LineString<f64> = vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 0.0)].into();
        assert!(write_ring(&mut d, &ring));
        assert_eq!(d, "M0 0l10 0 0 10z");
        let mut e = String::new();
        assert!(!write_ring(
            &mut e,
            &vec![(0.0, 0.0), (0.2, 0.1), (0.0, 0.0)].into()
        ));
    }

    #[test]
    fn the_map_keeps_every_region_and_fills_the_view_box() {
        let a: MultiPolygon<f64> =
            polygon![(x: 4.0, y: 52.0), (x: 5.0, y: 52.0), (x: 5.0, y: 53.0), (x: 4.0, y: 53.0)]
                .into();
        let tiny: MultiPolygon<f64> =
            polygon![(x: 4.5, y: 52.5), (x: 4.50001, y: 52.5), (x: 4.50001, y: 52.50001)].into();
        let shapes = MapShapes::build(&[
            BoundaryRecord {
                code: RegionCode::parse("GM0001").unwrap(),
                layout: 2024,
                geometry: a,
            },
            BoundaryRecord {
                code: RegionCode::parse("GM0002").unwrap(),
                layout: 2024,
                geometry: tiny,
            },
        ]);
        assert_eq!(shapes.paths.len(), 2);
        assert!(
            shapes.height > 10_000,
            "1° of latitude is longer than 1° of longitude here"
        );
        assert!(shapes.paths[0].1.starts_with('M'));
    }
}
