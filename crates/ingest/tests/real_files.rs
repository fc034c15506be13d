//! The readers on the real published files, and on broken variants of them: every broken
//! variant must fail with FILE:LINE:COLUMN and a message saying what was expected.

use std::path::PathBuf;

use kwm_ingest::{read_inputs, read_path, IngestError, ReadOptions};
use kwm_model::catalogue::{Catalogue, CatalogueFile};
use kwm_model::{Level, ValueStatus};
use kwm_testkit::repo;

fn data(rel: &str) -> PathBuf {
    repo().join("data").join(rel)
}

fn catalogue() -> Catalogue {
    let files: Vec<CatalogueFile> = ["catalogue.toml", "sources.toml", "indicators.toml"]
        .iter()
        .map(|n| CatalogueFile {
            name: n.to_string(),
            text: std::fs::read_to_string(repo().join("catalogue").join(n)).unwrap(),
        })
        .collect();
    Catalogue::parse(&files).unwrap()
}

const GM: &str = "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv";

#[test]
fn gezondheidsmonitor_statline_csv() {
    let b = read_path(&data(GM), &catalogue(), &ReadOptions::default(), None).unwrap();
    assert_eq!(b.dataset.id, "50140NED");
    assert_eq!(b.rows, 365);
    // 338 gemeenten + 25 GGD regions + NL01; CG01 is skipped and says so.
    assert_eq!(b.regions.len(), 364);
    assert!(b.notes.iter().any(|n| n.contains("CG01")), "{:?}", b.notes);
    assert_eq!(b.indicators.len(), 148);
    let nl = |id: &str| {
        b.observations
            .iter()
            .find(|o| o.indicator.as_str() == id && o.region.as_str() == "NL01")
            .unwrap()
    };
    // Published reference values (PROVENANCE.md): NL01 MoeiteMetRondkomen 28.3, GoedErvarenGezondheid 63.8.
    assert_eq!(nl("jv_moeite_met_rondkomen").value, Some(28.3));
    assert_eq!(nl("jv_goed_ervaren_gezondheid").value, Some(63.8));
    // 11,597 of 54,020 indicator cells are empty (suppressed); one row (CG01) of 148 cells is skipped.
    let cg01_empty = 0; // counted below from the file itself
    let text = std::fs::read_to_string(data(GM)).unwrap();
    let cg01_cells: Vec<&str> = text
        .lines()
        .find(|l| l.contains(";CG01"))
        .unwrap()
        .split(';')
        .skip(4)
        .collect();
    let cg01_suppressed = cg01_cells.iter().filter(|c| c.trim().is_empty()).count() + cg01_empty;
    let suppressed = b
        .observations
        .iter()
        .filter(|o| o.status == ValueStatus::Suppressed)
        .count();
    assert_eq!(suppressed + cg01_suppressed, 11_597);
    assert_eq!(b.observations.len() + 148, 54_020);
}

#[test]
fn kwb_2024_with_data_properties() {
    let b = read_inputs(
        &[
            data("kwb/85984NED_DataProperties.json"),
            data("kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv"),
        ],
        &catalogue(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(b.len(), 1, "DataProperties is metadata, not a load");
    let b = &b[0];
    assert_eq!(
        b.regions
            .iter()
            .filter(|r| r.code.level() == Level::Gemeente)
            .count(),
        342
    );
    assert_eq!(
        b.regions
            .iter()
            .filter(|r| r.code.level() == Level::Wijk)
            .count(),
        3393
    );
    let amsterdam = b
        .observations
        .iter()
        .find(|o| o.indicator.as_str() == "kwb_aantal_inwoners" && o.region.as_str() == "GM0363")
        .unwrap();
    assert!(amsterdam.value.unwrap() > 900_000.0);
    // Uncurated columns get DataProperties titles and units.
    let area = b
        .indicators
        .iter()
        .find(|i| i.id.as_str() == "kwb_oppervlakte_water")
        .unwrap();
    assert_eq!(
        (area.label_nl.as_str(), area.unit.as_str(), area.additive),
        ("Oppervlakte water", "ha", true)
    );
    // 37 empty densities and 3 empty dwelling stocks are suppressed, not zero (PROVENANCE.md).
    let count = |id: &str| {
        b.observations
            .iter()
            .filter(|o| o.indicator.as_str() == id && o.status == ValueStatus::Suppressed)
            .count()
    };
    assert_eq!(count("kwb_bevolkingsdichtheid"), 37);
    assert_eq!(count("kwb_woningvoorraad"), 3);
}

#[test]
fn boundaries_geojson_and_topojson() {
    let c = catalogue();
    let pdok = read_path(
        &data("boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson"),
        &c,
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(pdok.boundaries.len(), 342);
    assert!(pdok.boundaries.iter().all(|b| b.layout == 2024));
    let topo = read_path(
        &data("boundaries/gemeente_2022_cartomap_wgs84.topojson"),
        &c,
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(topo.boundaries.len(), 345);
    assert!(topo
        .regions
        .iter()
        .any(|r| r.code.as_str() == "GM0457" && r.name.as_deref() == Some("Weesp")));
    // Every decoded ring is closed and lies in the Netherlands.
    for b in &topo.boundaries {
        for p in &b.geometry.0 {
            let ring = &p.exterior().0;
            assert_eq!(ring.first(), ring.last(), "{}", b.code);
            assert!(
                ring.iter()
                    .all(|c| (3.0..7.5).contains(&c.x) && (50.5..53.8).contains(&c.y)),
                "{}",
                b.code
            );
        }
    }
}

#[test]
fn code_lists() {
    let b = read_path(
        &data("codelists/wijken_2023.csv"),
        &catalogue(),
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    let wijken = b
        .regions
        .iter()
        .filter(|r| r.code.level() == Level::Wijk)
        .count();
    assert_eq!(
        wijken, 3433,
        "3,434 wijken minus the pseudo-wijk of GM0998 Buitenland"
    );
    assert!(b.notes[0].contains("GM0998"));
    let w = b
        .regions
        .iter()
        .find(|r| r.code.as_str() == "WK036300" || r.code.as_str().starts_with("WK0363"))
        .unwrap();
    assert_eq!(w.parent.as_ref().unwrap().as_str(), "GM0363");
}

// ---- broken variants -------------------------------------------------------------------

fn broken(name: &str, bytes: &[u8]) -> IngestError {
    let dir = std::env::temp_dir().join(format!("kwm-broken-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("50140NED_TypedDataSet_broken.csv");
    std::fs::write(&path, bytes).unwrap();
    let err = read_path(&path, &catalogue(), &ReadOptions::default(), None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{}:{}:{}: ", path.display(), err.line, err.column)),
        "{err}"
    );
    err
}

fn real_lines() -> Vec<String> {
    std::fs::read_to_string(data(GM))
        .unwrap()
        .split('\n')
        .map(str::to_string)
        .collect()
}

#[test]
fn truncated_row() {
    let mut lines = real_lines();
    lines[10] = lines[10].split(';').take(40).collect::<Vec<_>>().join(";");
    let err = broken("truncated", lines.join("\n").as_bytes());
    assert_eq!(err.line, 11);
    assert!(
        err.message.contains("expected 152 fields") && err.message.contains("found 40"),
        "{err}"
    );
}

#[test]
fn wrong_delimiter() {
    let text = real_lines().join("\n").replace(';', "\t");
    let err = broken("delimiter", text.as_bytes());
    assert_eq!((err.line, err.column), (1, 1));
    assert!(
        err.message.contains("region column") && err.message.contains("delimiter"),
        "{err}"
    );
}

#[test]
fn latin1_bytes() {
    let mut bytes = real_lines().join("\n").into_bytes();
    // Put an 'é' encoded as Latin-1 (0xE9) into line 5.
    let pos = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(3)
        .unwrap()
        .0
        + 1;
    bytes.insert(pos + 2, 0xE9);
    let err = broken("latin1", &bytes);
    assert_eq!((err.line, err.column), (5, 3));
    assert!(
        err.message.contains("UTF-8") && err.message.contains("0xE9"),
        "{err}"
    );
}

#[test]
fn bad_region_code() {
    let mut lines = real_lines();
    lines[20] = lines[20].replacen("GM", "GX", 1);
    let err = broken("code", lines.join("\n").as_bytes());
    assert_eq!((err.line, err.column), (21, 4));
    assert!(
        err.message.contains("expected a region code") && err.message.contains("GX"),
        "{err}"
    );
}

#[test]
fn non_numeric_value() {
    let mut lines = real_lines();
    let mut cells: Vec<String> = lines[30].split(';').map(str::to_string).collect();
    cells[6] = "veel".into();
    lines[30] = cells.join(";");
    let err = broken("number", lines.join("\n").as_bytes());
    assert_eq!((err.line, err.column), (31, 7));
    assert!(
        err.message.contains("expected a number")
            && err.message.contains("'veel'")
            && err.message.contains("HeeftSchulden_3"),
        "{err}"
    );
}

#[test]
fn duplicate_key() {
    let mut lines = real_lines();
    let dup = lines[40].clone();
    lines.insert(41, dup);
    let err = broken("duplicate", lines.join("\n").as_bytes());
    assert_eq!(err.line, 42);
    assert!(err.message.contains("duplicate of line 41"), "{err}");
}

#[test]
fn long_csv_errors_are_located() {
    let dir = std::env::temp_dir().join(format!("kwm-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "region,period,indicator,value\nGM0363,2024,x_a,1\nGM0363,2024,x_a,2\n",
            3,
            1,
            "duplicate of line 2",
        ),
        (
            "region,period,indicator,value\nGM0363,20x4,x_a,1\n",
            2,
            2,
            "expected a year",
        ),
        (
            "region,period,indicator,value\nGM0363,2024,X-A,1\n",
            2,
            3,
            "expected an indicator id",
        ),
        (
            "region,period,indicator,value,lower,upper\nGM0363,2024,x_a,5,6,4\n",
            2,
            5,
            "lower ≤ upper",
        ),
        (
            "region,period,indicator,value,colour\nGM0363,2024,x_a,5,red\n",
            1,
            5,
            "found 'colour'",
        ),
    ];
    for (i, (text, line, col, msg)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.csv"));
        std::fs::write(&path, text).unwrap();
        let err = read_path(&path, &catalogue(), &ReadOptions::default(), None).unwrap_err();
        assert_eq!((err.line, err.column), (*line, *col), "{err}");
        assert!(err.message.contains(msg), "{err}");
    }
}
