//! `indicators.toml`: the described indicators, split per population where a source has a
//! population dimension, and their relations to counts.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use super::diag::{known_population, Ctx};
use super::{
    default_decimals, Catalogue, CatalogueError, CatalogueFile, CatalogueIndicator, Relation,
};
use crate::{Direction, Indicator, IndicatorId};

/// Reads `indicators.toml` into `catalogue`.
pub(super) fn parse(file: &CatalogueFile, catalogue: &mut Catalogue) -> Result<(), CatalogueError> {
    let ctx = Ctx { file };
    let raw: RawIndicators = ctx.parse()?;
    let mut seen = HashSet::new();
    let mut seen_keys: BTreeMap<(String, String), String> = BTreeMap::new();
    // Relations name other indicators, which may come later in the file: checked after.
    let mut pending: Vec<PendingRelation> = Vec::new();
    for spanned in raw.indicator {
        let table_start = spanned.span().start;
        let r = spanned.into_inner();
        let id = IndicatorId::new(r.id.get_ref())
            .map_err(|m| ctx.located(r.id.span().start, Some("id"), m))?;
        if !seen.insert(id.clone()) {
            return Err(ctx.located(
                r.id.span().start,
                Some("id"),
                format!("duplicate indicator id '{id}'"),
            ));
        }
        let source = catalogue
            .sources
            .iter()
            .find(|s| &s.id == r.source.get_ref())
            .ok_or_else(|| {
                ctx.located(
                    r.source.span().start,
                    Some("source"),
                    format!(
                        "unknown source '{}' (not in sources.toml)",
                        r.source.get_ref()
                    ),
                )
            })?;
        let direction = match &r.direction {
                None => return Err(ctx.located(table_start, Some("direction"), format!(
                    "indicator '{id}' has no direction: expected higher_is_worse, higher_is_better or neutral"))),
                Some(d) => Direction::parse(d.get_ref()).ok_or_else(|| ctx.located(d.span().start, Some("direction"), format!(
                    "expected higher_is_worse, higher_is_better or neutral, found '{}'", d.get_ref())))?,
            };
        for key in &r.keys {
            if let Some(other) = seen_keys.insert((source.id.clone(), key.clone()), id.to_string())
            {
                return Err(ctx.located(
                    table_start,
                    Some("keys"),
                    format!(
                        "key '{key}' of source '{}' is already mapped to indicator '{other}'",
                        source.id
                    ),
                ));
            }
        }
        if r.numerator.is_some() || r.denominator.is_some() || r.scale.is_some() {
            pending.push(PendingRelation {
                index: catalogue.indicators.len(),
                table_start,
                numerator: r.numerator.clone(),
                denominator: r.denominator.clone(),
                scale: r.scale.clone(),
            });
        }
        let population = if r.population.is_empty() {
            source.population.clone()
        } else {
            r.population.clone()
        };
        known_population(
            &ctx,
            table_start,
            "population",
            &population,
            &catalogue.populations,
        )?;
        let label_en = if r.label_en.is_empty() {
            r.label_nl.clone()
        } else {
            r.label_en.clone()
        };
        let base = CatalogueIndicator {
            indicator: Indicator {
                label_en,
                id: id.clone(),
                label_nl: r.label_nl.clone(),
                unit: r.unit.clone(),
                direction,
                source: format!("{} ({})", source.title_nl, source.publisher),
                decimals: r.decimals,
                description: r.description.clone(),
                additive: r.additive,
                curated: true,
            },
            source_id: source.id.clone(),
            keys: r.keys.clone(),
            population,
            population_code: None,
            labels: r.labels.clone(),
            relation: None,
        };
        if r.populations.is_empty() {
            catalogue.indicators.push(base);
            continue;
        }
        // Split by the source's population dimension: one indicator per population,
        // `{id}_{population}`, labelled with the population so no list can mix them up.
        let Some(dim) = &source.population_dimension else {
            return Err(ctx.located(
                table_start,
                Some("populations"),
                format!(
                    "source '{}' has no population_dimension to split '{id}' by",
                    source.id
                ),
            ));
        };
        if pending
            .last()
            .is_some_and(|p| p.index == catalogue.indicators.len())
        {
            return Err(ctx.located(
                table_start,
                Some("populations"),
                "an indicator split by population cannot have a numerator or denominator",
            ));
        }
        for pop in &r.populations {
            let Some((code, _)) = dim.codes.iter().find(|(_, p)| *p == pop) else {
                return Err(ctx.located(
                    table_start,
                    Some("populations"),
                    format!(
                        "population '{pop}' is not a code of source '{}''s dimension {}",
                        source.id, dim.key
                    ),
                ));
            };
            let split_id = IndicatorId::new(&format!("{id}_{pop}"))
                .map_err(|m| ctx.located(table_start, Some("populations"), m))?;
            if !seen.insert(split_id.clone()) {
                return Err(ctx.located(
                    table_start,
                    Some("populations"),
                    format!("duplicate indicator id '{split_id}'"),
                ));
            }
            let (short_nl, short_en) = catalogue
                .populations
                .iter()
                .find(|p| &p.id == pop)
                .map_or((pop.clone(), pop.clone()), |p| {
                    (p.short_nl.clone(), p.short_en.clone())
                });
            let mut split = base.clone();
            split.indicator.id = split_id;
            split.indicator.label_nl = format!("{} ({short_nl})", base.indicator.label_nl);
            split.indicator.label_en = format!("{} ({short_en})", base.indicator.label_en);
            split.population = pop.clone();
            split.population_code = Some(code.clone());
            catalogue.indicators.push(split);
        }
    }
    for p in pending {
        let relation = resolve_relation(&ctx, catalogue, &p)?;
        catalogue.indicators[p.index].relation = Some(relation);
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicators {
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    source: Spanned<String>,
    #[serde(default)]
    keys: Vec<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    unit: String,
    direction: Option<Spanned<String>>,
    #[serde(default = "default_decimals")]
    decimals: u8,
    #[serde(default)]
    additive: bool,
    #[serde(default)]
    population: String,
    /// Populations of the source's population dimension to split this indicator into.
    #[serde(default)]
    populations: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    labels: Vec<String>,
    numerator: Option<Spanned<String>>,
    denominator: Option<Spanned<String>>,
    scale: Option<Spanned<f64>>,
}

struct PendingRelation {
    index: usize,
    table_start: usize,
    numerator: Option<Spanned<String>>,
    denominator: Option<Spanned<String>>,
    scale: Option<Spanned<f64>>,
}

fn resolve_relation(
    ctx: &Ctx<'_>,
    catalogue: &Catalogue,
    p: &PendingRelation,
) -> Result<Relation, CatalogueError> {
    let this = &catalogue.indicators[p.index].indicator;
    let count = |field: &str, raw: &Spanned<String>| -> Result<IndicatorId, CatalogueError> {
        let id = IndicatorId::new(raw.get_ref())
            .map_err(|m| ctx.located(raw.span().start, Some(field), m))?;
        let other = catalogue.indicator(&id).ok_or_else(|| {
            ctx.located(
                raw.span().start,
                Some(field),
                format!("unknown indicator '{id}' (not in indicators.toml)"),
            )
        })?;
        if !other.indicator.additive {
            return Err(ctx.located(
                raw.span().start,
                Some(field),
                format!("'{id}' is not a count (additive = true): a rate can only be recomputed from counts"),
            ));
        }
        if id == this.id {
            return Err(ctx.located(
                raw.span().start,
                Some(field),
                format!("'{id}' cannot relate to itself"),
            ));
        }
        Ok(id)
    };
    let denominator = match &p.denominator {
        Some(d) => count("denominator", d)?,
        None => {
            return Err(ctx.located(
                p.table_start,
                Some("denominator"),
                format!(
                    "indicator '{}' names a numerator or scale but no denominator",
                    this.id
                ),
            ))
        }
    };
    let numerator = p
        .numerator
        .as_ref()
        .map(|n| count("numerator", n))
        .transpose()?;
    let scale = match &p.scale {
        Some(s) if *s.get_ref() > 0.0 && s.get_ref().is_finite() => *s.get_ref(),
        Some(s) => {
            return Err(ctx.located(
                s.span().start,
                Some("scale"),
                format!(
                    "expected a positive multiplier (100 for %, 1000 for per 1,000), found {}",
                    s.get_ref()
                ),
            ))
        }
        None if this.unit == "%" => 100.0,
        None => {
            return Err(ctx.located(
                p.table_start,
                Some("scale"),
                format!(
                    "indicator '{}' (unit '{}') needs a scale: 100 for %, 1000 for per 1,000",
                    this.id, this.unit
                ),
            ))
        }
    };
    if this.additive {
        return Err(ctx.located(
            p.table_start,
            Some("denominator"),
            format!("indicator '{}' is a count (additive); only rates have a numerator/denominator relation", this.id),
        ));
    }
    Ok(Relation {
        numerator,
        denominator,
        scale,
    })
}
