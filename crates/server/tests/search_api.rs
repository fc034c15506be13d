//! Finding areas and moving between them: `/api/search`, the `/zoeken` page, the header's
//! search form, and the parents and children of `/api/regions/{code}` and `/regio/{code}`, on
//! the real code lists and KWB files of the demo data.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{app, catalogue, get_from, get_json_from, loaded_store};

/// Gemeenten 2019 and 2021, wijken 2023 (names), KWB 2024 (gemeenten and wijken, codes only)
/// and Amsterdam's buurten of 2017 and 2019.
fn store_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        loaded_store(
            "search",
            "demo",
            &[
                "codelists/gemeenten_2019.csv",
                "codelists/gemeenten_2021_provincie.csv",
                "codelists/wijken_2023.csv",
                "kwb/85984NED_DataProperties.json",
                "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
                "kwb_amsterdam/kwb_2017_amsterdam_gemeente_wijk_buurt.csv",
                "kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv",
            ],
        )
    })
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    get_from(app(store_path(), catalogue()), uri).await
}

async fn get_json(uri: &str) -> (StatusCode, Value) {
    get_json_from(app(store_path(), catalogue()), uri).await
}

async fn hits(uri: &str) -> Vec<Value> {
    let (status, body) = get_json(uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_wijk_is_found_whatever_the_case_with_its_gemeente() {
    for q in ["feijenoord", "FEIJENOORD", "Feijenoord"] {
        let list = hits(&format!("/api/search?q={q}")).await;
        let first = &list[0];
        assert_eq!(first["code"], "WK059910", "{q}: {list:?}");
        assert_eq!(first["name"], "Feijenoord");
        assert_eq!(first["level"], "wijk");
        assert_eq!(first["gemeente_code"], "GM0599");
        assert_eq!(first["gemeente_name"], "Rotterdam");
        assert_eq!(first["match"], "exact");
        assert!(first["layout"].as_i64().unwrap() >= 2023);
    }
}

#[tokio::test]
async fn diacritics_hyphens_and_apostrophes_do_not_matter() {
    for (q, code, name) in [
        ("sudwest fryslan", "GM1900", "Súdwest-Fryslân"),
        ("Sudwest-Fryslan", "GM1900", "Súdwest-Fryslân"),
        ("s gravenhage", "GM0518", "'s-Gravenhage"),
        ("%27s-Gravenhage", "GM0518", "'s-Gravenhage"),
        ("s-hertogenbosch", "GM0796", "'s-Hertogenbosch"),
    ] {
        let list = hits(&format!("/api/search?q={}", q.replace(' ', "+"))).await;
        assert_eq!(list[0]["code"], code, "{q}: {list:?}");
        assert_eq!(list[0]["name"], name, "{q}");
        assert_eq!(list[0]["level"], "gemeente");
        assert_eq!(list[0]["gemeente_code"], code, "a gemeente lies in itself");
        assert_eq!(list[0]["match"], "exact");
    }
}

#[tokio::test]
async fn namesakes_show_their_gemeente_and_exact_matches_come_first() {
    let list = hits("/api/search?q=centrum&limit=200").await;
    let exact: Vec<&Value> = list.iter().filter(|h| h["match"] == "exact").collect();
    assert!(
        exact.len() >= 5,
        "many wijken are called Centrum: {exact:?}"
    );
    let gemeenten: std::collections::BTreeSet<&str> = exact
        .iter()
        .map(|h| h["gemeente_name"].as_str().unwrap())
        .collect();
    assert!(gemeenten.contains("Groningen") && gemeenten.contains("Assen"));
    assert_eq!(gemeenten.len(), exact.len(), "one per gemeente here");
    // Exact, then prefix, then substring; within each gemeente before wijk before buurt.
    let order = |h: &Value| {
        let kind = ["exact", "prefix", "substring"]
            .iter()
            .position(|k| h["match"] == *k)
            .unwrap();
        let level = ["provincie", "ggd", "gemeente", "wijk", "buurt"]
            .iter()
            .position(|l| h["level"] == *l)
            .unwrap();
        (kind, level)
    };
    let keys: Vec<(usize, usize)> = list.iter().map(order).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(list.iter().any(|h| h["match"] == "prefix"));
    assert!(list.iter().any(|h| h["match"] == "substring"));
}

#[tokio::test]
async fn codes_are_found_and_buurten_get_their_gemeente_from_the_code() {
    let list = hits("/api/search?q=gm0599").await;
    assert_eq!(list[0]["code"], "GM0599");
    assert_eq!(list[0]["name"], "Rotterdam");
    let list = hits("/api/search?q=WK0599&limit=5").await;
    assert_eq!(list.len(), 5);
    assert!(list.iter().all(|h| h["gemeente_name"] == "Rotterdam"));
    let list = hits("/api/search?q=BU0363").await;
    assert!(!list.is_empty());
    assert!(list.iter().all(|h| h["level"] == "buurt"
        && h["gemeente_code"] == "GM0363"
        && h["gemeente_name"] == "Amsterdam"));
}

#[tokio::test]
async fn bad_search_parameters_are_400_in_the_api_error_shape() {
    for uri in [
        "/api/search",
        "/api/search?q=",
        "/api/search?q=rotterdam&limit=0",
        "/api/search?q=rotterdam&limit=1000",
        "/api/search?q=rotterdam&limit=ten",
        "/api/search?q=rotterdam&level=wijk",
    ] {
        let (status, body) = get_json(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body["error"]["status"], 400, "{uri}");
        assert!(body["error"]["message"].is_string(), "{uri}");
    }
    // Text without a letter or digit finds nothing; it is not an error.
    assert!(hits("/api/search?q=---").await.is_empty());
    let long = "a".repeat(101);
    let (status, body) = get_json(&format!("/api/search?q={long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("100"));
}

#[tokio::test]
async fn a_gemeente_lists_its_wijken_and_a_wijk_links_up() {
    let (status, body) = get_json("/api/regions/GM0599").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let children = body["children"].as_array().unwrap();
    assert!(children.len() >= 10, "{children:?}");
    assert!(children
        .iter()
        .any(|c| c["code"] == "WK059910" && c["name"] == "Feijenoord"));
    assert_eq!(body["children_level"], "wijk");
    assert!(body["children_layout"].is_i64());
    // The existing fields are still there.
    assert_eq!(body["region"]["code"], "GM0599");

    let (status, body) = get_json("/api/regions/WK059910").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["parents"],
        serde_json::json!([{"code": "GM0599", "name": "Rotterdam", "level": "gemeente"}])
    );
    assert_eq!(body["children"], serde_json::json!([]), "no buurten loaded");

    // Amsterdam's buurten: a buurt links up to its wijk and gemeente, a wijk down to buurten.
    let (_, buurten) = get_json("/api/search?q=BU0363&limit=1").await;
    let buurt = buurten[0]["code"].as_str().unwrap().to_string();
    let (status, body) = get_json(&format!("/api/regions/{buurt}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let parents = body["parents"].as_array().unwrap();
    assert_eq!(parents.len(), 2, "{parents:?}");
    assert_eq!(parents[0]["code"], "GM0363");
    assert_eq!(parents[0]["name"], "Amsterdam");
    assert_eq!(
        parents[1]["code"].as_str().unwrap(),
        &buurt[..8].replace("BU", "WK")
    );
    assert_eq!(parents[1]["level"], "wijk");
    let wijk = parents[1]["code"].as_str().unwrap().to_string();
    let (_, body) = get_json(&format!("/api/regions/{wijk}")).await;
    assert!(body["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == buurt.as_str()));
    assert_eq!(body["children_level"], "buurt");
}

#[tokio::test]
async fn the_region_page_links_down_to_wijken_and_up_to_the_gemeente() {
    let (status, _, page) = get("/regio/GM0599").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"deelgebieden\""), "children section");
    assert!(page.contains("Wijken in Rotterdam"));
    assert!(page.contains("href=\"/regio/WK059910\">Feijenoord</a>"));
    let (status, _, page) = get("/regio/WK059910").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/regio/GM0599\">Rotterdam</a>"));
}

#[tokio::test]
async fn the_search_page_lists_links_with_level_and_gemeente() {
    let (status, ct, page) = get("/zoeken?q=feijenoord").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    assert!(
        page.contains("href=\"/regio/WK059910\">Feijenoord</a>"),
        "{page}"
    );
    assert!(page.contains("wijk in Rotterdam"));
    assert!(
        page.contains("value=\"feijenoord\""),
        "the form keeps the text"
    );
    // Namesakes: every Centrum says which gemeente.
    let (_, _, page) = get("/zoeken?q=centrum").await;
    assert!(page.contains("wijk in Groningen") && page.contains("wijk in Assen"));
    // English, nothing found, an empty and a bad query.
    let (_, _, page) = get("/zoeken?q=feijenoord&lang=en").await;
    assert!(page.contains("district in Rotterdam"));
    let (status, _, page) = get("/zoeken?q=xyzzy").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Niets gevonden"));
    let (status, _, page) = get("/zoeken").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("role=\"search\""));
    // Text without a letter or digit finds nothing (as in the API).
    let (status, _, page) = get("/zoeken?q=---").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Niets gevonden"));
}

#[tokio::test]
async fn every_page_has_the_search_form_in_its_header() {
    for uri in ["/", "/regio/GM0599", "/bronnen", "/bestaat-niet"] {
        let (_, _, page) = get(uri).await;
        let header = &page[page.find("<header").unwrap()..page.find("</header>").unwrap()];
        assert!(
            header.contains(
                "<form class=\"search-form\" role=\"search\" method=\"get\" action=\"/zoeken\">"
            ),
            "{uri}"
        );
        assert!(
            header.contains("<label for=\"site-search\">Zoek gemeente, wijk of buurt</label>"),
            "{uri}"
        );
        assert!(header.contains("id=\"site-search\""), "{uri}");
    }
}
