//! The regiobeeld page (`/regio/{code}/regiobeeld`): one region on one printed A4 page and
//! readable on a phone, plus the same picture made by the server as SVG and PDF, and its tables
//! as CSV. The texts come from [`crate::regiobeeld::View`], so page, SVG and PDF agree.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kwm_monitor::regiobeeld::{self, Regiobeeld};
use kwm_monitor::{query, MonitorError};
use maud::{html, Markup, PreEscaped};

use super::{error_page, layout, respond, Nav, PageCtx};
use crate::api::csv_response;
use crate::chart::{Bar, BarChart, Panel, SeriesChart};
use crate::components::table::table_head;
use crate::map::MapShapes;
use crate::regiobeeld::{locator_scene, scene, today, KeyRow, View};
use crate::state::AppState;

/// Reads the figures and the map shapes the locator needs.
async fn gather(
    state: &AppState,
    raw: &str,
    params: &HashMap<String, String>,
) -> Result<(Regiobeeld, Option<Arc<MapShapes>>), MonitorError> {
    let code = query::parse_region(raw)?;
    let period = params
        .get("period")
        .filter(|p| !p.is_empty())
        .map(|p| query::parse_period(p))
        .transpose()?;
    let catalogue = state.catalogue().clone();
    let data = state
        .query(move |s| regiobeeld::regiobeeld(s, &catalogue, &code, period))
        .await?;
    let shapes = match data.locator.map_layout {
        Some(l) => Some(state.map(data.locator.level(&data.code), l).await?),
        None => None,
    };
    Ok((data, shapes))
}

/// The address printed on the picture: this server's page for the region.
fn address(headers: &HeaderMap, code: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/regio/{code}/regiobeeld")
}

/// `GET /regio/{code}/regiobeeld?period=`
pub async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    ctx: PageCtx,
) -> Response {
    match gather(&state, &code, &ctx.params).await {
        Ok((data, shapes)) => {
            let view = View {
                data: &data,
                catalogue: state.catalogue(),
                lang: ctx.lang,
            };
            let body = body(&ctx, &view, shapes.as_deref(), &address(&headers, &code));
            respond(
                &ctx,
                StatusCode::OK,
                layout(&ctx, &view.title(), Nav::None, body),
            )
        }
        Err(e) => error_page(&ctx, &e),
    }
}

/// `GET /regio/{code}/regiobeeld.svg?lang=&period=&part=map`: the A4 picture, or only its map.
pub async fn svg(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    file(&state, &code, &headers, params, Format::Svg).await
}

/// `GET /regio/{code}/regiobeeld.pdf?lang=&period=`: the A4 picture as a one-page PDF.
pub async fn pdf(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    file(&state, &code, &headers, params, Format::Pdf).await
}

/// `GET /regio/{code}/regiobeeld.csv?table=key_figures|themes|similar&lang=`
pub async fn csv(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    file(&state, &code, &headers, params, Format::Csv).await
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Svg,
    Pdf,
    Csv,
}

async fn file(
    state: &AppState,
    code: &str,
    headers: &HeaderMap,
    params: HashMap<String, String>,
    format: Format,
) -> Response {
    let ctx = PageCtx::new(&format!("/regio/{code}/regiobeeld"), params, headers);
    let (data, shapes) = match gather(state, code, &ctx.params).await {
        Ok(x) => x,
        Err(e) => return error_page(&ctx, &e),
    };
    let view = View {
        data: &data,
        catalogue: state.catalogue(),
        lang: ctx.lang,
    };
    let name = format!("regiobeeld_{}_{}", data.code, ctx.lang.code());
    match format {
        Format::Svg => {
            let svg = match (
                ctx.params.get("part").map(String::as_str),
                shapes.as_deref(),
            ) {
                (Some("map"), Some(s)) => locator_scene(&view, s, 340.0, 320.0).to_svg(),
                (Some("map"), None) => {
                    return error_page(
                        &ctx,
                        &MonitorError::NotFound("no boundaries are loaded for this level".into()),
                    )
                }
                (Some("themes"), _) => themes_chart(&view).to_svg(),
                (Some("series"), _) => series_chart(&view).to_svg(),
                (None, _) => {
                    scene(&view, shapes.as_deref(), &address(headers, code), &today()).to_svg()
                }
                (Some(other), _) => {
                    return error_page(
                        &ctx,
                        &MonitorError::BadRequest(format!(
                            "unknown part '{other}': expected map, themes or series"
                        )),
                    )
                }
            };
            download("image/svg+xml", &format!("{name}.svg"), svg.into_bytes())
        }
        Format::Pdf => download(
            "application/pdf",
            &format!("{name}.pdf"),
            scene(&view, shapes.as_deref(), &address(headers, code), &today()).to_pdf(),
        ),
        Format::Csv => match ctx.params.get("table").map(String::as_str) {
            Some("key_figures") | None => key_figures_csv(&view, &name),
            Some("themes") => themes_csv(&view, &name),
            Some("similar") => similar_csv(&view, &name),
            Some(other) => error_page(
                &ctx,
                &MonitorError::BadRequest(format!(
                    "unknown table '{other}': expected key_figures, themes or similar"
                )),
            ),
        },
    }
}

/// The exposure-per-theme bars of the picture as a chart of their own.
fn themes_chart(view: &View<'_>) -> BarChart {
    let lang = view.lang;
    let d = view.data;
    let (pops, sources, computed) = match &d.risk {
        Some(r) => {
            let behind: Vec<_> = r
                .factors
                .iter()
                .filter(|f| f.kind == kwm_model::risk::FactorKind::Risk && f.score.is_some())
                .map(|f| crate::api_risk::factor_population_source(view.catalogue, r, f))
                .collect();
            (
                crate::api::joined(behind.iter().map(|b| lang.t(&b.0, &b.1).to_string())),
                crate::api::joined(behind.iter().map(|b| b.2.clone())),
                r.run
                    .record
                    .computed_at
                    .get(..10)
                    .unwrap_or_default()
                    .to_string(),
            )
        }
        None => Default::default(),
    };
    BarChart {
        title: format!("{}: {}", view.title(), lang.t("blootstelling per thema", "exposure per theme")),
        axis: lang
            .t(
                "Blootstelling 0–100: gemiddeld percentiel van de gemeten kenmerken, gewogen met de matrix kenmerk × thema",
                "Exposure 0–100: mean percentile of the measured characteristics, weighted by the characteristic × theme matrix",
            )
            .to_string(),
        notes: vec![
            format!("{}{pops}.", lang.t("Over wie deze cijfers gaan: ", "Whom these figures describe: ")),
            format!(
                "{}{sources}. {} {computed}.",
                lang.t("Bron: ", "Source: "),
                lang.t("Berekend door de Kwetsbaarheidsmonitor op", "Computed by the Kwetsbaarheidsmonitor on")
            ),
            format!("/regio/{}/regiobeeld", d.code),
        ],
        bars: view
            .themes()
            .into_iter()
            .map(|t| Bar {
                label: t.label,
                value: t.exposure,
                text: t.exposure_text,
            })
            .collect(),
        max: 100.0,
    }
}

/// The key figures' series as small multiples, each panel naming its population.
fn series_chart(view: &View<'_>) -> SeriesChart {
    let lang = view.lang;
    SeriesChart {
        title: format!("{}: {}", view.title(), lang.t("reeksen van de kerncijfers", "series of the key figures")),
        notes: vec![
            lang.t(
                "Over wie: de populatie staat per reeks tussen haakjes; elke reeks heeft haar eigen schaal.",
                "Whom: the population is given in brackets for each series; each series has its own scale.",
            )
            .to_string(),
            format!("{}{}", lang.t("Bronnen: ", "Sources: "), view.sources().join("; ")),
            format!("/regio/{}/regiobeeld", view.data.code),
        ],
        panels: view
            .key_rows()
            .into_iter()
            .map(|r| Panel {
                label: crate::chart::with_population(
                    &r.label,
                    &r.population_short
                        .clone()
                        .unwrap_or_else(|| lang.t("populatie niet vermeld", "population not stated").into()),
                ),
                text: if r.series.is_empty() {
                    lang.t("geen reeks", "no series").to_string()
                } else {
                    r.series_text.clone()
                },
                points: r.series,
            })
            .collect(),
    }
}

fn download(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn key_figures_csv(view: &View<'_>, name: &str) -> Response {
    let rows = view
        .data
        .key_figures
        .iter()
        .zip(view.key_rows())
        .map(|(k, r)| {
            let v = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
            vec![
                k.id.clone(),
                r.label.clone(),
                r.population
                    .clone()
                    .unwrap_or_else(|| view.lang.t("niet vermeld", "not stated").into()),
                crate::api::source_title(view.catalogue, &k.id),
                v(k.row.as_ref().and_then(|r| r.value)),
                k.row
                    .as_ref()
                    .map_or("not_published_at_level", |r| r.status.as_str())
                    .to_string(),
                v(k.national.as_ref().map(|n| n.value)),
                k.parent
                    .as_ref()
                    .map(|(p, _)| p.code.to_string())
                    .unwrap_or_default(),
                v(k.parent.as_ref().and_then(|(_, x)| *x)),
                v(k.similar_range.map(|r| r.0)),
                v(k.similar_range.map(|r| r.1)),
                k.series
                    .iter()
                    .map(|(p, x)| format!("{p}:{x}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    csv_response(
        &format!("{name}_key_figures.csv"),
        &[
            "indicator",
            "label",
            "population",
            "source",
            "value",
            "status",
            "national",
            "parent",
            "parent_value",
            "similar_min",
            "similar_max",
            "series",
        ],
        rows,
    )
}

fn themes_csv(view: &View<'_>, name: &str) -> Response {
    let rows = match &view.data.risk {
        Some(r) => r
            .themes
            .iter()
            .zip(view.themes())
            .map(|(t, row)| {
                // Whom the exposure describes: the populations of the characteristics behind
                // the theme; the source: the risk model and the files behind them.
                let behind: Vec<_> = t
                    .drivers
                    .iter()
                    .filter_map(|d| r.factors.iter().find(|f| f.id == d.characteristic))
                    .map(|f| crate::api_risk::factor_population_source(view.catalogue, r, f))
                    .collect();
                vec![
                    t.id.clone(),
                    row.label,
                    t.exposure.map(|e| e.to_string()).unwrap_or_default(),
                    t.rank.map(|k| k.to_string()).unwrap_or_default(),
                    t.ranked.to_string(),
                    t.coverage.to_string(),
                    crate::api::joined(behind.iter().map(|b| view.lang.t(&b.0, &b.1).to_string())),
                    format!(
                        "Kwetsbaarheidsmonitor, {} {}; {}",
                        view.lang.t("risicomodel berekend", "risk model computed"),
                        r.run.record.computed_at,
                        crate::api::joined(behind.iter().map(|b| b.2.clone()))
                    ),
                ]
            })
            .collect(),
        None => Vec::new(),
    };
    csv_response(
        &format!("{name}_themes.csv"),
        &[
            "theme",
            "label",
            "exposure",
            "rank",
            "ranked",
            "measured_share",
            "population",
            "source",
        ],
        rows,
    )
}

fn similar_csv(view: &View<'_>, name: &str) -> Response {
    let (header, rows) = match &view.data.similar {
        Some(s) => crate::api::similar_table(view.catalogue, s),
        None => (
            [
                "code",
                "name",
                "distance",
                "based_on",
                "population",
                "source",
            ],
            Vec::new(),
        ),
    };
    csv_response(&format!("{name}_similar.csv"), &header, rows)
}

/// A sparkline as inline SVG; the numbers are in the cell's text beside it.
fn sparkline(series: &[(i32, f64)]) -> Markup {
    if series.len() < 2 {
        return html! {};
    }
    let (w, h) = (80.0, 18.0);
    let (p0, p1) = (series[0].0 as f64, series[series.len() - 1].0 as f64);
    let lo = series.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = series.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let pts: Vec<(f64, f64)> = series
        .iter()
        .map(|(p, v)| {
            (
                2.0 + if p1 > p0 {
                    (*p as f64 - p0) / (p1 - p0) * (w - 4.0)
                } else {
                    0.0
                },
                2.0 + (h - 4.0) - (v - lo) / span * (h - 4.0),
            )
        })
        .collect();
    let points = pts
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let (lx, ly) = pts[pts.len() - 1];
    html! {
        svg.sparkline viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) aria-hidden="true" focusable="false" {
            polyline points=(points) {}
            circle cx=(format!("{lx:.1}")) cy=(format!("{ly:.1}")) r="2" {}
        }
    }
}

fn downloads(links: &[(String, String)]) -> Markup {
    html! {
        p.rb-downloads {
            @for (i, (href, label)) in links.iter().enumerate() {
                @if i > 0 { " · " }
                a href=(href) download="" { (label) }
            }
        }
    }
}

fn key_row(ctx: &PageCtx, r: &KeyRow, parent_column: bool, similar_column: bool) -> Markup {
    html! {
        tr data-indicator=(r.id) data-period=[r.period] {
            th scope="row" {
                (r.label)
                span.rb-pop { @if let Some(p) = &r.population { (p) } @else { (ctx.t("populatie onbekend", "population unknown")) } }
            }
            td.num {
                // The reason is in "Wat ontbreekt"; the cell stays short so the page fits A4.
                @if r.has_value { strong.rb-value { (r.value) } } @else { span.gap title=(r.value) { (ctx.t("geen cijfer", "no figure")) } }
            }
            td.num { (r.national) }
            @if parent_column { td.num { (r.parent) } }
            @if similar_column { td.num { (r.similar) } }
            td.rb-trend { (sparkline(&r.series)) span.rb-series { (r.series_text) } }
        }
    }
}

fn body(ctx: &PageCtx, view: &View<'_>, shapes: Option<&MapShapes>, address: &str) -> Markup {
    let d = view.data;
    let code = d.code.as_str();
    // Files and links carry the chosen year, so a download is the view on the screen.
    let year_q = ctx
        .params
        .get("period")
        .filter(|p| !p.is_empty())
        .map(|p| format!("&period={}", super::encode(p)))
        .unwrap_or_default();
    let lang_q = format!("lang={}{year_q}", ctx.lang.code());
    let year_only = d.period.map(|y| format!("?period={y}")).unwrap_or_default();
    let rows = view.key_rows();
    let parent_name = View::parent_column(&rows);
    let similar_column = View::similar_column(&rows);
    let themes = view.themes();
    let base = format!("/regio/{code}/regiobeeld");
    html! {
            nav.breadcrumb.rb-screen aria-label=(ctx.t("Kruimelpad", "Breadcrumb")) {
                ol {
                    li { a href="/" { (ctx.t("Kaart", "Map")) } }
                    li { a href=(format!("/regio/{code}{year_only}")) { (d.name) } }
                    li aria-current="page" { (ctx.t("Regiobeeld", "Regional picture")) }
                }
            }
            article.regiobeeld {
                header.rb-head {
                    h1 { (view.title()) }
                    p.lead { (view.subtitle()) }
                    p.rb-screen.rb-files {
                        (ctx.t("Deze pagina past op één A4 (afdrukken) en is ook te downloaden als ", "This page fits on one A4 (print) and can also be downloaded as "))
                        a href=(format!("{base}.pdf?{lang_q}")) download="" { "PDF" } ", "
                        a href=(format!("{base}.svg?{lang_q}")) download="" { "SVG" } ". "
                        a href=(format!("/regio/{code}{year_only}")) { (ctx.t("Alle indicatoren van ", "All indicators of ")) (d.name) }
                    }
                }
                div.rb-top {
                    figure.rb-map {
                        @if let Some(s) = shapes {
                            (PreEscaped(locator_scene(view, s, 200.0, 190.0).to_svg_with_id("rb-map-title")))
                        }
                        figcaption {
                            (view.locator_caption())
                            @if shapes.is_some() { (downloads(&[(format!("{base}.svg?part=map&{lang_q}"), ctx.t("kaart als SVG", "map as SVG").to_string())])) }
                        }
                    }
                    section.rb-stacking aria-labelledby="rb-stacking-title" {
                        h2 #rb-stacking-title { (view.stacking_title()) }
                        @match view.stacking() {
                            Some((big, rest)) => {
                                p { span.rb-big { (big) } " " (rest) }
                                @let flagged = view.flagged();
                                @if !flagged.is_empty() {
                                    ul.rb-flagged { @for f in &flagged { li { (f) } } }
                                }
                                @if let Some(rank) = view.rank() { p.rb-rank { (rank) } }
                                p.rb-screen.meta { a href=(format!("/regio/{code}/themas{}", d.risk.as_ref().map(|r| format!("?period={}", r.run.record.period)).unwrap_or_default())) { (ctx.t("Waarom: kenmerken, indicatoren en gewichten", "Why: characteristics, indicators and weights")) } }
                            }
                            None => p { (ctx.t("Geen berekende risicoresultaten voor dit niveau.", "No computed risk results for this level.")) }
                        }
                    }
                    @if !themes.is_empty() {
                        section.rb-themes aria-labelledby="rb-themes-title" {
                            h2 #rb-themes-title { (ctx.t("Blootstelling per thema", "Exposure per theme")) }
                            div.rb-scroll tabindex="0" role="region" aria-labelledby="rb-themes-title" {
    table.data.rb-table {
                                caption.visually-hidden { (ctx.t("Blootstelling per thema, 0–100, en rang", "Exposure per theme, 0–100, and rank")) }
                                (table_head(ctx, &[("Thema", "Theme"), ("Blootstelling (0–100)", "Exposure (0–100)"), ("Rang", "Rank")]))
                                tbody {
                                    @for t in &themes {
                                        tr {
                                            th scope="row" { (t.label) }
                                            td.percentile {
                                                @if let Some(e) = t.exposure {
                                                    span.bar aria-hidden="true" { span.bar-fill.warm style=(format!("width:{e:.0}%")) {} }
                                                }
                                                span.num { (t.exposure_text) }
                                            }
                                            td.num { (t.rank) }
                                        }
                                    }
                                }
                            }
    }
                            (downloads(&[
                                (format!("{base}.csv?table=themes&{lang_q}"), ctx.t("tabel als CSV", "table as CSV").to_string()),
                                (format!("{base}.svg?part=themes&{lang_q}"), ctx.t("grafiek als SVG", "chart as SVG").to_string()),
                            ]))
                        }
                    }
                }
                section.rb-key aria-labelledby="rb-key-title" {
                    h2 #rb-key-title { (ctx.t("Kerncijfers", "Key figures")) }
                    div.rb-scroll tabindex="0" role="region" aria-labelledby="rb-key-title" {
                        table.data.rb-table {
                            caption.visually-hidden { (ctx.t("Kerncijfers met de populatie waarover ze gaan, Nederland, het gebied waarin de regio ligt (als dat cijfers heeft), de vergelijkbare gebieden en de reeks", "Key figures with the population they describe, the Netherlands, the area the region lies in (when it has figures), the similar areas and the series")) }
                            thead { tr {
                                th scope="col" { (ctx.t("Indicator en populatie", "Indicator and population")) }
                                th scope="col" { (d.name) }
                                th scope="col" { (ctx.t("Nederland", "Netherlands")) }
                                @if let Some(p) = &parent_name { th scope="col" { (p) } }
                                @if similar_column { th scope="col" { (ctx.t("Vergelijkbare gebieden", "Similar areas")) } }
                                th scope="col" { (ctx.t("Reeks", "Series")) }
                            } }
                            tbody { @for r in &rows { (key_row(ctx, r, parent_name.is_some(), similar_column)) } }
                        }
                    }
                    (downloads(&[
                        (format!("{base}.csv?table=key_figures&{lang_q}"), ctx.t("tabel en reeksen als CSV", "table and series as CSV").to_string()),
                        (format!("{base}.svg?part=series&{lang_q}"), ctx.t("reeksen als SVG", "series as SVG").to_string()),
                    ]))
                }
                div.rb-bottom {
                    section.rb-similar aria-labelledby="rb-similar-title" {
                        h2 #rb-similar-title { (ctx.t("Vergelijkbare gebieden", "Similar areas")) }
                        @match d.similar.as_ref().filter(|s| !s.areas.is_empty()) {
                            Some(s) => {
                                ul.rb-inline {
                                    @for a in &s.areas {
                                        li { a href=(format!("/regio/{}/regiobeeld{year_only}", a.code)) { (a.name.clone().unwrap_or_else(|| a.code.to_string())) } }
                                    }
                                }
                            }
                            None => p { (view.similar()) }
                        }
                        p.meta { (view.similar_rule()) " " span.rb-screen { (ctx.t("Regel: ", "Rule: ")) code { "catalogue/similar.toml" } } }
                        (downloads(&[(format!("{base}.csv?table=similar&{lang_q}"), ctx.t("lijst als CSV", "list as CSV").to_string())]))
                    }
                    section.rb-gaps aria-labelledby="rb-gaps-title" {
                        h2 #rb-gaps-title { (ctx.t("Wat ontbreekt", "What is missing")) }
                        ul { @for g in view.gaps() { li { (g) } } }
                    }
                }
                footer.rb-foot {
                    p { (ctx.t("Bronnen: ", "Sources: ")) (view.sources().join("; ")) }
                    p {
                        (ctx.t("Gemaakt op ", "Made on ")) (today())
                        @if let Some(run) = view.run_text() { " · " (run) }
                        " · " (ctx.t("cijfers over gebieden, nooit over personen", "figures about areas, never about persons"))
                    }
                    p.rb-address { (ctx.t("Adres: ", "Address: ")) a href=(address) { (address) } }
                }
            }
        }
}

/// The page as one file that needs no server: styles inlined, links to the server's other pages
/// kept as they are (they work when the file sits next to a running monitor).
pub(crate) fn standalone_html(
    view: &View<'_>,
    shapes: Option<&MapShapes>,
    address: &str,
) -> String {
    let ctx = PageCtx {
        lang: view.lang,
        params: HashMap::new(),
        path: format!("/regio/{}/regiobeeld", view.data.code),
        // A file for anyone: never who made it.
        account: None,
    };
    let css = format!("{}\n{}", crate::NLDS_TOKENS_CSS, crate::APP_CSS);
    html! {
        (maud::DOCTYPE)
        html lang=(view.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (view.title()) " — Kwetsbaarheidsmonitor" }
                style { (PreEscaped(css)) }
            }
            body {
                main #main.container { (body(&ctx, view, shapes, address)) }
            }
        }
    }
    .into_string()
}

/// What [`render_file`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// The A4 drawing as SVG.
    Svg,
    /// The A4 drawing as a one-page PDF.
    Pdf,
    /// The page as one self-contained HTML file (styles inlined; prints on one A4).
    Html,
}

impl FileFormat {
    /// The format a file name asks for, by its extension.
    pub fn from_path(path: &std::path::Path) -> Option<FileFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "svg" => Some(FileFormat::Svg),
            "pdf" => Some(FileFormat::Pdf),
            "html" | "htm" => Some(FileFormat::Html),
            _ => None,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Svg => "svg",
            FileFormat::Pdf => "pdf",
            FileFormat::Html => "html",
        }
    }
}

/// Map shapes per level and boundary layout, projected once for many pictures.
pub type ShapeCache = std::collections::HashMap<(kwm_model::Level, i32), std::sync::Arc<MapShapes>>;

/// Makes one region's regiobeeld as a file, without a server (for `kwm regiobeeld`).
/// `base_url` is the address of a running server, printed on the picture
/// (`{base_url}/regio/{code}/regiobeeld`).
pub fn render_file(
    store: &dyn kwm_store::Store,
    catalogue: &kwm_model::catalogue::Catalogue,
    code: &kwm_model::RegionCode,
    lang: crate::i18n::Lang,
    format: FileFormat,
    shapes: &mut ShapeCache,
    base_url: &str,
) -> Result<Vec<u8>, kwm_monitor::MonitorError> {
    let data = kwm_monitor::regiobeeld::regiobeeld(store, catalogue, code, None)?;
    let map = match data.locator.map_layout {
        Some(l) => {
            let key = (data.locator.level(code), l);
            if let std::collections::hash_map::Entry::Vacant(slot) = shapes.entry(key) {
                let built = MapShapes::build(&kwm_monitor::query::map_shapes(store, key.0, l)?);
                slot.insert(std::sync::Arc::new(built));
            }
            shapes.get(&key).cloned()
        }
        None => None,
    };
    let view = View {
        data: &data,
        catalogue,
        lang,
    };
    let address = format!("{}/regio/{code}/regiobeeld", base_url.trim_end_matches('/'));
    Ok(match format {
        FileFormat::Svg => scene(&view, map.as_deref(), &address, &today())
            .to_svg()
            .into_bytes(),
        FileFormat::Pdf => scene(&view, map.as_deref(), &address, &today()).to_pdf(),
        FileFormat::Html => standalone_html(&view, map.as_deref(), &address).into_bytes(),
    })
}
