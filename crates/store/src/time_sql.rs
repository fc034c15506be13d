//! Long-term monitoring's SQL, written once for both backends (`?N` placeholders, turned into
//! `$N` for PostgreSQL by `figures::dollar`): region changes between layouts (official from
//! change tables, derived by the monitor), layout comparisons, and harmonisation runs; and the
//! records their rows make. The harmonised figures themselves are in `figures.rs`; each
//! backend keeps only its bulk insert of them.

use kwm_model::{ChangeKind, Level, RegionChange, RegionCode};

use crate::figures;
use crate::row::{parse_code, parse_level, Columns, Execute, Query, Writes};
use crate::{
    ChangeOrigin, ChangeRecord, HarmonisationRecord, HarmonisedRecord, LayoutDerivation,
    LayoutSummary, Result, StoreError,
};

/// Migration 3 on SQLite (after the risk model's 2): region changes, layout comparisons,
/// harmonised figures.
pub(crate) const MIGRATION_SQLITE: &str = r#"
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

/// Migration 3 on PostgreSQL: as on SQLite, with PostgreSQL types and bytewise text order.
#[cfg(feature = "postgres")]
pub(crate) const MIGRATION_PG: &str = r#"
CREATE TABLE region_changes (
    id           BIGSERIAL PRIMARY KEY,
    origin       TEXT COLLATE "C" NOT NULL,
    level        TEXT COLLATE "C" NOT NULL,
    from_layout  INTEGER NOT NULL,
    to_layout    INTEGER NOT NULL,
    effective    TEXT COLLATE "C",
    old_code     TEXT COLLATE "C" NOT NULL,
    old_name     TEXT COLLATE "C",
    new_code     TEXT COLLATE "C" NOT NULL,
    new_name     TEXT COLLATE "C",
    kind         TEXT COLLATE "C" NOT NULL,
    weight       DOUBLE PRECISION,
    weight_basis TEXT COLLATE "C",
    parts        TEXT COLLATE "C" NOT NULL,
    load_id      BIGINT REFERENCES loads(id)
);
CREATE UNIQUE INDEX region_changes_key ON region_changes (origin, level, to_layout, old_code, new_code, kind);
CREATE INDEX region_changes_by_code ON region_changes (old_code, new_code);
CREATE TABLE layout_derivations (
    level       TEXT COLLATE "C" NOT NULL,
    from_layout INTEGER NOT NULL,
    to_layout   INTEGER NOT NULL,
    signature   TEXT COLLATE "C" NOT NULL,
    compared    BIGINT NOT NULL,
    disappeared TEXT COLLATE "C" NOT NULL,
    appeared    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (level, from_layout, to_layout)
);
CREATE TABLE harmonisations (
    target_layout INTEGER PRIMARY KEY,
    signature     TEXT COLLATE "C" NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL,
    rows          BIGINT NOT NULL,
    notes         TEXT COLLATE "C" NOT NULL
);
CREATE TABLE harmonised (
    target_layout INTEGER NOT NULL,
    indicator     TEXT COLLATE "C" NOT NULL,
    region        TEXT COLLATE "C" NOT NULL,
    level         TEXT COLLATE "C" NOT NULL,
    period        INTEGER NOT NULL,
    source_layout INTEGER NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    lower         DOUBLE PRECISION,
    upper         DOUBLE PRECISION,
    n             DOUBLE PRECISION,
    method        TEXT COLLATE "C" NOT NULL,
    weighted_by   TEXT COLLATE "C",
    sources       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (target_layout, indicator, region, period)
);
CREATE INDEX harmonised_by_level ON harmonised (target_layout, indicator, level);
CREATE INDEX harmonised_by_region ON harmonised (target_layout, region);
"#;

/// Stores one region change; a later row for the same link replaces the earlier one.
pub(crate) const INSERT_CHANGE: &str = "INSERT INTO region_changes (origin, level, from_layout, to_layout, effective, old_code, old_name, new_code, new_name, kind, weight, weight_basis, parts, load_id)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
     ON CONFLICT (origin, level, to_layout, old_code, new_code, kind) DO UPDATE SET
       from_layout = excluded.from_layout, effective = excluded.effective, old_name = excluded.old_name,
       new_name = excluded.new_name, weight = excluded.weight, weight_basis = excluded.weight_basis,
       parts = excluded.parts, load_id = excluded.load_id";

/// The region changes, of level `?1` or (NULL) of all levels, as [`change_record`] reads them.
/// The cast lets PostgreSQL type a parameter that may be NULL.
pub(crate) const CHANGES: &str = "SELECT origin, level, from_layout, to_layout, effective, old_code, old_name, new_code, new_name, kind, weight, weight_basis, parts, load_id
     FROM region_changes WHERE (CAST(?1 AS TEXT) IS NULL OR level = ?1)
     ORDER BY to_layout, level, origin DESC, old_code, new_code, kind";

/// The codes of the boundaries of level `?1` in layout `?2`.
pub(crate) const BOUNDARY_CODES: &str =
    "SELECT code FROM boundaries WHERE level = ?1 AND layout = ?2 ORDER BY code";

/// The layout derivations of level `?1`, as [`layout_derivation`] reads them.
pub(crate) const DERIVATIONS: &str = "SELECT from_layout, to_layout, signature, compared, disappeared, appeared FROM layout_derivations
     WHERE level = ?1 ORDER BY from_layout";

/// Forgets the derived changes of level `?1`, before they are stored again.
pub(crate) const DELETE_DERIVED_CHANGES: &str =
    "DELETE FROM region_changes WHERE origin = 'derived' AND level = ?1";

/// Forgets the layout derivations of level `?1`, before they are stored again.
pub(crate) const DELETE_DERIVATIONS: &str = "DELETE FROM layout_derivations WHERE level = ?1";

/// Stores one layout derivation.
pub(crate) const INSERT_DERIVATION: &str = "INSERT INTO layout_derivations (level, from_layout, to_layout, signature, compared, disappeared, appeared)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Regions, named regions and boundaries per level and layout, as [`layout_summary`] reads
/// them. `SUM` of integers is a `BIGINT` on PostgreSQL, an integer on SQLite.
pub(crate) const LAYOUT_SUMMARIES: &str = "SELECT level, layout, SUM(listed), SUM(named), SUM(shaped) FROM (
       SELECT level, layout, 1 AS listed, CASE WHEN name IS NULL THEN 0 ELSE 1 END AS named, 0 AS shaped FROM regions
       UNION ALL
       SELECT level, layout, 0, 0, 1 FROM boundaries
     ) AS t GROUP BY level, layout ORDER BY layout, level";

/// The harmonisation runs, as [`harmonisation`] reads them.
pub(crate) const HARMONISATIONS: &str =
    "SELECT target_layout, signature, created_at, rows, notes FROM harmonisations ORDER BY target_layout";

/// Records a harmonisation run onto layout `?1`, replacing an earlier one.
pub(crate) const UPSERT_HARMONISATION: &str = "INSERT INTO harmonisations (target_layout, signature, created_at, rows, notes) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (target_layout) DO UPDATE SET signature = excluded.signature, created_at = excluded.created_at,
       rows = excluded.rows, notes = excluded.notes";

/// Codes as stored in one text column: separated by spaces.
pub(crate) fn codes_text(codes: &[RegionCode]) -> String {
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

/// A harmonisation run's notes as stored.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A row of [`CHANGES`].
pub(crate) fn change_record(r: &impl Columns) -> Result<ChangeRecord> {
    let origin: String = r.get(0)?;
    let kind: String = r.get(9)?;
    Ok(ChangeRecord {
        level: parse_level(&r.get::<String>(1)?)?,
        from_layout: r.get(2)?,
        origin: match origin.as_str() {
            "official" => ChangeOrigin::Official,
            "derived" => ChangeOrigin::Derived,
            other => return Err(StoreError::Corrupt(format!("change origin '{other}'"))),
        },
        load_id: r.get(13)?,
        change: RegionChange {
            to_layout: r.get(3)?,
            effective: r.get(4)?,
            old_code: parse_code(r.get(5)?)?,
            old_name: r.get(6)?,
            new_code: parse_code(r.get(7)?)?,
            new_name: r.get(8)?,
            kind: ChangeKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("change kind '{kind}'")))?,
            weight: r.get(10)?,
            weight_basis: r.get(11)?,
            parts: codes_from_text(&r.get::<String>(12)?)?,
        },
    })
}

/// A row of [`DERIVATIONS`] of `level`.
pub(crate) fn layout_derivation(level: Level, r: &impl Columns) -> Result<LayoutDerivation> {
    Ok(LayoutDerivation {
        level,
        from_layout: r.get(0)?,
        to_layout: r.get(1)?,
        signature: r.get(2)?,
        compared: r.get::<i64>(3)? as usize,
        disappeared: codes_from_text(&r.get::<String>(4)?)?,
        appeared: codes_from_text(&r.get::<String>(5)?)?,
    })
}

/// A row of [`LAYOUT_SUMMARIES`].
pub(crate) fn layout_summary(r: &impl Columns) -> Result<LayoutSummary> {
    Ok(LayoutSummary {
        level: parse_level(&r.get::<String>(0)?)?,
        layout: r.get(1)?,
        regions: r.get::<i64>(2)? as usize,
        named: r.get::<i64>(3)? as usize,
        boundaries: r.get::<i64>(4)? as usize,
    })
}

/// A row of [`HARMONISATIONS`].
pub(crate) fn harmonisation(r: &impl Columns) -> Result<HarmonisationRecord> {
    let notes: String = r.get(4)?;
    Ok(HarmonisationRecord {
        target_layout: r.get(0)?,
        signature: r.get(1)?,
        created_at: r.get(2)?,
        rows: r.get::<i64>(3)? as usize,
        notes: serde_json::from_str(&notes).unwrap_or_default(),
    })
}

/// A row of `figures::HARMONISED_OF` for `indicator` onto layout `target`.
pub(crate) fn harmonised(
    target: i32,
    indicator: &str,
    r: &impl Columns,
) -> Result<HarmonisedRecord> {
    let region = parse_code(r.get(0)?)?;
    let sources = figures::sources_from_text(&region, r.get(9)?)?;
    Ok(HarmonisedRecord {
        target_layout: target,
        indicator: indicator.to_string(),
        region,
        period: r.get(1)?,
        source_layout: r.get(2)?,
        value: r.get(3)?,
        lower: r.get(4)?,
        upper: r.get(5)?,
        n: r.get(6)?,
        method: r.get(7)?,
        weighted_by: r.get(8)?,
        sources,
    })
}

/// `Store::boundary_codes`.
pub(crate) fn boundary_codes(q: &impl Query, level: Level, layout: i32) -> Result<Vec<RegionCode>> {
    q.records(
        BOUNDARY_CODES,
        &[&level.as_str(), &layout],
        "reading boundary codes",
        |r| parse_code(r.get(0)?),
    )
}

/// `Store::region_changes`.
pub(crate) fn region_changes(q: &impl Query, level: Option<Level>) -> Result<Vec<ChangeRecord>> {
    q.records(
        CHANGES,
        &[&level.map(|l| l.as_str())],
        "reading region changes",
        |r| change_record(r),
    )
}

/// `Store::layout_derivations`.
pub(crate) fn layout_derivations(q: &impl Query, level: Level) -> Result<Vec<LayoutDerivation>> {
    q.records(
        DERIVATIONS,
        &[&level.as_str()],
        "reading layout derivations",
        |r| layout_derivation(level, r),
    )
}

/// `Store::layout_summaries`.
pub(crate) fn layout_summaries(q: &impl Query) -> Result<Vec<LayoutSummary>> {
    q.records(LAYOUT_SUMMARIES, &[], "reading layout summary", |r| {
        layout_summary(r)
    })
}

/// `Store::harmonisations`.
pub(crate) fn harmonisations(q: &impl Query) -> Result<Vec<HarmonisationRecord>> {
    q.records(HARMONISATIONS, &[], "reading harmonisations", |r| {
        harmonisation(r)
    })
}

/// `Store::harmonised`.
pub(crate) fn harmonised_of(
    q: &impl Query,
    target: i32,
    indicator: &str,
    level: Level,
) -> Result<Vec<HarmonisedRecord>> {
    q.records(
        figures::HARMONISED_OF,
        &[&target, &indicator, &level.as_str()],
        "reading harmonised figures",
        |r| harmonised(target, indicator, r),
    )
}

/// `Store::harmonised_indicator_ids`.
pub(crate) fn harmonised_indicator_ids(
    q: &impl Query,
    target: i32,
    region: &RegionCode,
) -> Result<Vec<String>> {
    q.records(
        figures::HARMONISED_INDICATORS,
        &[&target, &region.as_str()],
        "reading harmonised indicators",
        |r| r.get(0),
    )
}

fn insert_change(
    tx: &mut impl Execute,
    origin: ChangeOrigin,
    from_layout: i32,
    c: &RegionChange,
    load_id: Option<i64>,
    context: &str,
) -> Result<()> {
    tx.exec(
        INSERT_CHANGE,
        &[
            &origin.as_str(),
            &c.level().as_str(),
            &from_layout,
            &c.to_layout,
            &c.effective,
            &c.old_code.as_str(),
            &c.old_name,
            &c.new_code.as_str(),
            &c.new_name,
            &c.kind.as_str(),
            &c.weight,
            &c.weight_basis,
            &codes_text(&c.parts),
            &load_id,
        ],
        context,
    )?;
    Ok(())
}

/// Stores the changes of a change table as part of its load. A later table's row for the same
/// link replaces the earlier one.
pub(crate) fn insert_official_changes(
    tx: &mut impl Execute,
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

/// `Store::replace_derived_changes`.
pub(crate) fn replace_derived_changes(
    s: &mut impl Writes,
    level: Level,
    derivations: &[(LayoutDerivation, Vec<RegionChange>)],
) -> Result<()> {
    let context = format!("storing derived changes of level {level}");
    let mut tx = s.write(&context)?;
    tx.exec(DELETE_DERIVED_CHANGES, &[&level.as_str()], &context)?;
    tx.exec(DELETE_DERIVATIONS, &[&level.as_str()], &context)?;
    for (d, changes) in derivations {
        tx.exec(
            INSERT_DERIVATION,
            &[
                &level.as_str(),
                &d.from_layout,
                &d.to_layout,
                &d.signature,
                &(d.compared as i64),
                &codes_text(&d.disappeared),
                &codes_text(&d.appeared),
            ],
            &context,
        )?;
        for c in changes {
            insert_change(
                &mut tx,
                ChangeOrigin::Derived,
                d.from_layout,
                c,
                None,
                &context,
            )?;
        }
    }
    tx.finish(&context)
}
