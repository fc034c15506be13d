//! The stacking page: regions coloured by how many risk characteristics are flagged there
//! (legend 0..12), the same figures as a sortable table beside the map, and the distribution
//! of stacking counts as an accessible chart with its table.

use std::cmp::Ordering;
use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use kwm_model::catalogue::Catalogue;
use kwm_model::Level;
use kwm_monitor::query;
use kwm_monitor::risk::{self, Stacking, StackingRow};
use kwm_monitor::MonitorError;
use maud::{html, Markup};

use super::risk_common::{
    capitalised, factor_label, populations, run_note, threshold_text, threshold_words,
};
use super::{layout, level_label, render, Nav, PageCtx};
use crate::components::map::{layout_note, region_map, MapArea, OFF_MAP_REGIONS};
use crate::components::table::Sort;
use crate::map::MapShapes;
use crate::state::AppState;

/// `GET /stapeling?level=&period=&sort=&order=`
pub async fn page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    render(&ctx, build(&state, &ctx).await)
}

/// The link of a region in the risk pages: its theme profile.
pub fn themes_href(code: &str, period: i32) -> String {
    format!("/regio/{code}/themas?period={period}")
}

async fn build(state: &AppState, ctx: &PageCtx) -> Result<Markup, MonitorError> {
    let level = ctx.level()?;
    let period = ctx.year("period")?;
    let runs = state.query(|s| Ok(s.risk_runs()?)).await?;
    let title = ctx.t(
        "Stapeling van risicokenmerken",
        "Stacking of risk characteristics",
    );
    if runs.is_empty() {
        return Ok(layout(
            ctx,
            title,
            Nav::Stacking,
            html! {
                h1 { (title) }
                p { (ctx.t("Er zijn nog geen resultaten van het risicomodel. Bereken ze met ", "There are no results of the risk model yet. Compute them with ")) code { "kwm compute --db STORE" } "." }
            },
        ));
    }
    let mut levels: Vec<Level> = runs.iter().map(|r| r.level).collect();
    levels.dedup();
    // A level without results falls back to one that has them, so the form never dead-ends.
    let level = if levels.contains(&level) {
        level
    } else if levels.contains(&Level::Gemeente) {
        Level::Gemeente
    } else {
        levels[0]
    };
    let period = period.filter(|p| runs.iter().any(|r| r.level == level && r.period == *p));
    // One gemeente's wijken or buurten: the national result cut to them (ranks, flags and
    // thresholds stay national, and the page says so), on a map fitted to them.
    let gemeente = ctx
        .params
        .get("gemeente")
        .filter(|g| !g.is_empty())
        .map(|g| query::parse_region(g))
        .transpose()?;
    let catalogue = state.catalogue().clone();
    let (s, within) = state
        .query(move |st| {
            let mut s = risk::stacking(st, &catalogue, level, period)?;
            let within = match &gemeente {
                Some(gm) => Some(risk::stacking_within(st, &mut s, gm)?),
                None => None,
            };
            Ok((s, within))
        })
        .await?;
    let map_layout = match s.run.record.layout {
        Some(l) => {
            state
                .query(move |st| query::map_layout_for(st, level, l))
                .await?
        }
        None => None,
    };
    let shapes = match (map_layout, &within) {
        (Some(l), None) => Some(state.map(level, l).await?),
        (Some(l), Some(w)) => Some(state.map_within(level, l, w.gemeente.clone()).await?),
        (None, _) => None,
    };
    let mut choices = vec![
        ("level", level.as_str().to_string()),
        ("period", s.period.to_string()),
    ];
    if let Some(w) = &within {
        choices.push(("gemeente", w.gemeente.to_string()));
    }
    let c = state.catalogue();
    let measured: Vec<&(String, bool)> = s.characteristics.iter().filter(|(_, has)| *has).collect();
    let gaps: Vec<&(String, bool)> = s.characteristics.iter().filter(|(_, has)| !*has).collect();
    let measured_ids: Vec<String> = measured.iter().map(|(id, _)| id.clone()).collect();
    let pops = populations(ctx, c, level, s.period, &measured_ids);
    Ok(layout(
        ctx,
        &format!("{title} — {} {}", level_label(ctx.lang, level), s.period),
        Nav::Stacking,
        html! {
            h1 { (title) }
            p.lead {
                @match ctx.lang {
                    crate::i18n::Lang::Nl => {
                        "Hoeveel van de twaalf risicokenmerken van kwetsbaarheid komen per gebied samen? Een kenmerk telt in een gebied mee als het gebied daarop bij "
                        (threshold_words(ctx, &s.run.method)) " van alle " (level_label(ctx.lang, level)) " hoort (percentiel ≥ " (threshold_text(ctx, &s.run.method)) ")."
                    }
                    crate::i18n::Lang::En => {
                        "How many of the twelve risk characteristics of vulnerability come together per area? A characteristic counts in an area when, on that characteristic, the area is among "
                        (threshold_words(ctx, &s.run.method)) " of all " (level_label(ctx.lang, level)) " (percentile ≥ " (threshold_text(ctx, &s.run.method)) ")."
                    }
                }
            }
            @if let Some(w) = &within {
                p.within {
                    strong {
                        (level_label(ctx.lang, level)) " " (ctx.t("van", "of")) " "
                        a href=(format!("/regio/{}", w.gemeente)) { (w.name.clone().unwrap_or_else(|| w.gemeente.to_string())) }
                    }
                    " — " (ctx.t("percentielen, markeringen en rangen zijn die van heel Nederland; de verdeling telt alleen deze gebieden. ", "percentiles, flags and ranks are those of the whole country; the distribution counts these areas only. "))
                    a href=(ctx.url_with(&[("gemeente", None)])) { (ctx.t("Toon heel Nederland", "Show the whole country")) }
                }
            }
            form.controls method="get" action="/stapeling" {
                @if let Some(w) = &within { input type="hidden" name="gemeente" value=(w.gemeente.as_str()); }
                div.field {
                    label for="level" { (ctx.t("Niveau", "Level")) }
                    select #level name="level" {
                        @for l in &levels { option value=(l.as_str()) selected[*l == level] { (level_label(ctx.lang, *l)) } }
                    }
                }
                div.field {
                    // Each year's characteristics describe their own populations (adults 18+
                    // for 2012–2020, young adults for 2024 …): choosing the year is choosing
                    // whom the stacking is about, so every option says it.
                    label for="period" { (ctx.t("Jaar en populatie", "Year and population")) }
                    select #period name="period" {
                        @for p in &s.periods {
                            @let measured_then: Vec<String> = runs.iter().find(|r| r.level == level && r.period == *p).map(risk::measured_characteristics).unwrap_or_default();
                            @let pops = populations(ctx, c, level, *p, &measured_then);
                            option value=(p) selected[*p == s.period] {
                                (p) @if !pops.is_empty() { " — " (pops.join(", ")) }
                            }
                        }
                    }
                }
                button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
            }
            (super::permalink(ctx, "/stapeling", &choices))
            div.note {
                p {
                    strong { (ctx.t("Gemeten: ", "Measured: ")) (measured.len()) " " (ctx.t("van", "of")) " " (s.characteristics.len()) " " (ctx.t("kenmerken", "characteristics")) }
                    @if !measured.is_empty() {
                        " (" (measured.iter().map(|(id, _)| factor_label(ctx, c, id)).collect::<Vec<_>>().join(", ")) ")"
                    }
                    ". "
                    @if !gaps.is_empty() {
                        strong { (ctx.t("Gaten", "Gaps")) } ": "
                        (gaps.iter().map(|(id, _)| factor_label(ctx, c, id)).collect::<Vec<_>>().join(", "))
                        " — " a href=(format!("/dekking?level={}", level.as_str())) { (ctx.t("zie de datadekking", "see data coverage")) } "."
                    }
                }
                @if !pops.is_empty() {
                    p { strong { (ctx.t("Over wie: ", "About whom: ")) } (pops.join("; ")) ". "
                        (ctx.t("De telling beschrijft alleen deze groep(en), niet alle inwoners van een gebied.", "The count describes only this group (these groups), not all residents of an area.")) }
                }
            }
            (run_note(ctx, &s.run))
            p.see-also {
                (ctx.t("Zie ook: ", "See also: "))
                a href=(format!("/clusters?level={}&period={}", level.as_str(), s.period)) { (ctx.t("waar de stapeling clustert", "where stacking clusters")) }
                " · "
                a href=(format!("/methodevergelijking?level={}&period={}", level.as_str(), s.period)) { (ctx.t("hoe de index van de methode afhangt", "how the index depends on its method")) }
            }
            div.dashboard {
                (map_panel(ctx, &s, within.as_ref(), shapes.as_deref(), map_layout))
                (table_panel(ctx, c, &s, within.as_ref()))
            }
            (distribution(ctx, &s, within.as_ref()))
        },
    ))
}

/// The CSS class for a stacking count: 13 steps, darker is more.
fn count_class(k: usize) -> String {
    format!("s{}", k.min(12))
}

/// Regions per stacking count and regions without data: the whole level's, or one gemeente's
/// when the page is cut to it (a legend or chart never counts another set than the map shows).
fn counts<'a>(s: &'a Stacking, within: Option<&'a risk::StackingWithin>) -> (&'a [usize], usize) {
    match within {
        Some(w) => (&w.distribution, w.no_data),
        None => (&s.run.summary.distribution, s.run.summary.no_data),
    }
}

fn legend(ctx: &PageCtx, s: &Stacking, within: Option<&risk::StackingWithin>) -> Markup {
    let max = s.characteristics.len();
    let (dist, no_data) = counts(s, within);
    html! {
        div.legend.stack-legend {
            p.legend-title { (ctx.t("Aantal gemarkeerde kenmerken", "Number of flagged characteristics")) }
            ul {
                @for k in 0..=max {
                    li {
                        span class=(format!("swatch {}", count_class(k))) aria-hidden="true" {}
                        (k)
                        span.count { " (" (dist.get(k).copied().unwrap_or(0)) ")" }
                    }
                }
                li { span.swatch.nodata aria-hidden="true" {} (ctx.t("geen gegevens", "no data")) span.count { " (" (no_data) ")" } }
            }
        }
    }
}

fn region_text(ctx: &PageCtx, r: &StackingRow) -> String {
    if r.with_data == 0 {
        ctx.t("geen gegevens", "no data").to_string()
    } else {
        format!(
            "{} {} {} {}",
            r.flagged,
            ctx.t("van", "of"),
            r.with_data,
            ctx.t("kenmerken gemarkeerd", "characteristics flagged")
        )
    }
}

fn map_panel(
    ctx: &PageCtx,
    s: &Stacking,
    within: Option<&risk::StackingWithin>,
    shapes: Option<&MapShapes>,
    map_layout: Option<i32>,
) -> Markup {
    let rows: HashMap<&str, &StackingRow> = s.rows.iter().map(|r| (r.code.as_str(), r)).collect();
    let off_map = shapes.map_or(s.rows.len(), |m| {
        s.rows
            .iter()
            .filter(|r| !m.paths.iter().any(|(c, _)| c == &r.code))
            .count()
    });
    html! {
        section.map-panel aria-labelledby="map-title" {
            h2 #map-title { (ctx.t("Gestapelde risicokenmerken", "Stacked risk characteristics")) ", " (level_label(ctx.lang, s.level)) " " (s.period) }
            @match shapes {
                Some(m) if !m.paths.is_empty() => {
                    figure.map-figure {
                        (region_map(&m.view_box(), "map-title", &m.paths, |code| {
                            let row = rows.get(code.as_str());
                            MapArea {
                                class: match row { Some(r) if r.with_data > 0 => format!("region {}", count_class(r.flagged)), _ => "region nodata".to_string() },
                                href: themes_href(code.as_str(), s.period),
                                name: row.and_then(|r| r.name.clone()).unwrap_or_else(|| code.to_string()),
                                text: row.map_or_else(|| ctx.t("geen gegevens", "no data").to_string(), |r| region_text(ctx, r)),
                            }
                        }))
                        figcaption { (legend(ctx, s, within)) }
                    }
                    @if map_layout != s.run.record.layout || off_map > 0 {
                        p.note { (layout_note(ctx, map_layout, html! {}, off_map, OFF_MAP_REGIONS)) }
                    }
                }
                _ => {
                    p.note { (ctx.t("Voor dit niveau zijn geen grenzen geladen; de tabel toont alle cijfers.", "No boundaries are loaded for this level; the table shows all figures.")) }
                    (legend(ctx, s, within))
                }
            }
        }
    }
}

fn sort_rows<'a>(rows: &'a [StackingRow], key: &str, descending: bool) -> Vec<&'a StackingRow> {
    let mut sorted: Vec<&StackingRow> = rows.iter().collect();
    let name = |r: &StackingRow| {
        r.name
            .clone()
            .unwrap_or_else(|| r.code.to_string())
            .to_lowercase()
    };
    sorted.sort_by(|a, b| {
        // Regions without data always go last.
        let missing = (a.with_data == 0).cmp(&(b.with_data == 0));
        if missing != Ordering::Equal && key != "name" {
            return missing;
        }
        let by_rank = |a: &StackingRow, b: &StackingRow| {
            a.composite_rank
                .unwrap_or(usize::MAX)
                .cmp(&b.composite_rank.unwrap_or(usize::MAX))
        };
        let o = match key {
            "name" => name(a).cmp(&name(b)),
            "composite" => by_rank(a, b),
            // Most flags first, then the composite breaks ties.
            _ => b.flagged.cmp(&a.flagged).then_with(|| by_rank(a, b)),
        };
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| name(a).cmp(&name(b)))
    });
    sorted
}

fn table_panel(
    ctx: &PageCtx,
    c: &Catalogue,
    s: &Stacking,
    within: Option<&risk::StackingWithin>,
) -> Markup {
    let csv = match within {
        Some(w) => format!(
            "/api/stacking?level={}&period={}&gemeente={}&format=csv",
            s.level, s.period, w.gemeente
        ),
        None => format!(
            "/api/stacking?level={}&period={}&format=csv",
            s.level, s.period
        ),
    };
    let sort = Sort::of(ctx, &["name", "count", "composite"], "count");
    let rows = sort_rows(&s.rows, sort.key, sort.descending);
    // The count's natural order is most flags first.
    let header = |k: &str, text: &str| sort.header(ctx, k, text, k == "count");
    html! {
        section.table-panel aria-labelledby="table-title" {
            h2 #table-title { (ctx.t("Tabel", "Table")) }
            p.subtitle {
                (ctx.t("Gemarkeerd = aantal gemarkeerde kenmerken van het aantal met gegevens in de regio; onder de naam staan welke. Index = rang op de samengestelde index (1 = meest kwetsbaar), met eronder het 90%-interval van de rang over andere redelijke methoden (",
                       "Flagged = number of flagged characteristics out of those with data in the region; which ones is under the name. Index = rank on the composite index (1 = most vulnerable), with below it the 90% interval of the rank over other reasonable methods ("))
                a href=(format!("/methodevergelijking?level={}&period={}", s.level.as_str(), s.period)) { (ctx.t("methodevergelijking", "method comparison")) } "). "
                a href=(csv) { (ctx.t("Download CSV", "Download CSV")) }
            }
            div.table-scroll tabindex="0" role="region" aria-labelledby="table-title" {
                table.data.stacking {
                    caption.visually-hidden { (ctx.t("Stapeling per regio", "Stacking per region")) ", " (s.period) }
                    thead {
                        tr {
                            (header("name", ctx.t("Regio", "Region")))
                            (header("count", ctx.t("Gemarkeerd", "Flagged")))
                            (header("composite", ctx.t("Index", "Index")))
                        }
                    }
                    tbody {
                        @for r in rows {
                            tr data-code=(r.code.as_str()) {
                                th scope="row" {
                                    a href=(themes_href(r.code.as_str(), s.period)) { (r.name.clone().unwrap_or_else(|| r.code.to_string())) }
                                    @if !r.flagged_ids.is_empty() {
                                        span.meta.flag-list { (r.flagged_ids.iter().map(|id| factor_label(ctx, c, id)).collect::<Vec<_>>().join(" · ")) }
                                    }
                                }
                                td.num {
                                    @if r.with_data > 0 {
                                        span class=(format!("count-badge {}", count_class(r.flagged))) { (r.flagged) }
                                        span.of { " / " (r.with_data) }
                                    } @else {
                                        span.status { (ctx.t("geen gegevens", "no data")) }
                                    }
                                }
                                td.num {
                                    @if let Some(rank) = r.composite_rank { (rank) }
                                    @if let Some(i) = &r.rank_interval {
                                        span.meta title=(ctx.t("90%-interval van de rang over andere methoden", "90% interval of the rank over other methods")) { (ctx.lang.number(i.lower, 0)) "–" (ctx.lang.number(i.upper, 0)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Bar chart of stacking counts, drawn as SVG with a title and description, followed by the
/// same numbers as a table.
fn distribution(ctx: &PageCtx, s: &Stacking, within: Option<&risk::StackingWithin>) -> Markup {
    let (dist, no_data) = counts(s, within);
    let place = within.map(|w| w.name.clone().unwrap_or_else(|| w.gemeente.to_string()));
    let max_k = s.characteristics.len();
    let total: usize = dist.iter().sum();
    let top = dist.iter().copied().max().unwrap_or(0).max(1);
    let (w, h, pad_l, pad_b, pad_t) = (720.0, 260.0, 16.0, 44.0, 24.0);
    let slot = (w - pad_l * 2.0) / (max_k as f64 + 1.0);
    let bar = slot * 0.7;
    let desc = (0..=max_k)
        .map(|k| {
            format!(
                "{k}: {} {}",
                dist.get(k).copied().unwrap_or(0),
                level_label(ctx.lang, s.level)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        section.distribution aria-labelledby="dist-title" {
            h2 #dist-title {
                (ctx.t("Verdeling van het aantal gemarkeerde kenmerken", "Distribution of the number of flagged characteristics"))
                @if let Some(place) = &place { " " (ctx.t("in", "in")) " " (place) }
            }
            p.subtitle {
                (total) " " (level_label(ctx.lang, s.level)) " " (ctx.t("met gegevens", "with data"))
                @if no_data > 0 { "; " (no_data) " " (ctx.t("zonder gegevens (niet in de grafiek)", "without data (not in the chart)")) }
                "."
            }
            div.dist-layout {
                figure.chart {
                    svg.bars viewBox=(format!("0 0 {w} {h}")) role="img" aria-labelledby="dist-svg-title dist-svg-desc" {
                        title #dist-svg-title { (ctx.t("Aantal regio's per aantal gemarkeerde kenmerken", "Regions per number of flagged characteristics")) }
                        desc #dist-svg-desc { (desc) }
                        line x1=(pad_l) y1=(h - pad_b) x2=(w - pad_l) y2=(h - pad_b) class="axis" {}
                        @for k in 0..=max_k {
                            @let n = dist.get(k).copied().unwrap_or(0);
                            @let bh = (h - pad_b - pad_t) * n as f64 / top as f64;
                            @let x = pad_l + slot * k as f64 + (slot - bar) / 2.0;
                            rect class=(format!("col {}", count_class(k))) x=(format!("{x:.1}")) y=(format!("{:.1}", h - pad_b - bh)) width=(format!("{bar:.1}")) height=(format!("{bh:.1}")) {}
                            text.value x=(format!("{:.1}", x + bar / 2.0)) y=(format!("{:.1}", h - pad_b - bh - 6.0)) text-anchor="middle" { (n) }
                            text.tick x=(format!("{:.1}", x + bar / 2.0)) y=(format!("{:.1}", h - pad_b + 18.0)) text-anchor="middle" { (k) }
                        }
                        text.axis-label x=(format!("{:.1}", w / 2.0)) y=(format!("{:.1}", h - 6.0)) text-anchor="middle" { (ctx.t("aantal gemarkeerde kenmerken", "number of flagged characteristics")) }
                    }
                }
                div.table-scroll.dist-table tabindex="0" role="region" aria-labelledby="dist-table-caption" {
                    table.data.dist {
                        caption #dist-table-caption { (ctx.t("Verdeling als tabel", "Distribution as a table")) }
                        thead { tr {
                            th scope="col" { (ctx.t("Gemarkeerde kenmerken", "Flagged characteristics")) }
                            th scope="col" { (capitalised(level_label(ctx.lang, s.level))) }
                            th scope="col" { (ctx.t("Aandeel", "Share")) }
                        } }
                        tbody {
                            @for k in 0..=max_k {
                                @let n = dist.get(k).copied().unwrap_or(0);
                                tr {
                                    th scope="row" { (k) }
                                    td.num { (n) }
                                    td.num { @if total > 0 { (ctx.lang.number(100.0 * n as f64 / total as f64, 1)) "%" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
