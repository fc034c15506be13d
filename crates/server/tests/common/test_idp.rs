//! A small OpenID Connect provider for tests, written for them and following OpenID Connect Core
//! 1.0 and RFC 7636 (PKCE) where the monitor relies on it: a discovery document, a key set
//! (a fixed 2048-bit RSA test key in PKCS#1 DER, `tests/fixtures/oidc-test-key-1.der`), an authorization
//! endpoint that checks the client, redirect URI and PKCE method and shows a one-field login form,
//! and a token endpoint that checks the client's credentials (Basic or in the body), the code
//! (single use, one minute), the redirect URI and the PKCE verifier, then issues an RS256 ID token
//! with the `nonce`.
//!
//! [`Mischief`] makes it misbehave on purpose (forged signature, wrong audience, expired, …) so
//! the tests can see the monitor refuse each. Runs on 127.0.0.1 with a port of its own; used by
//! `crates/server/tests/oidc.rs` and, through `#[path]`, by the browser test of `kwm`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SecureRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};

const KEY: &[u8] = include_bytes!("../fixtures/oidc-test-key-1.der");
/// Another key: a token signed with it under the first key's id is a forgery.
const OTHER_KEY: &[u8] = include_bytes!("../fixtures/oidc-test-key-2.der");
const KID: &str = "test-1";
const ROTATED_KID: &str = "test-2";

/// A person the provider knows.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// What is typed into the login form.
    pub username: String,
    /// `sub`.
    pub subject: String,
    /// `name`.
    pub name: String,
    /// The `roles` claim.
    pub roles: Vec<String>,
}

/// Ways to misbehave, for the tests of what the monitor refuses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mischief {
    /// Sign the ID token with another key under the real key's id.
    pub forged: bool,
    /// `exp` an hour ago.
    pub expired: bool,
    /// `aud` another client.
    pub wrong_audience: bool,
    /// `iss` another issuer.
    pub wrong_issuer: bool,
    /// A `nonce` other than the one sent.
    pub wrong_nonce: bool,
    /// `alg: none`, no signature.
    pub unsigned: bool,
    /// Keys rotated: the key set has a second key (`test-2`) and tokens are signed with it.
    pub rotated: bool,
}

struct Grant {
    user: TestUser,
    nonce: Option<String>,
    challenge: String,
    redirect_uri: String,
    issued: Instant,
    used: bool,
}

struct Shared {
    issuer: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    users: Vec<TestUser>,
    key: RsaKeyPair,
    other_key: RsaKeyPair,
    grants: Mutex<HashMap<String, Grant>>,
    mischief: Mutex<Mischief>,
    token_requests: AtomicUsize,
    last_auth_method: Mutex<String>,
}

/// A running test provider.
#[derive(Clone)]
pub struct TestIdp {
    /// Its issuer: `http://127.0.0.1:PORT`.
    pub issuer: String,
    shared: Arc<Shared>,
}

impl TestIdp {
    /// Starts a provider on 127.0.0.1 (a free port) for one client, on the current tokio
    /// runtime.
    pub async fn start(
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        users: Vec<TestUser>,
    ) -> TestIdp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            issuer: issuer.clone(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            users,
            key: RsaKeyPair::from_der(KEY).unwrap(),
            other_key: RsaKeyPair::from_der(OTHER_KEY).unwrap(),
            grants: Mutex::new(HashMap::new()),
            mischief: Mutex::new(Mischief::default()),
            token_requests: AtomicUsize::new(0),
            last_auth_method: Mutex::new(String::new()),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize_form).post(authorize))
            .route("/token", axum::routing::post(token))
            .with_state(shared.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestIdp { issuer, shared }
    }

    /// Misbehave from now on (until set again).
    pub fn set_mischief(&self, mischief: Mischief) {
        *self.shared.mischief.lock().unwrap() = mischief;
    }

    /// How many token requests were answered (also refused ones).
    pub fn token_requests(&self) -> usize {
        self.shared.token_requests.load(Ordering::SeqCst)
    }

    /// `client_secret_basic` or `client_secret_post`: how the last token request authenticated.
    pub fn last_auth_method(&self) -> String {
        self.shared.last_auth_method.lock().unwrap().clone()
    }
}

fn random() -> String {
    let mut b = [0u8; 24];
    ring::rand::SystemRandom::new().fill(&mut b).unwrap();
    URL_SAFE_NO_PAD.encode(b)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn bad(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

async fn discovery(State(s): State<Arc<Shared>>) -> Json<Value> {
    let i = &s.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "profile"],
    }))
}

fn jwk(key: &RsaKeyPair, kid: &str) -> Value {
    let public: ring::rsa::PublicKeyComponents<Vec<u8>> = key.public().into();
    json!({
        "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(&public.n),
        "e": URL_SAFE_NO_PAD.encode(&public.e),
    })
}

async fn jwks(State(s): State<Arc<Shared>>) -> Json<Value> {
    let mut keys = vec![jwk(&s.key, KID)];
    if s.mischief.lock().unwrap().rotated {
        keys.push(jwk(&s.other_key, ROTATED_KID));
    }
    Json(json!({ "keys": keys }))
}

/// Checks an authorization request; the error is shown, never redirected (the redirect URI
/// itself may be what is wrong).
fn check_request(s: &Shared, p: &HashMap<String, String>) -> Result<(), String> {
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    if get("response_type") != "code" {
        return Err("unsupported response_type".into());
    }
    if get("client_id") != s.client_id {
        return Err("unknown client".into());
    }
    if get("redirect_uri") != s.redirect_uri {
        return Err("redirect_uri not registered".into());
    }
    if !get("scope").split(' ').any(|x| x == "openid") {
        return Err("scope lacks openid".into());
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").len() < 43 {
        return Err("PKCE S256 required".into());
    }
    if get("state").is_empty() {
        return Err("state required".into());
    }
    Ok(())
}

const CARRIED: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];

async fn authorize_form(
    State(s): State<Arc<Shared>>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = check_request(&s, &p) {
        return (StatusCode::BAD_REQUEST, e).into_response();
    }
    let esc = |v: &str| {
        v.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    let hidden: String = CARRIED
        .iter()
        .filter_map(|k| p.get(*k).map(|v| (k, v)))
        .map(|(k, v)| format!(r#"<input type="hidden" name="{k}" value="{}">"#, esc(v)))
        .collect();
    Html(format!(
        r#"<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Test-IdP</title></head>
<body><main><h1>Test-identiteitsprovider</h1>
<form method="post" action="/authorize">{hidden}
<label for="username">Gebruikersnaam</label> <input id="username" name="username" autocomplete="username">
<button type="submit">Inloggen</button></form></main></body></html>"#
    ))
    .into_response()
}

async fn authorize(
    State(s): State<Arc<Shared>>,
    Form(p): Form<HashMap<String, String>>,
) -> Response {
    if let Err(e) = check_request(&s, &p) {
        return (StatusCode::BAD_REQUEST, e).into_response();
    }
    let username = p.get("username").map(String::as_str).unwrap_or("");
    let Some(user) = s.users.iter().find(|u| u.username == username).cloned() else {
        return (StatusCode::UNAUTHORIZED, "unknown user").into_response();
    };
    let code = random();
    s.grants.lock().unwrap().insert(
        code.clone(),
        Grant {
            user,
            nonce: p.get("nonce").cloned(),
            challenge: p["code_challenge"].clone(),
            redirect_uri: p["redirect_uri"].clone(),
            issued: Instant::now(),
            used: false,
        },
    );
    let location = format!(
        "{}?code={code}&state={}",
        p["redirect_uri"],
        url_encode(&p["state"])
    );
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Percent-encodes a query component.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Decodes a form- or percent-encoded component.
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn token(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(p): Form<HashMap<String, String>>,
) -> Response {
    s.token_requests.fetch_add(1, Ordering::SeqCst);
    // Client authentication: Basic (RFC 6749 §2.3.1, form-encoded parts) or the body.
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|b| {
            b.split_once(':')
                .map(|(i, s)| (url_decode(i), url_decode(s)))
        });
    let (method, credentials) = match basic {
        Some(c) => ("client_secret_basic", Some(c)),
        None => (
            "client_secret_post",
            p.get("client_id")
                .zip(p.get("client_secret"))
                .map(|(i, s)| (i.clone(), s.clone())),
        ),
    };
    *s.last_auth_method.lock().unwrap() = method.into();
    match credentials {
        Some((id, secret)) if id == s.client_id && secret == s.client_secret => {}
        _ => return bad(StatusCode::UNAUTHORIZED, "invalid_client"),
    }
    if p.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return bad(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let code = p.get("code").cloned().unwrap_or_default();
    let mut grants = s.grants.lock().unwrap();
    let Some(grant) = grants.get_mut(&code) else {
        return bad(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    // RFC 6749 §4.1.2: a code is used once; a replay is refused.
    if grant.used || grant.issued.elapsed().as_secs() > 60 {
        grant.used = true;
        return bad(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    grant.used = true;
    if p.get("redirect_uri") != Some(&grant.redirect_uri) {
        return bad(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let verifier = p.get("code_verifier").cloned().unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    if URL_SAFE_NO_PAD.encode(digest.as_ref()) != grant.challenge {
        return bad(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let m = *s.mischief.lock().unwrap();
    let now = now();
    let mut claims = json!({
        "iss": if m.wrong_issuer { "http://127.0.0.1:1" } else { s.issuer.as_str() },
        "sub": grant.user.subject,
        "aud": if m.wrong_audience { "another-client" } else { s.client_id.as_str() },
        "iat": now,
        "exp": if m.expired { now - 3600 } else { now + 300 },
        "name": grant.user.name,
        "preferred_username": grant.user.username,
        "roles": grant.user.roles,
    });
    if let Some(nonce) = &grant.nonce {
        claims["nonce"] = if m.wrong_nonce {
            json!("another-nonce")
        } else {
            json!(nonce)
        };
    }
    let id_token = if m.unsigned {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    } else if m.rotated {
        sign(&s.other_key, ROTATED_KID, &claims)
    } else {
        sign(if m.forged { &s.other_key } else { &s.key }, KID, &claims)
    };
    Json(json!({
        "access_token": random(),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

/// An RS256 JSON Web Token.
fn sign(key: &RsaKeyPair, kid: &str, claims: &Value) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
