//! The long-term monitoring endpoints and pages on a store with the real demo data, harmonised
//! as `kwm demo` does: series across municipal mergers, layout changes, early warnings, and
//! their 400/404 answers.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::http::StatusCode;
use kwm_ingest::ReadOptions;
use kwm_store::SqliteStore;
use serde_json::Value;

mod common;
use common::{app, catalogue, get_from, get_json_from, repo};

fn store_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kwm-time-api-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("demo.sqlite");
        let _ = std::fs::remove_file(&path);
        let catalogue = kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap();
        let files: Vec<PathBuf> = [
            "codelists/gemeenten_2019.csv",
            "codelists/gemeenten_2021_provincie.csv",
            "changes/gemeentelijke_indelingswijzigingen_2019_2024.csv",
            "boundaries/gemeente_2019_haaren_cbs_wijk2017.geojson",
            "boundaries/gemeente_2022_cartomap_wgs84.topojson",
            "boundaries/gemeente_2023_cartomap_wgs84.topojson",
            "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
            "boundaries/wijk_2017_amsterdam_cbs.geojson",
            "kwb/85984NED_DataProperties.json",
            "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
            "kwb/kwb_2019_gemeente_bevolking_long.csv",
            "kwb_amsterdam/kwb_2017_amsterdam_gemeente_wijk_buurt.csv",
            "kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv",
        ]
        .iter()
        .map(|f| repo().join("data").join(f))
        .collect();
        let mut store = SqliteStore::open(&path).unwrap();
        let t = "2026-11-23T00:00:00Z";
        kwm_monitor::ingest::ingest_files(
            &mut store,
            &catalogue,
            &files,
            &ReadOptions::default(),
            t,
        )
        .unwrap();
        for target in kwm_monitor::harmonise::default_targets(&store).unwrap() {
            kwm_monitor::harmonise::harmonise(&mut store, &catalogue, target, t).unwrap();
        }
        path
    })
}

fn point(v: &Value, period: i64) -> &Value {
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == period)
        .unwrap()
}

async fn get(uri: &str) -> (StatusCode, String) {
    let (status, _, body) = get_from(app(store_path(), catalogue()), uri).await;
    (status, body)
}

async fn get_json(uri: &str) -> (StatusCode, Value) {
    get_json_from(app(store_path(), catalogue()), uri).await
}

#[tokio::test]
async fn series_across_mergers_hold_the_published_sums() {
    let (status, v) =
        get_json("/api/regions/GM1979/series?indicator=kwb_aantal_inwoners&layout=2024").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let p2019 = point(&v, 2019);
    assert_eq!(p2019["value"], 46_051.0);
    assert_eq!(p2019["method"], "exact");
    assert_eq!(p2019["harmonised"], true);
    let sources: Vec<&str> = p2019["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["GM0003", "GM0010", "GM0024"]);
    assert_eq!(point(&v, 2024)["method"], "published");
    // Counts are compared with the Poisson test; 46,051 → 45,106 is far beyond noise.
    assert_eq!(v["change_previous"]["test"], "poisson_z");
    assert_eq!(v["change_previous"]["delta"], 45_106.0 - 46_051.0);

    let (_, v) = get_json("/api/regions/GM0363/series?indicator=kwb_aantal_inwoners").await;
    assert_eq!(
        v["layout"], 2024,
        "default: the newest layout with a series"
    );
    assert_eq!(point(&v, 2019)["value"], 882_299.0);
    assert!(
        v["points"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["period"] != 2017),
        "Weesp 2017 is unknown, so Amsterdam 2017 is not on the 2024 layout"
    );

    let (_, v) = get_json("/api/regions/GM0757/series?indicator=kwb_aantal_inwoners").await;
    let boxtel = point(&v, 2019);
    assert_eq!(boxtel["method"], "estimated");
    let haaren = boxtel["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "GM0788")
        .unwrap();
    assert!(haaren["weight"].as_f64().unwrap() > 0.0 && haaren["weight"].as_f64().unwrap() < 1.0);
}

#[tokio::test]
async fn wijk_rates_get_tests_that_account_for_their_counts_and_new_indicators_are_new() {
    let (status, v) =
        get_json("/api/regions/WK036300/series?indicator=kwb_laag_inkomen&layout=2019").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["measure"]["kind"], "rate");
    let p = point(&v, 2019);
    assert_eq!(
        p["value"], 15.0,
        "KWB 2019, Burgwallen-Oude Zijde: 15.0% low income"
    );
    assert_eq!(p["n"], 3040.0, "the households behind it");
    let c = &v["change_previous"];
    assert_eq!(
        (c["from"].as_i64(), c["to"].as_i64()),
        (Some(2017), Some(2019))
    );
    assert_eq!(c["test"], "two_proportion_z");
    assert_eq!(
        c["significant"], false,
        "15.3% → 15.0% of ~3,000 households is noise"
    );
    assert_eq!(v["national"][1]["value"], 7.5, "NL 2019");

    // A computed rate: persons on social assistance per 1,000 residents, from the counts.
    let (_, v) =
        get_json("/api/regions/GM0363/series?indicator=kwb_bijstand_per_1000&layout=2019").await;
    let p = point(&v, 2019);
    assert!((p["value"].as_f64().unwrap() - 40_340.0 / 862_965.0 * 1000.0).abs() < 1e-9);
    assert_eq!(p["method"], "recomputed");

    // Wmo clients per 1,000 are published from 2019 on: new, not a rise from zero.
    let (_, v) =
        get_json("/api/regions/WK036300/series?indicator=kwb_wmo_clienten_relatief&layout=2019")
            .await;
    assert_eq!(v["appearance"]["kind"], "new_indicator");
    assert!(v["change_previous"].is_null());
}

#[tokio::test]
async fn series_errors_are_json_400_and_404() {
    for (uri, status) in [
        ("/api/regions/GM1979/series", StatusCode::BAD_REQUEST),
        (
            "/api/regions/GM1979/series?indicator=kwb_aantal_inwoners&colour=red",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/regions/GM1979/series?indicator=kwb_aantal_inwoners&layout=20x4",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/regions/GM1979/series?indicator=kwb_aantal_inwoners&layout=2024JJ00",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/regions/XX12/series?indicator=kwb_aantal_inwoners",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/regions/GM1979/series?indicator=nope",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/regions/GM9999/series?indicator=kwb_aantal_inwoners",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/regions/GM1979/series?indicator=kwb_aantal_inwoners&layout=2018",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (got, v) = get_json(uri).await;
        assert_eq!(got, status, "{uri}: {v}");
        assert_eq!(v["error"]["status"], status.as_u16(), "{uri}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn changes_between_layouts() {
    let (status, v) = get_json("/api/changes?from=2019&to=2021").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let changes = v["changes"].as_array().unwrap();
    let gemeente: Vec<&Value> = changes
        .iter()
        .filter(|c| c["level"] == "gemeente")
        .collect();
    assert_eq!(gemeente.len(), 7, "3 into Eemsdelta, Haaren over 4");
    let shares: f64 = gemeente
        .iter()
        .filter(|c| c["kind"] == "split")
        .map(|c| c["weight"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9);
    assert!(gemeente
        .iter()
        .all(|c| c["origin"] == "official" && c["applied_to_figures"] == true));

    let (_, v) = get_json("/api/changes?from=2022&to=2023&level=gemeente").await;
    let weesp = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["old"]["code"] == "GM0457")
        .unwrap();
    assert_eq!(
        (weesp["kind"].as_str(), weesp["effective"].as_str()),
        (Some("merge"), Some("2022-03-24"))
    );
    // Boundary candidates seen only in generalised files are listed but not applied.
    for c in v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "boundary")
    {
        assert_eq!(c["origin"], "derived");
        assert_eq!(c["applied_to_figures"], false);
    }

    // An empty interval is an empty answer, not an error (the OpenAPI schema cannot say from < to).
    let (status, v) = get_json("/api/changes?from=2023&to=2019").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["changes"].as_array().map(Vec::len), Some(0), "{v}");
    for (uri, status) in [
        ("/api/changes?from=abc", StatusCode::BAD_REQUEST),
        ("/api/changes?level=provincie", StatusCode::BAD_REQUEST),
        ("/api/changes?level=dorp", StatusCode::BAD_REQUEST),
        ("/api/changes?since=2019", StatusCode::BAD_REQUEST),
    ] {
        let (got, v) = get_json(uri).await;
        assert_eq!(got, status, "{uri}: {v}");
    }
}

#[tokio::test]
async fn warnings_follow_the_rule_and_explain_themselves() {
    let (status, v) = get_json("/api/warnings?level=wijk&period=2019").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["layout"], 2019);
    assert_eq!(v["rule"]["alpha"], 0.05);
    assert!(
        v["assessed_regions"].as_u64().unwrap() > 90,
        "Amsterdam's wijken"
    );
    assert!(v["new_indicators"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == "kwb_wmo_clienten_relatief"));
    let mut flagged = 0;
    for region in v["regions"].as_array().unwrap() {
        for s in region["signals"].as_array().unwrap() {
            let is_flagged = s["flagged"].as_bool().unwrap();
            // The rule, restated: worse, significant, own variation not contradicting, and
            // worse than the country.
            let expected = s["worsened"] == true
                && s["significance"] == "met"
                && s["past_variation"]["criterion"] != "not_met"
                && s["national"]["criterion"] != "not_met";
            assert_eq!(is_flagged, expected, "{}: {s}", region["code"]);
            if is_flagged {
                flagged += 1;
                assert!(s["explanation"]["nl"]
                    .as_str()
                    .unwrap()
                    .starts_with("Gesignaleerd"));
                assert!(s["explanation"]["en"]
                    .as_str()
                    .unwrap()
                    .contains("significant"));
            }
        }
    }
    assert_eq!(v["flagged_regions"].as_u64().unwrap() > 0, flagged > 0);
    let (status, v) = get_json("/api/warnings").await;
    assert_eq!(status, StatusCode::OK, "defaults: {v}");
    for (uri, status) in [
        ("/api/warnings?level=dorp", StatusCode::BAD_REQUEST),
        ("/api/warnings?period=twintig", StatusCode::BAD_REQUEST),
        (
            "/api/warnings?level=wijk&period=1990",
            StatusCode::NOT_FOUND,
        ),
        ("/api/warnings?format=csv", StatusCode::BAD_REQUEST),
    ] {
        let (got, v) = get_json(uri).await;
        assert_eq!(got, status, "{uri}: {v}");
    }
}

#[tokio::test]
async fn pages_show_trends_changes_and_warnings() {
    let (status, body) = get("/regio/GM1979/trend?indicator=kwb_aantal_inwoners").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("class=\"trend-chart\"") && body.contains("role=\"img\""));
    assert!(body.contains("46.051"), "the 2019 sum in the table");
    assert!(
        body.contains("m-harmonised"),
        "marker for a harmonised value"
    );
    let (status, body) = get("/regio/GM0788/wijzigingen").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.matches("<td>splitsing</td>").count(), 4, "{body}");
    let (status, body) = get("/regio/GM0363/wijzigingen?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Weesp") && body.contains("merger"));
    let (status, body) = get("/signalen?level=wijk&period=2019").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body.matches("class=\"region ").count(),
        99,
        "Amsterdam's 99 wijken on the 2017 map"
    );
    let (status, _) = get("/signalen?choice=wijk:2019").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = get("/regio/GM0363").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("/regio/GM0363/wijzigingen") && body.contains("/regio/GM0363/trend"));
    let (status, _) = get("/regio/GM9999/trend").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
