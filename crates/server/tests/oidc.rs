//! Sign-in with OpenID Connect against a provider started by the test (`common/test_idp.rs`):
//! the whole authorization-code flow with PKCE as a browser would drive it — the monitor's
//! redirect, the provider's login form, the callback, the session cookie, the page header,
//! signing out — and every refusal: a wrong or missing `state`, a replayed code, forged,
//! unsigned, expired, wrongly addressed or wrongly issued ID tokens, a nonce from another
//! sign-in, a wrong client secret, the provider's own error, an unreachable provider; and a
//! provider that rotated its keys.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use kwm_server::oidc::{Oidc, OidcConfig, OidcRole};
use kwm_server::{router, AppState};
use tower::ServiceExt;

mod common;
#[path = "common/test_idp.rs"]
mod test_idp;
use test_idp::{url_decode, url_encode, Mischief, TestIdp, TestUser};

/// Where the provider sends the browser back to; the test takes the code from that address
/// instead of following it.
const REDIRECT: &str = "http://127.0.0.1:9/aanmelden/terug";
const CLIENT: &str = "kwm-test";
const SECRET: &str = "test-geheim: niet voor productie";

fn store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kwm-oidc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.sqlite");
        let _ = std::fs::remove_file(&path);
        kwm_store::SqliteStore::open(&path).unwrap();
        path
    })
}

fn users() -> Vec<TestUser> {
    vec![
        TestUser {
            username: "anna".into(),
            subject: "sub-anna-1".into(),
            name: "Anna Analist".into(),
            roles: vec!["medewerker".into(), "kwm-analist".into()],
        },
        TestUser {
            username: "bea".into(),
            subject: "sub-bea-2".into(),
            name: "Bea Beheer".into(),
            roles: vec!["kwm-beheer".into()],
        },
        TestUser {
            username: "piet".into(),
            subject: "sub-piet-3".into(),
            name: "Piet Publiek".into(),
            roles: vec![],
        },
    ]
}

struct Setup {
    idp: TestIdp,
    oidc: Oidc,
    app: axum::Router,
}

async fn setup(token_auth: &str) -> Setup {
    setup_with(token_auth, SECRET).await
}

async fn setup_with(token_auth: &str, secret: &str) -> Setup {
    let idp = TestIdp::start(CLIENT, SECRET, REDIRECT, users()).await;
    let config: OidcConfig = toml::from_str(&format!(
        r#"
        issuer = "{}"
        client_id = "{CLIENT}"
        client_secret = "{secret}"
        redirect_url = "{REDIRECT}"
        token_auth = "{token_auth}"
        [roles]
        analyst = ["kwm-analist"]
        admin = ["kwm-beheer"]
        "#,
        idp.issuer
    ))
    .unwrap();
    let oidc = Oidc::new(config).unwrap();
    let app = router(
        AppState::new(store().clone(), common::catalogue(), "test".into()).with_oidc(oidc.clone()),
    );
    Setup { idp, oidc, app }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// `name=value` of each `Set-Cookie`, and the whole header.
    fn cookies(&self) -> Vec<(String, String)> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| {
                let v = v.to_str().unwrap().to_string();
                (v.split(';').next().unwrap().to_string(), v)
            })
            .collect()
    }

    fn cookie(&self, name: &str) -> Option<(String, String)> {
        self.cookies()
            .into_iter()
            .find(|(pair, _)| pair.starts_with(&format!("{name}=")))
    }
}

async fn send(app: &axum::Router, method: &str, uri: &str, cookie: Option<&str>) -> Answer {
    send_form(app, method, uri, cookie, None).await
}

async fn send_form(
    app: &axum::Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        request = request.header(header::COOKIE, c);
    }
    let body = match form {
        Some(f) => {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(f.to_string())
        }
        None => Body::empty(),
    };
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn query(url: &str) -> HashMap<String, String> {
    url.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (url_decode(k), url_decode(v)))
        .collect()
}

/// `GET /aanmelden?terug=…`: the provider's authorization address and the state cookie.
async fn begin(s: &Setup, terug: &str) -> (String, String) {
    let answer = send(
        &s.app,
        "GET",
        &format!("/aanmelden?terug={}", url_encode(terug)),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let (pair, whole) = answer.cookie("kwm_aanmelding").expect("state cookie");
    assert!(
        whole.contains("HttpOnly") && whole.contains("SameSite=Lax"),
        "{whole}"
    );
    (answer.location().to_string(), pair)
}

/// The person at the provider: loads its login form, types a user name, submits. Returns the
/// callback address (path and query) the provider sends the browser to.
async fn sign_in_at_provider(authorize: &str, username: &str) -> String {
    let authorize = authorize.to_string();
    let username = username.to_string();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let mut form = agent.get(&authorize).call().unwrap();
        assert_eq!(form.status(), 200);
        let html = form.body_mut().read_to_string().unwrap();
        assert!(html.contains("Gebruikersnaam"), "{html}");
        let mut fields: Vec<(String, String)> = query(&authorize).into_iter().collect();
        fields.push(("username".into(), username));
        let action = format!(
            "{}/authorize",
            authorize.split("/authorize").next().unwrap()
        );
        let answer = agent
            .post(&action)
            .send_form(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap();
        assert_eq!(answer.status(), 303);
        let location = answer.headers()["location"].to_str().unwrap().to_string();
        let rest = location.strip_prefix("http://127.0.0.1:9").unwrap();
        rest.to_string()
    })
    .await
    .unwrap()
}

/// A whole sign-in up to the monitor's answer to the callback.
async fn sign_in(s: &Setup, username: &str, terug: &str) -> (Answer, String, String) {
    let (authorize, state_cookie) = begin(s, terug).await;
    let callback = sign_in_at_provider(&authorize, username).await;
    let answer = send(&s.app, "GET", &callback, Some(&state_cookie)).await;
    (answer, callback, state_cookie)
}

#[tokio::test(flavor = "multi_thread")]
async fn analyst_signs_in_sees_name_and_role_and_signs_out() {
    let s = setup("client_secret_basic").await;
    let (authorize, _) = begin(&s, "/over").await;
    // What the provider is asked for: the code flow with PKCE (S256), state and nonce.
    let q = query(&authorize);
    assert!(authorize.starts_with(&format!("{}/authorize?", s.idp.issuer)));
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT);
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["scope"].split(' ').any(|x| x == "openid"));
    assert!(q["state"].len() >= 43 && q["nonce"].len() >= 43 && q["state"] != q["nonce"]);

    let (answer, _, _) = sign_in(&s, "anna", "/over").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), "/over");
    let (session, whole) = answer.cookie("kwm_sessie").expect("session cookie");
    assert!(
        whole.contains("HttpOnly") && whole.contains("SameSite=Lax") && whole.contains("Path=/"),
        "{whole}"
    );
    // Plain http here (a loopback test), so not Secure; an https redirect_url makes it so.
    assert!(!whole.contains("Secure"));
    let (_, cleared) = answer
        .cookie("kwm_aanmelding")
        .expect("state cookie cleared");
    assert!(cleared.contains("Max-Age=0"));
    assert_eq!(s.idp.last_auth_method(), "client_secret_basic");

    let mut headers = HeaderMap::new();
    headers.insert(header::COOKIE, session.parse().unwrap());
    let who = s.oidc.sessions().signed_in(&headers).expect("signed in");
    assert_eq!(who.subject, "sub-anna-1");
    assert_eq!(who.name, "Anna Analist");
    assert_eq!(who.role, OidcRole::Analyst);

    let page = send(&s.app, "GET", "/over", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Anna Analist"), "name in the header");
    assert!(page.body.contains("(analist)"), "role in the header");
    assert!(page.body.contains(r#"action="/afmelden""#));
    assert!(!page.body.contains("/aanmelden?terug="));
    assert_eq!(page.headers[header::CACHE_CONTROL], "private, no-store");
    assert!(page
        .headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v.to_str().unwrap().contains("Cookie")));
    let english = send(&s.app, "GET", "/over?lang=en", Some(&session)).await;
    assert!(english.body.contains("(analyst)") && english.body.contains("Sign out"));

    let out = send_form(
        &s.app,
        "POST",
        "/afmelden",
        Some(&session),
        Some("terug=%2Fover"),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/over", "back to the page signed out from");
    let (_, cleared) = out.cookie("kwm_sessie").expect("session cookie cleared");
    assert!(cleared.contains("Max-Age=0"));
    assert!(s.oidc.sessions().signed_in(&headers).is_none());
    let page = send(&s.app, "GET", "/over", Some(&session)).await;
    assert!(!page.body.contains("Anna Analist"));
    assert!(page.body.contains(r#"href="/aanmelden?terug=%2Fover""#));
}

#[tokio::test(flavor = "multi_thread")]
async fn client_secret_post_admin_and_no_open_redirect() {
    let s = setup("client_secret_post").await;
    let (answer, _, _) = sign_in(&s, "bea", "//evil.example/").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), "/", "only local return paths");
    assert_eq!(s.idp.last_auth_method(), "client_secret_post");
    let (session, _) = answer.cookie("kwm_sessie").unwrap();
    let page = send(&s.app, "GET", "/over", Some(&session)).await;
    assert!(page.body.contains("Bea Beheer") && page.body.contains("(beheerder)"));

    // Someone whose claims map to no role is signed in as public.
    let (answer, _, _) = sign_in(&s, "piet", "/").await;
    let (session, _) = answer.cookie("kwm_sessie").unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(header::COOKIE, session.parse().unwrap());
    assert_eq!(
        s.oidc.sessions().signed_in(&headers).unwrap().role,
        OidcRole::Public
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_or_missing_state_is_refused_before_the_code_is_used() {
    let s = setup("client_secret_basic").await;
    let (authorize, _mine) = begin(&s, "/").await;
    let callback = sign_in_at_provider(&authorize, "anna").await;
    // Another sign-in's state cookie (login CSRF: an attacker's callback in a victim's browser).
    let (_, other) = begin(&s, "/").await;
    let refused = send(&s.app, "GET", &callback, Some(&other)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Aanmelden mislukt"));
    assert!(refused.cookie("kwm_sessie").is_none());
    // No cookie at all.
    let refused = send(&s.app, "GET", &callback, None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    // A made-up state with a matching cookie: no sign-in under way has it.
    let forged = callback.replace(&query(&callback)["state"], "made-up-state");
    let refused = send(&s.app, "GET", &forged, Some("kwm_aanmelding=made-up-state")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.idp.token_requests(), 0, "the code was never sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_code_is_refused() {
    let s = setup("client_secret_basic").await;
    let (answer, callback, state_cookie) = sign_in(&s, "anna", "/").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    // The same callback again: its state was used up.
    let again = send(&s.app, "GET", &callback, Some(&state_cookie)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.cookie("kwm_sessie").is_none());
    // The old code under a fresh sign-in's state: the provider refuses the replay.
    let (authorize, fresh_cookie) = begin(&s, "/").await;
    let fresh_state = query(&authorize)["state"].clone();
    let replay = format!(
        "/aanmelden/terug?code={}&state={fresh_state}",
        url_encode(&query(&callback)["code"])
    );
    let refused = send(&s.app, "GET", &replay, Some(&fresh_cookie)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("invalid_grant"), "{}", refused.body);
    assert!(refused.cookie("kwm_sessie").is_none());
    assert_eq!(s.idp.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn rotated_provider_keys_are_fetched_again() {
    let s = setup("client_secret_basic").await;
    let (first, _, _) = sign_in(&s, "anna", "/").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    // The monitor now holds the key set with test-1 only; the provider moves to test-2.
    s.idp.set_mischief(Mischief {
        rotated: true,
        ..Mischief::default()
    });
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (second, _, _) = sign_in(&s, "anna", "/").await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.body);
    assert!(second.cookie("kwm_sessie").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_client_secret_is_refused_by_the_provider() {
    for auth in ["client_secret_basic", "client_secret_post"] {
        let s = setup_with(auth, "not the secret").await;
        let (answer, _, _) = sign_in(&s, "anna", "/").await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{auth}");
        assert!(answer.body.contains("invalid_client"), "{auth}");
        assert!(!answer.body.contains("not the secret"));
        assert!(answer.cookie("kwm_sessie").is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_id_tokens_are_refused() {
    let s = setup("client_secret_basic").await;
    let cases = [
        (
            Mischief {
                forged: true,
                ..Mischief::default()
            },
            "signature is not valid",
        ),
        (
            Mischief {
                unsigned: true,
                ..Mischief::default()
            },
            "signed with none",
        ),
        (
            Mischief {
                expired: true,
                ..Mischief::default()
            },
            "has expired",
        ),
        (
            Mischief {
                wrong_audience: true,
                ..Mischief::default()
            },
            "another client",
        ),
        (
            Mischief {
                wrong_issuer: true,
                ..Mischief::default()
            },
            "another issuer",
        ),
        (
            Mischief {
                wrong_nonce: true,
                ..Mischief::default()
            },
            "nonce does not match",
        ),
    ];
    for (mischief, message) in cases {
        s.idp.set_mischief(mischief);
        let (answer, _, _) = sign_in(&s, "anna", "/").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{mischief:?}");
        assert!(
            answer.body.contains(message),
            "{mischief:?}: {message} not in {}",
            answer.body
        );
        assert!(answer.cookie("kwm_sessie").is_none(), "{mischief:?}");
    }
    assert!(s.oidc.sessions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_errors_are_pages_not_panics() {
    let s = setup("client_secret_basic").await;
    let (authorize, state_cookie) = begin(&s, "/").await;
    let state = query(&authorize)["state"].clone();
    let denied = send(
        &s.app,
        "GET",
        &format!("/aanmelden/terug?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state={state}"),
        Some(&state_cookie),
    )
    .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    assert!(denied.body.contains("access_denied"));
    assert!(!denied.body.contains("<b>no</b>"));
    let no_code = send(&s.app, "GET", "/aanmelden/terug", None).await;
    assert_eq!(no_code.status, StatusCode::BAD_REQUEST);

    // A provider that cannot be reached: a 502 page at the sign-in link.
    let config: OidcConfig = toml::from_str(&format!(
        "issuer = \"http://127.0.0.1:1\"\nclient_id = \"x\"\nclient_secret = \"y\"\nredirect_url = \"{REDIRECT}\""
    ))
    .unwrap();
    let app = router(
        AppState::new(store().clone(), common::catalogue(), "test".into())
            .with_oidc(Oidc::new(config).unwrap()),
    );
    let down = send(&app, "GET", "/aanmelden", None).await;
    assert_eq!(down.status, StatusCode::BAD_GATEWAY);
    assert!(down.body.contains("niet bereikbaar"));
}

#[tokio::test(flavor = "multi_thread")]
async fn header_shows_sign_in_only_when_configured() {
    let plain = router(AppState::new(
        store().clone(),
        common::catalogue(),
        "test".into(),
    ));
    let page = send(&plain, "GET", "/over", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/aanmelden"));
    assert_eq!(
        send(&plain, "GET", "/aanmelden", None).await.status,
        StatusCode::NOT_FOUND
    );

    let s = setup("client_secret_basic").await;
    let page = send(&s.app, "GET", "/over?lang=en", None).await;
    assert!(page.body.contains(r#"href="/aanmelden?terug=%2Fover""#));
    assert!(page.body.contains(">Sign in<"));
    // Signing out without a session is harmless, and never leads to another site.
    let out = send(&s.app, "POST", "/afmelden", None).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/");
    let out = send_form(
        &s.app,
        "POST",
        "/afmelden",
        None,
        Some("terug=%2F%2Fevil.example"),
    )
    .await;
    assert_eq!(out.location(), "/");
}
