//! The SQLite side of long-term monitoring: region changes between layouts (official from
//! change tables, derived by the monitor), and figures harmonised onto a target layout.

use kwm_model::{ChangeKind, Level, RegionChange, RegionCode};
use rusqlite::params;

use crate::figures;
use crate::sqlite::{db, parse_code, parse_level, Keys, SqliteStore};
use crate::{
    ChangeOrigin, ChangeRecord, HarmonisationRecord, HarmonisedRecord, LayoutDerivation,
    LayoutSummary, Result, StoreError,
};

/// Migration 3 (after the risk model's 2): region changes, layout comparisons, harmonised figures.
pub(crate) const MIGRATION_TIME: &str = r#"
CREATE TABLE region_changes (
    id           INTEGER PRIMARY KEY,
    origin       TEXT NOT NULL,
    level        TEXT NOT NULL,
    from_layout  INTEGER NOT NULL,
    to_layout    INTEGER NOT NULL,
    effective    TEXT,
    old_code     TEXT NOT NULL,
    old_name     TEXT,
    new_code     TEXT NOT NULL,
    new_name     TEXT,
    kind         TEXT NOT NULL,
    weight       REAL,
    weight_basis TEXT,
    parts        TEXT NOT NULL,
    load_id      INTEGER REFERENCES loads(id)
);
CREATE UNIQUE INDEX region_changes_key ON region_changes (origin, level, to_layout, old_code, new_code, kind);
CREATE INDEX region_changes_by_code ON region_changes (old_code, new_code);
CREATE TABLE layout_derivations (
    level       TEXT NOT NULL,
    from_layout INTEGER NOT NULL,
    to_layout   INTEGER NOT NULL,
    signature   TEXT NOT NULL,
    compared    INTEGER NOT NULL,
    disappeared TEXT NOT NULL,
    appeared    TEXT NOT NULL,
    PRIMARY KEY (level, from_layout, to_layout)
);
CREATE TABLE harmonisations (
    target_layout INTEGER PRIMARY KEY,
    signature     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    rows          INTEGER NOT NULL,
    notes         TEXT NOT NULL
);
CREATE TABLE harmonised (
    target_layout INTEGER NOT NULL,
    indicator     TEXT NOT NULL,
    region        TEXT NOT NULL,
    level         TEXT NOT NULL,
    period        INTEGER NOT NULL,
    source_layout INTEGER NOT NULL,
    value         REAL NOT NULL,
    lower         REAL,
    upper         REAL,
    n             REAL,
    method        TEXT NOT NULL,
    weighted_by   TEXT,
    sources       TEXT NOT NULL,
    PRIMARY KEY (target_layout, indicator, region, period)
);
CREATE INDEX harmonised_by_level ON harmonised (target_layout, indicator, level);
CREATE INDEX harmonised_by_region ON harmonised (target_layout, region);
"#;

fn codes_text(codes: &[RegionCode]) -> String {
    codes
        .iter()
        .map(RegionCode::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn codes_from_text(text: &str) -> Result<Vec<RegionCode>> {
    text.split_whitespace()
        .map(|c| parse_code(c.to_string()))
        .collect()
}

fn insert_change(
    tx: &rusqlite::Connection,
    origin: ChangeOrigin,
    from_layout: i32,
    c: &RegionChange,
    load_id: Option<i64>,
    context: &str,
) -> Result<()> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO region_changes (origin, level, from_layout, to_layout, effective, old_code, old_name, new_code, new_name, kind, weight, weight_basis, parts, load_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (origin, level, to_layout, old_code, new_code, kind) DO UPDATE SET
               from_layout = excluded.from_layout, effective = excluded.effective, old_name = excluded.old_name,
               new_name = excluded.new_name, weight = excluded.weight, weight_basis = excluded.weight_basis,
               parts = excluded.parts, load_id = excluded.load_id",
        )
        .map_err(db(context))?;
    stmt.execute(params![
        origin.as_str(),
        c.level().as_str(),
        from_layout,
        c.to_layout,
        c.effective,
        c.old_code.as_str(),
        c.old_name,
        c.new_code.as_str(),
        c.new_name,
        c.kind.as_str(),
        c.weight,
        c.weight_basis,
        codes_text(&c.parts),
        load_id,
    ])
    .map_err(db(context))?;
    Ok(())
}

/// Stores the changes of a change table as part of its load. A later table's row for the same
/// link replaces the earlier one.
pub(crate) fn insert_official_changes(
    tx: &rusqlite::Connection,
    load_id: i64,
    changes: &[RegionChange],
    context: &str,
) -> Result<()> {
    for c in changes {
        insert_change(
            tx,
            ChangeOrigin::Official,
            c.to_layout - 1,
            c,
            Some(load_id),
            context,
        )?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl SqliteStore {
    pub(crate) fn time_boundary_codes(&self, level: Level, layout: i32) -> Result<Vec<RegionCode>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT code FROM boundaries WHERE level = ?1 AND layout = ?2 ORDER BY code",
            )
            .map_err(db("preparing boundary codes query"))?;
        let codes = stmt
            .query_map(params![level.as_str(), layout], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(db("reading boundary codes"))?;
        codes.into_iter().map(parse_code).collect()
    }

    pub(crate) fn time_region_changes(&self, level: Option<Level>) -> Result<Vec<ChangeRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT origin, level, from_layout, to_layout, effective, old_code, old_name, new_code, new_name, kind, weight, weight_basis, parts, load_id
                 FROM region_changes WHERE (?1 IS NULL OR level = ?1)
                 ORDER BY to_layout, level, origin DESC, old_code, new_code, kind",
            )
            .map_err(db("preparing region changes query"))?;
        type Row = (
            String,
            String,
            i32,
            i32,
            Option<String>,
            String,
            Option<String>,
            String,
            Option<String>,
            String,
            Option<f64>,
            Option<String>,
            String,
            Option<i64>,
        );
        let rows: Vec<Row> = stmt
            .query_map([level.map(|l| l.as_str())], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(db("reading region changes"))?;
        rows.into_iter()
            .map(
                |(
                    origin,
                    level,
                    from_layout,
                    to_layout,
                    effective,
                    old,
                    old_name,
                    new,
                    new_name,
                    kind,
                    weight,
                    basis,
                    parts,
                    load_id,
                )| {
                    Ok(ChangeRecord {
                        level: parse_level(&level)?,
                        from_layout,
                        origin: match origin.as_str() {
                            "official" => ChangeOrigin::Official,
                            "derived" => ChangeOrigin::Derived,
                            other => {
                                return Err(StoreError::Corrupt(format!("change origin '{other}'")))
                            }
                        },
                        load_id,
                        change: RegionChange {
                            to_layout,
                            effective,
                            old_code: parse_code(old)?,
                            old_name,
                            new_code: parse_code(new)?,
                            new_name,
                            kind: ChangeKind::parse(&kind).ok_or_else(|| {
                                StoreError::Corrupt(format!("change kind '{kind}'"))
                            })?,
                            weight,
                            weight_basis: basis,
                            parts: codes_from_text(&parts)?,
                        },
                    })
                },
            )
            .collect()
    }

    pub(crate) fn time_layout_derivations(&self, level: Level) -> Result<Vec<LayoutDerivation>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT from_layout, to_layout, signature, compared, disappeared, appeared FROM layout_derivations
                 WHERE level = ?1 ORDER BY from_layout",
            )
            .map_err(db("preparing layout derivations query"))?;
        let rows = stmt
            .query_map([level.as_str()], |r| {
                Ok((
                    r.get::<_, i32>(0)?,
                    r.get::<_, i32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(db("reading layout derivations"))?;
        rows.into_iter()
            .map(
                |(from_layout, to_layout, signature, compared, gone, fresh)| {
                    Ok(LayoutDerivation {
                        level,
                        from_layout,
                        to_layout,
                        signature,
                        compared: compared as usize,
                        disappeared: codes_from_text(&gone)?,
                        appeared: codes_from_text(&fresh)?,
                    })
                },
            )
            .collect()
    }

    pub(crate) fn time_replace_derived_changes(
        &mut self,
        level: Level,
        derivations: &[(LayoutDerivation, Vec<RegionChange>)],
    ) -> Result<()> {
        let context = format!("storing derived changes of level {level}");
        let tx = crate::sqlite::Write::begin(&mut self.conn).map_err(db(&context))?;
        tx.execute(
            "DELETE FROM region_changes WHERE origin = 'derived' AND level = ?1",
            [level.as_str()],
        )
        .map_err(db(&context))?;
        tx.execute(
            "DELETE FROM layout_derivations WHERE level = ?1",
            [level.as_str()],
        )
        .map_err(db(&context))?;
        for (d, changes) in derivations {
            tx.execute(
                "INSERT INTO layout_derivations (level, from_layout, to_layout, signature, compared, disappeared, appeared)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    level.as_str(),
                    d.from_layout,
                    d.to_layout,
                    d.signature,
                    d.compared as i64,
                    codes_text(&d.disappeared),
                    codes_text(&d.appeared)
                ],
            )
            .map_err(db(&context))?;
            for c in changes {
                insert_change(&tx, ChangeOrigin::Derived, d.from_layout, c, None, &context)?;
            }
        }
        tx.commit().map_err(db(&context))
    }

    pub(crate) fn time_layout_summaries(&self) -> Result<Vec<LayoutSummary>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT level, layout, SUM(listed), SUM(named), SUM(shaped) FROM (
                   SELECT level, layout, 1 AS listed, name IS NOT NULL AS named, 0 AS shaped FROM regions
                   UNION ALL
                   SELECT level, layout, 0, 0, 1 FROM boundaries
                 ) GROUP BY level, layout ORDER BY layout, level",
            )
            .map_err(db("preparing layout summary query"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i32>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(db("reading layout summary"))?;
        rows.into_iter()
            .map(|(level, layout, regions, named, boundaries)| {
                Ok(LayoutSummary {
                    level: parse_level(&level)?,
                    layout,
                    regions: regions as usize,
                    named: named as usize,
                    boundaries: boundaries as usize,
                })
            })
            .collect()
    }

    pub(crate) fn time_harmonisations(&self) -> Result<Vec<HarmonisationRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT target_layout, signature, created_at, rows, notes FROM harmonisations ORDER BY target_layout",
            )
            .map_err(db("preparing harmonisations query"))?;
        stmt.query_map([], |r| {
            let notes: String = r.get(4)?;
            Ok(HarmonisationRecord {
                target_layout: r.get(0)?,
                signature: r.get(1)?,
                created_at: r.get(2)?,
                rows: r.get::<_, i64>(3)? as usize,
                notes: serde_json::from_str(&notes).unwrap_or_default(),
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(db("reading harmonisations"))
    }

    pub(crate) fn time_replace_harmonised(
        &mut self,
        run: &HarmonisationRecord,
        rows: &[HarmonisedRecord],
    ) -> Result<()> {
        let context = format!(
            "storing figures harmonised onto layout {}",
            run.target_layout
        );
        let tx = crate::sqlite::Write::begin(&mut self.conn).map_err(db(&context))?;
        tx.execute(figures::HARMONISED_DELETE, [run.target_layout])
            .map_err(db(&context))?;
        tx.execute(
            "INSERT INTO harmonisations (target_layout, signature, created_at, rows, notes) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (target_layout) DO UPDATE SET signature = excluded.signature, created_at = excluded.created_at,
               rows = excluded.rows, notes = excluded.notes",
            params![run.target_layout, run.signature, run.created_at, rows.len() as i64, json(&run.notes)],
        )
        .map_err(db(&context))?;
        {
            let mut keys = Keys::default();
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO harmonised_figures (target_layout, series, period, region, source_layout, value, lower, upper, n, method, weighted_by, sources)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(db(&context))?;
            for h in rows {
                let series = keys.series(&tx, &h.indicator, h.region.level(), "", &context)?;
                let region = keys.region(&tx, &h.region, &context)?;
                stmt.execute(params![
                    h.target_layout,
                    series,
                    h.period,
                    region,
                    h.source_layout,
                    h.value,
                    h.lower,
                    h.upper,
                    h.n,
                    h.method,
                    h.weighted_by,
                    figures::sources_text(&h.region, &h.sources),
                ])
                .map_err(db(&context))?;
            }
        }
        tx.commit().map_err(db(&context))
    }

    pub(crate) fn time_harmonised(
        &self,
        target: i32,
        indicator: &str,
        level: Level,
    ) -> Result<Vec<HarmonisedRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(figures::HARMONISED_OF)
            .map_err(db("preparing harmonised query"))?;
        type Row = (
            String,
            i32,
            i32,
            f64,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            String,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = stmt
            .query_map(params![target, indicator, level.as_str()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(db("reading harmonised figures"))?;
        rows.into_iter()
            .map(
                |(
                    region,
                    period,
                    source_layout,
                    value,
                    lower,
                    upper,
                    n,
                    method,
                    weighted_by,
                    sources,
                )| {
                    let region = parse_code(region)?;
                    let sources = figures::sources_from_text(&region, sources)?;
                    Ok(HarmonisedRecord {
                        target_layout: target,
                        indicator: indicator.to_string(),
                        region,
                        period,
                        source_layout,
                        value,
                        lower,
                        upper,
                        n,
                        method,
                        weighted_by,
                        sources,
                    })
                },
            )
            .collect()
    }

    pub(crate) fn time_harmonised_indicator_ids(
        &self,
        target: i32,
        region: &RegionCode,
    ) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached(figures::HARMONISED_INDICATORS)
            .map_err(db("preparing harmonised indicators query"))?;
        stmt.query_map(params![target, region.as_str()], |r| r.get(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(db("reading harmonised indicators"))
    }
}
