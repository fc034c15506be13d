//! Input that the ingest used to accept and that broke what follows, or that cost too much:
//! every coordinate range-checked, rings closed, invalid polygons noted, TopoJSON without
//! `transform`, header-only files, percentages outside 0–100, and the limits on columns, field
//! length, file size and vertices. Every refusal is `FILE:LINE:COLUMN: message`.

use std::time::{Duration, Instant};

use kwm_ingest::{read_bytes_named, Format, IngestError, LoadBatch, ReadOptions};
use kwm_model::catalogue::{Catalogue, CatalogueFile};

fn catalogue() -> Catalogue {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue");
    let files: Vec<CatalogueFile> = ["catalogue.toml", "sources.toml", "indicators.toml"]
        .iter()
        .map(|n| CatalogueFile {
            name: n.to_string(),
            text: std::fs::read_to_string(dir.join(n)).unwrap(),
        })
        .collect();
    Catalogue::parse(&files).unwrap()
}

fn read(name: &str, text: &str, options: &ReadOptions) -> Result<LoadBatch, IngestError> {
    read_bytes_named(name, text.as_bytes(), &catalogue(), options, None)
}

fn layout() -> ReadOptions {
    ReadOptions {
        layout: Some(2024),
        ..ReadOptions::default()
    }
}

fn feature(code: &str, ring: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"statcode":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}"#
    )
}

fn collection(features: &[String]) -> String {
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[\n{}]}}",
        features.join(",\n")
    )
}

const SQUARE: &str = "[[4.0,52.0],[4.1,52.0],[4.1,52.1],[4.0,52.1],[4.0,52.0]]";

#[test]
fn every_position_is_range_checked_not_only_the_first() {
    let text = collection(&[
        feature("GM0001", SQUARE),
        feature(
            "GM0002",
            "[[4.0,52.0],[4.1,52.0],[1e100,52.1],[4.0,52.1],[4.0,52.0]]",
        ),
    ]);
    let e = read("b.geojson", &text, &layout()).unwrap_err();
    assert_eq!((e.line, e.column), (3, 1), "{e}");
    assert!(
        e.message
            .contains("position 3 of the outer ring of polygon 1 of GM0002"),
        "{e}"
    );
    assert!(e.message.contains("WGS84"), "{e}");
    // RD New: a position outside the Netherlands' area of validity.
    let rd = collection(&[feature(
        "GM0363",
        "[[121000,487000],[122000,487000],[122000,9999999],[121000,487000]]",
    )]);
    let e = read("rd.geojson", &rd, &layout()).unwrap_err();
    assert!(e.message.contains("RD New"), "{e}");
}

#[test]
fn an_unclosed_ring_is_refused_at_its_feature() {
    let text = collection(&[feature(
        "GM0001",
        "[[4.0,52.0],[4.1,52.0],[4.1,52.1],[4.0,52.1],[4.05,52.05]]",
    )]);
    let e = read("b.geojson", &text, &layout()).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");
    assert!(e.message.contains("closed ring"), "{e}");
}

#[test]
fn a_self_intersecting_polygon_is_loaded_with_a_note() {
    let bowtie = "[[4.0,52.0],[4.1,52.1],[4.1,52.0],[4.0,52.1],[4.0,52.0]]";
    let b = read(
        "b.geojson",
        &collection(&[feature("GM0001", SQUARE), feature("GM0002", bowtie)]),
        &layout(),
    )
    .unwrap();
    assert_eq!(b.boundaries.len(), 2);
    let note = b.notes.iter().find(|n| n.contains("not valid")).unwrap();
    assert!(
        note.contains("GM0002") && !note.contains("GM0001"),
        "{note}"
    );

    // A large ring (beyond geo's pairwise check) with a fold: found by the R-tree check, fast.
    let n = 50_000;
    let mut ring: Vec<String> = (0..n)
        .map(|i| format!("[{},52.0]", 4.0 + 0.1 * i as f64 / n as f64))
        .collect();
    ring.push("[4.1,52.1]".into());
    ring.push("[4.05,51.9]".into()); // crosses the bottom edge
    ring.push("[4.0,52.1]".into());
    ring.push("[4.0,52.0]".into());
    let started = Instant::now();
    let b = read(
        "big.geojson",
        &collection(&[feature("GM0003", &format!("[{}]", ring.join(",")))]),
        &layout(),
    )
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        b.notes.iter().any(|n| n.contains("GM0003")),
        "{:?}",
        b.notes
    );
}

#[test]
fn topojson_without_transform_is_absolute_and_quantised_arcs_without_it_are_refused() {
    let absolute = r#"{"type":"Topology","arcs":[[[4.0,52.0],[4.1,52.0],[4.1,52.1],[4.0,52.1],[4.0,52.0]]],
      "objects":{"g":{"type":"GeometryCollection","geometries":[
        {"type":"Polygon","arcs":[[0]],"properties":{"statcode":"GM0001"}}]}}}"#;
    let b = read("t.topojson", absolute, &layout()).unwrap();
    assert_eq!(b.boundaries[0].geometry.0[0].exterior().0[2].x, 4.1);
    // Quantised (delta-encoded integers) with the transform stripped.
    let quantised = r#"{"type":"Topology","arcs":[[[4000,5200],[100,0],[0,100],[-100,0],[0,-100]]],
      "objects":{"g":{"type":"GeometryCollection","geometries":[
        {"type":"Polygon","arcs":[[0]],"properties":{"statcode":"GM0001"}}]}}}"#;
    let e = read("t.topojson", quantised, &layout()).unwrap_err();
    assert!(e.message.contains("no \"transform\""), "{e}");
    assert_eq!(e.line, 3, "{e}");
    // A position of one number.
    let short = r#"{"type":"Topology","arcs":[[[4.0]]],"objects":{}}"#;
    let e = read("t.topojson", short, &layout()).unwrap_err();
    assert!(e.message.contains("at least two numbers"), "{e}");
}

#[test]
fn a_header_only_file_is_refused() {
    for (name, text) in [
        ("regions.csv", "code,name,layout\n"),
        ("long.csv", "region,period,indicator,value\r\n"),
        (
            "t_85984NED.csv",
            "WijkenEnBuurten,SoortRegio,AantalInwoners_5\n",
        ),
    ] {
        let options = ReadOptions {
            period: Some(2024),
            ..ReadOptions::default()
        };
        let e = read(name, text, &options).unwrap_err();
        assert_eq!((e.line, e.column), (2, 1), "{name}: {e}");
        assert!(e.message.contains("found none"), "{name}: {e}");
    }
}

#[test]
fn percentages_outside_0_to_100_are_noted_by_row() {
    // A long file with an indicator the catalogue gives unit %.
    let c = catalogue();
    let percent = c
        .indicators
        .iter()
        .find(|i| i.indicator.unit == "%")
        .map(|i| i.indicator.id.to_string())
        .expect("a percentage indicator in the catalogue");
    let text = format!(
        "region,period,indicator,value\nGM0003,2024,{percent},12.5\nGM0010,2024,{percent},104.2\nGM0014,2024,{percent},-3\n"
    );
    let b = read_bytes_named(
        "p.csv",
        text.as_bytes(),
        &c,
        &ReadOptions {
            format: Some(Format::Long),
            ..ReadOptions::default()
        },
        None,
    )
    .unwrap();
    let note = b
        .notes
        .iter()
        .find(|n| n.contains("outside 0–100"))
        .unwrap_or_else(|| panic!("{:?}", b.notes));
    assert!(note.starts_with("warning: 2 value(s)"), "{note}");
    assert!(
        note.contains("GM0010 2024 = 104.2") && note.contains("GM0014 2024 = -3"),
        "{note}"
    );
    assert!(!note.contains("GM0003"), "{note}");
}

#[test]
fn ten_thousand_columns_are_refused_at_once() {
    let header: Vec<String> = (0..10_000).map(|i| format!("Kolom{i}_{i}")).collect();
    let row: Vec<&str> = vec!["1"; 10_000];
    let mut text = format!("WijkenEnBuurten,SoortRegio,{}\n", header.join(","));
    for g in 1..=50 {
        text.push_str(&format!("GM{g:04},Gemeente,{}\n", row.join(",")));
    }
    let options = ReadOptions {
        period: Some(2024),
        ..ReadOptions::default()
    };
    let started = Instant::now();
    let e = read("wide_85984NED.csv", &text, &options).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!((e.line, e.column), (1, 1001), "{e}");
    assert!(
        e.to_string()
            .starts_with("wide_85984NED.csv:1:1001: expected at most 1000 columns, found 10002"),
        "{e}"
    );
}

#[test]
fn field_length_file_size_and_vertices_are_limited() {
    let mut options = ReadOptions::default();
    options.limits.max_field_bytes = 10;
    let e = read(
        "r.csv",
        "code,name,layout\nGM0003,Appingedam-en-nog-veel-meer,2019\n",
        &options,
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (2, 2), "{e}");

    let mut options = ReadOptions::default();
    options.limits.max_file_bytes = 20;
    let e = read(
        "r.csv",
        "code,name,layout\nGM0003,Appingedam,2019\n",
        &options,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("r.csv:0:0: the file has 40 bytes"),
        "{e}"
    );

    let mut options = layout();
    options.limits.max_vertices = 4;
    let e = read(
        "b.geojson",
        &collection(&[feature("GM0001", SQUARE)]),
        &options,
    )
    .unwrap_err();
    assert!(
        e.message
            .contains("at most 4 positions in one feature, found 5"),
        "{e}"
    );
}

#[test]
fn odata_json_rows_are_limited_in_fields_and_located_in_linear_time() {
    let fields: Vec<String> = (0..1_500).map(|i| format!("\"Kolom{i}_{i}\":1")).collect();
    let text = format!(
        "{{\"value\":[\n{{\"WijkenEnBuurten\":\"GM0003\",{}}}]}}",
        fields.join(",")
    );
    let options = ReadOptions {
        period: Some(2024),
        ..ReadOptions::default()
    };
    let e = read("wide_85984NED.json", &text, &options).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");
    assert!(e.message.contains("at most 1000 fields"), "{e}");

    // 40,000 rows: each located from the previous one, not from the start of the file.
    let rows: Vec<String> = (0..40_000)
        .map(|i| {
            format!(
                "{{\"WijkenEnBuurten\":\"GM{:04}\",\"SoortRegio_2\":\"Gemeente\",\"AantalInwoners_5\":{i}}}",
                i % 9000 + 1
            )
        })
        .collect();
    let text = format!("{{\"value\":[\n{}]}}", rows.join(",\n"));
    let started = Instant::now();
    let _ = read("t_85984NED.json", &text, &options);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}
