//! Downloads of the profile, themes and regiobeeld pages: every table as CSV with the same
//! figures as the JSON answer and a population and a source on every row, every chart as an SVG
//! file that names whom it describes. Real demo files: gemeenten with provinces, boundaries
//! 2024, KWB 2020 and 2024, the Gezondheidsmonitor Jongvolwassenen; risk model computed.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{app, catalogue, computed_store, get_from, get_json_from};

fn store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        computed_store(
            "downloads",
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

async fn get(uri: &str) -> (StatusCode, String, String) {
    get_from(app(store(), catalogue()), uri).await
}

async fn json(uri: &str) -> Value {
    let (status, v) = get_json_from(app(store(), catalogue()), uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {v}");
    v
}

/// A CSV answer: checks status and content type, returns the header and the rows as maps.
async fn csv(uri: &str) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let (status, content_type, body) = get(uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert_eq!(content_type, "text/csv; charset=utf-8", "{uri}");
    let mut r = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

/// A JSON number or null as the CSV writes it (Rust's shortest round-trip form, empty for null).
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else {
                n.as_f64().unwrap().to_string()
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A float cell compared as a number: `3` in JSON is `3.0`-valued `3` in Rust's CSV.
fn same_number(csv: &str, json: &Value, what: &str) {
    match json {
        Value::Null => assert_eq!(csv, "", "{what}"),
        v => assert_eq!(
            csv.parse::<f64>()
                .unwrap_or_else(|_| panic!("{what}: '{csv}'")),
            v.as_f64().unwrap(),
            "{what}"
        ),
    }
}

#[tokio::test]
async fn the_profile_csv_holds_the_json_figures_with_population_and_source() {
    let profile = json("/api/regions/GM0599").await;
    let period = profile["period"].as_i64().unwrap();
    let (header, rows) = csv(&format!("/api/regions/GM0599?period={period}&format=csv")).await;
    for col in [
        "population",
        "population_nl",
        "source",
        "value",
        "percentile",
    ] {
        assert!(header.contains(&col.to_string()), "{col} in {header:?}");
    }
    let indicators = profile["indicators"].as_array().unwrap();
    assert_eq!(rows.len(), indicators.len());
    for (row, j) in rows.iter().zip(indicators) {
        let id = j["indicator"]["id"].as_str().unwrap();
        assert_eq!(row["indicator"], id);
        assert_eq!(row["region"], "GM0599");
        assert_eq!(row["period"], period.to_string());
        assert_eq!(
            row["source"],
            j["indicator"]["source"].as_str().unwrap(),
            "{id}"
        );
        // Whom the figure describes: the catalogue's population, or an explicit "unknown".
        match j["indicator"]["population"]["id"].as_str() {
            Some(p) => assert_eq!(row["population"], p, "{id}"),
            None => assert_eq!(row["population"], "unknown", "{id}"),
        }
        assert!(!row["population_nl"].is_empty(), "{id}");
        for k in ["value", "lower", "upper", "percentile"] {
            same_number(&row[k], &j[k], &format!("{id} {k}"));
        }
        same_number(
            &row["national"],
            &j["national"]["value"],
            &format!("{id} national"),
        );
        assert_eq!(row["rank"], cell(&j["rank"]), "{id}");
        assert_eq!(row["ranked"], cell(&j["ranked"]), "{id}");
        assert_eq!(row["status"], cell(&j["status"]), "{id}");
    }
    // One table of the page: the rows of one source, the same as the JSON filtered by it.
    let source = indicators[0]["indicator"]["source"].as_str().unwrap();
    let enc: String = source
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let (_, one) = csv(&format!(
        "/api/regions/GM0599?period={period}&source={enc}&format=csv"
    ))
    .await;
    let expected = indicators
        .iter()
        .filter(|i| i["indicator"]["source"] == source)
        .count();
    assert_eq!(one.len(), expected);
    assert!(one.iter().all(|r| r["source"] == source));
    let filtered = json(&format!("/api/regions/GM0599?period={period}&source={enc}")).await;
    assert_eq!(filtered["indicators"].as_array().unwrap().len(), expected);
    let (status, _, _) = get("/api/regions/GM0599?source=nothing-like-this").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_themes_csv_tables_hold_the_json_figures() {
    let t = json("/api/regions/GM0599/themes").await;
    let period = t["period"].as_i64().unwrap();
    let base = format!("/api/regions/GM0599/themes?period={period}&format=csv");

    let (_, themes) = csv(&format!("{base}&table=themes")).await;
    let jt = t["themes"].as_array().unwrap();
    assert_eq!(themes.len(), jt.len());
    for (row, j) in themes.iter().zip(jt) {
        assert_eq!(row["theme"], j["id"].as_str().unwrap());
        same_number(&row["exposure"], &j["exposure"], "exposure");
        assert_eq!(row["rank"], cell(&j["rank"]));
        same_number(&row["coverage"], &j["coverage"], "coverage");
        if !j["drivers"].as_array().unwrap().is_empty() {
            assert!(!row["population_nl"].is_empty(), "{row:?}");
        }
        assert!(
            row["source"].starts_with("Kwetsbaarheidsmonitor"),
            "{row:?}"
        );
    }

    let jc = t["characteristics"].as_array().unwrap();
    let (_, all) = csv(&format!("{base}&table=characteristics")).await;
    assert_eq!(all.len(), jc.len());
    for (row, j) in all.iter().zip(jc) {
        assert_eq!(row["characteristic"], j["id"].as_str().unwrap());
        assert_eq!(row["kind"], j["kind"].as_str().unwrap());
        same_number(&row["percentile"], &j["percentile"], "percentile");
        same_number(&row["score"], &j["score"], "score");
        assert_eq!(row["flagged"], cell(&j["flagged"]));
        match j["population"]["nl"].as_str() {
            Some(p) => assert_eq!(row["population_nl"], p),
            None => assert_eq!(row["population_nl"], "geen definitie op dit niveau"),
        }
    }
    let (_, protective) = csv(&format!("{base}&table=characteristics&kind=protective")).await;
    assert_eq!(
        protective.len(),
        jc.iter().filter(|c| c["kind"] == "protective").count()
    );
    assert!(protective.iter().all(|r| r["kind"] == "protective"));

    let (_, indicators) = csv(&format!("{base}&table=indicators")).await;
    let terms: Vec<(&Value, &Value)> = jc
        .iter()
        .flat_map(|c| {
            c["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |i| (c, i))
        })
        .collect();
    assert_eq!(indicators.len(), terms.len());
    for (row, (c, i)) in indicators.iter().zip(&terms) {
        assert_eq!(row["characteristic"], c["id"].as_str().unwrap());
        assert_eq!(row["indicator"], i["indicator"].as_str().unwrap());
        same_number(&row["value"], &i["value"], "value");
        same_number(&row["percentile"], &i["percentile"], "percentile");
        same_number(&row["weight"], &i["weight"], "weight");
        assert!(!row["source"].is_empty());
    }
    let flagged = jc.iter().find(|c| c["flagged"] == true).unwrap();
    let id = flagged["id"].as_str().unwrap();
    let (_, one) = csv(&format!("{base}&table=indicators&characteristic={id}")).await;
    assert_eq!(one.len(), flagged["indicators"].as_array().unwrap().len());

    for bad in [
        "&table=nothing",
        "&table=characteristics&kind=both",
        "&table=indicators&characteristic=nothing",
    ] {
        let (status, _, _) = get(&format!("{base}{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// An SVG file: 200, image/svg+xml, one document with balanced groups.
async fn svg(uri: &str) -> String {
    let (status, content_type, body) = get(uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert_eq!(content_type, "image/svg+xml", "{uri}");
    assert!(
        body.trim_start().starts_with("<svg") || body.starts_with("<?xml"),
        "{uri}"
    );
    assert!(
        body.contains("xmlns=\"http://www.w3.org/2000/svg\""),
        "{uri}"
    );
    assert!(body.trim_end().ends_with("</svg>"), "{uri}");
    assert_eq!(body.matches("<g>").count(), body.matches("</g>").count());
    body
}

#[tokio::test]
async fn every_chart_is_an_svg_file_that_says_whom_it_describes() {
    let t = json("/api/regions/GM0599/themes").await;
    let period = t["period"].as_i64().unwrap();
    let themes = svg(&format!(
        "/regio/GM0599/themas.svg?period={period}&chart=themes"
    ))
    .await;
    assert!(themes.contains("Over wie deze cijfers gaan"));
    assert!(themes.contains("Bron: "));
    for th in t["themes"].as_array().unwrap() {
        assert!(
            themes.contains(th["label"]["nl"].as_str().unwrap()),
            "{}",
            th["id"]
        );
    }
    let risk = svg(&format!(
        "/regio/GM0599/themas.svg?period={period}&chart=risk&lang=en"
    ))
    .await;
    assert!(risk.contains("Whom these figures describe"));
    svg(&format!(
        "/regio/GM0599/themas.svg?period={period}&chart=protective"
    ))
    .await;
    let (status, _, _) = get("/regio/GM0599/themas.svg?chart=pie").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let profile = json("/api/regions/GM0599").await;
    let source = profile["indicators"][0]["indicator"]["source"]
        .as_str()
        .unwrap()
        .replace(' ', "%20");
    let bars = svg(&format!(
        "/regio/GM0599/profiel.svg?period={}&source={source}",
        profile["period"]
    ))
    .await;
    assert!(bars.contains("Percentiel (100 = meest ongunstig)"));

    for part in ["themes", "series", "map"] {
        let s = svg(&format!("/regio/GM0599/regiobeeld.svg?part={part}")).await;
        if part != "map" {
            assert!(s.contains("Over wie"), "{part}");
        }
    }
}

#[tokio::test]
async fn the_regiobeeld_csvs_name_population_and_source() {
    for table in ["key_figures", "themes", "similar"] {
        let (header, rows) = csv(&format!("/regio/GM0599/regiobeeld.csv?table={table}")).await;
        assert!(header.contains(&"population".to_string()), "{table}");
        assert!(header.contains(&"source".to_string()), "{table}");
        assert!(!rows.is_empty(), "{table}");
        for r in &rows {
            assert!(!r["population"].is_empty(), "{table}: {r:?}");
            assert!(!r["source"].is_empty(), "{table}: {r:?}");
        }
    }
    let (_, similar) = csv("/api/regions/GM0599/similar?format=csv").await;
    let j = json("/api/regions/GM0599/similar").await;
    assert_eq!(similar.len(), j["similar"].as_array().unwrap().len());
    for (r, a) in similar.iter().zip(j["similar"].as_array().unwrap()) {
        assert_eq!(r["code"], a["code"].as_str().unwrap());
        assert!(r["based_on"].contains("kwb_"), "{r:?}");
    }
}

#[tokio::test]
async fn pages_link_their_downloads_and_keep_the_chosen_year() {
    let (status, _, page) = get("/regio/GM0599?period=2020").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("/api/regions/GM0599?period=2020&amp;format=csv"));
    assert!(page.contains("/regio/GM0599/profiel.svg?period=2020&amp;source="));
    assert!(page.contains("href=\"/regio/GM0599/themas?period=2020\""));
    assert!(page.contains("href=\"/regio/GM0599/regiobeeld?period=2020\""));
    assert!(page.contains("href=\"/regio/GM0599?period=2020&amp;lang=nl\""));
    assert!(page.contains("class=\"page-toc\""));

    // A year the region has no figures for (a link from a wijk in a year its province lacks):
    // the default year, and a note that says so, not a dead end.
    let (status, _, other) = get("/regio/GM0599?period=1999").await;
    assert_eq!(status, StatusCode::OK);
    assert!(other.contains("Voor deze regio zijn er geen cijfers voor 1999; getoond wordt"));

    let (_, _, themes) = get("/regio/GM0599/themas?period=2020").await;
    assert!(
        themes.contains("/api/regions/GM0599/themes?period=2020&amp;format=csv&amp;table=themes")
    );
    assert!(themes.contains("/regio/GM0599/themas.svg?period=2020&amp;chart=risk"));

    let (_, _, rb) = get("/regio/GM0599/regiobeeld?period=2020").await;
    assert!(rb.contains("regiobeeld.csv?table=themes&amp;lang=nl&amp;period=2020"));
    assert!(rb.contains("regiobeeld.svg?part=series&amp;lang=nl&amp;period=2020"));
}
