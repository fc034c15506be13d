//! The PostgreSQL store, for server mode: the same tables and answers as `sqlite.rs`; SQL that
//! both dialects accept is written once in the query modules (`access`, `figures`,
//! `region_sql`, …) and run here through `figures::dollar`. Where it differs, and why:
//! - every text column is `COLLATE "C"`: SQLite orders text bytewise, and a database's own
//!   locale (say `nl_NL.UTF-8`) would order codes, ids and names differently;
//! - writers take a transaction-scoped advisory lock: one writer at a time, as SQLite's file
//!   lock gives, so a checksum check and the insert after it cannot race with another `kwm
//!   ingest`; readers take no lock and never wait for a load (MVCC). Inside `write_all` the
//!   lock is taken once and each write is a savepoint (`Write`), as on SQLite;
//! - a load's id is `max + 1` under that lock rather than a sequence, because a sequence
//!   advances even when the transaction rolls back, and a failed load must leave nothing
//!   behind (it also gives the same ids as SQLite);
//! - observations, regions and boundaries are written a chunk at a time with `UNNEST` (one
//!   round trip per chunk instead of per row). One `INSERT ... ON CONFLICT` may not touch a row
//!   twice, so duplicate keys within a file are first merged exactly as SQLite's row-by-row
//!   upserts would leave them.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::time::Duration;

use kwm_ingest::{Boundary, LoadBatch, RegionRecord as IngestRegion};
use kwm_model::{Level, Observation, RegionCode};
use postgres::types::{FromSql, ToSql};
use postgres::{Client, GenericClient, NoTls, Row, Statement};

use crate::access;
use crate::figures::{self, dollar, Migration};
use crate::load_sql;
use crate::region_sql;
use crate::risk_sql;
use crate::row::Dialect;
use crate::row::{Columns, Execute, Param, Query, Tx, Value, Writes};
use crate::time_sql;
use crate::FigureRanks;
use crate::{
    HarmonisationRecord, HarmonisedRecord, LoadOutcome, Result, RiskRun, Store, StoreError,
};

/// Schema migrations, applied in order. Never edit a released one: add a new one, and add the
/// same change to `sqlite.rs` as migration of the same number.
const MIGRATIONS: &[Migration] = &[
    Migration::Sql(
        r#"
CREATE TABLE loads (
    id           BIGINT PRIMARY KEY,
    file_name    TEXT COLLATE "C" NOT NULL,
    checksum     TEXT COLLATE "C" NOT NULL UNIQUE,
    format       TEXT COLLATE "C" NOT NULL,
    dataset      TEXT COLLATE "C" NOT NULL,
    title        TEXT COLLATE "C" NOT NULL,
    publisher    TEXT COLLATE "C" NOT NULL,
    licence      TEXT COLLATE "C" NOT NULL,
    loaded_at    TEXT COLLATE "C" NOT NULL,
    rows         BIGINT NOT NULL,
    observations BIGINT NOT NULL,
    regions      BIGINT NOT NULL,
    boundaries   BIGINT NOT NULL,
    notes        TEXT COLLATE "C" NOT NULL
);
CREATE TABLE indicators (
    id          TEXT COLLATE "C" PRIMARY KEY,
    label_nl    TEXT COLLATE "C" NOT NULL,
    label_en    TEXT COLLATE "C" NOT NULL,
    unit        TEXT COLLATE "C" NOT NULL,
    direction   TEXT COLLATE "C" NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    decimals    INTEGER NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    additive    BOOLEAN NOT NULL,
    curated     BOOLEAN NOT NULL
);
CREATE TABLE regions (
    code   TEXT COLLATE "C" NOT NULL,
    layout INTEGER NOT NULL,
    level  TEXT COLLATE "C" NOT NULL,
    name   TEXT COLLATE "C",
    parent TEXT COLLATE "C",
    PRIMARY KEY (code, layout)
);
CREATE TABLE boundaries (
    code     TEXT COLLATE "C" NOT NULL,
    layout   INTEGER NOT NULL,
    level    TEXT COLLATE "C" NOT NULL,
    geometry TEXT NOT NULL,
    load_id  BIGINT NOT NULL REFERENCES loads(id),
    PRIMARY KEY (code, layout)
);
CREATE TABLE observations (
    indicator TEXT COLLATE "C" NOT NULL REFERENCES indicators(id),
    region    TEXT COLLATE "C" NOT NULL,
    level     TEXT COLLATE "C" NOT NULL,
    period    INTEGER NOT NULL,
    breakdown TEXT COLLATE "C" NOT NULL,
    value     DOUBLE PRECISION,
    lower     DOUBLE PRECISION,
    upper     DOUBLE PRECISION,
    n         DOUBLE PRECISION,
    status    TEXT COLLATE "C" NOT NULL,
    load_id   BIGINT NOT NULL REFERENCES loads(id),
    PRIMARY KEY (indicator, region, period, breakdown)
);
CREATE INDEX observations_by_level ON observations (indicator, level, period);
CREATE INDEX observations_by_region ON observations (region, period);
CREATE INDEX observations_coverage ON observations (indicator, status, level, period);
CREATE INDEX observations_by_level_period ON observations (level, period, breakdown, indicator, region);
"#,
    ),
    Migration::Sql(
        r#"
-- 2: results of the risk model (stacking), one run per level and period. Factor and theme rows
-- carry `ord`, their position within the region, where SQLite relies on rowid order.
CREATE TABLE risk_runs (
    id                BIGINT PRIMARY KEY,
    level             TEXT COLLATE "C" NOT NULL,
    period            INTEGER NOT NULL,
    layout            INTEGER,
    catalogue_version TEXT COLLATE "C" NOT NULL,
    fingerprint       TEXT COLLATE "C" NOT NULL,
    parameters        TEXT COLLATE "C" NOT NULL,
    summary           TEXT COLLATE "C" NOT NULL,
    computed_at       TEXT COLLATE "C" NOT NULL,
    UNIQUE (level, period)
);
CREATE TABLE risk_regions (
    run_id               BIGINT NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    region               TEXT COLLATE "C" NOT NULL,
    flagged              BIGINT NOT NULL,
    with_data            BIGINT NOT NULL,
    weak_protective      BIGINT NOT NULL,
    protective_with_data BIGINT NOT NULL,
    composite            DOUBLE PRECISION,
    composite_rank       BIGINT,
    composite_percentile DOUBLE PRECISION,
    PRIMARY KEY (run_id, region)
);
CREATE TABLE risk_factor_scores (
    run_id     BIGINT NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    region     TEXT COLLATE "C" NOT NULL,
    ord        INTEGER NOT NULL,
    factor     TEXT COLLATE "C" NOT NULL,
    score      DOUBLE PRECISION,
    rank       BIGINT,
    ranked     BIGINT NOT NULL,
    percentile DOUBLE PRECISION,
    flagged    BOOLEAN NOT NULL,
    trace      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (run_id, region, factor)
);
CREATE TABLE risk_theme_exposure (
    run_id         BIGINT NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    region         TEXT COLLATE "C" NOT NULL,
    ord            INTEGER NOT NULL,
    theme          TEXT COLLATE "C" NOT NULL,
    exposure       DOUBLE PRECISION,
    rank           BIGINT,
    ranked         BIGINT NOT NULL,
    coverage       DOUBLE PRECISION NOT NULL,
    flagged_weight BIGINT NOT NULL,
    drivers        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (run_id, region, theme)
);
"#,
    ),
    Migration::Sql(time_sql::MIGRATION_PG),
    Migration::Sql(
        r#"
-- 4: the composite's rank interval (Monte Carlo over method choices), its ranks under the
-- compared methods, and spatial clusters (LISA, G_i*) of the stored results. Method-rank rows
-- carry `ord` (their position within the region) where SQLite relies on rowid order.
ALTER TABLE risk_regions ADD COLUMN rank_median DOUBLE PRECISION;
ALTER TABLE risk_regions ADD COLUMN rank_lower DOUBLE PRECISION;
ALTER TABLE risk_regions ADD COLUMN rank_upper DOUBLE PRECISION;
CREATE TABLE risk_method_ranks (
    run_id BIGINT NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    region TEXT COLLATE "C" NOT NULL,
    ord    INTEGER NOT NULL,
    method TEXT COLLATE "C" NOT NULL,
    score  DOUBLE PRECISION,
    rank   BIGINT,
    PRIMARY KEY (run_id, region, method)
);
CREATE TABLE risk_clusters (
    run_id    BIGINT NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    variable  TEXT COLLATE "C" NOT NULL,
    statistic TEXT COLLATE "C" NOT NULL,
    region    TEXT COLLATE "C" NOT NULL,
    status    TEXT COLLATE "C" NOT NULL,
    value     DOUBLE PRECISION,
    stat      DOUBLE PRECISION,
    z         DOUBLE PRECISION,
    p_sim     DOUBLE PRECISION,
    quadrant  TEXT COLLATE "C",
    PRIMARY KEY (run_id, variable, statistic, region)
);
CREATE INDEX risk_clusters_by_region ON risk_clusters (run_id, region);
"#,
    ),
    Migration::CompactFigures,
    Migration::CompactHarmonised,
    Migration::Sql(crate::access::MIGRATION_ACCESS_PG),
    Migration::Sql(crate::region_sql::INDEXES_MIGRATION),
];

// Both backends must migrate to the same version.
const _: () = assert!(MIGRATIONS.len() == crate::sqlite::MIGRATIONS.len());

/// Key of the advisory lock every write transaction (loads, catalogue sync, parents,
/// migrations) holds until it ends: writers queue, readers are never blocked. The value is
/// arbitrary but fixed ("kwm" in ASCII), so every `kwm` process uses the same lock.
const WRITE_LOCK: i64 = 0x006b_776d;

/// Rows per `UNNEST` statement: large enough that round trips do not dominate a load, small
/// enough that one statement's parameters stay a few megabytes.
const CHUNK: usize = 5_000;

/// Boundaries per statement: a geometry can be hundreds of kilobytes.
const BOUNDARY_CHUNK: usize = 200;

/// The PostgreSQL store: one connection; many processes may share the database.
pub struct PgStore {
    // `postgres::Client` needs `&mut` even to read, while `Store`'s queries take `&self`; a
    // store is used by one thread at a time, so a `RefCell` is enough.
    client: RefCell<Client>,
    /// Read statements prepared on this connection, by SQL text: pooled connections serve many
    /// requests, so each query is parsed and planned once per connection (as rusqlite's
    /// `prepare_cached` does for SQLite).
    statements: RefCell<HashMap<String, Statement>>,
    /// Inside [`Store::write_all`]: its transaction is open and holds the writers' lock, and each
    /// write is a savepoint of it (see [`Write`]).
    in_write_all: bool,
}

pub(crate) fn pg(context: &str) -> impl FnOnce(postgres::Error) -> StoreError + '_ {
    move |source| StoreError::Postgres {
        context: context.to_string(),
        source,
    }
}

pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize, context: &str) -> Result<T> {
    row.try_get(i).map_err(pg(context))
}

impl PgStore {
    /// Connects to a `postgres://` URL and applies pending migrations (creating the tables in
    /// an empty database). For `kwm init`, `ingest`, and the catalogue sync of `serve`.
    pub fn connect(url: &str) -> Result<PgStore> {
        let mut store = Self::open_client(url)?;
        store.migrate()?;
        Ok(store)
    }

    /// Connects for reading only: checks that the schema exists and is not newer than this
    /// build, applies nothing.
    pub fn connect_reader(url: &str) -> Result<PgStore> {
        let store = Self::open_client(url)?;
        let supported = MIGRATIONS.len() as i64;
        match store.schema_version()? {
            None | Some(0) => Err(StoreError::Unavailable(
                "the PostgreSQL database has no monitor tables yet; create them with `kwm init --db URL` or `kwm ingest`".into(),
            )),
            Some(found) if found > supported => Err(StoreError::TooNew { found, supported }),
            Some(_) => Ok(store),
        }
    }

    fn open_client(url: &str) -> Result<PgStore> {
        let mut config: postgres::Config = url.parse().map_err(pg("reading the PostgreSQL URL"))?;
        if config.get_application_name().is_none() {
            // Shows up in pg_stat_activity, so an operator sees which sessions are the monitor's.
            config.application_name("kwm");
        }
        if config.get_connect_timeout().is_none() {
            // An unreachable server should fail a command or request, not hang it.
            config.connect_timeout(Duration::from_secs(10));
        }
        let client = config
            .connect(NoTls)
            .map_err(pg("connecting to PostgreSQL"))?;
        Ok(PgStore {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            in_write_all: false,
        })
    }

    /// The schema version, or `None` when the version table does not exist (empty database).
    fn schema_version(&self) -> Result<Option<i64>> {
        let context = "reading schema version";
        let mut client = self.client.borrow_mut();
        let exists: bool = client
            .query_one("SELECT to_regclass('kwm_schema') IS NOT NULL", &[])
            .map_err(pg(context))?
            .try_get(0)
            .map_err(pg(context))?;
        if !exists {
            return Ok(None);
        }
        let row = client
            .query_opt("SELECT version FROM kwm_schema", &[])
            .map_err(pg(context))?;
        Ok(Some(match row {
            Some(r) => i64::from(get::<i32>(&r, 0, context)?),
            None => 0,
        }))
    }

    fn migrate(&mut self) -> Result<()> {
        let supported = MIGRATIONS.len() as i64;
        // Checked first without the lock, so opening an up-to-date store never waits for a
        // running load.
        match self.schema_version()? {
            Some(v) if v == supported => return Ok(()),
            Some(found) if found > supported => {
                return Err(StoreError::TooNew { found, supported })
            }
            _ => {}
        }
        let mut tx = Write::begin(self, "starting migration")?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS kwm_schema (version INTEGER NOT NULL)")
            .map_err(pg("creating the schema version table"))?;
        // Read again under the lock: another process may have migrated meanwhile.
        let version = match tx
            .query_opt("SELECT version FROM kwm_schema", &[])
            .map_err(pg("reading schema version"))?
        {
            Some(r) => i64::from(get::<i32>(&r, 0, "reading schema version")?),
            None => 0,
        };
        if version > supported {
            return Err(StoreError::TooNew {
                found: version,
                supported,
            });
        }
        if version < supported {
            for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.batch_execute(&migration.sql(Dialect::Postgres))
                    .map_err(pg(&format!("applying migration {}", i + 1)))?;
            }
            tx.execute("DELETE FROM kwm_schema", &[])
                .map_err(pg("recording schema version"))?;
            tx.execute(
                "INSERT INTO kwm_schema (version) VALUES ($1)",
                &[&(supported as i32)],
            )
            .map_err(pg("recording schema version"))?;
        }
        tx.commit().map_err(pg("committing migrations"))
    }

    /// The connection, for a write transaction.
    pub(crate) fn client_mut(&mut self) -> &mut Client {
        self.client.get_mut()
    }

    /// Runs a read query through this connection's statement cache.
    pub(crate) fn rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        context: &str,
    ) -> Result<Vec<Row>> {
        let mut client = self.client.borrow_mut();
        let cached = self.statements.borrow().get(sql).cloned();
        let statement = match cached {
            Some(s) => s,
            None => {
                let s = client.prepare(sql).map_err(pg(context))?;
                self.statements
                    .borrow_mut()
                    .insert(sql.to_string(), s.clone());
                s
            }
        };
        client.query(&statement, params).map_err(pg(context))
    }
}

/// Waits for (and then holds, until the transaction ends) the single writer's lock.
fn lock_writers(tx: &mut impl GenericClient) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .map_err(pg("waiting for other writers"))?;
    Ok(())
}

/// A write (see [`Tx`]): its own transaction holds the writers' lock until it ends; inside
/// `Store::write_all` the outer transaction holds it.
pub(crate) struct Write<'a> {
    tx: Tx<&'a mut Client>,
    /// The connection's prepared statements (they outlive transactions).
    statements: &'a RefCell<HashMap<String, Statement>>,
}

impl<'a> Write<'a> {
    pub(crate) fn begin(store: &'a mut PgStore, context: &str) -> Result<Write<'a>> {
        let outer = !store.in_write_all;
        let mut tx = Tx::begin(store.client.get_mut(), outer, "BEGIN").map_err(pg(context))?;
        if tx.is_outer() {
            lock_writers(&mut *tx)?;
        }
        Ok(Write {
            tx,
            statements: &store.statements,
        })
    }

    pub(crate) fn commit(self) -> std::result::Result<(), postgres::Error> {
        self.tx.commit()
    }
}

impl Write<'_> {
    /// A `?N` statement, prepared once per connection.
    fn prepared(&mut self, sql: &str, context: &str) -> Result<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(&dollar(sql)).map_err(pg(context))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

impl Execute for Write<'_> {
    type Row<'r> = PgRow<'r>;

    fn exec(&mut self, sql: &str, params: &[&dyn Param], context: &str) -> Result<u64> {
        let statement = self.prepared(sql, context)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.pg()).collect();
        self.tx.execute(&statement, &params).map_err(pg(context))
    }

    fn rows<T>(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        context: &str,
        mut record: impl FnMut(&PgRow<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let statement = self.prepared(sql, context)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.pg()).collect();
        self.tx
            .query(&statement, &params)
            .map_err(pg(context))?
            .iter()
            .map(|row| record(&PgRow { row, context }))
            .collect()
    }

    fn finish(self, context: &str) -> Result<()> {
        self.commit().map_err(pg(context))
    }
}

impl Writes for PgStore {
    type Write<'w> = Write<'w>;

    fn write(&mut self, context: &str) -> Result<Write<'_>> {
        Write::begin(self, context)
    }
}

impl std::ops::Deref for Write<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.tx
    }
}

impl std::ops::DerefMut for Write<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.tx
    }
}

/// A PostgreSQL result row, read through [`Columns`].
pub(crate) struct PgRow<'a> {
    row: &'a Row,
    context: &'a str,
}

impl Columns for PgRow<'_> {
    fn get<T: Value>(&self, i: usize) -> Result<T> {
        self.row.try_get(i).map_err(pg(self.context))
    }
}

impl Query for PgStore {
    type Row<'r> = PgRow<'r>;

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn records<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        context: &str,
        mut record: impl FnMut(&PgRow<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.pg()).collect();
        self.rows(&dollar(sql), &params, context)?
            .iter()
            .map(|row| record(&PgRow { row, context }))
            .collect()
    }
}

/// Region rows of a file with one row per key, as SQLite's row-by-row upserts would leave them
/// (a later name or parent wins, a missing one keeps the earlier).
fn merge_regions(regions: &[IngestRegion]) -> Vec<(&RegionCode, i32, Option<&str>, Option<&str>)> {
    let mut index: HashMap<(&str, i32), usize> = HashMap::new();
    let mut merged: Vec<(&RegionCode, i32, Option<&str>, Option<&str>)> = Vec::new();
    for r in regions {
        let name = r.name.as_deref();
        let parent = r.parent.as_ref().map(|p| p.as_str());
        match index.entry((r.code.as_str(), r.layout)) {
            Entry::Occupied(e) => {
                let m = &mut merged[*e.get()];
                m.2 = name.or(m.2);
                m.3 = parent.or(m.3);
            }
            Entry::Vacant(e) => {
                e.insert(merged.len());
                merged.push((&r.code, r.layout, name, parent));
            }
        }
    }
    merged
}

/// One item per key, the last occurrence winning (what SQLite's row-by-row upserts leave).
fn last_per_key<'a, T, K: std::hash::Hash + Eq>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> Vec<&'a T> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut kept: Vec<&T> = Vec::new();
    for item in items {
        match index.entry(key(item)) {
            Entry::Occupied(e) => kept[*e.get()] = item,
            Entry::Vacant(e) => {
                e.insert(kept.len());
                kept.push(item);
            }
        }
    }
    kept
}

/// The statements of a load, prepared once per `apply_loads` call.
struct LoadStatements {
    regions: Statement,
    boundaries: Statement,
    figures: Statement,
    count: Statement,
    recount: Statement,
}

impl LoadStatements {
    fn prepare(tx: &mut Client) -> Result<LoadStatements> {
        let context = "preparing load statements";
        let mut prepare = |sql: &str| tx.prepare(sql).map_err(pg(context));
        Ok(LoadStatements {
            regions: prepare(
                "INSERT INTO regions (code, layout, level, name, parent)
                 SELECT * FROM UNNEST($1::text[], $2::int4[], $3::text[], $4::text[], $5::text[])
                 ON CONFLICT (code, layout) DO UPDATE SET name = COALESCE(excluded.name, regions.name),
                   parent = COALESCE(excluded.parent, regions.parent)
                 WHERE (excluded.name IS NOT NULL AND excluded.name IS DISTINCT FROM regions.name)
                    OR (excluded.parent IS NOT NULL AND excluded.parent IS DISTINCT FROM regions.parent)",
            )?,
            boundaries: prepare(
                "INSERT INTO boundaries (code, layout, level, geometry, load_id)
                 SELECT k.*, $5::bigint FROM UNNEST($1::text[], $2::int4[], $3::text[], $4::text[]) AS k
                 ON CONFLICT (code, layout) DO UPDATE SET geometry = excluded.geometry, load_id = excluded.load_id",
            )?,
            figures: prepare(&format!(
                "INSERT INTO figures (series, period, region, value, lower, upper, n, status, load_id)
                 SELECT k.*, $9::bigint FROM UNNEST($1::int4[], $2::int4[], $3::int4[], $4::float8[],
                   $5::float8[], $6::float8[], $7::float8[], $8::int2[]) AS k {}",
                figures::ON_CONFLICT
            ))?,
            count: prepare(&dollar(figures::COUNT))?,
            recount: prepare(&dollar(figures::RECOUNT))?,
        })
    }
}

fn store_regions(
    tx: &mut Client,
    s: &LoadStatements,
    regions: &[IngestRegion],
    context: &str,
) -> Result<()> {
    let merged = merge_regions(regions);
    for chunk in merged.chunks(CHUNK) {
        let codes: Vec<&str> = chunk.iter().map(|r| r.0.as_str()).collect();
        let layouts: Vec<i32> = chunk.iter().map(|r| r.1).collect();
        let levels: Vec<&str> = chunk.iter().map(|r| r.0.level().as_str()).collect();
        let names: Vec<Option<&str>> = chunk.iter().map(|r| r.2).collect();
        let parents: Vec<Option<&str>> = chunk.iter().map(|r| r.3).collect();
        tx.execute(&s.regions, &[&codes, &layouts, &levels, &names, &parents])
            .map_err(pg(context))?;
    }
    Ok(())
}

fn store_boundaries(
    tx: &mut Client,
    s: &LoadStatements,
    boundaries: &[Boundary],
    load_id: i64,
    context: &str,
) -> Result<()> {
    let kept = last_per_key(boundaries, |b| (b.code.as_str(), b.layout));
    for chunk in kept.chunks(BOUNDARY_CHUNK) {
        let codes: Vec<&str> = chunk.iter().map(|b| b.code.as_str()).collect();
        let layouts: Vec<i32> = chunk.iter().map(|b| b.layout).collect();
        let levels: Vec<&str> = chunk.iter().map(|b| b.code.level().as_str()).collect();
        let geometries: Vec<String> = chunk
            .iter()
            .map(|b| region_sql::geometry_to_text(&b.geometry))
            .collect();
        tx.execute(
            &s.boundaries,
            &[&codes, &layouts, &levels, &geometries, &load_id],
        )
        .map_err(pg(context))?;
    }
    Ok(())
}

/// The integer keys of series and regions, added when new, remembered for one write.
#[derive(Default)]
pub(crate) struct Keys {
    series: HashMap<(String, Level, String), i32>,
    regions: HashMap<String, i32>,
}

impl Keys {
    /// The id of a series, added if new.
    pub(crate) fn series(
        &mut self,
        tx: &mut Client,
        indicator: &str,
        level: Level,
        breakdown: &str,
        context: &str,
    ) -> Result<i32> {
        let key = (indicator.to_string(), level, breakdown.to_string());
        if let Some(&id) = self.series.get(&key) {
            return Ok(id);
        }
        let p: [&(dyn ToSql + Sync); 3] = [&indicator, &level.as_str(), &breakdown];
        tx.execute(&dollar(figures::ADD_SERIES), &p)
            .map_err(pg(context))?;
        let id = get(
            &tx.query_one(&dollar(figures::SERIES_ID), &p)
                .map_err(pg(context))?,
            0,
            context,
        )?;
        self.series.insert(key, id);
        Ok(id)
    }

    /// The id of a region, added if new.
    pub(crate) fn region(
        &mut self,
        tx: &mut Client,
        code: &RegionCode,
        context: &str,
    ) -> Result<i32> {
        if let Some(&id) = self.regions.get(code.as_str()) {
            return Ok(id);
        }
        tx.execute(
            &dollar(figures::ADD_REGION),
            &[&code.as_str(), &code.level().as_str()],
        )
        .map_err(pg(context))?;
        let id = get(
            &tx.query_one(&dollar(figures::REGION_ID), &[&code.as_str()])
                .map_err(pg(context))?,
            0,
            context,
        )?;
        self.regions.insert(code.as_str().to_string(), id);
        Ok(id)
    }
}

/// Stores a file's figures under their integer keys (adding new series and regions), then
/// recounts the series and periods it wrote to; returns how many keys were new.
fn store_observations(
    tx: &mut Client,
    s: &LoadStatements,
    observations: &[Observation],
    load_id: i64,
    context: &str,
) -> Result<usize> {
    let kept = last_per_key(observations, |o| {
        (
            o.indicator.as_str(),
            o.region.as_str(),
            o.period.year(),
            o.breakdown.as_str(),
        )
    });
    let mut keys = Keys::default();
    let mut ids: Vec<(i32, i32)> = Vec::with_capacity(kept.len());
    for o in &kept {
        let series = keys.series(
            tx,
            o.indicator.as_str(),
            o.region.level(),
            &o.breakdown,
            context,
        )?;
        let region = keys.region(tx, &o.region, context)?;
        ids.push((series, region));
    }
    let mut touched: Vec<(i32, i32)> = kept
        .iter()
        .zip(&ids)
        .map(|(o, (series, _))| (*series, o.period.year()))
        .collect();
    touched.sort_unstable();
    touched.dedup();
    let mut before = 0i64;
    for (series, period) in &touched {
        before += get::<i64>(
            &tx.query_one(&s.count, &[series, period])
                .map_err(pg(context))?,
            0,
            context,
        )?;
    }
    for (chunk, chunk_ids) in kept.chunks(CHUNK).zip(ids.chunks(CHUNK)) {
        let series_ids: Vec<i32> = chunk_ids.iter().map(|(s, _)| *s).collect();
        let periods: Vec<i32> = chunk.iter().map(|o| o.period.year()).collect();
        let region_ids: Vec<i32> = chunk_ids.iter().map(|(_, r)| *r).collect();
        let values: Vec<Option<f64>> = chunk.iter().map(|o| o.value).collect();
        let lowers: Vec<Option<f64>> = chunk.iter().map(|o| o.lower).collect();
        let uppers: Vec<Option<f64>> = chunk.iter().map(|o| o.upper).collect();
        let ns: Vec<Option<f64>> = chunk.iter().map(|o| o.n).collect();
        let statuses: Vec<i16> = chunk
            .iter()
            .map(|o| figures::status_code(o.status))
            .collect();
        tx.execute(
            &s.figures,
            &[
                &series_ids,
                &periods,
                &region_ids,
                &values,
                &lowers,
                &uppers,
                &ns,
                &statuses,
                &load_id,
            ],
        )
        .map_err(pg(context))?;
    }
    let mut after = 0i64;
    for (series, period) in &touched {
        tx.execute(&s.recount, &[series, period])
            .map_err(pg(context))?;
        after += get::<i64>(
            &tx.query_one(&s.count, &[series, period])
                .map_err(pg(context))?,
            0,
            context,
        )?;
    }
    Ok((after - before) as usize)
}

impl crate::row::Pooled for PgStore {
    fn open_reader(target: &str) -> Result<Self> {
        PgStore::connect_reader(target)
    }

    /// Not closed, and, when it sat idle long enough for a server restart or a network drop to
    /// have happened, answering.
    fn is_usable(&mut self, idle: Duration) -> bool {
        let client = self.client.get_mut();
        if client.is_closed() {
            return false;
        }
        idle < Duration::from_secs(10) || client.is_valid(Duration::from_secs(2)).is_ok()
    }

    fn begin_snapshot(&self) -> Result<()> {
        // One snapshot for all statements of the read, and a guarantee it writes nothing.
        self.client
            .borrow_mut()
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(pg("starting a read snapshot"))
    }

    fn end_snapshot(&self) -> Result<()> {
        self.client
            .borrow_mut()
            .batch_execute("COMMIT")
            .map_err(pg("ending a read snapshot"))
    }
}

/// A load on PostgreSQL: regions, boundaries and figures a chunk at a time (`UNNEST`), through
/// statements prepared once per `apply_loads`.
struct PgLoad<'a> {
    tx: Write<'a>,
    statements: LoadStatements,
}

impl<'a> load_sql::BulkLoad for PgLoad<'a> {
    type Tx = Write<'a>;

    fn tx(&mut self) -> &mut Write<'a> {
        &mut self.tx
    }

    fn store_rows(&mut self, batch: &LoadBatch, load_id: i64, context: &str) -> Result<usize> {
        let (tx, s) = (&mut self.tx, &self.statements);
        store_regions(tx, s, &batch.regions, context)?;
        store_boundaries(tx, s, &batch.boundaries, load_id, context)?;
        store_observations(tx, s, &batch.observations, load_id, context)
    }
}

impl Store for PgStore {
    written_once!();

    fn create_token(
        &mut self,
        name: &str,
        role: &str,
        hash: &str,
        created_at: &str,
    ) -> Result<i64> {
        let context = "storing a token";
        let row = self
            .client_mut()
            .query_one(
                &dollar(access::INSERT_TOKEN),
                &[&name, &role, &hash, &created_at],
            )
            .map_err(pg(context))?;
        get(&row, 0, context)
    }

    fn revoke_token(&mut self, id: i64, revoked_at: &str) -> Result<bool> {
        let n = self
            .client_mut()
            .execute(&dollar(access::REVOKE_TOKEN), &[&id, &revoked_at])
            .map_err(pg("revoking a token"))?;
        Ok(n == 1)
    }

    fn append_audit(&mut self, e: &crate::AuditEntry) -> Result<()> {
        self.client_mut()
            .execute(
                &dollar(access::APPEND_AUDIT),
                &[&e.at, &e.actor, &e.via, &e.action, &e.subject, &e.origin],
            )
            .map_err(pg("appending to the audit log"))?;
        Ok(())
    }

    fn write_all(&mut self, work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()> {
        if self.in_write_all {
            // Already one transaction: the work's writes become savepoints of it.
            return work(self);
        }
        let client = self.client.get_mut();
        client
            .batch_execute("BEGIN")
            .map_err(pg("starting a write"))?;
        if let Err(e) = lock_writers(client) {
            let _ = client.batch_execute("ROLLBACK");
            return Err(e);
        }
        // The store's own writes inside become savepoints of this transaction (see `Write`).
        self.in_write_all = true;
        // A panic in the work rolls back too, then goes on (see the SQLite backend).
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut *self)));
        self.in_write_all = false;
        let client = self.client.get_mut();
        match result {
            Ok(Ok(())) => client.batch_execute("COMMIT").map_err(pg("committing")),
            Ok(Err(e)) => {
                let _ = client.batch_execute("ROLLBACK");
                Err(e)
            }
            Err(panic) => {
                let _ = client.batch_execute("ROLLBACK");
                std::panic::resume_unwind(panic)
            }
        }
    }

    fn apply_loads(&mut self, batches: &[LoadBatch], loaded_at: &str) -> Result<Vec<LoadOutcome>> {
        let mut tx = Write::begin(self, "starting load transaction")?;
        let statements = LoadStatements::prepare(&mut tx)?;
        let mut load = PgLoad { tx, statements };
        let outcomes = load_sql::apply_loads(&mut load, batches, loaded_at)?;
        load.tx.commit().map_err(pg("committing load"))?;
        Ok(outcomes)
    }

    fn save_figure_ranks(&mut self, ranks: &[FigureRanks]) -> Result<()> {
        let context = "storing ranks";
        let mut tx = Write::begin(self, context)?;
        let series_id = tx
            .prepare(&dollar(figures::SERIES_ID))
            .map_err(pg(context))?;
        let delete = tx
            .prepare(&dollar(figures::DELETE_RANKS))
            .map_err(pg(context))?;
        let stats = tx
            .prepare(&dollar(figures::SAVE_STATS))
            .map_err(pg(context))?;
        let insert = tx
            .prepare(
                "INSERT INTO figure_ranks (series, period, region, rank, percentile, class)
                 SELECT $1::int4, $2::int4, r.id, k.rank, k.percentile, k.class
                 FROM UNNEST($3::text[], $4::int8[], $5::float8[], $6::int2[])
                   AS k(code, rank, percentile, class)
                 JOIN figure_regions r ON r.code = k.code",
            )
            .map_err(pg(context))?;
        for r in ranks {
            let series: i32 = get(
                &tx.query_one(&series_id, &[&r.indicator, &r.level.as_str(), &""])
                    .map_err(pg(&format!("{context}: series of {}", r.indicator)))?,
                0,
                context,
            )?;
            tx.execute(&delete, &[&series, &r.period])
                .map_err(pg(context))?;
            tx.execute(&stats, &[&series, &r.period, &r.basis, &(r.ranked as i32)])
                .map_err(pg(context))?;
            for chunk in r.rows.chunks(CHUNK) {
                let codes: Vec<&str> = chunk.iter().map(|x| x.region.as_str()).collect();
                let rank: Vec<Option<i64>> = chunk.iter().map(|x| x.rank).collect();
                let percentile: Vec<Option<f64>> = chunk.iter().map(|x| x.percentile).collect();
                let class: Vec<Option<i16>> =
                    chunk.iter().map(|x| x.class.map(|c| c as i16)).collect();
                tx.execute(
                    &insert,
                    &[&series, &r.period, &codes, &rank, &percentile, &class],
                )
                .map_err(pg(context))?;
            }
        }
        tx.commit().map_err(pg(context))
    }

    fn replace_harmonised(
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
            &dollar(time_sql::UPSERT_HARMONISATION),
            &[
                &run.target_layout,
                &run.signature,
                &run.created_at,
                &(rows.len() as i64),
                &time_sql::json(&run.notes),
            ],
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
        for (chunk, chunk_ids) in rows.chunks(CHUNK).zip(ids.chunks(CHUNK)) {
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

    fn save_risk_run(&mut self, run: &RiskRun) -> Result<i64> {
        let r = &run.run;
        let context = format!("storing risk results for {} {}", r.level, r.period);
        let mut tx = Write::begin(self, &context)?;
        tx.execute(
            &dollar(risk_sql::DELETE_RUN),
            &[&r.level.as_str(), &r.period],
        )
        .map_err(pg(&context))?;
        // max + 1 under the writers' lock, as for loads: the same ids SQLite assigns.
        let run_id: i64 = tx
            .query_one(
                "INSERT INTO risk_runs (id, level, period, layout, catalogue_version, fingerprint, parameters, summary, computed_at)
                 VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM risk_runs), $1, $2, $3, $4, $5, $6, $7, $8)
                 RETURNING id",
                &[
                    &r.level.as_str(),
                    &r.period,
                    &r.layout,
                    &r.catalogue_version,
                    &r.fingerprint,
                    &r.parameters,
                    &r.summary,
                    &r.computed_at,
                ],
            )
            .and_then(|row| row.try_get(0))
            .map_err(pg(&context))?;
        let region_stmt = tx
            .prepare(&dollar(risk_sql::INSERT_REGION))
            .map_err(pg(&context))?;
        let method_stmt = tx
            .prepare(
                "INSERT INTO risk_method_ranks (run_id, region, ord, method, score, rank)
                 SELECT $1, $2, * FROM UNNEST($3::INTEGER[], $4::TEXT[], $5::DOUBLE PRECISION[], $6::BIGINT[])",
            )
            .map_err(pg(&context))?;
        // Factor and theme rows go in one UNNEST statement per region: ~24 rows a region.
        let factor_stmt = tx
            .prepare(
                "INSERT INTO risk_factor_scores (run_id, region, ord, factor, score, rank, ranked, percentile, flagged, trace)
                 SELECT $1, $2, * FROM UNNEST($3::INTEGER[], $4::TEXT[], $5::DOUBLE PRECISION[], $6::BIGINT[], $7::BIGINT[], $8::DOUBLE PRECISION[], $9::BOOLEAN[], $10::TEXT[])",
            )
            .map_err(pg(&context))?;
        let theme_stmt = tx
            .prepare(
                "INSERT INTO risk_theme_exposure (run_id, region, ord, theme, exposure, rank, ranked, coverage, flagged_weight, drivers)
                 SELECT $1, $2, * FROM UNNEST($3::INTEGER[], $4::TEXT[], $5::DOUBLE PRECISION[], $6::BIGINT[], $7::BIGINT[], $8::DOUBLE PRECISION[], $9::BIGINT[], $10::TEXT[])",
            )
            .map_err(pg(&context))?;
        for g in &run.regions {
            let code = g.region.as_str();
            tx.execute(
                &region_stmt,
                &[
                    &run_id,
                    &code,
                    &g.flagged,
                    &g.with_data,
                    &g.weak_protective,
                    &g.protective_with_data,
                    &g.composite,
                    &g.composite_rank,
                    &g.composite_percentile,
                    &g.rank_median,
                    &g.rank_lower,
                    &g.rank_upper,
                ],
            )
            .map_err(pg(&context))?;
            let ord: Vec<i32> = (0..g.method_ranks.len() as i32).collect();
            let method: Vec<&str> = g.method_ranks.iter().map(|m| m.method.as_str()).collect();
            let score: Vec<Option<f64>> = g.method_ranks.iter().map(|m| m.score).collect();
            let rank: Vec<Option<i64>> = g.method_ranks.iter().map(|m| m.rank).collect();
            tx.execute(
                &method_stmt,
                &[&run_id, &code, &ord, &method, &score, &rank],
            )
            .map_err(pg(&context))?;
            let ord: Vec<i32> = (0..g.factors.len() as i32).collect();
            let factor: Vec<&str> = g.factors.iter().map(|f| f.factor.as_str()).collect();
            let score: Vec<Option<f64>> = g.factors.iter().map(|f| f.score).collect();
            let rank: Vec<Option<i64>> = g.factors.iter().map(|f| f.rank).collect();
            let ranked: Vec<i64> = g.factors.iter().map(|f| f.ranked).collect();
            let percentile: Vec<Option<f64>> = g.factors.iter().map(|f| f.percentile).collect();
            let flagged: Vec<bool> = g.factors.iter().map(|f| f.flagged).collect();
            let trace: Vec<&str> = g.factors.iter().map(|f| f.trace.as_str()).collect();
            tx.execute(
                &factor_stmt,
                &[
                    &run_id,
                    &code,
                    &ord,
                    &factor,
                    &score,
                    &rank,
                    &ranked,
                    &percentile,
                    &flagged,
                    &trace,
                ],
            )
            .map_err(pg(&context))?;
            let ord: Vec<i32> = (0..g.themes.len() as i32).collect();
            let theme: Vec<&str> = g.themes.iter().map(|t| t.theme.as_str()).collect();
            let exposure: Vec<Option<f64>> = g.themes.iter().map(|t| t.exposure).collect();
            let rank: Vec<Option<i64>> = g.themes.iter().map(|t| t.rank).collect();
            let ranked: Vec<i64> = g.themes.iter().map(|t| t.ranked).collect();
            let coverage: Vec<f64> = g.themes.iter().map(|t| t.coverage).collect();
            let weight: Vec<i64> = g.themes.iter().map(|t| t.flagged_weight).collect();
            let drivers: Vec<&str> = g.themes.iter().map(|t| t.drivers.as_str()).collect();
            tx.execute(
                &theme_stmt,
                &[
                    &run_id, &code, &ord, &theme, &exposure, &rank, &ranked, &coverage, &weight,
                    &drivers,
                ],
            )
            .map_err(pg(&context))?;
        }
        let cluster_stmt = tx
            .prepare(
                "INSERT INTO risk_clusters (run_id, variable, statistic, region, status, value, stat, z, p_sim, quadrant)
                 SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::DOUBLE PRECISION[],
                                          $7::DOUBLE PRECISION[], $8::DOUBLE PRECISION[], $9::DOUBLE PRECISION[], $10::TEXT[])",
            )
            .map_err(pg(&context))?;
        for chunk in run.clusters.chunks(CHUNK) {
            let variable: Vec<&str> = chunk.iter().map(|c| c.variable.as_str()).collect();
            let statistic: Vec<&str> = chunk.iter().map(|c| c.statistic.as_str()).collect();
            let region: Vec<&str> = chunk.iter().map(|c| c.region.as_str()).collect();
            let status: Vec<&str> = chunk.iter().map(|c| c.status.as_str()).collect();
            let value: Vec<Option<f64>> = chunk.iter().map(|c| c.value).collect();
            let stat: Vec<Option<f64>> = chunk.iter().map(|c| c.stat).collect();
            let z: Vec<Option<f64>> = chunk.iter().map(|c| c.z).collect();
            let p_sim: Vec<Option<f64>> = chunk.iter().map(|c| c.p_sim).collect();
            let quadrant: Vec<Option<&str>> = chunk.iter().map(|c| c.quadrant.as_deref()).collect();
            tx.execute(
                &cluster_stmt,
                &[
                    &run_id, &variable, &statistic, &region, &status, &value, &stat, &z, &p_sim,
                    &quadrant,
                ],
            )
            .map_err(pg(&context))?;
        }
        tx.commit().map_err(pg(&context))?;
        Ok(run_id)
    }
}
