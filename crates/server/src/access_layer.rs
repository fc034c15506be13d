//! The access layer: the middleware that identifies every request's principal (API token,
//! trusted proxy, sign-in session or anonymous) and runs the request inside its
//! [`RequestAccess`], so every store read the request makes is filtered and audited. Apart from
//! [`crate::auth`] (configuration, roles, tokens) because it works on the application's state,
//! which itself holds the auth configuration.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{
    forbidden, now_rfc3339, token_hash, unauthorized, AuthConfig, Principal, RequestAccess, Role,
    Via, CURRENT,
};
use crate::error::ApiError;
use crate::AppState;

/// Resolves the principal of a request (see the module documentation).
async fn identify(
    state: &AppState,
    config: &AuthConfig,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Principal, Response> {
    if config.tokens.enabled {
        if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or(v.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty());
            let Some(token) = token else {
                return Err(unauthorized(
                    "the Authorization header must be 'Bearer TOKEN'",
                ));
            };
            let hash = token_hash(token);
            let found = state
                .query_unfiltered(move |store| Ok(store.token_by_hash(&hash)?))
                .await
                .map_err(|e| ApiError::from(e).into_response())?;
            return match found {
                Some(t) if t.revoked_at.is_none() => match Role::parse(&t.role) {
                    Some(role) => Ok(Principal {
                        role,
                        name: t.name,
                        via: Via::Token,
                    }),
                    None => Err(unauthorized("the token has an unknown role")),
                },
                _ => Err(unauthorized("invalid or revoked token")),
            };
        }
    }
    if let (Some(proxy), Some(peer)) = (&config.trusted_proxy, peer) {
        if proxy.addresses.contains(&peer) {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            };
            if let Some(user) = header(&proxy.user_header) {
                let role = match header(&proxy.role_header) {
                    None => Role::Public,
                    Some(r) => Role::parse(r).ok_or_else(|| {
                        forbidden("the proxy's role header is not public, analyst or admin")
                    })?,
                };
                return Ok(Principal {
                    role,
                    name: user.to_string(),
                    via: Via::TrustedProxy,
                });
            }
        }
    }
    if let Some(sessions) = state.sessions() {
        if let Some(p) = sessions.principal(headers) {
            return Ok(p);
        }
    }
    Ok(Principal::anonymous())
}

/// The middleware of every request: identifies the principal, serves the request in its scope,
/// and appends one audit entry when the answer contained restricted figures.
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let principal = match state.auth_config() {
        None => Principal::anonymous(),
        Some(config) => match identify(&state, &config, request.headers(), peer).await {
            Ok(p) => p,
            Err(response) => return response,
        },
    };
    let path = request.uri().path().to_string();
    request.extensions_mut().insert(principal.clone());
    let access = Arc::new(RequestAccess {
        principal,
        seen: Mutex::new(BTreeSet::new()),
        rules: OnceLock::new(),
    });
    let mut response = CURRENT.scope(access.clone(), next.run(request)).await;
    if access.principal.via != Via::Anonymous {
        // What an identified principal sees may include restricted figures: no shared cache
        // (a proxy in front of the server) may keep it for the next, anonymous, client.
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, no-store"),
        );
    }
    if state.auth_config().is_some() {
        response.headers_mut().append(
            axum::http::header::VARY,
            axum::http::HeaderValue::from_static("authorization, cookie"),
        );
    }
    let seen: Vec<String> = access
        .seen
        .lock()
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    if !seen.is_empty() {
        let entry = kwm_store::AuditEntry {
            id: 0,
            at: now_rfc3339(),
            actor: access.principal.name.clone(),
            via: access.principal.via.as_str().into(),
            action: "read_restricted".into(),
            subject: seen.join(","),
            origin: format!(
                "{} {path}",
                peer.map_or_else(|| "-".to_string(), |p| p.to_string())
            ),
        };
        if let Err(e) = state.audit(entry).await {
            // The figures were already sent; a request whose read cannot be recorded must not
            // pass unnoticed.
            tracing::error!(error = %e, "could not write the audit log");
            return ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "the audit log could not be written".into(),
            }
            .into_response();
        }
    }
    response
}
