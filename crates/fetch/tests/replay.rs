//! The fetcher against the replay server: retries, Retry-After, a connection cut half-way and
//! resuming from the cache, a new table version, `--offline`. Figures in the store are checked
//! end to end by `crates/cli/tests/cli_fetch.rs`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::replay::{Fault, Replay};
use kwm_fetch::{FetchConfig, FetchError, Fetcher, HttpConfig, Quiet, TableRequest};

fn cache_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kwm-fetch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn config(replay: &Replay, cache: &Path, retries: u32) -> FetchConfig {
    FetchConfig {
        cache_dir: cache.to_path_buf(),
        base_url: Some(replay.base.clone()),
        offline: false,
        levels: Vec::new(),
        row_limit: Some(10),
        http: HttpConfig {
            timeout: Duration::from_secs(10),
            retries,
            backoff: Duration::from_millis(10),
            max_wait: Duration::from_secs(5),
            ..HttpConfig::default()
        },
    }
}

fn request(config: &FetchConfig, table: &str) -> TableRequest {
    let (catalogue, _) = kwm_monitor::catalogue::resolve(None).unwrap();
    kwm_fetch::plan_tables(&catalogue, &[table.to_string()], config)
        .unwrap()
        .remove(0)
}

const PAGE3: &str = "/85984NED/TypedDataSet?$top=10&$skip=20";

#[test]
fn a_429_waits_as_long_as_retry_after_says() {
    let replay = Replay::start();
    let cache = cache_dir("429");
    let config = config(&replay, &cache, 3);
    let req = request(&config, "85984NED");
    replay.fault(
        "/85984NED/DataProperties",
        Fault::TooMany { retry_after: 1 },
        1,
    );
    let started = Instant::now();
    let d = Fetcher::new(config).download(&req, &Quiet).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After not honoured"
    );
    assert_eq!(replay.hits("/85984NED/DataProperties"), 2);
    assert_eq!((d.rows, d.pages), (34, 4));
}

#[test]
fn a_5xx_is_retried_and_then_reported_with_table_url_and_attempts() {
    let replay = Replay::start();
    let cache = cache_dir("5xx");
    let config = config(&replay, &cache, 2);
    let req = request(&config, "85318NED");
    let body = r#"{"odata.error":{"code":"","message":{"lang":"en-US","value":"Service busy"}}}"#;
    replay.fault("/85318NED/TableInfos", Fault::Status(503, body.into()), 3);
    let err = Fetcher::new(config).download(&req, &Quiet).unwrap_err();
    assert_eq!(replay.hits("/85318NED/TableInfos"), 3);
    assert_eq!(
        err.to_string(),
        format!(
            "85318NED: {}/85318NED/TableInfos: HTTP 503 after 3 attempts: Service busy",
            replay.base
        )
    );
}

#[test]
fn a_connection_cut_half_way_resumes_without_downloading_finished_pages_again() {
    let replay = Replay::start();
    let cache = cache_dir("cut");
    let config = config(&replay, &cache, 1);
    let req = request(&config, "85984NED");
    // Cut twice: the first attempt and its one retry both break off.
    replay.fault(PAGE3, Fault::Cut, 2);
    let err = Fetcher::new(config.clone())
        .download(&req, &Quiet)
        .unwrap_err();
    assert!(matches!(err, FetchError::Transport { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "85984NED: {}{PAGE3}: the answer broke off",
            replay.base
        )),
        "{msg}"
    );
    assert!(msg.contains("run again to resume"), "{msg}");
    assert_eq!(replay.hits(PAGE3), 2);

    let d = Fetcher::new(config).download(&req, &Quiet).unwrap();
    assert_eq!((d.rows, d.pages, d.pages_downloaded), (34, 4, 2));
    // Finished pages and metadata were not asked for again.
    for done in [
        "/85984NED/TypedDataSet?$top=10",
        "/85984NED/TypedDataSet?$top=10&$skip=10",
        "/85984NED/DataProperties",
        "/85984NED/WijkenEnBuurten",
    ] {
        assert_eq!(replay.hits(done), 1, "{done} downloaded again");
    }
    assert_eq!(replay.hits(PAGE3), 3);
    assert_eq!(replay.hits("/85984NED/TypedDataSet?$top=10&$skip=30"), 1);
    assert_eq!(replay.hits("/85984NED/TableInfos"), 2);
}

#[test]
fn a_cut_once_is_retried_within_the_run() {
    let replay = Replay::start();
    let cache = cache_dir("cut-once");
    let config = config(&replay, &cache, 2);
    let req = request(&config, "85984NED");
    replay.fault(PAGE3, Fault::Cut, 1);
    let d = Fetcher::new(config).download(&req, &Quiet).unwrap();
    assert_eq!((d.rows, d.pages_downloaded), (34, 4));
    assert_eq!(replay.hits(PAGE3), 2);
}

#[test]
fn a_new_version_of_the_table_is_downloaded_again_and_an_unchanged_one_is_not() {
    let replay = Replay::start();
    let cache = cache_dir("modified");
    let config = config(&replay, &cache, 0);
    let req = request(&config, "85318NED");
    let fetcher = Fetcher::new(config);
    let first = fetcher.download(&req, &Quiet).unwrap();
    assert!(!first.unchanged);
    let again = fetcher.download(&req, &Quiet).unwrap();
    assert!(again.unchanged);
    assert_eq!(again.pages_downloaded, 0);
    assert_eq!(again.data, first.data);
    assert_eq!(replay.hits("/85318NED/TypedDataSet?$top=10"), 1);

    let newer = replay
        .body("/85318NED/TableInfos")
        .replace("2022-12-22T02:00:00", "2023-06-30T02:00:00");
    replay.fault("/85318NED/TableInfos", Fault::Body(newer), 1);
    let third = fetcher.download(&req, &Quiet).unwrap();
    assert!(!third.unchanged);
    assert_eq!(third.modified, "2023-06-30T02:00:00");
    assert_eq!(third.pages_downloaded, 4);
    assert_eq!(replay.hits("/85318NED/TypedDataSet?$top=10"), 2);
}

#[test]
fn offline_reads_only_the_cache() {
    let replay = Replay::start();
    let cache = cache_dir("offline");
    let mut config = config(&replay, &cache, 0);
    let req = request(&config, "85984NED");
    config.offline = true;
    let err = Fetcher::new(config.clone())
        .download(&req, &Quiet)
        .unwrap_err();
    assert!(matches!(err, FetchError::NotCached { .. }), "{err}");
    assert!(
        err.to_string().starts_with("85984NED: not in the cache"),
        "{err}"
    );

    config.offline = false;
    let online = Fetcher::new(config.clone()).download(&req, &Quiet).unwrap();
    let hits = replay.all_hits().len();
    config.offline = true;
    let offline = Fetcher::new(config).download(&req, &Quiet).unwrap();
    assert_eq!(replay.all_hits().len(), hits);
    assert_eq!(offline.data, online.data);
    // A damaged page file is not trusted: the table is no longer complete in the cache.
    std::fs::write(cache.join("85984NED/TypedDataSet-00002.json"), b"{}").unwrap();
    let mut config2 = self::config(&replay, &cache, 0);
    config2.offline = true;
    assert!(Fetcher::new(config2).download(&req, &Quiet).is_err());
}

#[test]
fn regions_filter_on_the_region_column_and_are_cached_apart() {
    let replay = Replay::start();
    let cache = cache_dir("regions");
    let mut config = config(&replay, &cache, 0);
    config.levels = vec![kwm_model::Level::Gemeente];
    let req = request(&config, "85984NED");
    // What the service answers to the filter: the gemeente rows of the recorded pages.
    let mut rows = Vec::new();
    for skip in ["", "&$skip=10", "&$skip=20", "&$skip=30"] {
        let page: serde_json::Value =
            serde_json::from_str(&replay.body(&format!("/85984NED/TypedDataSet?$top=10{skip}")))
                .unwrap();
        rows.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["WijkenEnBuurten"].as_str().unwrap().starts_with("GM"))
                .cloned(),
        );
    }
    let filtered =
        "/85984NED/TypedDataSet?$top=10&$filter=substringof%28%27GM%27,WijkenEnBuurten%29";
    replay.fault(
        filtered,
        Fault::Body(serde_json::json!({ "value": rows }).to_string()),
        1,
    );
    let d = Fetcher::new(config.clone()).download(&req, &Quiet).unwrap();
    assert_eq!(d.rows, 2);
    assert_eq!(replay.hits(filtered), 1);
    // All rows are another download, not the cached gemeente rows.
    config.levels.clear();
    let all = Fetcher::new(config).download(&req, &Quiet).unwrap();
    assert!(!all.unchanged);
    assert_eq!(all.rows, 34);
}

#[test]
fn a_table_the_catalogue_does_not_list_takes_its_period_from_table_infos() {
    let replay = Replay::start();
    let cache = cache_dir("uncatalogued");
    let config = config(&replay, &cache, 0);
    let empty = kwm_model::catalogue::Catalogue::default();
    let req = kwm_fetch::plan_tables(&empty, &["85984ned".to_string()], &config)
        .unwrap()
        .remove(0);
    assert_eq!(
        (req.table.as_str(), req.source.as_deref()),
        ("85984NED", None)
    );
    let d = Fetcher::new(config).download(&req, &Quiet).unwrap();
    let batch = kwm_fetch::read(&empty, &d).unwrap();
    assert!(batch.observations.iter().all(|o| o.period.year() == 2024));
    assert!(
        batch
            .indicators
            .iter()
            .any(|i| i.id.as_str() == "t85984ned_aantal_inwoners"),
        "{:?}",
        batch
            .indicators
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>()
    );
}
