//! `kwm layouts` and `kwm harmonise` end to end, through the binary, on real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kwm(args: &[&str], db: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(args)
        .arg("--db")
        .arg(db)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(rel)
}

#[test]
fn layouts_lists_the_changes_and_harmonise_carries_2019_onto_2024() {
    let dir = std::env::temp_dir().join(format!("kwm-cli-time-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.sqlite");
    let mut ingest = Command::new(env!("CARGO_BIN_EXE_kwm"));
    ingest.args(["ingest", "--db"]).arg(&db);
    for f in [
        "codelists/gemeenten_2019.csv",
        "codelists/gemeenten_2021_provincie.csv",
        "changes/gemeentelijke_indelingswijzigingen_2019_2024.csv",
        "boundaries/gemeente_2019_haaren_cbs_wijk2017.geojson",
        "boundaries/gemeente_2022_cartomap_wgs84.topojson",
        "kwb/85984NED_DataProperties.json",
        "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
        "kwb/kwb_2019_gemeente_bevolking_long.csv",
    ] {
        ingest.arg(data(f));
    }
    let out = ingest.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("loaded as changes"));

    let layouts = String::from_utf8(kwm(&["layouts", "--all"], &db).stdout).unwrap();
    assert!(
        layouts.contains("2019 → 2021: 3 merge, 4 split (7 from a change table)"),
        "{layouts}"
    );
    assert!(
        layouts.contains("2021 → 2022: 10 merge (10 from a change table)"),
        "{layouts}"
    );
    // 2023 is not loaded here: Weesp and Voorne aan Zee fall between 2022 and 2024.
    assert!(
        layouts.contains("2022 → 2024: 4 merge (4 from a change table)"),
        "{layouts}"
    );
    assert!(
        layouts.contains("split GM0788 Haaren → GM0855 Tilburg, share"),
        "{layouts}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&kwm(&["layouts", "--json"], &db).stdout).unwrap();
    assert_eq!(json["changes"].as_array().unwrap().len(), 21);

    let first = String::from_utf8(kwm(&["harmonise", "--to", "2024"], &db).stdout).unwrap();
    assert!(
        first.contains("layout 2024:") && first.contains("estimated"),
        "{first}"
    );
    let before = std::fs::read(&db).unwrap();
    let again = String::from_utf8(kwm(&["harmonise", "--to", "2024"], &db).stdout).unwrap();
    assert!(again.contains("up to date"), "{again}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "a repeated run leaves the store untouched"
    );

    let json: serde_json::Value =
        serde_json::from_slice(&kwm(&["harmonise", "--json"], &db).stdout).unwrap();
    assert_eq!(json[0]["target"], 2024, "default: the newest layout");
    let _ = std::fs::remove_dir_all(&dir);
}
