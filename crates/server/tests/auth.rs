//! Who is asking, through the router: API tokens (401 in the API's JSON error shape for a
//! wrong one), trusted proxy headers only from a configured address, the session hook, and
//! what each principal sees of a restricted load; no `--auth` means public only.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use kwm_server::auth::{AuthConfig, Principal, Role, SessionSource, Via};
use kwm_server::{router, AppState};
use kwm_store::{LoadAccess, Store};
use tower::ServiceExt;

const OBS: &str = "/api/observations?indicator=jv_eenzaam&level=gemeente&period=2024";

/// A store with the 50140NED fixture (values 98765x.y), restricted, and one analyst token.
fn store(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let path = dir.join("s.sqlite");
    let mut store = kwm_store::SqliteStore::open(&path).unwrap();
    let fixture = common::repo().join("crates/cli/tests/data/50140NED_restricted_fixture.csv");
    let who = kwm_monitor::ingest::LoadAs {
        actor: "test".into(),
        access: Some(LoadAccess {
            restricted: true,
            until: None,
            reason: "test".into(),
        }),
    };
    kwm_monitor::ingest::ingest_files_as(
        &mut store,
        &common::catalogue(),
        &[fixture],
        &Default::default(),
        "2026-01-01T00:00:00Z",
        &who,
    )
    .unwrap();
    let token = "kwm_test-token";
    store
        .create_token(
            "script",
            "analyst",
            &kwm_server::auth::token_hash(token),
            "2026-01-01T00:00:00Z",
        )
        .unwrap();
    (path, token.into())
}

struct FixedSession;

impl SessionSource for FixedSession {
    fn principal(&self, headers: &HeaderMap) -> Option<Principal> {
        let cookie = headers.get("cookie")?.to_str().ok()?;
        cookie.contains("session=ok").then(|| Principal {
            role: Role::Admin,
            name: "signed-in".into(),
            via: Via::Session,
        })
    }
}

async fn get(
    app: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
    peer: &str,
) -> (StatusCode, String) {
    let mut request = Request::get(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let mut request = request.body(Body::empty()).unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn principals_see_what_their_role_allows() {
    let dir = std::env::temp_dir().join(format!("kwm-server-auth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (path, token) = store(&dir);
    let config = AuthConfig::parse(
        "[trusted_proxy]\naddresses = [\"10.0.0.1\"]\nrole_header = \"X-Remote-Role\"\n",
    )
    .unwrap();
    let app = router(
        AppState::new(path.clone(), common::catalogue(), "test".into())
            .with_auth(config)
            .with_sessions(Arc::new(FixedSession)),
    );
    let shows = |body: &str| body.contains("98765");

    // Anonymous: the restricted figures are not there.
    let (status, body) = get(&app, OBS, &[], "127.0.0.1:1").await;
    assert!(!shows(&body), "{status} {body}");
    // A token.
    let bearer = format!("Bearer {token}");
    let (status, body) = get(&app, OBS, &[("authorization", &bearer)], "127.0.0.1:1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(shows(&body));
    // Never kept by a shared cache.
    let mut request = Request::get(OBS)
        .header("authorization", &bearer)
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo("127.0.0.1:1".parse::<SocketAddr>().unwrap()));
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    // A wrong token: 401 in the API's error shape, not anonymous.
    let (status, body) = get(
        &app,
        OBS,
        &[("authorization", "Bearer nope")],
        "127.0.0.1:1",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["status"], 401);
    // Proxy headers: believed from the proxy only.
    let proxy = [("x-remote-user", "u1"), ("x-remote-role", "analyst")];
    let (_, body) = get(&app, OBS, &proxy, "10.0.0.1:5000").await;
    assert!(shows(&body), "{body}");
    let (_, body) = get(&app, OBS, &proxy, "10.0.0.2:5000").await;
    assert!(!shows(&body), "headers believed from a stranger");
    // The session hook.
    let (_, body) = get(&app, OBS, &[("cookie", "session=ok")], "127.0.0.1:1").await;
    assert!(shows(&body));
    let (status, _) = get(
        &app,
        "/beheer/audit",
        &[("cookie", "session=ok")],
        "127.0.0.1:1",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&app, "/beheer/audit", &proxy, "10.0.0.1:5000").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // One audit entry per request that returned restricted figures: token (twice), proxy, session
    // (the audit page itself reads no figures).
    let reads: Vec<_> = kwm_store::SqliteStore::open(&path)
        .unwrap()
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "read_restricted")
        .collect();
    let who: Vec<(&str, &str)> = reads
        .iter()
        .map(|e| (e.actor.as_str(), e.via.as_str()))
        .collect();
    assert_eq!(
        who,
        [
            ("script", "token"),
            ("script", "token"),
            ("u1", "trusted_proxy"),
            ("signed-in", "session")
        ]
    );
    assert!(reads.iter().all(|e| e.subject == "jv_eenzaam"));

    // An embargo that has ended is public without anything running.
    let mut store = kwm_store::SqliteStore::open(&path).unwrap();
    store
        .set_load_access(
            1,
            &LoadAccess {
                restricted: true,
                until: Some("2000-01-01".into()),
                reason: "embargo until publication".into(),
            },
            "2026-01-01T00:00:00Z",
            "test",
        )
        .unwrap();
    let (_, body) = get(&app, OBS, &[], "127.0.0.1:1").await;
    assert!(shows(&body), "embargo ended but figures hidden");

    // Without --auth: public only, tokens are not looked at.
    let public = router(AppState::new(path, common::catalogue(), "test".into()));
    store
        .set_load_access(
            1,
            &LoadAccess {
                restricted: true,
                until: None,
                reason: "again".into(),
            },
            "2026-01-01T00:00:00Z",
            "test",
        )
        .unwrap();
    let (status, body) = get(&public, OBS, &[("authorization", &bearer)], "127.0.0.1:1").await;
    assert!(
        !shows(&body),
        "{status}: a server without --auth showed restricted figures"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Public ranks are computed without restricted figures (kwm_store::access docs, "aggregates under
/// restriction"): the public 2024 figures of 50140NED, then the fixture restricted over 40 of
/// its gemeenten and Nederland. A public gemeente's rank counts only public figures for the
/// anonymous user, all of them for the analyst; the national value is the analyst's only.
#[tokio::test]
async fn public_ranks_and_national_values_leave_restricted_figures_out() {
    let dir = std::env::temp_dir().join(format!("kwm-server-ranks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sqlite");
    let mut store = kwm_store::SqliteStore::open(&path).unwrap();
    let catalogue = common::catalogue();
    let public =
        common::repo().join("data/gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv");
    kwm_monitor::ingest::ingest_files(
        &mut store,
        &catalogue,
        &[public],
        &Default::default(),
        "2026-01-01T00:00:00Z",
    )
    .unwrap();
    let (_, token) = {
        let fixture = common::repo().join("crates/cli/tests/data/50140NED_restricted_fixture.csv");
        let who = kwm_monitor::ingest::LoadAs {
            actor: "test".into(),
            access: Some(LoadAccess {
                restricted: true,
                until: None,
                reason: "test".into(),
            }),
        };
        kwm_monitor::ingest::ingest_files_as(
            &mut store,
            &catalogue,
            &[fixture],
            &Default::default(),
            "2026-01-01T00:00:01Z",
            &who,
        )
        .unwrap();
        let token = "kwm_rank-token";
        store
            .create_token(
                "ranks",
                "analyst",
                &kwm_server::auth::token_hash(token),
                "t",
            )
            .unwrap();
        ((), token.to_string())
    };
    drop(store);
    let app = router(
        AppState::new(path.clone(), common::catalogue(), "test".into())
            .with_auth(AuthConfig::parse("").unwrap()),
    );
    let bearer = format!("Bearer {token}");
    let row = |body: &str| {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"]["id"] == "jv_eenzaam")
            .cloned()
            .unwrap()
    };
    // GM0512 is not in the fixture: its own figure is public.
    let uri = "/api/regions/GM0512?period=2024";
    let (status, body) = get(&app, uri, &[], "127.0.0.1:1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let anonymous = row(&body);
    let (_, body) = get(&app, uri, &[("authorization", &bearer)], "127.0.0.1:1").await;
    let analyst = row(&body);
    assert_eq!(anonymous["value"], analyst["value"]);
    let (all, public) = (
        analyst["ranked"].as_i64().unwrap(),
        anonymous["ranked"].as_i64().unwrap(),
    );
    // Restricted gemeenten with a value (the fixture keeps the original's suppressed cells).
    let (_, obs) = get(&app, OBS, &[("authorization", &bearer)], "127.0.0.1:1").await;
    let obs: serde_json::Value = serde_json::from_str(&obs).unwrap();
    let restricted = obs["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["value"].as_f64().is_some_and(|v| v > 987_000.0))
        .count() as i64;
    assert!(restricted > 30);
    assert_eq!(
        all - public,
        restricted,
        "anonymous ranks among {public} of {all}"
    );
    assert!(anonymous["rank"].as_i64().unwrap() <= public);
    assert!(anonymous["national"].is_null(), "{}", anonymous["national"]);
    assert!(analyst["national"].to_string().contains("98765"));
    // A restricted gemeente's own figure: no value, rank or percentile for the anonymous user
    // (the indicator stays listed: other gemeenten have public figures of it).
    let (_, body) = get(&app, "/api/regions/GM0358?period=2024", &[], "127.0.0.1:1").await;
    assert!(!body.contains("98765"), "{body}");
    let own = row(&body);
    for key in ["value", "rank", "percentile"] {
        assert!(own[key].is_null(), "{key}: {own}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
