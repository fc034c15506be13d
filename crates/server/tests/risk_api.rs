//! The risk model's endpoints and pages on the real demo data, computed as `kwm compute` does:
//! the numbers each answer carries must add up by the rules the answer states, errors are JSON
//! with 400/404, and stale results say so.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::http::StatusCode;
use kwm_ingest::ReadOptions;
use kwm_model::catalogue::Catalogue;
use kwm_store::SqliteStore;
use serde_json::Value;

mod common;
use common::{app, catalogue, get_from, get_json_from, repo};

/// (store with figures only, store with figures and computed results), built once.
fn stores() -> &'static (PathBuf, PathBuf) {
    static PATHS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PATHS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kwm-risk-api-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let loaded = dir.join("loaded.sqlite");
        let computed = dir.join("computed.sqlite");
        let _ = std::fs::remove_file(&loaded);
        let files: Vec<PathBuf> = [
            "codelists/gemeenten_2019.csv",
            "codelists/gemeenten_2021_provincie.csv",
            "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
            "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
            "kwb/85984NED_DataProperties.json",
            "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
            "kwb/kwb_2019_gemeente_bevolking_long.csv",
        ]
        .iter()
        .map(|f| repo().join("data").join(f))
        .collect();
        {
            let mut store = SqliteStore::open(&loaded).unwrap();
            kwm_monitor::ingest::ingest_files(
                &mut store,
                &catalogue(),
                &files,
                &ReadOptions::default(),
                "2026-11-23T00:00:00Z",
            )
            .unwrap();
        }
        std::fs::copy(&loaded, &computed).unwrap();
        let mut store = SqliteStore::open(&computed).unwrap();
        kwm_monitor::risk::compute_all(
            &mut store,
            &catalogue(),
            None,
            None,
            "2026-11-23T01:00:00Z",
            false,
        )
        .unwrap();
        (loaded, computed)
    })
}

fn round(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

fn app_with(path: &Path, catalogue: Catalogue) -> axum::Router {
    app(path, catalogue)
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    get_from(app(&stores().1, catalogue()), uri).await
}

async fn get_json(uri: &str) -> (StatusCode, Value) {
    get_json_from(app(&stores().1, catalogue()), uri).await
}

#[tokio::test]
async fn stacking_counts_add_up_and_state_their_rules() {
    let (status, body) = get_json("/api/stacking").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["level"], "gemeente");
    assert_eq!(body["period"], 2024, "the latest period with results");
    assert_eq!(body["periods"], serde_json::json!([2019, 2024]));
    assert_eq!(body["run"]["stale"], false);
    assert_eq!(body["run"]["method"]["threshold"], 90.0);
    assert!(body["rules"]["flag"]
        .as_str()
        .unwrap()
        .contains("displayed percentile"));
    let regions = body["regions"].as_array().unwrap();
    let dist = body["distribution"].as_array().unwrap();
    assert_eq!(dist.len(), 13, "0..=12");
    let with_data = regions
        .iter()
        .filter(|r| r["with_data"].as_u64().unwrap() > 0)
        .count();
    assert_eq!(
        with_data as u64,
        dist.iter()
            .map(|d| d["regions"].as_u64().unwrap())
            .sum::<u64>()
    );
    assert_eq!(
        (regions.len() - with_data) as u64,
        body["no_data"].as_u64().unwrap()
    );
    for (k, d) in dist.iter().enumerate() {
        let n = regions
            .iter()
            .filter(|r| r["with_data"].as_u64().unwrap() > 0 && r["flagged"] == k)
            .count();
        assert_eq!(d["regions"], n, "distribution at {k}");
    }
    let measured: Vec<&str> = body["characteristics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["has_data"] == true)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for r in regions {
        let flagged = r["flagged_characteristics"].as_array().unwrap();
        assert_eq!(r["flagged"], flagged.len());
        assert!(flagged
            .iter()
            .all(|f| measured.contains(&f.as_str().unwrap())));
        assert!(r["flagged"].as_u64() <= r["with_data"].as_u64());
        assert!(r["with_data"].as_u64().unwrap() <= measured.len() as u64);
    }
    // The composite ranks 1..n with ties sharing the lowest rank.
    let mut ranks: Vec<u64> = regions
        .iter()
        .filter_map(|r| r["composite_rank"].as_u64())
        .collect();
    ranks.sort();
    assert_eq!(ranks[0], 1);

    let (_, ggd) = get_json("/api/stacking?level=ggd&period=2024").await;
    assert_eq!(ggd["regions"].as_array().unwrap().len(), 25);
    let (_, y2019) = get_json("/api/stacking?period=2019").await;
    let has: Vec<&str> = y2019["characteristics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["has_data"] == true)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(has, vec!["leeftijd"]);

    let (status, ct, csv) = get("/api/stacking?level=gemeente&period=2024&format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(csv.starts_with("code,name,flagged,with_data,flagged_characteristics,"));
    assert_eq!(csv.lines().count(), regions.len() + 1);
}

#[tokio::test]
async fn a_region_profile_traces_every_number_to_indicators_weights_and_the_matrix() {
    let (status, body) = get_json("/api/regions/GM0363/themes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["region"]["name"], "Amsterdam");
    assert_eq!(body["period"], 2024);
    let (_, themes_doc) = get_json("/api/themes").await;
    let matrix = &themes_doc["matrix"];
    let chars = body["characteristics"].as_array().unwrap();
    assert_eq!(chars.len(), 12 + 6);
    let decimals = body["run"]["method"]["percentile_decimals"]
        .as_i64()
        .unwrap() as i32;
    let threshold = body["run"]["method"]["threshold"].as_f64().unwrap();
    let mut flagged = 0;
    for c in chars {
        let terms = c["indicators"].as_array().unwrap();
        if let Some(score) = c["score"].as_f64() {
            // The score is the weighted mean of the term percentiles actually used.
            let s: f64 = terms
                .iter()
                .filter_map(|t| Some(t["effective_weight"].as_f64()? * t["percentile"].as_f64()?))
                .sum();
            assert!((s - score).abs() < 1e-9, "{}", c["id"]);
            let p = c["percentile"].as_f64().unwrap();
            assert_eq!(round(p, decimals), p, "shown with the run's decimals");
            assert_eq!(c["flagged"], p >= threshold, "{}", c["id"]);
            if c["kind"] == "risk" && c["flagged"] == true {
                flagged += 1;
            }
        } else {
            assert_eq!(c["flagged"], false);
        }
        assert_eq!(c["gap"], terms.is_empty());
    }
    assert_eq!(body["stacking"]["flagged"], flagged);
    // Exposure is the matrix-weighted mean of the drivers' percentiles.
    let theme_ids: Vec<&str> = matrix["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for t in body["themes"].as_array().unwrap() {
        let k = theme_ids.iter().position(|x| *x == t["id"]).unwrap();
        let drivers = t["drivers"].as_array().unwrap();
        let (mut num, mut den) = (0.0, 0.0);
        for d in drivers {
            let row = matrix["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["characteristic"] == d["characteristic"])
                .unwrap();
            assert_eq!(row["values"][k], d["matrix_value"]);
            num += d["matrix_value"].as_f64().unwrap() * d["percentile"].as_f64().unwrap();
            den += d["matrix_value"].as_f64().unwrap();
        }
        assert_eq!(
            t["exposure"].as_f64().unwrap(),
            round(num / den, decimals),
            "{}",
            t["id"]
        );
    }
    let (_, wadden) = get_json("/api/regions/GM0060/themes").await;
    assert_eq!(wadden["stacking"]["with_data"], 0);
    assert!(wadden["composite"]["value"].is_null());
}

#[tokio::test]
async fn catalogue_endpoints_describe_characteristics_themes_and_groups() {
    let (status, body) = get_json("/api/characteristics").await;
    assert_eq!(status, StatusCode::OK);
    let chars = body["characteristics"].as_array().unwrap();
    assert_eq!(chars.len(), 12);
    assert_eq!(body["protective_factors"].as_array().unwrap().len(), 6);
    for c in chars {
        assert_eq!(c["themes"].as_object().unwrap().len(), 7, "{}", c["id"]);
        for d in c["definitions"].as_array().unwrap() {
            let sum: f64 = d["terms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["weight"].as_f64().unwrap())
                .sum();
            assert!((sum - 1.0).abs() < 1e-6);
            assert!(!d["population"]["nl"].as_str().unwrap().is_empty());
            assert!(!d["population"]["en"].as_str().unwrap().is_empty());
        }
    }
    assert!(
        body["protective_factors"][0]["themes"].is_null(),
        "protective factors are not in the matrix"
    );

    let (_, themes) = get_json("/api/themes").await;
    assert_eq!(themes["themes"].as_array().unwrap().len(), 7);
    assert_eq!(themes["matrix"]["rows"].as_array().unwrap().len(), 12);
    assert!(themes["matrix"]["note"]
        .as_str()
        .unwrap()
        .contains("not causes"));

    let (_, groups) = get_json("/api/groups").await;
    let list = groups["groups"].as_array().unwrap();
    assert_eq!(list.len(), 12);
    assert_eq!(groups["candidates"].as_array().unwrap().len(), 9);
    let sources: Vec<&String> = groups["sources"].as_object().unwrap().keys().collect();
    for g in list {
        assert!(g["named_by"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| sources.iter().any(|k| *k == s)));
    }
    let (status, g) = get_json("/api/groups/kwetsbare_jongeren").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!g["policies"].as_array().unwrap().is_empty());
    assert_eq!(g["areas"]["period"], 2024);
    let areas = g["areas"]["regions"].as_array().unwrap();
    assert!(!areas.is_empty());
    let measured = g["areas"]["measured"].as_array().unwrap();
    assert!(areas.iter().all(|a| a["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| measured.contains(f))));
}

#[tokio::test]
async fn coverage_lists_gaps_per_level_and_period() {
    let (status, body) = get_json("/api/coverage").await;
    assert_eq!(status, StatusCode::OK);
    let columns = body["columns"].as_array().unwrap();
    assert!(columns
        .iter()
        .any(|c| c["level"] == "gemeente" && c["period"] == 2019));
    let factors = body["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 18);
    for f in factors {
        for c in f["cells"].as_array().unwrap() {
            assert_eq!(c["gap"], c["status"] != "measured");
        }
    }
    let flex = factors
        .iter()
        .find(|f| f["id"] == "flexibel_werkverband")
        .unwrap();
    // Flexible work is defined for gemeenten only (a KWB proxy, issue 12): every other level
    // is a gap of definition.
    assert!(flex["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["level"] != "gemeente")
        .all(|c| c["status"] == "no_definition"));
    let (_, gm) = get_json("/api/coverage?level=gemeente").await;
    assert!(gm["columns"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["level"] == "gemeente"));
}

#[tokio::test]
async fn risk_errors_are_json_with_the_right_status() {
    for (uri, status) in [
        ("/api/stacking?level=buurt", StatusCode::NOT_FOUND),
        ("/api/stacking?period=1999", StatusCode::NOT_FOUND),
        ("/api/stacking?period=abc", StatusCode::BAD_REQUEST),
        ("/api/stacking?level=stad", StatusCode::BAD_REQUEST),
        ("/api/stacking?colour=red", StatusCode::BAD_REQUEST),
        ("/api/stacking?format=xml", StatusCode::BAD_REQUEST),
        ("/api/regions/XX/themes", StatusCode::BAD_REQUEST),
        ("/api/regions/GM9999/themes", StatusCode::NOT_FOUND),
        (
            "/api/regions/GM0363/themes?period=2018",
            StatusCode::NOT_FOUND,
        ),
        ("/api/regions/WK036300/themes", StatusCode::NOT_FOUND),
        ("/api/groups/nobody", StatusCode::NOT_FOUND),
        (
            "/api/groups/kwetsbare_jongeren?period=1999",
            StatusCode::NOT_FOUND,
        ),
        ("/api/characteristics?x=1", StatusCode::BAD_REQUEST),
        ("/api/coverage?level=land", StatusCode::BAD_REQUEST),
        ("/api/coverage?level=stad", StatusCode::BAD_REQUEST),
    ] {
        let (got, body) = get_json(uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(body["error"]["status"], status.as_u16(), "{uri}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn results_computed_with_another_catalogue_are_marked_stale() {
    let mut changed = catalogue();
    changed.risk.method.threshold = 80.0;
    let (_, _, body) = get_from(app_with(&stores().1, changed.clone()), "/api/stacking").await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["run"]["stale"], true);
    assert_eq!(
        body["run"]["method"]["threshold"], 90.0,
        "what it was computed with"
    );
    let (_, _, page) = get_from(app_with(&stores().1, changed), "/stapeling").await;
    assert!(page.contains("Verouderd"));
}

#[tokio::test]
async fn risk_pages_render_and_say_when_nothing_is_computed() {
    for uri in [
        "/stapeling",
        "/stapeling?level=ggd",
        "/stapeling?period=2019&sort=name&order=desc",
        "/regio/GM0363/themas",
        "/regio/GM0060/themas",
        "/groepen",
        "/groepen/sekswerkers",
        "/methode",
        "/dekking",
        "/dekking?level=wijk",
        "/stapeling?lang=en",
    ] {
        let (status, ct, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(ct.starts_with("text/html"), "{uri}");
        assert!(body.contains("</html>"), "{uri}");
    }
    let (_, _, page) = get("/stapeling").await;
    assert_eq!(
        page.matches("class=\"region s").count() + page.matches("class=\"region nodata").count(),
        342
    );
    let (_, _, profile) = get("/regio/GM0363").await;
    // The link to the themes keeps the profile's year.
    assert!(profile.contains("href=\"/regio/GM0363/themas?period="));
    for (uri, status) in [
        ("/groepen/nobody", StatusCode::NOT_FOUND),
        ("/regio/GM9999/themas", StatusCode::NOT_FOUND),
        ("/dekking?level=stad", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(get(uri).await.0, status, "{uri}");
    }
    // A store with figures but no computed results.
    let empty = app_with(&stores().0, catalogue());
    let (status, _, page) = get_from(empty.clone(), "/stapeling").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("kwm compute"));
    let (status, _, _) = get_from(empty, "/api/stacking").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
