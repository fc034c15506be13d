//! Pages of the analyses stored with a risk-model run: the method comparison of the composite
//! index (ranks under alternative methods, rank intervals, sensitivity indices) and the cluster
//! map (LISA quadrants or G_i* spots with the table beside the map).

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::UncertaintyParams;
use kwm_model::Level;
use kwm_monitor::clusters::{self, Category, ClusterRow, Clusters, Membership};
use kwm_monitor::composite::{self, ChoiceKind, Comparison, MethodSummary};
use kwm_monitor::MonitorError;
use maud::{html, Markup};

use super::risk_common::{capitalised, run_note};
use super::stacking::themes_href;
use super::{layout, level_label, render, Nav, PageCtx};
use crate::components::map::{region_map, MapArea};
use crate::components::table::table_head;
use crate::i18n::Lang;
use crate::labels;
use crate::map::MapShapes;
use crate::state::AppState;

/// Level and period from the query; a level without results falls back to one that has them.
async fn level_and_period(
    state: &AppState,
    ctx: &PageCtx,
) -> Result<Option<(Vec<Level>, Level, Option<i32>)>, MonitorError> {
    let level = ctx.level()?;
    let period = ctx.year("period")?;
    let runs = state.query(|s| Ok(s.risk_runs()?)).await?;
    if runs.is_empty() {
        return Ok(None);
    }
    let mut levels: Vec<Level> = runs.iter().map(|r| r.level).collect();
    levels.dedup();
    let level = if levels.contains(&level) {
        level
    } else if levels.contains(&Level::Gemeente) {
        Level::Gemeente
    } else {
        levels[0]
    };
    let period = period.filter(|p| runs.iter().any(|r| r.level == level && r.period == *p));
    Ok(Some((levels, level, period)))
}

fn nothing_computed(ctx: &PageCtx, title: &str, nav: Nav) -> Markup {
    layout(
        ctx,
        title,
        nav,
        html! {
            h1 { (title) }
            p { (ctx.t("Er zijn nog geen resultaten van het risicomodel. Bereken ze met ", "There are no results of the risk model yet. Compute them with ")) code { "kwm compute --db STORE" } "." }
        },
    )
}

fn level_period_fields(
    ctx: &PageCtx,
    levels: &[Level],
    level: Level,
    periods: &[i32],
    period: i32,
) -> Markup {
    html! {
        div.field {
            label for="level" { (ctx.t("Niveau", "Level")) }
            select #level name="level" {
                @for l in levels { option value=(l.as_str()) selected[*l == level] { (level_label(ctx.lang, *l)) } }
            }
        }
        div.field {
            label for="period" { (ctx.t("Jaar", "Year")) }
            select #period name="period" {
                @for p in periods { option value=(p) selected[*p == period] { (p) } }
            }
        }
    }
}

/// A p-value or cut-off with the decimals it needs (0,05; 0,000146), trailing zeros dropped.
fn p_text(lang: Lang, p: f64) -> String {
    let decimals = if p >= 0.01 {
        3
    } else {
        (-p.log10()).ceil() as u8 + 2
    };
    let text = lang.number(p, decimals);
    let trimmed = text.trim_end_matches('0');
    trimmed
        .strip_suffix([',', '.'])
        .unwrap_or(trimmed)
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Method comparison

/// `GET /methodevergelijking?level=&period=`
pub async fn methods_page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    render(&ctx, build_methods(&state, &ctx).await)
}

async fn build_methods(state: &AppState, ctx: &PageCtx) -> Result<Markup, MonitorError> {
    let title = ctx.t(
        "Methodevergelijking van de samengestelde index",
        "Method comparison of the composite index",
    );
    let Some((levels, level, period)) = level_and_period(state, ctx).await? else {
        return Ok(nothing_computed(ctx, title, Nav::Stacking));
    };
    let catalogue = state.catalogue().clone();
    let cmp = state
        .query(move |s| composite::comparison(s, &catalogue, level, period))
        .await?;
    let c = state.catalogue();
    let comp = &cmp.composite;
    Ok(layout(
        ctx,
        &format!("{title} — {} {}", level_label(ctx.lang, level), cmp.period),
        Nav::Stacking,
        html! {
            nav.breadcrumb aria-label=(ctx.t("Kruimelpad", "Breadcrumb")) {
                ol {
                    li { a href=(format!("/stapeling?level={}&period={}", level.as_str(), cmp.period)) { (ctx.t("Stapeling", "Stacking")) } }
                    li aria-current="page" { (ctx.t("Methodevergelijking", "Method comparison")) }
                }
            }
            h1 { (title) }
            p.lead {
                (ctx.t("De samengestelde index rangschikt de regio's op alle gemeten kenmerken samen (rang 1 = meest kwetsbaar). Die rang hangt af van keuzes: hoe de kenmerken op één schaal komen, hoe zwaar ze wegen en hoe ze worden samengenomen. Deze pagina laat zien hoeveel de rangen verschuiven als een keuze anders uitvalt.",
                       "The composite index ranks the regions on all measured characteristics together (rank 1 = most vulnerable). That rank depends on choices: how the characteristics are put on one scale, how much they weigh and how they are combined. This page shows how far the ranks move when a choice is made differently."))
            }
            form.controls method="get" action="/methodevergelijking" {
                (level_period_fields(ctx, &levels, level, &cmp.periods, cmp.period))
                button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
            }
            (run_note(ctx, &cmp.run))
            nav aria-label=(ctx.t("Op deze pagina", "On this page")) {
                ul.toc {
                    li { a href="#methode" { (ctx.t("Nominale methode", "Nominal method")) } }
                    li { a href="#verschuiving" { (ctx.t("Verschuiving per methode", "Shift per method")) } }
                    li { a href="#gevoeligheid" { (ctx.t("Gevoeligheid", "Sensitivity")) } }
                    li { a href="#rangen" { (ctx.t("Rangen per regio", "Ranks per region")) } }
                }
            }
            section aria-labelledby="methode" {
                h2 #methode { (ctx.t("Nominale methode", "Nominal method")) }
                p {
                    (ctx.t("De index op de andere pagina's: ", "The index on the other pages: "))
                    strong { (labels::method(ctx.lang, comp.method)) } ". "
                    (ctx.t("Ingesteld in ", "Set in ")) code { "catalogue/method.toml" } " (" code { "[composite]" } "). "
                    (ctx.t("Technisch: ", "Technically: ")) span.meta { (comp.description) }
                }
                div.table-scroll.weights tabindex="0" role="region" aria-labelledby="weights-caption" {
                    table.data.weights {
                        caption #weights-caption { (ctx.t("Gewicht per kenmerk in de index", "Weight per characteristic in the index")) }
                        thead { tr { th scope="col" { (ctx.t("Kenmerk", "Characteristic")) } th scope="col" { (ctx.t("Gewicht", "Weight")) } } }
                        tbody {
                            @for (id, w) in &comp.weights {
                                tr { th scope="row" { (labels::variable(ctx.lang, c, id)) } td.num { (ctx.lang.number(w * 100.0, 1)) "%" } }
                            }
                        }
                    }
                }
            }
            (shift_section(ctx, &cmp))
            (sensitivity_section(ctx, &cmp))
            (ranks_section(ctx, &cmp))
            p.note {
                (ctx.t("Een rang is een uitspraak over een gebied ten opzichte van andere gebieden, niet over personen. Verschuift een rang sterk tussen redelijke methoden, lees hem dan als een bandbreedte.",
                       "A rank says something about an area relative to other areas, not about persons. When a rank moves a lot between reasonable methods, read it as a range."))
                " " a href="/methode" { (ctx.t("Methode", "Method")) }
            }
        },
    ))
}

fn method_label(ctx: &PageCtx, m: &MethodSummary) -> String {
    match m.changes {
        ChoiceKind::Nominal => format!(
            "{} ({})",
            ctx.t("Nominaal", "Nominal"),
            labels::method(ctx.lang, m.method)
        ),
        _ => capitalised(&labels::compared(ctx.lang, m.changes, m.method)),
    }
}

fn moved(m: &MethodSummary, places: usize) -> Option<usize> {
    m.moved_more_than
        .iter()
        .find(|(t, _)| *t == places)
        .map(|x| x.1)
}

/// Horizontal bars of the share of regions moving more than 10 places per method, then the table.
fn shift_section(ctx: &PageCtx, cmp: &Comparison) -> Markup {
    let alternatives: Vec<&MethodSummary> = cmp.composite.methods.iter().skip(1).collect();
    let ranked = cmp
        .composite
        .methods
        .first()
        .map_or(0, |m| m.compared)
        .max(1);
    // A viewBox about as wide as the chart's column, so its text keeps the page's size.
    let (w, row_h, label_w, pad) = (540.0, 32.0, 250.0, 12.0);
    let h = pad * 2.0 + row_h * alternatives.len() as f64;
    let most = alternatives
        .iter()
        .filter_map(|m| moved(m, 10))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = (w - label_w - 60.0) / most as f64;
    let desc = alternatives
        .iter()
        .map(|m| {
            format!(
                "{}: {} {}",
                method_label(ctx, m),
                moved(m, 10).unwrap_or(0),
                level_label(ctx.lang, cmp.level)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        section aria-labelledby="verschuiving" {
            h2 #verschuiving { (ctx.t("Verschuiving per methode", "Shift per method")) }
            p {
                (ctx.t("Elke methode verandert één keuze van de nominale methode. De grafiek toont hoeveel ", "Each method changes one choice of the nominal method. The chart shows how many "))
                (level_label(ctx.lang, cmp.level))
                (ctx.t(" meer dan 10 plaatsen in rang verschuiven; de tabel geeft ook de gemiddelde en grootste verschuiving en de rangcorrelatie met de nominale rangorde.",
                       " move more than 10 places in rank; the table also gives the mean and largest shift and the rank correlation with the nominal ranking."))
            }
            div.chart-table.wide-table {
                figure.chart {
                    svg.bars.shift-chart viewBox=(format!("0 0 {w} {h:.0}")) role="img" aria-labelledby="shift-title shift-desc" {
                        title #shift-title { (ctx.t("Regio's die meer dan 10 plaatsen verschuiven, per methode, van ", "Regions moving more than 10 places, per method, of ")) (ranked) }
                        desc #shift-desc { (desc) }
                        @for (k, m) in alternatives.iter().enumerate() {
                            @let y = pad + row_h * k as f64;
                            @let n = moved(m, 10).unwrap_or(0);
                            @let bw = scale * n as f64;
                            text.tick x=(format!("{:.1}", label_w - 8.0)) y=(format!("{:.1}", y + row_h * 0.62)) text-anchor="end" { (method_label(ctx, m)) }
                            rect.shift x=(label_w) y=(format!("{:.1}", y + 6.0)) width=(format!("{bw:.1}")) height=(format!("{:.1}", row_h - 12.0)) {}
                            text.value x=(format!("{:.1}", label_w + bw + 6.0)) y=(format!("{:.1}", y + row_h * 0.62)) { (n) }
                        }
                        line.axis x1=(label_w) y1=(pad) x2=(label_w) y2=(format!("{:.1}", pad + row_h * alternatives.len() as f64)) {}
                    }
                }
                div.table-scroll tabindex="0" role="region" aria-labelledby="shift-caption" {
                    table.data.shifts {
                        caption #shift-caption { (ctx.t("Verschuiving ten opzichte van de nominale rang", "Shift from the nominal rank")) }
                        thead { tr {
                            th scope="col" { (ctx.t("Methode", "Method")) }
                            th scope="col" { (ctx.t("> 10 plaatsen", "> 10 places")) }
                            th scope="col" { (ctx.t("> 25 plaatsen", "> 25 places")) }
                            th scope="col" { (ctx.t("Gemiddeld", "Mean")) }
                            th scope="col" { (ctx.t("Grootste", "Largest")) }
                            th scope="col" { abbr title=(ctx.t("rangcorrelatie van Spearman", "Spearman rank correlation")) { "ρ" } }
                        } }
                        tbody {
                            @for m in &alternatives {
                                tr data-method=(m.key) {
                                    th scope="row" { (method_label(ctx, m)) }
                                    @if let Some(e) = &m.error {
                                        td colspan="5" { span.status { (ctx.t("niet toepasbaar: ", "not applicable: ")) (e) } }
                                    } @else {
                                        td.num { (moved(m, 10).unwrap_or(0)) }
                                        td.num { (moved(m, 25).unwrap_or(0)) }
                                        td.num { (m.mean_abs_shift.map(|x| ctx.lang.number(x, 1)).unwrap_or_default()) }
                                        td.num { (m.max_shift.map(|x| x.to_string()).unwrap_or_default()) }
                                        td.num { (m.spearman.map(|x| ctx.lang.number(x, 3)).unwrap_or_default()) }
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

/// Grouped bars of first-order and total indices per choice, then the table.
fn sensitivity_section(ctx: &PageCtx, cmp: &Comparison) -> Markup {
    let comp = &cmp.composite;
    html! {
        section aria-labelledby="gevoeligheid" {
            h2 #gevoeligheid { (ctx.t("Gevoeligheid voor elke keuze", "Sensitivity to each choice")) }
            @match (&comp.uncertainty, &comp.uncertainty_error) {
                (None, Some(e)) => p.error-message { (ctx.t("De Monte-Carloanalyse kon niet worden uitgevoerd: ", "The Monte Carlo analysis could not run: ")) (e) }
                (None, None) => p { (ctx.t("De Monte-Carloanalyse staat uit (", "The Monte Carlo analysis is switched off (")) code { "[uncertainty] runs = 0" } ")." }
                (Some(u), _) => {
                    p {
                        (ctx.t("Monte Carlo: in elke run wordt voor elke keuze willekeurig een alternatief getrokken (", "Monte Carlo: every run draws an alternative for every choice at random ("))
                        (u.factors.iter().map(|f| format!("{}: {}", labels::factor(ctx.lang, &f.name), factor_alternatives(ctx, &f.name, &cmp.run.method.uncertainty))).collect::<Vec<_>>().join("; "))
                        (ctx.t("), de index opnieuw berekend en gerangschikt. ", "), the index recomputed and ranked. "))
                        (ctx.lang.number(u.total_runs as f64, 0)) (ctx.t(" berekeningen, zaad ", " computations, seed ")) (u.seed) ". "
                        (ctx.t("De gevoeligheidsindex meet welk deel van de variantie in de gemiddelde rangverschuiving door een keuze komt: eerste orde = door die keuze alleen, totaal = inclusief samenspel met de andere keuzes (Jansen-schatters).",
                               "The sensitivity index measures which share of the variance of the mean rank shift a choice causes: first-order = by that choice alone, total = including its interplay with the other choices (Jansen estimators)."))
                    }
                    @if u.indices.is_empty() {
                        p { (ctx.t("Met minder dan twee variërende keuzes zijn er geen gevoeligheidsindices.", "With fewer than two varying choices there are no sensitivity indices.")) }
                    } @else if u.indices.iter().all(|i| i.total.is_none()) {
                        p { (ctx.t("Geen enkele run verandert hier de rangorde (bijvoorbeeld omdat maar één kenmerk gemeten is): er is geen variantie om over de keuzes te verdelen.",
                                   "No run changes the ranking here (for instance because only one characteristic is measured): there is no variance to divide among the choices.")) }
                    } @else {
                        (sensitivity_chart(ctx, u))
                    }
                }
            }
        }
    }
}

/// The alternatives of a varying choice in words.
fn factor_alternatives(ctx: &PageCtx, name: &str, u: &UncertaintyParams) -> String {
    match name {
        "normalisation" => u
            .normalisations
            .iter()
            .map(|c| labels::normalisation(ctx.lang, *c))
            .collect::<Vec<_>>()
            .join(", "),
        "weighting" => u
            .weightings
            .iter()
            .map(|c| labels::weighting(ctx.lang, *c))
            .collect::<Vec<_>>()
            .join(", "),
        "aggregation" => u
            .aggregations
            .iter()
            .map(|c| labels::aggregation(ctx.lang, *c))
            .collect::<Vec<_>>()
            .join(", "),
        _ => format!(
            "{} {}{}",
            u.weight_noise_sets,
            ctx.t(
                "sets waarin elk gewicht met ten hoogste ",
                "sets in which every weight changes by at most "
            ),
            format_args!(
                "{}%{}",
                ctx.lang.number(u.weight_noise * 100.0, 0),
                ctx.t(" verandert", "")
            )
        ),
    }
}

fn sensitivity_chart(ctx: &PageCtx, u: &composite::UncertaintySummary) -> Markup {
    let (w, group_h, label_w, pad) = (560.0, 54.0, 190.0, 12.0);
    let h = pad * 2.0 + group_h * u.indices.len() as f64 + 30.0;
    let scale = w - label_w - 70.0;
    let fmt = |x: Option<f64>| x.map_or("–".to_string(), |v| ctx.lang.number(v, 2));
    let desc = u
        .indices
        .iter()
        .map(|i| {
            format!(
                "{}: {} {}, {} {}",
                labels::factor(ctx.lang, &i.factor),
                ctx.t("eerste orde", "first-order"),
                fmt(i.first_order),
                ctx.t("totaal", "total"),
                fmt(i.total)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        div.chart-table {
            figure.chart {
                svg.bars.sensitivity-chart viewBox=(format!("0 0 {w} {h:.0}")) role="img" aria-labelledby="sens-title sens-desc" {
                    title #sens-title { (ctx.t("Gevoeligheidsindices per keuze", "Sensitivity indices per choice")) }
                    desc #sens-desc { (desc) }
                    @for (k, i) in u.indices.iter().enumerate() {
                        @let y = pad + group_h * k as f64;
                        @let first = i.first_order.unwrap_or(0.0).clamp(0.0, 1.0);
                        @let total = i.total.unwrap_or(0.0).clamp(0.0, 1.0);
                        text.tick x=(format!("{:.1}", label_w - 8.0)) y=(format!("{:.1}", y + group_h * 0.5)) text-anchor="end" { (capitalised(&labels::factor(ctx.lang, &i.factor))) }
                        rect.first x=(label_w) y=(format!("{:.1}", y + 4.0)) width=(format!("{:.1}", scale * first)) height="20" {}
                        text.value x=(format!("{:.1}", label_w + scale * first + 6.0)) y=(format!("{:.1}", y + 19.0)) { (fmt(i.first_order)) }
                        rect.total x=(label_w) y=(format!("{:.1}", y + 26.0)) width=(format!("{:.1}", scale * total)) height="20" {}
                        text.value x=(format!("{:.1}", label_w + scale * total + 6.0)) y=(format!("{:.1}", y + 41.0)) { (fmt(i.total)) }
                    }
                    line.axis x1=(label_w) y1=(pad) x2=(label_w) y2=(format!("{:.1}", pad + group_h * u.indices.len() as f64)) {}
                    rect.first x=(label_w) y=(format!("{:.1}", h - 24.0)) width="16" height="12" {}
                    text.axis-label x=(format!("{:.1}", label_w + 22.0)) y=(format!("{:.1}", h - 13.0)) { (ctx.t("eerste orde", "first-order")) }
                    rect.total x=(format!("{:.1}", label_w + 150.0)) y=(format!("{:.1}", h - 24.0)) width="16" height="12" {}
                    text.axis-label x=(format!("{:.1}", label_w + 172.0)) y=(format!("{:.1}", h - 13.0)) { (ctx.t("totaal", "total")) }
                }
            }
            div.table-scroll tabindex="0" role="region" aria-labelledby="sens-caption" {
                table.data.sensitivity {
                    caption #sens-caption { (ctx.t("Gevoeligheidsindices (0–1)", "Sensitivity indices (0–1)")) }
                    (table_head(ctx, &[("Keuze", "Choice"), ("Eerste orde", "First-order"), ("Totaal", "Total")]))
                    tbody {
                        @for i in &u.indices {
                            tr data-factor=(i.factor) {
                                th scope="row" { (capitalised(&labels::factor(ctx.lang, &i.factor))) }
                                td.num { (fmt(i.first_order)) }
                                td.num { (fmt(i.total)) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(wd) = u.median_interval_width {
            p { (ctx.t("Mediane breedte van het 90%-interval van de rang: ", "Median width of the 90% rank interval: ")) strong { (ctx.lang.number(wd, 0)) } (ctx.t(" plaatsen.", " places.")) }
        }
    }
}

/// Marker shapes per compared method (after the nominal one), so the chart reads without colour.
const MARKERS: [&str; 6] = ["square", "triangle", "diamond", "cross", "plus", "star"];

fn marker(kind: &str, x: f64, y: f64, class: &str) -> Markup {
    let r = 5.0;
    let d = match kind {
        "square" => format!(
            "M{:.1} {:.1}h{:.1}v{:.1}h-{:.1}z",
            x - r,
            y - r,
            2.0 * r,
            2.0 * r,
            2.0 * r
        ),
        "triangle" => format!(
            "M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}z",
            y - r,
            x + r,
            y + r,
            x - r,
            y + r
        ),
        "diamond" => format!(
            "M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}z",
            y - r,
            x + r,
            y + r,
            x - r
        ),
        "cross" => format!(
            "M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}",
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
        "plus" => format!(
            "M{:.1} {y:.1}H{:.1}M{x:.1} {:.1}V{:.1}",
            x - r,
            x + r,
            y - r,
            y + r
        ),
        _ => format!(
            "M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}z",
            y + r,
            x + r,
            y - r,
            x - r,
            y - r
        ),
    };
    html! { path class=(format!("marker {class}")) d=(d) {} }
}

/// Per region (the 30 most vulnerable by nominal rank) the 90% interval with its median and the
/// rank under every compared method; then the table of all regions.
fn ranks_section(ctx: &PageCtx, cmp: &Comparison) -> Markup {
    let methods = &cmp.composite.methods;
    let shown: Vec<_> = cmp
        .rows
        .iter()
        .filter(|r| r.ranks.first().copied().flatten().is_some())
        .take(30)
        .collect();
    // The axis ends at the largest rank shown (a nice round number above it), not at the
    // number of regions: the most vulnerable regions would otherwise crowd the left edge.
    let ranked = methods.first().map_or(0, |m| m.compared).max(2);
    let largest = shown
        .iter()
        .flat_map(|r| r.ranks.iter().flatten().map(|x| *x as f64).chain(r.upper))
        .fold(2.0f64, f64::max);
    let step = if largest > 200.0 {
        50
    } else if largest > 60.0 {
        20
    } else if largest > 25.0 {
        10
    } else {
        5
    };
    let axis_max = ((largest / step as f64).ceil() as usize * step).min(ranked.max(step));
    let (w, row_h, label_w, pad_t) = (760.0, 22.0, 190.0, 40.0);
    let h = pad_t + row_h * shown.len() as f64 + 20.0;
    let x = |rank: f64| {
        label_w + (rank - 1.0) / (axis_max as f64 - 1.0).max(1.0) * (w - label_w - 20.0)
    };
    let ticks: Vec<usize> = std::iter::once(1)
        .chain((step..=axis_max).step_by(step))
        .collect();
    let desc = shown
        .iter()
        .map(|r| {
            let name = r.name.clone().unwrap_or_else(|| r.code.to_string());
            let interval = match (r.lower, r.upper) {
                (Some(lo), Some(hi)) => format!(
                    ", 90% {} {}–{}",
                    ctx.t("interval", "interval"),
                    ctx.lang.number(lo, 0),
                    ctx.lang.number(hi, 0)
                ),
                _ => String::new(),
            };
            format!(
                "{name}: {} {}{interval}",
                ctx.t("rang", "rank"),
                r.ranks[0].map(|x| x.to_string()).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        section aria-labelledby="rangen" {
            h2 #rangen { (ctx.t("Rangen per regio", "Ranks per region")) }
            p {
                (ctx.t("Per regio de rang onder de nominale methode (●), onder elke andere methode (symbolen) en het 90%-interval van de Monte-Carloruns (balk, met de mediaan als streepje). De grafiek toont de 30 meest kwetsbare ", "Per region the rank under the nominal method (●), under every other method (symbols) and the 90% interval of the Monte Carlo runs (bar, with the median as a tick). The chart shows the 30 most vulnerable "))
                (level_label(ctx.lang, cmp.level))
                (ctx.t(" volgens de nominale methode; de tabel eronder heeft ze allemaal.", " by the nominal method; the table below has all of them."))
                " " a href=(format!("/api/composite?level={}&period={}&format=csv", cmp.level.as_str(), cmp.period)) { (ctx.t("Download CSV", "Download CSV")) }
            }
            @if !shown.is_empty() {
                figure.chart.ranks-figure {
                    svg.bars.rank-chart viewBox=(format!("0 0 {w} {h:.0}")) role="img" aria-labelledby="ranks-title ranks-desc" {
                        title #ranks-title { (ctx.t("Rang per methode en 90%-interval, meest kwetsbare regio's", "Rank per method and 90% interval, most vulnerable regions")) }
                        desc #ranks-desc { (desc) }
                        @for t in &ticks {
                            line.grid x1=(format!("{:.1}", x(*t as f64))) y1=(format!("{:.1}", pad_t - 6.0)) x2=(format!("{:.1}", x(*t as f64))) y2=(format!("{:.1}", h - 20.0)) {}
                            text.tick x=(format!("{:.1}", x(*t as f64))) y=(format!("{:.1}", pad_t - 12.0)) text-anchor="middle" { (t) }
                        }
                        @for (k, r) in shown.iter().enumerate() {
                            @let y = pad_t + row_h * k as f64 + row_h / 2.0;
                            text.tick x=(format!("{:.1}", label_w - 8.0)) y=(format!("{:.1}", y + 4.0)) text-anchor="end" { (r.name.clone().unwrap_or_else(|| r.code.to_string())) }
                            @if let (Some(lo), Some(hi)) = (r.lower, r.upper) {
                                rect.interval x=(format!("{:.1}", x(lo))) y=(format!("{:.1}", y - 4.0)) width=(format!("{:.1}", (x(hi) - x(lo)).max(1.5))) height="8" {}
                            }
                            @if let Some(m) = r.median {
                                line.median x1=(format!("{:.1}", x(m))) y1=(format!("{:.1}", y - 7.0)) x2=(format!("{:.1}", x(m))) y2=(format!("{:.1}", y + 7.0)) {}
                            }
                            @for (j, rank) in r.ranks.iter().enumerate().skip(1) {
                                @if let Some(rank) = rank {
                                    (marker(MARKERS[(j - 1) % MARKERS.len()], x(*rank as f64), y, &format!("m{}", (j - 1) % MARKERS.len())))
                                }
                            }
                            @if let Some(rank) = r.ranks[0] {
                                circle.nominal cx=(format!("{:.1}", x(rank as f64))) cy=(format!("{y:.1}")) r="5" {}
                            }
                        }
                    }
                    figcaption.legend.rank-legend {
                        ul {
                            li { svg.key width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" { circle.nominal cx="8" cy="8" r="5" {} } (method_label(ctx, &methods[0])) }
                            @for (j, m) in methods.iter().enumerate().skip(1) {
                                li { svg.key width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" { (marker(MARKERS[(j - 1) % MARKERS.len()], 8.0, 8.0, &format!("m{}", (j - 1) % MARKERS.len()))) } (method_label(ctx, m)) }
                            }
                            li { svg.key width="24" height="16" viewBox="0 0 24 16" aria-hidden="true" { rect.interval x="0" y="4" width="24" height="8" {} line.median x1="12" y1="1" x2="12" y2="15" {} } (ctx.t("90%-interval en mediaan (Monte Carlo)", "90% interval and median (Monte Carlo)")) }
                        }
                    }
                }
            }
            div.table-scroll tabindex="0" role="region" aria-labelledby="ranks-caption" {
                table.data.method-ranks {
                    caption #ranks-caption { (ctx.t("Rang per methode, alle regio's (1 = meest kwetsbaar)", "Rank per method, all regions (1 = most vulnerable)")) }
                    thead { tr {
                        th scope="col" { (ctx.t("Regio", "Region")) }
                        @for m in methods {
                            th scope="col" {
                                @if m.changes == ChoiceKind::Nominal { (ctx.t("Nominaal", "Nominal")) } @else { (method_label(ctx, m)) }
                            }
                        }
                        th scope="col" { (ctx.t("90%-interval", "90% interval")) }
                    } }
                    tbody {
                        @for r in &cmp.rows {
                            tr data-code=(r.code.as_str()) {
                                th scope="row" { a href=(themes_href(r.code.as_str(), cmp.period)) { (r.name.clone().unwrap_or_else(|| r.code.to_string())) } }
                                @for rank in &r.ranks { td.num { (rank.map(|x| x.to_string()).unwrap_or_default()) } }
                                td.num.interval-cell {
                                    @if let (Some(median), Some(lower), Some(upper)) = (r.median, r.lower, r.upper) {
                                        (ctx.lang.number(lower, 0)) "–" (ctx.lang.number(upper, 0))
                                        span.meta { (ctx.t("mediaan ", "median ")) (ctx.lang.number(median, 0)) }
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

// ---------------------------------------------------------------------------------------------
// Cluster map

/// `GET /clusters?level=&period=&variable=&statistic=&fdr=`
pub async fn clusters_page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    render(&ctx, build_clusters(&state, &ctx).await)
}

/// The page's link for a variable and statistic.
pub fn clusters_href(level: Level, period: i32, variable: &str, statistic: &str) -> String {
    format!(
        "/clusters?level={}&period={period}&variable={variable}&statistic={statistic}",
        level.as_str()
    )
}

async fn build_clusters(state: &AppState, ctx: &PageCtx) -> Result<Markup, MonitorError> {
    let title = ctx.t("Ruimtelijke clusters", "Spatial clusters");
    let Some((levels, level, period)) = level_and_period(state, ctx).await? else {
        return Ok(nothing_computed(ctx, title, Nav::Clusters));
    };
    let variable = ctx
        .params
        .get("variable")
        .filter(|v| !v.is_empty())
        .cloned();
    let statistic = ctx
        .params
        .get("statistic")
        .filter(|v| !v.is_empty())
        .cloned();
    let fdr = match ctx.params.get("fdr").map(String::as_str) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        None | Some("") => None,
        Some(other) => {
            return Err(MonitorError::BadRequest(format!(
                "fdr: expected true or false, found '{other}'"
            )))
        }
    };
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
                    alpha: None,
                    fdr,
                },
            )
        })
        .await?;
    let shapes = match cl.summary.boundary_layout {
        Some(l) => Some(state.map(level, l).await?),
        None => None,
    };
    let c = state.catalogue();
    let var_label = labels::variable(ctx.lang, c, &cl.variable);
    Ok(layout(
        ctx,
        &format!(
            "{title} — {var_label}, {} {}",
            level_label(ctx.lang, level),
            cl.period
        ),
        Nav::Clusters,
        html! {
            h1 { (title) }
            p.lead {
                (ctx.t("Waar liggen gebieden met hoge (of lage) waarden naast elkaar? Een cluster is een groep buurgebieden die meer op elkaar lijken dan bij toeval te verwachten is. Het gaat om gebieden, nooit om personen.",
                       "Where do areas with high (or low) values lie next to each other? A cluster is a group of neighbouring areas that are more alike than chance would give. It is about areas, never about persons."))
            }
            @if cl.summary.note.is_some() {
                form.controls method="get" action="/clusters" {
                    (level_period_fields(ctx, &levels, level, &cl.periods, cl.period))
                    button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
                }
                (run_note(ctx, &cl.run))
                p.note {
                    @if cl.summary.boundary_layout.is_none() && cl.summary.settings.permutations > 0 {
                        (ctx.t("Voor ", "No boundaries are loaded for ")) (level_label(ctx.lang, level))
                        (ctx.t(" zijn geen grenzen geladen: welke gebieden buren zijn, en dus clusters, is niet te bepalen. Laad grenzen (GeoJSON of TopoJSON) met ",
                               ": which areas are neighbours, and so clusters, cannot be determined. Load boundaries (GeoJSON or TopoJSON) with "))
                        code { "kwm ingest" } (ctx.t(" en bereken opnieuw met ", " and recompute with ")) code { "kwm compute" } "."
                    } @else {
                        (ctx.t("Clusters staan uit: ", "Clusters are switched off: ")) code { "[clusters] permutations = 0" } (ctx.t(" in method.toml.", " in method.toml."))
                    }
                }
            } @else {
                form.controls method="get" action="/clusters" {
                    (level_period_fields(ctx, &levels, level, &cl.periods, cl.period))
                    div.field {
                        label for="variable" { (ctx.t("Wat", "What")) }
                        select #variable name="variable" {
                            @for v in clusters::variables(&cl.summary) { option value=(v) selected[v == cl.variable] { (capitalised(&labels::variable(ctx.lang, c, v))) } }
                        }
                    }
                    div.field {
                        label for="statistic" { (ctx.t("Maat", "Statistic")) }
                        select #statistic name="statistic" {
                            @for s in clusters::STATISTICS { option value=(s) selected[s == cl.statistic] { (labels::statistic(ctx.lang, s)) } }
                        }
                    }
                    div.field {
                        label for="fdr" { (ctx.t("Significantie", "Significance")) }
                        select #fdr name="fdr" {
                            option value="false" selected[!cl.fdr] { "p < " (ctx.lang.number(cl.alpha, 2)) }
                            option value="true" selected[cl.fdr] { (ctx.t("FDR-correctie (Benjamini-Hochberg)", "FDR correction (Benjamini-Hochberg)")) }
                        }
                    }
                    button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
                }
                (run_note(ctx, &cl.run))
                (test_note(ctx, &cl))
                div.dashboard {
                    (cluster_map(ctx, &cl, shapes.as_deref(), &var_label))
                    (cluster_table(ctx, &cl, &var_label))
                }
            }
        },
    ))
}

fn test_note(ctx: &PageCtx, cl: &Clusters) -> Markup {
    let s = &cl.summary;
    let v = cl.variable_summary.as_ref();
    html! {
        div.note {
            p {
                @if cl.statistic == "lisa" {
                    (ctx.t("Lokale Moran's I vergelijkt de waarde van een gebied met het gemiddelde van zijn buren: hoog-hoog = een hoge waarde tussen hoge waarden (cluster), hoog tussen laag = een uitschieter. ",
                           "Local Moran's I compares an area's value with the mean of its neighbours: high-high = a high value among high values (cluster), high among low = an outlier. "))
                } @else {
                    (ctx.t("Getis-Ord G_i* vergelijkt de som van een gebied en zijn buren met het totaal: een hot spot is een buurt van gebieden met samen hoge waarden. ",
                           "Getis-Ord G_i* compares the sum of an area and its neighbours with the total: a hot spot is a neighbourhood of areas with high values together. "))
                }
                (ctx.t("Buren: gebieden die aan elkaar grenzen (queen, grenzen binnen ", "Neighbours: areas that touch (queen, boundaries within "))
                (ctx.lang.number(s.settings.snap_metres, 1)) " m"
                (ctx.t(" gelden als rakend). Significantie: ", " count as touching). Significance: "))
                (s.settings.permutations) (ctx.t(" conditionele permutaties per gebied (", " conditional permutations per area ("))
                (s.settings.alternative.as_str()) ", " (ctx.t("zaad ", "seed ")) (s.settings.seed) "); "
                (ctx.t("significant als p < ", "significant when p < ")) strong { (p_text(ctx.lang, cl.cutoff)) }
                @if cl.fdr {
                    " " (ctx.t("(FDR-grens bij α = ", "(FDR cut-off at α = ")) (ctx.lang.number(cl.alpha, 2)) "). "
                    @if cl.cutoff <= 1.0 / (s.settings.permutations as f64 + 1.0) {
                        (ctx.t("Met ", "With ")) (s.settings.permutations)
                        (ctx.t(" permutaties is de kleinste mogelijke p-waarde ", " permutations the smallest possible p-value is "))
                        (p_text(ctx.lang, 1.0 / (s.settings.permutations as f64 + 1.0)))
                        (ctx.t(": geen gebied kan deze grens halen. Meer permutaties (", ": no area can reach this cut-off. More permutations ("))
                        code { "[clusters] permutations" } (ctx.t(" in method.toml) maken dat mogelijk.", " in method.toml) make that possible."))
                    }
                } @else {
                    ". " (ctx.t("Zonder correctie is bij zoveel gebieden ongeveer 1 op de 20 toevallig significant; kies FDR-correctie voor een strengere grens.",
                               "Without correction about 1 in 20 areas is significant by chance; choose the FDR correction for a stricter cut-off."))
                }
            }
            @if let Some(v) = v {
                p {
                    (v.analysed) " " (level_label(ctx.lang, cl.level)) " " (ctx.t("geanalyseerd", "analysed"))
                    @if let Some(g) = &v.global {
                        "; " (ctx.t("globale Moran's I = ", "global Moran's I = ")) (ctx.lang.number(g.i, 3))
                        @if let Some(p) = g.p_sim { " (p = " (ctx.lang.number(p, 3)) ")" }
                    }
                    @if !v.islands.is_empty() {
                        "; " (ctx.t("zonder buren met gegevens: ", "without neighbours with data: ")) (v.islands.join(", "))
                    }
                    "."
                }
                @for e in &v.errors { p.error-message { (e) } }
            }
        }
    }
}

fn category_text(ctx: &PageCtx, r: &ClusterRow) -> String {
    labels::category(ctx.lang, r.category).to_string()
}

fn cluster_map(
    ctx: &PageCtx,
    cl: &Clusters,
    shapes: Option<&MapShapes>,
    var_label: &str,
) -> Markup {
    let rows: HashMap<&str, &ClusterRow> = cl.rows.iter().map(|r| (r.code.as_str(), r)).collect();
    let categories = Category::of_statistic(&cl.statistic);
    html! {
        section.map-panel aria-labelledby="map-title" {
            h2 #map-title { (capitalised(var_label)) ": " (labels::statistic(ctx.lang, &cl.statistic)) ", " (level_label(ctx.lang, cl.level)) " " (cl.period) }
            @match shapes {
                Some(m) if !m.paths.is_empty() => {
                    figure.map-figure {
                        (region_map(&m.view_box(), "map-title", &m.paths, |code| {
                            let row = rows.get(code.as_str());
                            MapArea {
                                class: format!("region k-{}", row.map_or(Category::NoValue, |r| r.category).as_str()),
                                href: themes_href(code.as_str(), cl.period),
                                name: row.and_then(|r| r.name.clone()).unwrap_or_else(|| code.to_string()),
                                text: row.map_or_else(|| labels::category(ctx.lang, Category::NoValue).to_string(), |r| category_text(ctx, r)),
                            }
                        }))
                        figcaption {
                            div.legend.cluster-legend {
                                p.legend-title { (ctx.t("Categorie", "Category")) }
                                ul {
                                    @for k in categories.iter().filter(|k| !matches!(k, Category::Island | Category::NoBoundary) || cl.counts.get(k).is_some_and(|n| *n > 0)) {
                                        li {
                                            span class=(format!("swatch k-{}", k.as_str())) aria-hidden="true" {}
                                            (labels::category(ctx.lang, *k))
                                            span.count { " (" (cl.counts.get(k).copied().unwrap_or(0)) ")" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {
                    p.note { (ctx.t("Voor dit niveau zijn geen grenzen geladen: buren, en dus clusters, zijn niet te bepalen.", "No boundaries are loaded for this level: neighbours, and so clusters, cannot be determined.")) }
                }
            }
        }
    }
}

fn cluster_table(ctx: &PageCtx, cl: &Clusters, var_label: &str) -> Markup {
    let order = Category::of_statistic(&cl.statistic);
    let mut rows: Vec<&ClusterRow> = cl.rows.iter().collect();
    rows.sort_by(|a, b| {
        let pos = |r: &ClusterRow| order.iter().position(|k| *k == r.category).unwrap_or(99);
        pos(a)
            .cmp(&pos(b))
            .then_with(|| {
                a.record
                    .p_sim
                    .unwrap_or(2.0)
                    .total_cmp(&b.record.p_sim.unwrap_or(2.0))
            })
            .then_with(|| a.code.cmp(&b.code))
    });
    let decimals = if cl.variable == clusters::STACKING {
        0
    } else {
        3
    };
    html! {
        section.table-panel aria-labelledby="table-title" {
            h2 #table-title { (ctx.t("Tabel", "Table")) }
            p.subtitle {
                (ctx.t("Significante gebieden eerst. Waarde = ", "Significant areas first. Value = ")) (var_label)
                @if cl.variable != clusters::STACKING { (ctx.t(" (score 0–1)", " (score 0–1)")) }
                ". "
                a href=(format!("/api/clusters?level={}&period={}&variable={}&statistic={}&fdr={}&format=csv", cl.level.as_str(), cl.period, cl.variable, cl.statistic, cl.fdr)) { (ctx.t("Download CSV", "Download CSV")) }
            }
            div.table-scroll tabindex="0" role="region" aria-labelledby="table-title" {
                table.data.clusters {
                    caption.visually-hidden { (ctx.t("Clusters per regio", "Clusters per region")) }
                    thead { tr {
                        th scope="col" { (ctx.t("Regio", "Region")) }
                        th scope="col" { (ctx.t("Waarde", "Value")) }
                        th scope="col" { (ctx.t("Categorie", "Category")) }
                        th scope="col" { "p" }
                    } }
                    tbody {
                        @for r in rows {
                            tr data-code=(r.code.as_str()) data-category=(r.category.as_str()) {
                                th scope="row" { a href=(themes_href(r.code.as_str(), cl.period)) { (r.name.clone().unwrap_or_else(|| r.code.to_string())) } }
                                td.num { (r.record.value.map(|v| ctx.lang.number(v, decimals)).unwrap_or_default()) }
                                td { span class=(format!("swatch k-{}", r.category.as_str())) aria-hidden="true" {} " " (category_text(ctx, r)) }
                                td.num { (r.record.p_sim.map(|p| ctx.lang.number(p, 3)).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The "part of a high-high cluster" lines of a region page, linking to the cluster map. Only
/// local Moran's I is summarised here (G_i* marks the same neighbourhoods as hot or cold spots
/// and is one click away on the map): one line per category, the stacking count first.
pub fn memberships(
    ctx: &PageCtx,
    c: &Catalogue,
    level: Level,
    period: i32,
    list: &[Membership],
) -> Markup {
    let lisa: Vec<&Membership> = list.iter().filter(|m| m.statistic == "lisa").collect();
    if lisa.is_empty() {
        return html! {};
    }
    let mut categories: Vec<Category> = Vec::new();
    for m in &lisa {
        if !categories.contains(&m.category) {
            categories.push(m.category);
        }
    }
    html! {
        ul.cluster-memberships {
            @for k in categories {
                li {
                    span class=(format!("swatch k-{}", k.as_str())) aria-hidden="true" {} " "
                    (membership_kind(ctx, k)) " "
                    @for (i, m) in lisa.iter().filter(|m| m.category == k).enumerate() {
                        @if i > 0 { ", " }
                        a href=(clusters_href(level, period, &m.variable, &m.statistic)) {
                            (lower_first(&labels::variable(ctx.lang, c, &m.variable)))
                        }
                        " (p = " (ctx.lang.number(m.p_sim, 3)) ")"
                    }
                }
            }
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn membership_kind(ctx: &PageCtx, k: Category) -> &'static str {
    match k {
        Category::HighHigh => ctx.t(
            "Deel van een hoog-hoog-cluster van:",
            "Part of a high-high cluster of:",
        ),
        Category::LowLow => ctx.t(
            "Deel van een laag-laag-cluster van:",
            "Part of a low-low cluster of:",
        ),
        Category::HighLow => ctx.t(
            "Hoge uitschieter tussen lage buren voor:",
            "High outlier among low neighbours for:",
        ),
        Category::LowHigh => ctx.t(
            "Lage uitschieter tussen hoge buren voor:",
            "Low outlier among high neighbours for:",
        ),
        Category::HotSpot => ctx.t("In een hot spot van:", "In a hot spot of:"),
        Category::ColdSpot => ctx.t("In een cold spot van:", "In a cold spot of:"),
        _ => ctx.t("Niet significant:", "Not significant:"),
    }
}
