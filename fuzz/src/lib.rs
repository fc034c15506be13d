//! What the fuzz targets share: the product's catalogue (parsed once) and one call into the
//! ingest as `kwm ingest` makes it, with the format forced so each target reaches its parser.
//!
//! Every target checks the ingest's promises, not only "no panic": an error is located
//! (`FILE:LINE:COLUMN: message` with a line inside the file, or 0 for the whole file), and an
//! accepted batch holds only finite figures and boundary positions in WGS84 range.

use std::sync::OnceLock;

use kwm_ingest::{read_bytes_named, Format, ReadOptions};
use kwm_model::catalogue::{Catalogue, CatalogueFile};

/// The catalogue files, as the binary embeds them.
pub const CATALOGUE: &[(&str, &str)] = &[
    (
        "catalogue.toml",
        include_str!("../../catalogue/catalogue.toml"),
    ),
    (
        "populations.toml",
        include_str!("../../catalogue/populations.toml"),
    ),
    ("sources.toml", include_str!("../../catalogue/sources.toml")),
    (
        "indicators.toml",
        include_str!("../../catalogue/indicators.toml"),
    ),
    (
        "characteristics.toml",
        include_str!("../../catalogue/characteristics.toml"),
    ),
    ("themes.toml", include_str!("../../catalogue/themes.toml")),
    ("groups.toml", include_str!("../../catalogue/groups.toml")),
    ("method.toml", include_str!("../../catalogue/method.toml")),
    (
        "warnings.toml",
        include_str!("../../catalogue/warnings.toml"),
    ),
    (
        "region_sets.toml",
        include_str!("../../catalogue/region_sets.toml"),
    ),
    ("radar.toml", include_str!("../../catalogue/radar.toml")),
    ("similar.toml", include_str!("../../catalogue/similar.toml")),
    ("agenda.toml", include_str!("../../catalogue/agenda.toml")),
];

/// The product's catalogue, parsed once per process.
pub fn catalogue() -> &'static Catalogue {
    static C: OnceLock<Catalogue> = OnceLock::new();
    C.get_or_init(|| Catalogue::parse(&files()).expect("the shipped catalogue parses"))
}

/// The catalogue files as the parser takes them.
pub fn files() -> Vec<CatalogueFile> {
    CATALOGUE
        .iter()
        .map(|(name, text)| CatalogueFile {
            name: (*name).to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

/// Reads `data` as file `name` in `format` and checks the result.
pub fn ingest(name: &str, format: Format, data: &[u8]) {
    let options = ReadOptions {
        format: Some(format),
        period: Some(2024),
        ..ReadOptions::default()
    };
    match read_bytes_named(name, data, catalogue(), &options, None) {
        Ok(batch) => {
            for o in &batch.observations {
                for v in [o.value, o.lower, o.upper].into_iter().flatten() {
                    assert!(v.is_finite(), "accepted a non-finite figure {v}");
                }
            }
            for b in &batch.boundaries {
                for p in &b.geometry.0 {
                    for c in std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .flat_map(|r| &r.0)
                    {
                        assert!(
                            (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y),
                            "accepted a position outside WGS84: {c:?}"
                        );
                    }
                }
            }
        }
        Err(e) => check_error(&e, data),
    }
}

/// An error names the file and a line inside it (0: the whole file).
pub fn check_error(e: &kwm_ingest::IngestError, data: &[u8]) {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 2;
    assert!(!e.file.is_empty(), "error without a file: {e}");
    assert!(e.line <= lines, "error beyond the last line ({lines}): {e}");
    assert!(!e.message.is_empty(), "error without a message");
}
