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
        "populations.toml",
        include_str!("../../../catalogue/populations.toml"),
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
        "characteristics.toml",
        include_str!("../../../catalogue/characteristics.toml"),
    ),
    (
        "themes.toml",
        include_str!("../../../catalogue/themes.toml"),
    ),
    (
        "groups.toml",
        include_str!("../../../catalogue/groups.toml"),
    ),
    (
        "method.toml",
        include_str!("../../../catalogue/method.toml"),
    ),
    (
        "warnings.toml",
        include_str!("../../../catalogue/warnings.toml"),
    ),
    (
        "region_sets.toml",
        include_str!("../../../catalogue/region_sets.toml"),
    ),
    ("radar.toml", include_str!("../../../catalogue/radar.toml")),
    (
        "similar.toml",
        include_str!("../../../catalogue/similar.toml"),
    ),
    (
        "agenda.toml",
        include_str!("../../../catalogue/agenda.toml"),
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
        // The report's model: 12 risk characteristics, 7 themes, a full matrix, 12 groups and
        // the 9 candidates of the sponsor meeting.
        assert_eq!(c.risk.characteristics.len(), 12);
        assert_eq!(c.risk.themes.len(), 7);
        assert!(c.risk.matrix.values.iter().all(|row| row.len() == 7));
        assert_eq!(c.risk.groups.len(), 12);
        assert_eq!(c.risk.candidates.len(), 9);
        assert_eq!(c.risk.method.threshold, 90.0);
        // Spot checks of the default matrix (DESIGN.md §5).
        assert_eq!(
            c.risk
                .matrix_value("kleine_financiele_buffer", "werk_inkomen"),
            3
        );
        assert_eq!(
            c.risk.matrix_value("laag_vertrouwen", "gezin_ontwikkeling"),
            0
        );
        // The report's agenda: 9 recommendations in 4 tasks, the follow-up's 5 overarching
        // recommendations, its table rows for herstelopgaven 1, 2, 3 and 5; the NPLV's 20 areas.
        assert_eq!(c.agenda.recommendations.len(), 9);
        assert_eq!(c.agenda.tasks.len(), 4);
        assert_eq!(c.agenda.conditions.len(), 5);
        assert_eq!(c.agenda.overarching.len(), 5);
        let opgaven: std::collections::BTreeSet<u32> = c
            .agenda
            .follow_up_rows
            .iter()
            .map(|r| r.herstelopgave)
            .collect();
        assert_eq!(opgaven.into_iter().collect::<Vec<_>>(), vec![1, 2, 3, 5]);
        assert_eq!(c.region_sets.len(), 1);
        assert_eq!(c.region_sets[0].areas.len(), 20);
        // Wmo, youth care, social assistance, and disability benefit (per gemeente only).
        assert_eq!(c.radar.supports.len(), 4);
    }

    #[test]
    fn the_embedded_files_are_the_repository_catalogue() {
        // A file added to catalogue/ but not to EMBEDDED would be silently missing from the
        // binary's built-in catalogue.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> =
            super::EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }
}
