//! The policy agenda's and the findability radar's endpoints and pages on the real Amsterdam
//! KWB data (2017, 2019) with the risk model computed: the numbers each answer carries follow
//! the rules the answer states, errors are JSON with 400/404, and the pages link groups to
//! recommendations and region profiles to the radar.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{app, catalogue, computed_store, get_from, get_json_from, loaded_store};

fn store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        computed_store(
            "agenda-api",
            "amsterdam",
            &[
                "codelists/gemeenten_2019.csv",
                "boundaries/wijk_2017_amsterdam_cbs.geojson",
                "kwb_amsterdam/kwb_2017_amsterdam_gemeente_wijk_buurt.csv",
                "kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv",
            ],
        )
    })
}

/// The national files (KWB 2020 per gemeente, RIVM adults 2012/2016/2020, KWB 2024 and Amsterdam
/// 2019 residents), the risk model computed at gemeente level for 2020 only (wijk level takes
/// minutes in a debug build and is not needed here).
fn national() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = loaded_store(
            "agenda-api",
            "national",
            &[
                "codelists/gemeenten_2021_provincie.csv",
                "kwb/kwb_2020_gemeente_wijkbuurtkaart.csv",
                "kwb/kwb_2024_85984NED_alle_niveaus_leeftijd.csv",
                "kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv",
                "rivm/50090NED_2012_18plus.csv",
                "rivm/50090NED_2016_18plus.csv",
                "rivm/50090NED_2020_18plus.csv",
            ],
        );
        let mut store = kwm_store::SqliteStore::open(&path).unwrap();
        kwm_monitor::risk::compute_all(
            &mut store,
            &catalogue(),
            Some(kwm_model::Level::Gemeente),
            Some(2020),
            "2026-11-23T01:00:00Z",
            false,
        )
        .unwrap();
        path
    })
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    get_from(app(store(), catalogue()), uri).await
}

async fn get_json(uri: &str) -> (StatusCode, Value) {
    get_json_from(app(store(), catalogue()), uri).await
}

#[tokio::test]
async fn the_agenda_lists_tasks_recommendations_programmes_and_parties() {
    let (status, a) = get_json("/api/agenda").await;
    assert_eq!(status, StatusCode::OK);
    let tasks = a["tasks"].as_array().unwrap();
    let recs = a["recommendations"].as_array().unwrap();
    assert_eq!((tasks.len(), recs.len()), (4, 9));
    // Every recommendation is listed under exactly its task, and every id it names resolves.
    let programmes: Vec<&str> = a["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let parties: Vec<&str> = a["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for r in recs {
        let id = r["id"].as_str().unwrap();
        let task = tasks.iter().find(|t| t["id"] == r["task"]).unwrap();
        assert!(task["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == id));
        for p in r["programmes"].as_array().unwrap() {
            assert!(programmes.contains(&p.as_str().unwrap()), "{id}: {p}");
        }
        for p in r["parties"].as_array().unwrap() {
            assert!(parties.contains(&p.as_str().unwrap()), "{id}: {p}");
        }
        assert!(r["label"]["nl"].is_string() && r["label"]["en"].is_string());
    }
    // A programme lists the recommendations that name it.
    let kansrijke = a["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "kansrijke_start")
        .unwrap();
    for id in kansrijke["recommendations"].as_array().unwrap() {
        let r = recs.iter().find(|r| &r["id"] == id).unwrap();
        assert!(r["programmes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "kansrijke_start"));
    }
    // The headline of recommendation 4 on this data: the Amsterdam placebo check.
    let r4 = recs.iter().find(|r| r["number"] == 4).unwrap();
    assert_eq!(r4["effect"]["status"], "placebo_only");
    assert_eq!(r4["effect"]["level"], "wijk");
    assert!(r4["effect"]["estimate"].is_null());
    assert!(r4["effect"]["pre_trend"].is_number());
    assert_eq!(a["region_sets"][0]["areas"].as_array().unwrap().len(), 20);
    assert!(a["effect_rules"]["labels"]["placebo_only"].is_string());
    assert_eq!(a["follow_up"]["overarching"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn a_recommendation_carries_its_effect_views_and_they_add_up() {
    let (status, r) = get_json("/api/agenda/bestaanszekerheid").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["number"], 4);
    assert_eq!(r["points"].as_array().unwrap().len(), 5);
    assert_eq!(r["task"]["number"], 2);
    assert_eq!(r["follow_up"][0]["herstelopgave"], 1);
    assert_eq!(r["region_set"]["id"], "nplv_focusgebieden");
    let views = r["effects"].as_array().unwrap();
    let wijk: Vec<&Value> = views.iter().filter(|v| v["level"] == "wijk").collect();
    assert_eq!(
        wijk.len(),
        3,
        "low income, social minimum, social assistance per 1,000"
    );
    for v in wijk {
        assert_eq!(v["status"], "placebo_only", "{}", v["indicator"]);
        assert!(v["effect"].is_null());
        let pre = &v["pre_trend"];
        let est = pre["estimate"].as_f64().unwrap();
        let (tc, cc) = (
            pre["target_change"].as_f64().unwrap(),
            pre["comparison_change"].as_f64().unwrap(),
        );
        assert!((est - (tc - cc)).abs() < 1e-9);
        assert!(pre["lower"].as_f64().unwrap() <= est && est <= pre["upper"].as_f64().unwrap());
        assert_eq!(pre["before"], serde_json::json!([2017]));
        assert_eq!(pre["after"], serde_json::json!([2019]));
        // The chart's means are those of the regions in the estimate.
        let means = v["means"].as_array().unwrap();
        assert_eq!(means.len(), 2);
        assert_eq!(means[0]["targets"], pre["targets"]);
        assert_eq!(means[0]["comparisons"], pre["comparisons"]);
        let t_change =
            means[1]["target_mean"].as_f64().unwrap() - means[0]["target_mean"].as_f64().unwrap();
        assert!((t_change - tc).abs() < 1e-9);
    }
    // The young-adult indicators are not loaded here: named as not measured.
    let not = r["not_measured"].as_array().unwrap();
    assert!(not
        .iter()
        .any(|n| n["indicator"] == "jv_moeite_met_rondkomen"));
}

#[tokio::test]
async fn the_radar_answers_with_its_model_candidates_and_rules() {
    let (status, r) = get_json("/api/radar?level=wijk&support=wmo").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["status"], "model");
    assert_eq!(r["period"], 2019);
    assert_eq!(r["need_rule"], "stacking");
    assert!(r["rules"]["persons"]
        .as_str()
        .unwrap()
        .contains("never at persons"));
    let areas = r["areas"].as_array().unwrap();
    let candidates: Vec<&Value> = areas.iter().filter(|a| a["candidate"] == true).collect();
    assert_eq!(r["candidates"], candidates.len());
    for a in &candidates {
        assert_eq!(a["high_need"], true);
        assert!(a["observed"].as_f64().unwrap() < a["lower"].as_f64().unwrap());
        assert!(!a["stacking"]["characteristics"]
            .as_array()
            .unwrap()
            .is_empty());
    }
    // Candidates come first.
    if let Some(first_other) = areas.iter().position(|a| a["candidate"] == false) {
        assert!(areas[first_other..].iter().all(|a| a["candidate"] == false));
    }
    assert_eq!(r["model"]["coefficients"].as_array().unwrap().len(), 3);
    let n = r["model"]["n"].as_u64().unwrap() as usize;
    assert_eq!(n, areas.iter().filter(|a| a["excluded"].is_null()).count());

    // Filtered to a gemeente: only its areas.
    let (_, r) = get_json("/api/radar?level=wijk&gemeente=GM0363&support=bijstand").await;
    assert!(r["areas"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["code"].as_str().unwrap().starts_with("WK0363")));

    // Figures not loaded: which, from which StatLine table and column, and how to load.
    let (status, r) = get_json("/api/radar?level=wijk&period=2017&support=wmo").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["status"], "missing_data");
    let missing = r["missing"].as_array().unwrap();
    let wmo = missing
        .iter()
        .find(|m| m["indicator"] == "kwb_wmo_clienten")
        .unwrap();
    assert_eq!(wmo["statline_keys"], serde_json::json!(["WmoClienten"]));
    assert!(wmo["statline_tables"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["table"] == "83765NED" && t["period"] == 2017));
    assert!(r["how_to_load"].as_str().unwrap().contains("kwm ingest"));
    assert!(
        r["areas"].as_array().unwrap().is_empty(),
        "no invented figures"
    );

    // One gemeente with figures: no model, and it says why.
    let (_, r) = get_json("/api/radar?level=gemeente&support=wmo&period=2019").await;
    assert_eq!(r["status"], "no_model");
    assert_eq!(r["no_model"]["reason"], "too_few_areas");
}

#[tokio::test]
async fn mistakes_are_json_errors_with_the_right_status() {
    for (uri, status) in [
        ("/api/agenda/nope", StatusCode::NOT_FOUND),
        ("/api/agenda?x=1", StatusCode::BAD_REQUEST),
        (
            "/api/agenda/bestaanszekerheid?level=wijk",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/radar?level=land", StatusCode::BAD_REQUEST),
        ("/api/radar?level=wijk&support=nope", StatusCode::NOT_FOUND),
        ("/api/radar?gemeente=WK036300", StatusCode::BAD_REQUEST),
        ("/api/radar?gemeente=XX", StatusCode::BAD_REQUEST),
        ("/api/radar?period=twee", StatusCode::BAD_REQUEST),
        ("/api/radar?sort=x", StatusCode::BAD_REQUEST),
    ] {
        let (got, body) = get_json(uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(body["error"]["status"], status.as_u16(), "{uri}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn pages_render_link_and_switch_language() {
    let (status, _, html) = get("/agenda").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Beleidsagenda</h1>"));
    for n in 1..=9 {
        assert!(
            html.contains(&format!(">{n}. ")),
            "recommendation {n} listed"
        );
    }
    assert!(html.contains("Controle van de trend vooraf (placebotoets vóór de start)"));
    let (_, _, html) = get("/agenda?lang=en").await;
    assert!(html.contains("<h1>Policy agenda</h1>"));

    let (status, _, html) = get("/agenda/bestaanszekerheid").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Aanbeveling 4: Meer aandacht voor bestaanszekerheid"));
    assert!(html.contains("svg") && html.contains("effect-table"));
    assert!(html.contains("Dit is geen effect van het programma."));
    let (status, _, _) = get("/agenda/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _, html) = get("/radar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Vindbaarheidsradar</h1>"));
    assert!(
        html.contains("option value=\"wijk\" selected"),
        "defaults to a level with a model"
    );
    let (_, _, html) = get("/radar?level=wijk&period=2017&support=wmo").await;
    assert!(html.contains("Deze cijfers zijn niet geladen") && html.contains("WmoClienten"));

    // Groups link to the recommendations that address them; profiles to the radar.
    let (_, _, html) = get("/groepen/langdurige_covid").await;
    assert!(html.contains("href=\"/agenda/erkenning_nieuwe_groepen\""));
    assert!(html.contains("href=\"/agenda/lessen_q_koorts\""));
    let (_, g) = get_json("/api/groups/langdurige_covid").await;
    let numbers: Vec<u64> = g["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_u64().unwrap())
        .collect();
    assert!(numbers.contains(&8) && numbers.contains(&9), "{numbers:?}");
    let (_, _, html) = get("/regio/WK036380").await;
    assert!(html.contains("/radar?level=wijk"), "{}", &html[..200]);
}

#[tokio::test]
async fn the_gemeente_radar_on_kwb_2020_states_its_model_and_one_sign_of_verschil() {
    let app = || app(national(), catalogue());
    for support in ["bijstand", "ao"] {
        let (status, r) = get_json_from(
            app(),
            &format!("/api/radar?level=gemeente&support={support}&period=2020"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "model", "{support}");
        assert_eq!(r["model"]["scale"], "log");
        assert!(r["rules"]["model"]
            .as_str()
            .unwrap()
            .contains("log(use rate)"));
        assert!(r["rules"]["difference"]
            .as_str()
            .unwrap()
            .starts_with("gap = observed − expected"));
        let n = r["model"]["n"].as_u64().unwrap();
        assert!((340..=355).contains(&n), "{support}: n = {n}");
        let areas = r["areas"].as_array().unwrap();
        let assessed: Vec<&Value> = areas.iter().filter(|a| a["excluded"].is_null()).collect();
        assert_eq!(assessed.len() as u64, n);
        for a in assessed {
            let f = |k: &str| a[k].as_f64().unwrap();
            assert!(f("expected") >= 0.0 && f("lower") >= 0.0, "{a}");
            assert!((f("gap") - (f("observed") - f("expected"))).abs() < 1e-9);
            assert!((f("gap_pct") - 100.0 * f("gap") / f("expected")).abs() < 1e-6);
            assert_eq!(f("gap") < 0.0, f("gap_pct") < 0.0, "{a}");
        }
    }
    // A support computed per gemeente only is refused at wijk level, with the reason.
    let (status, e) = get_json_from(app(), "/api/radar?level=wijk&support=ao").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("only at level gemeente"), "{e}");
    // A Rotterdam wijk's profile links to the radar where Rotterdam has figures: per gemeente.
    let (status, _, html) = get_from(app(), "/regio/WK059910").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("href=\"/radar?level=gemeente&amp;period=2020\""),
        "radar link"
    );
    // The page states the model and the definition of verschil.
    let (_, _, html) = get_from(app(), "/radar?level=gemeente&support=bijstand&period=2020").await;
    assert!(html.contains("log(gebruik)"));
    assert!(html.contains("Verschil = gebruik − verwacht gebruik"));
}

#[tokio::test]
async fn a_gemeente_without_figures_gets_a_clear_message() {
    // Rotterdam has no wijk figures in the Amsterdam store.
    let (status, r) =
        get_json("/api/radar?level=wijk&period=2019&support=wmo&gemeente=GM0599").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["status"], "no_figures_for_gemeente");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .starts_with("no figures for Rotterdam (GM0599) at level wijk"),
        "{}",
        r["message"]
    );
    assert!(r["gemeente_without_figures"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["indicator"] == "kwb_wmo_clienten"));
    assert_eq!(r["candidates"], 0);
    let (_, _, html) = get("/radar?level=wijk&period=2019&support=wmo&gemeente=GM0599").await;
    assert!(html.contains("Geen cijfers voor Rotterdam op dit niveau"));
    assert!(
        !html.contains("radarkandidaten in"),
        "no '0 candidates in …'"
    );
}

#[tokio::test]
async fn the_focus_areas_pre_trend_check_is_labelled_as_such() {
    let (status, r) = get_json_from(
        app(national(), catalogue()),
        "/api/agenda/bestaanszekerheid",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v = r["effects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["indicator"] == "vo_moeite_met_rondkomen_18plus" && v["level"] == "wijk")
        .expect("a wijk view of difficulty making ends meet");
    assert_eq!(v["status"], "placebo_only");
    assert!(v["effect"].is_null());
    assert!(v["pre_trend"]["targets"].as_u64().unwrap() >= 10);
    let unmatched: Vec<&str> = v["unmatched_areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(unmatched.contains(&"Leeuwarden-Oost"), "{unmatched:?}");
    assert!(r["effect_rules"]["labels"]["placebo_only"]
        .as_str()
        .unwrap()
        .contains("pre-trend"));
    let (_, _, html) = get_from(app(national(), catalogue()), "/agenda/bestaanszekerheid").await;
    assert!(html.contains("Controle van de trend vooraf"));
    assert!(html.contains("Leeuwarden-Oost"));
}
