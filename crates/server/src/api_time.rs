//! The API of long-term monitoring: a region's harmonised series with its trend, the region
//! changes between layouts, and early warnings.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kwm_engine::trend::{Appearance, Change, Measure};
use kwm_engine::warning::Assessment;
use kwm_model::catalogue::Catalogue;
use kwm_monitor::layouts::{self, ChangeView};
use kwm_monitor::query;
use kwm_monitor::series::{self, Series, Warnings};
use serde_json::{json, Value};

use crate::api::{api_params, ApiParams, ApiQuery, IndicatorDto, LevelPeriod};
use crate::error::ApiError;
use crate::explain;
use crate::i18n::Lang;
use crate::state::AppState;

fn year(p: &impl ApiParams, name: &str) -> Result<Option<i32>, ApiError> {
    p.get(name)
        .map(|raw| {
            kwm_model::Period::parse(raw)
                .map(|y| y.year())
                .filter(|_| !raw.contains("JJ"))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "parameter '{name}': expected a year like 2024, found '{raw}'"
                    ))
                })
        })
        .transpose()
}

fn change_json(c: &Change) -> Value {
    json!({
        "from": c.from, "to": c.to, "delta": c.delta, "relative": c.relative,
        "lower": c.lower, "upper": c.upper, "test": c.test.as_str(),
        "p_value": c.p_value, "significant": c.significant,
    })
}

fn measure_json(m: &Measure) -> Value {
    match m {
        Measure::Rate { scale } => json!({"kind": "rate", "scale": scale}),
        Measure::Count => json!({"kind": "count"}),
        Measure::Other => json!({"kind": "other"}),
    }
}

fn series_json(s: &Series, c: &Catalogue) -> Value {
    let national_at = |p: i32| s.national.iter().find(|(q, _)| *q == p).map(|(_, v)| *v);
    let i = &s.indicator.indicator;
    json!({
        "region": { "code": s.code.as_str(), "name": s.name, "level": s.code.level().as_str() },
        "indicator": IndicatorDto::new(&s.indicator, c),
        "layout": s.layout,
        "layouts": s.layouts,
        "measure": measure_json(&s.measure),
        "points": s.points.iter().map(|p| json!({
            "period": p.period, "value": p.value, "lower": p.lower, "upper": p.upper, "n": p.n,
            "method": p.method, "weighted_by": p.weighted_by, "source_layout": p.source_layout,
            "harmonised": p.method != "published",
            "sources": p.sources.iter().map(|(c, w)| json!({"code": c.as_str(), "weight": w})).collect::<Vec<_>>(),
            "national": national_at(p.period),
        })).collect::<Vec<_>>(),
        "national": s.national.iter().map(|(p, v)| json!({"period": p, "value": v})).collect::<Vec<_>>(),
        "change_previous": s.trend.previous.as_ref().map(change_json),
        "change_whole": s.trend.whole.as_ref().map(change_json),
        "appearance": s.trend.appearance.map(|(period, a)| json!({
            "period": period,
            "kind": match a { Appearance::NewIndicator => "new_indicator", Appearance::FirstForRegion => "first_for_region" },
            "text": explain::appearance_text(Lang::En, a, period),
        })),
        "summary": {
            "previous": s.trend.previous.as_ref().map(|c| explain::change_text(Lang::En, c, i.decimals, &i.unit)),
            "whole": s.trend.whole.as_ref().map(|c| explain::change_text(Lang::En, c, i.decimals, &i.unit)),
        },
        "test_rule": "published 95% intervals: z-test on the difference (se from half-widths); rate with its denominator: two-proportion z-test, Fisher's exact test when an expected cell count is below min_expected; count: exact Poisson (conditional binomial) test, normal approximation above 1,000 events",
    })
}

api_params!(
    /// The query parameters of `GET /api/regions/{code}/series`.
    RegionSeriesParams { indicator, layout }
);

/// `GET /api/regions/{code}/series?indicator=&layout=`
pub async fn region_series(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(p): ApiQuery<RegionSeriesParams>,
) -> Result<Response, ApiError> {
    let indicator = p.required("indicator")?.to_string();
    let layout = year(&p, "layout")?;
    let code = query::parse_region(&code)?;
    let catalogue = state.catalogue().clone();
    let s = state
        .query(move |store| series::series(store, &catalogue, &code, &indicator, layout))
        .await?;
    Ok(Json(series_json(&s, state.catalogue())).into_response())
}

/// A change on the wire.
pub fn change_view_json(c: &ChangeView) -> Value {
    let ch = &c.change;
    json!({
        "level": c.level.as_str(),
        "from_layout": c.from_layout,
        "to_layout": ch.to_layout,
        "effective": ch.effective,
        "kind": ch.kind.as_str(),
        "old": { "code": ch.old_code.as_str(), "name": ch.old_name },
        "new": { "code": ch.new_code.as_str(), "name": ch.new_name },
        "weight": ch.weight,
        "weight_basis": ch.weight_basis,
        "weight_derived": c.weight_derived && ch.weight.is_some(),
        "parts": ch.parts.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "origin": c.origin.as_str(),
        "load_id": c.load_id,
        "applied_to_figures": layouts::moves_figures(c),
    })
}

api_params!(
    /// The query parameters of `GET /api/changes`.
    ChangesParams { from, to, level }
);

/// `GET /api/changes?from=&to=&level=`
pub async fn changes(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ChangesParams>,
) -> Result<Response, ApiError> {
    let (from, to) = (year(&p, "from")?, year(&p, "to")?);
    let level = p.get("level").map(query::parse_level).transpose()?;
    if let Some(l) = level {
        if !layouts::CHANGING_LEVELS.contains(&l) {
            return Err(ApiError::bad_request(format!(
                "level '{l}' has no layout changes; use gemeente, wijk or buurt"
            )));
        }
    }
    let list = state
        .query(move |store| layouts::changes_between(store, level, from, to))
        .await?;
    Ok(Json(json!({
        "from": from, "to": to, "level": level.map(|l| l.as_str()),
        "count": list.len(),
        "changes": list.iter().map(change_view_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

fn assessment_json(a: &Assessment, decimals: u8, unit: &str) -> Value {
    json!({
        "flagged": a.flagged,
        "worsened": a.worsened,
        "change": change_json(&a.change),
        "significance": a.significance,
        "past_variation": a.past,
        "national": a.national,
        "explanation": { "nl": explain::assessment_summary(Lang::Nl, a, decimals, unit), "en": explain::assessment_summary(Lang::En, a, decimals, unit) },
    })
}

fn warnings_json(w: &Warnings, c: &Catalogue) -> Value {
    let meta = |id: &str| {
        w.signals
            .iter()
            .find(|s| s.indicator.id.as_str() == id)
            .map(|s| (s.indicator.decimals, s.indicator.unit.clone()))
            .unwrap_or((1, String::new()))
    };
    let r = &w.rule;
    json!({
        "level": w.level.as_str(),
        "period": w.period,
        "layout": w.layout,
        "rule": {
            "alpha": r.alpha, "min_expected": r.min_expected, "past_variation_k": r.past_variation_k,
            "min_past_changes": r.min_past_changes, "require_past_variation": r.require_past_variation,
            "national_margin": r.national_margin,
            "signals": r.signals.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "description": "flagged when the signal worsened since the previous period, significantly (alpha), beyond past_variation_k × the standard deviation of the region's own earlier yearly changes (when assessable), and more than the national change plus national_margin",
        },
        "signals": w.signals.iter().map(|i| IndicatorDto::new(i, c)).collect::<Vec<_>>(),
        "not_comparable": w.not_comparable,
        "new_signals": w.new_signals,
        "new_indicators": w.new_indicators.iter().map(|i| i.indicator.id.as_str()).collect::<Vec<_>>(),
        "assessed_regions": w.regions.len(),
        "flagged_regions": w.regions.iter().filter(|r| r.flagged() > 0).count(),
        "regions": w.regions.iter().map(|reg| json!({
            "code": reg.code.as_str(),
            "name": reg.name,
            "flagged": reg.flagged(),
            "signals": reg.assessments.iter().map(|(id, a)| {
                let (d, u) = meta(id);
                let mut v = assessment_json(a, d, &u);
                v["indicator"] = json!(id);
                v
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /api/warnings?level=&period=`
pub async fn warnings(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<LevelPeriod>,
) -> Result<Response, ApiError> {
    let level = p.get("level").map(query::parse_level).transpose()?;
    let period = year(&p, "period")?;
    let catalogue = state.catalogue().clone();
    let w = state
        .query(move |store| series::warnings(store, &catalogue, level, period))
        .await?;
    Ok(Json(warnings_json(&w, state.catalogue())).into_response())
}
