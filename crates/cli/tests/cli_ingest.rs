//! `kwm ingest` end to end, through the binary: what it prints, its exit status, and that a
//! failed or repeated load leaves the store file byte-for-byte unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kwm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kwm"))
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(rel)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kwm-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn ingest_reports_what_it_loaded_then_refuses_a_broken_file_without_changing_anything() {
    let dir = temp_dir("broken");
    let db = dir.join("s.sqlite");
    let gm = data("gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv");
    let out = kwm()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(&gm)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("dataset 50140NED")
            && stdout.contains("365 rows")
            && stdout.contains("148 indicators")
            && stdout.contains("periods [2024]"),
        "{stdout}"
    );
    assert!(stdout.contains("levels [land, ggd, gemeente]"), "{stdout}");
    let before = std::fs::read(&db).unwrap();

    // The same file again: nothing changes, and it says so.
    let again = kwm()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(&gm)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("already loaded"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // A good file together with a broken one: non-zero exit, FILE:LINE:COLUMN, nothing stored.
    let broken = dir.join("85984NED_broken.csv");
    let mut text =
        std::fs::read_to_string(data("kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv")).unwrap();
    text = text.replacen("GM1680,Gemeente,25845", "GM1680,Gemeente,25.845,7", 1);
    std::fs::write(&broken, text).unwrap();
    let out = kwm()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(data("boundaries/provincie_2023_cartomap_wgs84.topojson"))
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected_prefix = format!("{}:2:", broken.display());
    assert!(stderr.starts_with(&expected_prefix), "{stderr}");
    assert!(
        stderr.contains("expected 10 fields as in the header, found 11"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was stored"), "{stderr}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "a failed load changed the store"
    );
}

#[test]
fn init_creates_an_empty_store_and_serve_refuses_a_missing_one() {
    let dir = temp_dir("init");
    let db = dir.join("empty.sqlite");
    let out = kwm().args(["init", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success());
    assert!(db.exists());
    let out = kwm()
        .args(["serve", "--db"])
        .arg(dir.join("missing.sqlite"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn a_bad_catalogue_is_reported_with_file_line_and_field() {
    let dir = temp_dir("catalogue");
    let cat = dir.join("catalogue");
    std::fs::create_dir_all(&cat).unwrap();
    for f in ["catalogue.toml", "sources.toml"] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../catalogue")
                .join(f),
            cat.join(f),
        )
        .unwrap();
    }
    std::fs::write(cat.join("indicators.toml"), "[[indicator]]\nid = \"jv_x\"\nsource = \"jv\"\nlabel_nl = \"X\"\nunit = \"%\"\ndirection = \"up\"\n").unwrap();
    let out = kwm()
        .args(["ingest", "--db"])
        .arg(dir.join("s.sqlite"))
        .arg("--catalogue")
        .arg(&cat)
        .arg(data("codelists/gemeenten_2019.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("indicators.toml:6:")
            && stderr.contains("field 'direction'")
            && stderr.contains("found 'up'"),
        "{stderr}"
    );
}
