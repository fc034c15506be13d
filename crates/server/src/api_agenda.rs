//! The policy agenda's and the findability radar's API: the agenda from the catalogue with the
//! headline of every recommendation's effect view, one recommendation with its effect views,
//! and the radar of a level, period and support. Handlers parse, call one monitor function and
//! shape JSON; the rules every answer states are here too, so a number can be read without the
//! docs.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kwm_engine::did::{DidEstimate, PeriodMeans};
use kwm_model::agenda::{Agenda, Recommendation, RegionSet, Text};
use kwm_model::catalogue::Catalogue;
use kwm_model::radar::{Support, UseMeasure};
use kwm_monitor::agenda::{self, EffectView, Effects};
use kwm_monitor::query;
use kwm_monitor::radar::{self, Radar, RadarOutcome, RadarQuery};
use serde_json::{json, Value};

use crate::api::{api_params, ApiParams, ApiQuery, Label, NoParams};
use crate::api_risk::run_json;
use crate::error::ApiError;
use crate::state::AppState;

fn label(nl: &str, en: &str) -> Label {
    Label {
        nl: nl.to_string(),
        en: en.to_string(),
    }
}

fn text(t: &Text) -> Label {
    label(&t.nl, &t.en)
}

/// How the effect view is computed, stated with every answer that carries one.
pub(crate) fn effect_rules(c: &Catalogue) -> Value {
    let e = &c.agenda.effect;
    json!({
        "periods": "a period (year) is before the start when it ends before the programme started, after when it begins after; the year the programme started in is left out (partly exposed)",
        "regions": format!("targets: the recommendation's region set at the level (gemeenten; wijken where the set names them); comparisons: same level, not in the set, in the targets' gemeenten at wijk level; all with at least {} residents (latest known)", e.min_population),
        "change": "per region: mean of its values after the start minus mean before; a region takes part only with a value in every period compared",
        "common_support": "comparisons whose baseline (mean before) lies outside the range of the targets' baselines are left out",
        "estimate": "mean change of the targets minus mean change of the comparisons (difference in differences; each region counts once)",
        "interval": format!("Welch t interval at {:.0}%: regions are the unit, so this is the cluster-robust interval of the region panel", 100.0 * e.confidence),
        "pre_trend": "with two or more periods before the start: the same estimate between the last period before and the earlier ones (a placebo); if its interval excludes zero the groups already drifted apart and the estimate is not trusted",
        "labels": {
            "no_periods": "fewer than two periods with figures: nothing to compare",
            "no_period_before": "figures only after the start: no baseline",
            "placebo_only": "no figures after the start yet: only the pre-trend (placebo) check, which is not an effect of the programme",
            "too_few_regions": format!("fewer than {} target or {} comparison regions with figures in every period compared: no estimate", e.min_targets, e.min_comparisons),
            "indicative": "one period before the start: an estimate, but parallel trends before the start cannot be checked",
            "estimate": "two or more periods before, one or more after, and the pre-trend check passed",
            "pre_trend_diverges": "the groups were already drifting apart before the start: the estimate is not to be trusted",
        },
        "caution": "a difference between areas over time is not proof that the programme caused it: other policy, composition changes and chance can all play a part",
    })
}

fn estimate_json(e: &DidEstimate) -> Value {
    json!({
        "before": e.before,
        "after": e.after,
        "targets": e.targets,
        "comparisons": e.comparisons,
        "outside_support": e.outside_support,
        "target_change": e.target_change,
        "comparison_change": e.comparison_change,
        "estimate": e.estimate,
        "se": e.se,
        "df": e.df,
        "lower": e.lower,
        "upper": e.upper,
        "p_value": e.p_value,
        "confidence": e.confidence,
    })
}

fn means_json(m: &PeriodMeans) -> Value {
    json!({
        "period": m.period,
        "phase": m.phase,
        "target_mean": m.target_mean,
        "targets": m.targets,
        "comparison_mean": m.comparison_mean,
        "comparisons": m.comparisons,
    })
}

fn indicator_label(c: &Catalogue, id: &str) -> Label {
    c.indicators
        .iter()
        .find(|i| i.indicator.id.as_str() == id)
        .map_or_else(
            || label(id, id),
            |i| label(&i.indicator.label_nl, &i.indicator.label_en),
        )
}

fn view_json(c: &Catalogue, v: &EffectView) -> Value {
    json!({
        "indicator": v.indicator.to_string(),
        "label": indicator_label(c, v.indicator.as_str()),
        "expect": v.expect.as_str(),
        "level": v.level.as_str(),
        "region_set": v.region_set,
        "start": v.start,
        "periods": v.periods,
        "phases": v.phases,
        "derived": v.derived,
        "status": v.result.label.as_str(),
        "targets_listed": v.targets_listed,
        "targets_matched": v.targets_matched,
        "unmatched_areas": v.unmatched_areas,
        "effect": v.result.effect.as_ref().map(estimate_json),
        "pre_trend": v.result.pre_trend.as_ref().map(estimate_json),
        "means": v.result.means.iter().map(means_json).collect::<Vec<_>>(),
        "small_regions_left_out": v.small,
        "comparison_candidates": v.comparisons.len(),
        "targets": v.targets.iter().map(|t| json!({
            "code": t.code.to_string(), "name": t.name, "area": t.area, "values": t.values,
        })).collect::<Vec<_>>(),
    })
}

fn headline_json(e: &Effects) -> Value {
    match e.headline() {
        None => Value::Null,
        Some(v) => json!({
            "indicator": v.indicator.to_string(),
            "level": v.level.as_str(),
            "status": v.result.label.as_str(),
            "estimate": v.result.effect.as_ref().map(|x| x.estimate),
            "pre_trend": v.result.pre_trend.as_ref().map(|x| x.estimate),
        }),
    }
}

fn region_set_json(s: &RegionSet) -> Value {
    json!({
        "id": s.id,
        "label": label(&s.label_nl, &s.label_en),
        "description": label(&s.description_nl, &s.description_en),
        "source": s.source,
        "areas": s.areas.iter().map(|a| json!({
            "name": a.name,
            "gemeente": a.gemeente.to_string(),
            "wijken": a.wijken.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
            "note": label(&a.note_nl, &a.note_en),
        })).collect::<Vec<_>>(),
    })
}

fn recommendation_summary(r: &Recommendation) -> Value {
    json!({
        "id": r.id,
        "number": r.number,
        "task": r.task,
        "label": label(&r.label_nl, &r.label_en),
        "summary": label(&r.summary_nl, &r.summary_en),
        "programmes": r.programmes,
        "parties": r.parties,
        "groups": r.groups,
        "characteristics": r.characteristics,
        "indicators": r.indicators.iter().map(|l| json!({"indicator": l.indicator.to_string(), "expect": l.expect.as_str()})).collect::<Vec<_>>(),
        "region_set": r.region_set,
        "start": r.start,
        "radar": r.radar,
        "sources": r.sources,
    })
}

fn follow_up_json(a: &Agenda) -> Value {
    json!({
        "date": a.follow_up.date,
        "request": label(&a.follow_up.request_nl, &a.follow_up.request_en),
        "findings": a.follow_up.findings.iter().map(text).collect::<Vec<_>>(),
        "principles": a.follow_up.principles.iter().map(text).collect::<Vec<_>>(),
        "herstelopgaven": a.herstelopgaven.iter().map(|h| json!({"number": h.number, "label": label(&h.label_nl, &h.label_en)})).collect::<Vec<_>>(),
        "overarching": a.overarching.iter().map(|o| json!({
            "number": o.number,
            "label": label(&o.label_nl, &o.label_en),
            "points": o.points.iter().map(text).collect::<Vec<_>>(),
            "programmes": o.programmes,
            "recommendations": o.recommendations,
        })).collect::<Vec<_>>(),
        "rows": a.follow_up_rows.iter().map(|r| json!({
            "herstelopgave": r.herstelopgave,
            "number": r.number,
            "label": label(&r.label_nl, &r.label_en),
            "points": r.points.iter().map(text).collect::<Vec<_>>(),
            "recommendations": r.recommendations,
            "programmes": r.programmes,
            "parties": r.parties,
            "lead": r.lead,
            "lead_note": label(&r.lead_note_nl, &r.lead_note_en),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /api/agenda`
pub async fn agenda(
    State(state): State<AppState>,
    _: ApiQuery<NoParams>,
) -> Result<Response, ApiError> {
    let catalogue = state.catalogue().clone();
    let effects = state
        .query(move |s| agenda::overview(s, &catalogue))
        .await?;
    let c = state.catalogue();
    let a = &c.agenda;
    if a.recommendations.is_empty() {
        return Err(ApiError::not_found(
            "the catalogue has no agenda (agenda.toml is missing or empty)",
        ));
    }
    let mut recommendations = Vec::new();
    for (r, (_, e)) in a.recommendations.iter().zip(&effects) {
        let mut v = recommendation_summary(r);
        v["effect"] = headline_json(e);
        recommendations.push(v);
    }
    Ok(Json(json!({
        "catalogue": c.version,
        "title": label(&a.title_nl, &a.title_en),
        "source": label(&a.source_nl, &a.source_en),
        "note": "Summaries in the monitor's own words, faithful to the sources; parties are organisations, never persons.",
        "tasks": a.tasks.iter().map(|t| json!({
            "id": t.id, "number": t.number, "chapter": t.chapter,
            "label": label(&t.label_nl, &t.label_en),
            "description": label(&t.description_nl, &t.description_en),
            "recommendations": a.recommendations.iter().filter(|r| r.task == t.id).map(|r| r.id.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "conditions": a.conditions.iter().map(|x| json!({"letter": x.letter, "text": text(&x.text)})).collect::<Vec<_>>(),
        "principles": a.principles.iter().map(text).collect::<Vec<_>>(),
        "recommendations": recommendations,
        "programmes": a.programmes.iter().map(|p| json!({
            "id": p.id, "label": label(&p.label_nl, &p.label_en), "scope": p.scope,
            "note": label(&p.note_nl, &p.note_en),
            "recommendations": a.carried_by(&p.id).iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "parties": a.parties.iter().map(|p| json!({
            "id": p.id, "label": label(&p.label_nl, &p.label_en), "kind": p.kind,
        })).collect::<Vec<_>>(),
        "follow_up": follow_up_json(a),
        "region_sets": c.region_sets.iter().map(region_set_json).collect::<Vec<_>>(),
        "effect_rules": effect_rules(c),
    }))
    .into_response())
}

/// `GET /api/agenda/{id}`
pub async fn recommendation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    _: ApiQuery<NoParams>,
) -> Result<Response, ApiError> {
    let r = agenda::recommendation(state.catalogue(), &id)?.clone();
    let catalogue = state.catalogue().clone();
    let rec = r.clone();
    let effects = state
        .query(move |s| agenda::effects(s, &catalogue, &rec))
        .await?;
    let c = state.catalogue();
    let a = &c.agenda;
    let mut v = recommendation_summary(&r);
    v["catalogue"] = json!(c.version);
    v["task"] = a.task(&r.task).map_or(
        Value::Null,
        |t| json!({"id": t.id, "number": t.number, "label": label(&t.label_nl, &t.label_en)}),
    );
    v["points"] = json!(r
        .points
        .iter()
        .map(|p| json!({"letter": p.letter, "text": label(&p.text_nl, &p.text_en)}))
        .collect::<Vec<_>>());
    v["programmes"] = json!(r
        .programmes
        .iter()
        .filter_map(|id| a.programme(id))
        .map(|p| json!({"id": p.id, "label": label(&p.label_nl, &p.label_en), "scope": p.scope, "note": label(&p.note_nl, &p.note_en)}))
        .collect::<Vec<_>>());
    v["parties"] = json!(r
        .parties
        .iter()
        .filter_map(|id| a.party(id))
        .map(|p| json!({"id": p.id, "label": label(&p.label_nl, &p.label_en), "kind": p.kind}))
        .collect::<Vec<_>>());
    v["follow_up"] = json!(a
        .rows_for(&r.id)
        .iter()
        .map(|row| json!({
            "herstelopgave": row.herstelopgave,
            "number": row.number,
            "label": label(&row.label_nl, &row.label_en),
            "programmes": row.programmes,
            "parties": row.parties,
            "lead": row.lead,
            "lead_note": label(&row.lead_note_nl, &row.lead_note_en),
        }))
        .collect::<Vec<_>>());
    v["start_note"] = json!(label(&r.start_note_nl, &r.start_note_en));
    v["link_note"] = json!(label(&r.link_note_nl, &r.link_note_en));
    v["region_set"] = r
        .region_set
        .as_ref()
        .and_then(|id| c.region_sets.iter().find(|s| &s.id == id))
        .map_or(Value::Null, region_set_json);
    v["effects"] = json!(effects
        .views
        .iter()
        .map(|x| view_json(c, x))
        .collect::<Vec<_>>());
    v["not_measured"] = json!(effects
        .not_measured
        .iter()
        .map(|n| json!({
            "indicator": n.indicator.to_string(),
            "label": indicator_label(c, n.indicator.as_str()),
            "levels_with_figures": n.levels_with_figures.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        }))
        .collect::<Vec<_>>());
    v["effect_rules"] = effect_rules(c);
    Ok(Json(v).into_response())
}

/// How the radar is computed, stated with every radar answer.
pub(crate) fn radar_rules(c: &Catalogue) -> Value {
    let p = &c.radar.params;
    json!({
        "areas": format!("areas of one level and period with a use figure, every need figure and at least {} residents", p.min_population),
        "model": format!("log-linear: ordinary least squares of log(use rate) — log(use rate + c) when some area has zero use, c half the smallest positive rate (model.log_offset) — on the need indicators and controls across those areas (each area counts once); coefficients are on the log scale (exp(b) = factor per unit); no model with fewer than {} areas", p.min_regions),
        "expected": "for every area the prediction of the model fitted without that area (leave-one-out), so its own low use does not lower its expectation; transformed back as exp(prediction) − c, so it is the median predicted use and never negative",
        "interval": format!("{:.0}% prediction interval of the leave-one-out fit on the log scale (Student t, n − p − 1 degrees of freedom), transformed back the same way (never below 0; wider above than below)", 100.0 * p.interval),
        "difference": "gap = observed − expected, in the unit of the use rate (negative: less use than expected); relative_gap = gap / expected (a fraction, same sign); gap_pct = 100 × relative_gap",
        "need_score": "mean percentile (0–100, 100 = most need) of the support's need indicators among the areas of the fit; control variables are in the model but not in the need score",
        "high_need": format!("where the risk model has stacking results at the level and period: at least {} flagged risk characteristic(s) and a need score of at least {}; otherwise a need score of at least {}", p.min_stacking, p.min_need_score, p.need_percentile),
        "candidate": "high need and observed use below the lower bound of the prediction interval",
        "certainty": "p_below: one-sided p-value of the externally studentised residual; q_below: Benjamini–Hochberg adjusted over all areas of the fit (many areas are looked at at once)",
        "persons": "areas only: the radar points outreach at areas, never at persons",
    })
}

fn support_json(c: &Catalogue, s: &Support) -> Value {
    json!({
        "id": s.id,
        "label": label(&s.label_nl, &s.label_en),
        "unit": label(&s.unit_nl, &s.unit_en),
        "measure": match &s.measure {
            UseMeasure::Rate { rate } => json!({"kind": "rate", "rate": rate.to_string()}),
            UseMeasure::Count { count, per, scale } => json!({"kind": "count", "count": count.to_string(), "per": per.to_string(), "scale": scale}),
        },
        "need": s.need.iter().map(|n| json!({
            "indicator": n.indicator.to_string(),
            "label": indicator_label(c, n.indicator.as_str()),
            "per": n.per.as_ref().map(|p| p.to_string()),
            "characteristic": n.characteristic,
            "direction": n.direction.as_str(),
        })).collect::<Vec<_>>(),
        "controls": s.controls.iter().map(|n| json!({
            "indicator": n.indicator.to_string(),
            "label": indicator_label(c, n.indicator.as_str()),
            "per": n.per.as_ref().map(|p| p.to_string()),
        })).collect::<Vec<_>>(),
        "note": label(&s.note_nl, &s.note_en),
        "levels": s.levels.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
    })
}

fn radar_json(c: &Catalogue, r: &Radar) -> Value {
    let mut v = json!({
        "level": r.level.as_str(),
        "period": r.period,
        "periods": r.periods,
        "layout": r.layout,
        "gemeente": r.gemeente.as_ref().map(|g| g.to_string()),
        "support": support_json(c, &r.support),
        "supports": r.availability.iter().map(|a| json!({
            "id": a.id,
            "label": c.radar.support(&a.id).map(|s| label(&s.label_nl, &s.label_en)),
            "periods": a.periods,
        })).collect::<Vec<_>>(),
        "need_rule": r.need_rule,
        "stacking_run": r.stacking_run.as_ref().map(|run| run_json(c, run)),
        "rules": radar_rules(c),
    });
    match &r.outcome {
        RadarOutcome::MissingData(missing) => {
            v["status"] = json!("missing_data");
            v["missing"] = json!(missing.iter().map(|m| json!({
                "indicator": m.id.to_string(),
                "label": label(&m.label_nl, &m.label_en),
                "source": m.source_title,
                "statline_tables": m.tables.iter().map(|(t, p)| json!({"table": t, "period": p})).collect::<Vec<_>>(),
                "statline_keys": m.keys,
                "column_labels": m.labels,
                "loaded_periods": m.loaded_periods,
            })).collect::<Vec<_>>());
            v["how_to_load"] = json!("download the StatLine table of the period (TypedDataSet CSV, or CSV with labels) with the columns named, then: kwm ingest --db STORE FILE; restart kwm serve. Not every edition publishes every column: without it in that year's table, the radar cannot compute that year");
        }
        RadarOutcome::NoModel(reason) => {
            v["status"] = json!("no_model");
            v["no_model"] = json!(reason);
        }
        RadarOutcome::Model(m) => {
            v["status"] = json!("model");
            let mut names = vec!["intercept".to_string()];
            names.extend(
                r.support
                    .need
                    .iter()
                    .chain(&r.support.controls)
                    .map(|n| match &n.per {
                        None => n.indicator.to_string(),
                        Some(per) => format!("100*{}/{}", n.indicator, per),
                    }),
            );
            v["model"] = json!({
                "scale": "log",
                "log_offset": m.log_offset,
                "n": m.n,
                "r_squared": m.r_squared,
                "residual_sd": m.residual_sd,
                "interval": m.interval,
                "coefficients": names.iter().zip(&m.coefficients).zip(&m.standard_errors).map(|((n, b), se)| json!({"term": n, "estimate": b, "se": se})).collect::<Vec<_>>(),
            });
        }
    }
    if let Some(g) = &r.gemeente_without_figures {
        let name = g.name.clone().unwrap_or_else(|| g.code.to_string());
        v["status"] = json!("no_figures_for_gemeente");
        v["message"] = json!(format!(
            "no figures for {name} ({}) at level {} in {} for support '{}': nothing to assess there (not the same as zero candidates){}",
            g.code,
            r.level,
            r.period,
            r.support.id,
            if g.elsewhere.is_empty() {
                String::new()
            } else {
                format!(
                    "; the radar has its figures at {}",
                    g.elsewhere
                        .iter()
                        .map(|(l, p)| format!("{l} {p}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
        v["gemeente_without_figures"] = json!({
            "code": g.code.to_string(),
            "name": g.name,
            "missing": g.missing.iter().map(|m| json!({
                "indicator": m.id.to_string(),
                "label": label(&m.label_nl, &m.label_en),
                "source": m.source_title,
                "statline_keys": m.keys,
                "column_labels": m.labels,
                "loaded_periods": m.loaded_periods,
            })).collect::<Vec<_>>(),
            "elsewhere": g.elsewhere.iter().map(|(l, p)| json!({
                "level": l.as_str(),
                "period": p,
                "href": format!("/api/radar?level={}&period={}&support={}{}", l.as_str(), p, r.support.id, if *l == kwm_model::Level::Gemeente { String::new() } else { format!("&gemeente={}", g.code) }),
            })).collect::<Vec<_>>(),
        });
    }
    v["candidates"] = json!(r.candidates().count());
    v["areas"] = json!(r
        .areas
        .iter()
        .map(|a| json!({
            "code": a.code.to_string(),
            "name": a.name,
            "population": a.population,
            "observed": a.row.observed,
            "expected": a.row.expected,
            "lower": a.row.lower,
            "upper": a.row.upper,
            "gap": a.row.gap,
            "relative_gap": a.row.relative_gap,
            "gap_pct": a.row.relative_gap.map(|r| 100.0 * r),
            "t": a.row.t,
            "p_below": a.row.p_below,
            "q_below": a.row.q_below,
            "need": r.support.need.iter().zip(&a.need).zip(&a.row.need_percentiles).map(|((n, v), p)| json!({
                "indicator": n.indicator.to_string(), "value": v, "percentile": p,
            })).collect::<Vec<_>>(),
            "controls": r.support.controls.iter().zip(&a.controls).map(|(n, v)| json!({
                "indicator": n.indicator.to_string(), "value": v,
            })).collect::<Vec<_>>(),
            "need_score": a.row.need_score,
            "stacking": a.stacking.map(|s| json!({"flagged": s.flagged, "with_data": s.with_data, "characteristics": a.flagged})),
            "high_need": a.row.high_need,
            "candidate": a.row.candidate,
            "excluded": a.row.excluded,
        }))
        .collect::<Vec<_>>());
    v
}

api_params!(
    /// The query parameters of `GET /api/radar`.
    RadarParams { level, period, support, gemeente }
);

/// `GET /api/radar?level=&period=&support=&gemeente=`
pub async fn radar(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<RadarParams>,
) -> Result<Response, ApiError> {
    let query = RadarQuery {
        level: p.level()?,
        period: p.period()?,
        support: p
            .get("support")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        gemeente: p
            .get("gemeente")
            .filter(|s| !s.is_empty())
            .map(query::parse_region)
            .transpose()?,
    };
    if let Some(g) = query
        .gemeente
        .as_ref()
        .filter(|g| g.level() != kwm_model::Level::Gemeente)
    {
        return Err(ApiError::bad_request(format!(
            "expected a gemeente code (GM…) for gemeente, found {g}"
        )));
    }
    let catalogue = state.catalogue().clone();
    let r = state
        .query(move |s| radar::radar(s, &catalogue, &query))
        .await?;
    Ok(Json(radar_json(state.catalogue(), &r)).into_response())
}
