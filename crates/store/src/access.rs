//! Access control in the store: which loads are restricted (and until when), API tokens (only
//! their SHA-256), the audit log, and [`Filtered`] — a [`Store`] that answers every read as a
//! principal without access to restricted figures may see it.
//!
//! The store decides nothing about *who* may see what: the server hands [`Filtered`] a
//! [`Visibility`] made from the stored rules, the date and the principal's role.
//!
//! Aggregates under restriction, decided: figure ranks, percentiles, map classes and national
//! values the public sees are **computed without restricted figures** (stored ranks of such a
//! series are hidden and the monitor ranks the visible figures per request, as it does for stale
//! ranks; a national total is summed only from a complete set of visible gemeenten, else absent): a
//! rank among public values reveals nothing about the restricted ones, and the public keeps useful
//! ranks. Risk runs are **treated as restricted** instead: a run of a level and period at which any
//! restricted figure exists is absent for the public (pages and API answer as if not computed),
//! because its scores, traces, composite, Monte Carlo intervals and clusters mix every input and
//! cannot be recomputed per request. This is decided when reading, from `restricted_series`, not
//! recorded on the run, so an access change or an embargo's end applies at once without `kwm
//! compute`; it is conservative (a restricted indicator the model does not use still hides the
//! run). What the public can still see of restricted data: that it exists (indicator ids and
//! labels, periods and levels in the indicator lists and in a 404's message, load titles; the
//! region profile leaves out indicators whose figures there are all restricted) — never a value,
//! rank or score. On SQLite the audit append is a write: while a long `kwm ingest` holds the write
//! lock, analysts' reads of restricted figures wait for it (and may time out) rather than go
//! unrecorded; on PostgreSQL it takes no lock.

use std::collections::BTreeSet;
use std::collections::HashSet;
use std::sync::Mutex;

use kwm_ingest::LoadBatch;
use kwm_model::{Indicator, Level, RegionChange, RegionCode};
use serde::Serialize;

use crate::row::{parse_level, Columns, Execute, Query, Writes};
use crate::{
    BoundaryRecord, ChangeRecord, FigureRanks, HarmonisationRecord, HarmonisedRecord,
    IndicatorRecord, LayoutDerivation, LayoutSummary, LoadOutcome, LoadRecord, ObservationRecord,
    RankState, RegionRank, RegionRecord, Result, RiskClusterRecord, RiskRun, RiskRunRecord, Store,
    StoreError,
};

/// Migration 7 on SQLite: load access, restricted series, tokens and the audit log (with
/// triggers that refuse to change or delete an audit entry).
pub(crate) const MIGRATION_ACCESS_SQLITE: &str = r#"
-- 7: access control. A load without a row in load_access is public.
CREATE TABLE load_access (
    load_id    INTEGER PRIMARY KEY,
    restricted INTEGER NOT NULL,
    until      TEXT,
    reason     TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL
);
-- The (indicator, level, period) a restricted load has figures in, found once when the load is
-- restricted, so a request never scans the figures to know what to hide.
CREATE TABLE restricted_series (
    load_id   INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    level     TEXT NOT NULL,
    period    INTEGER NOT NULL,
    PRIMARY KEY (load_id, indicator, level, period)
);
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    via     TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    origin  TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"#;

/// Migration 7 on PostgreSQL: as on SQLite; the audit log is append-only through triggers that
/// raise on UPDATE, DELETE and TRUNCATE (a database owner can still drop them — the log is
/// append-only for the monitor's own connections, not against its administrator).
#[cfg(feature = "postgres")]
pub(crate) const MIGRATION_ACCESS_PG: &str = r#"
-- 7: access control. A load without a row in load_access is public.
CREATE TABLE load_access (
    load_id    BIGINT PRIMARY KEY,
    restricted BOOLEAN NOT NULL,
    until      TEXT COLLATE "C",
    reason     TEXT COLLATE "C" NOT NULL,
    changed_at TEXT COLLATE "C" NOT NULL,
    changed_by TEXT COLLATE "C" NOT NULL
);
CREATE TABLE restricted_series (
    load_id   BIGINT NOT NULL,
    indicator TEXT COLLATE "C" NOT NULL,
    level     TEXT COLLATE "C" NOT NULL,
    period    INTEGER NOT NULL,
    PRIMARY KEY (load_id, indicator, level, period)
);
CREATE TABLE tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    role       TEXT COLLATE "C" NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C"
);
CREATE TABLE audit_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      TEXT COLLATE "C" NOT NULL,
    actor   TEXT COLLATE "C" NOT NULL,
    via     TEXT COLLATE "C" NOT NULL,
    action  TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    origin  TEXT COLLATE "C" NOT NULL
);
CREATE FUNCTION kwm_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$f$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION kwm_audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION kwm_audit_log_append_only();
"#;

/// Finds the series a load has figures in (a scan of the figures, done once when a load is
/// restricted). `?1` is the load id.
pub(crate) const SERIES_OF_LOAD: &str =
    "INSERT INTO restricted_series (load_id, indicator, level, period)
    SELECT DISTINCT f.load_id, s.indicator, s.level, f.period
    FROM figures f JOIN figure_series s ON s.id = f.series WHERE f.load_id = ?1";

// The access statements, written once for both backends (`?N` placeholders; PostgreSQL gets
// them through `figures::dollar`).

/// Whether a load exists. `?1` is the load id.
pub(crate) const LOAD_EXISTS: &str = "SELECT id FROM loads WHERE id = ?1";

/// Sets a load's access rule, replacing an earlier one.
pub(crate) const UPSERT_ACCESS: &str =
    "INSERT INTO load_access (load_id, restricted, until, reason, changed_at, changed_by)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (load_id) DO UPDATE SET restricted = excluded.restricted,
      until = excluded.until, reason = excluded.reason,
      changed_at = excluded.changed_at, changed_by = excluded.changed_by";

/// Forgets the series of a load, before they are found again (or not, when it is made public).
pub(crate) const CLEAR_SERIES: &str = "DELETE FROM restricted_series WHERE load_id = ?1";

/// Every access rule, by load.
pub(crate) const RULES: &str =
    "SELECT load_id, restricted, until, reason, changed_at, changed_by FROM load_access ORDER BY load_id";

/// The series of every restricted load (load, indicator, level, period).
pub(crate) const RESTRICTED_SERIES: &str = "SELECT load_id, indicator, level, period
    FROM restricted_series ORDER BY load_id, indicator, level, period";

/// Stores a token's hash; answers its id.
pub(crate) const INSERT_TOKEN: &str =
    "INSERT INTO tokens (name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id";

/// Every token, as [`TokenRecord`] columns.
pub(crate) const TOKENS: &str =
    "SELECT id, name, role, hash, created_at, revoked_at FROM tokens ORDER BY id";

/// The token with hash `?1`, as [`TokenRecord`] columns.
pub(crate) const TOKEN_BY_HASH: &str =
    "SELECT id, name, role, hash, created_at, revoked_at FROM tokens WHERE hash = ?1";

/// Revokes token `?1` at `?2`, unless it already is.
pub(crate) const REVOKE_TOKEN: &str =
    "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL";

/// Appends an entry to the audit log.
pub(crate) const APPEND_AUDIT: &str =
    "INSERT INTO audit_log (at, actor, via, action, subject, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// The audit log, oldest first, as [`AuditEntry`] columns.
pub(crate) const AUDIT_LOG: &str =
    "SELECT id, at, actor, via, action, subject, origin FROM audit_log ORDER BY id";

/// `Store::set_load_access`: sets the rule and, for a restricted load, finds the series its
/// figures are in (under the writers' lock, so no load changes them meanwhile).
pub(crate) fn set(
    s: &mut impl Writes,
    load_id: i64,
    access: &LoadAccess,
    changed_at: &str,
    changed_by: &str,
) -> Result<AccessRule> {
    let context = format!("setting access of load {load_id}");
    {
        let mut tx = s.write(&context)?;
        if tx
            .fetch::<i64>(LOAD_EXISTS, &[&load_id], &context)?
            .is_empty()
        {
            return Err(StoreError::Unsupported(format!(
                "there is no load {load_id}"
            )));
        }
        tx.exec(
            UPSERT_ACCESS,
            &[
                &load_id,
                &access.restricted,
                &access.until,
                &access.reason,
                &changed_at,
                &changed_by,
            ],
            &context,
        )?;
        tx.exec(CLEAR_SERIES, &[&load_id], &context)?;
        if access.restricted {
            tx.exec(SERIES_OF_LOAD, &[&load_id], &context)?;
        }
        tx.finish(&context)?;
    }
    rules(s)?
        .into_iter()
        .find(|r| r.load_id == load_id)
        .ok_or_else(|| StoreError::Corrupt(format!("access of load {load_id} not stored")))
}

/// `Store::access_rules`: every rule with the series of its load.
pub(crate) fn rules(q: &impl Query) -> Result<Vec<AccessRule>> {
    let context = "reading access rules";
    let mut rules = q.records(RULES, &[], context, |r| {
        Ok(AccessRule {
            load_id: r.get(0)?,
            access: LoadAccess {
                restricted: r.get(1)?,
                until: r.get(2)?,
                reason: r.get(3)?,
            },
            changed_at: r.get(4)?,
            changed_by: r.get(5)?,
            series: Vec::new(),
        })
    })?;
    let series = q.records(RESTRICTED_SERIES, &[], context, |r| {
        Ok((
            r.get::<i64>(0)?,
            r.get::<String>(1)?,
            parse_level(&r.get::<String>(2)?)?,
            r.get::<i32>(3)?,
        ))
    })?;
    for (load, indicator, level, period) in series {
        if let Some(rule) = rules.iter_mut().find(|r| r.load_id == load) {
            rule.series.push((indicator, level, period));
        }
    }
    Ok(rules)
}

fn token(r: &impl Columns) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        hash: r.get(3)?,
        created_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

/// `Store::tokens`.
pub(crate) fn tokens(q: &impl Query) -> Result<Vec<TokenRecord>> {
    q.records(TOKENS, &[], "reading tokens", |r| token(r))
}

/// `Store::token_by_hash`.
pub(crate) fn token_by_hash(q: &impl Query, hash: &str) -> Result<Option<TokenRecord>> {
    Ok(
        q.records(TOKEN_BY_HASH, &[&hash], "reading tokens", |r| token(r))?
            .pop(),
    )
}

/// `Store::audit_log`.
pub(crate) fn audit_log(q: &impl Query) -> Result<Vec<AuditEntry>> {
    q.records(AUDIT_LOG, &[], "reading the audit log", |r| {
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            via: r.get(3)?,
            action: r.get(4)?,
            subject: r.get(5)?,
            origin: r.get(6)?,
        })
    })
}

/// How a load may be seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadAccess {
    /// Only for principals with access (analysts, admins).
    pub restricted: bool,
    /// For a restricted load: the first day (`YYYY-MM-DD`) on which it is public (the embargo's
    /// end); `None` = until changed.
    pub until: Option<String>,
    /// Why it was set (recorded with the change).
    pub reason: String,
}

/// A stored access rule with the series its figures are in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessRule {
    /// The load.
    pub load_id: i64,
    /// Its access.
    #[serde(flatten)]
    pub access: LoadAccess,
    /// When it was last changed (RFC 3339).
    pub changed_at: String,
    /// By whom.
    pub changed_by: String,
    /// (indicator, level, period) of its figures, when restricted.
    pub series: Vec<(String, Level, i32)>,
}

impl AccessRule {
    /// Whether the rule restricts its load on `today` (`YYYY-MM-DD`): the embargo ends at the
    /// start of `until`, so no job has to lift it.
    pub fn restricts_on(&self, today: &str) -> bool {
        self.access.restricted
            && self
                .access
                .until
                .as_deref()
                .is_none_or(|until| today < until)
    }
}

/// A stored API token: never the token itself, only its SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRecord {
    /// Id.
    pub id: i64,
    /// What it is for (a script, a service; not a person's name).
    pub name: String,
    /// `analyst` or `admin` (the server reads it).
    pub role: String,
    /// SHA-256 of the token, lower-case hex.
    #[serde(skip)]
    pub hash: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Id (order of appending; ignored when appending).
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who: a token's name, a proxy's user, a session's user, `anonymous`, or `cli:USER`.
    pub actor: String,
    /// How they were identified: `token`, `trusted_proxy`, `session`, `anonymous`, `cli`.
    pub via: String,
    /// What happened: `read_restricted`, `load`, `access_change`, `token_create`,
    /// `token_revoke`, `sign_in`.
    pub action: String,
    /// What it concerned: indicator ids, a load id, a token id (free text).
    pub subject: String,
    /// From where: the client's address and the request path, or `cli`.
    pub origin: String,
}

/// What one principal may not see, at one moment: the loads restricted today and the series
/// their figures are in. Built by the server per request; `Visibility::new(…, true)` for those
/// with access.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// Whether restricted figures are shown (then they are recorded in [`Filtered::seen`]).
    pub sees_restricted: bool,
    loads: HashSet<i64>,
    series: HashSet<(String, Level, i32)>,
    runs: HashSet<(Level, i32)>,
}

impl Visibility {
    /// From the stored rules on `today` (`YYYY-MM-DD`).
    pub fn new(rules: &[AccessRule], today: &str, sees_restricted: bool) -> Visibility {
        let mut v = Visibility {
            sees_restricted,
            ..Visibility::default()
        };
        for rule in rules.iter().filter(|r| r.restricts_on(today)) {
            v.loads.insert(rule.load_id);
            for (indicator, level, period) in &rule.series {
                v.series.insert((indicator.clone(), *level, *period));
                v.runs.insert((*level, *period));
            }
        }
        v
    }

    /// Whether anything is restricted today.
    pub fn any_restricted(&self) -> bool {
        !self.loads.is_empty()
    }

    /// Whether the figures of a load are restricted.
    pub fn load_restricted(&self, load_id: i64) -> bool {
        self.loads.contains(&load_id)
    }

    fn series_restricted(&self, indicator: &str, level: Level, period: i32) -> bool {
        // A lookup without allocating would need a borrowed key type; the set is small.
        self.series
            .contains(&(indicator.to_string(), level, period))
    }
}

/// A store seen through a [`Visibility`]: for a principal without access, every figure of a
/// restricted load is left out of every read, stored ranks of a series with restricted figures
/// are reported as absent (so the monitor ranks the figures left, as it does for stale ranks),
/// harmonised figures of such a series are left out, and a risk run of a level and period with
/// restricted figures is absent. For a principal with access everything is answered and the
/// indicator ids of restricted figures returned are collected in [`Filtered::seen`], for the
/// audit log. Writes are refused: the server only reads.
pub struct Filtered<'a> {
    inner: &'a dyn Store,
    view: &'a Visibility,
    seen: Mutex<BTreeSet<String>>,
}

impl<'a> Filtered<'a> {
    /// Wraps a store.
    pub fn new(inner: &'a dyn Store, view: &'a Visibility) -> Filtered<'a> {
        Filtered {
            inner,
            view,
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// Indicator ids of the restricted figures (or results derived from them) this store
    /// answered with, for a principal with access.
    pub fn seen(&self) -> BTreeSet<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn note(&self, indicator: &str) {
        if let Ok(mut s) = self.seen.lock() {
            if !s.contains(indicator) {
                s.insert(indicator.to_string());
            }
        }
    }

    fn observations_filtered(&self, rows: Vec<ObservationRecord>) -> Vec<ObservationRecord> {
        if !self.view.any_restricted() {
            return rows;
        }
        if self.view.sees_restricted {
            for o in rows.iter().filter(|o| self.view.load_restricted(o.load_id)) {
                self.note(&o.indicator);
            }
            return rows;
        }
        rows.into_iter()
            .filter(|o| !self.view.load_restricted(o.load_id))
            .collect()
    }

    fn run_hidden(&self, level: Level, period: i32) -> bool {
        if !self.view.runs.contains(&(level, period)) {
            return false;
        }
        if self.view.sees_restricted {
            self.note(&format!("risk_run:{level}:{period}"));
            return false;
        }
        true
    }

    fn read_only() -> StoreError {
        StoreError::Unsupported("a filtered store is read-only".into())
    }
}

impl Store for Filtered<'_> {
    fn write_all(&mut self, _work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()> {
        Err(Self::read_only())
    }
    fn apply_loads(&mut self, _: &[LoadBatch], _: &str) -> Result<Vec<LoadOutcome>> {
        Err(Self::read_only())
    }
    fn sync_indicators(&mut self, _: &[Indicator]) -> Result<()> {
        Err(Self::read_only())
    }
    fn set_missing_parents(&mut self, _: &[(RegionCode, i32, RegionCode)]) -> Result<usize> {
        Err(Self::read_only())
    }
    fn indicators(&self) -> Result<Vec<IndicatorRecord>> {
        self.inner.indicators()
    }
    fn indicator(&self, id: &str) -> Result<Option<IndicatorRecord>> {
        self.inner.indicator(id)
    }
    fn regions(&self, level: Level, layout: i32) -> Result<Vec<RegionRecord>> {
        self.inner.regions(level, layout)
    }
    fn child_regions(&self, parent: &RegionCode, layout: i32) -> Result<Vec<RegionRecord>> {
        self.inner.child_regions(parent, layout)
    }
    fn region(&self, code: &RegionCode, layout: i32) -> Result<Option<RegionRecord>> {
        self.inner.region(code, layout)
    }
    fn layouts(&self, level: Level) -> Result<Vec<i32>> {
        self.inner.layouts(level)
    }
    fn boundary_layouts(&self, level: Level) -> Result<Vec<i32>> {
        self.inner.boundary_layouts(level)
    }
    fn periods(&self, level: Level) -> Result<Vec<i32>> {
        self.inner.periods(level)
    }
    fn observations(
        &self,
        indicator: &str,
        level: Level,
        period: i32,
    ) -> Result<Vec<ObservationRecord>> {
        Ok(self.observations_filtered(self.inner.observations(indicator, level, period)?))
    }
    fn indicator_ids_at(&self, level: Level, period: i32) -> Result<Vec<String>> {
        let mut ids = self.inner.indicator_ids_at(level, period)?;
        if !self.view.sees_restricted && self.view.runs.contains(&(level, period)) {
            // An indicator whose figures here are all restricted is not listed (a profile
            // would show it as a row without a figure); one with public figures beside them is.
            let mut kept = Vec::with_capacity(ids.len());
            for id in ids {
                if !self.view.series_restricted(&id, level, period)
                    || !self.observations(&id, level, period)?.is_empty()
                {
                    kept.push(id);
                }
            }
            ids = kept;
        }
        Ok(ids)
    }
    fn region_periods(&self, code: &RegionCode) -> Result<Vec<i32>> {
        self.inner.region_periods(code)
    }
    fn observations_at(&self, level: Level, period: i32) -> Result<Vec<ObservationRecord>> {
        Ok(self.observations_filtered(self.inner.observations_at(level, period)?))
    }
    fn region_observations(
        &self,
        code: &RegionCode,
        period: i32,
    ) -> Result<Vec<ObservationRecord>> {
        Ok(self.observations_filtered(self.inner.region_observations(code, period)?))
    }
    fn breakdown_observations(
        &self,
        indicator: &str,
        region: &RegionCode,
        period: i32,
    ) -> Result<Vec<ObservationRecord>> {
        Ok(self.observations_filtered(
            self.inner
                .breakdown_observations(indicator, region, period)?,
        ))
    }
    fn breakdown_cell_observations(
        &self,
        indicator: &str,
        level: Level,
        period: i32,
        breakdown: &str,
    ) -> Result<Vec<ObservationRecord>> {
        Ok(self.observations_filtered(
            self.inner
                .breakdown_cell_observations(indicator, level, period, breakdown)?,
        ))
    }
    fn rank_states(&self) -> Result<Vec<RankState>> {
        let mut states = self.inner.rank_states()?;
        if !self.view.sees_restricted {
            for s in &mut states {
                if self.view.series_restricted(&s.indicator, s.level, s.period) {
                    s.basis = None;
                }
            }
        }
        Ok(states)
    }
    fn save_figure_ranks(&mut self, _: &[FigureRanks]) -> Result<()> {
        Err(Self::read_only())
    }
    fn region_ranks(&self, code: &RegionCode, period: i32) -> Result<Vec<RegionRank>> {
        let mut ranks = self.inner.region_ranks(code, period)?;
        let level = code.level();
        for r in &mut ranks {
            if self.view.series_restricted(&r.indicator, level, period) {
                if self.view.sees_restricted {
                    self.note(&r.indicator);
                } else {
                    // Ranks stored with restricted figures would let them be derived: report
                    // none, so the monitor ranks the public figures itself.
                    r.basis = None;
                    r.ranked = None;
                    r.rank = None;
                    r.percentile = None;
                    r.class = None;
                }
            }
        }
        Ok(ranks)
    }
    fn boundaries(&self, level: Level, layout: i32) -> Result<Vec<BoundaryRecord>> {
        self.inner.boundaries(level, layout)
    }
    fn boundary_codes(&self, level: Level, layout: i32) -> Result<Vec<RegionCode>> {
        self.inner.boundary_codes(level, layout)
    }
    fn loads(&self) -> Result<Vec<LoadRecord>> {
        let mut loads = self.inner.loads()?;
        if self.view.sees_restricted {
            for l in loads.iter().filter(|l| self.view.load_restricted(l.id)) {
                self.note(&format!("load:{}", l.id));
            }
        } else {
            for l in loads.iter_mut().filter(|l| self.view.load_restricted(l.id)) {
                // A load's notes quote figures (values outside a unit's range, by region).
                l.notes = vec!["restricted: figures and notes withheld".into()];
            }
        }
        Ok(loads)
    }
    fn save_risk_run(&mut self, _: &RiskRun) -> Result<i64> {
        Err(Self::read_only())
    }
    fn risk_runs(&self) -> Result<Vec<RiskRunRecord>> {
        Ok(self
            .inner
            .risk_runs()?
            .into_iter()
            .filter(|r| !self.run_hidden(r.level, r.period))
            .collect())
    }
    fn risk_run(
        &self,
        level: Level,
        period: i32,
        region: Option<&RegionCode>,
    ) -> Result<Option<RiskRun>> {
        if self.run_hidden(level, period) {
            return Ok(None);
        }
        self.inner.risk_run(level, period, region)
    }
    fn risk_run_flags(&self, level: Level, period: i32) -> Result<Option<RiskRun>> {
        if self.run_hidden(level, period) {
            return Ok(None);
        }
        self.inner.risk_run_flags(level, period)
    }
    fn region_changes(&self, level: Option<Level>) -> Result<Vec<ChangeRecord>> {
        self.inner.region_changes(level)
    }
    fn layout_derivations(&self, level: Level) -> Result<Vec<LayoutDerivation>> {
        self.inner.layout_derivations(level)
    }
    fn replace_derived_changes(
        &mut self,
        _: Level,
        _: &[(LayoutDerivation, Vec<RegionChange>)],
    ) -> Result<()> {
        Err(Self::read_only())
    }
    fn layout_summaries(&self) -> Result<Vec<LayoutSummary>> {
        self.inner.layout_summaries()
    }
    fn harmonisations(&self) -> Result<Vec<HarmonisationRecord>> {
        self.inner.harmonisations()
    }
    fn replace_harmonised(
        &mut self,
        _: &HarmonisationRecord,
        _: &[HarmonisedRecord],
    ) -> Result<()> {
        Err(Self::read_only())
    }
    fn harmonised(
        &self,
        target: i32,
        indicator: &str,
        level: Level,
    ) -> Result<Vec<HarmonisedRecord>> {
        let rows = self.inner.harmonised(target, indicator, level)?;
        if !self.view.any_restricted() {
            return Ok(rows);
        }
        // Harmonised figures do not name their load: a series with restricted figures in a
        // period makes every harmonised figure of that period restricted.
        if self.view.sees_restricted {
            if rows
                .iter()
                .any(|h| self.view.series_restricted(&h.indicator, level, h.period))
            {
                self.note(indicator);
            }
            return Ok(rows);
        }
        Ok(rows
            .into_iter()
            .filter(|h| !self.view.series_restricted(&h.indicator, level, h.period))
            .collect())
    }
    fn harmonised_indicator_ids(&self, target: i32, region: &RegionCode) -> Result<Vec<String>> {
        self.inner.harmonised_indicator_ids(target, region)
    }
    fn risk_clusters(
        &self,
        level: Level,
        period: i32,
        variable: Option<&str>,
        statistic: Option<&str>,
        region: Option<&RegionCode>,
    ) -> Result<Vec<RiskClusterRecord>> {
        if self.run_hidden(level, period) {
            return Ok(Vec::new());
        }
        self.inner
            .risk_clusters(level, period, variable, statistic, region)
    }
    fn set_load_access(&mut self, _: i64, _: &LoadAccess, _: &str, _: &str) -> Result<AccessRule> {
        Err(Self::read_only())
    }
    fn access_rules(&self) -> Result<Vec<AccessRule>> {
        self.inner.access_rules()
    }
    fn create_token(&mut self, _: &str, _: &str, _: &str, _: &str) -> Result<i64> {
        Err(Self::read_only())
    }
    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        Err(Self::read_only())
    }
    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        self.inner.token_by_hash(hash)
    }
    fn revoke_token(&mut self, _: i64, _: &str) -> Result<bool> {
        Err(Self::read_only())
    }
    fn append_audit(&mut self, _: &AuditEntry) -> Result<()> {
        Err(Self::read_only())
    }
    fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        self.inner.audit_log()
    }
}
