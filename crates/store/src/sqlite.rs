use std::path::Path;

use kwm_ingest::LoadBatch;
use kwm_model::{Level, RegionCode};
use rusqlite::{params, Connection, OpenFlags};

use crate::access;
use crate::figures::{self, Migration};
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

/// Schema migrations, applied in order. Never edit a released one: add a new one.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration::Sql(
        r#"
CREATE TABLE loads (
    id           INTEGER PRIMARY KEY,
    file_name    TEXT NOT NULL,
    checksum     TEXT NOT NULL UNIQUE,
    format       TEXT NOT NULL,
    dataset      TEXT NOT NULL,
    title        TEXT NOT NULL,
    publisher    TEXT NOT NULL,
    licence      TEXT NOT NULL,
    loaded_at    TEXT NOT NULL,
    rows         INTEGER NOT NULL,
    observations INTEGER NOT NULL,
    regions      INTEGER NOT NULL,
    boundaries   INTEGER NOT NULL,
    notes        TEXT NOT NULL
);
CREATE TABLE indicators (
    id          TEXT PRIMARY KEY,
    label_nl    TEXT NOT NULL,
    label_en    TEXT NOT NULL,
    unit        TEXT NOT NULL,
    direction   TEXT NOT NULL,
    source      TEXT NOT NULL,
    decimals    INTEGER NOT NULL,
    description TEXT NOT NULL,
    additive    INTEGER NOT NULL,
    curated     INTEGER NOT NULL
);
CREATE TABLE regions (
    code   TEXT NOT NULL,
    layout INTEGER NOT NULL,
    level  TEXT NOT NULL,
    name   TEXT,
    parent TEXT,
    PRIMARY KEY (code, layout)
);
CREATE TABLE boundaries (
    code     TEXT NOT NULL,
    layout   INTEGER NOT NULL,
    level    TEXT NOT NULL,
    geometry TEXT NOT NULL,
    load_id  INTEGER NOT NULL REFERENCES loads(id),
    PRIMARY KEY (code, layout)
);
CREATE TABLE observations (
    indicator TEXT NOT NULL REFERENCES indicators(id),
    region    TEXT NOT NULL,
    level     TEXT NOT NULL,
    period    INTEGER NOT NULL,
    breakdown TEXT NOT NULL,
    value     REAL,
    lower     REAL,
    upper     REAL,
    n         REAL,
    status    TEXT NOT NULL,
    load_id   INTEGER NOT NULL REFERENCES loads(id),
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
-- 2: results of the risk model (stacking), one run per level and period.
CREATE TABLE risk_runs (
    id                INTEGER PRIMARY KEY,
    level             TEXT NOT NULL,
    period            INTEGER NOT NULL,
    layout            INTEGER,
    catalogue_version TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    parameters        TEXT NOT NULL,
    summary           TEXT NOT NULL,
    computed_at       TEXT NOT NULL,
    UNIQUE (level, period)
);
CREATE TABLE risk_regions (
    run_id               INTEGER NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    region               TEXT NOT NULL,
    flagged              INTEGER NOT NULL,
    with_data            INTEGER NOT NULL,
    weak_protective      INTEGER NOT NULL,
    protective_with_data INTEGER NOT NULL,
    composite            REAL,
    composite_rank       INTEGER,
    composite_percentile REAL,
    PRIMARY KEY (run_id, region)
);
CREATE TABLE risk_factor_scores (
    run_id     INTEGER NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    region     TEXT NOT NULL,
    factor     TEXT NOT NULL,
    score      REAL,
    rank       INTEGER,
    ranked     INTEGER NOT NULL,
    percentile REAL,
    flagged    INTEGER NOT NULL,
    trace      TEXT NOT NULL,
    PRIMARY KEY (run_id, region, factor)
);
CREATE TABLE risk_theme_exposure (
    run_id         INTEGER NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    region         TEXT NOT NULL,
    theme          TEXT NOT NULL,
    exposure       REAL,
    rank           INTEGER,
    ranked         INTEGER NOT NULL,
    coverage       REAL NOT NULL,
    flagged_weight INTEGER NOT NULL,
    drivers        TEXT NOT NULL,
    PRIMARY KEY (run_id, region, theme)
);
"#,
    ),
    Migration::Sql(time_sql::MIGRATION_SQLITE),
    Migration::Sql(
        r#"
-- 4: the composite's rank interval (Monte Carlo over method choices), its ranks under the
-- compared methods, and spatial clusters (LISA, G_i*) of the stored results.
ALTER TABLE risk_regions ADD COLUMN rank_median REAL;
ALTER TABLE risk_regions ADD COLUMN rank_lower REAL;
ALTER TABLE risk_regions ADD COLUMN rank_upper REAL;
CREATE TABLE risk_method_ranks (
    run_id INTEGER NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    region TEXT NOT NULL,
    method TEXT NOT NULL,
    score  REAL,
    rank   INTEGER,
    PRIMARY KEY (run_id, region, method)
);
CREATE TABLE risk_clusters (
    run_id    INTEGER NOT NULL REFERENCES risk_runs(id) ON DELETE CASCADE,
    variable  TEXT NOT NULL,
    statistic TEXT NOT NULL,
    region    TEXT NOT NULL,
    status    TEXT NOT NULL,
    value     REAL,
    stat      REAL,
    z         REAL,
    p_sim     REAL,
    quadrant  TEXT,
    PRIMARY KEY (run_id, variable, statistic, region)
);
CREATE INDEX risk_clusters_by_region ON risk_clusters (run_id, region);
"#,
    ),
    Migration::CompactFigures,
    Migration::CompactHarmonised,
    Migration::Sql(crate::access::MIGRATION_ACCESS_SQLITE),
    Migration::Sql(crate::region_sql::INDEXES_MIGRATION),
];

/// A write (see [`Tx`]); its own transaction starts with `BEGIN IMMEDIATE`: the write lock is
/// taken at once, so a second writer waits its turn instead of failing half-way.
pub(crate) type Write<'a> = Tx<&'a Connection>;

/// Starts a write on `conn`: a transaction, or a savepoint inside `Store::write_all`'s.
pub(crate) fn begin_write(conn: &mut Connection) -> rusqlite::Result<Write<'_>> {
    let outer = conn.is_autocommit();
    Tx::begin(&*conn, outer, "BEGIN IMMEDIATE")
}

/// How long a writer waits for another writer's transaction (a national load takes minutes).
const WRITER_WAIT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The schema version whose migration moved figures into the compact layout.
const COMPACT_FIGURES_VERSION: i64 = 5;

/// The embedded SQLite store: one file, no server.
pub struct SqliteStore {
    pub(crate) conn: Connection,
}

pub(crate) fn db(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Database {
        context: context.to_string(),
        source,
    }
}

impl SqliteStore {
    /// Opens (creating if needed) a store file and applies pending migrations.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let conn = Connection::open(path).map_err(db(&format!("opening {}", path.display())))?;
        Self::init(conn)
    }

    /// Opens an existing store read-only (for serving).
    pub fn open_read_only(path: &Path) -> Result<SqliteStore> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db(&format!("opening {} read-only", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db("setting busy timeout"))?;
        // Serving reads the same pages over and over: mapped, they are read from the page
        // cache of the kernel without a copy per read (measured: a fifth of a profile
        // request's time was `read()` copying pages), and the pool's readers share them.
        conn.pragma_update(None, "mmap_size", 1i64 << 30)
            .map_err(db("setting the memory map size"))?;
        let store = SqliteStore { conn };
        let version = store.schema_version()?;
        if version > MIGRATIONS.len() as i64 {
            return Err(StoreError::TooNew {
                found: version,
                supported: MIGRATIONS.len() as i64,
            });
        }
        Ok(store)
    }

    /// An in-memory store (tests).
    pub fn open_in_memory() -> Result<SqliteStore> {
        Self::init(Connection::open_in_memory().map_err(db("opening in-memory store"))?)
    }

    fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db("reading schema version"))
    }

    fn init(conn: Connection) -> Result<SqliteStore> {
        conn.busy_timeout(WRITER_WAIT)
            .map_err(db("setting busy timeout"))?;
        // WAL: readers read a snapshot and never wait for a load, a load never waits for
        // readers; NORMAL sync is durable against crashes of the program (a power cut may
        // lose the last commit, never half of one).
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        )
        .map_err(db("setting up the connection"))?;
        let mut store = SqliteStore { conn };
        let version = store.schema_version()?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::TooNew {
                found: version,
                supported,
            });
        }
        if version < supported {
            let tx = store
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db("starting migration"))?;
            for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.execute_batch(&migration.sql(Dialect::Sqlite))
                    .map_err(db(&format!("applying migration {}", i + 1)))?;
            }
            tx.pragma_update(None, "user_version", supported)
                .map_err(db("recording schema version"))?;
            tx.commit().map_err(db("committing migrations"))?;
            if version > 0 && version < COMPACT_FIGURES_VERSION {
                // The figures moved to a table a fifth of the size: give the space back.
                store
                    .conn
                    .execute_batch("VACUUM")
                    .map_err(db("compacting the migrated store"))?;
            }
        }
        Ok(store)
    }
}

/// A SQLite result row, read through [`Columns`].
pub(crate) struct SqliteRow<'a> {
    row: &'a rusqlite::Row<'a>,
    context: &'a str,
}

impl Columns for SqliteRow<'_> {
    fn get<T: Value>(&self, i: usize) -> Result<T> {
        self.row.get(i).map_err(db(self.context))
    }
}

/// The rows of a `?N` statement on `conn`, each made a record by `record`.
fn records<T>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn Param],
    context: &str,
    mut record: impl FnMut(&SqliteRow<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db(context))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(
            params.iter().map(|p| p.sqlite()),
        ))
        .map_err(db(context))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db(context))? {
        out.push(record(&SqliteRow { row, context })?);
    }
    Ok(out)
}

impl Execute for Write<'_> {
    type Row<'r> = SqliteRow<'r>;

    fn exec(&mut self, sql: &str, params: &[&dyn Param], context: &str) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(db(context))?;
        let n = stmt
            .execute(rusqlite::params_from_iter(
                params.iter().map(|p| p.sqlite()),
            ))
            .map_err(db(context))?;
        Ok(n as u64)
    }

    fn rows<T>(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        context: &str,
        record: impl FnMut(&SqliteRow<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        records(self.conn, sql, params, context, record)
    }

    fn finish(self, context: &str) -> Result<()> {
        self.commit().map_err(db(context))
    }
}

impl Writes for SqliteStore {
    type Write<'w> = Write<'w>;

    fn write(&mut self, context: &str) -> Result<Write<'_>> {
        begin_write(&mut self.conn).map_err(db(context))
    }
}

impl Query for SqliteStore {
    type Row<'r> = SqliteRow<'r>;

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn records<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        context: &str,
        record: impl FnMut(&SqliteRow<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        records(&self.conn, sql, params, context, record)
    }
}

impl SqliteStore {}

/// The integer keys of series and regions, added when new, remembered for one write.
#[derive(Default)]
pub(crate) struct Keys {
    series: std::collections::HashMap<(String, Level, String), i64>,
    regions: std::collections::HashMap<String, i64>,
}

impl Keys {
    /// The id of a series, added if new.
    pub(crate) fn series(
        &mut self,
        tx: &Connection,
        indicator: &str,
        level: Level,
        breakdown: &str,
        context: &str,
    ) -> Result<i64> {
        if let Some(&id) = self
            .series
            .get(&(indicator.to_string(), level, breakdown.to_string()))
        {
            return Ok(id);
        }
        let p = params![indicator, level.as_str(), breakdown];
        tx.prepare_cached(figures::ADD_SERIES)
            .and_then(|mut s| s.execute(p))
            .map_err(db(context))?;
        let id: i64 = tx
            .prepare_cached(figures::SERIES_ID)
            .and_then(|mut s| s.query_row(p, |r| r.get(0)))
            .map_err(db(context))?;
        self.series
            .insert((indicator.to_string(), level, breakdown.to_string()), id);
        Ok(id)
    }

    /// The id of a region, added if new.
    pub(crate) fn region(
        &mut self,
        tx: &Connection,
        code: &RegionCode,
        context: &str,
    ) -> Result<i64> {
        if let Some(&id) = self.regions.get(code.as_str()) {
            return Ok(id);
        }
        tx.prepare_cached(figures::ADD_REGION)
            .and_then(|mut s| s.execute(params![code.as_str(), code.level().as_str()]))
            .map_err(db(context))?;
        let id: i64 = tx
            .prepare_cached(figures::REGION_ID)
            .and_then(|mut s| s.query_row([code.as_str()], |r| r.get(0)))
            .map_err(db(context))?;
        self.regions.insert(code.as_str().to_string(), id);
        Ok(id)
    }
}

/// Stores a file's figures under their integer keys (adding new series and regions), then
/// recounts the series and periods it wrote to. Returns how many keys were new.
fn store_figures(
    tx: &Connection,
    observations: &[kwm_model::Observation],
    load_id: i64,
    context: &str,
) -> Result<usize> {
    let mut keys = Keys::default();
    let mut touched: Vec<(i64, i32)> = Vec::new();
    let mut insert = tx
        .prepare_cached(&format!(
            "INSERT INTO figures (series, period, region, value, lower, upper, n, status, load_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) {}",
            figures::ON_CONFLICT
        ))
        .map_err(db(context))?;
    for o in observations {
        let s = keys.series(
            tx,
            o.indicator.as_str(),
            o.region.level(),
            &o.breakdown,
            context,
        )?;
        let r = keys.region(tx, &o.region, context)?;
        let period = o.period.year();
        if touched.last() != Some(&(s, period)) {
            touched.push((s, period));
        }
        insert
            .execute(params![
                s,
                period,
                r,
                o.value,
                o.lower,
                o.upper,
                o.n,
                figures::status_code(o.status),
                load_id
            ])
            .map_err(db(context))?;
    }
    touched.sort_unstable();
    touched.dedup();
    let mut count = tx.prepare_cached(figures::COUNT).map_err(db(context))?;
    let mut recount = tx.prepare_cached(figures::RECOUNT).map_err(db(context))?;
    let (mut before, mut after) = (0i64, 0i64);
    for (s, period) in touched {
        // The count before this file is the stored one; the recount after it includes it.
        before += count
            .query_row(params![s, period], |r| r.get::<_, i64>(0))
            .map_err(db(context))?;
        recount.execute(params![s, period]).map_err(db(context))?;
        after += count
            .query_row(params![s, period], |r| r.get::<_, i64>(0))
            .map_err(db(context))?;
    }
    Ok((after - before) as usize)
}

/// A load on SQLite: regions and boundaries row by row through cached statements (no round
/// trips to save), figures through [`store_figures`].
struct SqliteLoad<'a> {
    tx: Write<'a>,
}

impl<'a> load_sql::BulkLoad for SqliteLoad<'a> {
    type Tx = Write<'a>;

    fn tx(&mut self) -> &mut Write<'a> {
        &mut self.tx
    }

    fn store_rows(&mut self, batch: &LoadBatch, load_id: i64, context: &str) -> Result<usize> {
        let tx = &self.tx;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO regions (code, layout, level, name, parent) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(code, layout) DO UPDATE SET name = COALESCE(excluded.name, regions.name),
                       parent = COALESCE(excluded.parent, regions.parent)",
                )
                .map_err(db(context))?;
            for r in &batch.regions {
                stmt.execute(params![
                    r.code.as_str(),
                    r.layout,
                    r.code.level().as_str(),
                    r.name,
                    r.parent.as_ref().map(|p| p.as_str())
                ])
                .map_err(db(context))?;
            }
        }
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO boundaries (code, layout, level, geometry, load_id) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(code, layout) DO UPDATE SET geometry = excluded.geometry, load_id = excluded.load_id",
                )
                .map_err(db(context))?;
            for b in &batch.boundaries {
                stmt.execute(params![
                    b.code.as_str(),
                    b.layout,
                    b.code.level().as_str(),
                    region_sql::geometry_to_text(&b.geometry),
                    load_id
                ])
                .map_err(db(context))?;
            }
        }
        store_figures(tx, &batch.observations, load_id, context)
    }
}

impl Store for SqliteStore {
    written_once!();

    fn create_token(
        &mut self,
        name: &str,
        role: &str,
        hash: &str,
        created_at: &str,
    ) -> Result<i64> {
        let context = "storing a token";
        let tx = begin_write(&mut self.conn).map_err(db(context))?;
        let id = tx
            .query_row(
                access::INSERT_TOKEN,
                params![name, role, hash, created_at],
                |r| r.get(0),
            )
            .map_err(db(context))?;
        tx.commit().map_err(db(context))?;
        Ok(id)
    }

    fn revoke_token(&mut self, id: i64, revoked_at: &str) -> Result<bool> {
        let context = "revoking a token";
        let tx = begin_write(&mut self.conn).map_err(db(context))?;
        let n = tx
            .execute(access::REVOKE_TOKEN, params![id, revoked_at])
            .map_err(db(context))?;
        tx.commit().map_err(db(context))?;
        Ok(n == 1)
    }

    fn append_audit(&mut self, e: &crate::AuditEntry) -> Result<()> {
        let context = "appending to the audit log";
        let tx = begin_write(&mut self.conn).map_err(db(context))?;
        tx.execute(
            access::APPEND_AUDIT,
            params![e.at, e.actor, e.via, e.action, e.subject, e.origin],
        )
        .map_err(db(context))?;
        tx.commit().map_err(db(context))
    }

    fn write_all(&mut self, work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(db("starting a write"))?;
        // The store's own writes inside become savepoints of this transaction (see `Write`).
        // A panic in the work rolls back too, then goes on: the connection may serve again
        // (a server's pooled store), and must not stay inside a half-done write.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut *self)));
        match result {
            Ok(Ok(())) => self.conn.execute_batch("COMMIT").map_err(db("committing")),
            Ok(Err(e)) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
            Err(panic) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                std::panic::resume_unwind(panic)
            }
        }
    }

    fn apply_loads(&mut self, batches: &[LoadBatch], loaded_at: &str) -> Result<Vec<LoadOutcome>> {
        let mut load = SqliteLoad {
            tx: begin_write(&mut self.conn).map_err(db("starting load transaction"))?,
        };
        let outcomes = load_sql::apply_loads(&mut load, batches, loaded_at)?;
        load.tx.commit().map_err(db("committing load"))?;
        Ok(outcomes)
    }

    fn save_figure_ranks(&mut self, ranks: &[FigureRanks]) -> Result<()> {
        let context = "storing ranks";
        let tx = begin_write(&mut self.conn).map_err(db(context))?;
        {
            let mut series_id = tx.prepare_cached(figures::SERIES_ID).map_err(db(context))?;
            let mut region_id = tx.prepare_cached(figures::REGION_ID).map_err(db(context))?;
            let mut delete = tx
                .prepare_cached(figures::DELETE_RANKS)
                .map_err(db(context))?;
            let mut stats = tx
                .prepare_cached(figures::SAVE_STATS)
                .map_err(db(context))?;
            let mut rank = tx.prepare_cached(figures::SAVE_RANK).map_err(db(context))?;
            let mut regions: std::collections::HashMap<String, i64> =
                std::collections::HashMap::new();
            for r in ranks {
                let series: i64 = series_id
                    .query_row(params![r.indicator, r.level.as_str(), ""], |row| row.get(0))
                    .map_err(db(&format!("{context}: series of {}", r.indicator)))?;
                delete
                    .execute(params![series, r.period])
                    .map_err(db(context))?;
                stats
                    .execute(params![series, r.period, r.basis, r.ranked])
                    .map_err(db(context))?;
                for row in &r.rows {
                    let region = match regions.get(row.region.as_str()) {
                        Some(&id) => id,
                        None => {
                            let id: i64 = region_id
                                .query_row([row.region.as_str()], |x| x.get(0))
                                .map_err(db(&format!("{context}: region {}", row.region)))?;
                            regions.insert(row.region.as_str().to_string(), id);
                            id
                        }
                    };
                    rank.execute(params![
                        series,
                        r.period,
                        region,
                        row.rank,
                        row.percentile,
                        row.class
                    ])
                    .map_err(db(context))?;
                }
            }
        }
        tx.commit().map_err(db(context))
    }

    fn save_risk_run(&mut self, run: &RiskRun) -> Result<i64> {
        let r = &run.run;
        let context = format!("storing risk results for {} {}", r.level, r.period);
        let tx = begin_write(&mut self.conn).map_err(db(&context))?;
        tx.execute(risk_sql::DELETE_RUN, params![r.level.as_str(), r.period])
            .map_err(db(&context))?;
        tx.execute(
            "INSERT INTO risk_runs (level, period, layout, catalogue_version, fingerprint, parameters, summary, computed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                r.level.as_str(),
                r.period,
                r.layout,
                r.catalogue_version,
                r.fingerprint,
                r.parameters,
                r.summary,
                r.computed_at
            ],
        )
        .map_err(db(&context))?;
        let run_id = tx.last_insert_rowid();
        {
            let mut region_stmt = tx
                .prepare_cached(risk_sql::INSERT_REGION)
                .map_err(db(&context))?;
            let mut method_stmt = tx
                .prepare_cached(
                    "INSERT INTO risk_method_ranks (run_id, region, method, score, rank) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(db(&context))?;
            let mut cluster_stmt = tx
                .prepare_cached(
                    "INSERT INTO risk_clusters (run_id, variable, statistic, region, status, value, stat, z, p_sim, quadrant)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(db(&context))?;
            for c in &run.clusters {
                cluster_stmt
                    .execute(params![
                        run_id,
                        c.variable,
                        c.statistic,
                        c.region.as_str(),
                        c.status,
                        c.value,
                        c.stat,
                        c.z,
                        c.p_sim,
                        c.quadrant
                    ])
                    .map_err(db(&context))?;
            }
            let mut factor_stmt = tx
                .prepare_cached(
                    "INSERT INTO risk_factor_scores (run_id, region, factor, score, rank, ranked, percentile, flagged, trace)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(db(&context))?;
            let mut theme_stmt = tx
                .prepare_cached(
                    "INSERT INTO risk_theme_exposure (run_id, region, theme, exposure, rank, ranked, coverage, flagged_weight, drivers)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(db(&context))?;
            for g in &run.regions {
                let code = g.region.as_str();
                region_stmt
                    .execute(params![
                        run_id,
                        code,
                        g.flagged,
                        g.with_data,
                        g.weak_protective,
                        g.protective_with_data,
                        g.composite,
                        g.composite_rank,
                        g.composite_percentile,
                        g.rank_median,
                        g.rank_lower,
                        g.rank_upper
                    ])
                    .map_err(db(&context))?;
                for m in &g.method_ranks {
                    method_stmt
                        .execute(params![run_id, code, m.method, m.score, m.rank])
                        .map_err(db(&context))?;
                }
                for f in &g.factors {
                    factor_stmt
                        .execute(params![
                            run_id,
                            code,
                            f.factor,
                            f.score,
                            f.rank,
                            f.ranked,
                            f.percentile,
                            f.flagged,
                            f.trace
                        ])
                        .map_err(db(&context))?;
                }
                for t in &g.themes {
                    theme_stmt
                        .execute(params![
                            run_id,
                            code,
                            t.theme,
                            t.exposure,
                            t.rank,
                            t.ranked,
                            t.coverage,
                            t.flagged_weight,
                            t.drivers
                        ])
                        .map_err(db(&context))?;
                }
            }
        }
        tx.commit().map_err(db(&context))?;
        Ok(run_id)
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
        let tx = begin_write(&mut self.conn).map_err(db(&context))?;
        tx.execute(figures::HARMONISED_DELETE, [run.target_layout])
            .map_err(db(&context))?;
        tx.execute(
            time_sql::UPSERT_HARMONISATION,
            params![
                run.target_layout,
                run.signature,
                run.created_at,
                rows.len() as i64,
                time_sql::json(&run.notes)
            ],
        )
        .map_err(db(&context))?;
        {
            let mut keys = Keys::default();
            // Row by row through one prepared statement: SQLite has no round trips to save.
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
}

#[cfg(test)]
mod plans {
    //! The query plans of the hot reads: each reads a range of a key, none scans the figures.

    use super::*;

    fn plan(store: &SqliteStore, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        stmt.query_map(params, |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap()
    }

    #[test]
    fn hot_reads_search_keys_and_never_scan_the_figures() {
        let store = SqliteStore::open_in_memory().unwrap();
        let cases: Vec<(&str, Vec<String>)> = vec![
            (
                "OF_INDICATOR",
                plan(&store, figures::OF_INDICATOR, params!["x", "buurt", 2020]),
            ),
            (
                "AT_LEVEL",
                plan(&store, figures::AT_LEVEL, params!["buurt", 2020]),
            ),
            (
                "OF_REGION",
                plan(&store, figures::OF_REGION, params!["GM0363", 2020]),
            ),
            (
                "BREAKDOWNS",
                plan(&store, figures::BREAKDOWNS, params!["x", "GM0363", 2020]),
            ),
            (
                "CELL",
                plan(&store, figures::CELL, params!["x", "buurt", 2020, "a=b"]),
            ),
            (
                "REGION_PERIODS",
                plan(&store, figures::REGION_PERIODS, params!["GM0363"]),
            ),
            (
                "REGION_RANKS",
                plan(
                    &store,
                    figures::REGION_RANKS,
                    params!["buurt", 2020, "BU03630000"],
                ),
            ),
            (
                "HARMONISED_OF",
                plan(
                    &store,
                    figures::HARMONISED_OF,
                    params![2024, "x", "gemeente"],
                ),
            ),
            (
                "HARMONISED_INDICATORS",
                plan(
                    &store,
                    figures::HARMONISED_INDICATORS,
                    params![2024, "GM0363"],
                ),
            ),
        ];
        for (name, steps) in &cases {
            println!("{name}: {steps:?}");
            for step in steps {
                for big in ["figures", "figure_ranks", "harmonised_figures"] {
                    for alias in ["f", "k", "h", big] {
                        assert!(
                            !step.starts_with(&format!("SCAN {alias} "))
                                && step != &format!("SCAN {alias}"),
                            "{name} scans a large table: {steps:?}"
                        );
                    }
                }
            }
        }
    }

    /// A profile's region reads: the layouts of a level probe the index once per layout and
    /// the children of a region are one range of it — neither reads the regions or the
    /// boundaries (geometry and all) of the whole level.
    #[test]
    fn region_reads_search_the_level_index() {
        let store = SqliteStore::open_in_memory().unwrap();
        for (name, steps) in [
            (
                "LAYOUTS",
                plan(&store, region_sql::LAYOUTS, params!["buurt"]),
            ),
            (
                "BOUNDARY_LAYOUTS",
                plan(&store, region_sql::BOUNDARY_LAYOUTS, params!["buurt"]),
            ),
            (
                "IN_CODE_RANGE",
                plan(
                    &store,
                    region_sql::IN_CODE_RANGE,
                    params!["wijk", 2024, "WK0599", "WK0599~"],
                ),
            ),
        ] {
            println!("{name}: {steps:?}");
            for step in &steps {
                // `SCAN r`/`SCAN b` walk the recursive CTE's few rows, not a table.
                for table in ["regions", "boundaries", "x"] {
                    assert!(
                        !step.starts_with(&format!("SCAN {table}")),
                        "{name} scans {table}: {steps:?}"
                    );
                }
            }
            assert!(
                steps.iter().any(|s| s.contains("_by_level")),
                "{name} uses the level index: {steps:?}"
            );
        }
    }
}
