//! `kwm compute` end to end, through the binary: it computes what has figures, does nothing
//! (byte for byte) when results are up to date, recomputes when the catalogue's parameters
//! change, and refuses a broken catalogue with file, line and field, changing nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kwm_testkit::repo;
use sha2::{Digest, Sha256};

fn kwm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kwm"))
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

/// One row per region of a `kwm spatial` output, by code.
fn spatial_rows(
    path: &Path,
) -> std::collections::HashMap<String, std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let row: std::collections::HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect();
            (row["code"].clone(), row)
        })
        .collect()
}

#[test]
fn compute_options_are_recorded_and_stored_clusters_match_kwm_spatial() {
    let dir = temp_dir("analysis");
    let db = dir.join("s.sqlite");
    let cat = catalogue_copy(&dir);
    let boundaries = repo().join("data/boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson");
    let ingest = kwm()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg("--catalogue")
        .arg(&cat)
        .arg(repo().join("data/codelists/gemeenten_2021_provincie.csv"))
        .arg(&boundaries)
        .arg(repo().join("data/gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv"))
        .output()
        .unwrap();
    assert!(ingest.status.success(), "{:?}", text(&ingest));
    let first = compute(&db, &cat, &["--level", "gemeente", "--timings"]);
    let (out, err) = text(&first);
    assert!(first.status.success(), "{err}");
    assert!(
        out.contains("  composite: no winsorising; percent_rank"),
        "{out}"
    );
    assert!(
        out.contains("  rank uncertainty: 3000 composites (seed 2021)"),
        "{out}"
    );
    assert!(
        out.contains("  clusters (LISA, G_i*; 999 permutations, queen"),
        "{out}"
    );
    assert!(out.contains("  timings: stacking "), "{out}");

    // The stored LISA and G_i* of the stacking count are what `kwm spatial` gives for the same
    // values, boundaries and settings: the monitor's wiring (which regions, which order, which
    // subset of the weights) adds nothing of its own.
    let c = kwm_monitor::catalogue::load_dir(&cat).unwrap();
    let store = kwm_store::SqliteStore::open(&db).unwrap();
    let settings = &c.risk.method.clusters;
    for statistic in ["lisa", "gistar"] {
        let stored = kwm_monitor::clusters::clusters(
            &store,
            &c,
            kwm_model::Level::Gemeente,
            &kwm_monitor::clusters::ClusterQuery {
                period: Some(2024),
                variable: Some("stacking"),
                statistic: Some(statistic),
                alpha: None,
                fdr: None,
            },
        )
        .unwrap();
        let values = dir.join("stacking.csv");
        let mut w = csv::Writer::from_path(&values).unwrap();
        w.write_record(["code", "stacking"]).unwrap();
        for r in &stored.rows {
            if let Some(v) = r.record.value {
                w.write_record([r.code.as_str(), &v.to_string()]).unwrap();
            }
        }
        w.flush().unwrap();
        let out = dir.join(format!("spatial-{statistic}.csv"));
        let run = kwm()
            .arg("spatial")
            .arg("--boundaries")
            .arg(&boundaries)
            .arg("--values")
            .arg(&values)
            .args([
                "--column",
                "stacking",
                "--weights",
                "queen",
                "--statistic",
                statistic,
            ])
            .args(["--snap", &settings.snap_metres.to_string()])
            .args(["--permutations", &settings.permutations.to_string()])
            .args(["--seed", &settings.seed.to_string()])
            .args(["--alternative", settings.alternative.as_str()])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(run.status.success(), "{:?}", text(&run));
        let reference = spatial_rows(&out);
        let mut compared = 0;
        for r in &stored.rows {
            let row = &reference[r.code.as_str()];
            match r.record.status.as_str() {
                "ok" => {
                    let p: f64 = row[&format!("{statistic}_p_sim")].parse().unwrap();
                    assert_eq!(r.record.p_sim, Some(p), "{} {statistic}", r.code);
                    if statistic == "lisa" {
                        // kwm spatial writes esda's quadrant codes: 1 HH, 2 LH, 3 LL, 4 HL.
                        let code: usize = row["lisa_quadrant"].parse().unwrap();
                        let q = ["HH", "LH", "LL", "HL"][code - 1];
                        assert_eq!(r.record.quadrant.as_deref(), Some(q));
                        let i: f64 = row["lisa_i"].parse().unwrap();
                        assert!((r.record.stat.unwrap() - i).abs() <= 1e-12 * i.abs().max(1.0));
                    } else {
                        let z: f64 = row["gistar_z"].parse().unwrap();
                        assert!((r.record.z.unwrap() - z).abs() <= 1e-12 * z.abs().max(1.0));
                    }
                    compared += 1;
                }
                "island" => assert_eq!(row["status"], "island", "{}", r.code),
                other => assert_eq!(other, "no_value"),
            }
        }
        assert!(compared > 300, "{compared}");
    }

    // Method options override method.toml for this run and are recorded with it.
    let z = compute(
        &db,
        &cat,
        &[
            "--level",
            "gemeente",
            "--normalisation",
            "z_score",
            "--runs",
            "50",
            "--permutations",
            "0",
            "--json",
        ],
    );
    let (out, err) = text(&z);
    assert!(z.status.success(), "{err}");
    assert!(
        out.starts_with("method overridden on the command line"),
        "{out}"
    );
    let json = &out[out.find('[').unwrap()..];
    let outcomes: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(outcomes[0]["status"], "computed");
    let summary: serde_json::Value =
        serde_json::from_str(outcomes[0]["run"]["summary"].as_str().unwrap()).unwrap();
    assert_eq!(summary["composite"]["method"]["normalisation"], "z_score");
    assert_eq!(summary["composite"]["uncertainty"]["runs"], 50);
    assert!(summary["clusters"]["note"]
        .as_str()
        .unwrap()
        .contains("switched off"));
    let bad = compute(&db, &cat, &["--runs", "1"]);
    assert!(!bad.status.success());
    assert!(text(&bad).1.contains("--runs"), "{:?}", text(&bad));
    let _ = std::fs::remove_dir_all(&dir);
}
