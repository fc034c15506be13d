use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kwm_model::catalogue::Catalogue;
use kwm_model::Level;
use kwm_monitor::MonitorError;
use kwm_store::{SqliteStore, Store};

use crate::map::MapShapes;

/// Shared, read-only state of the server: where the store is, the catalogue, and map shapes
/// already projected (they only change when boundaries are loaded, which needs a restart).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db_path: PathBuf,
    catalogue: Catalogue,
    catalogue_source: String,
    maps: Mutex<HashMap<(Level, i32), Arc<MapShapes>>>,
}

impl AppState {
    /// State for a store file and the catalogue it was served with.
    pub fn new(db_path: PathBuf, catalogue: Catalogue, catalogue_source: String) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                db_path,
                catalogue,
                catalogue_source,
                maps: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.inner.catalogue
    }

    /// Where the catalogue came from (a directory or "built-in").
    pub fn catalogue_source(&self) -> &str {
        &self.inner.catalogue_source
    }

    /// Runs a query against a fresh read-only connection on a blocking thread. SQLite
    /// connections are cheap to open, and a connection per request keeps handlers independent.
    pub async fn query<T, F>(&self, f: F) -> Result<T, MonitorError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, MonitorError> + Send + 'static,
    {
        let path = self.inner.db_path.clone();
        tokio::task::spawn_blocking(move || {
            let store = SqliteStore::open_read_only(&path)?;
            f(&store)
        })
        .await
        .map_err(|e| MonitorError::Io(format!("query task failed: {e}")))?
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
