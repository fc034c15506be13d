//! Sign-in with OpenID Connect: the authorization-code flow with PKCE, `state` and `nonce`
//! against the organisation's identity provider, and a session cookie afterwards.
//!
//! - `GET /aanmelden[?terug=/path]` sends the browser to the provider's authorization endpoint
//!   (found by discovery) with a fresh `state`, `nonce` and PKCE challenge; `state` is also put
//!   in a short-lived cookie, so a callback only completes in the browser that started it.
//! - `GET /aanmelden/terug?code&state` checks `state`, exchanges the code (with the PKCE verifier
//!   and the client secret) at the token endpoint, verifies the ID token ([`id_token`]: RS256
//!   against the provider's key set, `iss`, `aud`, `exp`, `nonce`), maps the configured claim to
//!   a role and starts a session ([`Sessions`]).
//! - `POST /afmelden` ends the session and returns to the page (`terug` in the form).
//!
//! Every failure is a page (Dutch or English, like every page) with a status, never a panic;
//! tokens, codes and secrets are never logged. Calls to the provider run on the blocking pool.
//!
//! Self-contained: the rest of the server sees [`Oidc`] (routes and the header's sign-in link)
//! and [`Sessions::signed_in`], which answers who sent a request with a [`SignedIn`].
//!
//! Design notes (only when `kwm serve --oidc FILE.toml` gives an `[oidc]` table,
//! `oidc::OidcConfig`): OpenID Connect's authorization-code flow with PKCE (S256), `state` and
//! `nonce`. `GET /aanmelden?terug=PATH` fetches the provider's discovery document and key set
//! (once, kept; the key set again when an ID token from the token endpoint names an unknown `kid`)
//! and redirects; `state` also goes into a 10-minute cookie on `/aanmelden`, so a callback only
//! completes in the browser that started it (no login CSRF). `GET /aanmelden/terug` takes the
//! sign-in under way (single use), exchanges the code at the token endpoint (`client_secret_basic`
//! or `_post`), verifies the ID token (`oidc::id_token`, pure: RS256 only — the header's `alg` is
//! checked, never trusted —, the signature against the JWKS, `iss`, `aud`/`azp`, `exp`/`iat` with
//! 60 s leeway, `nonce`, `sub`), maps `role_claim` (a dotted path; a string or a list) through
//! `[oidc.roles]` to public/analyst/admin and starts a session; `POST /afmelden` ends it. Sessions
//! (`oidc::Sessions`) are random 256-bit ids in an `HttpOnly; SameSite=Lax` cookie (`Secure` and
//! `__Host-` when `redirect_url` is https), kept in memory keyed by their SHA-256, with an expiry
//! (8 h by default): signing out ends a session on the server, nothing goes into the store, and a
//! restart signs everyone out (several processes behind one address need sticky sessions).
//! `Sessions::signed_in(headers)` answers who sent a request (`oidc::SignedIn { subject, name, role
//! }`), independent of any other module. The page header learns the state through a task-local set
//! by the middleware of `Oidc::attach` (`oidc::header_account`, read by `PageCtx::new`), so no
//! handler changed: an "Aanmelden" link (a link, because the CSP's `form-action 'self'` would stop
//! a form's redirect to the provider) or the name, role and an "Afmelden" POST form. Provider calls
//! are blocking `ureq` on tokio's blocking pool, 10 s timeout, no redirects, https only (http only
//! to 127.0.0.1/localhost); every failure is a page with a status (400 state/code, 401 token, 502
//! provider), never a panic; no token, code or secret is logged or shown (the provider's error
//! *code* only). Crates: `ring` (RS256, SHA-256, random) and `base64` directly, both already built
//! for `ureq`'s rustls, so sign-in adds no crate: a scratch crate with only `ring` + `base64`
//! builds clean in 16 s (debug, 2 cores, here); `jsonwebtoken` 9 in 52 s (it brings ring too, plus
//! pem and serde_derive); `openidconnect` pulls an async HTTP stack and RSA crates and was not
//! considered worth measuring for one flow. Tests: `crates/server/tests/oidc.rs` against a provider
//! written for the tests (`crates/server/tests/common/test_idp.rs`: discovery, JWKS with a fixed
//! RSA test key from `tests/fixtures/`, a one-field login form, a token endpoint that checks client
//! credentials, single-use codes, redirect URI and PKCE; `Mischief` makes it forge, misaddress,
//! expire tokens); the browser test starts the same provider in-process and runs
//! `tests/browser/oidc.mjs`.

pub mod id_token;
pub mod provider;
mod sessions;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use maud::html;
use serde::Deserialize;
use serde_json::Value;

use crate::components::page::{
    encode, layout, respond, with_header_account, HeaderAccount, Nav, PageCtx,
};
pub use sessions::{OidcRole, Sessions, SignedIn};

/// How long a started sign-in may take at the provider before its `state` is forgotten.
const SIGN_IN_WINDOW: Duration = Duration::from_secs(600);
/// The most sign-ins under way at once (each is a few hundred bytes); beyond it the oldest go.
const MAX_PENDING: usize = 10_000;
/// The cookie that binds a callback to the browser that started the sign-in.
const STATE_COOKIE: &str = "kwm_aanmelding";

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuth {
    /// HTTP Basic with the client id and secret (the default of the specification).
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

/// Which values of the role claim make an analyst or an admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMap {
    /// Claim values that make an analyst.
    #[serde(default)]
    pub analyst: Vec<String>,
    /// Claim values that make an admin (wins over analyst).
    #[serde(default)]
    pub admin: Vec<String>,
}

/// The `[oidc]` table of the server's configuration file.
///
/// ```toml
/// [oidc]
/// issuer = "https://login.example.nl/realms/monitor"
/// client_id = "kwm"
/// client_secret_env = "KWM_OIDC_SECRET"     # or client_secret = "…"
/// redirect_url = "https://monitor.example.nl/aanmelden/terug"
/// role_claim = "groups"                       # a dotted path works: "realm_access.roles"
/// [oidc.roles]
/// analyst = ["kwm-analist"]
/// admin = ["kwm-beheer"]
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The issuer, exactly as the provider writes it in discovery and in `iss`. https, or http
    /// to this machine (tests, development).
    pub issuer: String,
    /// This server's client id at the provider.
    pub client_id: String,
    /// The client secret. Prefer `client_secret_env`, which keeps it out of the file.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The environment variable holding the client secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// This server's callback as registered at the provider: `…/aanmelden/terug`. An https
    /// address makes the cookies `Secure`.
    pub redirect_url: String,
    /// Scopes requested; `openid` is always sent.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// `client_secret_basic` (default) or `client_secret_post`.
    #[serde(default)]
    pub token_auth: TokenAuth,
    /// The ID-token claim that carries roles or groups (a string or a list of strings); dots
    /// reach into objects (`realm_access.roles`).
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    /// Which claim values make which role; anyone else signs in as public.
    #[serde(default)]
    pub roles: RoleMap,
    /// The claim with the name to show.
    #[serde(default = "default_name_claim")]
    pub name_claim: String,
    /// How long a session lasts, in minutes (1 to 43,200, i.e. 30 days).
    #[serde(default = "default_session_minutes")]
    pub session_minutes: u64,
    /// Allowed clock difference with the provider, in seconds.
    #[serde(default = "default_clock_skew")]
    pub clock_skew_seconds: u64,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Everything but the secret, so a logged configuration leaks nothing.
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("client_secret_env", &self.client_secret_env)
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("token_auth", &self.token_auth)
            .field("role_claim", &self.role_claim)
            .field("roles", &self.roles)
            .field("name_claim", &self.name_claim)
            .field("session_minutes", &self.session_minutes)
            .field("clock_skew_seconds", &self.clock_skew_seconds)
            .finish()
    }
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into()]
}
fn default_role_claim() -> String {
    "roles".into()
}
fn default_name_claim() -> String {
    "name".into()
}
fn default_session_minutes() -> u64 {
    8 * 60
}
fn default_clock_skew() -> u64 {
    60
}

/// A configuration that cannot work, said before the server starts.
#[derive(Debug, thiserror::Error)]
#[error("[oidc]: {0}")]
pub struct ConfigError(String);

/// A refused sign-in: status and a message in both languages.
#[derive(Debug, Clone)]
pub struct OidcError {
    status: StatusCode,
    nl: String,
    en: String,
}

impl OidcError {
    fn provider(nl: String, en: String) -> OidcError {
        OidcError {
            status: StatusCode::BAD_GATEWAY,
            nl,
            en,
        }
    }
    fn refused(nl: String, en: String) -> OidcError {
        OidcError {
            status: StatusCode::BAD_REQUEST,
            nl,
            en,
        }
    }
    fn unauthorized(nl: String, en: String) -> OidcError {
        OidcError {
            status: StatusCode::UNAUTHORIZED,
            nl,
            en,
        }
    }
}

/// A sign-in under way: what the callback needs to finish it.
struct Pending {
    nonce: String,
    verifier: String,
    return_to: String,
    started: Instant,
}

/// Provider metadata and keys, fetched once and kept.
#[derive(Clone)]
struct Provider {
    metadata: Arc<provider::Metadata>,
    keys: Arc<Vec<id_token::Jwk>>,
    keys_fetched: Instant,
}

/// Called after every successful sign-in (for the audit log) with the request's headers.
pub type SignInHook = Arc<dyn Fn(&SignedIn, &HeaderMap) + Send + Sync>;

struct Inner {
    config: OidcConfig,
    secret: String,
    sessions: Sessions,
    pending: Mutex<HashMap<[u8; 32], Pending>>,
    provider: tokio::sync::Mutex<Option<Provider>>,
    on_sign_in: std::sync::OnceLock<SignInHook>,
}

/// OpenID Connect sign-in, configured: cheap to clone.
#[derive(Clone)]
pub struct Oidc {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Oidc")
            .field("issuer", &self.inner.config.issuer)
            .field("client_id", &self.inner.config.client_id)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// Checks the configuration (addresses, secret, role claim) and prepares empty sessions.
    /// Contacts nobody: discovery happens at the first sign-in, so a provider that is down
    /// when the server starts does not keep the public pages from being served.
    pub fn new(config: OidcConfig) -> Result<Oidc, ConfigError> {
        let err = |s: &str| Err(ConfigError(s.to_string()));
        if !provider::acceptable_url(&config.issuer) {
            return err("issuer must be an https address (http only to 127.0.0.1/localhost)");
        }
        let secure = config.redirect_url.starts_with("https://");
        if !secure && !provider::acceptable_url(&config.redirect_url) {
            return err("redirect_url must be an https address (http only to 127.0.0.1/localhost)");
        }
        if !config.redirect_url.ends_with("/aanmelden/terug") {
            return err("redirect_url must end in /aanmelden/terug");
        }
        if config.client_id.is_empty() {
            return err("client_id is empty");
        }
        if config.role_claim.is_empty() {
            return err("role_claim is empty");
        }
        let secret = match (&config.client_secret, &config.client_secret_env) {
            (Some(s), None) => s.clone(),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                ConfigError(format!(
                    "client_secret_env: environment variable {var} is not set"
                ))
            })?,
            (Some(_), Some(_)) => return err("give client_secret or client_secret_env, not both"),
            (None, None) => return err("client_secret or client_secret_env is required"),
        };
        if secret.is_empty() {
            return err("the client secret is empty");
        }
        let sessions = Sessions::new(
            secure,
            // At most 30 days: a session is a sign-in, not an account.
            Duration::from_secs(config.session_minutes.clamp(1, 30 * 24 * 60) * 60),
        );
        Ok(Oidc {
            inner: Arc::new(Inner {
                config,
                secret,
                sessions,
                pending: Mutex::new(HashMap::new()),
                provider: tokio::sync::Mutex::new(None),
                on_sign_in: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Calls `hook` after every successful sign-in (e.g. to append it to the audit log). Only
    /// the first hook set counts.
    pub fn set_sign_in_hook(&self, hook: SignInHook) {
        let _ = self.inner.on_sign_in.set(hook);
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.inner.config
    }

    /// The sessions: [`Sessions::signed_in`] says who sent a request.
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// The routes `/aanmelden`, `/aanmelden/terug` and `/afmelden`, for any router state.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route("/aanmelden", get(start))
            .route("/aanmelden/terug", get(callback))
            .route("/afmelden", post(sign_out))
            .with_state(self.clone())
    }

    /// Puts [`routes`](Self::routes) into `router` and the sign-in state into every page's
    /// header (see `components::page::header_account`).
    pub fn attach<S: Clone + Send + Sync + 'static>(&self, router: Router<S>) -> Router<S> {
        router
            .merge(self.routes())
            .layer(axum::middleware::from_fn_with_state(
                self.inner.sessions.clone(),
                header_middleware,
            ))
    }

    /// Discovery and keys, fetched at first use and kept. `refresh_keys` fetches the key set
    /// again: the provider rotated its keys. Only asked for when an ID token that came straight
    /// from the token endpoint names an unknown key, so a browser cannot make the server ask.
    async fn provider(&self, refresh_keys: bool) -> Result<Provider, OidcError> {
        let mut cached = self.inner.provider.lock().await;
        if let Some(p) = cached.as_ref() {
            // Another sign-in may have fetched them while this one waited for the lock.
            if !refresh_keys || p.keys_fetched.elapsed() < Duration::from_secs(1) {
                return Ok(p.clone());
            }
        }
        let this = self.clone();
        let known = cached.as_ref().map(|p| p.metadata.clone());
        let fresh = blocking(move || {
            let metadata = match known {
                Some(m) => m,
                None => Arc::new(provider::discover(&this.inner.config)?),
            };
            let keys = provider::keys(&metadata)?;
            Ok(Provider {
                metadata,
                keys: Arc::new(keys),
                keys_fetched: Instant::now(),
            })
        })
        .await?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    fn take_pending(&self, state: &str) -> Option<Pending> {
        let pending = self
            .inner
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&sha256(state.as_bytes()))?;
        (pending.started.elapsed() < SIGN_IN_WINDOW).then_some(pending)
    }

    fn secure(&self) -> bool {
        self.inner.config.redirect_url.starts_with("https://")
    }

    /// Who the verified claims name, and as what.
    fn signed_in(&self, claims: &serde_json::Map<String, Value>) -> SignedIn {
        let cfg = &self.inner.config;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let name = [cfg.name_claim.as_str(), "preferred_username", "email"]
            .iter()
            .filter_map(|c| claims.get(*c).and_then(Value::as_str))
            .map(str::trim)
            .find(|n| !n.is_empty())
            .unwrap_or(&subject)
            .chars()
            .take(100)
            .collect();
        let values = claim_values(claims, &cfg.role_claim);
        let has = |wanted: &[String]| values.iter().any(|v| wanted.iter().any(|w| w == v));
        let role = if has(&cfg.roles.admin) {
            OidcRole::Admin
        } else if has(&cfg.roles.analyst) {
            OidcRole::Analyst
        } else {
            OidcRole::Public
        };
        SignedIn {
            subject,
            name,
            role,
        }
    }
}

/// The string values of a claim (a string or a list), found by a dotted path.
fn claim_values(claims: &serde_json::Map<String, Value>, path: &str) -> Vec<String> {
    let mut parts = path.split('.');
    let mut value = parts.next().and_then(|first| claims.get(first));
    for part in parts {
        value = value.and_then(|v| v.get(part));
    }
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OidcError> + Send + 'static,
) -> Result<T, OidcError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| {
        Err(OidcError::provider(
            "De aanmelding liep vast.".into(),
            "The sign-in failed.".into(),
        ))
    })
}

/// 32 random bytes, base64url: state, nonce, PKCE verifier and session ids.
pub(crate) fn random_token() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    // The system's random source failing is not something a server can carry on from.
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("system random source");
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Equality whose time does not depend on where two secrets differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // Hashing first makes the lengths equal, so the length does not leak either.
    let (a, b) = (sha256(a), sha256(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A local path to return to after signing in: only `/…`, never `//host` or `/\host`, which
/// browsers would follow to another site.
fn safe_return(path: Option<&String>) -> String {
    match path {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 1000
                && !p.chars().any(|c| c.is_control()) =>
        {
            p.clone()
        }
        _ => "/".into(),
    }
}

fn error_response(headers: &HeaderMap, path: &str, e: &OidcError) -> Response {
    let ctx = PageCtx::new(path, HashMap::new(), headers);
    let title = ctx.t("Aanmelden mislukt", "Sign-in failed");
    let body = html! {
        h1 { (title) }
        p.error-message { (ctx.t(&e.nl, &e.en)) }
        p { a href="/aanmelden" { (ctx.t("Opnieuw aanmelden", "Sign in again")) } }
        p { a href="/" { (ctx.t("Terug naar de kaart", "Back to the map")) } }
    };
    let mut response = respond(&ctx, e.status, layout(&ctx, title, Nav::None, body));
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    no_store(&mut response);
    response
}

/// `GET /aanmelden`: to the provider.
async fn start(
    State(oidc): State<Oidc>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let provider = match oidc.provider(false).await {
        Ok(p) => p,
        Err(e) => return error_response(&headers, "/aanmelden", &e),
    };
    let state = random_token();
    let nonce = random_token();
    let verifier = random_token();
    let challenge = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
    {
        let mut pending = oidc.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, p| p.started.elapsed() < SIGN_IN_WINDOW);
        if pending.len() >= MAX_PENDING {
            // A flood of started sign-ins pushes out the oldest rather than refusing new ones:
            // refusing would let 10,000 requests lock everyone out for ten minutes.
            if let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.started)
                .map(|(k, _)| *k)
            {
                pending.remove(&oldest);
            }
        }
        pending.insert(
            sha256(state.as_bytes()),
            Pending {
                nonce: nonce.clone(),
                verifier,
                return_to: safe_return(params.get("terug")),
                started: Instant::now(),
            },
        );
    }
    let cfg = &oidc.inner.config;
    let mut scopes = vec!["openid".to_string()];
    scopes.extend(cfg.scopes.iter().filter(|s| *s != "openid").cloned());
    let endpoint = &provider.metadata.authorization_endpoint;
    let url = format!(
        "{endpoint}{}response_type=code&client_id={}&redirect_uri={}&scope={}&state={state}&nonce={nonce}&code_challenge={challenge}&code_challenge_method=S256",
        if endpoint.contains('?') { '&' } else { '?' },
        encode(&cfg.client_id),
        encode(&cfg.redirect_url),
        encode(&scopes.join(" ")),
    );
    let state_cookie = format!(
        "{STATE_COOKIE}={state}; Path=/aanmelden; Max-Age={}; HttpOnly; SameSite=Lax{}",
        SIGN_IN_WINDOW.as_secs(),
        if oidc.secure() { "; Secure" } else { "" }
    );
    with_cookies(Redirect::to(&url).into_response(), &[state_cookie])
}

/// `GET /aanmelden/terug`: the provider's answer.
async fn callback(
    State(oidc): State<Oidc>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    const PATH: &str = "/aanmelden/terug";
    let clear_state = format!(
        "{STATE_COOKIE}=; Path=/aanmelden; Max-Age=0; HttpOnly; SameSite=Lax{}",
        if oidc.secure() { "; Secure" } else { "" }
    );
    match finish(&oidc, &params, &headers).await {
        Ok((who, return_to)) => {
            tracing::info!(subject = %who.subject, role = who.role.as_str(), "signed in");
            if let Some(hook) = oidc.inner.on_sign_in.get() {
                hook(&who, &headers);
            }
            let session = oidc.inner.sessions.start(who);
            with_cookies(
                Redirect::to(&return_to).into_response(),
                &[session, clear_state],
            )
        }
        Err(e) => {
            tracing::warn!(status = e.status.as_u16(), reason = %e.en, "sign-in refused");
            with_cookies(error_response(&headers, PATH, &e), &[clear_state])
        }
    }
}

async fn finish(
    oidc: &Oidc,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(SignedIn, String), OidcError> {
    if let Some(error) = params.get("error") {
        // The sign-in is over either way.
        if let Some(state) = params.get("state") {
            oidc.take_pending(state);
        }
        // The provider's error code is shown (escaped), its free text is not.
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        return Err(OidcError::unauthorized(
            format!("De identiteitsprovider meldde u niet aan ({code})."),
            format!("The identity provider did not sign you in ({code})."),
        ));
    }
    let expired = || {
        OidcError::refused(
            "Deze aanmelding is verlopen, al gebruikt of in een andere browser begonnen. Meld u opnieuw aan."
                .into(),
            "This sign-in has expired, was already used or was started in another browser. Please sign in again."
                .into(),
        )
    };
    let state = params.get("state").ok_or_else(expired)?;
    let cookie_state = sessions::cookie(headers, STATE_COOKIE).ok_or_else(expired)?;
    if !constant_time_eq(state.as_bytes(), cookie_state.as_bytes()) {
        return Err(expired());
    }
    let pending = oidc.take_pending(state).ok_or_else(expired)?;
    let code = params
        .get("code")
        .filter(|c| !c.is_empty() && c.len() <= 4096)
        .ok_or_else(|| {
            OidcError::refused(
                "De identiteitsprovider gaf geen code.".into(),
                "The identity provider returned no code.".into(),
            )
        })?
        .clone();
    let provider = oidc.provider(false).await?;
    let token = {
        let oidc = oidc.clone();
        let metadata = provider.metadata.clone();
        let verifier = pending.verifier.clone();
        blocking(move || {
            provider::exchange(
                &oidc.inner.config,
                &oidc.inner.secret,
                &metadata,
                &code,
                &verifier,
            )
        })
        .await?
    };
    let cfg = &oidc.inner.config;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let expected = id_token::Expected {
        issuer: &cfg.issuer,
        client_id: &cfg.client_id,
        nonce: &pending.nonce,
        now,
        leeway: cfg.clock_skew_seconds.min(600) as i64,
    };
    let claims = match id_token::verify(&token, &provider.keys, &expected) {
        Err(e) if e.is_unknown_key() => {
            let provider = oidc.provider(true).await?;
            id_token::verify(&token, &provider.keys, &expected)
        }
        other => other,
    }
    .map_err(|e| {
        OidcError::unauthorized(
            format!("Het ID-token van de identiteitsprovider is geweigerd: {e}."),
            format!("The identity provider's ID token was refused: {e}."),
        )
    })?;
    Ok((oidc.signed_in(&claims), pending.return_to))
}

/// `POST /afmelden`: ends the session and returns to the page it was on (the form's `terug`),
/// else to the map.
async fn sign_out(
    State(oidc): State<Oidc>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    // The session cookie is SameSite=Lax, so another site's form cannot carry it here anyway;
    // a cross-site POST is refused outright all the same.
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        let e = OidcError {
            status: StatusCode::FORBIDDEN,
            nl: "Afmelden kan alleen vanaf deze site.".into(),
            en: "Signing out only works from this site.".into(),
        };
        return error_response(&headers, "/afmelden", &e);
    }
    if let Some(who) = oidc.inner.sessions.signed_in(&headers) {
        tracing::info!(subject = %who.subject, "signed out");
    }
    let cleared = oidc.inner.sessions.end(&headers);
    let return_to = safe_return(form.ok().as_ref().and_then(|f| f.get("terug")));
    with_cookies(Redirect::to(&return_to).into_response(), &[cleared])
}

async fn header_middleware(State(sessions): State<Sessions>, req: Request, next: Next) -> Response {
    let who = sessions.signed_in(req.headers());
    let account = match &who {
        Some(w) => HeaderAccount::SignedIn {
            name: w.name.clone(),
            role: w.role.server_role(),
        },
        None => HeaderAccount::SignedOut,
    };
    let mut response = with_header_account(account, next.run(req)).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        // The header differs by session cookie, so a cache must not hand one person's page
        // (even a signed-out one) to another.
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Cookie"));
    }
    if who.is_some() && !response.headers().contains_key(header::CACHE_CONTROL) {
        // A page with a person's name (and later restricted figures) must not be kept by a
        // shared cache.
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> OidcConfig {
        toml::from_str(
            r#"
            issuer = "https://idp.example"
            client_id = "kwm"
            client_secret = "s3cret"
            redirect_url = "https://monitor.example/aanmelden/terug"
            role_claim = "realm_access.roles"
            [roles]
            analyst = ["kwm-analist"]
            admin = ["kwm-beheer"]
            "#,
        )
        .unwrap()
    }

    #[test]
    fn config_from_toml_with_defaults() {
        let c = config();
        assert_eq!(c.token_auth, TokenAuth::ClientSecretBasic);
        assert_eq!(c.scopes, ["openid", "profile"]);
        assert_eq!(c.session_minutes, 480);
        let oidc = Oidc::new(c).unwrap();
        assert_eq!(oidc.sessions().cookie_name(), "__Host-kwm_sessie");
        assert!(!format!("{oidc:?}").contains("s3cret"));
        assert!(!format!("{:?}", oidc.config()).contains("s3cret"));
    }

    #[test]
    fn bad_configurations_are_refused() {
        let mut c = config();
        c.issuer = "http://idp.example".into();
        assert!(Oidc::new(c).is_err());
        let mut c = config();
        c.redirect_url = "https://monitor.example/elders".into();
        assert!(Oidc::new(c).is_err());
        let mut c = config();
        c.client_secret = None;
        assert!(Oidc::new(c).is_err());
        assert!(toml::from_str::<OidcConfig>("issuer = 'x'\nunknown = 1").is_err());
    }

    #[test]
    fn roles_from_a_nested_claim() {
        let oidc = Oidc::new(config()).unwrap();
        let claims = |v: Value| v.as_object().unwrap().clone();
        let who = oidc.signed_in(&claims(serde_json::json!({
            "sub": "u1", "name": " Anna ", "realm_access": { "roles": ["x", "kwm-analist"] }
        })));
        assert_eq!((who.name.as_str(), who.role), ("Anna", OidcRole::Analyst));
        let who = oidc.signed_in(&claims(serde_json::json!({
            "sub": "u2", "preferred_username": "bob",
            "realm_access": { "roles": ["kwm-analist", "kwm-beheer"] }
        })));
        assert_eq!((who.name.as_str(), who.role), ("bob", OidcRole::Admin));
        let who = oidc.signed_in(&claims(serde_json::json!({ "sub": "u3" })));
        assert_eq!((who.name.as_str(), who.role), ("u3", OidcRole::Public));
    }

    #[test]
    fn only_local_return_paths() {
        for (input, want) in [
            ("/regio/GM0363?jaar=2024", "/regio/GM0363?jaar=2024"),
            ("//evil.example/", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
            ("/a\nb", "/"),
        ] {
            assert_eq!(safe_return(Some(&input.to_string())), want);
        }
        assert_eq!(safe_return(None), "/");
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
