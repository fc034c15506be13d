//! The README's first command, `kwm demo`, started for real once, then every page driven in
//! Debian's Chromium by Playwright with axe-core, one script per part of the product
//! (tests/browser/*.mjs). Every script runs even when an earlier one fails; the test then names
//! all that failed. Screenshots land in target/screenshots as CI artefacts. A second test,
//! `oidc_sign_in_in_chromium`, serves an empty store with OpenID Connect sign-in against a test
//! provider started in this process and runs tests/browser/oidc.mjs.
//!
//! Needs `node`, `/usr/bin/chromium`, `pdfinfo`/`pdftoppm` (poppler-utils) and `npm ci` in
//! tests/browser (.ci/run and scripts/test do that); a missing piece fails the test with what
//! to install, it never skips.

use kwm_testkit::repo;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// Each script, what it checks, and a screenshot it must leave behind.
const SCRIPTS: [(&str, &str, &str); 7] = [
    (
        "dashboard.mjs",
        "map, table, keyboard route to the region profile, search, links between areas",
        "dashboard.png",
    ),
    (
        "time.mjs",
        "trend chart, what changed, early warnings",
        "warnings.png",
    ),
    (
        "risk.mjs",
        "stacking map and distribution, theme profile, groups, methodology, coverage",
        "stacking.png",
    ),
    (
        "analysis.mjs",
        "cluster map, method comparison, rank interval and cluster lines of region pages",
        "clusters.png",
    ),
    (
        "agenda.mjs",
        "agenda overview, a recommendation's effect view, the radar and its missing-data answer",
        "radar.png",
    ),
    (
        "persons.mjs",
        "stacking per person: charts against the API, suppressed cells, SYNTHETIC label",
        "persons-nl.png",
    ),
    (
        "regiobeeld.mjs",
        "regiobeeld of a gemeente, wijk and buurt printed to one A4 page, key figures against the API, phone menu by keyboard",
        "regiobeeld.png",
    ),
];

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn demo_pages_in_chromium_with_axe() {
    let browser_dir = repo().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").exists() && browser_dir.join("node_modules/axe-core").exists(),
        "tests/browser/node_modules missing: run `npm ci --prefix tests/browser` (scripts/test does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} missing: `apt-get install chromium` (.ci/run does)"
    );

    let dir = std::env::temp_dir().join(format!("kwm-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(["demo", "--addr", "127.0.0.1:0", "--db"])
        .arg(dir.join("demo.sqlite"))
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut url = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        println!("kwm demo: {line}");
        if let Some(rest) = line.split("http://").nth(1) {
            url = Some(format!("http://{}", rest.split('/').next().unwrap()));
            break;
        }
    }
    let url = url.expect("kwm demo did not print its address");
    println!(
        "kwm demo cold start to serving: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let shots = repo().join("target/screenshots");
    let mut failed = Vec::new();
    for (script, checks, screenshot) in SCRIPTS {
        println!("== {script}: {checks}");
        let started = Instant::now();
        let _ = std::fs::remove_file(shots.join(screenshot));
        let status = Command::new("node")
            .arg(browser_dir.join(script))
            .arg(&url)
            .arg(&shots)
            .env("CHROMIUM", &chromium)
            .status()
            .expect("node not found: install Node.js");
        println!("   {script}: {:.1} s", started.elapsed().as_secs_f64());
        if !status.success() {
            failed.push(format!("{script} ({status})"));
        } else if !shots.join(screenshot).exists() {
            failed.push(format!("{script} left no {screenshot}"));
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failed.is_empty(),
        "browser checks failed: {} (screenshots in {})",
        failed.join(", "),
        shots.display()
    );
}

#[path = "../../server/tests/common/test_idp.rs"]
mod test_idp;

/// Sign-in in the browser: `kwm serve --oidc` on an empty store against the test OpenID Connect
/// provider (`crates/server/tests/common/test_idp.rs`, started here on its own port), then
/// tests/browser/oidc.mjs clicks "Aanmelden", signs in at the provider's form, comes back signed
/// in (name and role in the header), runs axe, and signs out.
#[test]
fn oidc_sign_in_in_chromium() {
    let browser_dir = repo().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").exists(),
        "tests/browser/node_modules missing: run `npm ci --prefix tests/browser` (scripts/test does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(Path::new(&chromium).exists(), "{chromium} missing");

    let dir = std::env::temp_dir().join(format!("kwm-browser-oidc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The redirect URL is registered at the provider before the server starts, so the server's
    // port is chosen here (free a moment ago; another process taking it in between fails the
    // test loudly, it never passes wrongly).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/aanmelden/terug");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let idp = runtime.block_on(test_idp::TestIdp::start(
        "kwm-browser",
        "browser-test-geheim",
        &redirect,
        vec![test_idp::TestUser {
            username: "anna".into(),
            subject: "sub-anna-1".into(),
            name: "Anna Analist".into(),
            roles: vec!["kwm-analist".into()],
        }],
    ));
    let config = dir.join("kwm.toml");
    std::fs::write(
        &config,
        format!(
            "[oidc]\nissuer = \"{}\"\nclient_id = \"kwm-browser\"\nclient_secret_env = \"KWM_TEST_OIDC_SECRET\"\nredirect_url = \"{redirect}\"\n[oidc.roles]\nanalyst = [\"kwm-analist\"]\n",
            idp.issuer
        ),
    )
    .unwrap();
    let db = dir.join("empty.sqlite");
    let init = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(["init", "--db"])
        .arg(&db)
        .status()
        .unwrap();
    assert!(init.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&db)
        .arg("--oidc")
        .arg(&config)
        .env("KWM_TEST_OIDC_SECRET", "browser-test-geheim")
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        println!("kwm serve: {line}");
        if let Some(rest) = line.strip_prefix("Kwetsbaarheidsmonitor: http://") {
            url = Some(format!("http://{}", rest.split('/').next().unwrap()));
            break;
        }
    }
    let url = url.expect("kwm serve did not print its address");
    // Keep reading: the server prints the sign-in line after its address, and a closed pipe
    // would make that print fail.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            println!("kwm serve: {line}");
        }
    });
    let shots = repo().join("target/screenshots");
    let _ = std::fs::remove_file(shots.join("oidc.png"));
    let status = Command::new("node")
        .arg(browser_dir.join("oidc.mjs"))
        .arg(&url)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .status()
        .expect("node not found: install Node.js");
    drop(server);
    drop(runtime);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "oidc.mjs failed ({status})");
    assert!(shots.join("oidc.png").exists(), "oidc.mjs left no oidc.png");
}
