//! Who is signed in: opaque random session ids in a cookie, the sessions in memory with an
//! expiry. The map is keyed by the SHA-256 of the id, so looking one up takes no time that
//! depends on how much of a guessed id is right, and a memory dump holds no usable cookie.
//!
//! In memory on purpose: signing out ends a session on the server (a signed cookie stays valid
//! until it expires), and nothing is stored in the database. The cost: a restart signs everyone
//! out, and several `kwm serve` processes behind one address need sticky sessions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};

use super::{random_token, sha256};

/// The most sessions kept at once; beyond it the oldest are dropped (a flood of sign-ins must
/// not exhaust memory).
const MAX_SESSIONS: usize = 100_000;

/// A role as the provider's claim maps it. The lead maps it onto the server's own roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OidcRole {
    /// Signed in, but no claim value maps to a role: sees what anyone sees.
    Public,
    /// A configured analyst value.
    Analyst,
    /// A configured admin value (wins over analyst).
    Admin,
}

impl OidcRole {
    /// `public`, `analyst` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            OidcRole::Public => "public",
            OidcRole::Analyst => "analyst",
            OidcRole::Admin => "admin",
        }
    }

    /// The server's role this one maps to.
    pub fn server_role(self) -> crate::auth::Role {
        match self {
            OidcRole::Public => crate::auth::Role::Public,
            OidcRole::Analyst => crate::auth::Role::Analyst,
            OidcRole::Admin => crate::auth::Role::Admin,
        }
    }
}

/// A person signed in through OpenID Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The provider's `sub`: stable, unique per person at that provider.
    pub subject: String,
    /// A name to show (the configured name claim, else `preferred_username`, `email`, `sub`).
    pub name: String,
    /// The role the configured claim maps to.
    pub role: OidcRole,
}

struct Session {
    who: SignedIn,
    expires: Instant,
}

/// The signed-in sessions, shared by the routes and whoever asks who sent a request.
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Mutex<HashMap<[u8; 32], Session>>>,
    cookie: &'static str,
    secure: bool,
    lifetime: Duration,
}

impl Sessions {
    /// Empty sessions whose cookie is `Secure` (and `__Host-` prefixed) when `secure`.
    pub fn new(secure: bool, lifetime: Duration) -> Sessions {
        Sessions {
            inner: Arc::new(Mutex::new(HashMap::new())),
            cookie: if secure {
                "__Host-kwm_sessie"
            } else {
                "kwm_sessie"
            },
            secure,
            lifetime,
        }
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &'static str {
        self.cookie
    }

    /// Who sent a request with these headers, if its session cookie names a live session.
    pub fn signed_in(&self, headers: &HeaderMap) -> Option<SignedIn> {
        let id = cookie(headers, self.cookie)?;
        let key = sha256(id.as_bytes());
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&key) {
            Some(s) if s.expires > Instant::now() => Some(s.who.clone()),
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Starts a session; returns the `Set-Cookie` value that carries it.
    pub(crate) fn start(&self, who: SignedIn) -> String {
        let id = random_token();
        let now = Instant::now();
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k) {
                map.remove(&oldest);
            }
        }
        map.insert(
            sha256(id.as_bytes()),
            Session {
                who,
                expires: now + self.lifetime,
            },
        );
        self.set_cookie(&id, self.lifetime.as_secs())
    }

    /// Ends the session of these headers (if any); returns the `Set-Cookie` value that clears it.
    pub(crate) fn end(&self, headers: &HeaderMap) -> String {
        if let Some(id) = cookie(headers, self.cookie) {
            self.inner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&sha256(id.as_bytes()));
        }
        self.set_cookie("", 0)
    }

    fn set_cookie(&self, value: &str, max_age: u64) -> String {
        format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            self.cookie,
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// Number of live sessions (for tests and status).
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|s| s.expires > now)
            .count()
    }

    /// True when nobody is signed in.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A signed-in OpenID Connect session is a principal of the role its claims map to. Here, not
/// in `auth`, so that `auth` (which every request passes) needs nothing from the sign-in module.
impl crate::auth::SessionSource for Sessions {
    fn principal(&self, headers: &axum::http::HeaderMap) -> Option<crate::auth::Principal> {
        let who = self.signed_in(headers)?;
        Some(crate::auth::Principal {
            role: who.role.server_role(),
            name: who.name,
            via: crate::auth::Via::Session,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie_header: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, cookie_header.parse().unwrap());
        h
    }

    #[test]
    fn start_look_up_end() {
        let sessions = Sessions::new(false, Duration::from_secs(60));
        let who = SignedIn {
            subject: "s".into(),
            name: "Anna".into(),
            role: OidcRole::Analyst,
        };
        let set = sessions.start(who.clone());
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));
        assert!(!set.contains("Secure"));
        let id = set
            .split(';')
            .next()
            .unwrap()
            .strip_prefix("kwm_sessie=")
            .unwrap();
        let h = headers(&format!("kwm_lang=nl; kwm_sessie={id}"));
        assert_eq!(sessions.signed_in(&h), Some(who));
        assert_eq!(sessions.signed_in(&headers("kwm_sessie=guess")), None);
        let cleared = sessions.end(&h);
        assert!(cleared.contains("Max-Age=0"));
        assert_eq!(sessions.signed_in(&h), None);
    }

    #[test]
    fn expired_sessions_are_gone() {
        let sessions = Sessions::new(true, Duration::ZERO);
        let set = sessions.start(SignedIn {
            subject: "s".into(),
            name: "n".into(),
            role: OidcRole::Public,
        });
        assert!(set.starts_with("__Host-kwm_sessie=") && set.contains("; Secure"));
        let id = set.split(';').next().unwrap().split_once('=').unwrap().1;
        assert_eq!(
            sessions.signed_in(&headers(&format!("__Host-kwm_sessie={id}"))),
            None
        );
    }
}
