//! Loads (provenance) and indicators, written once for both backends (`?N` placeholders):
//! the steps of a load, with each backend's bulk insert of a file's regions, boundaries and
//! figures behind [`BulkLoad`].

use kwm_ingest::LoadBatch;
use kwm_model::{Direction, Indicator, IndicatorId, RegionCode};

use crate::figures;
use crate::row::{Columns, Execute, Query, Writes};
use crate::{IndicatorRecord, LoadOutcome, LoadRecord, Result, StoreError};

/// Stores a load's provenance; answers its id, `max + 1`: what SQLite's rowid would be, and on
/// PostgreSQL (under the writers' lock) unlike a sequence nothing a rolled-back load uses up.
const INSERT_LOAD: &str = "INSERT INTO loads (id, file_name, checksum, format, dataset, title, publisher, licence, loaded_at, rows, observations, regions, boundaries, notes)
     VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM loads), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
     RETURNING id";

/// The earlier load of a file with checksum `?1`: id and when.
pub(crate) const BY_CHECKSUM: &str = "SELECT id, loaded_at FROM loads WHERE checksum = ?1";

/// Stores an indicator's metadata. Catalogue (curated) metadata is never overwritten by
/// metadata a file carried, and a row that would not change is not touched (no new row
/// version, the SQLite file byte-identical), so a no-op sync writes nothing.
pub(crate) const UPSERT_INDICATOR: &str = "INSERT INTO indicators (id, label_nl, label_en, unit, direction, source, decimals, description, additive, curated)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
     ON CONFLICT (id) DO UPDATE SET label_nl = excluded.label_nl, label_en = excluded.label_en, unit = excluded.unit,
       direction = excluded.direction, source = excluded.source, decimals = excluded.decimals,
       description = excluded.description, additive = excluded.additive, curated = excluded.curated
     WHERE excluded.curated >= indicators.curated
       AND (indicators.label_nl, indicators.label_en, indicators.unit, indicators.direction, indicators.source,
            indicators.decimals, indicators.description, indicators.additive, indicators.curated)
           IS DISTINCT FROM (excluded.label_nl, excluded.label_en, excluded.unit, excluded.direction, excluded.source,
                             excluded.decimals, excluded.description, excluded.additive, excluded.curated)";

/// Sets the parent `?3` of region `?1` in layout `?2` where it has none.
pub(crate) const SET_MISSING_PARENT: &str =
    "UPDATE regions SET parent = ?3 WHERE code = ?1 AND layout = ?2 AND parent IS NULL";

const INDICATOR_COLUMNS: &str = "SELECT id, label_nl, label_en, unit, direction, source, decimals, description, additive, curated FROM indicators";

/// An indicator row and its stored id (an id the model refuses reads as `invalid`).
fn indicator_row(r: &impl Columns) -> Result<(Indicator, String)> {
    let id: String = r.get(0)?;
    let direction: String = r.get(4)?;
    let decimals: i32 = r.get(6)?;
    Ok((
        Indicator {
            id: IndicatorId::new(&id).unwrap_or_else(|_| IndicatorId::new("invalid").unwrap()),
            label_nl: r.get(1)?,
            label_en: r.get(2)?,
            unit: r.get(3)?,
            direction: Direction::parse(&direction).unwrap_or(Direction::Neutral),
            source: r.get(5)?,
            decimals: u8::try_from(decimals)
                .map_err(|_| StoreError::Corrupt(format!("decimals {decimals} of {id}")))?,
            description: r.get(7)?,
            additive: r.get(8)?,
            curated: r.get(9)?,
        },
        id,
    ))
}

/// `Store::indicators`: catalogue first, then by source and id, each with its coverage (read
/// for all indicators in one query).
pub(crate) fn indicators(q: &impl Query) -> Result<Vec<IndicatorRecord>> {
    let rows = q.records(
        &format!("{INDICATOR_COLUMNS} ORDER BY curated DESC, source, id"),
        &[],
        "reading indicators",
        |r| indicator_row(r),
    )?;
    let mut coverage = figures::coverage(q)?;
    Ok(rows
        .into_iter()
        .map(|(indicator, id)| {
            let (mut periods, mut levels) = coverage.remove(&id).unwrap_or_default();
            periods.sort();
            levels.sort();
            IndicatorRecord {
                indicator,
                periods,
                levels,
            }
        })
        .collect())
}

/// `Store::indicator`.
pub(crate) fn indicator(q: &impl Query, id: &str) -> Result<Option<IndicatorRecord>> {
    let row = q
        .records(
            &format!("{INDICATOR_COLUMNS} WHERE id = ?1"),
            &[&id],
            "reading indicator",
            |r| indicator_row(r),
        )?
        .pop();
    let Some((indicator, id)) = row else {
        return Ok(None);
    };
    let (periods, levels) = figures::coverage_of(q, &id)?;
    Ok(Some(IndicatorRecord {
        indicator,
        periods,
        levels,
    }))
}

/// `Store::loads`: newest first.
pub(crate) fn loads(q: &impl Query) -> Result<Vec<LoadRecord>> {
    q.records(
        "SELECT id, file_name, checksum, format, dataset, title, publisher, licence, loaded_at, rows, observations, regions, boundaries, notes FROM loads ORDER BY id DESC",
        &[],
        "reading loads",
        |r| {
            let notes: String = r.get(13)?;
            Ok(LoadRecord {
                id: r.get(0)?,
                file_name: r.get(1)?,
                checksum: r.get(2)?,
                format: r.get(3)?,
                dataset: r.get(4)?,
                title: r.get(5)?,
                publisher: r.get(6)?,
                licence: r.get(7)?,
                loaded_at: r.get(8)?,
                rows: r.get(9)?,
                observations: r.get(10)?,
                regions: r.get(11)?,
                boundaries: r.get(12)?,
                notes: serde_json::from_str(&notes).unwrap_or_default(),
            })
        },
    )
}

/// Stores an indicator's metadata (see [`UPSERT_INDICATOR`]).
pub(crate) fn upsert_indicator(tx: &mut impl Execute, i: &Indicator) -> Result<()> {
    tx.exec(
        UPSERT_INDICATOR,
        &[
            &i.id.as_str(),
            &i.label_nl,
            &i.label_en,
            &i.unit,
            &i.direction.as_str(),
            &i.source,
            &i32::from(i.decimals),
            &i.description,
            &i.additive,
            &i.curated,
        ],
        &format!("storing indicator {}", i.id),
    )?;
    Ok(())
}

/// `Store::sync_indicators`.
pub(crate) fn sync_indicators(s: &mut impl Writes, indicators: &[Indicator]) -> Result<()> {
    let mut tx = s.write("starting catalogue sync")?;
    for i in indicators {
        upsert_indicator(&mut tx, i)?;
    }
    tx.finish("committing catalogue sync")
}

/// `Store::set_missing_parents`: how many regions got one.
pub(crate) fn set_missing_parents(
    s: &mut impl Writes,
    parents: &[(RegionCode, i32, RegionCode)],
) -> Result<usize> {
    let mut tx = s.write("starting parent update")?;
    let mut n = 0;
    for (code, layout, parent) in parents {
        n += tx.exec(
            SET_MISSING_PARENT,
            &[&code.as_str(), layout, &parent.as_str()],
            "setting parent",
        )? as usize;
    }
    tx.finish("committing parent update")?;
    Ok(n)
}

/// A load's write with the part each backend does its own way: a file's regions, boundaries
/// and figures in bulk.
pub(crate) trait BulkLoad {
    /// The write the load runs in.
    type Tx: Execute;
    /// That write.
    fn tx(&mut self) -> &mut Self::Tx;
    /// Stores a file's regions, boundaries and figures as load `load_id`; how many figures
    /// were new (not replacing a stored one).
    fn store_rows(&mut self, batch: &LoadBatch, load_id: i64, context: &str) -> Result<usize>;
}

/// `Store::apply_loads` inside `load`'s write: a file whose checksum is stored is skipped;
/// the caller commits.
pub(crate) fn apply_loads(
    load: &mut impl BulkLoad,
    batches: &[LoadBatch],
    loaded_at: &str,
) -> Result<Vec<LoadOutcome>> {
    let mut outcomes = Vec::with_capacity(batches.len());
    for batch in batches {
        let earlier = load
            .tx()
            .rows(BY_CHECKSUM, &[&batch.checksum], "checking checksum", |r| {
                Ok(LoadOutcome::AlreadyLoaded {
                    load_id: r.get(0)?,
                    loaded_at: r.get(1)?,
                })
            })?
            .pop();
        if let Some(earlier) = earlier {
            outcomes.push(earlier);
            continue;
        }
        let context = format!("storing {}", batch.file_name);
        let tx = load.tx();
        let load_id = tx
            .fetch::<i64>(
                INSERT_LOAD,
                &[
                    &batch.file_name,
                    &batch.checksum,
                    &batch.format.map(|f| f.as_str()).unwrap_or(""),
                    &batch.dataset.id,
                    &batch.dataset.title,
                    &batch.dataset.publisher,
                    &batch.dataset.licence,
                    &loaded_at,
                    &(batch.rows as i64),
                    &(batch.observations.len() as i64),
                    &(batch.regions.len() as i64),
                    &(batch.boundaries.len() as i64),
                    &serde_json::to_string(&batch.notes).unwrap_or_default(),
                ],
                &context,
            )?
            .pop()
            .ok_or_else(|| StoreError::Corrupt(format!("{context}: no load id")))?;
        for i in &batch.indicators {
            upsert_indicator(tx, i)?;
        }
        crate::time_sql::insert_official_changes(tx, load_id, &batch.changes, &context)?;
        let inserted = load.store_rows(batch, load_id, &context)?;
        outcomes.push(LoadOutcome::Loaded {
            load_id,
            inserted,
            replaced: batch.observations.len() - inserted,
        });
    }
    Ok(outcomes)
}
