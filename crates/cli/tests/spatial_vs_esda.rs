//! `kwm spatial` against PySAL libpysal/esda on real data: the 2024 gemeente boundaries (PDOK
//! generalised) and the Gezondheidsmonitor Jongvolwassenen 2024 indicator "moeite met
//! rondkomen" (difficulty making ends meet). 323 of the 342 gemeenten have a value: the four
//! Wadden islands are absent from the table and 15 more are suppressed; both sides subset the
//! weights to the regions with a value.
//!
//! The reference numbers come from running `tests/reference/spatial_esda.py` with the
//! virtualenv made by `scripts/setup-python.sh` (`$KWM_PYTHON` overrides the interpreter,
//! `$KWM_SHARED_DATA` the data directory). Without Python the tests fail, they never skip.
//!
//! What is compared:
//! * neighbour sets, exactly: queen and rook with `--snap 0` against libpysal's
//!   `Queen/Rook.from_dataframe`; the 1 m snapped queen against libpysal's `fuzzy_contiguity`
//!   (RD New, 0.5 m buffer on each side); `knn:5` against `KNN` on RD New centroids.
//! * every statistic (I_i, quadrants, analytic moments, G_i, G_i*, z-scores, global Moran's I
//!   and its moments, means and spreads of the simulated statistics) to 1e-9 relative.
//! * pseudo p-values, count by count. `kwm` draws the same random permutations as esda for
//!   the same seed (MT19937 + numba's shuffle, reproduced bit for bit), so the counts M in
//!   `(M + 1)/(R + 1)` must be identical — except where a simulated statistic equals the
//!   observed one up to rounding, because esda sums with BLAS and `kwm` in a plain loop. The
//!   reference script counts those near-ties per site (within 1e-9 relative); the test allows
//!   |ΔM| ≤ ties (for two-sided: twice the ties at the observed value, which move the
//!   percentile, plus the simulated values tied with either interpolated bound) and demands
//!   exact equality everywhere else. The values are percentages with one decimal, so exact
//!   ties are common (a median of 2 of 999 draws per region); about 70% of the counts are
//!   identical and the rest differ by at most their near-ties. A negative control runs `kwm`
//!   with another seed and requires most regions to fail the same comparison, so the allowance
//!   cannot hide different draws.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const PERMUTATIONS: usize = 999;
const SEED: u32 = 12345;
const COLUMN: &str = "MoeiteMetRondkomen_1";
const RELATIVE: f64 = 1e-9;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn shared_data() -> PathBuf {
    std::env::var_os("KWM_SHARED_DATA")
        .map_or_else(|| workspace_root().join("../shared/data"), PathBuf::from)
}

fn boundaries() -> PathBuf {
    shared_data().join("boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson")
}

fn values() -> PathBuf {
    shared_data().join("gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv")
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kwm-spatial-vs-esda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Runs the esda reference script once per test process.
fn reference() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let python = std::env::var_os("KWM_PYTHON").map_or_else(|| workspace_root().join(".venv/bin/python"), PathBuf::from);
        assert!(
            python.exists(),
            "Python with esda/libpysal not found at {}: run scripts/setup-python.sh (or set KWM_PYTHON)",
            python.display()
        );
        assert!(boundaries().exists() && values().exists(), "real data not found under {} (set KWM_SHARED_DATA)", shared_data().display());
        let dir = scratch().join("esda");
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new(&python)
            .arg(workspace_root().join("tests/reference/spatial_esda.py"))
            .args([boundaries(), values()])
            .args([COLUMN, &PERMUTATIONS.to_string(), &SEED.to_string()])
            .arg(&dir)
            .status()
            .expect("run the esda reference script");
        assert!(status.success(), "the esda reference script failed; is the virtualenv complete? run scripts/setup-python.sh");
        dir
    })
}

/// Runs `kwm spatial` with extra arguments, writing into `name.*` in the scratch directory.
fn kwm(name: &str, extra: &[&str]) -> PathBuf {
    let dir = scratch().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .arg("spatial")
        .arg("--boundaries")
        .arg(boundaries())
        .arg("--values")
        .arg(values())
        .args(["--column", COLUMN])
        .args(if extra.contains(&"--permutations") {
            vec![]
        } else {
            vec!["--permutations".to_string(), PERMUTATIONS.to_string()]
        })
        .args(if extra.contains(&"--seed") {
            vec![]
        } else {
            vec!["--seed".to_string(), SEED.to_string()]
        })
        .arg("--out")
        .arg(dir.join("out.csv"))
        .arg("--summary")
        .arg(dir.join("summary.json"))
        .arg("--neighbours-out")
        .arg(dir.join("neighbours.csv"))
        .args(extra)
        .output()
        .expect("run kwm");
    assert!(
        output.status.success(),
        "kwm spatial failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

type Table = Vec<HashMap<String, String>>;

fn read_table(path: &Path) -> Table {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn pairs(path: &Path) -> BTreeSet<(String, String)> {
    read_table(path)
        .into_iter()
        .map(|r| (r["code"].clone(), r["neighbour"].clone()))
        .collect()
}

fn by_code(table: Table) -> HashMap<String, HashMap<String, String>> {
    table.into_iter().map(|r| (r["code"].clone(), r)).collect()
}

fn number(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("expected a number, found '{s}'"))
}

fn relative_difference(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

fn assert_same_sets(
    kwm: &BTreeSet<(String, String)>,
    reference: &BTreeSet<(String, String)>,
    what: &str,
) {
    let only_kwm: Vec<_> = kwm.difference(reference).take(10).collect();
    let only_ref: Vec<_> = reference.difference(kwm).take(10).collect();
    assert!(
        only_kwm.is_empty() && only_ref.is_empty(),
        "{what}: only in kwm {only_kwm:?}; only in libpysal {only_ref:?}"
    );
    assert!(!kwm.is_empty());
}

#[test]
fn neighbour_sets_match_libpysal() {
    let reference = reference();
    let queen = kwm(
        "queen-exact",
        &[
            "--weights",
            "queen",
            "--snap",
            "0",
            "--statistic",
            "moran",
            "--permutations",
            "0",
        ],
    );
    assert_same_sets(
        &pairs(&queen.join("neighbours.csv")),
        &pairs(&reference.join("neighbours_queen.csv")),
        "queen, exact",
    );
    let rook = kwm(
        "rook-exact",
        &[
            "--weights",
            "rook",
            "--snap",
            "0",
            "--statistic",
            "moran",
            "--permutations",
            "0",
        ],
    );
    assert_same_sets(
        &pairs(&rook.join("neighbours.csv")),
        &pairs(&reference.join("neighbours_rook.csv")),
        "rook, exact",
    );
    let snapped = kwm(
        "queen-snap",
        &[
            "--weights",
            "queen",
            "--snap",
            "1",
            "--statistic",
            "moran",
            "--permutations",
            "0",
        ],
    );
    let snapped_pairs = pairs(&snapped.join("neighbours.csv"));
    assert_same_sets(
        &snapped_pairs,
        &pairs(&reference.join("neighbours_fuzzy.csv")),
        "queen, snapped 1 m vs fuzzy contiguity",
    );
    assert!(
        snapped_pairs.len() > pairs(&queen.join("neighbours.csv")).len(),
        "snapping should find the T-junction neighbours"
    );
    let knn = kwm(
        "knn",
        &[
            "--weights",
            "knn:5",
            "--statistic",
            "moran",
            "--permutations",
            "0",
        ],
    );
    assert_same_sets(
        &pairs(&knn.join("neighbours.csv")),
        &pairs(&reference.join("neighbours_knn5.csv")),
        "knn:5",
    );
}

/// The outcome of comparing one `kwm` output with the esda reference.
#[derive(Default)]
struct Comparison {
    /// Regions with neighbours compared.
    compared: usize,
    /// Largest relative difference of a statistic.
    worst: f64,
    /// Statistics that differ by more than `RELATIVE`.
    value_failures: Vec<String>,
    /// Pseudo p-values whose counts differ by more than the near-ties allow.
    p_failures: Vec<String>,
    /// Pseudo p-values compared, and how many had identical counts.
    p_compared: usize,
    p_identical: usize,
}

/// Compares every numeric column the two outputs share, and the pseudo p-value counts.
fn compare_local(kwm_out: &Path, renames: &[(&str, &str)]) -> Comparison {
    let reference = by_code(read_table(&reference().join("local.csv")));
    let ours = by_code(read_table(kwm_out));
    let r1 = (PERMUTATIONS + 1) as f64;
    let mut c = Comparison::default();
    for (code, expected) in &reference {
        let got = ours
            .get(code)
            .unwrap_or_else(|| panic!("{code} missing from kwm output"));
        if expected["island"] == "True" {
            assert_eq!(got["status"], "island", "{code} is an island for libpysal");
            continue;
        }
        assert_eq!(got["status"], "ok", "{code}");
        c.compared += 1;
        for (column, value) in got {
            let reference_column = renames
                .iter()
                .find(|(k, _)| k == column)
                .map_or(column.as_str(), |(_, r)| r);
            let Some(want) = expected.get(reference_column) else {
                continue;
            };
            if matches!(column.as_str(), "code" | "status" | "neighbours")
                || column.ends_with("_cluster")
            {
                continue;
            }
            let (a, b) = (number(value), number(want));
            if column.contains("p_sim") {
                let ties_column = format!(
                    "ties_{}",
                    reference_column
                        .trim_end_matches("_p_sim")
                        .replace("_p_sim_", "_")
                );
                let ties_column = if ties_column == "ties_lisa" {
                    "ties_lisa_directed".to_string()
                } else {
                    ties_column
                };
                let ties = number(&expected[&ties_column]) as i64;
                let slack = if reference_column.ends_with("two_sided") {
                    2 * ties
                } else {
                    ties
                };
                let (m_ours, m_ref) = ((a * r1).round() as i64 - 1, (b * r1).round() as i64 - 1);
                c.p_compared += 1;
                if m_ours == m_ref {
                    c.p_identical += 1;
                }
                if (m_ours - m_ref).abs() > slack {
                    c.p_failures.push(format!("{code} {column}: kwm counts {m_ours} of {PERMUTATIONS} draws as extreme, esda {m_ref}, with {ties} near-tie(s)"));
                }
            } else {
                let d = relative_difference(a, b);
                c.worst = c.worst.max(d);
                if d > RELATIVE {
                    c.value_failures.push(format!(
                        "{code} {column}: kwm {a}, esda {b}, relative difference {d:e}"
                    ));
                }
            }
        }
    }
    assert!(
        c.compared > 300,
        "expected over 300 regions with neighbours, compared {}",
        c.compared
    );
    c
}

fn assert_agrees(c: &Comparison, what: &str) {
    assert!(
        c.value_failures.is_empty(),
        "{what}: {} statistic(s) differ, e.g. {:?}",
        c.value_failures.len(),
        &c.value_failures[..c.value_failures.len().min(5)]
    );
    assert!(
        c.p_failures.is_empty(),
        "{what}: {} pseudo p-value(s) differ beyond near-ties, e.g. {:?}",
        c.p_failures.len(),
        &c.p_failures[..c.p_failures.len().min(5)]
    );
    assert!(c.p_compared > 300);
    println!(
        "{what}: {} regions, largest relative difference {:e}; {} of {} pseudo p-values identical, the rest within their near-ties",
        c.compared, c.worst, c.p_identical, c.p_compared
    );
}

#[test]
fn local_statistics_match_esda() {
    let out = kwm("local", &["--weights", "queen", "--snap", "0"]);
    assert_agrees(&compare_local(&out.join("out.csv"), &[]), "LISA, G_i*, G_i");
}

/// The negative control: with other random draws (another seed) the same comparison must
/// fail at most regions, which shows the near-tie allowance cannot hide different draws.
#[test]
fn other_draws_fail_the_p_value_comparison() {
    let out = kwm(
        "other-seed",
        &["--weights", "queen", "--snap", "0", "--seed", "54321"],
    );
    let c = compare_local(&out.join("out.csv"), &[]);
    assert!(
        c.p_failures.len() * 2 > c.p_compared,
        "only {} of {} pseudo p-values differ beyond near-ties with another seed",
        c.p_failures.len(),
        c.p_compared
    );
    println!(
        "negative control: {} of {} pseudo p-values fail with seed 54321",
        c.p_failures.len(),
        c.p_compared
    );
}

#[test]
fn every_alternative_matches_esda() {
    for alternative in ["two-sided", "greater", "lesser", "folded"] {
        let out = kwm(
            &format!("alt-{alternative}"),
            &[
                "--weights",
                "queen",
                "--snap",
                "0",
                "--statistic",
                "lisa",
                "--alternative",
                alternative,
            ],
        );
        let reference_column = format!("lisa_p_sim_{}", alternative.replace('-', "_"));
        assert_agrees(
            &compare_local(&out.join("out.csv"), &[("lisa_p_sim", &reference_column)]),
            &format!("LISA, {alternative}"),
        );
    }
}

#[test]
fn global_moran_matches_esda() {
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference().join("global.json")).unwrap())
            .unwrap();
    let out = kwm(
        "global",
        &["--weights", "queen", "--snap", "0", "--statistic", "moran"],
    );
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(ours["analysed"], reference["analysed"]);
    assert_eq!(ours["islands"], reference["islands"]);
    let (want, got) = (&reference["global_moran"], &ours["global_moran"]);
    for key in [
        "I", "EI", "VI_norm", "z_norm", "p_norm", "VI_rand", "z_rand", "p_rand", "EI_sim",
        "seI_sim", "z_sim", "p_z_sim",
    ] {
        let (a, b) = (got[key].as_f64().unwrap(), want[key].as_f64().unwrap());
        let d = relative_difference(a, b);
        assert!(
            d <= RELATIVE,
            "global {key}: kwm {a}, esda {b}, relative difference {d:e}"
        );
    }
    assert_eq!(
        want["ties"], 0,
        "no near-ties expected for the global statistic"
    );
    assert_eq!(got["p_sim"], want["p_sim"]);
}
