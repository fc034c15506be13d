//! `characteristics.toml`: risk characteristics and protective factors with their per-level
//! definitions of weighted indicator terms ([`crate::risk::Factor`]).

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::diag::{check_id, known_indicator, Ctx};
use super::{CatalogueError, CatalogueIndicator};
use crate::risk::{Definition, Factor, FactorKind, Term};
use crate::{Direction, Level};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactorsFile {
    #[serde(default)]
    characteristic: Vec<Spanned<RawFactor>>,
    #[serde(default)]
    protective_factor: Vec<Spanned<RawFactor>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactor {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    gap_note_nl: String,
    #[serde(default)]
    gap_note_en: String,
    #[serde(default)]
    definition: Vec<Spanned<RawDefinition>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    levels: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    periods: Vec<i32>,
    population: Option<String>,
    #[serde(default)]
    population_en: String,
    terms: Spanned<Vec<Spanned<RawTerm>>>,
    #[serde(default)]
    proxy: bool,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    indicator: Spanned<String>,
    #[serde(default)]
    plus: Vec<Spanned<String>>,
    per: Option<Spanned<String>>,
    weight: Option<Spanned<f64>>,
    direction: Option<Spanned<String>>,
    decimals: Option<u8>,
}

/// Weights are typed by people; they sum to 1 within this tolerance (so 1/3 written as 0.3333
/// three times is refused, 0.333333333 accepted).
const WEIGHT_TOLERANCE: f64 = 1e-6;

fn parse_term(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
    spanned: Spanned<RawTerm>,
    factor_id: &str,
) -> Result<Term, CatalogueError> {
    let start = spanned.span().start;
    let raw = spanned.into_inner();
    let main = known_indicator(ctx, indicators, &raw.indicator, "terms.indicator")?;
    let mut plus = Vec::new();
    for p in &raw.plus {
        plus.push(
            known_indicator(ctx, indicators, p, "terms.plus")?
                .indicator
                .id
                .clone(),
        );
    }
    let per = match &raw.per {
        Some(p) => Some(
            known_indicator(ctx, indicators, p, "terms.per")?
                .indicator
                .id
                .clone(),
        ),
        None => None,
    };
    if !plus.is_empty() && per.is_none() {
        return Err(ctx.err(
            start,
            "terms.plus",
            "'plus' adds counts to a numerator and needs 'per' (the denominator)",
        ));
    }
    let weight = raw.weight.as_ref().ok_or_else(|| {
        ctx.err(
            start,
            "terms.weight",
            format!(
                "term '{}' of '{factor_id}' has no weight",
                raw.indicator.get_ref()
            ),
        )
    })?;
    if !(weight.get_ref().is_finite() && *weight.get_ref() > 0.0) {
        return Err(ctx.err(
            weight.span().start,
            "terms.weight",
            format!("expected a weight above 0, found {}", weight.get_ref()),
        ));
    }
    let direction = match &raw.direction {
        Some(d) => match Direction::parse(d.get_ref()) {
            Some(Direction::Neutral) | None => {
                return Err(ctx.err(
                    d.span().start,
                    "terms.direction",
                    format!(
                        "expected higher_is_worse or higher_is_better, found '{}'",
                        d.get_ref()
                    ),
                ))
            }
            Some(d) => d,
        },
        // A share of residents (per) or a neutral indicator has no direction of its own: the
        // definition must say which way is unfavourable.
        None if per.is_some() || main.indicator.direction == Direction::Neutral => {
            return Err(ctx.err(
                start,
                "terms.direction",
                format!(
                    "term '{}' of '{factor_id}' needs a direction (higher_is_worse or higher_is_better): {}",
                    raw.indicator.get_ref(),
                    if per.is_some() { "a derived share has none of its own" } else { "the indicator is neutral in indicators.toml" }
                ),
            ))
        }
        None => main.indicator.direction,
    };
    let decimals = raw.decimals.unwrap_or(if per.is_some() {
        1
    } else {
        main.indicator.decimals
    });
    Ok(Term {
        indicator: main.indicator.id.clone(),
        plus,
        per,
        weight: *weight.get_ref(),
        direction,
        decimals,
    })
}

fn parse_definition(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
    spanned: Spanned<RawDefinition>,
    factor_id: &str,
    levels_seen: &mut HashSet<(Level, Option<i32>)>,
) -> Result<Definition, CatalogueError> {
    let start = spanned.span().start;
    let raw = spanned.into_inner();
    // A level may have one definition for every period and others for named periods; no
    // period may be claimed twice.
    let period_keys: Vec<Option<i32>> = if raw.periods.is_empty() {
        vec![None]
    } else {
        raw.periods.iter().copied().map(Some).collect()
    };
    let mut levels = Vec::new();
    for l in raw.levels.get_ref() {
        let level: Level = l
            .get_ref()
            .parse()
            .map_err(|m: String| ctx.err(l.span().start, "definition.levels", m))?;
        if level == Level::Land {
            return Err(ctx.err(
                l.span().start,
                "definition.levels",
                "level 'land' has one region: there is nothing to rank it against",
            ));
        }
        for key in &period_keys {
            if !levels_seen.insert((level, *key)) {
                let when = key.map(|p| format!(" in {p}")).unwrap_or_default();
                return Err(ctx.err(
                    l.span().start,
                    "definition.levels",
                    format!("'{factor_id}' already has a definition for level {level}{when}"),
                ));
            }
        }
        levels.push(level);
    }
    if levels.is_empty() {
        return Err(ctx.err(
            raw.levels.span().start,
            "definition.levels",
            "expected at least one level",
        ));
    }
    let population = raw.population.filter(|p| !p.trim().is_empty()).ok_or_else(|| {
        ctx.err(
            start,
            "definition.population",
            format!("a definition of '{factor_id}' must say which population its figures describe (e.g. \"jongvolwassenen 16–25 jaar\")"),
        )
    })?;
    let terms_span = raw.terms.span().start;
    let mut terms = Vec::new();
    let mut seen = HashSet::new();
    for t in raw.terms.into_inner() {
        let pos = t.span().start;
        let term = parse_term(ctx, indicators, t, factor_id)?;
        let key = (term.indicator.clone(), term.per.clone(), term.plus.clone());
        if !seen.insert(key) {
            return Err(ctx.err(
                pos,
                "terms.indicator",
                format!(
                    "indicator '{}' appears twice in this definition",
                    term.indicator
                ),
            ));
        }
        terms.push(term);
    }
    if terms.is_empty() {
        return Err(ctx.err(terms_span, "definition.terms", "expected at least one term"));
    }
    let sum: f64 = terms.iter().map(|t| t.weight).sum();
    if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
        return Err(ctx.err(
            terms_span,
            "terms.weight",
            format!("the weights of '{factor_id}' sum to {sum}, expected 1"),
        ));
    }
    Ok(Definition {
        levels,
        periods: raw.periods,
        population_id: None,
        population_en: if raw.population_en.is_empty() {
            population.clone()
        } else {
            raw.population_en
        },
        population,
        terms,
        proxy: raw.proxy,
        note_nl: raw.note_nl,
        note_en: raw.note_en,
    })
}

fn parse_factor(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
    spanned: Spanned<RawFactor>,
    kind: FactorKind,
) -> Result<Factor, CatalogueError> {
    let raw = spanned.into_inner();
    check_id(ctx, &raw.id, "factor")?;
    let id = raw.id.get_ref().clone();
    let mut levels_seen = HashSet::new();
    let mut definitions = Vec::new();
    for d in raw.definition {
        definitions.push(parse_definition(ctx, indicators, d, &id, &mut levels_seen)?);
    }
    Ok(Factor {
        label_en: if raw.label_en.is_empty() {
            raw.label_nl.clone()
        } else {
            raw.label_en
        },
        id,
        kind,
        label_nl: raw.label_nl,
        description_nl: raw.description_nl,
        description_en: raw.description_en,
        definitions,
        gap_note_nl: raw.gap_note_nl,
        gap_note_en: raw.gap_note_en,
    })
}

pub(crate) fn parse_factors(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
) -> Result<(Vec<Factor>, Vec<Factor>), CatalogueError> {
    let raw: RawFactorsFile = ctx.parse()?;
    let mut seen = HashSet::new();
    let mut out = (Vec::new(), Vec::new());
    for (kind, list) in [
        (FactorKind::Risk, raw.characteristic),
        (FactorKind::Protective, raw.protective_factor),
    ] {
        for spanned in list {
            let id_span = spanned.get_ref().id.span().start;
            let id = spanned.get_ref().id.get_ref().clone();
            if !seen.insert(id.clone()) {
                return Err(ctx.err(id_span, "id", format!("duplicate factor id '{id}'")));
            }
            let factor = parse_factor(ctx, indicators, spanned, kind)?;
            match kind {
                FactorKind::Risk => out.0.push(factor),
                FactorKind::Protective => out.1.push(factor),
            }
        }
    }
    Ok(out)
}
