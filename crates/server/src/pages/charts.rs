//! The charts of the profile and themes pages as SVG files (`/regio/{code}/profiel.svg`,
//! `/regio/{code}/themas.svg`): the same figures the pages draw as bars, with the population
//! they describe and their source written into the file. The tables behind them are CSV through
//! the API (`/api/regions/{code}?format=csv`, `/api/regions/{code}/themes?format=csv`).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kwm_model::risk::FactorKind;
use kwm_monitor::{query, risk, MonitorError};

use super::dashboard::label;
use super::risk_common::{factor_label, percentile_text, populations, theme_label};
use super::{error_page, level_label, PageCtx};
use crate::api::{joined, source_title};
use crate::chart::{with_population, Bar, BarChart};
use crate::state::AppState;

fn period_param(ctx: &PageCtx) -> Result<Option<i32>, MonitorError> {
    ctx.params
        .get("period")
        .filter(|p| !p.is_empty())
        .map(|p| query::parse_period(p))
        .transpose()
}

/// An SVG file response; `inline`, so a link opens it and `download` on the link saves it.
pub(crate) fn svg_file(filename: &str, svg: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
        ],
        svg,
    )
        .into_response()
}

/// `GET /regio/{code}/profiel.svg?period=&source=&lang=`: the percentile bars of one table of
/// the profile (one source), or of all its indicators without `source`.
pub async fn profile_svg(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ctx: PageCtx,
) -> Response {
    let result = async {
        let region = query::parse_region(&code)?;
        let period = period_param(&ctx)?;
        let p = state
            .query(move |s| query::region_profile(s, &region, period))
            .await?;
        let source = ctx.params.get("source").filter(|s| !s.is_empty()).cloned();
        let rows: Vec<_> = p
            .rows
            .iter()
            .filter(|r| {
                source
                    .as_deref()
                    .is_none_or(|s| r.indicator.indicator.source == s)
            })
            .collect();
        if rows.is_empty() {
            return Err(MonitorError::NotFound(format!(
                "no indicators of source '{}' for this region",
                source.unwrap_or_default()
            )));
        }
        Ok((
            p.clone(),
            rows.into_iter().cloned().collect::<Vec<_>>(),
            source,
        ))
    }
    .await;
    let (p, rows, source) = match result {
        Ok(x) => x,
        Err(e) => return error_page(&ctx, &e),
    };
    let c = state.catalogue();
    let name = p
        .region
        .name
        .clone()
        .unwrap_or_else(|| p.region.code.to_string());
    let period = p.period.map(|y| y.to_string()).unwrap_or_default();
    let bars = rows
        .iter()
        .map(|r| {
            let i = &r.indicator.indicator;
            let pop = c
                .population_of(i.id.as_str())
                .map(|x| ctx.t(&x.short_nl, &x.short_en).to_string())
                .unwrap_or_else(|| {
                    ctx.t("populatie niet vermeld", "population not stated")
                        .into()
                });
            Bar {
                label: with_population(label(ctx.lang, &r.indicator), &pop),
                value: r.row.percentile,
                text: match r.row.percentile {
                    Some(x) => ctx.lang.number(x, 0),
                    None => ctx.t("geen cijfer", "no figure").to_string(),
                },
            }
        })
        .collect();
    let sources = joined(rows.iter().map(|r| r.indicator.indicator.source.clone()));
    let chart = BarChart {
        title: format!(
            "{name} {period}: {}",
            source
                .as_deref()
                .unwrap_or(ctx.t("alle indicatoren", "all indicators"))
        ),
        axis: format!(
            "{} {}",
            ctx.t(
                "Percentiel (100 = meest ongunstig) onder alle",
                "Percentile (100 = least favourable) among all"
            ),
            level_label(ctx.lang, p.region.code.level())
        ),
        notes: vec![
            ctx.t(
                "Over wie: de populatie staat per indicator tussen haakjes.",
                "Whom: the population is given in brackets for each indicator.",
            )
            .to_string(),
            format!("{}{sources}", ctx.t("Bron: ", "Source: ")),
            format!(
                "Kwetsbaarheidsmonitor · /regio/{}?period={period}",
                p.region.code
            ),
        ],
        bars,
        max: 100.0,
    };
    let slug = source
        .as_deref()
        .map(|s| format!("_{}", slug(s)))
        .unwrap_or_default();
    svg_file(
        &format!("{}_{period}{slug}_{}.svg", p.region.code, ctx.lang.code()),
        chart.to_svg(),
    )
}

/// A file-name-safe form of a text: ASCII letters and digits, the rest as `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// `GET /regio/{code}/themas.svg?chart=themes|risk|protective&period=&lang=`: the bars of the
/// themes page — exposure per theme, or the percentile of each risk characteristic or
/// protective factor.
pub async fn themes_svg(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ctx: PageCtx,
) -> Response {
    let chart_kind = ctx
        .params
        .get("chart")
        .cloned()
        .unwrap_or_else(|| "themes".into());
    let result = async {
        let region = query::parse_region(&code)?;
        let period = period_param(&ctx)?;
        if !matches!(chart_kind.as_str(), "themes" | "risk" | "protective") {
            return Err(MonitorError::BadRequest(format!(
                "unknown chart '{chart_kind}': expected themes, risk or protective"
            )));
        }
        let catalogue = state.catalogue().clone();
        state
            .query(move |s| risk::region_risk(s, &catalogue, &region, period))
            .await
    }
    .await;
    let r = match result {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let c = state.catalogue();
    let m = &r.run.method;
    let level = r.code.level();
    let period = r.run.record.period;
    let name = r.name.clone().unwrap_or_else(|| r.code.to_string());
    let measured: Vec<String> = r
        .factors
        .iter()
        .filter(|f| f.kind == FactorKind::Risk && f.score.is_some())
        .map(|f| f.id.clone())
        .collect();
    let no_figure = |f: &risk::FactorView| {
        if f.gap {
            ctx.t(
                "gat: geen definitie op dit niveau",
                "gap: no definition at this level",
            )
        } else {
            ctx.t(
                "gat: geen cijfer voor deze regio",
                "gap: no figure for this region",
            )
        }
        .to_string()
    };
    let (title, axis, bars, pops) = match chart_kind.as_str() {
        "themes" => (
            ctx.t("blootstelling per thema", "exposure per theme"),
            ctx.t(
                "Blootstelling 0–100: gemiddeld percentiel van de gemeten kenmerken, gewogen met de matrix kenmerk × thema",
                "Exposure 0–100: mean percentile of the measured characteristics, weighted by the characteristic × theme matrix",
            ),
            r.themes
                .iter()
                .map(|t| Bar {
                    label: theme_label(&ctx, c, &t.id),
                    value: t.exposure,
                    text: t.exposure.map_or_else(
                        || ctx.t("niet gemeten", "not measured").to_string(),
                        |e| percentile_text(&ctx, e, m),
                    ),
                })
                .collect::<Vec<_>>(),
            populations(&ctx, c, level, period, &measured),
        ),
        kind => {
            let kind = if kind == "risk" {
                FactorKind::Risk
            } else {
                FactorKind::Protective
            };
            let factors: Vec<_> = r.factors.iter().filter(|f| f.kind == kind).collect();
            (
                if kind == FactorKind::Risk {
                    ctx.t("percentiel per risicokenmerk", "percentile per risk characteristic")
                } else {
                    ctx.t("percentiel per beschermende factor", "percentile per protective factor")
                },
                ctx.t(
                    "Percentiel 0–100 (100 = meest ongunstig; bij een beschermende factor: zwakst)",
                    "Percentile 0–100 (100 = least favourable; for a protective factor: weakest)",
                ),
                factors
                    .iter()
                    .map(|f| Bar {
                        label: factor_label(&ctx, c, &f.id),
                        value: f.percentile,
                        text: f
                            .percentile
                            .map_or_else(|| no_figure(f), |p| percentile_text(&ctx, p, m)),
                    })
                    .collect(),
                factors
                    .iter()
                    .filter_map(|f| {
                        c.risk
                            .factor(&f.id)
                            .and_then(|x| x.definition_at(level, period))
                            .map(|d| ctx.t(&d.population, &d.population_en).to_string())
                    })
                    .fold(Vec::new(), |mut v, p| {
                        if !v.contains(&p) {
                            v.push(p);
                        }
                        v
                    }),
            )
        }
    };
    let sources = joined(
        r.factors
            .iter()
            .flat_map(|f| f.terms.iter())
            .filter(|t| t.value.is_some())
            .map(|t| source_title(c, &t.indicator)),
    );
    let chart = BarChart {
        title: format!("{name} {period}: {title}"),
        axis: axis.to_string(),
        notes: vec![
            format!(
                "{}{}.",
                ctx.t(
                    "Over wie deze cijfers gaan: ",
                    "Whom these figures describe: "
                ),
                if pops.is_empty() {
                    ctx.t("geen gemeten kenmerken", "no measured characteristics")
                        .to_string()
                } else {
                    pops.join("; ")
                }
            ),
            format!(
                "{}{sources}. {} {}.",
                ctx.t("Bron: ", "Source: "),
                ctx.t(
                    "Berekend door de Kwetsbaarheidsmonitor op",
                    "Computed by the Kwetsbaarheidsmonitor on"
                ),
                // The day is enough here; the page and the CSV carry the full time.
                r.run
                    .record
                    .computed_at
                    .get(..10)
                    .unwrap_or(&r.run.record.computed_at)
            ),
            format!(
                "{} · /regio/{}/themas?period={period}",
                ctx.t(
                    "Cijfers over een gebied, niet over personen",
                    "Figures about an area, not about persons"
                ),
                r.code
            ),
        ],
        bars,
        max: 100.0,
    };
    svg_file(
        &format!("{}_{period}_{chart_kind}_{}.svg", r.code, ctx.lang.code()),
        chart.to_svg(),
    )
}
