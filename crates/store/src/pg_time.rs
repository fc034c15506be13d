//! The PostgreSQL side of long-term monitoring, mirroring `sqlite_time.rs` query by query:
//! region changes between layouts, layout comparisons, and harmonised figures.

use kwm_model::{ChangeKind, Level, RegionChange, RegionCode};
use postgres::Client;

use crate::figures::{self, dollar};
use crate::pg::{get, parse_code, parse_level, pg, Keys, PgStore, Write};
use crate::{
    ChangeOrigin, ChangeRecord, HarmonisationRecord, HarmonisedRecord, LayoutDerivation,
    LayoutSummary, Result, StoreError,
};

/// Migration 3: as `sqlite_time::MIGRATION_TIME`, with PostgreSQL types and bytewise text order.
pub(crate) const MIGRATION_TIME: &str = r#"
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

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

const INSERT_CHANGE: &str = "INSERT INTO region_changes (origin, level, from_layout, to_layout, effective, old_code, old_name, new_code, new_name, kind, weight, weight_basis, parts, load_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (origin, level, to_layout, old_code, new_code, kind) DO UPDATE SET
       from_layout = excluded.from_layout, effective = excluded.effective, old_name = excluded.old_name,
       new_name = excluded.new_name, weight = excluded.weight, weight_basis = excluded.weight_basis,
       parts = excluded.parts, load_id = excluded.load_id";

fn insert_change(
    tx: &mut Client,
    origin: ChangeOrigin,
    from_layout: i32,
    c: &RegionChange,
    load_id: Option<i64>,
    context: &str,
) -> Result<()> {
    tx.execute(
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
    )
    .map_err(pg(context))?;
    Ok(())
}

/// Stores the changes of a change table as part of its load (inside the load's transaction).
pub(crate) fn insert_official_changes(
    tx: &mut Client,
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

impl PgStore {
    pub(crate) fn time_boundary_codes(&self, level: Level, layout: i32) -> Result<Vec<RegionCode>> {
        self.column::<String>(
            "SELECT code FROM boundaries WHERE level = $1 AND layout = $2 ORDER BY code",
            &[&level.as_str(), &layout],
            "reading boundary codes",
        )?
        .into_iter()
        .map(parse_code)
        .collect()
    }

    pub(crate) fn time_region_changes(&self, level: Option<Level>) -> Result<Vec<ChangeRecord>> {
        let context = "reading region changes";
        let level_text = level.map(|l| l.as_str());
        self.rows(
            "SELECT origin, level, from_layout, to_layout, effective, old_code, old_name, new_code, new_name, kind, weight, weight_basis, parts, load_id
             FROM region_changes WHERE ($1::TEXT IS NULL OR level = $1)
             ORDER BY to_layout, level, origin DESC, old_code, new_code, kind",
            &[&level_text],
            context,
        )?
        .iter()
        .map(|r| {
            let origin: String = get(r, 0, context)?;
            let kind: String = get(r, 9, context)?;
            Ok(ChangeRecord {
                level: parse_level(&get::<String>(r, 1, context)?)?,
                from_layout: get(r, 2, context)?,
                origin: match origin.as_str() {
                    "official" => ChangeOrigin::Official,
                    "derived" => ChangeOrigin::Derived,
                    other => return Err(StoreError::Corrupt(format!("change origin '{other}'"))),
                },
                load_id: get(r, 13, context)?,
                change: RegionChange {
                    to_layout: get(r, 3, context)?,
                    effective: get(r, 4, context)?,
                    old_code: parse_code(get(r, 5, context)?)?,
                    old_name: get(r, 6, context)?,
                    new_code: parse_code(get(r, 7, context)?)?,
                    new_name: get(r, 8, context)?,
                    kind: ChangeKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("change kind '{kind}'")))?,
                    weight: get(r, 10, context)?,
                    weight_basis: get(r, 11, context)?,
                    parts: codes_from_text(&get::<String>(r, 12, context)?)?,
                },
            })
        })
        .collect()
    }

    pub(crate) fn time_layout_derivations(&self, level: Level) -> Result<Vec<LayoutDerivation>> {
        let context = "reading layout derivations";
        self.rows(
            "SELECT from_layout, to_layout, signature, compared, disappeared, appeared FROM layout_derivations
             WHERE level = $1 ORDER BY from_layout",
            &[&level.as_str()],
            context,
        )?
        .iter()
        .map(|r| {
            Ok(LayoutDerivation {
                level,
                from_layout: get(r, 0, context)?,
                to_layout: get(r, 1, context)?,
                signature: get(r, 2, context)?,
                compared: get::<i64>(r, 3, context)? as usize,
                disappeared: codes_from_text(&get::<String>(r, 4, context)?)?,
                appeared: codes_from_text(&get::<String>(r, 5, context)?)?,
            })
        })
        .collect()
    }

    pub(crate) fn time_replace_derived_changes(
        &mut self,
        level: Level,
        derivations: &[(LayoutDerivation, Vec<RegionChange>)],
    ) -> Result<()> {
        let context = format!("storing derived changes of level {level}");
        let mut tx = Write::begin(self, &context)?;
        tx.execute(
            "DELETE FROM region_changes WHERE origin = 'derived' AND level = $1",
            &[&level.as_str()],
        )
        .map_err(pg(&context))?;
        tx.execute(
            "DELETE FROM layout_derivations WHERE level = $1",
            &[&level.as_str()],
        )
        .map_err(pg(&context))?;
        for (d, changes) in derivations {
            tx.execute(
                "INSERT INTO layout_derivations (level, from_layout, to_layout, signature, compared, disappeared, appeared)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &level.as_str(),
                    &d.from_layout,
                    &d.to_layout,
                    &d.signature,
                    &(d.compared as i64),
                    &codes_text(&d.disappeared),
                    &codes_text(&d.appeared),
                ],
            )
            .map_err(pg(&context))?;
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
        tx.commit().map_err(pg(&context))
    }

    pub(crate) fn time_layout_summaries(&self) -> Result<Vec<LayoutSummary>> {
        let context = "reading layout summary";
        self.rows(
            "SELECT level, layout, SUM(listed)::BIGINT, SUM(named)::BIGINT, SUM(shaped)::BIGINT FROM (
               SELECT level, layout, 1 AS listed, (name IS NOT NULL)::INTEGER AS named, 0 AS shaped FROM regions
               UNION ALL
               SELECT level, layout, 0, 0, 1 FROM boundaries
             ) AS t GROUP BY level, layout ORDER BY layout, level",
            &[],
            context,
        )?
        .iter()
        .map(|r| {
            Ok(LayoutSummary {
                level: parse_level(&get::<String>(r, 0, context)?)?,
                layout: get(r, 1, context)?,
                regions: get::<i64>(r, 2, context)? as usize,
                named: get::<i64>(r, 3, context)? as usize,
                boundaries: get::<i64>(r, 4, context)? as usize,
            })
        })
        .collect()
    }

    pub(crate) fn time_harmonisations(&self) -> Result<Vec<HarmonisationRecord>> {
        let context = "reading harmonisations";
        self.rows(
            "SELECT target_layout, signature, created_at, rows, notes FROM harmonisations ORDER BY target_layout",
            &[],
            context,
        )?
        .iter()
        .map(|r| {
            let notes: String = get(r, 4, context)?;
            Ok(HarmonisationRecord {
                target_layout: get(r, 0, context)?,
                signature: get(r, 1, context)?,
                created_at: get(r, 2, context)?,
                rows: get::<i64>(r, 3, context)? as usize,
                notes: serde_json::from_str(&notes).unwrap_or_default(),
            })
        })
        .collect()
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
        let mut tx = Write::begin(self, &context)?;
        tx.execute(&dollar(figures::HARMONISED_DELETE), &[&run.target_layout])
            .map_err(pg(&context))?;
        tx.execute(
            "INSERT INTO harmonisations (target_layout, signature, created_at, rows, notes) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (target_layout) DO UPDATE SET signature = excluded.signature, created_at = excluded.created_at,
               rows = excluded.rows, notes = excluded.notes",
            &[&run.target_layout, &run.signature, &run.created_at, &(rows.len() as i64), &json(&run.notes)],
        )
        .map_err(pg(&context))?;
        let mut keys = Keys::default();
        let mut ids = Vec::with_capacity(rows.len());
        for h in rows {
            let series = keys.series(&mut tx, &h.indicator, h.region.level(), "", &context)?;
            ids.push((series, keys.region(&mut tx, &h.region, &context)?));
        }
        // One UNNEST statement per chunk instead of a round trip per figure.
        let statement = tx
            .prepare(
                "INSERT INTO harmonised_figures (target_layout, series, period, region, source_layout, value, lower, upper, n, method, weighted_by, sources)
                 SELECT $1, * FROM UNNEST($2::INTEGER[], $3::INTEGER[], $4::INTEGER[], $5::INTEGER[], $6::DOUBLE PRECISION[],
                                          $7::DOUBLE PRECISION[], $8::DOUBLE PRECISION[], $9::DOUBLE PRECISION[], $10::TEXT[], $11::TEXT[], $12::TEXT[])",
            )
            .map_err(pg(&context))?;
        for (chunk, chunk_ids) in rows.chunks(5_000).zip(ids.chunks(5_000)) {
            let series: Vec<i32> = chunk_ids.iter().map(|(s, _)| *s).collect();
            let period: Vec<i32> = chunk.iter().map(|h| h.period).collect();
            let region: Vec<i32> = chunk_ids.iter().map(|(_, r)| *r).collect();
            let source_layout: Vec<i32> = chunk.iter().map(|h| h.source_layout).collect();
            let value: Vec<f64> = chunk.iter().map(|h| h.value).collect();
            let lower: Vec<Option<f64>> = chunk.iter().map(|h| h.lower).collect();
            let upper: Vec<Option<f64>> = chunk.iter().map(|h| h.upper).collect();
            let n: Vec<Option<f64>> = chunk.iter().map(|h| h.n).collect();
            let method: Vec<&str> = chunk.iter().map(|h| h.method.as_str()).collect();
            let weighted_by: Vec<Option<&str>> =
                chunk.iter().map(|h| h.weighted_by.as_deref()).collect();
            let sources: Vec<Option<String>> = chunk
                .iter()
                .map(|h| figures::sources_text(&h.region, &h.sources))
                .collect();
            tx.execute(
                &statement,
                &[
                    &run.target_layout,
                    &series,
                    &period,
                    &region,
                    &source_layout,
                    &value,
                    &lower,
                    &upper,
                    &n,
                    &method,
                    &weighted_by,
                    &sources,
                ],
            )
            .map_err(pg(&context))?;
        }
        tx.commit().map_err(pg(&context))
    }

    pub(crate) fn time_harmonised(
        &self,
        target: i32,
        indicator: &str,
        level: Level,
    ) -> Result<Vec<HarmonisedRecord>> {
        let context = "reading harmonised figures";
        self.rows(
            &dollar(figures::HARMONISED_OF),
            &[&target, &indicator, &level.as_str()],
            context,
        )?
        .iter()
        .map(|r| {
            let region = parse_code(get(r, 0, context)?)?;
            let sources = figures::sources_from_text(&region, get(r, 9, context)?)?;
            Ok(HarmonisedRecord {
                target_layout: target,
                indicator: indicator.to_string(),
                region,
                period: get(r, 1, context)?,
                source_layout: get(r, 2, context)?,
                value: get(r, 3, context)?,
                lower: get(r, 4, context)?,
                upper: get(r, 5, context)?,
                n: get(r, 6, context)?,
                method: get(r, 7, context)?,
                weighted_by: get(r, 8, context)?,
                sources,
            })
        })
        .collect()
    }

    pub(crate) fn time_harmonised_indicator_ids(
        &self,
        target: i32,
        region: &RegionCode,
    ) -> Result<Vec<String>> {
        self.column(
            &dollar(figures::HARMONISED_INDICATORS),
            &[&target, &region.as_str()],
            "reading harmonised indicators",
        )
    }
}
