//! Loading the catalogue: from a directory a researcher edits, or the copy built into the binary.

use std::path::Path;

use kwm_model::catalogue::{Catalogue, CatalogueFile};

use crate::MonitorError;

/// The catalogue files built into the binary (the repository's `catalogue/` at build time).
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "catalogue.toml",
        include_str!("../../../catalogue/catalogue.toml"),
    ),
    (
        "sources.toml",
        include_str!("../../../catalogue/sources.toml"),
    ),
    (
        "indicators.toml",
        include_str!("../../../catalogue/indicators.toml"),
    ),
    (
        "warnings.toml",
        include_str!("../../../catalogue/warnings.toml"),
    ),
];

/// The built-in catalogue.
pub fn embedded() -> Result<Catalogue, MonitorError> {
    let files: Vec<CatalogueFile> = EMBEDDED
        .iter()
        .map(|(name, text)| CatalogueFile {
            name: (*name).to_string(),
            text: (*text).to_string(),
        })
        .collect();
    Ok(Catalogue::parse(&files)?)
}

/// Reads every `*.toml` file of a catalogue directory. Errors name the file (with its
/// directory), line and field.
pub fn load_dir(dir: &Path) -> Result<Catalogue, MonitorError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        MonitorError::Io(format!(
            "cannot read catalogue directory {}: {e}",
            dir.display()
        ))
    })?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| MonitorError::Io(format!("cannot read {}: {e}", path.display())))?;
            files.push(CatalogueFile {
                name: path.file_name().unwrap().to_string_lossy().to_string(),
                text,
            });
        }
    }
    Catalogue::parse(&files).map_err(|mut e| {
        e.file = dir.join(&e.file).display().to_string();
        MonitorError::Catalogue(e)
    })
}

/// The catalogue to use: `dir` when given; else `./catalogue` when it exists (a researcher
/// editing the repository's files); else the built-in copy.
pub fn resolve(dir: Option<&Path>) -> Result<(Catalogue, String), MonitorError> {
    match dir {
        Some(d) => Ok((load_dir(d)?, d.display().to_string())),
        None if Path::new("catalogue/catalogue.toml").exists() => {
            Ok((load_dir(Path::new("catalogue"))?, "catalogue".into()))
        }
        None => Ok((embedded()?, "built-in".into())),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_catalogue_is_valid() {
        let c = super::embedded().unwrap();
        assert!(c.table("50140NED").is_some());
        assert!(c.indicators.len() > 20);
    }
}
