//! `populations.toml`: whom figures describe ([`super::Population`]).

use serde::Deserialize;
use toml::Spanned;

use super::diag::Ctx;
use super::{Catalogue, CatalogueError, CatalogueFile, Population};

/// Reads `populations.toml` into `catalogue`.
pub(super) fn parse(file: &CatalogueFile, catalogue: &mut Catalogue) -> Result<(), CatalogueError> {
    let ctx = Ctx { file };
    let raw: RawPopulations = ctx.parse()?;
    for spanned in raw.population {
        let start = spanned.span().start;
        let p = spanned.into_inner();
        if !is_population_id(&p.id) {
            return Err(ctx.located(
                start,
                Some("id"),
                format!(
                    "expected a population id of lower-case letters, digits and '_', found '{}'",
                    p.id
                ),
            ));
        }
        if catalogue.populations.iter().any(|q| q.id == p.id) {
            return Err(ctx.located(
                start,
                Some("id"),
                format!("duplicate population id '{}'", p.id),
            ));
        }
        let label_en = if p.label_en.is_empty() {
            p.label_nl.clone()
        } else {
            p.label_en
        };
        catalogue.populations.push(Population {
            short_nl: if p.short_nl.is_empty() {
                p.label_nl.clone()
            } else {
                p.short_nl
            },
            short_en: if p.short_en.is_empty() {
                label_en.clone()
            } else {
                p.short_en
            },
            id: p.id,
            label_nl: p.label_nl,
            label_en,
        });
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulations {
    #[serde(default)]
    population: Vec<Spanned<RawPopulation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    id: String,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    short_nl: String,
    #[serde(default)]
    short_en: String,
}

fn is_population_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
