//! "Stapeling per persoon": per region, persons by the number of risk characteristics they
//! have (0, 1, 2, 3+ as published), in total and by age class, SES class and crossed, from
//! tables made and disclosure-checked by `kwm microdata stack`. Every chart has the same
//! figures as a table beside it; a suppressed cell is shown as suppressed, never filled in;
//! figures from the synthetic generator carry a SYNTHETIC label everywhere.

use axum::extract::State;
use axum::response::Response;
use kwm_monitor::persons::{self, Cell, DistributionRow, PersonStacking, StackClass};
use kwm_monitor::{query, MonitorError};
use maud::{html, Markup};

use super::{layout, render, Nav, PageCtx};
use crate::i18n::Lang;
use crate::state::AppState;

/// `GET /stapeling-personen?region=&period=&data=`
pub async fn page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    render(&ctx, build(&state, &ctx).await)
}

fn param<'a>(ctx: &'a PageCtx, name: &str) -> Option<&'a str> {
    ctx.params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

async fn build(state: &AppState, ctx: &PageCtx) -> Result<Markup, MonitorError> {
    let region = param(ctx, "region").map(query::parse_region).transpose()?;
    let period = param(ctx, "period").map(query::parse_period).transpose()?;
    let prefix = match param(ctx, "data") {
        None => None,
        Some("real") => Some(persons::PREFIX_REAL),
        Some("synthetic") => Some(persons::PREFIX_SYNTHETIC),
        Some(other) => {
            return Err(MonitorError::BadRequest(format!(
                "data must be real or synthetic, found '{other}'"
            )))
        }
    };
    let title = ctx.t("Stapeling per persoon", "Stacking per person");
    let s = state
        .query(move |st| persons::person_stacking(st, prefix, region.as_ref(), period))
        .await?;
    let Some(s) = s else {
        return Ok(layout(
            ctx,
            title,
            Nav::Persons,
            html! {
                h1 { (title) }
                p { (ctx.t(
                    "Er is nog geen tabel met stapeling per persoon geladen. Zo'n tabel wordt gemaakt waar de persoonsgegevens staan (bijvoorbeeld in de Remote Access-omgeving van CBS) met ",
                    "No table of stacking per person is loaded yet. Such a table is made where the person data are (for example in CBS Remote Access) with ")) code { "kwm microdata stack" } (ctx.t(", en geladen met ", ", and loaded with ")) code { "kwm ingest" } "." }
            },
        ));
    };
    let name = s
        .region_name
        .clone()
        .unwrap_or_else(|| s.region.to_string());
    let csv = format!(
        "/api/persons-stacking?region={}&period={}&data={}&format=csv",
        s.region,
        s.period,
        data_value(&s.prefix)
    );
    Ok(layout(
        ctx,
        &format!(
            "{title} — {name} {}{}",
            s.period,
            if s.synthetic { " (SYNTHETISCH)" } else { "" }
        ),
        Nav::Persons,
        html! {
            h1 { (title) }
            @if s.synthetic { (synthetic_banner(ctx)) }
            p.lead {
                (ctx.t(
                    "Hoeveel inwoners hebben 0, 1, 2 of 3 of meer van de twaalf risicokenmerken van kwetsbaarheid tegelijk? Gebiedsgemiddelden verbergen wie geraakt wordt; deze tabellen tellen personen, per gebied en naar leeftijd en sociaal-economische status (inclusieve monitoring).",
                    "How many residents have 0, 1, 2, or 3 or more of the twelve risk characteristics of vulnerability at once? Area averages hide who is affected; these tables count persons, per area and by age and socio-economic status (inclusive monitoring)."))
            }
            form.controls method="get" action="/stapeling-personen" {
                div.field {
                    label for="region" { (ctx.t("Gebied", "Area")) }
                    select #region name="region" {
                        @for (code, n) in &s.regions {
                            option value=(code.as_str()) selected[*code == s.region] { (n.clone().unwrap_or_else(|| code.to_string())) }
                        }
                    }
                }
                div.field {
                    label for="period" { (ctx.t("Jaar", "Year")) }
                    select #period name="period" {
                        @for p in &s.periods { option value=(p) selected[*p == s.period] { (p) } }
                    }
                }
                @if s.prefixes.len() > 1 {
                    div.field {
                        label for="data" { (ctx.t("Gegevens", "Data")) }
                        select #data name="data" {
                            @for p in &s.prefixes {
                                option value=(data_value(p)) selected[*p == s.prefix] {
                                    @if p.starts_with("synthetic_") { (ctx.t("synthetisch (geen echte personen)", "synthetic (not real persons)")) } @else { (ctx.t("echte persoonsgegevens", "real person data")) }
                                }
                            }
                        }
                    }
                }
                button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
            }
            (section(ctx, &s, "total", &format!("{name}: {}", ctx.t("alle inwoners", "all residents")), std::slice::from_ref(&s.total), true))
            @for (i, g) in s.groups.iter().enumerate() {
                @let heading = format!("{name}: {} {}", ctx.t("naar", "by"), g.dimensions.iter().map(|d| dimension_label(ctx.lang, d)).collect::<Vec<_>>().join(" × "));
                // Crossed breakdowns have too many rows for a readable chart: table only.
                (section(ctx, &s, &format!("g{i}"), &heading, &g.rows, g.dimensions.len() == 1))
            }
            div.note {
                p {
                    strong { (ctx.t("Onthullingsbeheersing. ", "Disclosure control. ")) }
                    (ctx.t(
                        "De tabellen zijn gemaakt met kwm microdata stack: tellingen van 1 tot 9 personen zijn onderdrukt, en zo veel andere cellen dat geen onderdrukte cel uit de gepubliceerde cijfers terug te rekenen is (een aanvaller-controle bewijst dat per tabel). Het aantal kenmerken is boven de 2 samengenomen (3+). Onderdrukte cellen staan hier als ‘onderdrukt’ en worden nooit ingevuld; een aandeel staat er alleen als telling en totaal allebei gepubliceerd zijn.",
                        "The tables were made with kwm microdata stack: counts of 1 to 9 persons are suppressed, and as many other cells as needed so that no suppressed cell can be recomputed from the published figures (an attacker check proves this per table). The number of characteristics is top-coded above 2 (3+). Suppressed cells show as ‘suppressed’ and are never filled in; a share is shown only when both the count and the total are published."))
                }
                p {
                    a href=(csv) { (ctx.t("Download CSV", "Download CSV")) }
                    " · "
                    a href=(format!("/api/persons-stacking?region={}&period={}&data={}", s.region, s.period, data_value(&s.prefix))) { "JSON (API)" }
                    " · "
                    a href="/bronnen" { (ctx.t("Bronnen en herkomst", "Sources and provenance")) }
                    " (" (ctx.t("laadnummer", "load")) " " (s.load_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")) ")"
                }
            }
        },
    ))
}

fn data_value(prefix: &str) -> &'static str {
    if prefix.starts_with("synthetic_") {
        "synthetic"
    } else {
        "real"
    }
}

fn synthetic_banner(ctx: &PageCtx) -> Markup {
    html! {
        div.synthetic-banner role="note" {
            p {
                strong.synthetic-label { (ctx.t("SYNTHETISCH", "SYNTHETIC")) }
                " "
                (ctx.t(
                    "Deze cijfers komen uit de synthetische populatie van kwm microdata generate: verzonnen personen, verdeeld naar de echte inwonertallen van 2024, met kenmerken uit een illustratief model. Ze laten zien hoe de monitor werkt en zeggen niets over echte inwoners.",
                    "These figures come from the synthetic population of kwm microdata generate: invented persons, spread by the real 2024 population counts, with characteristics from an illustrative model. They show how the monitor works and say nothing about real residents."))
            }
        }
    }
}

/// Label of a breakdown dimension.
fn dimension_label(lang: Lang, d: &str) -> String {
    match d {
        "age_class" => lang.t("leeftijdsklasse", "age class"),
        "ses_class" => lang.t("sociaal-economische status", "socio-economic status"),
        "sex" => lang.t("geslacht", "sex"),
        "migration" => lang.t("migratieachtergrond", "migration background"),
        "household" => lang.t("huishouden", "household"),
        other => other,
    }
    .to_string()
}

/// Label of a category.
fn category_label(lang: Lang, d: &str, c: &str) -> String {
    let known = match (d, c) {
        ("ses_class", "low") => Some(lang.t("lage SES", "low SES")),
        ("ses_class", "middle") => Some(lang.t("midden-SES", "middle SES")),
        ("ses_class", "high") => Some(lang.t("hoge SES", "high SES")),
        ("sex", "male") => Some(lang.t("man", "male")),
        ("sex", "female") => Some(lang.t("vrouw", "female")),
        ("migration", "dutch") => Some(lang.t("Nederlands", "Dutch")),
        ("migration", "europe") => Some(lang.t("Europees", "European")),
        ("migration", "outside_europe") => Some(lang.t("buiten Europa", "outside Europe")),
        ("household", "single") => Some(lang.t("alleenstaand", "single")),
        ("household", "couple") => Some(lang.t("paar zonder kinderen", "couple without children")),
        ("household", "couple_with_children") => {
            Some(lang.t("paar met kinderen", "couple with children"))
        }
        ("household", "single_parent") => Some(lang.t("eenoudergezin", "single parent")),
        ("household", "other") => Some(lang.t("overig", "other")),
        _ => None,
    };
    match (known, d) {
        (Some(k), _) => k.to_string(),
        (None, "age_class") => format!("{} {}", c.replace('-', "–"), lang.t("jaar", "years")),
        (None, _) => c.to_string(),
    }
}

fn row_label(ctx: &PageCtx, r: &DistributionRow) -> String {
    if r.parts.is_empty() {
        return ctx.t("alle inwoners", "all residents").to_string();
    }
    r.parts
        .iter()
        .map(|(d, c)| category_label(ctx.lang, d, c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn class_label(ctx: &PageCtx, c: &StackClass) -> String {
    if c.open {
        format!("{}+ {}", c.from, ctx.t("kenmerken", "characteristics"))
    } else if c.from == 1 {
        format!("1 {}", ctx.t("kenmerk", "characteristic"))
    } else {
        format!("{} {}", c.from, ctx.t("kenmerken", "characteristics"))
    }
}

/// Colour class of a stacking class: 0 lightest, the open class darkest.
fn class_css(i: usize, n: usize) -> String {
    let step = if n <= 1 { 3 } else { i * 3 / (n - 1) };
    format!("pk{}", step.min(3))
}

fn cell_text(ctx: &PageCtx, c: Cell) -> Markup {
    match c {
        Cell::Value(v) => html! { (ctx.lang.number(v, 0)) },
        Cell::Suppressed => html! { span.suppressed { (ctx.t("onderdrukt", "suppressed")) } },
        Cell::Missing => html! { span.status { "–" } },
    }
}

fn section(
    ctx: &PageCtx,
    s: &PersonStacking,
    id: &str,
    heading: &str,
    rows: &[DistributionRow],
    with_chart: bool,
) -> Markup {
    let title_id = format!("{id}-title");
    let table_id = format!("{id}-table");
    html! {
        section.distribution.persons aria-labelledby=(title_id) {
            h2 id=(title_id) { (heading) ", " (s.period) @if s.synthetic { " " span.synthetic-tag { (ctx.t("synthetisch", "synthetic")) } } }
            div class=(if with_chart { "dist-layout" } else { "" }) {
                @if with_chart { (chart(ctx, s, id, heading, rows)) }
                div.table-scroll tabindex="0" role="region" aria-labelledby=(table_id) {
                    table.data.persons-table {
                        caption id=(table_id) { (ctx.t("Personen naar aantal risicokenmerken", "Persons by number of risk characteristics")) " (" (s.classes.iter().map(|c| c.label.as_str()).collect::<Vec<_>>().join(", ")) "): " (heading) }
                        thead { tr {
                            th scope="col" { (ctx.t("Groep", "Group")) }
                            th scope="col" { (ctx.t("Personen", "Persons")) }
                            @for c in &s.classes { th scope="col" { (c.label) span.visually-hidden { " " (ctx.t("kenmerken", "characteristics")) } } }
                        } }
                        tbody {
                            @for r in rows {
                                tr {
                                    th scope="row" { (row_label(ctx, r)) }
                                    td.num { (cell_text(ctx, r.persons)) }
                                    @for (c, share) in r.counts.iter().zip(&r.shares) {
                                        td.num {
                                            (cell_text(ctx, *c))
                                            @if let Some(p) = share { " " span.share { "(" (ctx.lang.number(*p, 1)) "%)" } }
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
}

/// The drawn parts of a 100 % bar, `(class, x, width)`: every class lies where it belongs. The
/// published classes before the first suppressed one are laid from the left, those after the
/// last suppressed one from the right; everything between is [`hatch`].
fn segments(shares: &[Option<f64>], x0: f64, width: f64) -> Vec<(usize, f64, f64)> {
    let first = shares.iter().position(Option::is_none);
    let last = shares.iter().rposition(Option::is_none);
    let mut out = Vec::new();
    let mut x = x0;
    for (k, s) in shares
        .iter()
        .enumerate()
        .take(first.unwrap_or(shares.len()))
    {
        let w = width * s.unwrap_or(0.0) / 100.0;
        out.push((k, x, w));
        x += w;
    }
    if let Some(last) = last {
        let mut x = x0 + width;
        for k in (last + 1..shares.len()).rev() {
            let w = width * shares[k].unwrap_or(0.0) / 100.0;
            x -= w;
            out.push((k, x, w));
        }
    }
    out
}

/// The part of a 100 % bar between the first and the last suppressed class: it holds the
/// suppressed cells (and any published ones between them), drawn as one hatched area without a
/// number. Its size is the total minus published counts, which anyone can compute; no single
/// suppressed cell is drawn. `None` when nothing is suppressed.
fn hatch(shares: &[Option<f64>], x0: f64, width: f64) -> Option<(f64, f64)> {
    let first = shares.iter().position(Option::is_none)?;
    let last = shares.iter().rposition(Option::is_none)?;
    let left: f64 = shares[..first].iter().map(|s| s.unwrap_or(0.0)).sum();
    let right: f64 = shares[last + 1..].iter().map(|s| s.unwrap_or(0.0)).sum();
    let x = x0 + width * left / 100.0;
    Some((x, (width * (100.0 - left - right) / 100.0).max(0.0)))
}

/// 100 % bars, one per row, with the classes in order and suppressed parts hatched.
fn chart(
    ctx: &PageCtx,
    s: &PersonStacking,
    id: &str,
    heading: &str,
    rows: &[DistributionRow],
) -> Markup {
    let (w, label_w, bar_h, gap, top) = (520.0, 118.0, 26.0, 12.0, 8.0);
    let plot_w = w - label_w - 12.0;
    let legend_y = top + rows.len() as f64 * (bar_h + gap) + 8.0;
    let any_hatch = rows
        .iter()
        .any(|r| hatch(&r.shares, label_w, plot_w).is_some());
    let h = legend_y + if any_hatch { 48.0 } else { 24.0 };
    let n = s.classes.len();
    let desc = rows
        .iter()
        .map(|r| {
            let parts: Vec<String> = s
                .classes
                .iter()
                .zip(&r.shares)
                .zip(&r.counts)
                .map(|((c, share), count)| match (share, count) {
                    (Some(p), _) => format!("{} {}%", class_label(ctx, c), ctx.lang.number(*p, 1)),
                    (None, Cell::Suppressed) => format!(
                        "{} {}",
                        class_label(ctx, c),
                        ctx.t("onderdrukt", "suppressed")
                    ),
                    (None, _) => format!("{} –", class_label(ctx, c)),
                })
                .collect();
            format!("{}: {}", row_label(ctx, r), parts.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let svg_title = format!("{}-svg-title", id);
    let svg_desc = format!("{}-svg-desc", id);
    html! {
        figure.chart {
            svg.bars.stack100 viewBox=(format!("0 0 {w} {h:.0}")) role="img" aria-labelledby=(format!("{svg_title} {svg_desc}")) {
                title id=(svg_title) { (ctx.t("Aandeel personen naar aantal risicokenmerken", "Share of persons by number of risk characteristics")) ": " (heading) }
                desc id=(svg_desc) { (desc) }
                defs {
                    pattern id=(format!("{id}-hatch")) patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)" {
                        rect width="8" height="8" fill="#ffffff" {}
                        line x1="0" y1="0" x2="0" y2="8" stroke="#5a6577" stroke-width="3" {}
                    }
                }
                @for (i, r) in rows.iter().enumerate() {
                    @let y = top + i as f64 * (bar_h + gap);
                    text.tick x=(format!("{:.1}", label_w - 8.0)) y=(format!("{:.1}", y + bar_h / 2.0 + 5.0)) text-anchor="end" { (row_label(ctx, r)) }
                    @for (k, x, bw) in segments(&r.shares, label_w, plot_w) {
                        rect class=(format!("seg {}", class_css(k, n))) x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{bw:.1}")) height=(format!("{bar_h:.1}")) {}
                    }
                    @if let Some((x, bw)) = hatch(&r.shares, label_w, plot_w) {
                        rect.seg.unpublished x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{bw:.1}")) height=(format!("{bar_h:.1}")) fill=(format!("url(#{id}-hatch)")) {}
                    }
                }
                text.legend-text x=(format!("{label_w:.1}")) y=(format!("{:.1}", legend_y + 12.0)) { (ctx.t("kenmerken:", "characteristics:")) }
                @for (k, c) in s.classes.iter().enumerate() {
                    @let lx = label_w + 104.0 + k as f64 * 52.0;
                    rect class=(format!("seg {}", class_css(k, n))) x=(format!("{lx:.1}")) y=(format!("{legend_y:.1}")) width="14" height="14" {}
                    text.legend-text x=(format!("{:.1}", lx + 19.0)) y=(format!("{:.1}", legend_y + 12.0)) { (c.label) }
                }
                @if any_hatch {
                    @let ly2 = legend_y + 24.0;
                    rect.seg.unpublished x=(format!("{label_w:.1}")) y=(format!("{ly2:.1}")) width="14" height="14" fill=(format!("url(#{id}-hatch)")) {}
                    text.legend-text x=(format!("{:.1}", label_w + 20.0)) y=(format!("{:.1}", ly2 + 12.0)) { (ctx.t("bevat onderdrukte cellen (niet ingevuld)", "contains suppressed cells (not filled in)")) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_keep_every_class_in_place_and_hatch_only_around_suppressed_ones() {
        // 0 and 3+ suppressed: 1 and 2 sit between them, so all of it is hatched.
        let s = [None, Some(40.0), Some(20.0), None];
        assert!(segments(&s, 0.0, 100.0).is_empty());
        assert_eq!(hatch(&s, 0.0, 100.0), Some((0.0, 100.0)));
        // 2 suppressed: 0 and 1 from the left, 3+ from the right.
        let s = [Some(50.0), Some(20.0), None, Some(10.0)];
        assert_eq!(
            segments(&s, 0.0, 100.0),
            [(0, 0.0, 50.0), (1, 50.0, 20.0), (3, 90.0, 10.0)]
        );
        assert_eq!(hatch(&s, 0.0, 100.0), Some((70.0, 20.0)));
        // Nothing suppressed: no hatch, classes in order.
        let s = [Some(60.0), Some(40.0)];
        assert_eq!(
            segments(&s, 10.0, 100.0),
            [(0, 10.0, 60.0), (1, 70.0, 40.0)]
        );
        assert_eq!(hatch(&s, 10.0, 100.0), None);
    }
}
