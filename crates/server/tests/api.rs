//! Every API endpoint on a store holding the real demo data, including 400 and 404 answers,
//! and the OpenAPI document covering every route.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::http::StatusCode;
use kwm_ingest::ReadOptions;
use kwm_store::SqliteStore;
use serde_json::Value;

mod common;
use common::{app, catalogue, get_from, get_json_from, repo};

/// One demo store per test binary.
fn store_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kwm-api-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("demo.sqlite");
        let _ = std::fs::remove_file(&path);
        let catalogue = kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap();
        let files: Vec<PathBuf> = [
            "codelists/gemeenten_2021_provincie.csv",
            "boundaries/provincie_2023_cartomap_wgs84.topojson",
            "boundaries/gemeente_2022_cartomap_wgs84.topojson",
            "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
            "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
            "kwb/85984NED_DataProperties.json",
            "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
            "kwb/kwb_2019_gemeente_bevolking_long.csv",
        ]
        .iter()
        .map(|f| repo().join("data").join(f))
        .collect();
        let mut store = SqliteStore::open(&path).unwrap();
        kwm_monitor::ingest::ingest_files(
            &mut store,
            &catalogue,
            &files,
            &ReadOptions::default(),
            "2026-11-23T00:00:00Z",
        )
        .unwrap();
        path
    })
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    get_from(app(store_path(), catalogue()), uri).await
}

async fn get_json(uri: &str) -> (StatusCode, Value) {
    get_json_from(app(store_path(), catalogue()), uri).await
}

#[tokio::test]
async fn healthz() {
    let (status, body) = get_json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["loads"], 7,
        "8 files, of which DataProperties is metadata, not a load"
    );
}

#[tokio::test]
async fn indicators_have_labels_units_directions_and_sources() {
    let (status, body) = get_json("/api/indicators").await;
    assert_eq!(status, StatusCode::OK);
    let list = body.as_array().unwrap();
    let rondkomen = list
        .iter()
        .find(|i| i["id"] == "jv_moeite_met_rondkomen")
        .unwrap();
    assert_eq!(rondkomen["label"]["nl"], "Moeite met rondkomen");
    assert_eq!(rondkomen["label"]["en"], "Difficulty making ends meet");
    assert_eq!(rondkomen["unit"], "%");
    assert_eq!(rondkomen["direction"], "higher_is_worse");
    assert!(rondkomen["source"].as_str().unwrap().contains("RIVM"));
    assert_eq!(
        rondkomen["levels"],
        serde_json::json!(["land", "ggd", "gemeente"])
    );
    let (status, ct, csv) = get("/api/indicators?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(csv.starts_with("id,label_nl,label_en,unit,direction,source,periods,levels"));
}

#[tokio::test]
async fn regions_of_2024_and_2022() {
    let (status, body) = get_json("/api/regions?level=gemeente&period=2024").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["layout"], 2024);
    let regions = body["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 342);
    let ams = regions.iter().find(|r| r["code"] == "GM0363").unwrap();
    assert_eq!(ams["name"], "Amsterdam");
    assert_eq!(ams["parent"], "PV27");
    // Voorne aan Zee did not exist in 2021: its province comes from the province boundaries.
    let voorne = regions.iter().find(|r| r["code"] == "GM1992").unwrap();
    assert_eq!(voorne["parent"], "PV28");
    let (_, body) = get_json("/api/regions?level=gemeente&period=2022").await;
    assert_eq!(body["regions"].as_array().unwrap().len(), 345);
    let (_, _, csv) = get("/api/regions?level=gemeente&period=2024&format=csv").await;
    assert_eq!(csv.lines().count(), 343);
}

#[tokio::test]
async fn observations_with_ranks_and_percentiles() {
    let (status, body) =
        get_json("/api/observations?indicator=jv_moeite_met_rondkomen&level=gemeente&period=2024")
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["national"]["value"], 28.3);
    assert_eq!(body["national"]["derived"], false);
    let rows = body["observations"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        342,
        "all 2024 gemeenten, the Wadden islands as missing"
    );
    let missing: Vec<&str> = rows
        .iter()
        .filter(|r| r["status"] == "missing")
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(missing, vec!["GM0060", "GM0088", "GM0093", "GM0096"]);
    let ranked = rows.iter().filter(|r| r["rank"].is_number()).count();
    assert_eq!(body["ranked"], ranked);
    // Rank 1 is the highest share (higher is worse). Amsterdam and Maastricht tie at 38.8%:
    // both rank 1, and both get the tie's minimum ascending rank in the percentile,
    // (322 − 1)/(323 − 1) = 99.7, as PERCENTRANK.INC does.
    let top: Vec<&str> = rows
        .iter()
        .filter(|r| r["rank"] == 1)
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(top, vec!["GM0363", "GM0935"]);
    let max = rows
        .iter()
        .filter_map(|r| r["value"].as_f64())
        .fold(f64::MIN, f64::max);
    assert_eq!(max, 38.8);
    assert!(rows
        .iter()
        .filter(|r| r["rank"] == 1)
        .all(|r| r["percentile"] == 99.7));
}

#[tokio::test]
async fn population_total_is_derived_from_gemeenten_when_not_published() {
    let (_, body) =
        get_json("/api/observations?indicator=kwb_aantal_inwoners&level=gemeente&period=2019")
            .await;
    assert_eq!(body["national"]["derived"], true);
    // 1-1-2019 population of the Netherlands, 17,282,163 (CBS; see data/README.md).
    assert_eq!(body["national"]["value"], 17_282_163.0);
}

#[tokio::test]
async fn observations_as_csv() {
    let (status, ct, csv) = get(
        "/api/observations?indicator=kwb_aantal_inwoners&level=gemeente&period=2024&format=csv",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    // Whom the figures describe and their source travel with the file, on every row.
    assert_eq!(
        csv.lines().next().unwrap(),
        "code,name,value,lower,upper,status,rank,percentile,population,source"
    );
    let (_, indicator) =
        get_json("/api/observations?indicator=kwb_aantal_inwoners&level=gemeente&period=2024")
            .await;
    let population = indicator["indicator"]["population"]["id"].as_str().unwrap();
    let source = indicator["indicator"]["source"].as_str().unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    for r in rows.records() {
        let r = r.unwrap();
        assert_eq!((&r[8], &r[9]), (population, source), "{r:?}");
    }
    assert!(csv.lines().any(|l| l.starts_with("GM0363,Amsterdam,")));
}

#[tokio::test]
async fn region_profile() {
    let (status, body) = get_json("/api/regions/GM0363?period=2024").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["region"]["name"], "Amsterdam");
    assert_eq!(body["region"]["parent"]["code"], "PV27");
    assert_eq!(body["periods"], serde_json::json!([2019, 2024]));
    let indicators = body["indicators"].as_array().unwrap();
    assert_eq!(indicators.len(), 148 + 8);
    let schulden = indicators
        .iter()
        .find(|i| i["indicator"]["id"] == "jv_heeft_schulden")
        .unwrap();
    assert!(
        schulden["value"].is_number()
            && schulden["national"]["value"] == 10.6
            && schulden["rank"].is_number()
    );
    // A Wadden island: every Gezondheidsmonitor indicator is there, marked missing.
    let (_, ameland) = get_json("/api/regions/GM0060?period=2024").await;
    let jv: Vec<&Value> = ameland["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["indicator"]["id"].as_str().unwrap().starts_with("jv_"))
        .collect();
    assert_eq!(jv.len(), 148);
    assert!(jv
        .iter()
        .all(|i| i["status"] == "missing" && i["rank"].is_null()));
}

#[tokio::test]
async fn errors_are_json_with_the_right_status() {
    for (uri, status) in [
        ("/api/regions/GM9999", StatusCode::NOT_FOUND),
        ("/api/regions/XX", StatusCode::BAD_REQUEST),
        ("/api/regions/GM0363?period=1999", StatusCode::NOT_FOUND),
        ("/api/regions/GM0363?period=abc", StatusCode::BAD_REQUEST),
        ("/api/observations?indicator=nope", StatusCode::NOT_FOUND),
        ("/api/observations?level=gemeente", StatusCode::BAD_REQUEST),
        (
            "/api/observations?indicator=jv_heeft_schulden&level=buurt",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/observations?indicator=jv_heeft_schulden&level=stad",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/observations?indicator=jv_heeft_schulden&period=2019",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/observations?indicator=jv_heeft_schulden&format=xml",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/observations?indicator=jv_heeft_schulden&colour=red",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/regions?level=buurt", StatusCode::NOT_FOUND),
        ("/api/regions?period=99999", StatusCode::BAD_REQUEST),
        ("/api/nothing", StatusCode::NOT_FOUND),
    ] {
        let (got, body) = get_json(uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(body["error"]["status"], status.as_u16(), "{uri}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_openapi_document_covers_every_api_route() {
    let (status, doc) = get_json("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    // Every route registered under /api (and /healthz) must be documented, and vice versa.
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let api_block = &source[source.find("let api = Router::new()").unwrap()
        ..source.find(".fallback(api::not_found)").unwrap()];
    let mut routes: Vec<String> = api_block
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".route(\""))
        .map(|r| format!("/api{}", r.split('"').next().unwrap()))
        .collect();
    assert!(source.contains(".route(\"/healthz\""));
    routes.push("/healthz".into());
    routes.sort();
    let mut documented: Vec<String> = paths.keys().cloned().collect();
    documented.sort();
    assert_eq!(routes, documented);
    for (path, item) in paths {
        assert!(item["get"]["responses"]["200"].is_object(), "{path}");
    }
}

#[tokio::test]
async fn pages_render_and_unknown_pages_are_404() {
    for uri in [
        "/",
        "/regio/GM0363",
        "/indicatoren",
        "/bronnen",
        "/over",
        "/toegankelijkheid",
        "/?indicator=kwb_aantal_inwoners&level=wijk",
    ] {
        let (status, ct, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(ct.starts_with("text/html"), "{uri}");
        assert!(body.contains("<html lang=\"nl\">"), "{uri}");
    }
    let (_, _, home) = get("/").await;
    assert_eq!(
        home.matches("class=\"region ").count(),
        342,
        "one map shape per 2024 gemeente"
    );
    let (status, _, body) = get("/regio/GM9999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("GM9999"));
    let (status, _, _) = get("/bestaat-niet").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get("/?indicator=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn english_on_request() {
    let (_, _, body) = get("/regio/GM0363?lang=en").await;
    assert!(body.contains("<html lang=\"en\">") && body.contains("Difficulty making ends meet"));
}

/// Every route of the document refuses a parameter it does not know with the API's JSON 400,
/// naming it and listing the names the route accepts — which are exactly the query parameters
/// the document lists for it.
#[tokio::test]
async fn every_route_refuses_an_unknown_parameter_and_lists_the_documented_ones() {
    let (status, doc) = get_json("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 25, "{} paths", paths.len());
    for (path, item) in paths {
        let documented: Vec<&str> = item["get"]["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        // Parameters are checked before the path's values are looked up.
        let uri = format!(
            "{}?onbekend=1",
            path.replace("{code}", "GM0599").replace("{id}", "x")
        );
        let (status, body) = get_json(&uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body["error"]["status"], 400, "{uri}");
        let message = body["error"]["message"].as_str().unwrap();
        let allowed = message
            .strip_prefix("unknown parameter 'onbekend'; allowed: ")
            .unwrap_or_else(|| panic!("{uri}: {message}"));
        let mut allowed: Vec<&str> = allowed.split(", ").filter(|n| !n.is_empty()).collect();
        allowed.sort();
        let mut documented = documented;
        documented.sort();
        assert_eq!(allowed, documented, "{uri}");
    }
}
