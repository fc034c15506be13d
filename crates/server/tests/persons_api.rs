//! `GET /api/persons-stacking`, `GET /api/breakdowns` and the page "Stapeling per persoon" on a
//! store holding the SYNTHETIC demo table, including 400 and 404 answers and a store without
//! any person-level table.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{app, catalogue, get_from, loaded_store};

fn store(name: &str, files: &[&str]) -> PathBuf {
    loaded_store("persons-api", name, files)
}

fn synthetic_store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        store(
            "synthetic",
            &[
                "codelists/gemeenten_2021_provincie.csv",
                "synthetic/persons_stacking_synthetic_2024.csv",
            ],
        )
    })
}

async fn json(uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = get(synthetic_store(), uri).await;
    (status, serde_json::from_str(&body).unwrap())
}

async fn get(path: &Path, uri: &str) -> (StatusCode, String, String) {
    get_from(app(path, catalogue()), uri).await
}

#[tokio::test]
async fn national_distribution_is_synthetic_top_coded_and_adds_up() {
    let (status, v) = json("/api/persons-stacking").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["synthetic"], true);
    assert!(v["note"].as_str().unwrap().starts_with("SYNTHETIC"));
    assert_eq!(
        (v["region"].as_str(), v["period"].as_i64()),
        (Some("NL01"), Some(2024))
    );
    let labels: Vec<&str> = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["0", "1", "2", "3+"]);
    let total = &v["rows"][0];
    assert_eq!(total["breakdown"], "");
    let persons = total["persons"]["value"].as_f64().unwrap();
    let sum: f64 = total["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_f64().unwrap())
        .sum();
    assert_eq!(sum, persons);
    // Rows by age class carry their dimension.
    assert!(v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["dimensions"]["age_class"] == "25-44"
            && r["dimensions"].as_object().unwrap().len() == 1));
}

#[tokio::test]
async fn suppressed_cells_have_no_value_and_no_share() {
    let (status, v) = json("/api/persons-stacking?region=GM0096&period=2024&data=synthetic").await;
    assert_eq!(status, StatusCode::OK);
    let counts: Vec<&Value> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["counts"].as_array().unwrap())
        .collect();
    let suppressed: Vec<&&Value> = counts
        .iter()
        .filter(|c| c["status"] == "suppressed")
        .collect();
    assert!(!suppressed.is_empty());
    for c in suppressed {
        assert!(c["value"].is_null() && c["share"].is_null(), "{c}");
    }
    let (status, ct, csv) = get(
        synthetic_store(),
        "/api/persons-stacking?region=GM0096&format=csv",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(csv
        .lines()
        .any(|l| l.contains(",suppressed,") && l.ends_with(",true")));
    let (status, cells) =
        json("/api/breakdowns?indicator=synthetic_mds_persons&region=GM0096&period=2024").await;
    assert_eq!(status, StatusCode::OK);
    let cells = cells.as_array().unwrap();
    assert_eq!(cells.len(), 1 + 5 + 3 + 15);
    assert_eq!(cells[0]["breakdown"], "");
}

#[tokio::test]
async fn caller_mistakes_are_400_and_unknowns_404() {
    for (uri, want) in [
        (
            "/api/persons-stacking?regio=GM0096",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/persons-stacking?region=XX", StatusCode::BAD_REQUEST),
        ("/api/persons-stacking?data=fake", StatusCode::BAD_REQUEST),
        ("/api/persons-stacking?period=20x4", StatusCode::BAD_REQUEST),
        ("/api/persons-stacking?data=real", StatusCode::NOT_FOUND),
        ("/api/persons-stacking?period=2019", StatusCode::NOT_FOUND),
        ("/api/persons-stacking?region=GM0344", StatusCode::NOT_FOUND),
        (
            "/api/breakdowns?indicator=synthetic_mds_persons&region=GM0096",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/breakdowns?indicator=nope&region=GM0096&period=2024",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, v) = json(uri).await;
        assert_eq!(status, want, "{uri}");
        assert_eq!(v["error"]["status"], want.as_u16(), "{uri}: {v}");
    }
}

#[tokio::test]
async fn the_page_labels_synthetic_figures_and_never_fills_in_suppressed_cells() {
    let (status, ct, body) = get(synthetic_store(), "/stapeling-personen?region=GM0096").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    assert!(body.contains("SYNTHETISCH") && body.contains("synthetic-banner"));
    assert!(body.contains("onderdrukt"));
    // One table per breakdown group and the total; a chart beside all but the crossed one.
    assert_eq!(
        body.matches("<table class=\"data persons-table\"").count(),
        4
    );
    assert_eq!(body.matches("class=\"bars stack100\"").count(), 3);
    let (_, _, en) = get(
        synthetic_store(),
        "/stapeling-personen?region=GM0096&lang=en",
    )
    .await;
    assert!(en.contains("SYNTHETIC") && en.contains("suppressed"));
    let (status, _, _) = get(synthetic_store(), "/stapeling-personen?region=GM9999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without a person-level table: a page that says how to make one, and a 404 from the API.
    let empty = store("empty", &["codelists/gemeenten_2021_provincie.csv"]);
    let (status, _, body) = get(&empty, "/stapeling-personen").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("kwm microdata stack"));
    let (status, _, _) = get(&empty, "/api/persons-stacking").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn area_views_leave_person_level_figures_out_and_link_to_them() {
    // The region profile (API and page) lists no person-level figure among the area's figures,
    // only a link, tagged synthetic.
    let (status, p) = json("/api/regions/GM0096?period=2024").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = p["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["indicator"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.iter().all(|id| !id.contains("mds_")), "{ids:?}");
    assert_eq!(p["person_stacking"]["synthetic"], true, "{p}");
    let (status, _, page) = get(synthetic_store(), "/regio/GM0096?period=2024").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("synthetic_mds_"),
        "a synthetic id on the profile"
    );
    assert!(page.contains("/stapeling-personen?region=GM0096&amp;period=2024"));
    assert!(page.contains("synthetic-tag"));
    // The map offers none, and refuses one asked for by name.
    let (status, _, map) = get(synthetic_store(), "/").await;
    assert!(!map.contains("synthetic_mds_"), "{status}");
    let (status, _, _) = get(synthetic_store(), "/?indicator=synthetic_mds_persons").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The list of indicators sends them to their own page, tagged synthetic.
    let (_, _, list) = get(synthetic_store(), "/indicatoren").await;
    assert!(!list.contains("/?indicator=synthetic_mds_"), "a map link");
    assert!(list.contains(
        "<a href=\"/stapeling-personen\">synthetic_mds_persons</a> <span class=\"synthetic-tag\">"
    ));
}
