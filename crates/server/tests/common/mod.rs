//! Helpers shared by the server's integration tests: where the repository and its catalogue are,
//! and one request through the router as a test sees it. Each test file builds its own store.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kwm_model::catalogue::Catalogue;
use kwm_server::{router, AppState};
pub use kwm_testkit::repo;
use serde_json::Value;
use tower::ServiceExt;

/// The catalogue the product ships.
pub fn catalogue() -> Catalogue {
    kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap()
}

/// The server's router on the store at `path`.
pub fn app(path: &Path, catalogue: Catalogue) -> axum::Router {
    router(AppState::new(path.to_path_buf(), catalogue, "test".into()))
}

/// One GET through `app`: status, content type, body.
pub async fn get_from(app: axum::Router, uri: &str) -> (StatusCode, String, String) {
    let response = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

/// One GET that must answer JSON: status and the parsed body.
pub async fn get_json_from(app: axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, content_type, body) = get_from(app, uri).await;
    assert!(
        content_type.starts_with("application/json"),
        "{uri}: {content_type}"
    );
    let value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{uri}: {e}: {body}"));
    (status, value)
}

/// A fresh SQLite store in the temp directory (`kwm-{tag}-{pid}/{name}.sqlite`) holding `files`
/// (paths under `data/`), loaded as `kwm ingest` does.
pub fn loaded_store(tag: &str, name: &str, files: &[&str]) -> PathBuf {
    remove_stale_stores(tag);
    let dir = std::env::temp_dir().join(format!("kwm-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.sqlite"));
    let _ = std::fs::remove_file(&path);
    let files: Vec<PathBuf> = kwm_testkit::data_files(files);
    let mut store = kwm_store::SqliteStore::open(&path).unwrap();
    kwm_monitor::ingest::ingest_files(
        &mut store,
        &catalogue(),
        &files,
        &kwm_ingest::ReadOptions::default(),
        "2026-11-23T00:00:00Z",
    )
    .unwrap();
    path
}

/// Stores are shared by the tests of a binary through statics, which are never dropped, so each
/// run leaves its store directory behind (60–230 MB each): remove those of earlier test processes
/// that are gone (Linux: no `/proc/PID`).
fn remove_stale_stores(tag: &str) {
    let prefix = format!("kwm-{tag}-");
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let proc = std::path::Path::new("/proc");
        if pid != std::process::id() && proc.exists() && !proc.join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// [`loaded_store`] with the risk model computed for every level and period, as `kwm compute`.
pub fn computed_store(tag: &str, name: &str, files: &[&str]) -> PathBuf {
    let path = loaded_store(tag, name, files);
    let mut store = kwm_store::SqliteStore::open(&path).unwrap();
    kwm_monitor::risk::compute_all(
        &mut store,
        &catalogue(),
        None,
        None,
        "2026-11-23T01:00:00Z",
        false,
    )
    .unwrap();
    path
}
