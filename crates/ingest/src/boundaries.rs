//! Region boundaries from GeoJSON and TopoJSON, in WGS84 or RD New (converted to WGS84).
//!
//! The region code is taken from the first property among `statcode`, `code`, `gm_code`,
//! `wk_code`, `bu_code`, `wijkcode`, `buurtcode`, `gemeentecode` (any case), else from the
//! feature's `id`. The layout year from `--layout`, else the year in `jrstatcode`
//! (`2024GM0363`), else a `jaar` property, else a year in the file name.

use std::collections::{BTreeMap, HashMap};

use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use kwm_model::catalogue::Catalogue;
use kwm_model::rd;
use kwm_model::{Direction, Indicator, IndicatorId, Observation, Period, RegionCode, ValueStatus};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::batch::{Boundary, Dataset, LoadBatch, RegionRecord};
use crate::error::{line_col, IngestError, Positions};
use crate::statline::{key_stem, label_from_stem};
use crate::ReadOptions;

const CODE_KEYS: &[&str] = &[
    "statcode",
    "code",
    "gm_code",
    "wk_code",
    "bu_code",
    "wijkcode",
    "buurtcode",
    "gemeentecode",
    "regiocode",
];
const NAME_KEYS: &[&str] = &[
    "statnaam",
    "name",
    "naam",
    "gm_naam",
    "wk_naam",
    "bu_naam",
    "wijknaam",
    "buurtnaam",
    "gemeentenaam",
    "regionaam",
];

fn prop<'a>(props: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| {
        props
            .iter()
            .find(|(pk, _)| pk.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    })
}

/// A four-digit year (1900–2100) standing alone in a name (`wijk_2017_amsterdam` → 2017).
pub(crate) fn year_in_name(name: &str) -> Option<i32> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(3)).find_map(|i| {
        let w = &b[i..i + 4];
        let digits = w.iter().all(u8::is_ascii_digit);
        let bounded = (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
        if digits && bounded {
            let y: i32 = std::str::from_utf8(w).ok()?.parse().ok()?;
            (1900..=2100).contains(&y).then_some(y)
        } else {
            None
        }
    })
}

/// A coordinate as a reader can take it in: 1e100 in scientific notation, not 101 digits.
fn number(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e9 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// Which coordinate system the file is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Crs {
    Wgs84,
    RdNew,
}

impl Crs {
    /// Whether a position lies in the system's domain: degrees on the globe, or RD New's
    /// area of validity (the Netherlands and its waters, as `rd::looks_like_rd`).
    fn contains(self, x: f64, y: f64) -> bool {
        match self {
            Crs::Wgs84 => (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y),
            Crs::RdNew => rd::looks_like_rd(x, y),
        }
    }

    fn bounds(self) -> &'static str {
        match self {
            Crs::Wgs84 => "WGS84 degrees (longitude −180…180, latitude −90…90)",
            Crs::RdNew => "RD New metres (x −7,000…300,000, y 289,000…629,000)",
        }
    }
}

struct Feature {
    line: usize,
    column: usize,
    code: RegionCode,
    name: Option<String>,
    layout: i32,
    geometry: MultiPolygon<f64>,
}

struct Collector<'a> {
    file: &'a str,
    file_stem: &'a str,
    options: &'a ReadOptions,
    catalogue: &'a Catalogue,
    crs: Option<Crs>,
    features: Vec<Feature>,
    /// With `--boundary-figures`: (property key, region, layout, value) in file order.
    figures: Vec<(String, RegionCode, i32, Option<f64>)>,
    /// Positions read so far (the file's vertex limit).
    vertices: usize,
    /// Polygons that are not valid (self-intersection, crossing rings), for a note.
    invalid: Vec<String>,
    /// Added to a coordinate error: why the coordinates may be wrong (TopoJSON without transform).
    hint: &'static str,
}

impl Collector<'_> {
    fn add(
        &mut self,
        line: usize,
        column: usize,
        props: &Map<String, Value>,
        id: Option<&Value>,
        polygons: Vec<Vec<Vec<[f64; 2]>>>,
    ) -> Result<(), IngestError> {
        let file = self.file;
        let raw_code = prop(props, CODE_KEYS)
            .map(str::to_string)
            .or_else(|| id.and_then(|v| v.as_str()).map(str::to_string))
            .ok_or_else(|| {
                IngestError::at(
                    file,
                    line,
                    column,
                    format!(
                        "expected a region code in a property ({}) or the feature id, found none",
                        CODE_KEYS[..3].join(", ")
                    ),
                )
            })?;
        let code = RegionCode::parse(&raw_code)
            .map_err(|e| IngestError::at(file, line, column, e.to_string()))?;
        let layout = self
            .options
            .layout
            .or_else(|| {
                prop(props, &["jrstatcode"]).and_then(|j| j.get(..4)).and_then(|y| y.parse().ok())
            })
            .or_else(|| {
                props.iter().find(|(k, _)| k.eq_ignore_ascii_case("jaar")).and_then(|(_, v)| {
                    v.as_i64().map(|y| y as i32).or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                })
            })
            .or_else(|| year_in_name(self.file_stem))
            .ok_or_else(|| IngestError::at(file, line, column, "expected a layout year (jrstatcode, jaar, a year in the file name or --layout YEAR), found none"))?;

        let positions: usize = polygons.iter().flatten().map(Vec::len).sum();
        self.vertices += positions;
        let limits = &self.options.limits;
        if positions > limits.max_vertices || self.vertices > limits.max_file_vertices() {
            let (n, limit, what) = if positions > limits.max_vertices {
                (positions, limits.max_vertices, "in one feature")
            } else {
                (
                    self.vertices,
                    limits.max_file_vertices(),
                    "in the file so far",
                )
            };
            return Err(IngestError::at(file, line, column, format!(
                "expected at most {limit} positions {what}, found {n} at {code} (raise the limit with --max-vertices N)")));
        }
        let first = polygons.iter().flatten().flatten().next().copied();
        let Some([x0, y0]) = first else {
            return Err(IngestError::at(
                file,
                line,
                column,
                format!("expected a polygon with coordinates for {code}, found an empty geometry"),
            ));
        };
        let crs = match self.crs {
            Some(c) => c,
            None => {
                let c = if rd::looks_like_rd(x0, y0) {
                    Crs::RdNew
                } else if (-180.0..=180.0).contains(&x0) && (-90.0..=90.0).contains(&y0) {
                    Crs::Wgs84
                } else {
                    return Err(IngestError::at(
                        file,
                        line,
                        column,
                        format!(
                            "expected WGS84 degrees or RD New metres, found coordinate ({}, {}){}",
                            number(x0),
                            number(y0),
                            self.hint
                        ),
                    ));
                };
                self.crs = Some(c);
                c
            }
        };
        let mut out = Vec::with_capacity(polygons.len());
        for (p, rings) in polygons.into_iter().enumerate() {
            let mut ls = Vec::with_capacity(rings.len());
            for (r, ring) in rings.into_iter().enumerate() {
                let at = || {
                    let ring = if r == 0 {
                        "outer ring".to_string()
                    } else {
                        format!("hole {r}")
                    };
                    format!("{ring} of polygon {} of {code}", p + 1)
                };
                // Every position, not only the first: one vertex at 1e100 made the spatial
                // index panic later (`kwm compute`, rstar aabb.rs).
                if let Some((i, [x, y])) = ring
                    .iter()
                    .enumerate()
                    .find(|(_, &[x, y])| !crs.contains(x, y))
                {
                    return Err(IngestError::at(
                        file,
                        line,
                        column,
                        format!(
                        "expected {} for every position, found ({}, {}) at position {} of the {}{}",
                        crs.bounds(), number(*x), number(*y), i + 1, at(), self.hint),
                    ));
                }
                if ring.len() >= 2 && ring.first() != ring.last() {
                    let ([x0, y0], [xn, yn]) = (ring[0], ring[ring.len() - 1]);
                    return Err(IngestError::at(file, line, column, format!(
                        "expected a closed ring (last position equal to the first), found the {} starting at ({x0}, {y0}) and ending at ({xn}, {yn})",
                        at())));
                }
                if ring.len() < 4 {
                    return Err(IngestError::at(
                        file,
                        line,
                        column,
                        format!(
                            "expected rings of at least 4 positions for {code}, found {}",
                            ring.len()
                        ),
                    ));
                }
                let coords: Vec<Coord<f64>> = ring
                    .into_iter()
                    .map(|[x, y]| {
                        let (lon, lat) = match crs {
                            Crs::RdNew => rd::rd_to_wgs84(x, y),
                            Crs::Wgs84 => (x, y),
                        };
                        Coord { x: lon, y: lat }
                    })
                    .collect();
                if coords.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
                    return Err(IngestError::at(
                        file,
                        line,
                        column,
                        format!("expected finite coordinates for {code}"),
                    ));
                }
                ls.push(LineString::from(coords));
            }
            let exterior = ls.remove(0);
            out.push(Polygon::new(exterior, ls));
        }
        // Self-intersections and crossing rings: kept as drawn (generalised boundary files have
        // a few where simplification folded a narrow strip; refusing them would refuse the
        // published files) but listed, since maps and containment may be off there.
        for (p, polygon) in out.iter().enumerate() {
            if let Some(problem) = invalidity(polygon) {
                self.invalid
                    .push(format!("{code} (polygon {}: {problem})", p + 1));
            }
        }
        if self.options.boundary_figures {
            for (key, value) in props {
                if key_stem(key).is_none() {
                    continue;
                }
                let v = match value {
                    Value::Null => None,
                    Value::Number(n) => n.as_f64().filter(|v| v.is_finite()),
                    other => {
                        return Err(IngestError::at(file, line, column, format!(
                            "expected a number or null in property '{key}' of {code} (--boundary-figures), found {other}")));
                    }
                };
                self.figures.push((key.clone(), code.clone(), layout, v));
            }
        }
        self.features.push(Feature {
            line,
            column,
            name: prop(props, NAME_KEYS).map(str::to_string),
            code,
            layout,
            geometry: MultiPolygon(out),
        });
        Ok(())
    }

    fn finish(self, text_kind: &str) -> Result<LoadBatch, IngestError> {
        let mut seen: HashMap<(RegionCode, i32), usize> = HashMap::new();
        let mut boundaries = Vec::with_capacity(self.features.len());
        let mut regions = BTreeMap::new();
        for f in self.features {
            if let Some(first) = seen.insert((f.code.clone(), f.layout), f.line) {
                return Err(IngestError::at(self.file, f.line, f.column, format!(
                    "expected one feature per region, found a second one for {} (first on line {first})", f.code)));
            }
            regions.insert(
                (f.code.clone(), f.layout),
                RegionRecord {
                    parent: f.code.parent(),
                    code: f.code.clone(),
                    layout: f.layout,
                    name: f.name,
                },
            );
            boundaries.push(Boundary {
                code: f.code,
                layout: f.layout,
                geometry: f.geometry,
            });
        }
        if boundaries.is_empty() {
            return Err(IngestError::at(
                self.file,
                1,
                1,
                "expected at least one feature, found none",
            ));
        }
        let mut notes = Vec::new();
        if self.crs == Some(Crs::RdNew) {
            notes.push("coordinates were RD New (EPSG:28992); converted to WGS84".to_string());
        }
        if !self.invalid.is_empty() {
            const LISTED: usize = 10;
            let more = self.invalid.len().saturating_sub(LISTED);
            notes.push(format!(
                "warning: {} polygon(s) are not valid and were loaded as drawn (maps and containment may be off there): {}{}",
                self.invalid.len(),
                self.invalid[..self.invalid.len().min(LISTED)].join("; "),
                if more > 0 { format!("; and {more} more") } else { String::new() }
            ));
        }
        let (indicators, observations) = figures(
            self.file,
            self.catalogue,
            self.options,
            self.figures,
            &mut notes,
        )?;
        Ok(LoadBatch {
            dataset: Dataset {
                id: self.file_stem.to_string(),
                title: format!("Grenzen ({text_kind}, {})", self.file_stem),
                ..Default::default()
            },
            rows: boundaries.len(),
            boundaries,
            regions: regions.into_values().collect(),
            indicators,
            observations,
            notes,
            ..Default::default()
        })
    }
}

/// Up to this many positions a polygon is checked with `geo`'s full validation (rings crossing
/// each other included); its self-intersection test compares every pair of segments, which would
/// take minutes on one ring of 200,000 positions. Larger polygons get [`ring_crosses_itself`].
const FULL_VALIDATION_UP_TO: usize = 2_000;

/// Why a polygon is not valid, or `None`.
fn invalidity(polygon: &Polygon<f64>) -> Option<String> {
    let size =
        polygon.exterior().0.len() + polygon.interiors().iter().map(|r| r.0.len()).sum::<usize>();
    if size <= FULL_VALIDATION_UP_TO {
        return polygon.check_validation().err().map(|e| e.to_string());
    }
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .enumerate()
        .find(|(_, ring)| ring_crosses_itself(ring))
        .map(|(i, _)| match i {
            0 => "exterior ring has a self-intersection".to_string(),
            i => format!("interior ring at index {} has a self-intersection", i - 1),
        })
}

/// Whether two segments of a closed ring that are not neighbours touch or cross, with an R-tree
/// of segment envelopes (n log n instead of n²): the same rule as `geo`'s validation.
fn ring_crosses_itself(ring: &LineString<f64>) -> bool {
    use geo::Intersects;
    use rstar::primitives::{GeomWithData, Rectangle};
    let lines: Vec<geo::Line<f64>> = ring.lines().collect();
    let tree = rstar::RTree::bulk_load(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                GeomWithData::new(
                    Rectangle::from_corners([l.start.x, l.start.y], [l.end.x, l.end.y]),
                    i,
                )
            })
            .collect(),
    );
    lines.iter().enumerate().any(|(i, line)| {
        let envelope =
            rstar::AABB::from_corners([line.start.x, line.start.y], [line.end.x, line.end.y]);
        tree.locate_in_envelope_intersecting(&envelope)
            .any(|other| {
                let other_line = &lines[other.data];
                other.data != i
                    && line.intersects(other_line)
                    && line.start != other_line.end
                    && line.end != other_line.start
            })
    })
}

/// Figures from boundary properties (`--boundary-figures`): one indicator per StatLine key,
/// curated through the catalogue when the table (`--table`) or source `kwb` knows its stem,
/// else registered as `t<table>_…`/`x_…` with direction neutral; the period is the layout year.
fn figures(
    file: &str,
    catalogue: &Catalogue,
    options: &ReadOptions,
    raw: Vec<(String, RegionCode, i32, Option<f64>)>,
    notes: &mut Vec<String>,
) -> Result<(Vec<Indicator>, Vec<Observation>), IngestError> {
    if raw.is_empty() {
        if options.boundary_figures {
            notes.push("--boundary-figures: no numeric StatLine-keyed properties found".into());
        }
        return Ok((Vec::new(), Vec::new()));
    }
    let source = options
        .table
        .as_deref()
        .and_then(|t| catalogue.table(t))
        .map(|(s, _)| s.id.clone())
        .unwrap_or_else(|| "kwb".to_string());
    let prefix = match &options.table {
        Some(t) if catalogue.table(t).is_none() => format!("t{}", t.to_ascii_lowercase()),
        _ => source.clone(),
    };
    let mut indicators: BTreeMap<String, Indicator> = BTreeMap::new();
    let mut observations = Vec::with_capacity(raw.len());
    for (key, code, layout, value) in raw {
        let (stem, _) = key_stem(&key).expect("only keyed properties are collected");
        if !indicators.contains_key(&key) {
            let indicator = match catalogue.indicator_for_key(&source, stem) {
                Some(c) => c.indicator.clone(),
                None => Indicator {
                    id: IndicatorId::from_key_stem(&prefix, stem)
                        .map_err(|m| IngestError::at(file, 1, 1, m))?,
                    label_nl: label_from_stem(stem),
                    label_en: label_from_stem(stem),
                    unit: String::new(),
                    direction: Direction::Neutral,
                    source: file.to_string(),
                    decimals: 1,
                    description: String::new(),
                    additive: false,
                    curated: false,
                },
            };
            indicators.insert(key.clone(), indicator);
        }
        observations.push(Observation {
            indicator: indicators[&key].id.clone(),
            region: code,
            period: Period(layout),
            breakdown: String::new(),
            status: if value.is_some() {
                ValueStatus::Ok
            } else {
                ValueStatus::Suppressed
            },
            value,
            lower: None,
            upper: None,
            n: None,
        });
    }
    notes.push(format!(
        "--boundary-figures: {} figure(s) of {} propert(ies) loaded as figures of the layout year",
        observations.len(),
        indicators.len()
    ));
    Ok((indicators.into_values().collect(), observations))
}

fn json_err(file: &str, what: &str, e: serde_json::Error) -> IngestError {
    IngestError::at(file, e.line(), e.column(), format!("expected {what}: {e}"))
}

type Rings = Vec<Vec<[f64; 2]>>;

fn geometry_polygons(
    file: &str,
    line: usize,
    column: usize,
    geometry: &Value,
) -> Result<Vec<Rings>, IngestError> {
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = geometry.get("coordinates");
    let parse = |v: &Value| -> Option<Vec<Rings>> {
        match kind {
            "Polygon" => serde_json::from_value::<Rings>(v.clone())
                .ok()
                .map(|p| vec![p]),
            "MultiPolygon" => serde_json::from_value::<Vec<Rings>>(v.clone()).ok(),
            _ => None,
        }
    };
    match (kind, coords) {
        ("Polygon" | "MultiPolygon", Some(c)) => parse(c).ok_or_else(|| {
            IngestError::at(
                file,
                line,
                column,
                format!("expected {kind} coordinates as nested arrays of [x, y] numbers"),
            )
        }),
        _ => Err(IngestError::at(
            file,
            line,
            column,
            format!(
                "expected a Polygon or MultiPolygon geometry, found {}",
                if kind.is_empty() { "none" } else { kind }
            ),
        )),
    }
}

/// Reads a GeoJSON FeatureCollection.
pub(crate) fn read_geojson(
    file: &str,
    file_stem: &str,
    text: &str,
    options: &ReadOptions,
    catalogue: &Catalogue,
) -> Result<LoadBatch, IngestError> {
    #[derive(Deserialize)]
    struct Collection<'a> {
        #[serde(rename = "type")]
        kind: String,
        #[serde(borrow, default)]
        crs: Option<&'a RawValue>,
        #[serde(borrow)]
        features: Vec<&'a RawValue>,
    }
    let fc: Collection =
        serde_json::from_str(text).map_err(|e| json_err(file, "a GeoJSON FeatureCollection", e))?;
    if fc.kind != "FeatureCollection" {
        return Err(IngestError::at(
            file,
            1,
            1,
            format!(
                "expected a GeoJSON FeatureCollection, found type '{}'",
                fc.kind
            ),
        ));
    }
    let crs = fc.crs.map(|c| c.get().to_string()).and_then(|c| {
        if c.contains("28992") {
            Some(Crs::RdNew)
        } else if c.contains("CRS84") || c.contains("4326") {
            Some(Crs::Wgs84)
        } else {
            None
        }
    });
    let mut collector = Collector {
        file,
        file_stem,
        options,
        catalogue,
        crs,
        features: Vec::new(),
        figures: Vec::new(),
        vertices: 0,
        invalid: Vec::new(),
        hint: "",
    };
    let mut positions = Positions::new(text);
    for raw in fc.features {
        let (line, column) = positions.of(raw);
        let feature: Map<String, Value> = serde_json::from_str(raw.get()).map_err(|e| {
            IngestError::at(
                file,
                line,
                column,
                format!("expected a GeoJSON Feature object: {e}"),
            )
        })?;
        let props = feature
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let geometry = feature.get("geometry").cloned().unwrap_or(Value::Null);
        let polygons = geometry_polygons(file, line, column, &geometry)?;
        collector.add(line, column, &props, feature.get("id"), polygons)?;
    }
    collector.finish("GeoJSON")
}

/// Reads a TopoJSON Topology: every Polygon/MultiPolygon geometry of every object.
pub(crate) fn read_topojson(
    file: &str,
    file_stem: &str,
    text: &str,
    options: &ReadOptions,
    catalogue: &Catalogue,
) -> Result<LoadBatch, IngestError> {
    #[derive(Deserialize)]
    struct Transform {
        scale: [f64; 2],
        translate: [f64; 2],
    }
    #[derive(Deserialize)]
    struct Topology<'a> {
        #[serde(rename = "type")]
        kind: String,
        transform: Option<Transform>,
        arcs: Vec<Vec<Vec<f64>>>,
        #[serde(borrow)]
        objects: BTreeMap<String, &'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Collection<'a> {
        #[serde(borrow)]
        geometries: Vec<&'a RawValue>,
    }
    let topo: Topology =
        serde_json::from_str(text).map_err(|e| json_err(file, "a TopoJSON Topology", e))?;
    if topo.kind != "Topology" {
        return Err(IngestError::at(
            file,
            1,
            1,
            format!("expected a TopoJSON Topology, found type '{}'", topo.kind),
        ));
    }
    let arcs_at = || {
        let offset = text.find("\"arcs\"").unwrap_or(0);
        line_col(text, offset)
    };
    if let Some((a, p)) = topo
        .arcs
        .iter()
        .enumerate()
        .find_map(|(a, arc)| arc.iter().position(|p| p.len() < 2).map(|p| (a, p)))
    {
        let (line, column) = arcs_at();
        return Err(IngestError::at(file, line, column, format!(
            "expected positions of at least two numbers in every arc, found a shorter one at position {} of arc {a}", p + 1)));
    }
    // Without `transform` arcs hold absolute positions (the spec's unquantised topology); with
    // it, delta-encoded integers. A file quantised but stripped of its transform reads as
    // small integers, which the range check refuses; the hint says why.
    let hint = if topo.transform.is_none()
        && topo
            .arcs
            .iter()
            .flatten()
            .all(|p| p.iter().all(|v| v.fract() == 0.0))
    {
        " (this TopoJSON has no \"transform\", so its arcs are read as absolute positions; integer positions like these are usually quantised: the transform is missing)"
    } else {
        ""
    };
    // Decode arcs once: quantised arcs are delta-encoded integer positions.
    let arcs: Vec<Vec<[f64; 2]>> = topo
        .arcs
        .iter()
        .map(|arc| {
            let mut x = 0.0;
            let mut y = 0.0;
            arc.iter()
                .map(|p| {
                    let (px, py) = (
                        p.first().copied().unwrap_or(0.0),
                        p.get(1).copied().unwrap_or(0.0),
                    );
                    match &topo.transform {
                        Some(t) => {
                            x += px;
                            y += py;
                            [
                                x * t.scale[0] + t.translate[0],
                                y * t.scale[1] + t.translate[1],
                            ]
                        }
                        None => [px, py],
                    }
                })
                .collect()
        })
        .collect();
    let ring_from_arcs =
        |indices: &[i64], line: usize, column: usize| -> Result<Vec<[f64; 2]>, IngestError> {
            let mut ring: Vec<[f64; 2]> = Vec::new();
            for &i in indices {
                // A negative index ~i means arc i reversed.
                let (idx, reversed) = if i < 0 {
                    ((!i) as usize, true)
                } else {
                    (i as usize, false)
                };
                let arc = arcs.get(idx).ok_or_else(|| {
                    IngestError::at(
                        file,
                        line,
                        column,
                        format!("expected arc indices below {}, found {i}", arcs.len()),
                    )
                })?;
                let pts: Vec<[f64; 2]> = if reversed {
                    arc.iter().rev().copied().collect()
                } else {
                    arc.clone()
                };
                let skip = usize::from(!ring.is_empty());
                ring.extend(pts.into_iter().skip(skip));
            }
            Ok(ring)
        };
    let mut collector = Collector {
        file,
        file_stem,
        options,
        catalogue,
        crs: None,
        features: Vec::new(),
        figures: Vec::new(),
        vertices: 0,
        invalid: Vec::new(),
        hint,
    };
    let mut positions = Positions::new(text);
    for (name, object) in &topo.objects {
        let (oline, ocol) = positions.of(object);
        let coll: Collection = serde_json::from_str(object.get()).map_err(|e| {
            IngestError::at(
                file,
                oline,
                ocol,
                format!("expected object '{name}' to be a GeometryCollection: {e}"),
            )
        })?;
        for raw in coll.geometries {
            let (line, column) = positions.of(raw);
            let g: Map<String, Value> = serde_json::from_str(raw.get()).map_err(|e| {
                IngestError::at(
                    file,
                    line,
                    column,
                    format!("expected a TopoJSON geometry object: {e}"),
                )
            })?;
            let kind = g.get("type").and_then(Value::as_str).unwrap_or("");
            let arcs_value = g.get("arcs").cloned().unwrap_or(Value::Null);
            let polygons: Vec<Vec<Vec<i64>>> = match kind {
                "Polygon" => serde_json::from_value::<Vec<Vec<i64>>>(arcs_value).map(|p| vec![p]),
                "MultiPolygon" => serde_json::from_value::<Vec<Vec<Vec<i64>>>>(arcs_value),
                other => {
                    return Err(IngestError::at(
                        file,
                        line,
                        column,
                        format!(
                            "expected a Polygon or MultiPolygon geometry, found {}",
                            if other.is_empty() { "none" } else { other }
                        ),
                    ))
                }
            }
            .map_err(|e| {
                IngestError::at(
                    file,
                    line,
                    column,
                    format!("expected arc index arrays: {e}"),
                )
            })?;
            let mut rings_out = Vec::with_capacity(polygons.len());
            for polygon in polygons {
                let mut rings = Vec::with_capacity(polygon.len());
                for ring in polygon {
                    rings.push(ring_from_arcs(&ring, line, column)?);
                }
                rings_out.push(rings);
            }
            let props = g
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            collector.add(line, column, &props, g.get("id"), rings_out)?;
        }
    }
    collector.finish("TopoJSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_agree_with_a_full_scan_in_any_order() {
        let text = "{\"a\":\n  [1, {\"é\": 2}],\n\"b\": {\"c\": 3}}";
        // Borrowed raw values point into `text`, as in the readers.
        let values: HashMap<&str, &RawValue> = serde_json::from_str(text).unwrap();
        let (a, b) = (values["a"], values["b"]);
        let offset = |r: &RawValue| r.get().as_ptr() as usize - text.as_ptr() as usize;
        assert_eq!(line_col(text, offset(b)), (3, 6));
        let mut positions = Positions::new(text);
        for raw in [a, b, a, b] {
            assert_eq!(positions.of(raw), line_col(text, offset(raw)));
        }
    }

    #[test]
    fn years_are_found_in_file_names() {
        assert_eq!(year_in_name("gemeente_2022_cartomap_wgs84"), Some(2022));
        assert_eq!(year_in_name("wijk_2024_alkmaar_pdok"), Some(2024));
        assert_eq!(year_in_name("x_12345"), None);
    }

    #[test]
    fn topojson_arcs_decode_with_reversal() {
        let text = r#"{"type":"Topology","transform":{"scale":[1,1],"translate":[4,52]},
          "arcs":[[[0,0],[1,0],[0,1]],[[1,1],[-1,0],[0,-1]]],
          "objects":{"g":{"type":"GeometryCollection","geometries":[
            {"type":"Polygon","arcs":[[0,1]],"properties":{"statcode":"GM0001","statnaam":"A"}},
            {"type":"Polygon","arcs":[[-2,-1]],"properties":{"statcode":"GM0002"}}]}}}"#;
        let opts = ReadOptions {
            layout: Some(2024),
            ..Default::default()
        };
        let b = read_topojson("t.topojson", "t", text, &opts, &Catalogue::default()).unwrap();
        assert_eq!(b.boundaries.len(), 2);
        let ring: Vec<(f64, f64)> = b.boundaries[0].geometry.0[0]
            .exterior()
            .0
            .iter()
            .map(|c| (c.x, c.y))
            .collect();
        assert_eq!(
            ring,
            vec![
                (4.0, 52.0),
                (5.0, 52.0),
                (5.0, 53.0),
                (4.0, 53.0),
                (4.0, 52.0)
            ]
        );
        let rev: Vec<(f64, f64)> = b.boundaries[1].geometry.0[0]
            .exterior()
            .0
            .iter()
            .map(|c| (c.x, c.y))
            .collect();
        assert_eq!(
            rev,
            vec![
                (4.0, 52.0),
                (4.0, 53.0),
                (5.0, 53.0),
                (5.0, 52.0),
                (4.0, 52.0)
            ]
        );
        assert_eq!(b.regions[0].name.as_deref(), Some("A"));
    }

    #[test]
    fn rd_coordinates_are_converted_and_said_so() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"statcode":"GM0363"},
          "geometry":{"type":"Polygon","coordinates":[[[121000,487000],[122000,487000],[122000,488000],[121000,487000]]]}}]}"#;
        let opts = ReadOptions {
            layout: Some(2024),
            ..Default::default()
        };
        let b = read_geojson("a.geojson", "a", text, &opts, &Catalogue::default()).unwrap();
        let c = b.boundaries[0].geometry.0[0].exterior().0[0];
        assert!(
            (c.x - 4.888).abs() < 0.01 && (c.y - 52.37).abs() < 0.01,
            "{c:?}"
        );
        assert!(b.notes[0].contains("RD New"));
    }

    #[test]
    fn a_point_geometry_is_rejected_at_its_feature() {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n  {\"type\":\"Feature\",\"properties\":{\"statcode\":\"GM0363\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[4,52]}}]}";
        let opts = ReadOptions {
            layout: Some(2024),
            ..Default::default()
        };
        let err = read_geojson("a.geojson", "a", text, &opts, &Catalogue::default()).unwrap_err();
        assert_eq!((err.line, err.column), (2, 3));
        assert!(err.message.contains("found Point"), "{err}");
    }
}
