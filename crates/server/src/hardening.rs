//! What protects the server from the network, kept in one place: security headers on every
//! response, a request body limit, the connection-level limits hyper enforces (header size,
//! header-read timeout), a request timeout, a per-client rate limit on `/api/*`, and graceful
//! shutdown on SIGTERM or Ctrl-C.
//!
//! Two layers of it exist on purpose. [`layer`] is part of [`crate::router`], so every response
//! of the router carries the security headers — the integration tests see them without a socket.
//! [`serve`] adds what needs a real connection: the peer address (for the rate limit), hyper's
//! header-read timeout and header size limit, the request timeout, and shutdown. It puts the
//! security headers on again outermost, so a 408 or 429 made outside the router carries them too
//! (the headers are set, not appended, so doing it twice is harmless).
//!
//! Why not `axum::serve`: it sets no header-read timeout (1,000 half-sent requests stayed open
//! for more than 90 s, and a request of only `\r\n\r\n` was held open without a reply) and
//! exposes none of hyper's connection settings.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceBuilder;
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::error::ApiError;

/// The Content-Security-Policy of every response.
///
/// No inline script anywhere (`script-src 'self'`: the one script is `/static/app.js`), no
/// `<style>` elements (`style-src 'self'`). Style *attributes* are allowed
/// (`style-src-attr 'unsafe-inline'`) because four bar charts (profile, themes, regiobeeld) set
/// a bar's width as `style="width:NN%"`; the width is formatted from a number, never from text,
/// so no input reaches it. `element.style` set from app.js is CSSOM and needs no permission.
/// Browsers without CSP level 3 fall back to `style-src 'self'` and draw those bars without
/// width — the figure is also printed beside each bar. Frames are refused
/// (`frame-ancestors 'none'`), and so are plugins, `<base>` and forms to other origins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The largest request body accepted (every route is a GET; a body is never read).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Limits and timeouts of a running server. `Default` is what `kwm serve` uses unless told
/// otherwise; it is generous enough that the browser tests and a person clicking never meet it.
#[derive(Clone, Debug)]
pub struct HardeningConfig {
    /// How long a client may take to send the request line and headers (also how long an idle
    /// keep-alive connection stays open). hyper answers 408 and closes.
    pub header_read_timeout: Duration,
    /// How long one request may take from its headers to the response's head; then 408.
    pub request_timeout: Duration,
    /// The most bytes of request line plus headers (hyper's read buffer; at least 8,192).
    /// Beyond it hyper answers 431.
    pub max_header_bytes: usize,
    /// The most header fields in a request (hyper answers 431 beyond it).
    pub max_headers: usize,
    /// Sustained requests per minute per client on `/api/*`; 0 turns the limit off.
    pub api_requests_per_minute: u32,
    /// How many `/api/*` requests a client may make in a burst before the sustained rate applies.
    pub api_burst: u32,
    /// How long shutdown waits for requests in flight before it closes their connections.
    pub shutdown_grace: Duration,
}

impl Default for HardeningConfig {
    fn default() -> Self {
        HardeningConfig {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            api_requests_per_minute: 1200,
            api_burst: 300,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The layers [`crate::router`] puts around every route: security headers and the body limit.
pub type RouterLayer = ServiceBuilder<
    tower::layer::util::Stack<
        RequestBodyLimitLayer,
        tower::layer::util::Stack<SecurityHeaders, tower::layer::util::Identity>,
    >,
>;

/// The security headers, as one layer (five response headers, each set, never appended).
pub type SecurityHeaders = ServiceBuilder<
    tower::layer::util::Stack<
        SetResponseHeaderLayer<HeaderValue>,
        tower::layer::util::Stack<
            SetResponseHeaderLayer<HeaderValue>,
            tower::layer::util::Stack<
                SetResponseHeaderLayer<HeaderValue>,
                tower::layer::util::Stack<
                    SetResponseHeaderLayer<HeaderValue>,
                    tower::layer::util::Stack<
                        SetResponseHeaderLayer<HeaderValue>,
                        tower::layer::util::Identity,
                    >,
                >,
            >,
        >,
    >,
>;

/// Security headers on every response: CSP ([`CONTENT_SECURITY_POLICY`]), `nosniff`, no
/// framing (CSP `frame-ancestors` plus `X-Frame-Options` for older browsers), and a referrer
/// policy that keeps region codes in URLs from leaking to other sites.
pub fn security_headers() -> SecurityHeaders {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    ServiceBuilder::new()
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
        .layer(set(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
}

/// The router's own protection: security headers outside, the body limit inside (so a 413 has
/// the headers too).
pub fn layer() -> RouterLayer {
    ServiceBuilder::new()
        .layer(security_headers())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}

/// Wraps a router for serving on a socket: the rate limit on `/api/*` (needs the peer address
/// that [`serve`] puts in each request as [`ConnectInfo`]), the request timeout, and the security
/// headers outermost. Public so tests can exercise the same stack without a socket.
pub fn wrap(app: Router, config: &HardeningConfig) -> Router {
    let limiter = Arc::new(RateLimiter::new(
        config.api_requests_per_minute,
        config.api_burst,
    ));
    app.layer(axum::middleware::from_fn_with_state(limiter, rate_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(security_headers())
}

/// Serves `app` on `listener` with the limits of `config` until `shutdown` completes (see
/// [`shutdown_signal`]), then stops accepting, lets requests in flight finish for up to
/// `shutdown_grace`, and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    config: HardeningConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let app = wrap(app, &config);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(config.max_header_bytes.max(8192))
        .max_headers(config.max_headers);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<_>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and clients that go away are normal on the internet; not errors.
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: waiting for requests in flight");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(config.shutdown_grace) => {
            tracing::warn!("requests still in flight after {:?}; closing", config.shutdown_grace);
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C, or on SIGTERM (what `systemctl stop`, `docker stop` and Kubernetes send).
/// Completes on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when the
/// future is first polled: call it before telling anyone the server is up, so a SIGTERM sent
/// right after that line stops the server cleanly instead of killing it. Needs a Tokio runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut interrupt =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let terminate = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let ctrl_c = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = ctrl_c => {}
                () = terminate => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// A token bucket per client: `burst` requests at once, refilled at `per_minute / 60` per second.
/// Clients are keyed by IPv4 address or IPv6 /64 (one host usually has a whole /64, so keying on
/// the full address would let it rotate past the limit). Behind a reverse proxy every client
/// has the proxy's address: set the limit there, or off here.
struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Above this many clients, buckets that have refilled completely are forgotten (they are
/// indistinguishable from a new client), so memory stays bounded by the clients of the last
/// `burst / rate` seconds.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn enabled(&self) -> bool {
        self.per_second > 0.0
    }

    /// `Ok` when the client may go ahead, else how long until it may.
    fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refilled =
            bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = refilled.min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

/// The client key of a peer address (see [`RateLimiter`]).
fn client_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

async fn rate_limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    // Only the API: pages and static files are cheap and a browser fetches several at once.
    let api = request.uri().path().starts_with("/api/");
    if let (true, true, Some(peer)) = (limiter.enabled(), api, peer) {
        if let Err(wait) = limiter.check(client_key(peer), Instant::now()) {
            return too_many_requests(wait);
        }
    }
    next.run(request).await
}

/// 429 in the API's JSON error shape, with `Retry-After` in whole seconds (at least 1).
fn too_many_requests(wait: Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = ApiError {
        status: StatusCode::TOO_MANY_REQUESTS,
        message: format!("too many requests from this client; retry after {seconds} s"),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// A CSV cell made safe to open in a spreadsheet (OWASP "CSV injection"): text that begins
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so Excel, LibreOffice
/// and Google Sheets show it as text instead of running it as a formula (`=HYPERLINK(…)` from a
/// region name in a loaded file).
///
/// Numbers stay numbers: a cell that is a plain decimal number (`-1.5`, `+2`, `-3e-4`) is left
/// alone, since a spreadsheet reads it as a number, never a formula, and a quote would turn every
/// negative figure into text. "Plain" means only digits, sign, point and exponent — Rust's float
/// parser alone would also let `-inf` and `-NaN` through, which are text to a spreadsheet.
pub fn csv_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    let number = cell
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && cell.parse::<f64>().is_ok();
    if risky && !number {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_get_a_quote() {
        for (cell, expected) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+31 6", "'+31 6"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-inf", "'-inf"),
            ("-NaN", "'-NaN"),
            // Numbers and ordinary text are unchanged.
            ("-1.5", "-1.5"),
            ("+2", "+2"),
            ("-3e-4", "-3e-4"),
            ("12", "12"),
            ("", ""),
            ("'s-Hertogenbosch", "'s-Hertogenbosch"),
            ("Súdwest-Fryslân", "Súdwest-Fryslân"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(csv_cell(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn bucket_allows_a_burst_then_the_rate() {
        let limiter = RateLimiter::new(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(ip, t0).is_ok());
        }
        let wait = limiter.check(ip, t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // Another client is not affected.
        assert!(limiter.check("192.0.2.2".parse().unwrap(), t0).is_ok());
        // One token a second comes back.
        assert!(limiter.check(ip, t0 + Duration::from_secs(1)).is_ok());
        assert!(limiter.check(ip, t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a = client_key("2001:db8:1:2::1".parse().unwrap());
        let b = client_key("2001:db8:1:2:ffff::9".parse().unwrap());
        let c = client_key("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            client_key("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }

    #[tokio::test]
    async fn a_slow_request_gets_408_with_the_headers() {
        let slow = Router::new().route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                "late"
            }),
        );
        let config = HardeningConfig {
            request_timeout: Duration::from_millis(50),
            ..HardeningConfig::default()
        };
        let response = wrap(slow, &config)
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert!(response
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY));
    }

    #[test]
    fn retry_after_is_whole_seconds() {
        let r = too_many_requests(Duration::from_millis(1200));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
    }
}
