//! Helpers shared by the integration tests of every crate (a dev-dependency only): where the
//! repository, its catalogue and its demo data are; running the `kwm` binary and a server
//! process with plain HTTP requests to it; and the module cycle check ([`modgraph`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The repository root (canonical, so it can be handed to a child process in another directory).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// Files of the demo data set (`data/`), by their path below it.
pub fn data_files(names: &[&str]) -> Vec<PathBuf> {
    let data = repo().join("data");
    names.iter().map(|f| data.join(f)).collect()
}

/// The demo files that the store's conformance suite and the PostgreSQL end-to-end test load: a
/// subset of `kwm demo`'s list (code lists, boundaries, gezondheidsmonitor and KWB down to wijk),
/// in its order.
pub const CORE_DEMO_FILES: &[&str] = &[
    "codelists/gemeenten_2019.csv",
    "codelists/gemeenten_2021_provincie.csv",
    "codelists/wijken_2023.csv",
    "boundaries/provincie_2023_cartomap_wgs84.topojson",
    "boundaries/gemeente_2022_cartomap_wgs84.topojson",
    "boundaries/gemeente_2023_cartomap_wgs84.topojson",
    "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
    "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
    "kwb/85984NED_DataProperties.json",
    "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
    "kwb/kwb_2019_gemeente_bevolking_long.csv",
];

pub mod modgraph;

/// Runs a program of the workspace (`env!("CARGO_BIN_EXE_kwm")`) in the repository root.
pub fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Like [`run`], and fails the test unless the program succeeded; returns its standard output.
pub fn run_ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("standard output is UTF-8")
}

/// `kwm serve --db DB` on a free port without the per-client rate limit (a test is one client
/// sending many requests on purpose), to hand to [`spawn_server`] with more arguments if needed.
pub fn serve_command(program: &str, db: &str) -> Command {
    let mut command = Command::new(program);
    command.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--rate-limit",
        "0",
        "--db",
        db,
    ]);
    command
}

/// A server process (`kwm serve`) started by [`spawn_server`], killed when dropped.
pub struct Server {
    child: Child,
    /// `host:port` from the `http://…` line it printed.
    pub addr: String,
    /// The line that said it was ready.
    pub ready_line: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` in the repository root and reads its standard output until a line for
/// which `ready` is true, noting the address of the `http://…` line on the way (an earlier
/// line or the ready line itself). Its output is read on after that, so the server never
/// blocks on a full pipe. Fails the test when the process ends first.
pub fn spawn_server(mut command: Command, ready: impl Fn(&str) -> bool) -> Server {
    let mut child = command
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut addr = None;
    let ready_line = loop {
        match lines.next() {
            Some(line) => {
                let line = line.expect("server output");
                if let Some(rest) = line.split("http://").nth(1) {
                    addr = rest.split('/').next().map(str::to_string);
                }
                if ready(&line) {
                    break line;
                }
            }
            None => {
                let status = child.wait().expect("exit status");
                panic!("{command:?} exited ({status}) before it was ready");
            }
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        addr: addr.expect("the server said where it listens"),
        ready_line,
    }
}

/// `GET path` over HTTP/1.0 (so the body ends with the connection), with extra header lines
/// (`"Authorization: Bearer …"`): status and body bytes.
pub fn http_get(addr: &str, path: &str, headers: &[String]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("read timeout");
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    (status, response[split + 4..].to_vec())
}

/// The URL of database `name` on the server of `admin_url` (`KWM_TEST_POSTGRES`): the same
/// URL with its path replaced, query kept.
pub fn database_url(admin_url: &str, name: &str) -> String {
    let authority = admin_url.find("://").expect("a URL") + 3;
    let query = admin_url[authority..]
        .find('?')
        .map_or(admin_url.len(), |i| authority + i);
    let path = admin_url[authority..query]
        .find('/')
        .map_or(query, |i| authority + i);
    format!("{}/{name}{}", &admin_url[..path], &admin_url[query..])
}
