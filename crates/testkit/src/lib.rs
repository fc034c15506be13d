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
