//! `kwm radar` end to end, through the binary, on the real Amsterdam KWB files: it lists the
//! radar candidates with their reasons, says which figures it needs when they are not loaded,
//! and refuses what it cannot do.

use kwm_testkit::repo;
use std::path::Path;
use std::process::{Command, Output};

fn kwm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kwm"))
}

fn run(args: &[&str], db: &Path) -> (bool, String, String) {
    let o: Output = kwm()
        .args(args)
        .arg("--db")
        .arg(db)
        .arg("--catalogue")
        .arg(repo().join("catalogue"))
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn kwm_radar_lists_candidates_and_names_missing_figures() {
    let dir = std::env::temp_dir().join(format!("kwm-cli-radar-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("amsterdam.sqlite");
    let data = repo().join("data");
    let o = kwm()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(data.join("kwb_amsterdam/kwb_2017_amsterdam_gemeente_wijk_buurt.csv"))
        .arg(data.join("kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (ok, _, err) = run(&["compute"], &db);
    assert!(ok, "{err}");

    let (ok, out, err) = run(&["radar", "--support", "wmo", "--all"], &db);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("radar Wmo-ondersteuning — wijk 2019"),
        "{out}"
    );
    assert!(out.contains("high need by stacking"), "{out}");
    // The count printed is the number of starred lines, and every starred area names the
    // characteristics that are flagged there.
    let count: usize = out
        .lines()
        .find(|l| l.contains("radar candidate(s)"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let starred: Vec<&str> = out.lines().filter(|l| l.starts_with("* ")).collect();
    assert_eq!(starred.len(), count, "{out}");
    assert!(starred.iter().all(|l| !l.ends_with("flagged []")), "{out}");
    let listed = out.lines().filter(|l| l.starts_with("  WK")).count();
    assert!(listed > 80, "--all lists every area: {listed}");

    // Only the gemeente's areas, and only candidates without --all.
    let (ok, out, _) = run(
        &["radar", "--support", "bijstand", "--gemeente", "GM0363"],
        &db,
    );
    assert!(ok);
    assert!(
        out.lines().filter(|l| l.starts_with("  ")).count() == 0,
        "{out}"
    );

    // 2017 has no Wmo figures: which, where, and how to load them.
    let (ok, out, _) = run(&["radar", "--support", "wmo", "--period", "2017"], &db);
    assert!(ok);
    assert!(out.contains("figures not loaded"), "{out}");
    assert!(
        out.contains("StatLine key WmoClienten in 83765NED (2017)"),
        "{out}"
    );
    assert!(out.contains("kwm ingest"), "{out}");

    // Mistakes are refused with a message.
    let (ok, _, err) = run(&["radar", "--support", "nope"], &db);
    assert!(!ok && err.contains("unknown support 'nope'"), "{err}");
    let (ok, _, err) = run(&["radar", "--gemeente", "WK036300"], &db);
    assert!(!ok && err.contains("gemeente"), "{err}");
}
