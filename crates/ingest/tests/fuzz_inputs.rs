//! The fuzz targets' seeds (`fuzz/seeds/TARGET/`) and every crash they found
//! (`fuzz/regressions/TARGET/`), replayed on the stable toolchain in the normal suite, with the
//! same checks as the targets: no panic, errors located inside the file, accepted figures
//! finite, accepted positions WGS84. Fuzzing itself needs nightly (`fuzz/run`); this keeps what
//! it found from coming back.

use std::path::{Path, PathBuf};

use kwm_ingest::{read_bytes_named, Format, IngestError, ReadOptions};
use kwm_model::catalogue::{Catalogue, CatalogueFile};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The inputs of one target: seeds and regressions.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for kind in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            out.push((path, bytes));
        }
    }
    out.sort();
    out
}

const CATALOGUE_FILES: &[&str] = &[
    "catalogue.toml",
    "populations.toml",
    "sources.toml",
    "indicators.toml",
    "characteristics.toml",
    "themes.toml",
    "groups.toml",
    "method.toml",
    "warnings.toml",
    "region_sets.toml",
    "radar.toml",
    "similar.toml",
    "agenda.toml",
];

fn catalogue_files() -> Vec<CatalogueFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue");
    CATALOGUE_FILES
        .iter()
        .map(|n| CatalogueFile {
            name: n.to_string(),
            text: std::fs::read_to_string(dir.join(n)).unwrap(),
        })
        .collect()
}

fn check_error(path: &Path, e: &IngestError, data: &[u8]) {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 2;
    assert!(!e.file.is_empty(), "{}: {e}", path.display());
    assert!(
        e.line <= lines,
        "{}: beyond the last line: {e}",
        path.display()
    );
}

#[test]
fn every_seed_and_regression_reads_without_panic() {
    let catalogue = Catalogue::parse(&catalogue_files()).unwrap();
    let targets: &[(&str, &str, Format)] = &[
        ("ingest_statline_csv", "t_85984NED.csv", Format::Statline),
        ("ingest_statline_json", "t_85984NED.json", Format::Statline),
        (
            "ingest_statline_labels",
            "labels.csv",
            Format::StatlineLabels,
        ),
        ("ingest_kwb_map", "kwb_2020.csv", Format::KwbMap),
        ("ingest_long", "long.csv", Format::Long),
        ("ingest_regions", "gemeenten_2024.csv", Format::Regions),
        ("ingest_changes", "changes.csv", Format::Changes),
        ("ingest_geojson", "gemeente_2024.geojson", Format::Geojson),
        (
            "ingest_topojson",
            "gemeente_2024.topojson",
            Format::Topojson,
        ),
    ];
    let mut read = 0;
    for (target, name, format) in targets {
        let options = ReadOptions {
            format: Some(*format),
            period: Some(2024),
            ..ReadOptions::default()
        };
        for (path, data) in inputs(target) {
            read += 1;
            match read_bytes_named(name, &data, &catalogue, &options, None) {
                Ok(batch) => {
                    for o in &batch.observations {
                        for v in [o.value, o.lower, o.upper].into_iter().flatten() {
                            assert!(v.is_finite(), "{}: {v}", path.display());
                        }
                    }
                    for b in &batch.boundaries {
                        for p in &b.geometry.0 {
                            for c in std::iter::once(p.exterior())
                                .chain(p.interiors())
                                .flat_map(|r| &r.0)
                            {
                                assert!(
                                    (-180.0..=180.0).contains(&c.x)
                                        && (-90.0..=90.0).contains(&c.y),
                                    "{}: {c:?}",
                                    path.display()
                                );
                            }
                        }
                    }
                }
                Err(e) => check_error(&path, &e, &data),
            }
        }
    }
    for (path, data) in inputs("data_properties") {
        read += 1;
        let text = String::from_utf8_lossy(&data);
        if let Err(e) = kwm_ingest::statline::parse_data_properties("dp.json", &text) {
            check_error(&path, &e, &data);
        }
        if let Err(e) = kwm_ingest::statline::parse_dimension_names("wb.json", &text) {
            check_error(&path, &e, &data);
        }
    }
    let columns = vec!["EP_POV150".to_string(), "E_TOTPOP".to_string()];
    for (path, data) in inputs("svi_csv") {
        read += 1;
        if let Err(e) = kwm_ingest::svi_csv::read_svi_columns("svi.csv", &data, &columns, -999.0) {
            check_error(&path, &e, &data);
        }
    }
    for (path, data) in inputs("values") {
        read += 1;
        if let Err(e) =
            kwm_ingest::parse_values("values.csv", &String::from_utf8_lossy(&data), "value")
        {
            check_error(&path, &e, &data);
        }
    }
    for (_, data) in inputs("catalogue") {
        read += 1;
        let Some((&which, rest)) = data.split_first() else {
            continue;
        };
        let mut files = catalogue_files();
        let i = usize::from(which) % files.len();
        files[i].text = String::from_utf8_lossy(rest).into_owned();
        let _ = Catalogue::parse(&files);
    }
    assert!(
        read >= 15,
        "only {read} fuzz inputs found under {}",
        fuzz_dir().display()
    );
}
