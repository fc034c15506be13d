//! Talking to the identity provider: discovery, the key set and the token request. Blocking
//! `ureq` calls (the client the workspace already builds for `kwm fetch`), always run on tokio's
//! blocking pool by the caller, so a slow provider never stalls the server's runtime.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;

use super::id_token::{Jwk, Jwks};
use super::{OidcConfig, OidcError, TokenAuth};
use crate::components::page::encode;

/// The part of the discovery document (`/.well-known/openid-configuration`) this client uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// Must equal the configured issuer exactly (OpenID Connect Discovery §4.3).
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The provider's signing keys.
    pub jwks_uri: String,
    /// Signing algorithms of ID tokens; RS256 must be among them when listed.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// Whether `url` may be used to reach the provider: https, or plain http to this machine only
/// (a provider started by a test, or a local development setup).
pub fn acceptable_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return url.len() > "https://".len();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        // Error bodies are read and reported (the token endpoint's `error` field).
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn unreachable(what: &str, url: &str, e: impl std::fmt::Display) -> OidcError {
    tracing::warn!(%url, error = %e, "identity provider request failed: {what}");
    OidcError::provider(
        format!("De identiteitsprovider is niet bereikbaar ({what})."),
        format!("The identity provider cannot be reached ({what})."),
    )
}

fn get_json<T: serde::de::DeserializeOwned>(url: &str, what: &str) -> Result<T, OidcError> {
    if !acceptable_url(url) {
        return Err(OidcError::provider(
            format!("De identiteitsprovider noemt een onveilig adres ({what})."),
            format!("The identity provider names an insecure address ({what})."),
        ));
    }
    let mut response = agent()
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| unreachable(what, url, e))?;
    if !response.status().is_success() {
        return Err(unreachable(what, url, response.status()));
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|e| unreachable(what, url, e))?;
    serde_json::from_str(&body).map_err(|e| unreachable(what, url, e))
}

/// Fetches and checks the discovery document of `config.issuer`.
pub fn discover(config: &OidcConfig) -> Result<Metadata, OidcError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        config.issuer.trim_end_matches('/')
    );
    let metadata: Metadata = get_json(&url, "discovery")?;
    if metadata.issuer != config.issuer {
        return Err(OidcError::provider(
            "Het discovery-document van de identiteitsprovider noemt een andere issuer.".into(),
            "The identity provider's discovery document names another issuer.".into(),
        ));
    }
    if !metadata.id_token_signing_alg_values_supported.is_empty()
        && !metadata
            .id_token_signing_alg_values_supported
            .iter()
            .any(|a| a == "RS256")
    {
        return Err(OidcError::provider(
            "De identiteitsprovider ondertekent ID-tokens niet met RS256.".into(),
            "The identity provider does not sign ID tokens with RS256.".into(),
        ));
    }
    for endpoint in [
        &metadata.authorization_endpoint,
        &metadata.token_endpoint,
        &metadata.jwks_uri,
    ] {
        if !acceptable_url(endpoint) {
            return Err(OidcError::provider(
                "De identiteitsprovider noemt een onveilig adres.".into(),
                "The identity provider names an insecure address.".into(),
            ));
        }
    }
    Ok(metadata)
}

/// Fetches the provider's key set.
pub fn keys(metadata: &Metadata) -> Result<Vec<Jwk>, OidcError> {
    Ok(get_json::<Jwks>(&metadata.jwks_uri, "keys")?.keys)
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Exchanges an authorization code (with its PKCE verifier) for an ID token.
pub fn exchange(
    config: &OidcConfig,
    secret: &str,
    metadata: &Metadata,
    code: &str,
    verifier: &str,
) -> Result<String, OidcError> {
    let url = &metadata.token_endpoint;
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &config.redirect_url),
        ("code_verifier", verifier),
    ];
    let mut request = agent().post(url).header("Accept", "application/json");
    match config.token_auth {
        TokenAuth::ClientSecretBasic => {
            // RFC 6749 §2.3.1: both parts form-encoded before base64.
            let credentials = format!("{}:{}", encode(&config.client_id), encode(secret));
            request = request.header(
                "Authorization",
                format!("Basic {}", STANDARD.encode(credentials)),
            );
        }
        TokenAuth::ClientSecretPost => {
            form.push(("client_id", &config.client_id));
            form.push(("client_secret", secret));
        }
    }
    let mut response = request
        .send_form(form)
        .map_err(|e| unreachable("token", url, e))?;
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|e| unreachable("token", url, e))?;
    let parsed: Option<TokenResponse> = serde_json::from_str(&body).ok();
    if !status.is_success() {
        // The OAuth error code only (e.g. invalid_grant): never the body, which may echo secrets.
        let code: String = parsed
            .and_then(|p| p.error)
            .unwrap_or_else(|| status.as_u16().to_string())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        tracing::warn!(%code, "token request refused");
        return Err(OidcError::refused(
            format!("De identiteitsprovider weigerde de code ({code}). Meld u opnieuw aan."),
            format!("The identity provider refused the code ({code}). Please sign in again."),
        ));
    }
    parsed.and_then(|p| p.id_token).ok_or_else(|| {
        OidcError::provider(
            "De identiteitsprovider gaf geen ID-token.".into(),
            "The identity provider returned no ID token.".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::acceptable_url;

    #[test]
    fn only_https_or_loopback_http() {
        for ok in [
            "https://login.example.nl/realms/x",
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert!(acceptable_url(ok), "{ok}");
        }
        for bad in [
            "http://login.example.nl",
            "http://127.0.0.1.evil.example/",
            "ftp://x",
            "https://",
            "javascript:alert(1)",
        ] {
            assert!(!acceptable_url(bad), "{bad}");
        }
    }
}
