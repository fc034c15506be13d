//! A replay HTTP server inside the test process: it answers requests with the recorded
//! responses of `tests/fixtures/replay` (listed in `routes.tsv`), counts every request, and can
//! be told to misbehave for a given request the next N times (429 with Retry-After, a 5xx, a
//! connection cut half-way, a broken body). Std only, one thread per connection,
//! `Connection: close`.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A misbehaviour for one answer.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 Too Many Requests with `Retry-After: secs`.
    TooMany { retry_after: u64 },
    /// This status with this body.
    Status(u16, String),
    /// Announce the whole body, send half, close the connection.
    Cut,
    /// 200 with this body instead of the recorded one.
    Body(String),
}

#[derive(Clone)]
struct Route {
    status: u16,
    file: String,
    content_type: String,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    faults: HashMap<String, VecDeque<Fault>>,
    hits: Vec<String>,
}

/// The running server.
pub struct Replay {
    /// `http://127.0.0.1:PORT`: the service root to give the client.
    pub base: String,
    dir: PathBuf,
    state: Arc<Mutex<State>>,
}

/// The fixtures directory of crates/fetch.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fetch/tests/fixtures")
}

impl Replay {
    /// Starts serving `tests/fixtures/replay`.
    pub fn start() -> Replay {
        let dir = fixtures().join("replay");
        let mut state = State::default();
        let routes = std::fs::read_to_string(dir.join("routes.tsv")).expect("routes.tsv");
        for line in routes
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let f: Vec<&str> = line.split('\t').collect();
            state.routes.insert(
                f[0].to_string(),
                Route {
                    status: f[1].parse().unwrap(),
                    file: f[2].to_string(),
                    content_type: f[3].to_string(),
                },
            );
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(state));
        let (s, d, b) = (state.clone(), dir.clone(), base.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, d, b) = (s.clone(), d.clone(), b.clone());
                std::thread::spawn(move || serve(stream, &s, &d, &b));
            }
        });
        Replay { base, dir, state }
    }

    /// The next `times` answers to `request` (path and query, e.g. `/85984NED/TableInfos`)
    /// misbehave.
    pub fn fault(&self, request: &str, fault: Fault, times: usize) {
        let mut st = self.state.lock().unwrap();
        let q = st.faults.entry(request.to_string()).or_default();
        for _ in 0..times {
            q.push_back(fault.clone());
        }
    }

    /// Requests received for `request`.
    pub fn hits(&self, request: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .iter()
            .filter(|h| *h == request)
            .count()
    }

    /// All requests received, in order.
    pub fn all_hits(&self) -> Vec<String> {
        self.state.lock().unwrap().hits.clone()
    }

    /// The recorded body of a route, as served.
    pub fn body(&self, request: &str) -> String {
        let st = self.state.lock().unwrap();
        let r = &st.routes[request];
        std::fs::read_to_string(self.dir.join(&r.file))
            .unwrap()
            .replace("{BASE}", &self.base)
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, dir: &Path, base: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h == "\r\n" || h == "\n" => break,
            Ok(_) => {}
        }
    }
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let (route, fault) = {
        let mut st = state.lock().unwrap();
        st.hits.push(target.clone());
        let fault = st.faults.get_mut(&target).and_then(|q| q.pop_front());
        (st.routes.get(&target).cloned(), fault)
    };
    let mut out = stream;
    let (status, ctype, body) = match (&fault, route) {
        (Some(Fault::TooMany { retry_after }), _) => {
            let body = r#"{"odata.error":{"code":"","message":{"lang":"en-US","value":"Too many requests"}}}"#;
            let _ = write!(
                out,
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {retry_after}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            return;
        }
        (Some(Fault::Status(code, body)), _) => (*code, "application/json".to_string(), body.clone().into_bytes()),
        (Some(Fault::Body(body)), _) => (200, "application/json".to_string(), body.clone().into_bytes()),
        (_, Some(r)) => {
            let bytes = std::fs::read(dir.join(&r.file)).unwrap();
            let text = String::from_utf8(bytes).unwrap().replace("{BASE}", base);
            (r.status, r.content_type, text.into_bytes())
        }
        (_, None) => (
            404,
            "application/json".to_string(),
            format!(r#"{{"odata.error":{{"code":"","message":{{"lang":"en-US","value":"Resource not found: {target}"}}}}}}"#).into_bytes(),
        ),
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = out.write_all(head.as_bytes());
    if matches!(fault, Some(Fault::Cut)) {
        let _ = out.write_all(&body[..body.len() / 2]);
        let _ = out.flush();
        let _ = out.shutdown(std::net::Shutdown::Both);
        return;
    }
    let _ = out.write_all(&body);
    let _ = out.flush();
}
