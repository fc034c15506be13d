//! Helpers shared by the integration tests of every crate (a dev-dependency only): where the
//! repository, its catalogue and its demo data are.

use std::path::{Path, PathBuf};

/// The repository root (canonical, so it can be handed to a child process in another directory).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// Files of the demo data set (`data/`), by their path below it.
pub fn data_files(names: &[&str]) -> Vec<PathBuf> {
    let data = repo().join("data");
    names.iter().map(|f| data.join(f)).collect()
}

/// The demo files that the store's conformance suite and the PostgreSQL end-to-end test load: a
/// subset of `kwm demo`'s list (code lists, boundaries, gezondheidsmonitor and KWB down to wijk),
/// in its order.
pub const CORE_DEMO_FILES: &[&str] = &[
    "codelists/gemeenten_2019.csv",
    "codelists/gemeenten_2021_provincie.csv",
    "codelists/wijken_2023.csv",
    "boundaries/provincie_2023_cartomap_wgs84.topojson",
    "boundaries/gemeente_2022_cartomap_wgs84.topojson",
    "boundaries/gemeente_2023_cartomap_wgs84.topojson",
    "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
    "gezondheidsmonitor/50140NED_TypedDataSet_22092025_192544.csv",
    "kwb/85984NED_DataProperties.json",
    "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
    "kwb/kwb_2019_gemeente_bevolking_long.csv",
];

pub mod modgraph;
