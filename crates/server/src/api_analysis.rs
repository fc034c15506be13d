//! The API of the analyses stored with a risk-model run: the composite's method comparison,
//! rank intervals and sensitivity indices (`/api/composite`), and spatial clusters
//! (`/api/clusters`). Handlers parse, call one monitor function, and shape JSON or CSV.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kwm_monitor::clusters::{self, Category};
use kwm_monitor::composite::{self, CompositeSummary, MethodSummary};
use kwm_monitor::shrinkage;
use serde_json::{json, Value};

use crate::api::{
    api_params, csv_response, opt, ApiParams, ApiQuery, IndicatorLevelPeriodFormat,
    LevelPeriodFormat,
};
use crate::api_risk::{both, composite_method_json, run_json};
use crate::error::ApiError;
use crate::labels;
use crate::state::AppState;

fn method_json(m: &MethodSummary) -> Value {
    json!({
        "key": m.key,
        "changes": m.changes,
        "label": both(|l| labels::compared(l, m.changes, m.method)),
        "choices": m.method,
        "method": both(|l| labels::method(l, m.method)),
        "description": m.description,
        "compared": m.compared,
        "mean_abs_shift": m.mean_abs_shift,
        "max_shift": m.max_shift,
        "moved_more_than": m.moved_more_than.iter().map(|(t, n)| json!({"places": t, "regions": n})).collect::<Vec<_>>(),
        "spearman": m.spearman,
        "error": m.error,
    })
}

fn uncertainty_json(s: &CompositeSummary) -> Value {
    match &s.uncertainty {
        None => Value::Null,
        Some(u) => json!({
            "runs": u.runs,
            "total_runs": u.total_runs,
            "rank_runs": u.rank_runs,
            "seed": u.seed,
            "interval": "5th to 95th percentile of a region's ranks over the rank runs (a 90% interval), R's quantile type 7; the median beside it",
            "factors": u.factors.iter().map(|f| json!({
                "name": f.name, "label": both(|l| labels::factor(l, &f.name)), "alternatives": f.alternatives,
            })).collect::<Vec<_>>(),
            "sensitivity": {
                "output": u.output,
                "output_variance": u.output_variance,
                "estimator": "Jansen (first-order and total), Saltelli design of N·(d + 2) runs",
                "indices": u.indices.iter().map(|i| json!({
                    "factor": i.factor, "label": both(|l| labels::factor(l, &i.factor)),
                    "first_order": i.first_order, "total": i.total,
                })).collect::<Vec<_>>(),
            },
            "median_interval_width": u.median_interval_width,
            "spec": u.spec,
        }),
    }
}

/// `GET /api/composite?level=&period=&format=`: the composite's method, its ranks under the
/// compared methods, the rank intervals and the sensitivity indices.
pub async fn composite(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<LevelPeriodFormat>,
) -> Result<Response, ApiError> {
    let (level, period, csv) = (p.level()?, p.period()?, p.csv()?);
    let catalogue = state.catalogue().clone();
    let cmp = state
        .query(move |s| composite::comparison(s, &catalogue, level, period))
        .await?;
    let methods = &cmp.composite.methods;
    if csv {
        let mut header: Vec<String> = vec!["code".into(), "name".into()];
        header.extend(methods.iter().map(|m| format!("rank {}", m.key)));
        header.extend([
            "rank_median".into(),
            "rank_lower".into(),
            "rank_upper".into(),
        ]);
        let rows = cmp
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![r.code.to_string(), r.name.clone().unwrap_or_default()];
                row.extend(
                    r.ranks
                        .iter()
                        .map(|x| x.map(|v| v.to_string()).unwrap_or_default()),
                );
                row.extend([opt(r.median), opt(r.lower), opt(r.upper)]);
                row
            })
            .collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        return Ok(csv_response(
            &format!("methodevergelijking_{}_{}.csv", cmp.level, cmp.period),
            &header,
            rows,
        ));
    }
    let c = state.catalogue();
    Ok(Json(json!({
        "level": cmp.level.as_str(),
        "period": cmp.period,
        "periods": cmp.periods,
        "run": run_json(c, &cmp.run),
        "note": "Ranks of areas under alternative methods of the composite index; rank 1 = most vulnerable. A method changes one choice of the nominal method at a time. The Monte Carlo interval says how far a region's rank moves over random combinations of the choices.",
        "method": composite_method_json(c, &cmp.composite),
        "methods": methods.iter().map(method_json).collect::<Vec<_>>(),
        "uncertainty": uncertainty_json(&cmp.composite),
        "uncertainty_error": cmp.composite.uncertainty_error,
        "regions": cmp.rows.iter().map(|r| json!({
            "code": r.code.to_string(),
            "name": r.name,
            "ranks": methods.iter().zip(&r.ranks).map(|(m, x)| (m.key.clone(), json!(x))).collect::<BTreeMap<_, _>>(),
            "scores": methods.iter().zip(&r.scores).map(|(m, x)| (m.key.clone(), json!(x))).collect::<BTreeMap<_, _>>(),
            "rank_interval": match (r.median, r.lower, r.upper) {
                (Some(median), Some(lower), Some(upper)) => json!({"median": median, "lower": lower, "upper": upper}),
                _ => Value::Null,
            },
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

fn parse_bool(p: &impl ApiParams, name: &str) -> Result<Option<bool>, ApiError> {
    match p.get(name) {
        None | Some("") => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(other) => Err(ApiError::bad_request(format!(
            "parameter '{name}': expected true or false, found '{other}'"
        ))),
    }
}

api_params!(
    /// The query parameters of `GET /api/clusters`.
    ClustersParams { level, period, variable, statistic, alpha, fdr, format }
);

/// `GET /api/clusters?level=&period=&variable=&statistic=&alpha=&fdr=&format=`
pub async fn clusters(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ClustersParams>,
) -> Result<Response, ApiError> {
    let (level, period, csv) = (p.level()?, p.period()?, p.csv()?);
    let statistic = p
        .get("statistic")
        .filter(|s| !s.is_empty())
        .map(String::from);
    if let Some(s) = &statistic {
        if !clusters::STATISTICS.contains(&s.as_str()) {
            return Err(ApiError::bad_request(format!(
                "parameter 'statistic': expected lisa or gistar, found '{s}'"
            )));
        }
    }
    let variable = p
        .get("variable")
        .filter(|s| !s.is_empty())
        .map(String::from);
    let alpha = match p.get("alpha").filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse::<f64>().map_err(|_| {
            ApiError::bad_request(format!(
                "parameter 'alpha': expected a number such as 0.05, found '{raw}'"
            ))
        })?),
    };
    let fdr = parse_bool(&p, "fdr")?;
    let catalogue = state.catalogue().clone();
    let cl = state
        .query(move |s| {
            clusters::clusters(
                s,
                &catalogue,
                level,
                &clusters::ClusterQuery {
                    period,
                    variable: variable.as_deref(),
                    statistic: statistic.as_deref(),
                    alpha,
                    fdr,
                },
            )
        })
        .await?;
    if csv {
        let rows = cl
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.code.to_string(),
                    r.name.clone().unwrap_or_default(),
                    r.record.status.clone(),
                    opt(r.record.value),
                    opt(r.record.stat),
                    opt(r.record.z),
                    opt(r.record.p_sim),
                    r.record.quadrant.clone().unwrap_or_default(),
                    r.significant.to_string(),
                    r.category.as_str().to_string(),
                ]
            })
            .collect();
        return Ok(csv_response(
            &format!(
                "clusters_{}_{}_{}_{}.csv",
                cl.level, cl.period, cl.variable, cl.statistic
            ),
            &[
                "code",
                "name",
                "status",
                "value",
                "statistic",
                "z",
                "p_sim",
                "quadrant",
                "significant",
                "category",
            ],
            rows,
        ));
    }
    let c = state.catalogue();
    let s = &cl.summary;
    let counts: BTreeMap<&str, usize> = Category::of_statistic(&cl.statistic)
        .into_iter()
        .map(|k| (k.as_str(), cl.counts.get(&k).copied().unwrap_or(0)))
        .collect();
    Ok(Json(json!({
        "level": cl.level.as_str(),
        "period": cl.period,
        "periods": cl.periods,
        "run": run_json(c, &cl.run),
        "note": "Clusters of areas, never of persons. A region is significant when its pseudo p-value is below the cut-off; with many regions some are significant by chance (see fdr).",
        "variable": cl.variable,
        "variable_label": both(|l| labels::variable(l, c, &cl.variable)),
        "statistic": cl.statistic,
        "statistic_label": both(|l| labels::statistic(l, &cl.statistic).to_string()),
        "test": {
            "permutations": s.settings.permutations,
            "seed": s.settings.seed,
            "alternative": s.settings.alternative.as_str(),
            "p_value": "(M + 1) / (R + 1): conditional permutations of the other regions' values around each region (esda's draws for the seed)",
            "alpha": cl.alpha,
            "fdr": cl.fdr,
            "cutoff": cl.cutoff,
        },
        "weights": {
            "rule": s.weights,
            "transform": "row-standardised; G_i* includes the region itself",
            "snap_metres": s.settings.snap_metres,
            "boundary_layout": s.boundary_layout,
            "links": s.links,
            "without_boundary": s.without_boundary,
            "note": s.note,
        },
        "variables": s.variables.iter().map(|v| json!({
            "id": v.variable,
            "label": both(|l| labels::variable(l, c, &v.variable)),
            "analysed": v.analysed,
            "islands": v.islands,
            "global_moran": v.global.as_ref().map(|g| json!({"i": g.i, "expected": g.expected, "p_sim": g.p_sim})),
            "errors": v.errors,
        })).collect::<Vec<_>>(),
        "counts": counts,
        "regions": cl.rows.iter().map(|r| json!({
            "code": r.code.to_string(),
            "name": r.name,
            "status": r.record.status,
            "value": r.record.value,
            "statistic": r.record.stat,
            "z": r.record.z,
            "p_sim": r.record.p_sim,
            "quadrant": r.record.quadrant,
            "significant": r.significant,
            "category": r.category.as_str(),
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `GET /api/shrinkage?indicator=&level=&period=&format=`: an indicator's figures with their
/// precision-weighted shrinkage toward the parent region's figure.
pub async fn shrinkage(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<IndicatorLevelPeriodFormat>,
) -> Result<Response, ApiError> {
    let indicator = p
        .get("indicator")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request("parameter 'indicator' is required"))?
        .to_string();
    let (level, period, csv) = (p.level()?, p.period()?, p.csv()?);
    let sh = state
        .query(move |s| shrinkage::shrinkage(s, &indicator, level, period))
        .await?;
    if csv {
        let rows = sh
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.code.to_string(),
                    r.name.clone().unwrap_or_default(),
                    opt(r.value),
                    opt(r.lower),
                    opt(r.upper),
                    opt(r.n),
                    opt(r.standard_error.map(|x| x.0)),
                    r.parent.as_ref().map(|c| c.to_string()).unwrap_or_default(),
                    opt(r.parent_value),
                    opt(r.shrunk.map(|x| x.weight)),
                    opt(r.shrunk.map(|x| x.estimate)),
                    opt(r.shrunk.map(|x| x.lower)),
                    opt(r.shrunk.map(|x| x.upper)),
                ]
            })
            .collect();
        return Ok(csv_response(
            &format!(
                "shrinkage_{}_{}_{}.csv",
                sh.indicator.indicator.id, sh.level, sh.period
            ),
            &[
                "code",
                "name",
                "value",
                "lower",
                "upper",
                "n",
                "standard_error",
                "parent",
                "parent_value",
                "weight",
                "shrunk",
                "shrunk_lower",
                "shrunk_upper",
            ],
            rows,
        ));
    }
    Ok(Json(json!({
        "indicator": sh.indicator.indicator.id.to_string(),
        "level": sh.level.as_str(),
        "period": sh.period,
        "method": {
            "formula": "shrunk = w·value + (1 − w)·parent value, w = τ² / (τ² + s²); standard error √w·s; 95% interval (SIMD 2003, appendix 1)",
            "standard_error": "(upper − lower) / (2 · 1.95996) from a published interval read as 95%, else for a percentage 100·√(p(1 − p)/n) from the number of respondents",
            "tau2": "sample variance of (value − parent value) minus the mean squared standard error, at least 0 (method of moments), over the regions that have both",
            "parents": "buurt → wijk → gemeente from the codes; gemeente → province as stored",
            "caveat": "A small pocket unlike its parent is pulled toward the parent: read the shrunk value beside the published one.",
        },
        "tau2": sh.tau2,
        "shrunk": sh.shrunk,
        "note": sh.note,
        "regions": sh.rows.iter().map(|r| json!({
            "code": r.code.to_string(),
            "name": r.name,
            "value": r.value, "lower": r.lower, "upper": r.upper, "n": r.n,
            "standard_error": r.standard_error.map(|x| x.0),
            "precision_from": r.standard_error.map(|x| x.1.as_str()),
            "parent": r.parent.as_ref().map(|c| c.to_string()),
            "parent_value": r.parent_value,
            "shrunk": r.shrunk.map(|x| json!({
                "estimate": x.estimate, "weight": x.weight, "standard_error": x.standard_error,
                "lower": x.lower, "upper": x.upper,
            })),
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}
