//! The trend of one indicator for one region, on one region layout: an accessible SVG chart
//! (region line with 95% intervals, national line, markers where a value was harmonised or
//! estimated) and the same figures as a table, with the change since the previous period and
//! over the whole series and the test behind each judgement.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::response::Response;
use kwm_engine::harmonise::Method;
use kwm_model::catalogue::Catalogue;
use kwm_monitor::query;
use kwm_monitor::series::{self, Series, SeriesPoint};
use kwm_monitor::MonitorError;
use kwm_store::IndicatorRecord;
use maud::{html, Markup, PreEscaped};

use super::dashboard::label;
use super::{layout, render, value_text, Nav, PageCtx};
use crate::explain;
use crate::i18n::Lang;
use crate::state::AppState;

/// `GET /regio/{code}/trend?indicator=&layout=`
pub async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ctx: PageCtx,
) -> Response {
    render(&ctx, build(&state, &ctx, &code).await)
}

async fn build(state: &AppState, ctx: &PageCtx, raw_code: &str) -> Result<Markup, MonitorError> {
    let code = query::parse_region(raw_code)?;
    let layout_param = ctx.year("layout")?;
    let indicator_param = ctx
        .params
        .get("indicator")
        .filter(|i| !i.is_empty())
        .cloned();
    let catalogue = state.catalogue().clone();
    let (series, indicators) = state
        .query(move |store| {
            let indicator = match indicator_param {
                Some(i) => i,
                None => series::default_series_indicator(store, &catalogue, &code)?.ok_or_else(
                    || {
                        MonitorError::NotFound(format!(
                            "region '{code}' has no harmonised series (run `kwm harmonise`)"
                        ))
                    },
                )?,
            };
            let s = series::series(store, &catalogue, &code, &indicator, layout_param)?;
            let all = store.indicators()?;
            Ok((s, all))
        })
        .await?;
    let name = series
        .name
        .clone()
        .unwrap_or_else(|| series.code.to_string());
    let title = format!("{} — {name}", label(ctx.lang, &series.indicator));
    Ok(layout(
        ctx,
        &title,
        Nav::None,
        body(ctx, state.catalogue(), &series, &indicators, &name),
    ))
}

fn body(
    ctx: &PageCtx,
    c: &Catalogue,
    s: &Series,
    indicators: &[IndicatorRecord],
    name: &str,
) -> Markup {
    let i = &s.indicator.indicator;
    let code = s.code.as_str();
    let options: Vec<&IndicatorRecord> = indicators
        .iter()
        .filter(|r| {
            s.other_indicators
                .iter()
                .any(|id| id == r.indicator.id.as_str())
        })
        .collect();
    let last = s.points.last();
    let harmonised = s.points.iter().any(|p| p.method != "published");
    let cols = columns(s);
    html! {
        nav.breadcrumb aria-label=(ctx.t("Kruimelpad", "Breadcrumb")) {
            ol {
                li { a href="/" { (ctx.t("Kaart", "Map")) } }
                li { a href=(format!("/regio/{code}")) { (name) } }
                li aria-current="page" { (ctx.t("Trend", "Trend")) }
            }
        }
        h1 { (label(ctx.lang, &s.indicator)) ": " (name) }
        p.lead {
            (code) " · " (ctx.t("reeks in de indeling van", "series in the region layout of")) " " (s.layout)
            " · " a href=(format!("/regio/{code}/wijzigingen")) { (ctx.t("Wat is er veranderd in de indeling?", "What changed in the layout?")) }
        }
        form.controls method="get" action=(format!("/regio/{code}/trend")) {
            div.field {
                label for="indicator" { (ctx.t("Indicator", "Indicator")) }
                select #indicator name="indicator" {
                    @for r in &options {
                        option value=(r.indicator.id) selected[r.indicator.id == i.id] { (label(ctx.lang, r)) }
                    }
                }
            }
            @if s.layouts.len() > 1 {
                div.field {
                    label for="layout" { (ctx.t("Indeling", "Layout")) }
                    select #layout name="layout" {
                        @for l in &s.layouts { option value=(l) selected[*l == s.layout] { (l) } }
                    }
                }
            }
            button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
        }
        section aria-labelledby="summary-title" {
            h2 #summary-title { (ctx.t("Samenvatting", "Summary")) }
            @if let Some(src) = c.source_of(i.id.as_str()).filter(|s| !s.caveat_nl.is_empty()) {
                p.note { strong { (ctx.t("Let op", "Note")) ": " } (ctx.t(&src.caveat_nl, &src.caveat_en)) }
            }
            ul.trend-summary {
                @if let Some(p) = last {
                    li { (ctx.t("Laatste waarde", "Latest value")) " (" (p.period) "): " strong { (value_text(ctx.lang, p.value, i.decimals, &i.unit)) } }
                }
                @if let Some(c) = &s.trend.previous {
                    li { (ctx.t("Sinds", "Since")) " " (c.from) ": " (explain::change_text(ctx.lang, c, i.decimals, &i.unit)) }
                }
                @if let Some(c) = &s.trend.whole {
                    li { (ctx.t("Over de hele reeks", "Over the whole series")) " (" (c.from) "–" (c.to) "): " (explain::change_text(ctx.lang, c, i.decimals, &i.unit)) }
                }
                @if s.points.len() == 1 {
                    li { (ctx.t("Eén jaar beschikbaar: nog geen verandering te berekenen.", "One year available: no change to compute yet.")) }
                }
                @if let Some((period, a)) = s.trend.appearance {
                    li { (explain::appearance_text(ctx.lang, a, period)) }
                }
            }
        }
        figure.trend-figure {
            (chart(ctx.lang, s, name))
            figcaption { (legend(ctx, s)) }
        }
        h2 #trend-table-title { (ctx.t("Tabel", "Table")) }
        div.table-scroll tabindex="0" role="region" aria-labelledby="trend-table-title" {
            table.data {
                caption.visually-hidden { (label(ctx.lang, &s.indicator)) ", " (name) }
                thead { tr {
                    th scope="col" { (ctx.t("Jaar", "Year")) }
                    th scope="col" { (name) }
                    @if cols.interval { th scope="col" { (ctx.t("95%-interval", "95% interval")) } }
                    @if cols.n { th scope="col" { (ctx.t("Noemer (n)", "Denominator (n)")) } }
                    th scope="col" { (ctx.t("Hoe verkregen", "How obtained")) }
                    @if cols.national { th scope="col" { (ctx.t("Nederland", "Netherlands")) } }
                } }
                tbody {
                    @for p in &s.points {
                        (table_row(ctx, s, p, &cols))
                    }
                }
            }
        }
        @if harmonised {
            p.note {
                (ctx.t("Waarden uit jaren met een andere gemeentelijke of wijkindeling zijn omgerekend naar de indeling van ", "Values from years with a different municipal or district layout are converted to the layout of "))
                (s.layout) ": "
                (ctx.t("aantallen van samengevoegde gebieden zijn opgeteld, percentages herberekend uit tellers en noemers (of gewogen gemiddeld als die niet gepubliceerd zijn), en delen van gesplitste gebieden geschat met een gewicht. ", "counts of merged areas are added, rates recomputed from numerators and denominators (or weighted means where those are not published), and shares of split areas estimated with a weight. "))
                a href=(format!("/regio/{code}/wijzigingen")) { (ctx.t("Zie wat er veranderd is.", "See what changed.")) }
            }
        }
    }
}

/// National values to draw beside the region: only for rates and averages (a national count is
/// on another scale than a region's), and only in the years the region's series spans.
fn comparable_national(s: &Series) -> Vec<(i32, f64)> {
    if s.indicator.indicator.additive {
        return Vec::new();
    }
    let (first, last) = match (s.points.first(), s.points.last()) {
        (Some(a), Some(b)) => (a.period, b.period),
        _ => return Vec::new(),
    };
    s.national
        .iter()
        .copied()
        .filter(|(p, _)| (first..=last).contains(p))
        .collect()
}

/// Which optional columns the table needs.
struct Columns {
    interval: bool,
    n: bool,
    national: bool,
}

fn columns(s: &Series) -> Columns {
    Columns {
        interval: s
            .points
            .iter()
            .any(|p| p.lower.is_some() && p.upper.is_some()),
        n: s.points.iter().any(|p| p.n.is_some()),
        national: !comparable_national(s).is_empty(),
    }
}

fn table_row(ctx: &PageCtx, s: &Series, p: &SeriesPoint, cols: &Columns) -> Markup {
    let i = &s.indicator.indicator;
    let national = comparable_national(s)
        .iter()
        .find(|(q, _)| *q == p.period)
        .map(|(_, v)| *v);
    html! {
        tr {
            th scope="row" { (p.period) }
            td.num { (value_text(ctx.lang, p.value, i.decimals, &i.unit)) }
            @if cols.interval {
                td.num {
                    @if let (Some(lo), Some(hi)) = (p.lower, p.upper) {
                        (ctx.lang.number(lo, i.decimals)) "–" (ctx.lang.number(hi, i.decimals))
                    }
                }
            }
            @if cols.n { td.num { @if let Some(n) = p.n { (ctx.lang.number(n, 0)) } } }
            td {
                (explain::method_label(ctx.lang, &p.method, p.weighted_by.as_deref()))
                @if p.method != "published" {
                    span.meta {
                        (ctx.t("uit", "from")) " "
                        @for (k, (code, w)) in p.sources.iter().enumerate() {
                            @if k > 0 { " + " }
                            @if (*w - 1.0).abs() > 1e-9 { (ctx.lang.number(*w * 100.0, 1)) "% " (ctx.t("van", "of")) " " }
                            (code.as_str())
                        }
                        " (" (ctx.t("indeling", "layout")) " " (p.source_layout) ")"
                    }
                }
            }
            @if cols.national {
                td.num { @if let Some(v) = national { (value_text(ctx.lang, v, i.decimals, &i.unit)) } }
            }
        }
    }
}

/// Marker shape of a value: published, harmonised exactly, or estimated.
#[derive(Clone, Copy, PartialEq)]
enum Marker {
    Published,
    Harmonised,
    Estimated,
}

fn marker_of(method: &str) -> Marker {
    match Method::parse(method) {
        Some(Method::Published) | None => Marker::Published,
        Some(Method::Exact) | Some(Method::Recomputed) => Marker::Harmonised,
        Some(Method::WeightedMean) | Some(Method::Estimated) => Marker::Estimated,
    }
}

fn marker_svg(out: &mut String, m: Marker, x: f64, y: f64) {
    let _ = match m {
        Marker::Published => write!(
            out,
            r#"<circle class="m-published" cx="{x:.1}" cy="{y:.1}" r="5"/>"#
        ),
        Marker::Harmonised => write!(
            out,
            r#"<rect class="m-harmonised" x="{:.1}" y="{:.1}" width="10" height="10"/>"#,
            x - 5.0,
            y - 5.0
        ),
        Marker::Estimated => write!(
            out,
            r#"<circle class="m-estimated" cx="{x:.1}" cy="{y:.1}" r="5.5"/>"#
        ),
    };
}

/// Tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 × 10ᵏ, about five of them.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return vec![lo];
    }
    let raw = (hi - lo) / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|f| f * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    let mut out = Vec::new();
    let mut v = first;
    while v <= hi + step * 1e-9 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

const W: f64 = 760.0;
const H: f64 = 340.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 42.0;
/// Approximate width of one character of the 13px tick labels, to leave room for the longest.
const CHAR_WIDTH: f64 = 7.8;

fn chart(lang: Lang, s: &Series, name: &str) -> Markup {
    let i = &s.indicator.indicator;
    let national = comparable_national(s);
    let mut values: Vec<f64> = s.points.iter().map(|p| p.value).collect();
    values.extend(s.points.iter().filter_map(|p| p.lower));
    values.extend(s.points.iter().filter_map(|p| p.upper));
    values.extend(national.iter().map(|(_, v)| *v));
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.02).max(1e-9);
    lo -= pad;
    hi += pad;
    if lo < 0.0 && values.iter().all(|v| *v >= 0.0) {
        lo = 0.0;
    }
    let tick_values = ticks(lo, hi);
    let tick_labels: Vec<String> = tick_values
        .iter()
        .map(|t| lang.number(*t, tick_decimals(lo, hi, i.decimals)))
        .collect();
    let left = 16.0
        + CHAR_WIDTH
            * tick_labels
                .iter()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(1) as f64;
    let periods: Vec<i32> = s.points.iter().map(|p| p.period).collect();
    let (p0, p1) = (
        *periods.first().unwrap_or(&0),
        *periods.last().unwrap_or(&0),
    );
    let x = |p: i32| {
        if p1 == p0 {
            left + (W - left - RIGHT) / 2.0
        } else {
            left + 24.0 + (f64::from(p - p0) / f64::from(p1 - p0)) * (W - left - RIGHT - 48.0)
        }
    };
    let y = |v: f64| TOP + (hi - v) / (hi - lo) * (H - TOP - BOTTOM);
    let mut svg = String::new();
    // Grid and y axis.
    for (t, label) in tick_values.iter().zip(&tick_labels) {
        let ty = y(*t);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{left:.1}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
            W - RIGHT,
            left - 8.0,
            ty + 4.0,
        );
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{left:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM
    );
    for p in &periods {
        let _ = write!(
            svg,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{p}</text>"#,
            x(*p),
            H - BOTTOM + 22.0
        );
    }
    // National line.
    if !national.is_empty() {
        let pts: Vec<String> = national
            .iter()
            .map(|(p, v)| format!("{:.1},{:.1}", x(*p), y(*v)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="national" points="{}"/>"#,
            pts.join(" ")
        );
        for (p, v) in &national {
            let _ = write!(
                svg,
                r#"<circle class="m-national" cx="{:.1}" cy="{:.1}" r="3.5"/>"#,
                x(*p),
                y(*v)
            );
        }
    }
    // Intervals.
    for p in &s.points {
        if let (Some(l), Some(u)) = (p.lower, p.upper) {
            let px = x(p.period);
            let _ = write!(
                svg,
                r#"<path class="interval" d="M{:.1} {:.1}H{:.1}M{px:.1} {:.1}V{:.1}M{:.1} {:.1}H{:.1}"/>"#,
                px - 6.0,
                y(u),
                px + 6.0,
                y(u),
                y(l),
                px - 6.0,
                y(l),
                px + 6.0
            );
        }
    }
    // Region line and markers.
    let pts: Vec<String> = s
        .points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.period), y(p.value)))
        .collect();
    if pts.len() > 1 {
        let _ = write!(
            svg,
            r#"<polyline class="region-line" points="{}"/>"#,
            pts.join(" ")
        );
    }
    for p in &s.points {
        marker_svg(&mut svg, marker_of(&p.method), x(p.period), y(p.value));
    }
    let desc = chart_description(lang, s, name, &national);
    let title = format!("{} — {name}", lang.t(&i.label_nl, &i.label_en));
    html! {
        svg.trend-chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-labelledby="chart-title chart-desc" focusable="false" {
            title #chart-title { (title) }
            desc #chart-desc { (desc) }
            (PreEscaped(svg))
        }
    }
}

fn tick_decimals(lo: f64, hi: f64, decimals: u8) -> u8 {
    let span = hi - lo;
    if span >= 50.0 {
        0
    } else if span >= 5.0 {
        decimals.min(1)
    } else {
        decimals.max(1)
    }
}

/// What the chart shows, in one sentence per line, for screen readers (the table beside it
/// has every figure).
fn chart_description(lang: Lang, s: &Series, name: &str, national: &[(i32, f64)]) -> String {
    let i = &s.indicator.indicator;
    let values: Vec<String> = s
        .points
        .iter()
        .map(|p| {
            let mark = match marker_of(&p.method) {
                Marker::Published => "",
                Marker::Harmonised => lang.t(" (omgerekend)", " (converted)"),
                Marker::Estimated => lang.t(" (geschat)", " (estimated)"),
            };
            format!(
                "{}: {}{mark}",
                p.period,
                value_text(lang, p.value, i.decimals, &i.unit)
            )
        })
        .collect();
    let national: Vec<String> = national
        .iter()
        .map(|(p, v)| format!("{p}: {}", value_text(lang, *v, i.decimals, &i.unit)))
        .collect();
    let mut out = format!("{name}, {}", values.join("; "));
    if !national.is_empty() {
        out.push_str(&format!(
            ". {}: {}",
            lang.t("Nederland", "Netherlands"),
            national.join("; ")
        ));
    }
    out.push('.');
    out
}

fn legend(ctx: &PageCtx, s: &Series) -> Markup {
    let has = |m: Marker| s.points.iter().any(|p| marker_of(&p.method) == m);
    let has_interval = s
        .points
        .iter()
        .any(|p| p.lower.is_some() && p.upper.is_some());
    let key = |inner: &str| {
        PreEscaped(format!(
            r#"<svg class="key" viewBox="0 0 28 14" aria-hidden="true" focusable="false">{inner}</svg>"#
        ))
    };
    html! {
        ul.legend.trend-legend {
            li { (key(r#"<line class="region-line" x1="0" y1="7" x2="28" y2="7"/>"#)) (s.name.clone().unwrap_or_else(|| s.code.to_string())) }
            @if !comparable_national(s).is_empty() {
                li { (key(r#"<line class="national" x1="0" y1="7" x2="28" y2="7"/>"#)) (ctx.t("Nederland", "Netherlands")) }
            }
            @if has(Marker::Published) {
                li { (key(r#"<circle class="m-published" cx="14" cy="7" r="5"/>"#)) (ctx.t("zoals gepubliceerd", "as published")) }
            }
            @if has(Marker::Harmonised) {
                li { (key(r#"<rect class="m-harmonised" x="9" y="2" width="10" height="10"/>"#)) (ctx.t("omgerekend naar deze indeling (exact)", "converted to this layout (exact)")) }
            }
            @if has(Marker::Estimated) {
                li { (key(r#"<circle class="m-estimated" cx="14" cy="7" r="5"/>"#)) (ctx.t("geschat of gewogen gemiddelde", "estimated or weighted mean")) }
            }
            @if has_interval {
                li { (key(r#"<path class="interval" d="M9 2H19M14 2V12M9 12H19"/>"#)) (ctx.t("95%-betrouwbaarheidsinterval", "95% confidence interval")) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 10.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let t = ticks(11.3, 15.8);
        assert_eq!(t.first(), Some(&12.0));
        assert!(t.iter().all(|v| (11.3..=15.8).contains(v)));
        assert_eq!(ticks(5.0, 5.0), vec![5.0]);
    }
}
