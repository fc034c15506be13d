//! Verifying an ID token (OpenID Connect Core 1.0 §3.1.3.7): an RS256 JSON Web Token whose
//! signature checks against one of the provider's keys (JWKS), issued by the configured issuer
//! for this client, not expired, and carrying the `nonce` this sign-in sent.
//!
//! Pure: no I/O, the time is handed in. Only RS256 is accepted — the algorithm in the token's
//! header is checked against it, never trusted (that is how `alg: none` and HS256-with-the-public-
//! key forgeries are refused).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};

/// One key of the provider's JSON Web Key Set; only RSA signing keys are kept.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    /// Key type; `RSA` is the only one used.
    pub kty: String,
    /// Key id, matched against the token header's `kid`.
    #[serde(default)]
    pub kid: Option<String>,
    /// `sig` or absent for a signing key.
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    /// The algorithm the key is meant for, when the provider says.
    #[serde(default)]
    pub alg: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default)]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default)]
    pub e: Option<String>,
}

/// A JSON Web Key Set document.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// What the token must say.
pub struct Expected<'a> {
    /// The configured issuer, compared exactly with `iss`.
    pub issuer: &'a str,
    /// This client's id: in `aud` (and `azp` when there are several audiences).
    pub client_id: &'a str,
    /// The nonce this sign-in sent.
    pub nonce: &'a str,
    /// Now, in seconds since 1970.
    pub now: i64,
    /// Allowed clock difference with the provider, in seconds.
    pub leeway: i64,
}

/// Why a token was refused. The messages name the check, never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    /// Not three base64url parts with JSON header and claims.
    #[error("the ID token is malformed ({0})")]
    Malformed(&'static str),
    /// Header `alg` is not RS256.
    #[error("the ID token is signed with {0}, only RS256 is accepted")]
    Algorithm(String),
    /// No key in the JWKS with the token's `kid`.
    #[error("no key of the provider matches the ID token's key id")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the ID token's signature is not valid")]
    Signature,
    /// `iss` is not the configured issuer.
    #[error("the ID token was issued by another issuer")]
    Issuer,
    /// `aud`/`azp` do not name this client.
    #[error("the ID token is meant for another client (audience)")]
    Audience,
    /// `exp` has passed (or is missing).
    #[error("the ID token has expired")]
    Expired,
    /// `iat` lies in the future.
    #[error("the ID token was issued in the future")]
    IssuedInFuture,
    /// `nonce` differs from the one sent.
    #[error("the ID token's nonce does not match this sign-in")]
    Nonce,
    /// `sub` missing or empty.
    #[error("the ID token has no subject")]
    Subject,
}

impl IdTokenError {
    /// True when fetching the key set again might help (the provider rotated its keys).
    pub fn is_unknown_key(&self) -> bool {
        matches!(self, IdTokenError::UnknownKey)
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

fn decode_json<T: serde::de::DeserializeOwned>(
    part: &str,
    what: &'static str,
) -> Result<T, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed(what))?;
    serde_json::from_slice(&bytes).map_err(|_| IdTokenError::Malformed(what))
}

/// Verifies `token` against `keys` and `expected`; returns its claims.
pub fn verify(
    token: &str,
    keys: &[Jwk],
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed("not three parts"));
    };
    let header: Header = decode_json(h, "header")?;
    if header.alg != "RS256" {
        return Err(IdTokenError::Algorithm(
            header.alg.chars().take(20).collect(),
        ));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| IdTokenError::Malformed("signature"))?;
    let candidates: Vec<&Jwk> = keys
        .iter()
        .filter(|k| k.kty == "RSA")
        .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == "RS256"))
        .filter(|k| match (&header.kid, &k.kid) {
            (Some(want), Some(have)) => want == have,
            // Without a kid in the token every RSA key is tried.
            (None, _) => true,
            (Some(_), None) => false,
        })
        .collect();
    if candidates.is_empty() {
        return Err(IdTokenError::UnknownKey);
    }
    let signed = &token.as_bytes()[..h.len() + 1 + c.len()];
    let verified = candidates.iter().any(|k| {
        let (Some(n), Some(e)) = (&k.n, &k.e) else {
            return false;
        };
        let (Ok(n), Ok(e)) = (URL_SAFE_NO_PAD.decode(n), URL_SAFE_NO_PAD.decode(e)) else {
            return false;
        };
        ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                signed,
                &signature,
            )
            .is_ok()
    });
    if !verified {
        return Err(IdTokenError::Signature);
    }
    let claims: Map<String, Value> = decode_json(c, "claims")?;
    check_claims(&claims, expected)?;
    Ok(claims)
}

fn check_claims(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<(), IdTokenError> {
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(IdTokenError::Issuer);
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(IdTokenError::Audience);
    }
    if audiences.len() > 1 && claims.get("azp").and_then(Value::as_str) != Some(expected.client_id)
    {
        return Err(IdTokenError::Audience);
    }
    if let Some(azp) = claims.get("azp").and_then(Value::as_str) {
        if azp != expected.client_id {
            return Err(IdTokenError::Audience);
        }
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + expected.leeway > expected.now => {}
        _ => return Err(IdTokenError::Expired),
    }
    if let Some(iat) = claims.get("iat").and_then(Value::as_i64) {
        if iat > expected.now + expected.leeway {
            return Err(IdTokenError::IssuedInFuture);
        }
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
    if !super::constant_time_eq(nonce.as_bytes(), expected.nonce.as_bytes()) {
        return Err(IdTokenError::Nonce);
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(IdTokenError::Subject);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://idp.example",
            client_id: "kwm",
            nonce: "n-1",
            now: 1_000_000,
            leeway: 60,
        }
    }

    fn part(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn refuses_alg_none_and_hs256_before_looking_at_keys() {
        for alg in ["none", "HS256", "RS512"] {
            let token = format!(
                "{}.{}.",
                part(&serde_json::json!({ "alg": alg })),
                part(&serde_json::json!({ "iss": "https://idp.example" }))
            );
            assert_eq!(
                verify(&token, &[], &expected()),
                Err(IdTokenError::Algorithm(alg.into()))
            );
        }
    }

    #[test]
    fn refuses_malformed_tokens() {
        for token in ["", "a.b", "a.b.c.d", "!!.??.x"] {
            assert!(matches!(
                verify(token, &[], &expected()),
                Err(IdTokenError::Malformed(_))
            ));
        }
    }

    #[test]
    fn claims_checks() {
        let good = serde_json::json!({
            "iss": "https://idp.example", "aud": "kwm", "exp": 1_000_100, "iat": 999_990,
            "nonce": "n-1", "sub": "u1"
        });
        let claims = |v: &Value| v.as_object().unwrap().clone();
        assert_eq!(check_claims(&claims(&good), &expected()), Ok(()));
        let with = |k: &str, v: Value| {
            let mut c = claims(&good);
            c.insert(k.into(), v);
            c
        };
        let cases = [
            (with("iss", "https://other".into()), IdTokenError::Issuer),
            (with("aud", "other".into()), IdTokenError::Audience),
            (
                with("aud", serde_json::json!(["kwm", "other"])),
                IdTokenError::Audience,
            ),
            (with("azp", "other".into()), IdTokenError::Audience),
            (with("exp", 999_900.into()), IdTokenError::Expired),
            (with("iat", 1_000_500.into()), IdTokenError::IssuedInFuture),
            (with("nonce", "n-2".into()), IdTokenError::Nonce),
            (with("sub", "".into()), IdTokenError::Subject),
        ];
        for (c, want) in cases {
            assert_eq!(check_claims(&c, &expected()), Err(want));
        }
        // Several audiences are fine when the authorised party is this client.
        let mut c = with("aud", serde_json::json!(["kwm", "other"]));
        c.insert("azp".into(), "kwm".into());
        assert_eq!(check_claims(&c, &expected()), Ok(()));
    }
}
