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

    // Refused into a store that does not exist yet: no store file is left behind.
    let fresh = dir.join("never.sqlite");
    let out = kwm()
        .args(["ingest", "--db"])
        .arg(&fresh)
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("never.sqlite"))
        .collect();
    assert!(left.is_empty(), "a refused load left {left:?}");
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

/// `kwm ingest` killed at any moment (SIGKILL, as the OOM killer or a power-off would) leaves
/// either nothing or everything: the files, their ranks and the layout changes derived from
/// them are one write. Killed at several moments of a load of the boundary and figure files.
#[test]
fn an_ingest_killed_at_any_moment_leaves_all_or_nothing() {
    let files = [
        "codelists/gemeenten_2019.csv",
        "codelists/gemeenten_2021_provincie.csv",
        "changes/gemeentelijke_indelingswijzigingen_2019_2024.csv",
        "boundaries/gemeente_2022_cartomap_wgs84.topojson",
        "boundaries/gemeente_2023_cartomap_wgs84.topojson",
        "kwb/kwb_2024_85984NED_alle_niveaus_leeftijd.csv",
    ];
    let dir = temp_dir("killed");
    // How long a whole ingest takes here, so the kills fall inside it.
    let db = dir.join("whole.sqlite");
    let started = std::time::Instant::now();
    let out = kwm()
        .args(["ingest", "--db"])
        .arg(&db)
        .args(files.iter().map(|f| data(f)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let whole = started.elapsed();
    let complete = state(&db);
    assert_eq!(complete.0, files.len() as i64);
    assert!(complete.1 > 0 && complete.2 > 0, "derived: {complete:?}");
    let mut outcomes = Vec::new();
    for (i, fraction) in [0.3, 0.5, 0.7, 0.85, 0.95].into_iter().enumerate() {
        let db = dir.join(format!("killed{i}.sqlite"));
        let mut child = kwm()
            .args(["ingest", "--db"])
            .arg(&db)
            .args(files.iter().map(|f| data(f)))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(whole.mul_f64(fraction));
        child.kill().unwrap();
        child.wait().unwrap();
        let got = state(&db);
        assert!(
            got == (0, 0, 0) || got == complete,
            "killed at {fraction} of the load: loads, ranks, layout derivations = {got:?}, \
             expected none or {complete:?}"
        );
        outcomes.push(got == complete);
    }
    println!("kills after the commit: {outcomes:?}");
}

/// (loads, stored rank series, layout derivations) of a store file; zeros when the file has
/// no tables yet.
fn state(db: &Path) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or(0);
    (
        count("SELECT count(*) FROM loads"),
        count("SELECT count(*) FROM figure_stats"),
        count("SELECT count(*) FROM layout_derivations"),
    )
}
