//! The SQLite side of access control (see [`crate::access`]).

use rusqlite::{params, OptionalExtension};

use crate::access::{AccessRule, AuditEntry, LoadAccess, TokenRecord, SERIES_OF_LOAD};
use crate::sqlite::{db, parse_level, SqliteStore, Write};
use crate::{Result, StoreError};

impl SqliteStore {
    pub(crate) fn access_set(
        &mut self,
        load_id: i64,
        access: &LoadAccess,
        changed_at: &str,
        changed_by: &str,
    ) -> Result<AccessRule> {
        let context = format!("setting access of load {load_id}");
        {
            let tx = Write::begin(&mut self.conn).map_err(db(&context))?;
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM loads WHERE id = ?1", [load_id], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(db(&context))?;
            if exists.is_none() {
                return Err(StoreError::Unsupported(format!(
                    "there is no load {load_id}"
                )));
            }
            tx.execute(
                "INSERT INTO load_access (load_id, restricted, until, reason, changed_at, changed_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (load_id) DO UPDATE SET restricted = excluded.restricted,
                   until = excluded.until, reason = excluded.reason,
                   changed_at = excluded.changed_at, changed_by = excluded.changed_by",
                params![
                    load_id,
                    access.restricted,
                    access.until,
                    access.reason,
                    changed_at,
                    changed_by
                ],
            )
            .map_err(db(&context))?;
            tx.execute(
                "DELETE FROM restricted_series WHERE load_id = ?1",
                [load_id],
            )
            .map_err(db(&context))?;
            if access.restricted {
                tx.execute(SERIES_OF_LOAD, [load_id])
                    .map_err(db(&context))?;
            }
            tx.commit().map_err(db(&context))?;
        }
        self.access_rules_all()?
            .into_iter()
            .find(|r| r.load_id == load_id)
            .ok_or_else(|| StoreError::Corrupt(format!("access of load {load_id} not stored")))
    }

    pub(crate) fn access_rules_all(&self) -> Result<Vec<AccessRule>> {
        let context = "reading access rules";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT load_id, restricted, until, reason, changed_at, changed_by FROM load_access ORDER BY load_id")
            .map_err(db(context))?;
        let mut rules = stmt
            .query_map([], |r| {
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
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(db(context))?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT load_id, indicator, level, period FROM restricted_series ORDER BY load_id, indicator, level, period")
            .map_err(db(context))?;
        let series = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i32>(3)?,
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(db(context))?;
        for (load, indicator, level, period) in series {
            if let Some(rule) = rules.iter_mut().find(|r| r.load_id == load) {
                rule.series.push((indicator, parse_level(&level)?, period));
            }
        }
        Ok(rules)
    }

    pub(crate) fn access_create_token(
        &mut self,
        name: &str,
        role: &str,
        hash: &str,
        created_at: &str,
    ) -> Result<i64> {
        let context = "storing a token";
        let tx = Write::begin(&mut self.conn).map_err(db(context))?;
        tx.execute(
            "INSERT INTO tokens (name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, role, hash, created_at],
        )
        .map_err(db(context))?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(db(context))?;
        Ok(id)
    }

    fn token_rows(&self, sql: &str, arg: Option<&str>) -> Result<Vec<TokenRecord>> {
        let context = "reading tokens";
        let mut stmt = self.conn.prepare_cached(sql).map_err(db(context))?;
        let map = |r: &rusqlite::Row| {
            Ok(TokenRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                role: r.get(2)?,
                hash: r.get(3)?,
                created_at: r.get(4)?,
                revoked_at: r.get(5)?,
            })
        };
        match arg {
            Some(a) => stmt.query_map([a], map),
            None => stmt.query_map([], map),
        }
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(db(context))
    }

    pub(crate) fn access_tokens(&self) -> Result<Vec<TokenRecord>> {
        self.token_rows(
            "SELECT id, name, role, hash, created_at, revoked_at FROM tokens ORDER BY id",
            None,
        )
    }

    pub(crate) fn access_token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        Ok(self
            .token_rows(
                "SELECT id, name, role, hash, created_at, revoked_at FROM tokens WHERE hash = ?1",
                Some(hash),
            )?
            .pop())
    }

    pub(crate) fn access_revoke_token(&mut self, id: i64, revoked_at: &str) -> Result<bool> {
        let context = "revoking a token";
        let tx = Write::begin(&mut self.conn).map_err(db(context))?;
        let n = tx
            .execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, revoked_at],
            )
            .map_err(db(context))?;
        tx.commit().map_err(db(context))?;
        Ok(n == 1)
    }

    pub(crate) fn access_append_audit(&mut self, e: &AuditEntry) -> Result<()> {
        let context = "appending to the audit log";
        let tx = Write::begin(&mut self.conn).map_err(db(context))?;
        tx.execute(
            "INSERT INTO audit_log (at, actor, via, action, subject, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![e.at, e.actor, e.via, e.action, e.subject, e.origin],
        )
        .map_err(db(context))?;
        tx.commit().map_err(db(context))
    }

    pub(crate) fn access_audit_log(&self) -> Result<Vec<AuditEntry>> {
        let context = "reading the audit log";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, at, actor, via, action, subject, origin FROM audit_log ORDER BY id",
            )
            .map_err(db(context))?;
        stmt.query_map([], |r| {
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
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(db(context))
    }
}
