//! `region_sets.toml`: named lists of target areas ([`crate::agenda::RegionSet`]).

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::diag::{check_id, or_nl, Ctx};
use super::{CatalogueError, CatalogueFile};
use crate::agenda::{Area, RegionSet};
use crate::{Level, RegionCode};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegionSetsFile {
    #[serde(default)]
    region_set: Vec<RawRegionSet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegionSet {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    area: Vec<RawArea>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    name: Spanned<String>,
    gemeente: Spanned<String>,
    #[serde(default)]
    wijken: Vec<Spanned<String>>,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

/// Parses and validates `region_sets.toml`.
pub(crate) fn parse_region_sets(file: &CatalogueFile) -> Result<Vec<RegionSet>, CatalogueError> {
    let ctx = Ctx { file };
    let raw: RawRegionSetsFile = ctx.parse()?;
    let mut seen = HashSet::new();
    let mut sets = Vec::new();
    for s in raw.region_set {
        check_id(&ctx, &s.id, "region set")?;
        if !seen.insert(s.id.get_ref().clone()) {
            return Err(ctx.duplicate(&s.id, "region set"));
        }
        let mut areas = Vec::new();
        let mut names = HashSet::new();
        for a in s.area {
            if a.name.get_ref().trim().is_empty() || !names.insert(a.name.get_ref().clone()) {
                return Err(ctx.err(
                    a.name.span().start,
                    "name",
                    format!(
                        "expected a unique, non-empty area name, found '{}'",
                        a.name.get_ref()
                    ),
                ));
            }
            let gemeente = RegionCode::parse(a.gemeente.get_ref())
                .ok()
                .filter(|c| c.level() == Level::Gemeente)
                .ok_or_else(|| {
                    ctx.err(
                        a.gemeente.span().start,
                        "gemeente",
                        format!(
                            "expected a gemeente code like GM0363, found '{}'",
                            a.gemeente.get_ref()
                        ),
                    )
                })?;
            let mut wijken = Vec::new();
            for w in &a.wijken {
                let code = RegionCode::parse(w.get_ref())
                    .ok()
                    .filter(|c| c.level() == Level::Wijk)
                    .ok_or_else(|| {
                        ctx.err(
                            w.span().start,
                            "wijken",
                            format!(
                                "expected a wijk code like WK036300, found '{}'",
                                w.get_ref()
                            ),
                        )
                    })?;
                if code.gemeente().as_ref() != Some(&gemeente) {
                    return Err(ctx.err(
                        w.span().start,
                        "wijken",
                        format!(
                            "wijk {code} does not lie in the area's gemeente {gemeente} (its code says {})",
                            code.gemeente().map(|g| g.to_string()).unwrap_or_default()
                        ),
                    ));
                }
                if wijken.contains(&code) {
                    return Err(ctx.err(
                        w.span().start,
                        "wijken",
                        format!("wijk {code} is listed twice"),
                    ));
                }
                wijken.push(code);
            }
            areas.push(Area {
                name: a.name.into_inner(),
                gemeente,
                wijken,
                note_en: or_nl(a.note_en, &a.note_nl),
                note_nl: a.note_nl,
            });
        }
        sets.push(RegionSet {
            id: s.id.into_inner(),
            label_en: or_nl(s.label_en, &s.label_nl),
            label_nl: s.label_nl,
            description_en: or_nl(s.description_en, &s.description_nl),
            description_nl: s.description_nl,
            source: s.source,
            areas,
        });
    }
    Ok(sets)
}
