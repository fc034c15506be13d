//! Region and layout reads, written once for both backends (SQLite `?N`; PostgreSQL through
//! [`crate::figures::dollar`]).
//!
//! A region profile asks "which layouts does this level have" and "which regions lie in this
//! one" on every request; both used to scan every region (and every boundary row, geometry
//! and all) of the level. Migration 8 adds `(level, layout, code)` indexes, so the layouts are a
//! loose index scan (one index probe per distinct layout) and the children of a region are one
//! range of codes: a wijk's code is `WK` + its gemeente's four digits + two, a buurt's `BU` +
//! its wijk's six digits + two (codes are compared byte-wise on both backends: SQLite's BINARY,
//! PostgreSQL's `COLLATE "C"` columns).

use kwm_model::{Level, RegionCode};

use crate::figures;
use crate::row::{parse_code, Columns, Param, Query};
use crate::{BoundaryRecord, RegionRecord, Result, StoreError};

/// Migration 8: the indexes the reads below need.
pub(crate) const INDEXES_MIGRATION: &str = "\
CREATE INDEX regions_by_level ON regions (level, layout, code);
CREATE INDEX boundaries_by_level ON boundaries (level, layout);
";

/// Code, name (else the name of the nearest layout that has one), parent, layout.
macro_rules! regions_where {
    ($where:literal) => {
        concat!(
            "SELECT code, COALESCE(name, (SELECT r2.name FROM regions r2 \
             WHERE r2.code = regions.code AND r2.name IS NOT NULL \
             ORDER BY (r2.layout > ?2), abs(r2.layout - ?2) LIMIT 1)), parent, layout \
             FROM regions WHERE ",
            $where
        )
    };
}

/// The regions of a level in a layout, by code.
pub(crate) const OF_LAYOUT: &str = regions_where!("level = ?1 AND layout = ?2 ORDER BY code");

/// The regions of a level in a layout whose code lies in `[?3, ?4)`, by code.
pub(crate) const IN_CODE_RANGE: &str =
    regions_where!("level = ?1 AND layout = ?2 AND code >= ?3 AND code < ?4 ORDER BY code");

/// Distinct layouts of a level in `regions` and `boundaries`: each branch walks the index from
/// one layout to the next larger one instead of reading every row of the level.
pub(crate) const LAYOUTS: &str = "\
WITH RECURSIVE r(layout) AS (
    SELECT min(layout) FROM regions WHERE level = ?1
    UNION ALL
    SELECT (SELECT min(x.layout) FROM regions x WHERE x.level = ?1 AND x.layout > r.layout)
    FROM r WHERE r.layout IS NOT NULL
), b(layout) AS (
    SELECT min(layout) FROM boundaries WHERE level = ?1
    UNION ALL
    SELECT (SELECT min(x.layout) FROM boundaries x WHERE x.level = ?1 AND x.layout > b.layout)
    FROM b WHERE b.layout IS NOT NULL
)
SELECT layout FROM r WHERE layout IS NOT NULL
UNION
SELECT layout FROM b WHERE layout IS NOT NULL
ORDER BY 1";

/// Distinct layouts of a level in `boundaries` (loose index scan, as [`LAYOUTS`]).
pub(crate) const BOUNDARY_LAYOUTS: &str = "\
WITH RECURSIVE b(layout) AS (
    SELECT min(layout) FROM boundaries WHERE level = ?1
    UNION ALL
    SELECT (SELECT min(x.layout) FROM boundaries x WHERE x.level = ?1 AND x.layout > b.layout)
    FROM b WHERE b.layout IS NOT NULL
)
SELECT layout FROM b WHERE layout IS NOT NULL ORDER BY 1";

/// The level and code range `[from, to)` of a region's children: wijken of a gemeente, buurten
/// of a wijk; `None` for other levels.
pub(crate) fn child_range(parent: &RegionCode) -> Option<(Level, String, String)> {
    let (level, prefix) = match parent.level() {
        Level::Gemeente => (Level::Wijk, format!("WK{}", &parent.as_str()[2..])),
        Level::Wijk => (Level::Buurt, format!("BU{}", &parent.as_str()[2..])),
        _ => return None,
    };
    // Codes are upper-case letters and digits, all below '~' byte-wise.
    let to = format!("{prefix}~");
    Some((level, prefix, to))
}

/// A region in the nearest layout that has it: the same year, else the latest earlier one,
/// else the earliest later one; a name or parent missing there is taken from the nearest
/// layout that has one. `?1` code, `?2` layout.
const NEAREST: &str = "SELECT layout,
        (SELECT name FROM regions r2 WHERE r2.code = ?1 AND r2.name IS NOT NULL
           ORDER BY (r2.layout > ?2), abs(r2.layout - ?2) LIMIT 1),
        (SELECT parent FROM regions r3 WHERE r3.code = ?1 AND r3.parent IS NOT NULL
           ORDER BY (r3.layout > ?2), abs(r3.layout - ?2) LIMIT 1)
     FROM regions WHERE code = ?1 ORDER BY (layout > ?2), abs(layout - ?2) LIMIT 1";

/// The boundaries of a level in a layout, by code.
const BOUNDARIES: &str =
    "SELECT code, geometry FROM boundaries WHERE level = ?1 AND layout = ?2 ORDER BY code";

/// A boundary as stored: GeoJSON text.
pub(crate) fn geometry_to_text(g: &geo::MultiPolygon<f64>) -> String {
    geojson::Geometry::new(geojson::Value::from(g)).to_string()
}

fn geometry_from_text(text: &str) -> Result<geo::MultiPolygon<f64>> {
    let g: geojson::Geometry = text
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("boundary geometry: {e}")))?;
    geo::MultiPolygon::<f64>::try_from(g)
        .map_err(|e| StoreError::Corrupt(format!("boundary geometry: {e}")))
}

/// Regions from [`OF_LAYOUT`] or [`IN_CODE_RANGE`] (code, name, parent, layout).
fn regions(q: &impl Query, sql: &str, params: &[&dyn Param]) -> Result<Vec<RegionRecord>> {
    q.records(sql, params, "reading regions", |r| {
        Ok(RegionRecord {
            code: parse_code(r.get(0)?)?,
            name: r.get(1)?,
            parent: r.get::<Option<String>>(2)?.map(parse_code).transpose()?,
            layout: r.get(3)?,
        })
    })
}

/// `Store::regions`.
pub(crate) fn of_layout(q: &impl Query, level: Level, layout: i32) -> Result<Vec<RegionRecord>> {
    regions(q, OF_LAYOUT, &[&level.as_str(), &layout])
}

/// `Store::child_regions`.
pub(crate) fn children(
    q: &impl Query,
    parent: &RegionCode,
    layout: i32,
) -> Result<Vec<RegionRecord>> {
    match child_range(parent) {
        Some((level, from, to)) => {
            regions(q, IN_CODE_RANGE, &[&level.as_str(), &layout, &from, &to])
        }
        None => Ok(Vec::new()),
    }
}

/// `Store::region`.
pub(crate) fn region(
    q: &impl Query,
    code: &RegionCode,
    layout: i32,
) -> Result<Option<RegionRecord>> {
    Ok(
        q.records(NEAREST, &[&code.as_str(), &layout], "reading region", |r| {
            Ok(RegionRecord {
                code: code.clone(),
                name: r.get(1)?,
                parent: r.get::<Option<String>>(2)?.map(parse_code).transpose()?,
                layout: r.get(0)?,
            })
        })?
        .pop(),
    )
}

/// `Store::layouts`.
pub(crate) fn layouts(q: &impl Query, level: Level) -> Result<Vec<i32>> {
    figures::column(q, LAYOUTS, &[&level.as_str()], "reading layouts")
}

/// `Store::boundary_layouts`.
pub(crate) fn boundary_layouts(q: &impl Query, level: Level) -> Result<Vec<i32>> {
    figures::column(
        q,
        BOUNDARY_LAYOUTS,
        &[&level.as_str()],
        "reading boundary layouts",
    )
}

/// `Store::boundaries`.
pub(crate) fn boundaries(q: &impl Query, level: Level, layout: i32) -> Result<Vec<BoundaryRecord>> {
    q.records(
        BOUNDARIES,
        &[&level.as_str(), &layout],
        "reading boundaries",
        |r| {
            Ok(BoundaryRecord {
                code: parse_code(r.get(0)?)?,
                layout,
                geometry: geometry_from_text(&r.get::<String>(1)?)?,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_of_a_gemeente_and_a_wijk_are_a_code_range() {
        let gm = RegionCode::parse("GM0599").unwrap();
        let (level, from, to) = child_range(&gm).unwrap();
        assert_eq!(
            (level, from.as_str(), to.as_str()),
            (Level::Wijk, "WK0599", "WK0599~")
        );
        let wk = RegionCode::parse("WK059910").unwrap();
        let (level, from, _) = child_range(&wk).unwrap();
        assert_eq!((level, from.as_str()), (Level::Buurt, "BU059910"));
        // Every child's code lies in the range; its parent is the region asked for.
        let bu = RegionCode::parse("BU05991001").unwrap();
        assert!(bu.as_str() >= from.as_str() && bu.as_str() < "BU059910~");
        assert_eq!(bu.parent().as_ref(), Some(&wk));
        assert!(child_range(&RegionCode::parse("BU05991001").unwrap()).is_none());
    }
}
