//! The regiobeeld made by the server itself: the SVG and the PDF of Rotterdam (GM0599) carry the
//! same key figures as `/api/regions/GM0599`, the PDF is one A4 page whose text `pdftotext`
//! reads back, the similar areas answer as the OpenAPI document says, and the birth slots are
//! named gaps. Real demo files: gemeenten with provinces, boundaries 2024, KWB 2020 and 2024,
//! the Gezondheidsmonitor Jongvolwassenen.
//!
//! Needs `pdftotext` and `pdfinfo` (poppler-utils; .ci/run installs them): a missing tool fails
//! the test with what to install, it never skips.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kwm_server::i18n::Lang;
use serde_json::Value;
use tower::ServiceExt;

mod common;
use common::{app, catalogue, computed_store, get_json_from};

fn store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        computed_store(
            "regiobeeld",
            "computed",
            &[
                "codelists/gemeenten_2021_provincie.csv",
                "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
                "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
                "kwb/85984NED_DataProperties.json",
                "kwb/kwb_2020_gemeente_wijkbuurtkaart.csv",
                "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
            ],
        )
    })
}

async fn bytes(uri: &str) -> (StatusCode, String, Vec<u8>) {
    let response = app(store(), catalogue())
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
    (status, content_type, body.to_vec())
}

/// A value as the pages print it (Dutch number, unit as `value_text` adds it).
fn shown(value: f64, indicator: &Value) -> String {
    let n = Lang::Nl.number(value, indicator["decimals"].as_u64().unwrap() as u8);
    match indicator["unit"].as_str().unwrap() {
        "%" => format!("{n}%"),
        "" | "aantal" => n,
        u => format!("{n} {u}"),
    }
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} not found ({e}): apt-get install poppler-utils (.ci/run does)")
    });
    assert!(out.status.success(), "{name} {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The key figures of the API's profile that the regiobeeld shows for its own period.
async fn key_figures() -> Vec<(String, String, String)> {
    let (status, profile) = get_json_from(app(store(), catalogue()), "/api/regions/GM0599").await;
    assert_eq!(status, StatusCode::OK);
    let period = profile["period"].as_i64().map(|p| p as i32);
    let ids =
        kwm_monitor::regiobeeld::key_figure_ids(&catalogue(), kwm_model::Level::Gemeente, period);
    let out: Vec<(String, String, String)> = profile["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| ids.iter().any(|id| r["indicator"]["id"] == id.as_str()))
        .filter(|r| r["value"].is_number())
        .map(|r| {
            (
                r["indicator"]["id"].as_str().unwrap().to_string(),
                shown(r["value"].as_f64().unwrap(), &r["indicator"]),
                r["indicator"]["population"]["label"]["nl"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert!(
        out.iter().any(|(id, _, _)| id == "kwb_aantal_inwoners"),
        "{out:?}"
    );
    out
}

#[tokio::test]
async fn the_svg_and_the_pdf_carry_the_apis_key_figures() {
    let figures = key_figures().await;

    let (status, content_type, svg) = bytes("/regio/GM0599/regiobeeld.svg").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "image/svg+xml");
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(
        !svg.contains("href=\"/") && !svg.contains("<image"),
        "self-contained"
    );
    assert!(svg.contains(">Regiobeeld Rotterdam</text>"));
    for (id, value, population) in &figures {
        assert!(
            svg.contains(&format!(">{value}</text>")),
            "{id} {value} in the SVG"
        );
        assert!(
            svg.contains(population.as_str()),
            "{id}: population '{population}' in the SVG"
        );
    }

    let (status, content_type, pdf) = bytes("/regio/GM0599/regiobeeld.pdf").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/pdf");
    let path = std::env::temp_dir().join(format!("kwm-regiobeeld-{}.pdf", std::process::id()));
    std::fs::write(&path, &pdf).unwrap();
    let file = path.to_str().unwrap();
    let info = tool("pdfinfo", &[file]);
    assert!(info.contains("Pages:           1"), "{info}");
    assert!(info.contains("(A4)"), "{info}");
    let text = tool("pdftotext", &["-layout", file, "-"]);
    assert!(text.contains("Regiobeeld Rotterdam"), "{text}");
    for (id, value, population) in &figures {
        assert!(
            text.contains(value.as_str()),
            "{id} {value} in the PDF:\n{text}"
        );
        assert!(
            text.contains(population.as_str()),
            "{id}: '{population}' in the PDF"
        );
    }
    // Named gaps, never figures: the birth slots with the source that would fill them.
    assert!(
        text.contains("Vroeggeboorte") && text.contains("Perined"),
        "{text}"
    );
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn similar_areas_follow_the_catalogue_rule() {
    let (status, body) =
        get_json_from(app(store(), catalogue()), "/api/regions/GM0599/similar").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rule"]["k"], 10);
    assert_eq!(body["rule"]["variables"].as_array().unwrap().len(), 3);
    let similar = body["similar"].as_array().unwrap();
    assert_eq!(similar.len(), 10, "{body}");
    assert!(similar
        .iter()
        .all(|a| a["code"].as_str().unwrap().starts_with("GM")));
    assert!(
        similar.iter().all(|a| a["code"] != "GM0599"),
        "never its own neighbour"
    );
    let d: Vec<f64> = similar
        .iter()
        .map(|a| a["distance"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "nearest first: {d:?}");
    let (status, content_type, csv) = bytes("/api/regions/GM0599/similar?format=csv").await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 11);
    let (status, _) =
        get_json_from(app(store(), catalogue()), "/api/regions/GM0599/similar?k=3").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown parameters are refused"
    );
}

#[tokio::test]
async fn a_province_has_no_regiobeeld_and_says_why() {
    let (status, _, body) = bytes("/regio/PV28/regiobeeld").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("gemeente, wijk of buurt"));
}
