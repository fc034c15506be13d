//! The risk model's API: characteristics, themes and the matrix, groups (from the catalogue),
//! stacking per area, a region's theme profile, and data coverage (from stored results).
//! Handlers parse, call one monitor function or read the catalogue, and shape JSON.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kwm_engine::stacking::{TermTrace, ThemeDriver};
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{CandidateGroup, Definition, Factor, FactorKind, Group, MethodParams};
use kwm_monitor::composite::CompositeSummary;
use kwm_monitor::query;
use kwm_monitor::risk::{self, CoverageStatus, RankInterval, RunInfo};
use serde::Serialize;
use serde_json::{json, Value};

use crate::api::{
    api_params, csv_response, joined, opt, source_title, ApiParams, ApiQuery, Label, NoParams,
};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::labels;
use crate::state::AppState;

fn label(nl: &str, en: &str) -> Label {
    Label {
        nl: nl.to_string(),
        en: en.to_string(),
    }
}

/// The rules every stacking answer states, so that a number can be read without the docs.
pub(crate) fn rules(m: &MethodParams) -> Value {
    json!({
        "indicator_percentile": "per indicator: PERCENTRANK.INC of the direction-aligned value (rounded to the indicator's decimals) among regions with a value, 4 decimals",
        "score": "weighted mean of the indicator percentiles of a characteristic",
        "missing_indicators": format!("a region missing indicators is scored on the others (weights renormalised) only when their weights add up to at least {}; otherwise the characteristic has no score there; nothing is imputed", m.min_available_weight),
        "percentile": format!("PERCENTRANK.INC × 100 of the score among regions with a score, rounded to {} decimal(s)", m.percentile_decimals),
        "flag": format!("flagged when the displayed percentile is at least {} (the same rounded number is shown and compared)", m.threshold),
        "stacking": "number of flagged risk characteristics, out of those with a score in the region; protective factors are flagged when weak and never counted in it",
        "themes": "exposure = mean of the region's characteristic percentiles weighted by the characteristic × theme matrix, over characteristics with a score; coverage = share of the theme's matrix weight measured",
        "composite": format!(
            "the characteristic scores normalised ({}), weighted ({}) and aggregated ({}), when at least {} of the characteristics with data at the level have a score; rank 1 = most vulnerable; see run.composite_method",
            m.composite.normalisation.as_str(),
            m.composite.weighting.as_str(),
            m.composite.aggregation.as_str(),
            m.composite_min_share
        ),
        "rank_interval": format!(
            "median and 5th–95th percentile (90%) of the composite rank over Monte Carlo runs that draw the normalisation, weighting, aggregation and noisy weights (N = {}, seed {}); see /api/composite",
            m.uncertainty.runs, m.uncertainty.seed
        ),
    })
}

/// The composite's method as every stacking answer names it.
pub(crate) fn composite_method_json(c: &Catalogue, s: &CompositeSummary) -> Value {
    json!({
        "choices": s.method,
        "label": both(|l| labels::method(l, s.method)),
        "description": s.description,
        "spec": s.spec,
        "weights": s.weights.iter().map(|(id, w)| json!({
            "characteristic": id,
            "label": both(|l| labels::variable(l, c, id)),
            "weight": w,
        })).collect::<Vec<_>>(),
    })
}

/// A label in both languages, made by one function of the language.
pub(crate) fn both(f: impl Fn(Lang) -> String) -> Label {
    Label {
        nl: f(Lang::Nl),
        en: f(Lang::En),
    }
}

/// A risk-model run as every stacking answer names it: id, versions, layout, staleness, method.
pub(crate) fn run_json(c: &Catalogue, run: &RunInfo) -> Value {
    json!({
        "id": run.record.id,
        "catalogue_version": run.record.catalogue_version,
        "fingerprint": run.record.fingerprint,
        "computed_at": run.record.computed_at,
        "layout": run.record.layout,
        "stale": run.stale,
        "method": run.method,
        "composite_method": run
            .summary
            .composite
            .as_ref()
            .map(|s| composite_method_json(c, s)),
    })
}

fn interval_json(i: Option<RankInterval>) -> Value {
    match i {
        Some(i) => json!({"median": i.median, "lower": i.lower, "upper": i.upper}),
        None => Value::Null,
    }
}

#[derive(Serialize)]
struct TermDto {
    indicator: String,
    plus: Vec<String>,
    per: Option<String>,
    weight: f64,
    direction: &'static str,
    decimals: u8,
}

fn definition_json(d: &Definition) -> Value {
    json!({
        "levels": d.levels.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "population": label(&d.population, &d.population_en),
        "proxy": d.proxy,
        "note": label(&d.note_nl, &d.note_en),
        "terms": d.terms.iter().map(|t| TermDto {
            indicator: t.indicator.to_string(),
            plus: t.plus.iter().map(|p| p.to_string()).collect(),
            per: t.per.as_ref().map(|p| p.to_string()),
            weight: t.weight,
            direction: t.direction.as_str(),
            decimals: t.decimals,
        }).collect::<Vec<_>>(),
    })
}

fn factor_json(c: &Catalogue, f: &Factor) -> Value {
    let mut v = json!({
        "id": f.id,
        "kind": f.kind.as_str(),
        "label": label(&f.label_nl, &f.label_en),
        "description": label(&f.description_nl, &f.description_en),
        "gap_note": label(&f.gap_note_nl, &f.gap_note_en),
        "definitions": f.definitions.iter().map(definition_json).collect::<Vec<_>>(),
    });
    if c.risk.characteristics.iter().any(|x| x.id == f.id) {
        let themes: BTreeMap<&str, u8> = c
            .risk
            .themes
            .iter()
            .map(|t| (t.id.as_str(), c.risk.matrix_value(&f.id, &t.id)))
            .collect();
        v["themes"] = json!(themes);
    }
    v
}

/// `GET /api/characteristics`
pub async fn characteristics(
    State(state): State<AppState>,
    _: ApiQuery<NoParams>,
) -> Result<Response, ApiError> {
    let c = state.catalogue();
    Ok(Json(json!({
        "catalogue": c.version,
        "method": c.risk.method,
        "characteristics": c.risk.characteristics.iter().map(|f| factor_json(c, f)).collect::<Vec<_>>(),
        "protective_factors": c.risk.protective.iter().map(|f| factor_json(c, f)).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// What the matrix is and is not, stated with every answer that carries it.
pub(crate) const MATRIX_NOTE: &str = "Possible correlations, not causes (0 = hardly, 1 = some, 2 = clear, 3 = strong). The report's Table 1 lost its cell values; this default is derived from the report's prose and is editable in catalogue/themes.toml.";

/// `GET /api/themes`
pub async fn themes(
    State(state): State<AppState>,
    _: ApiQuery<NoParams>,
) -> Result<Response, ApiError> {
    let c = state.catalogue();
    Ok(Json(json!({
        "catalogue": c.version,
        "themes": c.risk.themes.iter().map(|t| json!({
            "id": t.id,
            "label": label(&t.label_nl, &t.label_en),
            "description": label(&t.description_nl, &t.description_en),
            "matrix": c.risk.characteristics.iter().map(|f| (f.id.clone(), c.risk.matrix_value(&f.id, &t.id))).collect::<BTreeMap<_, _>>(),
        })).collect::<Vec<_>>(),
        "matrix": {
            "note": MATRIX_NOTE,
            "themes": c.risk.themes.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            "rows": c.risk.characteristics.iter().zip(&c.risk.matrix.values).map(|(f, row)| json!({
                "characteristic": f.id, "values": row,
            })).collect::<Vec<_>>(),
        },
    }))
    .into_response())
}

fn group_summary(g: &Group) -> Value {
    json!({
        "id": g.id,
        "number": g.number,
        "label": label(&g.label_nl, &g.label_en),
        "named_by": g.named_by,
        "status": g.status,
        "characteristics": g.characteristics,
        "themes": g.themes,
    })
}

fn candidate_json(c: &CandidateGroup) -> Value {
    json!({
        "label": label(&c.label_nl, &c.label_en),
        "proposed_in": c.proposed_in,
        "group": c.group,
        "note": label(&c.note_nl, &c.note_en),
    })
}

/// `GET /api/groups`
pub async fn groups(
    State(state): State<AppState>,
    _: ApiQuery<NoParams>,
) -> Result<Response, ApiError> {
    let c = state.catalogue();
    Ok(Json(json!({
        "catalogue": c.version,
        "sources": {
            "MSP": "Maatschappelijk Steunpakket (February 2021)",
            "NndC": "Nederland na de Crisis",
            "KNAW": "study of the KNAW",
            "Dept": "ministries",
            "Veld": "field parties",
        },
        "groups": c.risk.groups.iter().map(group_summary).collect::<Vec<_>>(),
        "candidates": c.risk.candidates.iter().map(candidate_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

api_params!(
    /// The query parameters of `GET /api/groups/{id}`.
    GroupParams { level, period, gemeente }
);

/// `GET /api/groups/{id}?level=&period=&gemeente=`: the group, and the areas where its
/// characteristics are flagged (when stacking results exist for the level); with `gemeente`,
/// only that gemeente's wijken or buurten.
pub async fn group(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<GroupParams>,
) -> Result<Response, ApiError> {
    let (level, period) = (p.level()?, p.period()?);
    let gemeente = p
        .get("gemeente")
        .filter(|g| !g.is_empty())
        .map(query::parse_region)
        .transpose()?;
    let cut = gemeente.is_some();
    let Some(g) = state.catalogue().risk.group(&id).cloned() else {
        return Err(ApiError::not_found(format!(
            "unknown group '{id}'; see /api/groups"
        )));
    };
    let catalogue = state.catalogue().clone();
    let group_id = g.id.clone();
    let areas = state
        .query(move |s| {
            match risk::group_areas(s, &catalogue, &group_id, level, period, gemeente.as_ref()) {
                Ok(a) => Ok(Ok(a)),
                // No results for this level is an answer about areas, not an error about the group.
                Err(kwm_monitor::MonitorError::NotFound(m)) if period.is_none() && !cut => {
                    Ok(Err(m))
                }
                Err(e) => Err(e),
            }
        })
        .await?;
    let mut v = group_summary(&g);
    v["description"] = json!(label(&g.description_nl, &g.description_en));
    v["policies"] = json!(g.policies);
    v["directorates"] = json!(g.directorates);
    v["data_sources"] = json!(g.data_sources);
    v["indicators"] = json!(g
        .indicators
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>());
    // The recommendations of the policy agenda that address the group (agenda.toml).
    v["recommendations"] = json!(state
        .catalogue()
        .agenda
        .for_group(&g.id)
        .iter()
        .map(|r| json!({"id": r.id, "number": r.number, "label": label(&r.label_nl, &r.label_en)}))
        .collect::<Vec<_>>());
    v["candidates"] = json!(state
        .catalogue()
        .risk
        .candidates
        .iter()
        .filter(|c| c.group.as_deref() == Some(g.id.as_str()))
        .map(candidate_json)
        .collect::<Vec<_>>());
    v["areas"] = match areas {
        Ok(a) => json!({
            "note": "Areas where characteristics typical of the group are flagged. This says nothing about where members of the group live; the monitor never identifies persons.",
            "level": level.as_str(),
            "gemeente": a.within.as_ref().map(|w| w.gemeente.to_string()),
            "period": a.run.record.period,
            "run": run_json(state.catalogue(), &a.run),
            "measured": a.measured,
            "gaps": a.gaps,
            "populations": a.populations,
            "group_population": g.population,
            "regions": a.areas.iter().map(|x| json!({"code": x.code.to_string(), "name": x.name, "flagged": x.flagged})).collect::<Vec<_>>(),
        }),
        Err(message) => json!({ "note": message, "level": level.as_str(), "regions": [] }),
    };
    Ok(Json(v).into_response())
}

api_params!(
    /// The query parameters of `GET /api/stacking`.
    StackingParams { level, period, gemeente, format }
);

/// `GET /api/stacking?level=&period=&gemeente=&format=`
pub async fn stacking(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<StackingParams>,
) -> Result<Response, ApiError> {
    let (level, period, csv) = (p.level()?, p.period()?, p.csv()?);
    let gemeente = p
        .get("gemeente")
        .filter(|g| !g.is_empty())
        .map(query::parse_region)
        .transpose()?;
    let catalogue = state.catalogue().clone();
    let (s, within) = state
        .query(move |store| {
            let mut s = risk::stacking(store, &catalogue, level, period)?;
            let within = match &gemeente {
                Some(gm) => Some(risk::stacking_within(store, &mut s, gm)?),
                None => None,
            };
            Ok((s, within))
        })
        .await?;
    if csv {
        let rows = s
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.code.to_string(),
                    r.name.clone().unwrap_or_default(),
                    r.flagged.to_string(),
                    r.with_data.to_string(),
                    r.flagged_ids.join(" "),
                    r.weak_protective.to_string(),
                    r.protective_with_data.to_string(),
                    opt(r.composite),
                    r.composite_rank.map(|x| x.to_string()).unwrap_or_default(),
                    opt(r.composite_percentile),
                    opt(r.rank_interval.map(|i| i.median)),
                    opt(r.rank_interval.map(|i| i.lower)),
                    opt(r.rank_interval.map(|i| i.upper)),
                ]
            })
            .collect();
        return Ok(csv_response(
            &match &within {
                Some(w) => format!("stapeling_{}_{}_{}.csv", s.level, w.gemeente, s.period),
                None => format!("stapeling_{}_{}.csv", s.level, s.period),
            },
            &[
                "code",
                "name",
                "flagged",
                "with_data",
                "flagged_characteristics",
                "weak_protective",
                "protective_with_data",
                "composite",
                "composite_rank",
                "composite_percentile",
                "rank_median",
                "rank_lower",
                "rank_upper",
            ],
            rows,
        ));
    }
    let c = state.catalogue();
    let factor_label = |id: &str| {
        c.risk
            .factor(id)
            .map_or_else(|| label(id, id), |f| label(&f.label_nl, &f.label_en))
    };
    Ok(Json(json!({
        "level": s.level.as_str(),
        "period": s.period,
        "periods": s.periods,
        "run": run_json(c, &s.run),
        "rules": rules(&s.run.method),
        "characteristics": s.characteristics.iter().map(|(id, has)| json!({
            "id": id, "label": factor_label(id), "has_data": has,
        })).collect::<Vec<_>>(),
        // Cut to a gemeente, the distribution is its regions'; ranks, percentiles and flags
        // stay national, and `within` says so.
        "distribution": within.as_ref().map_or(&s.run.summary.distribution, |w| &w.distribution).iter().enumerate().map(|(k, n)| json!({"flagged": k, "regions": n})).collect::<Vec<_>>(),
        "no_data": within.as_ref().map_or(s.run.summary.no_data, |w| w.no_data),
        "within": within.as_ref().map(|w| json!({
            "gemeente": w.gemeente.to_string(),
            "name": w.name,
            "note": "the regions of one gemeente; ranks, percentiles, flags and thresholds are those of the whole country",
        })),
        "regions": s.rows.iter().map(|r| json!({
            "code": r.code.to_string(),
            "name": r.name,
            "flagged": r.flagged,
            "with_data": r.with_data,
            "flagged_characteristics": r.flagged_ids,
            "weak_protective": r.weak_protective,
            "protective_with_data": r.protective_with_data,
            "composite": r.composite,
            "composite_rank": r.composite_rank,
            "composite_percentile": r.composite_percentile,
            "rank_interval": interval_json(r.rank_interval),
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

fn trace_json(c: &Catalogue, t: &TermTrace) -> Value {
    let ind = c
        .indicators
        .iter()
        .find(|i| i.indicator.id.as_str() == t.indicator);
    json!({
        "indicator": t.indicator,
        "label": ind.map(|i| label(&i.indicator.label_nl, &i.indicator.label_en)),
        "inputs": t.inputs,
        "value": t.value,
        "rank": t.rank,
        "ranked": t.ranked,
        "percentile": t.percentile,
        "weight": t.weight,
        "effective_weight": t.effective_weight,
    })
}

fn driver_json(c: &Catalogue, d: &ThemeDriver) -> Value {
    let f = c.risk.factor(&d.characteristic);
    json!({
        "characteristic": d.characteristic,
        "label": f.map(|f| label(&f.label_nl, &f.label_en)),
        "matrix_value": d.weight,
        "percentile": d.percentile,
        "flagged": d.flagged,
        "contribution": d.contribution,
    })
}

api_params!(
    /// The query parameters of `GET /api/regions/{code}/themes`.
    RegionThemesParams { period, format, table, kind, characteristic }
);

/// `GET /api/regions/{code}/themes?period=&format=&table=&kind=&characteristic=`: a region's
/// theme profile as JSON, or one of its tables as CSV (`table=themes`, `characteristics`
/// (`kind=risk|protective` keeps one kind) or `indicators` (`characteristic=` keeps one)).
pub async fn region_themes(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(p): ApiQuery<RegionThemesParams>,
) -> Result<Response, ApiError> {
    let code = query::parse_region(&code)?;
    let (period, csv) = (p.period()?, p.csv()?);
    let catalogue = state.catalogue().clone();
    let r = state
        .query(move |s| risk::region_risk(s, &catalogue, &code, period))
        .await?;
    let c = state.catalogue();
    let level = r.code.level();
    if csv {
        return region_themes_csv(c, &r, &p);
    }
    Ok(Json(json!({
        "region": { "code": r.code.to_string(), "name": r.name, "level": level.as_str() },
        "period": r.run.record.period,
        "periods": r.periods,
        "run": run_json(c, &r.run),
        "rules": rules(&r.run.method),
        "stacking": {
            "flagged": r.flagged, "with_data": r.with_data,
            "weak_protective": r.weak_protective, "protective_with_data": r.protective_with_data,
        },
        "composite": {
            "value": r.composite, "rank": r.composite_rank, "ranked": r.composite_ranked, "percentile": r.composite_percentile,
            "rank_interval": interval_json(r.rank_interval),
            "ranks_by_method": r.method_ranks.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<BTreeMap<_, _>>(),
        },
        // The report's groups as they show here (areas, never members): see the themes page.
        "groups": risk::groups_of_area(c, &r).iter().map(|g| json!({
            "group": g.group, "flagged": g.flagged, "measured": g.measured, "gaps": g.gaps,
        })).collect::<Vec<_>>(),
        "themes": r.themes.iter().map(|t| {
            let theme = c.risk.theme(&t.id);
            json!({
                "id": t.id,
                "label": theme.map(|x| label(&x.label_nl, &x.label_en)),
                "exposure": t.exposure, "rank": t.rank, "ranked": t.ranked,
                "coverage": t.coverage, "flagged_weight": t.flagged_weight,
                "drivers": t.drivers.iter().map(|d| driver_json(c, d)).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "characteristics": r.factors.iter().map(|f| {
            let factor = c.risk.factor(&f.id);
            let def = factor.and_then(|x| x.definition_at(level, r.run.record.period));
            json!({
                "id": f.id,
                "kind": f.kind.as_str(),
                "label": factor.map(|x| label(&x.label_nl, &x.label_en)),
                "gap": f.gap,
                "population": def.map(|d| label(&d.population, &d.population_en)),
                "proxy": def.is_some_and(|d| d.proxy),
                "score": f.score, "rank": f.rank, "ranked": f.ranked,
                "percentile": f.percentile, "flagged": f.flagged,
                "indicators": f.terms.iter().map(|t| trace_json(c, t)).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
    }))
    .into_response())
}

api_params!(
    /// The query parameters of `GET /api/coverage`.
    CoverageParams { level }
);

/// `GET /api/coverage?level=`
pub async fn coverage(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<CoverageParams>,
) -> Result<Response, ApiError> {
    let level = p
        .get("level")
        .map(query::parse_level)
        .transpose()
        .map_err(ApiError::from)?;
    let catalogue = state.catalogue().clone();
    let cov = state
        .query(move |s| risk::coverage(s, &catalogue, level))
        .await?;
    let c = state.catalogue();
    // Per column: how many risk characteristics are measured, in all and per population, so
    // that nobody reads "9 measured" without knowing about whom.
    let summary: Vec<Value> = cov
        .columns
        .iter()
        .enumerate()
        .map(|(i, (l, p))| {
            let measured: Vec<&risk::CoverageCell> = cov
                .rows
                .iter()
                .filter(|r| r.kind == FactorKind::Risk)
                .map(|r| &r.cells[i])
                .filter(|cell| cell.status == CoverageStatus::Measured)
                .collect();
            let mut by_population: BTreeMap<String, usize> = BTreeMap::new();
            for cell in &measured {
                *by_population
                    .entry(cell.population_id.clone().unwrap_or_default())
                    .or_default() += 1;
            }
            json!({"level": l.as_str(), "period": p, "characteristics_measured": measured.len(), "by_population": by_population})
        })
        .collect();
    Ok(Json(json!({
        "columns": cov.columns.iter().map(|(l, p)| json!({"level": l.as_str(), "period": p})).collect::<Vec<_>>(),
        "summary": summary,
        "factors": cov.rows.iter().map(|r| json!({
            "id": r.factor,
            "kind": r.kind.as_str(),
            "gap_note": c.risk.factor(&r.factor).map(|f| label(&f.gap_note_nl, &f.gap_note_en)),
            "cells": r.cells.iter().map(|c| json!({
                "level": c.level.as_str(),
                "period": c.period,
                "status": c.status,
                "gap": c.status != CoverageStatus::Measured,
                "population": c.population.as_ref().map(|(nl, en)| label(nl, en)),
                "population_id": c.population_id,
                "proxy": c.proxy,
                "indicators": c.indicators,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// Population and source columns of one characteristic at the run's level and period: whom its
/// definition's figures describe, and the sources of the indicators behind it.
pub(crate) fn factor_population_source(
    c: &Catalogue,
    r: &risk::RegionRisk,
    f: &risk::FactorView,
) -> (String, String, String) {
    let def = c
        .risk
        .factor(&f.id)
        .and_then(|x| x.definition_at(r.code.level(), r.run.record.period));
    let sources = joined(f.terms.iter().map(|t| source_title(c, &t.indicator)));
    match def {
        Some(d) => (d.population.clone(), d.population_en.clone(), sources),
        None => (
            "geen definitie op dit niveau".into(),
            "no definition at this level".into(),
            sources,
        ),
    }
}

/// The tables of the themes page as CSV; the figures are those of the JSON answer.
fn region_themes_csv(
    c: &Catalogue,
    r: &risk::RegionRisk,
    p: &impl ApiParams,
) -> Result<Response, ApiError> {
    let period = r.run.record.period;
    let head = |rest: &[&'static str]| {
        let mut h = vec!["region", "region_name", "period"];
        h.extend_from_slice(rest);
        h
    };
    let lead = || {
        vec![
            r.code.to_string(),
            r.name.clone().unwrap_or_default(),
            period.to_string(),
        ]
    };
    let computed = format!(
        "Kwetsbaarheidsmonitor, risicomodel (berekend {})",
        r.run.record.computed_at
    );
    let factor = |id: &str| r.factors.iter().find(|f| f.id == id);
    let table = p.get("table").unwrap_or("themes");
    let (name, header, rows): (&str, Vec<&str>, Vec<Vec<String>>) = match table {
        "themes" => (
            "themes",
            head(&[
                "theme",
                "label_nl",
                "label_en",
                "exposure",
                "rank",
                "ranked",
                "coverage",
                "population_nl",
                "population_en",
                "source",
            ]),
            r.themes
                .iter()
                .map(|t| {
                    let theme = c.risk.theme(&t.id);
                    // A theme's exposure mixes the populations of the characteristics behind
                    // it: all of them are named.
                    let drivers: Vec<_> = t
                        .drivers
                        .iter()
                        .filter_map(|d| factor(&d.characteristic))
                        .map(|f| factor_population_source(c, r, f))
                        .collect();
                    let mut row = lead();
                    row.extend([
                        t.id.clone(),
                        theme.map(|x| x.label_nl.clone()).unwrap_or_default(),
                        theme.map(|x| x.label_en.clone()).unwrap_or_default(),
                        opt(t.exposure),
                        t.rank.map(|k| k.to_string()).unwrap_or_default(),
                        t.ranked.to_string(),
                        t.coverage.to_string(),
                        joined(drivers.iter().map(|d| d.0.clone())),
                        joined(drivers.iter().map(|d| d.1.clone())),
                        format!(
                            "{computed}; {}",
                            joined(drivers.iter().map(|d| d.2.clone()))
                        ),
                    ]);
                    row
                })
                .collect(),
        ),
        "characteristics" => {
            let kind = match p.get("kind") {
                None | Some("") => None,
                Some("risk") => Some(FactorKind::Risk),
                Some("protective") => Some(FactorKind::Protective),
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "expected kind risk or protective, found '{other}'"
                    )))
                }
            };
            (
                "characteristics",
                head(&[
                    "characteristic",
                    "kind",
                    "label_nl",
                    "label_en",
                    "population_nl",
                    "population_en",
                    "proxy",
                    "gap",
                    "score",
                    "rank",
                    "ranked",
                    "percentile",
                    "flagged",
                    "source",
                ]),
                r.factors
                    .iter()
                    .filter(|f| kind.is_none_or(|k| f.kind == k))
                    .map(|f| {
                        let def = c.risk.factor(&f.id);
                        let (pop_nl, pop_en, sources) = factor_population_source(c, r, f);
                        let proxy = def
                            .and_then(|x| x.definition_at(r.code.level(), period))
                            .is_some_and(|d| d.proxy);
                        let mut row = lead();
                        row.extend([
                            f.id.clone(),
                            f.kind.as_str().to_string(),
                            def.map(|x| x.label_nl.clone()).unwrap_or_default(),
                            def.map(|x| x.label_en.clone()).unwrap_or_default(),
                            pop_nl,
                            pop_en,
                            proxy.to_string(),
                            f.gap.to_string(),
                            opt(f.score),
                            f.rank.map(|k| k.to_string()).unwrap_or_default(),
                            f.ranked.to_string(),
                            opt(f.percentile),
                            f.flagged.to_string(),
                            format!("{computed}; {sources}"),
                        ]);
                        row
                    })
                    .collect(),
            )
        }
        "indicators" => {
            let only = p.get("characteristic").filter(|s| !s.is_empty());
            if let Some(id) = only {
                if factor(id).is_none() {
                    return Err(ApiError::bad_request(format!(
                        "unknown characteristic '{id}'"
                    )));
                }
            }
            (
                "indicators",
                head(&[
                    "characteristic",
                    "indicator",
                    "label_nl",
                    "label_en",
                    "population_nl",
                    "population_en",
                    "source",
                    "value",
                    "rank",
                    "ranked",
                    "percentile",
                    "weight",
                    "effective_weight",
                ]),
                r.factors
                    .iter()
                    .filter(|f| only.is_none_or(|id| f.id == id))
                    .flat_map(|f| {
                        let (pop_nl, pop_en, _) = factor_population_source(c, r, f);
                        f.terms.iter().map(move |t| {
                            let ind = c
                                .indicators
                                .iter()
                                .find(|i| i.indicator.id.as_str() == t.indicator);
                            let mut row = lead();
                            row.extend([
                                f.id.clone(),
                                t.indicator.clone(),
                                ind.map(|i| i.indicator.label_nl.clone())
                                    .unwrap_or_default(),
                                ind.map(|i| i.indicator.label_en.clone())
                                    .unwrap_or_default(),
                                pop_nl.clone(),
                                pop_en.clone(),
                                source_title(c, &t.indicator),
                                opt(t.value),
                                t.rank.map(|k| k.to_string()).unwrap_or_default(),
                                t.ranked.to_string(),
                                opt(t.percentile),
                                t.weight.to_string(),
                                opt(t.effective_weight),
                            ]);
                            row
                        })
                    })
                    .collect(),
            )
        }
        "groups" => (
            "groups",
            head(&[
                "group",
                "label_nl",
                "label_en",
                "group_population",
                "flagged",
                "measured",
                "flagged_characteristics",
                "measured_characteristics",
                "gaps",
                "population_nl",
                "population_en",
                "source",
            ]),
            risk::groups_of_area(c, r)
                .iter()
                .map(|ag| {
                    let g = c.risk.group(&ag.group);
                    let measured: Vec<_> = ag
                        .measured
                        .iter()
                        .filter_map(|id| factor(id))
                        .map(|f| factor_population_source(c, r, f))
                        .collect();
                    let mut row = lead();
                    row.extend([
                        ag.group.clone(),
                        g.map(|x| x.label_nl.clone()).unwrap_or_default(),
                        g.map(|x| x.label_en.clone()).unwrap_or_default(),
                        g.and_then(|x| x.population.clone()).unwrap_or_default(),
                        ag.flagged.len().to_string(),
                        ag.measured.len().to_string(),
                        ag.flagged.join(" "),
                        ag.measured.join(" "),
                        ag.gaps.join(" "),
                        joined(measured.iter().map(|d| d.0.clone())),
                        joined(measured.iter().map(|d| d.1.clone())),
                        format!(
                            "{computed}; {}",
                            joined(measured.iter().map(|d| d.2.clone()))
                        ),
                    ]);
                    row
                })
                .collect(),
        ),
        other => {
            return Err(ApiError::bad_request(format!(
                "expected table themes, characteristics, indicators or groups, found '{other}'"
            )))
        }
    };
    Ok(csv_response(
        &format!("{}_{period}_{name}.csv", r.code),
        &header,
        rows,
    ))
}
