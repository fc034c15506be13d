//! The API on the national files: RIVM 50090NED for adults and the elderly down to buurt
//! (2012, 2016, 2020), KWB 2020 per gemeente, the 2022 wijk boundaries. What issue 12 asks of
//! the store: coverage per level and population, a national wijk stacking, series per wijk, and
//! every figure saying whom it describes.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::http::StatusCode;
use common::{app, catalogue, get_from, get_json_from};
use kwm_model::Level;
use serde_json::Value;

/// One store for every test of this file: loading and computing the country takes a while.
fn store() -> PathBuf {
    static STORE: OnceLock<PathBuf> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let path = common::loaded_store(
                "national-api",
                "national",
                &[
                    "codelists/gemeenten_2021_provincie.csv",
                    "codelists/wijken_2023.csv",
                    "boundaries/gemeente_2022_cartomap_wgs84.topojson",
                    "boundaries/wijk_2022_pdok_gegeneraliseerd.geojson",
                    "kwb/kwb_2020_gemeente_wijkbuurtkaart.csv",
                    "rivm/50090NED_2012_18plus.csv",
                    "rivm/50090NED_2016_18plus.csv",
                    "rivm/50090NED_2020_18plus.csv",
                    "rivm/50090NED_2020_65plus.csv",
                ],
            );
            let mut store = kwm_store::SqliteStore::open(&path).unwrap();
            // Series need the figures carried onto a layout, as `kwm demo` does.
            kwm_monitor::layouts::derive_changes(&mut store).unwrap();
            kwm_monitor::harmonise::harmonise(
                &mut store,
                &catalogue(),
                2022,
                "2026-12-07T00:00:00Z",
            )
            .unwrap();
            for level in [Level::Gemeente, Level::Wijk] {
                kwm_monitor::risk::compute_all(
                    &mut store,
                    &catalogue(),
                    Some(level),
                    Some(2020),
                    "2026-12-07T00:00:00Z",
                    false,
                )
                .unwrap();
            }
            path
        })
        .clone()
}

async fn get(uri: &str) -> Value {
    let (status, v) = get_json_from(app(&store(), catalogue()), uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {v}");
    v
}

fn summary_at(v: &Value, period: i64) -> &Value {
    v["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["period"] == period)
        .unwrap_or_else(|| panic!("no column for {period}: {}", v["summary"]))
}

#[tokio::test]
async fn coverage_per_level_and_population() {
    let g = get("/api/coverage?level=gemeente").await;
    let g2020 = summary_at(&g, 2020);
    assert!(
        g2020["characteristics_measured"].as_u64().unwrap() >= 9,
        "{g2020}"
    );
    assert_eq!(g2020["by_population"]["18plus"], 6, "{g2020}");
    for level in ["wijk", "buurt"] {
        let v = get(&format!("/api/coverage?level={level}")).await;
        let s = summary_at(&v, 2020);
        // Six of the twelve for adults: what the open data allow below gemeente (README).
        assert_eq!(s["by_population"]["18plus"], 6, "{level}: {s}");
        let buffer = v["factors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "kleine_financiele_buffer")
            .unwrap();
        let cell = buffer["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["period"] == 2020)
            .unwrap();
        assert_eq!(cell["population_id"], "18plus");
        // Gaps name the source that would fill them.
        let education = v["factors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "lage_opleiding_ouders")
            .unwrap();
        assert!(!education["gap_note"]["nl"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_national_wijk_stacking() {
    let v = get("/api/stacking?level=wijk&period=2020").await;
    let regions = v["regions"].as_array().unwrap();
    assert!(regions.len() >= 3_000, "{} wijken", regions.len());
    let gemeenten: std::collections::BTreeSet<&str> = regions
        .iter()
        .map(|r| &r["code"].as_str().unwrap()[2..6])
        .collect();
    assert!(gemeenten.len() >= 300, "{} gemeenten", gemeenten.len());

    // Rotterdam's wijken: the national rows cut to them, the same flags and ranks, and a
    // distribution recounted over them — and the cuts of all gemeenten add up to the country.
    let r = get("/api/stacking?level=wijk&period=2020&gemeente=GM0599").await;
    let own = r["regions"].as_array().unwrap();
    assert!(!own.is_empty());
    for w in own {
        assert!(w["code"].as_str().unwrap().starts_with("WK0599"), "{w}");
        let national = regions.iter().find(|n| n["code"] == w["code"]).unwrap();
        assert_eq!(national, w, "a cut keeps the national row");
    }
    assert_eq!(r["within"]["gemeente"], "GM0599");
    assert_eq!(r["within"]["name"], "Rotterdam");
    let counted = |v: &Value| -> Vec<u64> {
        v["distribution"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["regions"].as_u64().unwrap())
            .collect()
    };
    let with_data = own.iter().filter(|w| w["with_data"] != 0).count() as u64;
    assert_eq!(counted(&r).iter().sum::<u64>(), with_data);
    let mut sum = vec![0u64; counted(&v).len()];
    for gm in &gemeenten {
        let (status, cut) = get_json_from(
            app(&store(), catalogue()),
            &format!("/api/stacking?level=wijk&period=2020&gemeente=GM{gm}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "GM{gm}: {cut}");
        for (k, n) in counted(&cut).iter().enumerate() {
            sum[k] += n;
        }
    }
    assert_eq!(
        sum,
        counted(&v),
        "the gemeenten's distributions add up to the country's"
    );
    // A cut of a gemeente-level result, or of a gemeente with no wijken in it, is not found.
    for uri in [
        "/api/stacking?level=gemeente&period=2020&gemeente=GM0599",
        "/api/stacking?level=wijk&period=2020&gemeente=GM9999",
    ] {
        let (status, body) = get_json_from(app(&store(), catalogue()), uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
    }
}

#[tokio::test]
async fn every_figure_says_whom_it_describes() {
    let v = get("/api/indicators").await;
    let find = |id: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
            .clone()
    };
    assert_eq!(find("vo_eenzaam_65plus")["population"]["id"], "65plus");
    assert_eq!(find("vo_eenzaam_18plus")["population"]["id"], "18plus");
    assert_eq!(
        find("vo_eenzaam_18plus")["population"]["label"]["nl"],
        "volwassenen (18 jaar en ouder)"
    );
    assert_eq!(
        find("kwb_sociaal_minimum")["population"]["id"],
        "huishoudens"
    );
    // The profile opens on the year of the level's default results (2020) and every row
    // carries its population.
    let p = get("/api/regions/GM0599").await;
    assert_eq!(p["period"], 2020);
    let rows = p["indicators"].as_array().unwrap();
    assert!(rows.len() >= 30);
    assert!(rows.iter().all(|r| !r["indicator"]["population"].is_null()));
}

#[tokio::test]
async fn a_wijk_series_of_financial_difficulty_2012_2016_2020() {
    let v = get("/api/regions/WK059910/series?indicator=vo_moeite_met_rondkomen_18plus").await;
    assert_eq!(v["indicator"]["population"]["id"], "18plus");
    let periods: Vec<i64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_i64().unwrap())
        .collect();
    assert_eq!(periods, [2012, 2016, 2020], "{v}");
}

#[tokio::test]
async fn the_elderly_group_uses_adults_results_and_says_so() {
    let v = get("/api/groups/eenzame_ouderen").await;
    assert_eq!(v["areas"]["period"], 2020, "{}", v["areas"]);
    assert_eq!(v["areas"]["group_population"], "65plus");
    let populations = v["areas"]["populations"].as_array().unwrap();
    assert!(populations.iter().any(|p| p == "18plus"), "{populations:?}");
    assert!(v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == "vo_ernstig_eenzaam_65plus"));
}

/// Where in Rotterdam a group's characteristics stack: the wijken of GM0599 in the national
/// list, in the same order and with the same flags; and the themes page of Rotterdam lists the
/// groups with a link there.
#[tokio::test]
async fn a_groups_wijken_within_one_gemeente() {
    let group = "psychische_problematiek_volwassenen";
    let national = get(&format!("/api/groups/{group}?level=wijk")).await;
    let within = get(&format!("/api/groups/{group}?level=wijk&gemeente=GM0599")).await;
    assert_eq!(within["areas"]["gemeente"], "GM0599");
    assert_eq!(within["areas"]["period"], national["areas"]["period"]);
    let expected: Vec<&Value> = national["areas"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"].as_str().unwrap().starts_with("WK0599"))
        .collect();
    let own: Vec<&Value> = within["areas"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert!(!own.is_empty());
    assert_eq!(own, expected, "the cut keeps the national order and flags");

    let (status, _, page) = get_from(app(&store(), catalogue()), "/regio/GM0599/themas").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Groepen uit het rapport"));
    assert!(page.contains(&format!("/groepen/{group}?gemeente=GM0599&amp;level=wijk")));
    let (status, _, page) = get_from(
        app(&store(), catalogue()),
        &format!("/groepen/{group}?gemeente=GM0599&level=wijk"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Wijken in Rotterdam waar deze kenmerken samenkomen"));
    assert!(page.contains("Feijenoord"));
}
