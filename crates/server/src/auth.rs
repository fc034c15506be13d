//! Who is asking: roles, the principal of every request, and where it comes from.
//!
//! Three sources, tried in this order, each only when the `--auth` file enables it:
//! 1. an API token (`Authorization: Bearer TOKEN`), looked up by its SHA-256 in the store
//!    (`kwm tokens create`); an unknown or revoked token is a 401, never a silent fall-back to
//!    anonymous, so a script with a wrong token notices;
//! 2. trusted headers (`X-Remote-User`, `X-Remote-Role` by default) set by a reverse proxy that
//!    authenticates — accepted only when the connection comes from one of the configured proxy
//!    addresses, otherwise ignored;
//! 3. a session, from a [`SessionSource`] that the sign-in (OpenID Connect) module plugs in.
//!
//! Anything else is [`Role::Public`]. Without an `--auth` file every request is public: the
//! server is what it was before access control, and says so when it starts.
//!
//! The access layer (`access_layer::layer`) resolves the principal once per request, puts it in
//! the request's extensions (the [`Principal`] extractor reads it there) and runs the request
//! in a task-local scope that [`crate::AppState::query`] reads: every store read of the request
//! goes through [`kwm_store::Filtered`] with that principal's visibility, so no handler can
//! forget it. A request that returned restricted figures is written to the audit log when it
//! ends.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// What a principal may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Anyone: public figures only.
    Public,
    /// Sees restricted figures (every read of them is audited).
    Analyst,
    /// An analyst who may also read the audit log.
    Admin,
}

impl Role {
    /// The word used in the store, the configuration and headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// The role's name on a page.
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            Role::Public => lang.t("publiek", "public"),
            Role::Analyst => lang.t("analist", "analyst"),
            Role::Admin => lang.t("beheerder", "administrator"),
        }
    }

    /// Reads `public`, `analyst` or `admin` (case-insensitive).
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" => Some(Role::Public),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether restricted figures may be shown: analysts and admins.
    pub fn sees_restricted(self) -> bool {
        self >= Role::Analyst
    }
}

/// How a principal was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Nobody said who they are.
    Anonymous,
    /// An API token.
    Token,
    /// Headers of a trusted reverse proxy.
    TrustedProxy,
    /// A signed-in session (see [`SessionSource`]).
    Session,
}

impl Via {
    /// The word used in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Anonymous => "anonymous",
            Via::Token => "token",
            Via::TrustedProxy => "trusted_proxy",
            Via::Session => "session",
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// What they may do.
    pub role: Role,
    /// A token's name, the proxy's or the session's user; `anonymous` otherwise.
    pub name: String,
    /// How they were identified.
    pub via: Via,
}

impl Principal {
    /// The anonymous public user.
    pub fn anonymous() -> Principal {
        Principal {
            role: Role::Public,
            name: "anonymous".into(),
            via: Via::Anonymous,
        }
    }
}

/// A source of signed-in sessions (the OpenID Connect module provides one): given a request's
/// headers (its cookies), the principal of a valid session, or `None`. Set with
/// [`crate::AppState::with_sessions`]. The module records each sign-in itself, as an
/// [`kwm_store::AuditEntry`] with action `sign_in` through [`crate::AppState::audit`]; its
/// `[oidc]` section of the `--auth` file is kept in [`AuthConfig::oidc`].
pub trait SessionSource: Send + Sync {
    /// The principal of the session the headers carry, if any is valid.
    fn principal(&self, headers: &HeaderMap) -> Option<Principal>;
}

/// The `--auth` file (TOML). Every section is optional; an empty file enables API tokens only.
///
/// ```toml
/// [tokens]
/// enabled = true                 # Authorization: Bearer TOKEN (kwm tokens create)
///
/// [trusted_proxy]
/// addresses = ["127.0.0.1"]      # only connections from these addresses
/// user_header = "X-Remote-User"  # the default
/// role_header = "X-Remote-Role"  # the default; public, analyst or admin
///
/// [oidc]                          # read by the sign-in module
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// API tokens.
    #[serde(default)]
    pub tokens: TokensConfig,
    /// A reverse proxy that authenticates.
    pub trusted_proxy: Option<TrustedProxyConfig>,
    /// OpenID Connect sign-in: kept as written for the module that reads it.
    pub oidc: Option<toml::Table>,
}

/// `[tokens]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// Whether `Authorization: Bearer` tokens are accepted (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for TokensConfig {
    fn default() -> Self {
        TokensConfig { enabled: true }
    }
}

fn yes() -> bool {
    true
}

/// `[trusted_proxy]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedProxyConfig {
    /// Peer addresses whose headers are believed.
    pub addresses: Vec<IpAddr>,
    /// Header with the user's name.
    #[serde(default = "user_header")]
    pub user_header: String,
    /// Header with the role (`public`, `analyst`, `admin`).
    #[serde(default = "role_header")]
    pub role_header: String,
}

fn user_header() -> String {
    "X-Remote-User".into()
}

fn role_header() -> String {
    "X-Remote-Role".into()
}

impl AuthConfig {
    /// Reads an `--auth` file; errors name the file and what is wrong.
    pub fn read(path: &Path) -> Result<AuthConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        AuthConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the TOML text of an `--auth` file.
    pub fn parse(text: &str) -> Result<AuthConfig, String> {
        let config: AuthConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(p) = &config.trusted_proxy {
            if p.addresses.is_empty() {
                return Err("[trusted_proxy] addresses is empty: name the proxy's address".into());
            }
        }
        Ok(config)
    }

    /// One line for the start-up message: what identifies people.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.tokens.enabled {
            parts.push("API tokens".to_string());
        }
        if let Some(p) = &self.trusted_proxy {
            let addrs: Vec<String> = p.addresses.iter().map(IpAddr::to_string).collect();
            parts.push(format!("trusted proxy headers from {}", addrs.join(", ")));
        }
        if self.oidc.is_some() {
            parts.push("sign-in (OpenID Connect)".into());
        }
        if parts.is_empty() {
            "access: an --auth file without sources: every request is public".into()
        } else {
            format!(
                "access: {}; restricted figures only for analysts and admins, every read audited",
                parts.join(", ")
            )
        }
    }
}

/// The start-up line of a server without `--auth`.
pub const PUBLIC_ONLY: &str =
    "access: public only (no --auth file): every figure in the store is shown to everyone";

/// SHA-256 of a token, lower-case hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What one request is: who asks, from where, and the restricted figures it was answered
/// with (filled by [`crate::AppState::query`]).
#[derive(Debug)]
pub struct RequestAccess {
    /// Who.
    pub principal: Principal,
    /// Indicator ids of restricted figures returned so far.
    pub seen: Mutex<BTreeSet<String>>,
    /// The store's access rules, read by the request's first query and kept for its others
    /// (a page makes several): one read per request, and one view of what is restricted
    /// throughout it. An access change applies from the next request.
    pub rules: OnceLock<Arc<Vec<kwm_store::AccessRule>>>,
}

tokio::task_local! {
    /// The request being served, for [`crate::AppState::query`]. Absent (outside the access layer, or
    /// in a task spawned by a handler) means anonymous: the safe default.
    pub(crate) static CURRENT: Arc<RequestAccess>;
}

/// The principal of the request (anonymous when the auth layer did not run).
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Principal, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Principal>()
            .cloned()
            .unwrap_or_else(Principal::anonymous))
    }
}

/// 401 in the API's JSON error shape.
pub(crate) fn unauthorized(message: &str) -> Response {
    let mut r = ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: message.into(),
    }
    .into_response();
    r.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    );
    r
}

/// 403 in the API's JSON error shape.
pub fn forbidden(message: &str) -> Response {
    ApiError {
        status: StatusCode::FORBIDDEN,
        message: message.into(),
    }
    .into_response()
}

/// The current time, RFC 3339 in UTC (seconds).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Today's date in UTC, `YYYY-MM-DD`: what an embargo's `until` is compared with.
pub fn today() -> String {
    now_rfc3339()[..10].to_string()
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (era * 400 + yoe + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_794), (2026, 12, 7));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn config() {
        let c = AuthConfig::parse("").unwrap();
        assert!(c.tokens.enabled && c.trusted_proxy.is_none());
        let c = AuthConfig::parse(
            "[tokens]\nenabled = false\n[trusted_proxy]\naddresses = [\"10.0.0.1\"]\n",
        )
        .unwrap();
        assert!(!c.tokens.enabled);
        assert_eq!(c.trusted_proxy.unwrap().user_header, "X-Remote-User");
        assert!(AuthConfig::parse("[trusted_proxy]\naddresses = []\n").is_err());
        assert!(AuthConfig::parse("[token]\n").is_err());
        assert_eq!(Role::parse("Analyst"), Some(Role::Analyst));
        assert!(Role::Admin.sees_restricted() && !Role::Public.sees_restricted());
    }
}
