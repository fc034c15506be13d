//! Figures (observations) in the compact layout, with their SQL written once for both backends.
//!
//! A figure is keyed on three small integers: its *series* (`figure_series`: indicator, level
//! and breakdown cell), its period and its *region* (`figure_regions`: code and level). The
//! `figures` table holds those keys, the value, its bounds and count, a status code and the load
//! it came from — on SQLite `WITHOUT ROWID`, so the primary key (series, period, region) *is* the
//! table and the hot read "one indicator at one level in one period" is one range scan. One
//! secondary index, (region, period), serves the region profile. `figure_coverage` counts the
//! figures (and the `ok` ones) per series and period, kept up to date by every load in the same
//! transaction, so "which indicators have figures where" never scans the figures.
//!
//! The SQL below uses SQLite's `?N` placeholders; PostgreSQL gets the same text with `$N`
//! through [`dollar`]. Types are written so both dialects infer the same (`CAST` where a
//! placeholder stands alone in a select list).

use std::collections::HashMap;

use kwm_model::{Level, RegionCode, ValueStatus};

use crate::row::{parse_code, parse_level, Columns, Dialect, Param, Query, Value};
use crate::{ObservationRecord, RankState, RegionRank, Result, StoreError};

/// The stored code of a status. Never renumber: stores keep these numbers.
pub(crate) fn status_code(status: ValueStatus) -> i16 {
    match status {
        ValueStatus::Ok => 0,
        ValueStatus::Suppressed => 1,
        ValueStatus::Missing => 2,
        ValueStatus::NotApplicable => 3,
    }
}

/// The status a stored code stands for.
pub(crate) fn status_from_code(code: i64) -> Result<ValueStatus> {
    Ok(match code {
        0 => ValueStatus::Ok,
        1 => ValueStatus::Suppressed,
        2 => ValueStatus::Missing,
        3 => ValueStatus::NotApplicable,
        other => return Err(StoreError::Corrupt(format!("status code {other}"))),
    })
}

/// The columns every figure query returns (as `figure_query!` spells them; a test checks), in
/// the order the backends' row readers expect.
#[cfg(test)]
const COLUMNS: &str =
    "s.indicator, r.code, f.period, s.breakdown, f.value, f.lower, f.upper, f.n, f.status, f.load_id";

// The join order is spelled out with CROSS JOIN (SQLite keeps the written order for it;
// PostgreSQL plans it as an inner join): left to right from the most selective key, so the
// planner never scans all figures through the region index for a query about one series.
macro_rules! figure_query {
    ($from:literal, $where:literal) => {
        concat!(
            "SELECT s.indicator, r.code, f.period, s.breakdown, f.value, f.lower, f.upper, f.n, f.status, f.load_id FROM ",
            $from,
            " WHERE f.series = s.id AND f.region = r.id AND ",
            $where
        )
    };
}

/// Series first: the figures of a series and period are one range of the primary key.
macro_rules! by_series {
    ($where:literal) => {
        figure_query!(
            "figure_series s CROSS JOIN figures f CROSS JOIN figure_regions r",
            $where
        )
    };
}

/// Region first: the figures of a region and period are one range of `figures_by_region`.
macro_rules! by_region {
    ($where:literal) => {
        figure_query!(
            "figure_regions r CROSS JOIN figures f CROSS JOIN figure_series s",
            $where
        )
    };
}

/// One indicator at a level in a period, total population, by region code.
pub(crate) const OF_INDICATOR: &str = by_series!(
    "s.indicator = ?1 AND s.level = ?2 AND s.breakdown = '' AND f.period = ?3 ORDER BY r.code"
);
/// Every indicator at a level in a period, total population, by indicator then region.
pub(crate) const AT_LEVEL: &str =
    by_series!("s.level = ?1 AND s.breakdown = '' AND f.period = ?2 ORDER BY s.indicator, r.code");
/// One region in a period, total population, by indicator.
pub(crate) const OF_REGION: &str =
    by_region!("r.code = ?1 AND f.period = ?2 AND s.breakdown = '' ORDER BY s.indicator");
/// One indicator for one region in a period, every breakdown cell, by cell.
pub(crate) const BREAKDOWNS: &str =
    by_region!("s.indicator = ?1 AND r.code = ?2 AND f.period = ?3 ORDER BY s.breakdown");
/// One breakdown cell of an indicator at a level in a period, by region code.
pub(crate) const CELL: &str = by_series!(
    "s.indicator = ?1 AND s.level = ?2 AND f.period = ?3 AND s.breakdown = ?4 ORDER BY r.code"
);

/// Periods with figures at a level.
pub(crate) const PERIODS_AT_LEVEL: &str = "SELECT DISTINCT c.period FROM figure_coverage c \
     JOIN figure_series s ON s.id = c.series WHERE s.level = ?1 ORDER BY c.period";
/// Indicators with a figure (any status) for the total population at a level in a period.
pub(crate) const INDICATORS_AT: &str = "SELECT DISTINCT s.indicator FROM figure_coverage c \
     JOIN figure_series s ON s.id = c.series \
     WHERE s.level = ?1 AND c.period = ?2 AND s.breakdown = '' ORDER BY s.indicator";
/// Periods in which a region has figures.
pub(crate) const REGION_PERIODS: &str = "SELECT DISTINCT f.period FROM figure_regions r \
     JOIN figures f ON f.region = r.id WHERE r.code = ?1 ORDER BY f.period";
/// Where every indicator has `ok` figures: (indicator, level, period).
pub(crate) const COVERAGE: &str = "SELECT DISTINCT s.indicator, s.level, c.period \
     FROM figure_coverage c JOIN figure_series s ON s.id = c.series WHERE c.ok > 0";
/// Where one indicator has `ok` figures: (level, period).
pub(crate) const COVERAGE_OF: &str = "SELECT DISTINCT s.level, c.period \
     FROM figure_coverage c JOIN figure_series s ON s.id = c.series \
     WHERE s.indicator = ?1 AND c.ok > 0";

/// Adds a series key if new.
pub(crate) const ADD_SERIES: &str = "INSERT INTO figure_series (indicator, level, breakdown) \
     VALUES (?1, ?2, ?3) ON CONFLICT (indicator, level, breakdown) DO NOTHING";
/// The id of a series key.
pub(crate) const SERIES_ID: &str =
    "SELECT id FROM figure_series WHERE indicator = ?1 AND level = ?2 AND breakdown = ?3";
/// Adds a region key if new.
pub(crate) const ADD_REGION: &str =
    "INSERT INTO figure_regions (code, level) VALUES (?1, ?2) ON CONFLICT (code) DO NOTHING";
/// The id of a region key.
pub(crate) const REGION_ID: &str = "SELECT id FROM figure_regions WHERE code = ?1";
/// Figures stored for a series and period (0 when none).
pub(crate) const COUNT: &str =
    "SELECT COALESCE(SUM(figures), 0) FROM figure_coverage WHERE series = ?1 AND period = ?2";
/// Recounts a series and period after a load wrote to it.
pub(crate) const RECOUNT: &str =
    "INSERT INTO figure_coverage (series, period, figures, ok, last_load) \
     SELECT CAST(?1 AS INTEGER), CAST(?2 AS INTEGER), count(*), count(*) FILTER (WHERE status = 0), \
       max(load_id) FROM figures WHERE series = ?1 AND period = ?2 \
     ON CONFLICT (series, period) DO UPDATE SET figures = excluded.figures, ok = excluded.ok, \
       last_load = excluded.last_load";

/// Every total-population series and period with figures, with what its stored ranks were
/// computed from (NULL: none stored).
pub(crate) const RANK_STATES: &str = "SELECT s.indicator, s.level, c.period, c.figures, \
     c.last_load, st.basis FROM figure_series s CROSS JOIN figure_coverage c \
     LEFT JOIN figure_stats st ON st.series = c.series AND st.period = c.period \
     WHERE c.series = s.id AND s.breakdown = '' ORDER BY s.indicator, s.level, c.period";
/// Replaces the stats of a series and period (after its ranks were deleted).
pub(crate) const SAVE_STATS: &str = "INSERT INTO figure_stats (series, period, basis, ranked) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (series, period) DO UPDATE SET basis = excluded.basis, \
     ranked = excluded.ranked";
/// Deletes the ranks of a series and period.
pub(crate) const DELETE_RANKS: &str = "DELETE FROM figure_ranks WHERE series = ?1 AND period = ?2";
/// Stores one figure's rank.
pub(crate) const SAVE_RANK: &str = "INSERT INTO figure_ranks \
     (series, period, region, rank, percentile, class) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// One region's ranks in a period for every total-population series of its level with
/// figures then, with what they were computed from and what the figures are now.
pub(crate) const REGION_RANKS: &str = "SELECT s.indicator, c.figures, c.last_load, st.basis, \
     st.ranked, k.rank, k.percentile, k.class \
     FROM figure_series s CROSS JOIN figure_coverage c \
     LEFT JOIN figure_stats st ON st.series = c.series AND st.period = c.period \
     LEFT JOIN figure_ranks k ON k.series = c.series AND k.period = c.period \
       AND k.region = (SELECT id FROM figure_regions WHERE code = ?3) \
     WHERE c.series = s.id AND s.level = ?1 AND c.period = ?2 AND s.breakdown = '' \
     ORDER BY s.indicator";
/// What an upsert of a figure sets when the key is stored already.
pub(crate) const ON_CONFLICT: &str = "ON CONFLICT (series, period, region) DO UPDATE SET \
     value = excluded.value, lower = excluded.lower, upper = excluded.upper, n = excluded.n, \
     status = excluded.status, load_id = excluded.load_id";

/// The migration that moves the figures of schema 4 (`observations`, TEXT keys) into the
/// compact layout. `{id}`, `{text}`, `{real}`, `{status}` and `{without_rowid}` are the
/// dialect's words, filled in by [`compact_migration`].
const COMPACT_MIGRATION: &str = r#"
-- 5: figures keyed on small integers (series, period, region) instead of five TEXT columns;
-- one secondary index instead of four; counts per series and period kept by every load.
CREATE TABLE figure_series (
    id        {id},
    indicator {text} NOT NULL REFERENCES indicators(id),
    level     {text} NOT NULL,
    breakdown {text} NOT NULL,
    UNIQUE (indicator, level, breakdown)
);
CREATE TABLE figure_regions (
    id    {id},
    code  {text} NOT NULL UNIQUE,
    level {text} NOT NULL
);
CREATE TABLE figures (
    series  INTEGER NOT NULL,
    period  INTEGER NOT NULL,
    region  INTEGER NOT NULL,
    value   {real},
    lower   {real},
    upper   {real},
    n       {real},
    status  {status} NOT NULL,
    load_id BIGINT NOT NULL,
    PRIMARY KEY (series, period, region)
){without_rowid};
CREATE INDEX figures_by_region ON figures (region, period);
CREATE TABLE figure_coverage (
    series    INTEGER NOT NULL,
    period    INTEGER NOT NULL,
    figures   INTEGER NOT NULL,
    ok        INTEGER NOT NULL,
    last_load BIGINT NOT NULL,
    PRIMARY KEY (series, period)
){without_rowid};
-- Ranks, percentiles and map classes of the total-population figures of a series and period,
-- computed by the monitor (the engine's rank rules) when figures or the indicator's direction
-- or decimals change; `basis` names what they were computed from, so a reader can tell
-- stale ones and compute those itself.
CREATE TABLE figure_stats (
    series  INTEGER NOT NULL,
    period  INTEGER NOT NULL,
    basis   {text} NOT NULL,
    ranked  INTEGER NOT NULL,
    PRIMARY KEY (series, period)
){without_rowid};
CREATE TABLE figure_ranks (
    series     INTEGER NOT NULL,
    period     INTEGER NOT NULL,
    region     INTEGER NOT NULL,
    rank       INTEGER,
    percentile {real},
    class      {status},
    PRIMARY KEY (series, period, region)
){without_rowid};
INSERT INTO figure_series (indicator, level, breakdown)
    SELECT DISTINCT indicator, level, breakdown FROM observations ORDER BY indicator, level, breakdown;
INSERT INTO figure_regions (code, level)
    SELECT DISTINCT region, level FROM observations ORDER BY region;
INSERT INTO figures (series, period, region, value, lower, upper, n, status, load_id)
    SELECT s.id, o.period, r.id, o.value, o.lower, o.upper, o.n,
           CASE o.status WHEN 'ok' THEN 0 WHEN 'suppressed' THEN 1 WHEN 'missing' THEN 2
                         WHEN 'not_applicable' THEN 3 END,
           o.load_id
    FROM observations o
    JOIN figure_series s ON s.indicator = o.indicator AND s.level = o.level AND s.breakdown = o.breakdown
    JOIN figure_regions r ON r.code = o.region;
INSERT INTO figure_coverage (series, period, figures, ok, last_load)
    SELECT series, period, count(*), count(*) FILTER (WHERE status = 0), max(load_id)
    FROM figures GROUP BY series, period;
DROP TABLE observations;
"#;

/// Migration 6: figures harmonised onto a target layout, keyed like figures (series of the
/// total population, period, region as integers) instead of TEXT; `sources` is NULL for the
/// commonest case, a figure published in the target layout itself (`[[region, 1.0]]`).
const COMPACT_HARMONISED: &str = r#"
-- 6: harmonised figures under the figures' integer keys; sources NULL when the figure is the
-- region's own, published in the target layout.
INSERT INTO figure_series (indicator, level, breakdown)
    SELECT DISTINCT indicator, level, '' FROM harmonised WHERE true
    ON CONFLICT (indicator, level, breakdown) DO NOTHING;
INSERT INTO figure_regions (code, level)
    SELECT DISTINCT region, level FROM harmonised WHERE true
    ON CONFLICT (code) DO NOTHING;
CREATE TABLE harmonised_figures (
    target_layout INTEGER NOT NULL,
    series        INTEGER NOT NULL,
    period        INTEGER NOT NULL,
    region        INTEGER NOT NULL,
    source_layout INTEGER NOT NULL,
    value         {real} NOT NULL,
    lower         {real},
    upper         {real},
    n             {real},
    method        {text} NOT NULL,
    weighted_by   {text},
    sources       {text},
    PRIMARY KEY (target_layout, series, period, region)
){without_rowid};
CREATE INDEX harmonised_figures_by_region ON harmonised_figures (target_layout, region);
INSERT INTO harmonised_figures
    SELECT h.target_layout, s.id, h.period, r.id, h.source_layout, h.value, h.lower, h.upper, h.n,
           h.method, h.weighted_by,
           CASE WHEN h.sources = '[["' || h.region || '",1.0]]' THEN NULL ELSE h.sources END
    FROM harmonised h
    JOIN figure_series s ON s.indicator = h.indicator AND s.level = h.level AND s.breakdown = ''
    JOIN figure_regions r ON r.code = h.region;
DROP TABLE harmonised;
"#;

/// Replaces nothing: a target layout's harmonised figures are deleted first.
pub(crate) const HARMONISED_DELETE: &str =
    "DELETE FROM harmonised_figures WHERE target_layout = ?1";
/// One indicator's harmonised figures at a level on a target layout, by region then period.
pub(crate) const HARMONISED_OF: &str = "SELECT r.code, h.period, h.source_layout, h.value, \
     h.lower, h.upper, h.n, h.method, h.weighted_by, h.sources \
     FROM figure_series s CROSS JOIN harmonised_figures h CROSS JOIN figure_regions r \
     WHERE h.series = s.id AND h.region = r.id AND h.target_layout = ?1 AND s.indicator = ?2 \
       AND s.level = ?3 AND s.breakdown = '' ORDER BY r.code, h.period";
/// Indicators with harmonised figures for a region on a target layout.
pub(crate) const HARMONISED_INDICATORS: &str = "SELECT DISTINCT s.indicator \
     FROM figure_regions r CROSS JOIN harmonised_figures h CROSS JOIN figure_series s \
     WHERE h.region = r.id AND h.series = s.id AND r.code = ?2 AND h.target_layout = ?1 \
     ORDER BY s.indicator";

/// The stored form of a harmonised figure's sources: NULL when it is the region's own figure.
pub(crate) fn sources_text(
    region: &kwm_model::RegionCode,
    sources: &[(kwm_model::RegionCode, f64)],
) -> Option<String> {
    if sources.len() == 1 && &sources[0].0 == region && sources[0].1 == 1.0 {
        return None;
    }
    let pairs: Vec<(&str, f64)> = sources.iter().map(|(c, w)| (c.as_str(), *w)).collect();
    Some(serde_json::to_string(&pairs).expect("pairs serialise"))
}

/// The sources a stored text stands for (see [`sources_text`]).
pub(crate) fn sources_from_text(
    region: &kwm_model::RegionCode,
    text: Option<String>,
) -> Result<Vec<(kwm_model::RegionCode, f64)>> {
    let Some(text) = text else {
        return Ok(vec![(region.clone(), 1.0)]);
    };
    let pairs: Vec<(String, f64)> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("harmonised sources: {e}")))?;
    pairs
        .into_iter()
        .map(|(c, w)| {
            kwm_model::RegionCode::parse(&c)
                .map(|c| (c, w))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

/// Migration 5 in a dialect.
pub(crate) fn compact_migration(dialect: Dialect) -> String {
    in_dialect(COMPACT_MIGRATION, dialect)
}

fn in_dialect(sql: &str, dialect: Dialect) -> String {
    let (id, text, real, status, without_rowid) = match dialect {
        Dialect::Sqlite => (
            "INTEGER PRIMARY KEY",
            "TEXT",
            "REAL",
            "INTEGER",
            " WITHOUT ROWID",
        ),
        Dialect::Postgres => (
            "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "TEXT COLLATE \"C\"",
            "DOUBLE PRECISION",
            "SMALLINT",
            "",
        ),
    };
    sql.replace("{id}", id)
        .replace("{text}", text)
        .replace("{real}", real)
        .replace("{status}", status)
        .replace("{without_rowid}", without_rowid)
}

/// One schema migration: SQL that is the backend's own, or one written once for both.
pub(crate) enum Migration {
    /// The backend's own SQL.
    Sql(&'static str),
    /// [`compact_migration`] in the backend's dialect.
    CompactFigures,
    /// Harmonised figures under the figures' keys, in the backend's dialect.
    CompactHarmonised,
}

impl Migration {
    /// The SQL to run.
    pub(crate) fn sql(&self, dialect: Dialect) -> std::borrow::Cow<'static, str> {
        match self {
            Migration::Sql(sql) => (*sql).into(),
            Migration::CompactFigures => compact_migration(dialect).into(),
            Migration::CompactHarmonised => in_dialect(COMPACT_HARMONISED, dialect).into(),
        }
    }
}

/// The same SQL with PostgreSQL's `$N` placeholders for SQLite's `?N`.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

// The figure reads, once for both backends. Counts, ranks and classes are read in the types
// PostgreSQL stores them in (`INTEGER`, `SMALLINT`) and widened.

/// Figures from one of the queries above, as [`ObservationRecord`]s.
pub(crate) fn observations(
    q: &impl Query,
    sql: &str,
    params: &[&dyn Param],
) -> Result<Vec<ObservationRecord>> {
    q.records(sql, params, "reading observations", |r| {
        Ok(ObservationRecord {
            indicator: r.get(0)?,
            region: parse_code(r.get(1)?)?,
            period: r.get(2)?,
            breakdown: r.get(3)?,
            value: r.get(4)?,
            lower: r.get(5)?,
            upper: r.get(6)?,
            n: r.get(7)?,
            status: status_from_code(i64::from(r.get::<i16>(8)?))?,
            load_id: r.get(9)?,
        })
    })
}

/// The periods and levels an indicator has figures in, each sorted.
pub(crate) fn coverage_of(q: &impl Query, id: &str) -> Result<(Vec<i32>, Vec<Level>)> {
    let mut periods = Vec::new();
    let mut levels = Vec::new();
    for (level, period) in q.records(COVERAGE_OF, &[&id], "reading coverage", |r| {
        Ok((parse_level(&r.get::<String>(0)?)?, r.get::<i32>(1)?))
    })? {
        if !levels.contains(&level) {
            levels.push(level);
        }
        if !periods.contains(&period) {
            periods.push(period);
        }
    }
    periods.sort();
    levels.sort();
    Ok((periods, levels))
}

/// Periods and levels with figures (unsorted), by indicator.
pub(crate) type Coverage = HashMap<String, (Vec<i32>, Vec<Level>)>;

/// The periods and levels of every indicator with figures.
pub(crate) fn coverage(q: &impl Query) -> Result<Coverage> {
    let mut coverage = Coverage::new();
    for (id, level, period) in q.records(COVERAGE, &[], "reading coverage", |r| {
        Ok((
            r.get::<String>(0)?,
            parse_level(&r.get::<String>(1)?)?,
            r.get::<i32>(2)?,
        ))
    })? {
        let entry = coverage.entry(id).or_default();
        if !entry.0.contains(&period) {
            entry.0.push(period);
        }
        if !entry.1.contains(&level) {
            entry.1.push(level);
        }
    }
    Ok(coverage)
}

/// `Store::rank_states`.
pub(crate) fn rank_states(q: &impl Query) -> Result<Vec<RankState>> {
    q.records(RANK_STATES, &[], "reading rank states", |r| {
        Ok(RankState {
            indicator: r.get(0)?,
            level: parse_level(&r.get::<String>(1)?)?,
            period: r.get(2)?,
            figures: i64::from(r.get::<i32>(3)?),
            last_load: r.get(4)?,
            basis: r.get(5)?,
        })
    })
}

/// `Store::region_ranks`.
pub(crate) fn region_ranks(
    q: &impl Query,
    code: &RegionCode,
    period: i32,
) -> Result<Vec<RegionRank>> {
    q.records(
        REGION_RANKS,
        &[&code.level().as_str(), &period, &code.as_str()],
        "reading region ranks",
        |r| {
            Ok(RegionRank {
                indicator: r.get(0)?,
                figures: i64::from(r.get::<i32>(1)?),
                last_load: r.get(2)?,
                basis: r.get(3)?,
                ranked: r.get::<Option<i32>>(4)?.map(i64::from),
                rank: r.get::<Option<i32>>(5)?.map(i64::from),
                percentile: r.get(6)?,
                class: r.get::<Option<i16>>(7)?.map(i64::from),
            })
        },
    )
}

/// A query's one column of `T`s.
pub(crate) fn column<T: Value>(
    q: &impl Query,
    sql: &str,
    params: &[&dyn Param],
    context: &str,
) -> Result<Vec<T>> {
    q.records(sql, params, context, |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_code() {
        for s in [
            ValueStatus::Ok,
            ValueStatus::Suppressed,
            ValueStatus::Missing,
            ValueStatus::NotApplicable,
        ] {
            assert_eq!(status_from_code(i64::from(status_code(s))).unwrap(), s);
        }
        assert!(status_from_code(9).is_err());
    }

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            dollar("SELECT '?1' WHERE a = ?1 AND b = ?12"),
            "SELECT '?1' WHERE a = $1 AND b = $12"
        );
    }

    #[test]
    fn the_queries_use_the_shared_columns() {
        for sql in [OF_INDICATOR, AT_LEVEL, OF_REGION, BREAKDOWNS, CELL] {
            assert!(sql.starts_with(&format!("SELECT {COLUMNS} FROM ")), "{sql}");
        }
    }
}
