//! The server's protection against the network (`hardening.rs`): security headers on every
//! response, pages that the Content-Security-Policy does not break, the body limit, and — on a
//! real socket — the header-read timeout, the header size limit and the API rate limit.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kwm_server::{hardening, AppState, HardeningConfig};
use tower::ServiceExt;

mod common;
use common::{app, catalogue, loaded_store};

fn store() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        loaded_store(
            "hardening",
            "store",
            &[
                "codelists/gemeenten_2021_provincie.csv",
                "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
                "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
            ],
        )
    })
}

/// Pages and API routes of every kind: HTML, JSON, CSV, SVG, static files, errors.
const URIS: &[&str] = &[
    "/",
    "/regio/GM0363",
    "/regio/GM0363/themas",
    "/regio/GM0363/regiobeeld",
    "/regio/GM0363/regiobeeld.svg",
    "/zoeken?q=amster",
    "/stapeling",
    "/indicatoren",
    "/over",
    "/static/app.js",
    "/static/app.css",
    "/no-such-page",
    "/api/indicators",
    "/api/regions?level=gemeente&period=2024&format=csv",
    "/api/no-such-endpoint",
    "/api/observations?indicator=nope",
    "/healthz",
];

async fn get(uri: &str) -> axum::response::Response {
    app(store(), catalogue())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn assert_security_headers(uri: &str, headers: &axum::http::HeaderMap) {
    let csp = headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{uri}: no CSP"));
    let csp = csp.to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{uri}: {csp}");
    assert!(!csp.contains("script-src 'self' 'unsafe"), "{uri}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{uri}");
    assert_eq!(headers["x-frame-options"], "DENY", "{uri}");
    assert_eq!(headers["referrer-policy"], "same-origin", "{uri}");
}

#[tokio::test]
async fn every_response_has_the_security_headers() {
    for uri in URIS {
        let response = get(uri).await;
        assert_security_headers(uri, response.headers());
    }
}

/// The CSP allows no inline script and no `<style>` element; style attributes only for the bar
/// widths (see `hardening::CONTENT_SECURITY_POLICY`). A page that grows an inline handler or
/// script would silently stop working in browsers, so this fails first.
#[tokio::test]
async fn pages_have_nothing_the_policy_would_block() {
    let style_attr = regex_lite::Regex::new(r#"style="([^"]*)""#).unwrap();
    let handler = regex_lite::Regex::new(r#"(?i)\son[a-z]+\s*="#).unwrap();
    for uri in URIS
        .iter()
        .filter(|u| !u.starts_with("/static") && !u.starts_with("/api"))
    {
        let response = get(uri).await;
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let html = String::from_utf8_lossy(&body);
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(tag.contains(" src="), "{uri}: inline script {tag}");
        }
        assert!(!html.contains("<style"), "{uri}: a <style> element");
        assert!(!html.contains("javascript:"), "{uri}: a javascript: URL");
        assert!(!handler.is_match(&html), "{uri}: an inline event handler");
        for c in style_attr.captures_iter(&html) {
            let value = &c[1];
            let ok = value
                .strip_prefix("width:")
                .and_then(|v| v.strip_suffix('%'))
                .is_some_and(|n| n.parse::<f64>().is_ok());
            assert!(ok, "{uri}: style attribute other than a bar width: {value}");
        }
    }
}

#[tokio::test]
async fn a_large_body_is_refused() {
    let response = app(store(), catalogue())
        .oneshot(
            Request::post("/api/indicators")
                .header("content-length", "1000000")
                .body(Body::from(vec![b'x'; 1_000_000]))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_security_headers("POST body", response.headers());
}

/// Starts `hardening::serve` on a free loopback port with `config`.
async fn start(config: HardeningConfig) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = kwm_server::router(AppState::new(store().clone(), catalogue(), "test".into()));
    tokio::spawn(hardening::serve(
        listener,
        router,
        config,
        std::future::pending(),
    ));
    addr
}

/// Sends `bytes` and reads until the server closes or `limit` passes: what came back and when.
fn exchange(addr: SocketAddr, bytes: &[u8], limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(limit)).unwrap();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
        if started.elapsed() > limit {
            break;
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_oversized_requests_are_cut_off() {
    let addr = start(HardeningConfig {
        header_read_timeout: Duration::from_secs(1),
        ..HardeningConfig::default()
    })
    .await;
    tokio::task::spawn_blocking(move || {
        // Half a request, then nothing: closed after the header-read timeout, not held open.
        let (_, took) = exchange(
            addr,
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ",
            Duration::from_secs(10),
        );
        assert!(
            took < Duration::from_secs(5),
            "half-sent request held {took:?}"
        );
        // Only empty lines: the same.
        let (_, took) = exchange(addr, b"\r\n\r\n", Duration::from_secs(10));
        assert!(
            took < Duration::from_secs(5),
            "CRLF-only request held {took:?}"
        );
        // Headers beyond the limit: 431.
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(40_000)
        );
        let (answer, _) = exchange(addr, big.as_bytes(), Duration::from_secs(10));
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
        // A normal request still works, with the headers.
        let (answer, _) = exchange(
            addr,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Duration::from_secs(10),
        );
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("content-security-policy:"), "{answer}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_rate_limited_per_client() {
    let addr = start(HardeningConfig {
        api_requests_per_minute: 60,
        api_burst: 3,
        ..HardeningConfig::default()
    })
    .await;
    tokio::task::spawn_blocking(move || {
        let request = |path: &str| {
            let text = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            exchange(addr, text.as_bytes(), Duration::from_secs(10)).0
        };
        for _ in 0..3 {
            let answer = request("/api/indicators");
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
        let answer = request("/api/indicators");
        assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
        assert!(answer.contains("retry-after: 1\r\n"), "{answer}");
        assert!(answer.contains(r#""status":429"#), "{answer}");
        assert!(answer.contains("content-security-policy:"), "{answer}");
        // Pages are not limited.
        assert!(request("/over").starts_with("HTTP/1.1 200"));
        // After the wait, the client may go on.
        std::thread::sleep(Duration::from_millis(1100));
        assert!(request("/api/indicators").starts_with("HTTP/1.1 200"));
    })
    .await
    .unwrap();
}

/// Names from loaded files reach CSV exports; a name that is a formula must arrive as text.
#[tokio::test]
async fn csv_exports_neutralise_formulas_but_keep_numbers() {
    let dir = std::env::temp_dir().join(format!("kwm-hardening-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let codes = dir.join("gemeenten_2019.csv");
    std::fs::write(
        &codes,
        "code,name,layout\nGM0003,\"=HYPERLINK(\"\"http://x.invalid\"\",\"\"klik\"\")\",2019\nGM0010,@SUM(A1),2019\nGM0014,-Groningen,2019\n",
    )
    .unwrap();
    let db = dir.join("s.sqlite");
    let _ = std::fs::remove_file(&db);
    let mut store = kwm_store::SqliteStore::open(&db).unwrap();
    kwm_monitor::ingest::ingest_files(
        &mut store,
        &catalogue(),
        &[codes],
        &kwm_ingest::ReadOptions::default(),
        "2026-11-23T00:00:00Z",
    )
    .unwrap();
    let response = app(&db, catalogue())
        .oneshot(
            Request::get("/api/regions?level=gemeente&period=2019&format=csv")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let csv = String::from_utf8_lossy(&body);
    assert!(
        csv.contains(r#""'=HYPERLINK(""http://x.invalid"",""klik"")""#),
        "{csv}"
    );
    assert!(csv.contains(",'@SUM(A1)"), "{csv}");
    assert!(csv.contains(",'-Groningen"), "{csv}");
    for line in csv.lines().skip(1) {
        let first = line.split(',').nth(1).unwrap_or_default();
        assert!(!first.starts_with(['=', '@', '-', '+']), "{line}");
    }

    // Negative figures stay numbers in a real export (observations of a real file).
    let response =
        get("/api/observations?indicator=bevolking_totaal&level=gemeente&period=2024&format=csv")
            .await;
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(!String::from_utf8_lossy(&body).contains(",'"));
}

/// CSV is written in one place (`api::csv_response`), so no export can skip the neutralising.
#[test]
fn csv_is_written_in_one_place() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut writers = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read_to_string(&path)
                .unwrap()
                .contains(concat!("csv::", "Writer"))
            {
                writers.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    assert_eq!(writers, ["api.rs"]);
}

/// A name from a loaded file that tries to leave its attribute or element stays text: maud
/// escapes `"`, `<`, `>` and `&` everywhere, and every attribute is double-quoted.
#[tokio::test]
async fn hostile_names_from_files_stay_text_in_pages() {
    let dir = std::env::temp_dir().join(format!("kwm-hardening-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let codes = dir.join("gemeenten_2019.csv");
    std::fs::write(
        &codes,
        "code,name,layout\nGM0003,\"Appingedam\"\"><script>alert(1)</script>' onmouseover='alert(2)\",2019\n",
    )
    .unwrap();
    let db = dir.join("s.sqlite");
    let _ = std::fs::remove_file(&db);
    let mut store = kwm_store::SqliteStore::open(&db).unwrap();
    kwm_monitor::ingest::ingest_files(
        &mut store,
        &catalogue(),
        &[codes],
        &kwm_ingest::ReadOptions::default(),
        "2026-11-23T00:00:00Z",
    )
    .unwrap();
    for uri in ["/regio/GM0003", "/zoeken?q=appingedam"] {
        let response = app(&db, catalogue())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("Appingedam"), "{uri}: the name is not shown");
        assert!(!text.contains("<script>alert"), "{uri}: markup from a name");
        assert!(
            !text.contains("Appingedam\"><"),
            "{uri}: a name closed its attribute"
        );
        assert!(text.contains("Appingedam&quot;&gt;&lt;script&gt;"), "{uri}");
    }
}
