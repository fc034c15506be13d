use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kwm_model::catalogue::Catalogue;
use kwm_model::Level;
use kwm_monitor::MonitorError;
use kwm_store::{Readers, Store, StoreLocation};

use crate::map::MapShapes;

/// Shared, read-only state of the server: how to reach the store, the catalogue, and map shapes
/// already projected (they only change when boundaries are loaded, which needs a restart).
/// Nothing else is kept, so any number of server processes can serve one PostgreSQL store.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    readers: Readers,
    catalogue: Catalogue,
    catalogue_source: String,
    maps: Mutex<HashMap<(Level, i32), Arc<MapShapes>>>,
}

impl AppState {
    /// State for a store (a SQLite file path or a [`StoreLocation`]) and the catalogue it was
    /// served with. Connects to nothing yet.
    pub fn new(
        store: impl Into<StoreLocation>,
        catalogue: Catalogue,
        catalogue_source: String,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                readers: store.into().readers(),
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

    /// Runs a query on a blocking thread against a pooled store connection, in one read
    /// snapshot (see `kwm_store::Readers`), which keeps handlers independent.
    pub async fn query<T, F>(&self, f: F) -> Result<T, MonitorError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, MonitorError> + Send + 'static,
    {
        let readers = self.inner.readers.clone();
        tokio::task::spawn_blocking(move || readers.read(f)?)
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
