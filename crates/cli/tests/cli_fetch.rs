//! `kwm fetch` end to end, through the binary, against a replay server in this process that
//! answers with recorded CBS OData v3 responses (`crates/fetch/tests/fixtures`, made from real
//! StatLine data; see the README there). No internet.

#[path = "../../fetch/tests/common/replay.rs"]
mod replay;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kwm_model::Level;
use replay::{fixtures, Fault, Replay};

fn kwm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kwm"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kwm-cli-fetch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `kwm fetch --catalogue` for KWB 2022 and 2024 from the replay server.
fn fetch_catalogue(replay: &Replay, db: &Path, cache: &Path, extra: &[&str]) -> Output {
    kwm()
        .args([
            "fetch",
            "--catalogue",
            "--source",
            "kwb",
            "--periods",
            "2022..2024",
        ])
        .args([
            "--row-limit",
            "10",
            "--backoff-ms",
            "10",
            "--base-url",
            &replay.base,
        ])
        .arg("--db")
        .arg(db)
        .arg("--cache")
        .arg(cache)
        .args(extra)
        .env_remove("KWM_FETCH_BASE_URL")
        .output()
        .unwrap()
}

/// The TypedDataSet CSVs; `kwm ingest` finds their `…_DataProperties.json` and
/// `…_WijkenEnBuurten.json` (region names) beside them, as in a StatLine download folder.
fn file_route_files() -> Vec<PathBuf> {
    let dir = fixtures().join("files");
    ["85318NED", "85984NED"]
        .iter()
        .map(|t| dir.join(format!("{t}_TypedDataSet.csv")))
        .collect()
}

/// Every figure of every indicator at every level and period, through the monitor's query
/// API: (indicator, level, period, region, value, status, name).
type Figure = (
    String,
    String,
    i32,
    String,
    Option<f64>,
    String,
    Option<String>,
);

fn figures(db: &Path, indicators: &[String]) -> Vec<Figure> {
    let store = kwm_store::SqliteStore::open(db).unwrap();
    let mut out = Vec::new();
    for id in indicators {
        for level in [Level::Land, Level::Gemeente, Level::Wijk, Level::Buurt] {
            for period in [2022, 2024] {
                let Ok(table) =
                    kwm_monitor::query::indicator_table(&store, id, level, Some(period))
                else {
                    continue;
                };
                if table.period != period {
                    continue;
                }
                for r in table.rows {
                    out.push((
                        id.clone(),
                        level.as_str().to_string(),
                        period,
                        r.code.as_str().to_string(),
                        r.value,
                        format!("{:?}", r.status),
                        r.name,
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn fetch_catalogue_fills_the_same_store_as_ingesting_the_files() {
    let replay = Replay::start();
    let dir = temp_dir("same");
    let (fetched, ingested) = (dir.join("fetched.sqlite"), dir.join("ingested.sqlite"));
    let stdout = ok(&fetch_catalogue(&replay, &fetched, &dir.join("cache"), &[]));
    eprintln!("{stdout}");
    assert!(
        stdout.contains("85318NED (kwb): 32 rows, 4 page(s), 4 downloaded"),
        "{stdout}"
    );
    assert!(
        stdout.contains("85984NED (kwb): 34 rows, 4 page(s), 4 downloaded"),
        "{stdout}"
    );
    assert!(
        stdout.contains("gaps (no fetched table fills them):"),
        "{stdout}"
    );
    // Paging: 85984NED follows the service's odata.nextLink, 85318NED pages itself with
    // $top/$skip at the row limit (its last page is short, so no request past it).
    assert_eq!(replay.hits("/85984NED/TypedDataSet?$top=10&$skip=30"), 1);
    assert_eq!(replay.hits("/85318NED/TypedDataSet?$top=10&$skip=30"), 1);
    assert_eq!(replay.hits("/85318NED/TypedDataSet?$top=10&$skip=40"), 0);

    let mut args = vec![
        "ingest".to_string(),
        "--db".into(),
        ingested.display().to_string(),
    ];
    args.extend(file_route_files().iter().map(|p| p.display().to_string()));
    ok(&kwm().args(&args).output().unwrap());

    // The indicators the file route's reader finds in the files, renamed keys included
    // (Woningvoorraad_34 in 2022, _35 in 2024: one indicator).
    let (catalogue, _) = kwm_monitor::catalogue::resolve(None).unwrap();
    let batches = kwm_ingest::read_inputs(
        &file_route_files(),
        &catalogue,
        &kwm_ingest::ReadOptions::default(),
    )
    .unwrap();
    let mut ids: Vec<String> = batches
        .iter()
        .flat_map(|b| b.indicators.iter().map(|i| i.id.as_str().to_string()))
        .collect();
    ids.sort();
    ids.dedup();
    assert!(ids.contains(&"kwb_woningvoorraad".to_string()), "{ids:?}");
    let woningen = figures(&fetched, &["kwb_woningvoorraad".to_string()]);
    assert!(woningen.iter().any(|f| f.2 == 2022) && woningen.iter().any(|f| f.2 == 2024));

    let a = figures(&fetched, &ids);
    let b = figures(&ingested, &ids);
    let present = a.iter().filter(|f| f.4.is_some()).count();
    eprintln!(
        "compared {} figures ({present} with a value) of {} indicators",
        a.len(),
        ids.len()
    );
    assert!(a.len() >= 400, "too few figures compared: {}", a.len());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }

    // Fetched again: unchanged (same Modified), nothing downloaded, nothing stored anew.
    let before = std::fs::read(&fetched).unwrap();
    let pages_before = replay.hits("/85984NED/TypedDataSet?$top=10");
    let stdout = ok(&fetch_catalogue(&replay, &fetched, &dir.join("cache"), &[]));
    assert!(
        stdout.contains("unchanged since the last fetch"),
        "{stdout}"
    );
    assert!(stdout.contains("already stored"), "{stdout}");
    assert_eq!(replay.hits("/85984NED/TypedDataSet?$top=10"), pages_before);
    assert_eq!(std::fs::read(&fetched).unwrap(), before);

    // --offline from the cache into a new store: the same figures, no request.
    let hits = replay.all_hits().len();
    let offline = dir.join("offline.sqlite");
    let out = kwm()
        .args([
            "fetch",
            "--catalogue",
            "--source",
            "kwb",
            "--periods",
            "2022..2024",
            "--offline",
        ])
        .args(["--base-url", "http://127.0.0.1:9"])
        .arg("--db")
        .arg(&offline)
        .arg("--cache")
        .arg(dir.join("cache"))
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(replay.all_hits().len(), hits, "--offline sent requests");
    assert_eq!(figures(&offline, &ids), a);
}

#[test]
fn dry_run_prints_requests_and_size_and_stores_nothing() {
    let replay = Replay::start();
    let dir = temp_dir("dry");
    let db = dir.join("s.sqlite");
    let stdout = ok(&fetch_catalogue(
        &replay,
        &db,
        &dir.join("cache"),
        &["--dry-run"],
    ));
    assert!(
        stdout.contains("85984NED (kwb 2024) Modified 2025-03-27T02:00:00: 34 rows, 10 column(s), 4 page(s) of at most 10 rows"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "  GET {}/85318NED/TypedDataSet?$top=10&$skip=30",
            replay.base
        )),
        "{stdout}"
    );
    assert!(stdout.contains("dry run: 2 table(s), 66 rows"), "{stdout}");
    assert!(!db.exists(), "a dry run created the store");
    assert_eq!(replay.hits("/85984NED/TypedDataSet?$top=10"), 0);
}

#[test]
fn a_bad_response_names_table_and_url_and_stores_nothing() {
    let replay = Replay::start();
    let dir = temp_dir("bad");
    let db = dir.join("s.sqlite");
    ok(&kwm().args(["init", "--db"]).arg(&db).output().unwrap());
    let before = std::fs::read(&db).unwrap();
    // The second table's third page is broken JSON (after the first table downloaded fine).
    replay.fault(
        "/85984NED/TypedDataSet?$top=10&$skip=20",
        Fault::Body(r#"{"value":[{"ID":20,"WijkenEnBuurten":"WK168002  ","#.into()),
        1,
    );
    let out = fetch_catalogue(&replay, &db, &dir.join("cache"), &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "85984NED: {}/85984NED/TypedDataSet?$top=10&$skip=20: unexpected response",
            replay.base
        )),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was stored"), "{stderr}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the store changed");

    // A table the service does not have: its error body is the message.
    let out = kwm()
        .args([
            "fetch",
            "99999NED",
            "--base-url",
            &replay.base,
            "--backoff-ms",
            "10",
        ])
        .arg("--db")
        .arg(&db)
        .arg("--cache")
        .arg(dir.join("cache"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "99999NED: {}/99999NED/TableInfos: HTTP 404: Resource not found for the segment '99999NED'.",
            replay.base
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "the store changed");
}

#[test]
fn boundaries_from_the_features_service_are_stored_like_the_boundary_file() {
    let replay = Replay::start();
    let dir = temp_dir("boundaries");
    let (fetched, ingested) = (dir.join("fetched.sqlite"), dir.join("ingested.sqlite"));
    let template = format!(
        "{}/collections/{{level}}_gegeneraliseerd/items?f=json&limit=1&jaarcode={{year}}",
        replay.base
    );
    let out = kwm()
        .args([
            "fetch",
            "85984NED",
            "--boundaries",
            "gemeente",
            "--row-limit",
            "10",
        ])
        .args(["--base-url", &replay.base, "--boundary-url", &template])
        .arg("--db")
        .arg(&fetched)
        .arg("--cache")
        .arg(dir.join("cache"))
        .output()
        .unwrap();
    let stdout = ok(&out);
    assert!(
        stdout.contains(
            "boundaries gemeente 2024: 2 features, 2 page(s), 2 downloaded — stored as load"
        ),
        "{stdout}"
    );
    let files = fixtures().join("files");
    ok(&kwm()
        .args(["ingest", "--db"])
        .arg(&ingested)
        .arg(files.join("85984NED_TypedDataSet.csv"))
        .arg(files.join("gemeente_2024_pdok_extract.geojson"))
        .output()
        .unwrap());
    let shapes = |db: &Path| {
        let store = kwm_store::SqliteStore::open(db).unwrap();
        kwm_monitor::query::map_shapes(&store, Level::Gemeente, 2024).unwrap()
    };
    let (a, b) = (shapes(&fetched), shapes(&ingested));
    assert_eq!(a.len(), 2);
    assert_eq!(a, b);
    let ids = vec!["kwb_aantal_inwoners".to_string()];
    assert_eq!(figures(&fetched, &ids), figures(&ingested, &ids));
}

#[test]
fn a_fetched_load_records_url_modified_date_and_checksum() {
    let replay = Replay::start();
    let dir = temp_dir("provenance");
    let out = kwm()
        .args(["fetch", "85984NED", "--json", "--row-limit", "10"])
        .args(["--base-url", &replay.base])
        .arg("--db")
        .arg(dir.join("s.sqlite"))
        .arg("--cache")
        .arg(dir.join("cache"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let table = &report["tables"][0];
    assert_eq!(
        table["ingest"]["file_name"],
        format!(
            "{}/85984NED/TypedDataSet?$top=10 (Modified 2025-03-27T02:00:00)",
            replay.base
        )
    );
    assert_eq!(table["ingest"]["dataset"], "85984NED");
    assert_eq!(table["rows"], 34);
    // The checksum recorded is that of the rows as assembled, the same on every fetch of this
    // version: a second store gets the same one (and a re-fetch is "already stored").
    let again = kwm()
        .args(["fetch", "85984NED", "--json", "--row-limit", "10"])
        .args(["--base-url", &replay.base])
        .arg("--db")
        .arg(dir.join("s.sqlite"))
        .arg("--cache")
        .arg(dir.join("cache"))
        .output()
        .unwrap();
    let again: serde_json::Value = serde_json::from_str(&ok(&again)).unwrap();
    assert!(
        again["tables"][0]["ingest"]["outcome"]
            .to_string()
            .contains("already"),
        "{}",
        again["tables"][0]["ingest"]["outcome"]
    );
}
