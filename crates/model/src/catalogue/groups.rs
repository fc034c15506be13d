//! `groups.toml`: the report's groups and the candidate groups.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::diag::{check_id, known_indicator, Ctx};
use super::{CatalogueError, CatalogueIndicator};
use crate::risk::{CandidateGroup, Group, RiskModel, GROUP_SOURCES};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroupsFile {
    #[serde(default)]
    group: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    candidate: Vec<Spanned<RawCandidate>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    number: u32,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    named_by: Vec<Spanned<String>>,
    status: Spanned<String>,
    #[serde(default)]
    characteristics: Vec<Spanned<String>>,
    #[serde(default)]
    themes: Vec<Spanned<String>>,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    directorates: Vec<String>,
    #[serde(default)]
    data_sources: Vec<String>,
    #[serde(default)]
    indicators: Vec<Spanned<String>>,
    population: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCandidate {
    label_nl: String,
    #[serde(default)]
    label_en: String,
    proposed_in: String,
    group: Option<Spanned<String>>,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

pub(crate) fn parse_groups(
    ctx: &Ctx<'_>,
    model: &RiskModel,
    indicators: &[CatalogueIndicator],
) -> Result<(Vec<Group>, Vec<CandidateGroup>), CatalogueError> {
    let raw: RawGroupsFile = ctx.parse()?;
    let mut groups = Vec::new();
    let mut seen = HashSet::new();
    for spanned in raw.group {
        let g = spanned.into_inner();
        check_id(ctx, &g.id, "group")?;
        if !seen.insert(g.id.get_ref().clone()) {
            return Err(ctx.duplicate(&g.id, "group"));
        }
        for s in &g.named_by {
            ctx.one_of(s, "named_by", &GROUP_SOURCES)?;
        }
        if !["bestaand", "nieuw"].contains(&g.status.get_ref().as_str()) {
            return Err(ctx.err(
                g.status.span().start,
                "status",
                format!("expected bestaand or nieuw, found '{}'", g.status.get_ref()),
            ));
        }
        for c in &g.characteristics {
            if !model.characteristics.iter().any(|f| &f.id == c.get_ref()) {
                return Err(ctx.err(
                    c.span().start,
                    "characteristics",
                    format!("unknown characteristic '{}'", c.get_ref()),
                ));
            }
        }
        for t in &g.themes {
            if model.theme(t.get_ref()).is_none() {
                return Err(ctx.err(
                    t.span().start,
                    "themes",
                    format!("unknown theme '{}'", t.get_ref()),
                ));
            }
        }
        let mut ids = Vec::new();
        for i in &g.indicators {
            ids.push(
                known_indicator(ctx, indicators, i, "indicators")?
                    .indicator
                    .id
                    .clone(),
            );
        }
        groups.push(Group {
            id: g.id.into_inner(),
            number: g.number,
            label_en: if g.label_en.is_empty() {
                g.label_nl.clone()
            } else {
                g.label_en
            },
            label_nl: g.label_nl,
            named_by: g.named_by.into_iter().map(Spanned::into_inner).collect(),
            status: g.status.into_inner(),
            characteristics: g
                .characteristics
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            themes: g.themes.into_iter().map(Spanned::into_inner).collect(),
            description_nl: g.description_nl,
            description_en: g.description_en,
            policies: g.policies,
            directorates: g.directorates,
            data_sources: g.data_sources,
            indicators: ids,
            population: g.population,
        });
    }
    let mut candidates = Vec::new();
    for spanned in raw.candidate {
        let c = spanned.into_inner();
        if let Some(g) = &c.group {
            if !groups.iter().any(|x| &x.id == g.get_ref()) {
                return Err(ctx.err(
                    g.span().start,
                    "group",
                    format!("unknown group '{}' (not a [[group]] id)", g.get_ref()),
                ));
            }
        }
        candidates.push(CandidateGroup {
            label_en: if c.label_en.is_empty() {
                c.label_nl.clone()
            } else {
                c.label_en
            },
            label_nl: c.label_nl,
            proposed_in: c.proposed_in,
            group: c.group.map(Spanned::into_inner),
            note_nl: c.note_nl,
            note_en: c.note_en,
        });
    }
    Ok((groups, candidates))
}
