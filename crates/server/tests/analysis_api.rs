//! `/api/composite`, `/api/clusters` and their pages on the real demo data, computed as
//! `kwm compute` does: every answer names its method, its numbers agree with `/api/stacking`
//! and with the rules the answer states, and caller mistakes are JSON 400/404.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kwm_ingest::ReadOptions;
use kwm_server::{router, AppState};
use kwm_store::SqliteStore;
use serde_json::Value;
use tower::ServiceExt;

mod common;
use common::{app, catalogue, computed_store, get_from, get_json_from};

fn store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        computed_store(
            "analysis-api",
            "computed",
            &[
                "codelists/gemeenten_2021_provincie.csv",
                "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
                "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
                "kwb/85984NED_DataProperties.json",
                "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
            ],
        )
    })
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    get_from(app(store(), catalogue()), uri).await
}

async fn get_json(uri: &str) -> (StatusCode, Value) {
    get_json_from(app(store(), catalogue()), uri).await
}

#[tokio::test]
async fn the_composite_answer_names_its_method_and_agrees_with_stacking() {
    let (status, c) = get_json("/api/composite?level=gemeente&period=2024").await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let (_, s) = get_json("/api/stacking?level=gemeente&period=2024").await;
    // Both name the same method.
    assert_eq!(c["method"], s["run"]["composite_method"]);
    assert_eq!(c["method"]["choices"]["normalisation"], "percent_rank");
    assert!(c["method"]["description"]
        .as_str()
        .unwrap()
        .contains("percent_rank"));
    let weights: f64 = c["method"]["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["weight"].as_f64().unwrap())
        .sum();
    assert!((weights - 1.0).abs() < 1e-12);
    let stacking: HashMap<&str, &Value> = s["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["code"].as_str().unwrap(), r))
        .collect();
    let methods = c["methods"].as_array().unwrap();
    assert_eq!(methods[0]["key"], "nominal");
    let keys: Vec<&str> = methods.iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"normalisation=exponential_rank") && keys.contains(&"weighting=matrix"));
    let regions = c["regions"].as_array().unwrap();
    assert_eq!(regions.len(), stacking.len());
    for r in regions {
        let st = stacking[r["code"].as_str().unwrap()];
        assert_eq!(r["ranks"]["nominal"], st["composite_rank"], "{r}");
        assert_eq!(r["rank_interval"], st["rank_interval"], "{r}");
    }
    // Each method's summary follows from the ranks in the same answer.
    for m in methods.iter().skip(1) {
        let key = m["key"].as_str().unwrap();
        let shifts: Vec<u64> = regions
            .iter()
            .filter_map(|r| {
                let (a, b) = (r["ranks"]["nominal"].as_u64()?, r["ranks"][key].as_u64()?);
                Some(a.abs_diff(b))
            })
            .collect();
        assert_eq!(m["compared"].as_u64().unwrap() as usize, shifts.len());
        for t in m["moved_more_than"].as_array().unwrap() {
            let places = t["places"].as_u64().unwrap();
            let n = shifts.iter().filter(|s| **s > places).count() as u64;
            assert_eq!(t["regions"].as_u64().unwrap(), n, "{key} > {places}");
        }
        let mean = shifts.iter().sum::<u64>() as f64 / shifts.len() as f64;
        assert!((m["mean_abs_shift"].as_f64().unwrap() - mean).abs() < 1e-9);
        assert!(!m["label"]["nl"].as_str().unwrap().is_empty());
    }
    let u = &c["uncertainty"];
    assert_eq!(
        u["rank_runs"].as_u64().unwrap(),
        2 * u["runs"].as_u64().unwrap()
    );
    let indices = u["sensitivity"]["indices"].as_array().unwrap();
    assert_eq!(
        indices
            .iter()
            .map(|i| i["factor"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["normalisation", "weighting", "aggregation", "weights"]
    );
    assert_eq!(u["spec"]["seed"], u["seed"]);

    // CSV: one column per method, then the interval.
    let (status, ct, csv) = get("/api/composite?period=2024&format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    let header = csv.lines().next().unwrap();
    assert_eq!(header.split(',').count(), 2 + methods.len() + 3, "{header}");
    assert_eq!(csv.lines().count(), 1 + regions.len());

    // The region's theme profile carries the interval and the ranks by method.
    let (_, t) = get_json("/api/regions/GM1979/themes?period=2024").await;
    let st = stacking["GM1979"];
    assert_eq!(t["composite"]["rank_interval"], st["rank_interval"]);
    assert_eq!(
        t["composite"]["ranks_by_method"]["nominal"],
        st["composite_rank"]
    );
    assert!(t["rules"]["rank_interval"]
        .as_str()
        .unwrap()
        .contains("90%"));
}

#[tokio::test]
async fn the_clusters_answer_classifies_by_its_own_cut_off() {
    let (status, body) = get_json("/api/clusters?level=gemeente&period=2024").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["variable"].as_str(), body["statistic"].as_str()),
        (Some("stacking"), Some("lisa"))
    );
    assert_eq!(body["test"]["permutations"], 999);
    assert_eq!(body["test"]["alternative"], "folded");
    assert_eq!(body["weights"]["rule"], "queen");
    let (_, s) = get_json("/api/stacking?level=gemeente&period=2024").await;
    let flagged: HashMap<&str, (u64, u64)> = s["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap(),
                (
                    r["flagged"].as_u64().unwrap(),
                    r["with_data"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let regions = body["regions"].as_array().unwrap();
    assert_eq!(regions.len(), flagged.len());
    let mut counts: HashMap<String, u64> = HashMap::new();
    for r in regions {
        let code = r["code"].as_str().unwrap();
        let (f, with_data) = flagged[code];
        if with_data > 0 {
            assert_eq!(r["value"].as_f64(), Some(f as f64), "{code}");
        } else {
            assert_eq!(r["category"], "no_value");
        }
        let p = r["p_sim"].as_f64();
        let significant =
            r["status"] == "ok" && p.unwrap() < body["test"]["cutoff"].as_f64().unwrap();
        assert_eq!(r["significant"], significant, "{code}");
        if significant {
            let q = r["quadrant"].as_str().unwrap();
            let expected = match q {
                "HH" => "high_high",
                "LL" => "low_low",
                "HL" => "high_low",
                _ => "low_high",
            };
            assert_eq!(r["category"], expected);
        }
        *counts
            .entry(r["category"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for (k, n) in body["counts"].as_object().unwrap() {
        assert_eq!(
            counts.get(k).copied().unwrap_or(0),
            n.as_u64().unwrap(),
            "{k}"
        );
    }
    let ids: Vec<&str> = body["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"composite") && ids.contains(&"kleine_financiele_buffer"));

    // G_i* of a characteristic under the FDR cut-off, which is at most alpha.
    let (status, g) = get_json(
        "/api/clusters?variable=kleine_financiele_buffer&statistic=gistar&fdr=true&alpha=0.1",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let cutoff = g["test"]["cutoff"].as_f64().unwrap();
    assert!(cutoff <= 0.1 && g["test"]["fdr"] == true);
    for r in g["regions"].as_array().unwrap() {
        if r["significant"] == true {
            let hot = r["z"].as_f64().unwrap() > 0.0;
            assert_eq!(r["category"], if hot { "hot_spot" } else { "cold_spot" });
        }
    }
    let (status, ct, csv) = get("/api/clusters?variable=composite&format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(
        csv.starts_with("code,name,status,value,statistic,z,p_sim,quadrant,significant,category")
    );

    // The GGD level has results but no boundaries: an answer that says so, with no regions.
    let (status, ggd) = get_json("/api/clusters?level=ggd").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ggd["weights"]["note"]
        .as_str()
        .unwrap()
        .contains("no boundaries"));
    assert!(ggd["regions"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn analysis_errors_are_json_with_the_right_status() {
    for (uri, status) in [
        ("/api/composite?level=buurt", StatusCode::NOT_FOUND),
        ("/api/composite?period=1999", StatusCode::NOT_FOUND),
        ("/api/composite?format=xml", StatusCode::BAD_REQUEST),
        ("/api/composite?method=z", StatusCode::BAD_REQUEST),
        ("/api/clusters?statistic=moran", StatusCode::BAD_REQUEST),
        ("/api/clusters?alpha=abc", StatusCode::BAD_REQUEST),
        ("/api/clusters?alpha=0.7", StatusCode::BAD_REQUEST),
        ("/api/clusters?fdr=maybe", StatusCode::BAD_REQUEST),
        ("/api/clusters?variable=leeftijd", StatusCode::NOT_FOUND),
        ("/api/clusters?level=wijk", StatusCode::NOT_FOUND),
        ("/api/clusters?level=stad", StatusCode::BAD_REQUEST),
    ] {
        let (got, body) = get_json(uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(body["error"]["status"], status.as_u16(), "{uri}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_pages_show_the_same_figures() {
    let (_, c) = get_json("/api/composite?period=2024").await;
    let (status, _, page) = get("/methodevergelijking?period=2024").await;
    assert_eq!(status, StatusCode::OK);
    let rows = c["regions"].as_array().unwrap().len();
    assert_eq!(page.matches("<tr data-code=").count(), rows);
    for m in c["methods"].as_array().unwrap().iter().skip(1) {
        assert!(page.contains(&format!("data-method=\"{}\"", m["key"].as_str().unwrap())));
    }
    let (_, cl) = get_json("/api/clusters?period=2024").await;
    let (status, _, page) = get("/clusters?period=2024").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("class=\"region k-").count(), 342);
    let hh = cl["counts"]["high_high"].as_u64().unwrap() as usize;
    assert_eq!(page.matches("data-category=\"high_high\"").count(), hh);
    // A gemeente in a significant high-high cluster of the stacking count says so on both of its
    // pages, with a link to the map.
    let member = cl["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == "high_high")
        .expect("the demo data have high-high clusters of the stacking count");
    let code = member["code"].as_str().unwrap();
    for uri in [format!("/regio/{code}"), format!("/regio/{code}/themas")] {
        let (status, _, page) = get(&uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Deel van een hoog-hoog-cluster van:"),
            "{uri}"
        );
        assert!(
            page.contains("/methodevergelijking?level=gemeente&amp;period=2024"),
            "{uri}: the rank interval links to the method comparison"
        );
        assert!(
            page.contains(
                "/clusters?level=gemeente&amp;period=2024&amp;variable=stacking&amp;statistic=lisa"
            ),
            "{uri}"
        );
    }
    for uri in [
        "/clusters?lang=en",
        "/clusters?level=ggd",
        "/clusters?variable=composite&statistic=gistar&fdr=true",
        "/methodevergelijking?lang=en",
        "/methodevergelijking?level=ggd",
    ] {
        let (status, _, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(body.contains("</html>"), "{uri}");
    }
    assert_eq!(
        get("/clusters?statistic=moran").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(get("/clusters?fdr=maybe").await.0, StatusCode::BAD_REQUEST);
}

/// A store with wijk and gemeente figures that carry 95% intervals (a long-format file).
fn store_with_intervals() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kwm-shrinkage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("rookt_2024.csv");
    std::fs::write(
        &csv,
        "region,period,indicator,value,lower,upper\n\
         GM0363,2024,rookt,20,19,21\n\
         WK036300,2024,rookt,30,20,40\n\
         WK036301,2024,rookt,18,16,20\n\
         WK036302,2024,rookt,25,15,35\n\
         WK036303,2024,rookt,21,20,22\n\
         WK036304,2024,rookt,.,,\n\
         GM0599,2024,rookt,22,21,23\n\
         WK059900,2024,rookt,40,30,50\n\
         WK059901,2024,rookt,19,18,20\n\
         WK999900,2024,rookt,25,20,30\n",
    )
    .unwrap();
    let path = dir.join("intervals.sqlite");
    let _ = std::fs::remove_file(&path);
    let mut s = SqliteStore::open(&path).unwrap();
    kwm_monitor::ingest::ingest_files(
        &mut s,
        &catalogue(),
        &[csv],
        &ReadOptions::default(),
        "2026-11-23T00:00:00Z",
    )
    .unwrap();
    path
}

#[tokio::test]
async fn shrinkage_pulls_imprecise_wijken_toward_their_gemeente() {
    let path = store_with_intervals();
    let app = router(AppState::new(path, catalogue(), "test".into()));
    let response = app
        .clone()
        .oneshot(
            Request::get("/api/shrinkage?indicator=rookt&level=wijk&period=2024")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let regions = body["regions"].as_array().unwrap();
    let by: HashMap<&str, &Value> = regions
        .iter()
        .map(|r| (r["code"].as_str().unwrap(), r))
        .collect();
    // τ² by the method of moments from (value − parent) and s = (upper − lower) / 3.92 of the
    // six wijken with both; WK036304 has no value and WK999900 no gemeente figure.
    let usable: Vec<&&Value> = by.values().filter(|r| !r["shrunk"].is_null()).collect();
    assert_eq!(usable.len(), 6);
    assert_eq!(body["shrunk"], 6);
    let d: Vec<f64> = usable
        .iter()
        .map(|r| r["value"].as_f64().unwrap() - r["parent_value"].as_f64().unwrap())
        .collect();
    let s: Vec<f64> = usable
        .iter()
        .map(|r| {
            (r["upper"].as_f64().unwrap() - r["lower"].as_f64().unwrap())
                / (2.0 * 1.959963984540054)
        })
        .collect();
    let mean = d.iter().sum::<f64>() / 6.0;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 5.0;
    let tau2 = (var - s.iter().map(|x| x * x).sum::<f64>() / 6.0).max(0.0);
    assert!(
        (body["tau2"].as_f64().unwrap() - tau2).abs() < 1e-9,
        "{} vs {tau2}",
        body["tau2"]
    );
    assert!(tau2 > 0.0);
    for (r, se) in usable.iter().zip(&s) {
        assert!((r["standard_error"].as_f64().unwrap() - se).abs() < 1e-12);
        assert_eq!(r["precision_from"], "interval");
        let w = tau2 / (tau2 + se * se);
        let (z, zp) = (
            r["value"].as_f64().unwrap(),
            r["parent_value"].as_f64().unwrap(),
        );
        let sh = &r["shrunk"];
        assert!((sh["weight"].as_f64().unwrap() - w).abs() < 1e-12);
        assert!((sh["estimate"].as_f64().unwrap() - (w * z + (1.0 - w) * zp)).abs() < 1e-9);
        assert!(
            sh["upper"].as_f64().unwrap() - sh["lower"].as_f64().unwrap()
                <= r["upper"].as_f64().unwrap() - r["lower"].as_f64().unwrap() + 1e-9
        );
    }
    // The imprecise wijk (±10) moves further toward its gemeente than the precise one (±1).
    let moved = |code: &str| {
        let r = by[code];
        (r["shrunk"]["estimate"].as_f64().unwrap() - r["value"].as_f64().unwrap()).abs()
    };
    assert!(moved("WK036300") > moved("WK036303"));
    assert_eq!(by["WK036300"]["parent"], "GM0363");
    assert_eq!(by["WK999900"]["parent"], "GM9999");
    assert!(by["WK999900"]["parent_value"].is_null() && by["WK999900"]["shrunk"].is_null());

    // Gemeenten have no province figure here: nothing to shrink toward, and the note says why.
    let response = app
        .oneshot(
            Request::get("/api/shrinkage?indicator=rookt&level=gemeente")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["shrunk"], 0);
    assert!(body["note"].as_str().unwrap().contains("parent"), "{body}");
}

#[tokio::test]
async fn the_demo_figures_carry_no_precision_to_shrink_with() {
    let (_, indicators) = get_json("/api/indicators").await;
    let id = indicators
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["unit"] == "%"
                && i["levels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l == "gemeente")
        })
        .map(|i| i["id"].as_str().unwrap().to_string())
        .unwrap();
    let (status, body) = get_json(&format!("/api/shrinkage?indicator={id}&level=gemeente")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["shrunk"], 0);
    assert!(
        body["note"].as_str().unwrap().contains("interval"),
        "{body}"
    );
    assert!(body["regions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["standard_error"].is_null()));
    for (uri, status) in [
        ("/api/shrinkage", StatusCode::BAD_REQUEST),
        ("/api/shrinkage?indicator=nope", StatusCode::NOT_FOUND),
        (
            "/api/shrinkage?indicator=x&level=stad",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        assert_eq!(get_json(uri).await.0, status, "{uri}");
    }
}
