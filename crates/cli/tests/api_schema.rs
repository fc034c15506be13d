//! The OpenAPI document against the handlers, by a schema-driven fuzzer: `kwm serve` on a small
//! store with the risk model computed, and schemathesis (pinned in tools/requirements.txt,
//! installed in .venv by scripts/setup-python.sh; `$KWM_SCHEMATHESIS` overrides the path)
//! generating requests from `/api/openapi.json` — valid ones must be answered 2xx/404, invalid
//! ones 4xx, every response must match its documented status, content type and schema, and no
//! request may cause a 5xx. Without schemathesis the test fails; it never skips.
//!
//! A fixed seed keeps a run reproducible; to explore further, run the same command with other
//! seeds and more examples (README: "Checking the API against its document").

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kwm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kwm"))
}

/// Stops the server when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn every_api_operation_answers_as_its_openapi_document_says() {
    let schemathesis = std::env::var_os("KWM_SCHEMATHESIS")
        .map_or_else(|| root().join(".venv/bin/schemathesis"), PathBuf::from);
    assert!(
        schemathesis.exists(),
        "schemathesis not found at {}: run scripts/setup-python.sh (or set KWM_SCHEMATHESIS)",
        schemathesis.display()
    );
    let dir = std::env::temp_dir().join(format!("kwm-api-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.sqlite");
    let data = root().join("data");
    let status = kwm()
        .args(["ingest", "--db"])
        .arg(&db)
        .args(
            [
                "codelists/gemeenten_2021_provincie.csv",
                "boundaries/provincie_2023_cartomap_wgs84.topojson",
                "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
                "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
                "kwb/85984NED_DataProperties.json",
                "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
                "kwb/kwb_2019_gemeente_bevolking_long.csv",
            ]
            .iter()
            .map(|f| data.join(f)),
        )
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let status = kwm()
        .args(["compute", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());

    let mut child = kwm()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--rate-limit",
            "0",
            "--db",
        ])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _server = Server(child);
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .trim_end_matches('/')
        .to_string();

    let out = Command::new(&schemathesis)
        .arg("run")
        .arg(format!("{base}/api/openapi.json"))
        .args(["--url", &base])
        .args(["--workers", "2", "--max-examples", "50", "--seed", "1"])
        .args(["--no-color", "--generation-database", "none"])
        .env("SCHEMATHESIS_HOOKS", "")
        // It keeps a cache (.schemathesis/) in its working directory: not in the repository.
        .current_dir(&dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found requests the handlers and the document disagree on:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}
