//! `kwm serve` through the binary: it listens on loopback unless told otherwise, and stops
//! cleanly (exit status 0) on SIGTERM, as `systemctl stop` or `docker stop` send it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(unix)]
#[test]
fn serve_binds_to_loopback_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("kwm-cli-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.sqlite");
    let codes =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/codelists/gemeenten_2019.csv");
    let status = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(&codes)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    // Port 0 with the default host: the default address's host is what is checked.
    let help = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("[default: 127.0.0.1:8080]"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("http://127.0.0.1:"), "{first}");
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status after SIGTERM: {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `--oidc FILE.toml`: a file that cannot work stops `kwm serve` before it listens, saying what
/// is wrong and where, and never printing the secret.
#[test]
fn serve_refuses_a_broken_oidc_file() {
    let dir = std::env::temp_dir().join(format!("kwm-cli-serve-oidc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("[other]\nx = 1\n", "no [oidc] table"),
        (
            "[oidc]\nissuer = \"http://login.example.nl\"\nclient_id = \"kwm\"\nclient_secret = \"geheim-123\"\nredirect_url = \"https://m.example.nl/aanmelden/terug\"\n",
            "issuer must be an https address",
        ),
        (
            "[oidc]\nissuer = \"https://login.example.nl\"\nclient_id = \"kwm\"\nclient_secret_env = \"KWM_TEST_NO_SUCH_VARIABLE\"\nredirect_url = \"https://m.example.nl/aanmelden/terug\"\n",
            "KWM_TEST_NO_SUCH_VARIABLE is not set",
        ),
        ("[oidc]\nissuer = \"https://x\"\nclient_id = \"kwm\"\nclient_secret = \"geheim-123\"\nredirect_url = \"https://m/aanmelden/terug\"\nrole = \"groups\"\n", "unknown field `role`"),
    ];
    for (i, (text, message)) in cases.iter().enumerate() {
        let file = dir.join(format!("oidc-{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_kwm"))
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(dir.join("missing.sqlite"))
            .arg("--oidc")
            .arg(&file)
            .env_remove("KWM_TEST_NO_SUCH_VARIABLE")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text}");
        assert!(stderr.contains(message), "{message} not in: {stderr}");
        assert!(stderr.contains(&format!("oidc-{i}.toml")), "{stderr}");
        assert!(!stderr.contains("geheim-123"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
