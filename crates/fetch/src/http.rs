//! One blocking HTTP client with the behaviour of a careful download tool: a timeout on every
//! request, retries with exponential backoff on 429, 5xx and broken connections, and the
//! service's `Retry-After` honoured (capped, so a misbehaving server cannot stall a run).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::FetchError;

/// How requests are made.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Whole-request timeout (connect, send, receive the body).
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry; doubled each time.
    pub backoff: Duration,
    /// Longest wait between attempts, also for `Retry-After`.
    pub max_wait: Duration,
    /// Largest response body accepted (bytes).
    pub max_body: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(120),
            retries: 5,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
            // A 10,000-row page of the widest KWB table is ~10 MB; leave room.
            max_body: 256 * 1024 * 1024,
        }
    }
}

/// The client. Counts the requests it sends (for reports and tests).
pub struct Http {
    agent: ureq::Agent,
    config: HttpConfig,
    sent: AtomicU64,
}

enum Attempt {
    Done(Vec<u8>),
    /// Worth retrying; the error to report if no retry is left, and a wait the server asked for.
    Retry(FetchError, Option<Duration>),
    Fail(FetchError),
}

impl Http {
    /// A client with the given behaviour.
    pub fn new(config: HttpConfig) -> Http {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            // Statuses are judged here (retry or not), not turned into errors by ureq.
            .http_status_as_error(false)
            .user_agent(concat!(
                "kwm-fetch/",
                env!("CARGO_PKG_VERSION"),
                " (Kwetsbaarheidsmonitor)"
            ))
            .build()
            .new_agent();
        Http {
            agent,
            config,
            sent: AtomicU64::new(0),
        }
    }

    /// Requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// GETs `url` and returns the body of a 200 answer, retrying what is worth retrying.
    pub fn get(&self, table: &str, url: &str) -> Result<Vec<u8>, FetchError> {
        let attempts = self.config.retries + 1;
        let mut wait = self.config.backoff;
        let mut last = None;
        for attempt in 1..=attempts {
            match self.attempt(table, url) {
                Attempt::Done(body) => return Ok(body),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e, asked) => {
                    last = Some(e);
                    if attempt == attempts {
                        break;
                    }
                    let pause = asked.unwrap_or(wait).min(self.config.max_wait);
                    std::thread::sleep(pause);
                    wait = (wait * 2).min(self.config.max_wait);
                }
            }
        }
        let suffix = if attempts > 1 {
            format!(" after {attempts} attempts")
        } else {
            String::new()
        };
        Err(match last.expect("at least one attempt") {
            FetchError::Status {
                table,
                url,
                status,
                message,
                ..
            } => FetchError::Status {
                table,
                url,
                status,
                message,
                attempts: suffix,
            },
            FetchError::Transport {
                table,
                url,
                message,
                ..
            } => FetchError::Transport {
                table,
                url,
                message,
                attempts: suffix,
            },
            other => other,
        })
    }

    fn attempt(&self, table: &str, url: &str) -> Attempt {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let transport = |message: String| FetchError::Transport {
            table: table.to_string(),
            url: url.to_string(),
            message,
            attempts: String::new(),
        };
        let mut response = match self.agent.get(url).call() {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(transport(e.to_string()), None),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response
            .body_mut()
            .with_config()
            .limit(self.config.max_body)
            .read_to_vec();
        match (status, body) {
            (200, Ok(body)) => Attempt::Done(body),
            // A body cut off half-way: the connection broke; try again.
            (_, Err(e)) => Attempt::Retry(
                transport(format!("the answer broke off (HTTP {status}): {e}")),
                None,
            ),
            (status, Ok(body)) => {
                let e = FetchError::Status {
                    table: table.to_string(),
                    url: url.to_string(),
                    status,
                    message: error_message(&body),
                    attempts: String::new(),
                };
                if status == 429 || status >= 500 {
                    Attempt::Retry(e, retry_after)
                } else {
                    Attempt::Fail(e)
                }
            }
        }
    }
}

/// `Retry-After` in seconds. (The HTTP-date form is not used by the CBS services; when sent,
/// the ordinary backoff applies.)
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The message of an OData error body (`{"odata.error": {"message": {"value": "…"}}}` in v3,
/// `{"error": {"message": "…"}}` in v4), else the start of the body as text.
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let found = v
            .pointer("/odata.error/message/value")
            .or_else(|| v.pointer("/error/message/value"))
            .or_else(|| v.pointer("/error/message"))
            .and_then(|m| m.as_str());
        if let Some(m) = found {
            return m.to_string();
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".into();
    }
    let mut out: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_error_bodies_give_their_message() {
        let v3 = br#"{"odata.error":{"code":"","message":{"lang":"nl-NL","value":"Tabel 99999NED bestaat niet"}}}"#;
        assert_eq!(error_message(v3), "Tabel 99999NED bestaat niet");
        assert_eq!(
            error_message(b"<html>Bad gateway</html>"),
            "<html>Bad gateway</html>"
        );
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
