//! The PostgreSQL side of access control, mirroring `sqlite_access.rs` (see [`crate::access`]).

use crate::access::{AccessRule, AuditEntry, LoadAccess, TokenRecord, SERIES_OF_LOAD};
use crate::figures::dollar;
use crate::pg::{get, lock_writers, parse_level, pg, PgStore};
use crate::{Result, StoreError};

impl PgStore {
    pub(crate) fn access_set(
        &mut self,
        load_id: i64,
        access: &LoadAccess,
        changed_at: &str,
        changed_by: &str,
    ) -> Result<AccessRule> {
        let context = format!("setting access of load {load_id}");
        {
            let client = self.client_mut();
            let mut tx = client.transaction().map_err(pg(&context))?;
            // The series are read from the figures: no load may change them meanwhile.
            lock_writers(&mut tx)?;
            let exists = tx
                .query_opt("SELECT id FROM loads WHERE id = $1", &[&load_id])
                .map_err(pg(&context))?;
            if exists.is_none() {
                return Err(StoreError::Unsupported(format!(
                    "there is no load {load_id}"
                )));
            }
            tx.execute(
                "INSERT INTO load_access (load_id, restricted, until, reason, changed_at, changed_by)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (load_id) DO UPDATE SET restricted = excluded.restricted,
                   until = excluded.until, reason = excluded.reason,
                   changed_at = excluded.changed_at, changed_by = excluded.changed_by",
                &[
                    &load_id,
                    &access.restricted,
                    &access.until,
                    &access.reason,
                    &changed_at,
                    &changed_by,
                ],
            )
            .map_err(pg(&context))?;
            tx.execute(
                "DELETE FROM restricted_series WHERE load_id = $1",
                &[&load_id],
            )
            .map_err(pg(&context))?;
            if access.restricted {
                tx.execute(&dollar(SERIES_OF_LOAD), &[&load_id])
                    .map_err(pg(&context))?;
            }
            tx.commit().map_err(pg(&context))?;
        }
        self.access_rules_all()?
            .into_iter()
            .find(|r| r.load_id == load_id)
            .ok_or_else(|| StoreError::Corrupt(format!("access of load {load_id} not stored")))
    }

    pub(crate) fn access_rules_all(&self) -> Result<Vec<AccessRule>> {
        let context = "reading access rules";
        let mut rules = self
            .rows(
                "SELECT load_id, restricted, until, reason, changed_at, changed_by FROM load_access ORDER BY load_id",
                &[],
                context,
            )?
            .iter()
            .map(|r| {
                Ok(AccessRule {
                    load_id: get(r, 0, context)?,
                    access: LoadAccess {
                        restricted: get(r, 1, context)?,
                        until: get(r, 2, context)?,
                        reason: get(r, 3, context)?,
                    },
                    changed_at: get(r, 4, context)?,
                    changed_by: get(r, 5, context)?,
                    series: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        for r in self.rows(
            "SELECT load_id, indicator, level, period FROM restricted_series ORDER BY load_id, indicator, level, period",
            &[],
            context,
        )? {
            let load: i64 = get(&r, 0, context)?;
            if let Some(rule) = rules.iter_mut().find(|x| x.load_id == load) {
                rule.series.push((
                    get(&r, 1, context)?,
                    parse_level(&get::<String>(&r, 2, context)?)?,
                    get(&r, 3, context)?,
                ));
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
        let row = self
            .client_mut()
            .query_one(
                "INSERT INTO tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&name, &role, &hash, &created_at],
            )
            .map_err(pg(context))?;
        get(&row, 0, context)
    }

    fn token_rows(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<TokenRecord>> {
        let context = "reading tokens";
        self.rows(sql, params, context)?
            .iter()
            .map(|r| {
                Ok(TokenRecord {
                    id: get(r, 0, context)?,
                    name: get(r, 1, context)?,
                    role: get(r, 2, context)?,
                    hash: get(r, 3, context)?,
                    created_at: get(r, 4, context)?,
                    revoked_at: get(r, 5, context)?,
                })
            })
            .collect()
    }

    pub(crate) fn access_tokens(&self) -> Result<Vec<TokenRecord>> {
        self.token_rows(
            "SELECT id, name, role, hash, created_at, revoked_at FROM tokens ORDER BY id",
            &[],
        )
    }

    pub(crate) fn access_token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        Ok(self
            .token_rows(
                "SELECT id, name, role, hash, created_at, revoked_at FROM tokens WHERE hash = $1",
                &[&hash],
            )?
            .pop())
    }

    pub(crate) fn access_revoke_token(&mut self, id: i64, revoked_at: &str) -> Result<bool> {
        let n = self
            .client_mut()
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &revoked_at],
            )
            .map_err(pg("revoking a token"))?;
        Ok(n == 1)
    }

    pub(crate) fn access_append_audit(&mut self, e: &AuditEntry) -> Result<()> {
        self.client_mut()
            .execute(
                "INSERT INTO audit_log (at, actor, via, action, subject, origin) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&e.at, &e.actor, &e.via, &e.action, &e.subject, &e.origin],
            )
            .map_err(pg("appending to the audit log"))?;
        Ok(())
    }

    pub(crate) fn access_audit_log(&self) -> Result<Vec<AuditEntry>> {
        let context = "reading the audit log";
        self.rows(
            "SELECT id, at, actor, via, action, subject, origin FROM audit_log ORDER BY id",
            &[],
            context,
        )?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: get(r, 0, context)?,
                at: get(r, 1, context)?,
                actor: get(r, 2, context)?,
                via: get(r, 3, context)?,
                action: get(r, 4, context)?,
                subject: get(r, 5, context)?,
                origin: get(r, 6, context)?,
            })
        })
        .collect()
    }
}
