//! `kwm compute` end to end, through the binary: it computes what has figures, does nothing
//! (byte for byte) when results are up to date, recomputes when the catalogue's parameters
//! change, and refuses a broken catalogue with file, line and field, changing nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn kwm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kwm"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kwm-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn checksum(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// A copy of the repository's catalogue that a test may edit.
fn catalogue_copy(dir: &Path) -> PathBuf {
    let to = dir.join("catalogue");
    std::fs::create_dir_all(&to).unwrap();
    // The top-level files are the catalogue `kwm compute` reads; subdirectories (e.g. `svi/`)
    // belong to other commands.
    for e in std::fs::read_dir(repo().join("catalogue"))
        .unwrap()
        .flatten()
    {
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    to
}

fn compute(db: &Path, catalogue: &Path, extra: &[&str]) -> Output {
    kwm()
        .args(["compute", "--db"])
        .arg(db)
        .arg("--catalogue")
        .arg(catalogue)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn compute_then_nothing_then_recompute_after_an_edit_and_refuse_a_broken_matrix() {
    let dir = temp_dir("compute");
    let db = dir.join("s.sqlite");
    let cat = catalogue_copy(&dir);

    let missing = compute(&db, &cat, &[]);
    assert!(!missing.status.success());
    assert!(
        text(&missing).1.contains("does not exist"),
        "{:?}",
        text(&missing)
    );

    let ingest = kwm()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg("--catalogue")
        .arg(&cat)
        .arg(repo().join("data/codelists/gemeenten_2021_provincie.csv"))
        .arg(repo().join("data/gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv"))
        .output()
        .unwrap();
    assert!(ingest.status.success(), "{:?}", text(&ingest));

    let first = compute(&db, &cat, &["--level", "gemeente"]);
    let (out, err) = text(&first);
    assert!(first.status.success(), "{err}");
    assert!(
        out.starts_with("gemeente 2024: computed and stored — "),
        "{out}"
    );
    assert!(out.contains("6 of 12 characteristics with data"), "{out}");

    // Up to date: says so and leaves the store file byte for byte unchanged.
    let before = checksum(&db);
    let again = compute(&db, &cat, &["--level", "gemeente"]);
    assert!(again.status.success());
    assert!(text(&again).0.contains("up to date"), "{:?}", text(&again));
    assert_eq!(checksum(&db), before);

    // Nothing has figures at buurt level: a non-zero exit that says why.
    let nothing = compute(&db, &cat, &["--level", "buurt", "--period", "2024"]);
    assert!(!nothing.status.success());
    assert!(text(&nothing).1.contains("nothing to compute"));

    // A threshold edited in method.toml recomputes.
    let method = cat.join("method.toml");
    let edited = std::fs::read_to_string(&method)
        .unwrap()
        .replace("threshold = 90.0", "threshold = 80.0");
    std::fs::write(&method, edited).unwrap();
    let redo = compute(&db, &cat, &["--level", "gemeente", "--json"]);
    assert!(redo.status.success(), "{:?}", text(&redo));
    let outcomes: serde_json::Value = serde_json::from_slice(&redo.stdout).unwrap();
    assert_eq!(outcomes[0]["status"], "computed");
    assert_ne!(checksum(&db), before);

    // A matrix row of the wrong length: file, line and field, exit 1, store unchanged.
    let themes = cat.join("themes.toml");
    let original = std::fs::read_to_string(&themes).unwrap();
    let line = original
        .lines()
        .position(|l| l.starts_with("beperking "))
        .unwrap()
        + 1;
    let broken = original.replace(
        "beperking                  = [2,  1,  1,  2,  2,  2,  2]",
        "beperking                  = [2,  1,  1,  2,  2,  2]",
    );
    assert_ne!(broken, original, "the row to break is in the catalogue");
    std::fs::write(&themes, broken).unwrap();
    let before = checksum(&db);
    let refused = compute(&db, &cat, &[]);
    assert!(!refused.status.success());
    let err = text(&refused).1;
    assert!(
        err.contains(&format!("themes.toml:{line}:"))
            && err.contains("field 'matrix.rows.beperking'")
            && err.contains("wrong shape"),
        "{err}"
    );
    assert!(err.contains("nothing was done"), "{err}");
    assert_eq!(checksum(&db), before);
    let _ = std::fs::remove_dir_all(&dir);
}
