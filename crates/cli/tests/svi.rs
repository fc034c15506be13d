//! `kwm svi` against CDC's published numbers.
//!
//! The main test recomputes every SVI column of all 3,142 US counties of CDC/ATSDR SVI 2018 from
//! the `EP_*` inputs in CDC's own file and compares each with CDC's published value. The file
//! is read from `$KWM_SHARED_DATA/svi/SVI2018_US_COUNTY.csv` (default: `../shared/data` beside
//! the workspace); when it is absent the test fails, it never skips.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use kwm_engine::svi::{complete_row_counts, complete_row_sums, flags};
use kwm_model::svi::SviEdition;

fn shared_data() -> PathBuf {
    match std::env::var_os("KWM_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

fn svi_2018_file() -> PathBuf {
    let path = shared_data().join("svi/SVI2018_US_COUNTY.csv");
    assert!(
        path.is_file(),
        "CDC's SVI 2018 county file is missing at {}: set KWM_SHARED_DATA to the folder that holds svi/SVI2018_US_COUNTY.csv \
         (in CI the shared data folder sits beside the repository)",
        path.display()
    );
    path
}

/// A CSV file as header plus rows of text cells.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &std::path::Path) -> Csv {
        let mut reader =
            csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        Csv { header, rows }
    }

    fn index(&self) -> HashMap<&str, usize> {
        self.header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i))
            .collect()
    }
}

fn run_kwm_svi(
    edition: &str,
    input: &std::path::Path,
    name: &str,
) -> (std::process::Output, PathBuf) {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let output = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(["svi", "--edition", edition])
        .arg(input)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("kwm runs");
    (output, out)
}

/// The computed columns: everything from the first EPL_ column through F_TOTAL.
fn computed_columns(header: &[String]) -> Vec<String> {
    let first = header
        .iter()
        .position(|h| h.starts_with("EPL_"))
        .expect("EPL_ columns");
    let last = header.iter().position(|h| h == "F_TOTAL").expect("F_TOTAL");
    header[first..=last].to_vec()
}

#[test]
fn svi_2018_reproduces_every_published_column_of_all_counties() {
    let input = svi_2018_file();
    let (output, out) = run_kwm_svi("2018", &input, "svi2018_counties.csv");
    assert!(
        output.status.success(),
        "kwm svi failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let published = Csv::read(&input);
    let ours = Csv::read(&out);
    // Same computed columns, in CDC's order, after FIPS.
    assert_eq!(ours.header[0], "FIPS");
    assert_eq!(ours.header[1..], computed_columns(&published.header)[..]);
    assert_eq!(ours.header.len() - 1, 45);
    assert_eq!(published.rows.len(), 3142);
    assert_eq!(ours.rows.len(), published.rows.len());

    let p = published.index();
    let mut compared = 0usize;
    let mut mismatches = Vec::new();
    for (row, (theirs, mine)) in published.rows.iter().zip(&ours.rows).enumerate() {
        assert_eq!(
            mine[0], theirs[p["FIPS"]],
            "row {row}: FIPS (text, leading zeros kept, CDC's row order)"
        );
        for (k, name) in ours.header.iter().enumerate().skip(1) {
            let a: f64 = theirs[p[name.as_str()]].parse().unwrap();
            let b: f64 = mine[k].parse().unwrap();
            // CDC's values have at most 4 decimals: exact equality of the parsed numbers is
            // equality at 4 decimals (and stricter).
            if a != b {
                mismatches.push(format!("{} {name}: CDC {a}, kwm {b}", mine[0]));
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 3142 * 45);
    assert!(
        mismatches.is_empty(),
        "{} mismatches over {compared} values, first: {:#?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(20)]
    );
    eprintln!("0 mismatches over 3,142 counties × 45 columns ({compared} values)");

    // The null rule as published (ANCHORS.md §1): Rio Arriba, NM lacks POV, UNEMP and PCI.
    let rio = ours
        .rows
        .iter()
        .find(|r| r[0] == "35039")
        .expect("Rio Arriba");
    let o = ours.index();
    for name in [
        "EPL_POV",
        "SPL_THEME1",
        "RPL_THEME1",
        "F_THEME1",
        "SPL_THEMES",
        "RPL_THEMES",
        "F_TOTAL",
    ] {
        assert_eq!(rio[o[name]], "-999", "{name}");
    }
    assert_eq!(rio[o["RPL_THEME2"]], "0.8758");
}

#[test]
fn svi_2020_edition_reproduces_cdc_sums_and_flags() {
    // Six published rows cannot check ranks (the universe is the whole country), but they do
    // check the 2020 edition's theme membership, sums, flags and column order.
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/SVI2020_US_COUNTY_head.csv");
    let published = Csv::read(&fixture);
    let p = published.index();
    let edition = SviEdition::builtin(2020).unwrap();
    let col = |name: &str| -> Vec<Option<f64>> {
        let i = *p
            .get(name)
            .unwrap_or_else(|| panic!("published 2020 file has no {name}"));
        published
            .rows
            .iter()
            .map(|r| Some(r[i].parse::<f64>().unwrap()))
            .collect()
    };
    let n = published.rows.len();
    let mut theme_sums = Vec::new();
    let mut theme_flags = Vec::new();
    for theme in &edition.themes {
        let epls: Vec<Vec<Option<f64>>> = theme
            .variables
            .iter()
            .map(|v| col(&format!("EPL_{}", v.id)))
            .collect();
        let refs: Vec<&[Option<f64>]> = epls.iter().map(Vec::as_slice).collect();
        let spl = complete_row_sums(&refs, n, edition.decimals);
        assert_eq!(
            spl,
            col(&format!("SPL_THEME{}", theme.number)),
            "SPL_THEME{}",
            theme.number
        );
        let fl: Vec<Vec<Option<u8>>> = epls.iter().map(|e| flags(e, edition.threshold)).collect();
        for (v, f) in theme.variables.iter().zip(&fl) {
            let expected: Vec<Option<u8>> = col(&format!("F_{}", v.id))
                .iter()
                .map(|x| x.map(|x| x as u8))
                .collect();
            assert_eq!(f, &expected, "F_{}", v.id);
        }
        let fl_refs: Vec<&[Option<u8>]> = fl.iter().map(Vec::as_slice).collect();
        let count = complete_row_counts(&fl_refs, n);
        let expected: Vec<Option<u32>> = col(&format!("F_THEME{}", theme.number))
            .iter()
            .map(|x| x.map(|x| x as u32))
            .collect();
        assert_eq!(count, expected, "F_THEME{}", theme.number);
        theme_sums.push(spl);
        theme_flags.push(count);
    }
    let refs: Vec<&[Option<f64>]> = theme_sums.iter().map(Vec::as_slice).collect();
    assert_eq!(
        complete_row_sums(&refs, n, edition.decimals),
        col("SPL_THEMES")
    );
    let refs: Vec<&[Option<u32>]> = theme_flags.iter().map(Vec::as_slice).collect();
    let total: Vec<Option<f64>> = complete_row_counts(&refs, n)
        .iter()
        .map(|x| x.map(f64::from))
        .collect();
    assert_eq!(total, col("F_TOTAL"));
    // End to end: the 2020 layout is read and the output has CDC's 2020 column order.
    let (output, out) = run_kwm_svi("2020", &fixture, "svi2020_head.csv");
    assert!(
        output.status.success(),
        "kwm svi failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ours = Csv::read(&out);
    assert_eq!(ours.header[1..], computed_columns(&published.header)[..]);
    assert_eq!(ours.rows.len(), 6);
}

#[test]
fn a_file_that_does_not_fit_the_edition_is_refused_with_its_location() {
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/SVI2020_US_COUNTY_head.csv");
    let (output, out) = run_kwm_svi("2018", &fixture, "svi_refused.csv");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("SVI2020_US_COUNTY_head.csv:1:1: expected a column 'EP_POV'"),
        "{stderr}"
    );
    assert!(!out.exists(), "no output on failure");
}
