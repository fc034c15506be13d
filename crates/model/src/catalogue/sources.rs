//! `sources.toml`: sources with their tables, the services they are fetched from and where
//! boundaries come from.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use super::diag::{known_population, Ctx};
use super::{
    default_decimals, is_source_id, BoundaryService, Catalogue, CatalogueError, CatalogueFile,
    PopulationDimension, Service, Source, SourceTable,
};

/// Reads `sources.toml` into `catalogue`.
pub(super) fn parse(file: &CatalogueFile, catalogue: &mut Catalogue) -> Result<(), CatalogueError> {
    let ctx = Ctx { file };
    let raw: RawSources = ctx.parse()?;
    for spanned in raw.service {
        let start = spanned.span().start;
        let s = spanned.into_inner();
        if !is_source_id(&s.id) {
            return Err(ctx.located(
                start,
                Some("id"),
                format!(
                    "expected a service id of lower-case letters and digits, found '{}'",
                    s.id
                ),
            ));
        }
        if catalogue.services.iter().any(|x| x.id == s.id) {
            return Err(ctx.located(
                start,
                Some("id"),
                format!("duplicate service id '{}'", s.id),
            ));
        }
        if !(s.odata_v3.starts_with("http://") || s.odata_v3.starts_with("https://")) {
            return Err(ctx.located(
                start,
                Some("odata_v3"),
                format!("expected an http(s) URL, found '{}'", s.odata_v3),
            ));
        }
        if s.row_limit == 0 {
            return Err(ctx.located(start, Some("row_limit"), "expected at least 1 row"));
        }
        catalogue.services.push(Service {
            id: s.id,
            odata_v3: s.odata_v3.trim_end_matches('/').to_string(),
            row_limit: s.row_limit,
        });
    }
    for spanned in raw.boundaries {
        let start = spanned.span().start;
        let b = spanned.into_inner();
        if !(b.items.starts_with("http://") || b.items.starts_with("https://"))
            || !b.items.contains("{year}")
        {
            return Err(ctx.located(
                start,
                Some("items"),
                format!(
                    "expected an http(s) URL with {{year}} (and {{level}}) to fill in, found '{}'",
                    b.items
                ),
            ));
        }
        catalogue.boundary_services.push(BoundaryService {
            id: b.id,
            items: b.items,
        });
    }
    let mut seen_ids = HashSet::new();
    let mut seen_tables = HashMap::new();
    for spanned in raw.source {
        let start = spanned.span().start;
        let s = spanned.into_inner();
        if !is_source_id(&s.id) {
            return Err(ctx.located(
                start,
                Some("id"),
                format!(
                    "expected a source id of lower-case letters and digits, found '{}'",
                    s.id
                ),
            ));
        }
        if !seen_ids.insert(s.id.clone()) {
            return Err(ctx.located(start, Some("id"), format!("duplicate source id '{}'", s.id)));
        }
        if !s.service.is_empty() && !catalogue.services.iter().any(|x| x.id == s.service) {
            return Err(ctx.located(
                start,
                Some("service"),
                format!(
                    "unknown service '{}' (not a [[service]] in sources.toml)",
                    s.service
                ),
            ));
        }
        let mut tables = Vec::new();
        for t in s.tables {
            if let Some(prev) = seen_tables.insert(t.table.clone(), s.id.clone()) {
                return Err(ctx.located(
                    start,
                    Some("tables"),
                    format!("table {} is already listed under source '{prev}'", t.table),
                ));
            }
            tables.push(SourceTable {
                layout: t.layout.unwrap_or(t.period),
                table: t.table,
                period: t.period,
            });
        }
        known_population(
            &ctx,
            start,
            "population",
            &s.population,
            &catalogue.populations,
        )?;
        let population_dimension = match s.population_dimension {
            None => None,
            Some(d) => {
                if d.codes.is_empty() {
                    return Err(ctx.located(
                        start,
                        Some("population_dimension.codes"),
                        "expected at least one code = population pair",
                    ));
                }
                for pop in d.codes.values() {
                    known_population(
                        &ctx,
                        start,
                        "population_dimension.codes",
                        pop,
                        &catalogue.populations,
                    )?;
                }
                Some(PopulationDimension {
                    key: d.key,
                    codes: d.codes,
                })
            }
        };
        catalogue.sources.push(Source {
            population_dimension,
            caveat_en: if s.caveat_en.is_empty() {
                s.caveat_nl.clone()
            } else {
                s.caveat_en
            },
            caveat_nl: s.caveat_nl,
            title_en: if s.title_en.is_empty() {
                s.title_nl.clone()
            } else {
                s.title_en
            },
            id: s.id,
            title_nl: s.title_nl,
            publisher: s.publisher,
            licence: s.licence,
            url: s.url,
            population: s.population,
            unit: s.unit,
            decimals: s.decimals,
            tables,
            service: s.service,
        });
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSources {
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
    #[serde(default)]
    service: Vec<Spanned<RawService>>,
    #[serde(default)]
    boundaries: Vec<Spanned<RawBoundaryService>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoundaryService {
    id: String,
    items: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: String,
    odata_v3: String,
    #[serde(default = "default_row_limit")]
    row_limit: usize,
}

fn default_row_limit() -> usize {
    10_000
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    title_nl: String,
    #[serde(default)]
    title_en: String,
    publisher: String,
    licence: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    population: String,
    population_dimension: Option<RawPopulationDimension>,
    #[serde(default)]
    unit: String,
    #[serde(default = "default_decimals")]
    decimals: u8,
    #[serde(default)]
    tables: Vec<RawTable>,
    #[serde(default)]
    caveat_nl: String,
    #[serde(default)]
    caveat_en: String,
    #[serde(default)]
    service: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    table: String,
    period: i32,
    layout: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulationDimension {
    key: String,
    codes: BTreeMap<String, String>,
}
