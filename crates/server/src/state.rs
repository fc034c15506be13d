use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kwm_model::catalogue::Catalogue;
use kwm_model::Level;
use kwm_monitor::MonitorError;
use kwm_store::{Readers, Store, StoreLocation};

use crate::auth::{AuthConfig, SessionSource, CURRENT};
use crate::map::MapShapes;

/// Shared, read-only state of the server: how to reach the store, the catalogue, and map shapes
/// already projected (they only change when boundaries are loaded, which needs a restart).
/// Nothing else is kept, so any number of server processes can serve one PostgreSQL store.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    /// Sign-in through OpenID Connect, when configured (its sessions live in memory).
    oidc: Option<crate::oidc::Oidc>,
}

struct Inner {
    readers: Readers,
    location: StoreLocation,
    catalogue: Arc<Catalogue>,
    catalogue_source: String,
    maps: Mutex<HashMap<(Level, i32), Arc<MapShapes>>>,
    /// `None`: public only (no `--auth` file).
    auth: Option<Arc<AuthConfig>>,
    sessions: Option<Arc<dyn SessionSource>>,
    /// The one connection that writes (the audit log), opened on first use.
    writer: Mutex<Option<Box<dyn Store + Send>>>,
}

impl AppState {
    /// State for a store (a SQLite file path or a [`StoreLocation`]) and the catalogue it was
    /// served with. Connects to nothing yet.
    pub fn new(
        store: impl Into<StoreLocation>,
        catalogue: Catalogue,
        catalogue_source: String,
    ) -> AppState {
        let location = store.into();
        AppState {
            inner: Arc::new(Inner {
                readers: location.readers(),
                location,
                catalogue: Arc::new(catalogue),
                catalogue_source,
                maps: Mutex::new(HashMap::new()),
                auth: None,
                sessions: None,
                writer: Mutex::new(None),
            }),
            oidc: None,
        }
    }

    /// The same state with sign-in through OpenID Connect: its routes and header link, its
    /// sessions as a [`SessionSource`] of the access layer, and each sign-in in the audit log.
    /// Call before serving.
    pub fn with_oidc(mut self, oidc: crate::oidc::Oidc) -> AppState {
        self = self.with_sessions(Arc::new(oidc.sessions().clone()));
        let audit = self.clone();
        oidc.set_sign_in_hook(Arc::new(move |who, headers| {
            let entry = kwm_store::AuditEntry {
                id: 0,
                at: crate::auth::now_rfc3339(),
                actor: who.name.clone(),
                via: "session".into(),
                action: "sign_in".into(),
                subject: format!("{} ({})", who.subject, who.role.as_str()),
                // The hook sees no peer address; the user agent says from what it signed in.
                origin: format!(
                    "/aanmelden/terug {}",
                    headers
                        .get(axum::http::header::USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                ),
            };
            let audit = audit.clone();
            tokio::spawn(async move {
                if let Err(e) = audit.audit(entry).await {
                    tracing::error!("could not record a sign-in in the audit log: {e}");
                }
            });
        }));
        self.oidc = Some(oidc);
        self
    }

    /// Sign-in through OpenID Connect, when configured.
    pub fn oidc(&self) -> Option<&crate::oidc::Oidc> {
        self.oidc.as_ref()
    }

    /// The same state with access control from an `--auth` file (see [`crate::auth`]). Call
    /// before serving.
    pub fn with_auth(mut self, config: AuthConfig) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("with_auth before the state is shared")
            .auth = Some(Arc::new(config));
        self
    }

    /// The same state with a source of signed-in sessions (the sign-in module's). Call before
    /// serving.
    pub fn with_sessions(mut self, sessions: Arc<dyn SessionSource>) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("with_sessions before the state is shared")
            .sessions = Some(sessions);
        self
    }

    /// The access configuration; `None` when the server is public only.
    pub fn auth_config(&self) -> Option<Arc<AuthConfig>> {
        self.inner.auth.clone()
    }

    /// The session source, if one was plugged in.
    pub fn sessions(&self) -> Option<Arc<dyn SessionSource>> {
        self.inner.sessions.clone()
    }

    /// Appends an entry to the audit log through the server's one writing connection.
    pub async fn audit(&self, entry: kwm_store::AuditEntry) -> Result<(), MonitorError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = inner.writer.lock().expect("audit writer lock");
            if writer.is_none() {
                *writer = Some(inner.location.open()?);
            }
            let result = writer.as_mut().expect("opened above").append_audit(&entry);
            if result.is_err() {
                // A broken connection is opened again next time.
                *writer = None;
            }
            Ok(result?)
        })
        .await
        .map_err(|e| MonitorError::Internal(format!("audit task failed: {e}")))?
    }

    /// Runs a query against the store as it is, without the access filter: for what the
    /// filter itself needs (tokens) and the admin's audit page.
    pub(crate) async fn query_unfiltered<T, F>(&self, f: F) -> Result<T, MonitorError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, MonitorError> + Send + 'static,
    {
        let readers = self.inner.readers.clone();
        tokio::task::spawn_blocking(move || readers.read(f)?)
            .await
            .map_err(|e| MonitorError::Internal(format!("query task failed: {e}")))?
    }

    /// The catalogue; shared, so a handler that moves it into a store query clones a pointer,
    /// not the catalogue.
    pub fn catalogue(&self) -> &Arc<Catalogue> {
        &self.inner.catalogue
    }

    /// Where the catalogue came from (a directory or "built-in").
    pub fn catalogue_source(&self) -> &str {
        &self.inner.catalogue_source
    }

    /// Runs a query on a blocking thread against a pooled store connection, in one read
    /// snapshot (see `kwm_store::Readers`), which keeps handlers independent.
    pub async fn query<T, F>(&self, f: F) -> Result<T, MonitorError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, MonitorError> + Send + 'static,
    {
        let readers = self.inner.readers.clone();
        // Outside a request's scope nobody is known: anonymous, the safe default.
        let access = CURRENT.try_with(Arc::clone).ok();
        let sees = access
            .as_ref()
            .is_some_and(|a| a.principal.role.sees_restricted());
        tokio::task::spawn_blocking(move || {
            readers.read(|store| {
                // Read once per request (by its first query, in that query's snapshot): an
                // access change or an embargo's end applies to the next request. Outside a
                // request, per query.
                let rules = match access.as_ref().and_then(|a| a.rules.get()) {
                    Some(rules) => rules.clone(),
                    None => {
                        let rules = Arc::new(store.access_rules()?);
                        if let Some(a) = &access {
                            let _ = a.rules.set(rules.clone());
                        }
                        rules
                    }
                };
                let view = kwm_store::Visibility::new(&rules, &crate::auth::today(), sees);
                let filtered = kwm_store::Filtered::new(store, &view);
                let result = f(&filtered);
                let seen = filtered.seen();
                if let (Some(access), false) = (&access, seen.is_empty()) {
                    if let Ok(mut s) = access.seen.lock() {
                        s.extend(seen);
                    }
                }
                result
            })?
        })
        .await
        .map_err(|e| MonitorError::Internal(format!("query task failed: {e}")))?
    }

    /// The map of one gemeente's wijken or buurten, fitted to them (built per request: a few
    /// dozen shapes).
    pub async fn map_within(
        &self,
        level: Level,
        layout: i32,
        gemeente: kwm_model::RegionCode,
    ) -> Result<Arc<MapShapes>, MonitorError> {
        self.query(move |store| {
            let shapes: Vec<_> = kwm_monitor::query::map_shapes(store, level, layout)?
                .into_iter()
                .filter(|b| b.code.gemeente().as_ref() == Some(&gemeente))
                .collect();
            Ok(Arc::new(MapShapes::build(&shapes)))
        })
        .await
    }

    /// Projected map shapes for a level and layout, computed once.
    pub async fn map(&self, level: Level, layout: i32) -> Result<Arc<MapShapes>, MonitorError> {
        if let Some(m) = self
            .inner
            .maps
            .lock()
            .expect("map cache lock")
            .get(&(level, layout))
        {
            return Ok(m.clone());
        }
        let shapes = self
            .query(move |store| {
                Ok(Arc::new(MapShapes::build(&kwm_monitor::query::map_shapes(
                    store, level, layout,
                )?)))
            })
            .await?;
        self.inner
            .maps
            .lock()
            .expect("map cache lock")
            .insert((level, layout), shapes.clone());
        Ok(shapes)
    }
}
