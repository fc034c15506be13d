//! A region's theme profile: exposure on the 7 themes with the characteristics driving each,
//! the flagged characteristics with the indicators, values, ranks and weights behind them, every
//! other characteristic (or why it is a gap), and the protective factors.

use axum::extract::{Path, State};
use axum::response::Response;
use kwm_engine::stacking::TermTrace;
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{FactorKind, MethodParams};
use kwm_model::Level;
use kwm_monitor::clusters::{self, Membership};
use kwm_monitor::query;
use kwm_monitor::risk::{self, FactorView, RegionRisk};
use kwm_monitor::MonitorError;
use maud::{html, Markup};

use super::analysis;
use super::risk_common::{
    factor_label, level_singular, percentile_text, populations, run_note, term_label, theme_label,
    threshold_text, threshold_words, trace_label,
};
use super::{downloads, interval_text, layout, level_label, render, Nav, PageCtx};
use crate::components::table::table_head;
use crate::labels;
use crate::state::AppState;

/// `GET /regio/{code}/themas?period=`
pub async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ctx: PageCtx,
) -> Response {
    render(&ctx, build(&state, &ctx, &code).await)
}

async fn build(state: &AppState, ctx: &PageCtx, raw: &str) -> Result<Markup, MonitorError> {
    let code = query::parse_region(raw)?;
    let period = ctx.year("period")?;
    let catalogue = state.catalogue().clone();
    let (r, memberships) = {
        let code = code.clone();
        state
            .query(move |s| {
                let r = risk::region_risk(s, &catalogue, &code, period)?;
                let (_, m) = clusters::region_memberships(s, &code, Some(r.run.record.period))?;
                Ok((r, m))
            })
            .await?
    };
    let name = r.name.clone().unwrap_or_else(|| code.to_string());
    let title = format!(
        "{name}: {}",
        ctx.t(
            "risicokenmerken en thema's",
            "risk characteristics and themes"
        )
    );
    Ok(layout(
        ctx,
        &title,
        Nav::None,
        body(ctx, state.catalogue(), &r, &memberships, &name),
    ))
}

fn body(
    ctx: &PageCtx,
    c: &Catalogue,
    r: &RegionRisk,
    memberships: &[Membership],
    name: &str,
) -> Markup {
    let level = r.code.level();
    let period = r.run.record.period;
    let m = &r.run.method;
    let flagged: Vec<&FactorView> = r
        .factors
        .iter()
        .filter(|f| f.kind == FactorKind::Risk && f.flagged)
        .collect();
    let risk_total = r
        .factors
        .iter()
        .filter(|f| f.kind == FactorKind::Risk)
        .count();
    html! {
        nav.breadcrumb aria-label=(ctx.t("Kruimelpad", "Breadcrumb")) {
            ol {
                li { a href=(format!("/stapeling?level={}&period={period}", level.as_str())) { (ctx.t("Stapeling", "Stacking")) } }
                li { a href=(format!("/regio/{}?period={period}", r.code)) { (name) } }
                li aria-current="page" { (ctx.t("Risicokenmerken en thema's", "Risk characteristics and themes")) }
            }
        }
        h1 { (name) ": " (ctx.t("risicokenmerken en thema's", "risk characteristics and themes")) }
        p.lead {
            (r.code.as_str()) " · " (level_singular(ctx, level)) " · " (period) " · "
            a href=(format!("/regio/{}?period={period}", r.code)) { (ctx.t("alle indicatoren van deze regio", "all indicators of this region")) }
        }
        @if r.periods.len() > 1 {
            form.controls method="get" action=(format!("/regio/{}/themas", r.code)) {
                div.field {
                    label for="period" { (ctx.t("Jaar", "Year")) }
                    select #period name="period" {
                        @for y in &r.periods { option value=(y) selected[*y == period] { (y) } }
                    }
                }
                button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
            }
        }
        (super::permalink(ctx, &format!("/regio/{}/themas", r.code), &[("period", period.to_string())]))
        (run_note(ctx, &r.run))
        section.summary aria-labelledby="summary-title" {
            h2 #summary-title { (ctx.t("Samenvatting", "Summary")) }
            @let measured: Vec<String> = r.factors.iter().filter(|f| f.kind == FactorKind::Risk && f.score.is_some()).map(|f| f.id.clone()).collect();
            @let pops = populations(ctx, c, level, period, &measured);
            @if !pops.is_empty() {
                // The characteristics' figures describe different populations; say which.
                p.populations { strong { (ctx.t("Over wie deze cijfers gaan: ", "Whom these figures describe: ")) } (pops.join("; ")) "." }
            }
            @if r.with_data == 0 {
                p { (ctx.t("Voor deze regio zijn geen cijfers over risicokenmerken geladen; er is niets te stapelen.", "No figures on risk characteristics are loaded for this region; there is nothing to stack.")) }
            } @else {
                ul.key-figures {
                    li {
                        span.big { (r.flagged) } " "
                        (ctx.t("van", "of")) " " (r.with_data) " "
                        (ctx.t("gemeten kenmerken gemarkeerd", "measured characteristics flagged"))
                        span.meta { "(" (threshold_words(ctx, m)) " " (ctx.t("van alle", "of all")) " " (level_label(ctx.lang, level)) "; "
                            (risk_total - r.with_data) " " (ctx.t("van de", "of the")) " " (risk_total) " " (ctx.t("kenmerken hebben hier geen gegevens", "characteristics have no data here")) ")" }
                    }
                    @if let (Some(rank), Some(p)) = (r.composite_rank, r.composite_percentile) {
                        li.composite-rank {
                            span.big { (rank) } " / " (r.composite_ranked) " "
                            (ctx.t("op de samengestelde index", "on the composite index"))
                            span.meta { "(1 = " (ctx.t("meest kwetsbaar; ", "most vulnerable; "))
                                @if let Some(cm) = &r.run.summary.composite { (labels::method(ctx.lang, cm.method)) "; " }
                                (ctx.t("percentiel", "percentile")) " " (percentile_text(ctx, p, m)) ")" }
                            @if let Some(i) = &r.rank_interval {
                                span.meta.rank-interval {
                                    (ctx.t("Bij andere redelijke methoden: rang ", "Under other reasonable methods: rank "))
                                    strong { (interval_text(ctx.lang, i)) }
                                    (ctx.t(" (90%-interval) — ", " (90% interval) — "))
                                    a href=(format!("/methodevergelijking?level={}&period={period}", level.as_str())) { (ctx.t("methodevergelijking", "method comparison")) }
                                }
                            }
                        }
                    }
                    @if r.protective_with_data > 0 {
                        li {
                            span.big { (r.weak_protective) } " " (ctx.t("van", "of")) " " (r.protective_with_data) " "
                            (ctx.t("beschermende factoren zwak", "protective factors weak"))
                        }
                    }
                }
            }
        }
        @if !memberships.is_empty() {
            section.clusters-of-region aria-labelledby="clusters-title" {
                h2 #clusters-title { (ctx.t("Ruimtelijke clusters", "Spatial clusters")) }
                p { (ctx.t("Deze regio en haar buren vormen een significant patroon (gebieden, geen personen):", "This region and its neighbours form a significant pattern (areas, not persons):")) }
                (analysis::memberships(ctx, c, level, period, memberships))
            }
        }
        (themes_section(ctx, c, r, m))
        (groups_section(ctx, c, r, name))
        section aria-labelledby="flagged-title" {
            h2 #flagged-title { (ctx.t("Gemarkeerde kenmerken en hun indicatoren", "Flagged characteristics and their indicators")) }
            @if flagged.is_empty() {
                p { (ctx.t("Geen kenmerk is hier gemarkeerd.", "No characteristic is flagged here.")) }
            }
            @for f in &flagged { (factor_detail(ctx, c, f, &r.code, period, m)) }
        }
        (all_factors(ctx, c, r, FactorKind::Risk, m))
        (all_factors(ctx, c, r, FactorKind::Protective, m))
        p.note {
            (ctx.t("Dit zijn cijfers over een gebied, niet over personen. Een gemarkeerd kenmerk betekent dat het gebied bij de ongunstigste regio's hoort; het zegt niets over individuele inwoners. De samenhang tussen kenmerken en thema's is mogelijk, niet oorzakelijk.",
                   "These are figures about an area, not about persons. A flagged characteristic means the area is among the least favourable regions; it says nothing about individual residents. The links between characteristics and themes are possible correlations, not causes."))
            " " a href="/methode" { (ctx.t("Methode", "Method")) }
        }
    }
}

/// The report's groups as they show here: which of each group's typical characteristics are
/// flagged, for choosing whom outreach should look for — and, for a gemeente, where in it.
fn groups_section(ctx: &PageCtx, c: &Catalogue, r: &RegionRisk, name: &str) -> Markup {
    let groups = risk::groups_of_area(c, r);
    let level = r.code.level();
    let period = r.run.record.period;
    // The populations the measured characteristics describe, by id: a group of the elderly is
    // read from characteristics measured for all adults, and the row says so.
    let populations_of = |ids: &[String]| risk::population_ids(c, ids, level, period);
    html! {
        section.area-groups aria-labelledby="groups-title" {
            h2 #groups-title { (ctx.t("Groepen uit het rapport", "Groups of the report")) }
            p {
                (ctx.t("Welke kenmerken die het rapport bij een groep noemt, zijn hier gemarkeerd? Dat wijst groepen aan waar outreach naar kan zoeken. Het zegt niet hoeveel leden van een groep hier wonen: de kenmerken gaan over het gebied en over de populaties hierboven, niet over personen.",
                       "Which of the characteristics the report names for a group are flagged here? That points to groups outreach could look for. It does not say how many members of a group live here: the characteristics describe the area and the populations above, not persons."))
                " " a href="/groepen" { (ctx.t("Over de groepen", "About the groups")) }
            }
            div.table-scroll tabindex="0" role="region" aria-labelledby="groups-title" {
                table.data {
                    caption.visually-hidden { (ctx.t("Groepen met het aantal van hun kenmerken dat hier gemarkeerd is", "Groups with the number of their characteristics flagged here")) }
                    thead { tr {
                        th scope="col" { (ctx.t("Groep", "Group")) }
                        th scope="col" { (ctx.t("Gemarkeerd van gemeten", "Flagged of measured")) }
                        th scope="col" { (ctx.t("Welke gemarkeerd", "Which are flagged")) }
                        @if level == Level::Gemeente { th scope="col" { (ctx.t("Waar in ", "Where in ")) (name) } }
                    } }
                    tbody {
                        @for ag in &groups {
                            @if let Some(g) = c.risk.group(&ag.group) {
                                tr {
                                    th scope="row" {
                                        a href=(format!("/groepen/{}", g.id)) { (ctx.t(&g.label_nl, &g.label_en)) }
                                        @if let Some(wanted) = g.population.as_deref().and_then(|p| c.population(p)) {
                                            @let pops = populations_of(&ag.measured);
                                            @if !pops.is_empty() && !pops.iter().any(|p| p == &wanted.id) {
                                                span.meta { " (" (ctx.t("kenmerken gemeten voor ", "characteristics measured for "))
                                                    (pops.iter().filter_map(|p| c.population(p)).map(|p| ctx.t(&p.label_nl, &p.label_en).to_string()).collect::<Vec<_>>().join(", ")) ")" }
                                            }
                                        }
                                    }
                                    @if ag.measured.is_empty() {
                                        td.num { "—" }
                                        td { span.gap { (ctx.t("geen van de kenmerken gemeten", "none of the characteristics measured")) } }
                                    } @else {
                                        td.num { (ag.flagged.len()) " / " (ag.measured.len()) }
                                        td { @if ag.flagged.is_empty() { "—" } @else { (ag.flagged.iter().map(|id| factor_label(ctx, c, id)).collect::<Vec<_>>().join(", ")) } }
                                    }
                                    @if level == Level::Gemeente {
                                        td { a href=(format!("/groepen/{}?gemeente={}&level=wijk#areas-title", g.id, r.code)) { (ctx.t("per wijk", "per wijk")) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (downloads(ctx, ctx.t("groepen uit het rapport", "groups of the report"), &[(api_csv(r, "table=groups"), ctx.t("tabel als CSV", "table as CSV"))]))
        }
    }
}

fn themes_section(ctx: &PageCtx, c: &Catalogue, r: &RegionRisk, m: &MethodParams) -> Markup {
    html! {
        section aria-labelledby="themes-title" {
            h2 #themes-title { (ctx.t("Zeven thema's", "Seven themes")) }
            p {
                (ctx.t("Blootstelling = het gemiddelde percentiel van de gemeten kenmerken, gewogen met de matrix kenmerk × thema (0–3). ‘Gemeten’ zegt welk deel van het gewicht van het thema hier gegevens heeft.",
                       "Exposure = the mean percentile of the measured characteristics, weighted by the characteristic × theme matrix (0–3). ‘Measured’ says which part of the theme's weight has data here."))
            }
            div.table-scroll.full tabindex="0" role="region" aria-labelledby="themes-title" {
                table.data.themes {
                    (table_head(ctx, &[("Thema", "Theme"), ("Blootstelling", "Exposure"), ("Rang", "Rank"), ("Gemeten", "Measured"), ("Gedreven door", "Driven by")]))
                    tbody {
                        @for t in &r.themes {
                            tr {
                                th scope="row" { (theme_label(ctx, c, &t.id)) }
                                td.percentile {
                                    @if let Some(e) = t.exposure {
                                        span.bar aria-hidden="true" { span.bar-fill.warm style=(format!("width:{e:.0}%")) {} }
                                        span.num { (percentile_text(ctx, e, m)) }
                                    } @else {
                                        span.status { (ctx.t("niet gemeten", "not measured")) }
                                    }
                                }
                                td.num { @if let Some(rank) = t.rank { (rank) " / " (t.ranked) } }
                                td.num { (ctx.lang.number(t.coverage * 100.0, 0)) "%" }
                                td {
                                    ul.drivers {
                                        @for d in t.drivers.iter().take(3) {
                                            li {
                                                (factor_label(ctx, c, &d.characteristic)) " "
                                                span.driver-meta {
                                                    "(" (ctx.t("gewicht", "weight")) " " (d.weight) ", "
                                                    (ctx.t("percentiel", "percentile")) " " (percentile_text(ctx, d.percentile, m))
                                                    @if d.flagged { ", " strong.flag { (ctx.t("gemarkeerd", "flagged")) } }
                                                    ")"
                                                }
                                            }
                                        }
                                        @if t.drivers.len() > 3 {
                                            li.more { "+ " (t.drivers.len() - 3) " " (ctx.t("andere gemeten kenmerken", "other measured characteristics")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (downloads(ctx, ctx.t("blootstelling per thema", "exposure per theme"), &[
                (api_csv(r, "table=themes"), ctx.t("tabel als CSV", "table as CSV")),
                (chart_svg(ctx, r, "themes"), ctx.t("grafiek als SVG", "chart as SVG")),
            ]))
        }
    }
}

/// The CSV of one of this page's tables, from the API, for the page's region and year.
fn api_csv(r: &RegionRisk, query: &str) -> String {
    format!(
        "/api/regions/{}/themes?period={}&format=csv&{query}",
        r.code, r.run.record.period
    )
}

/// The SVG of one of this page's bar charts, in the page's language.
fn chart_svg(ctx: &PageCtx, r: &RegionRisk, chart: &str) -> String {
    format!(
        "/regio/{}/themas.svg?period={}&chart={chart}&lang={}",
        r.code,
        r.run.record.period,
        ctx.lang.code()
    )
}

fn term_value_text(ctx: &PageCtx, c: &Catalogue, t: &TermTrace) -> String {
    match t.value {
        None => ctx.t("geen cijfer", "no figure").to_string(),
        Some(v) => {
            let unit = c
                .indicators
                .iter()
                .find(|i| i.indicator.id.as_str() == t.indicator)
                .map(|i| i.indicator.unit.clone())
                .unwrap_or_default();
            // A derived share (numerator, added counts, denominator) is always a percentage.
            let unit = if t.inputs.len() > 1 {
                "%".to_string()
            } else {
                unit
            };
            let decimals = if t.inputs.len() > 1 {
                1
            } else {
                c.indicators
                    .iter()
                    .find(|i| i.indicator.id.as_str() == t.indicator)
                    .map_or(1, |i| i.indicator.decimals)
            };
            super::value_text(ctx.lang, v, decimals, &unit)
        }
    }
}

fn factor_detail(
    ctx: &PageCtx,
    c: &Catalogue,
    f: &FactorView,
    region: &kwm_model::RegionCode,
    period: i32,
    m: &MethodParams,
) -> Markup {
    let level = region.level();
    let def = c
        .risk
        .factor(&f.id)
        .and_then(|x| x.definition_at(level, period));
    let heading = factor_label(ctx, c, &f.id);
    html! {
        article.factor id=(format!("k-{}", f.id)) {
            h3 {
                (heading) " — " (ctx.t("percentiel", "percentile")) " "
                @if let Some(p) = f.percentile { (percentile_text(ctx, p, m)) }
                @if let Some(rank) = f.rank { span.meta { (ctx.t("rang", "rank")) " " (rank) " " (ctx.t("van", "of")) " " (f.ranked) " (1 = " (ctx.t("meest ongunstig", "least favourable")) ")" } }
            }
            @if let Some(d) = def {
                p.meta {
                    (ctx.t("Populatie", "Population")) ": " (ctx.t(&d.population, &d.population_en))
                    @if d.proxy { " · " strong { (ctx.t("benadering", "proxy")) } }
                    @let note = ctx.t(&d.note_nl, &d.note_en);
                    @if !note.is_empty() { " · " (note) }
                }
            }
            (terms_table(ctx, c, f, level, period))
            (downloads(ctx, &format!("{heading}: {}", ctx.t("indicatoren", "indicators")), &[
                (format!("/api/regions/{}/themes?period={period}&format=csv&table=indicators&characteristic={}", region, f.id), ctx.t("tabel als CSV", "table as CSV")),
            ]))
        }
    }
}

fn terms_table(ctx: &PageCtx, c: &Catalogue, f: &FactorView, level: Level, period: i32) -> Markup {
    html! {
        div.table-scroll.full tabindex="0" role="region" aria-label=(format!("{}: {}", factor_label(ctx, c, &f.id), ctx.t("indicatoren", "indicators"))) {
            table.data.terms {
                (table_head(ctx, &[("Indicator", "Indicator"), ("Waarde", "Value"), ("Rang", "Rank"), ("Percentiel", "Percentile"), ("Gewicht", "Weight")]))
                tbody {
                    @for t in &f.terms {
                        tr {
                            th scope="row" {
                                a href=(format!("/?indicator={}&level={}&period={period}", t.indicator, level.as_str())) { (trace_label(ctx, c, &f.id, level, period, &t.indicator)) }
                            }
                            td.num { (term_value_text(ctx, c, t)) }
                            td.num { @if let Some(rank) = t.rank { (rank) " / " (t.ranked) } }
                            // Term percentiles keep four decimals (0–1), shown here as 0–100 with two.
                            td.num { @if let Some(p) = t.percentile { (ctx.lang.number(p * 100.0, 2)) } }
                            td.num {
                                (ctx.lang.number(t.weight, 2))
                                @match t.effective_weight {
                                    Some(w) if (w - t.weight).abs() > 1e-9 => { span.meta { (ctx.t("gebruikt", "used")) " " (ctx.lang.number(w, 2)) } }
                                    None => { span.meta { (ctx.t("telt niet mee", "not counted")) } }
                                    _ => {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn all_factors(
    ctx: &PageCtx,
    c: &Catalogue,
    r: &RegionRisk,
    kind: FactorKind,
    m: &MethodParams,
) -> Markup {
    let level = r.code.level();
    let period = r.run.record.period;
    let (id, title, flag_word, kind_q) = match kind {
        FactorKind::Risk => (
            "all-title",
            ctx.t("Alle risicokenmerken", "All risk characteristics"),
            ctx.t("gemarkeerd", "flagged"),
            "risk",
        ),
        FactorKind::Protective => (
            "protective-title",
            ctx.t("Beschermende factoren", "Protective factors"),
            ctx.t("zwak", "weak"),
            "protective",
        ),
    };
    html! {
        section aria-labelledby=(id) {
            h2 id=(id) { (title) }
            @if kind == FactorKind::Protective {
                p { (ctx.t("Een beschermende factor heet zwak als het gebied bij ", "A protective factor is called weak when the area is among "))
                    (threshold_words(ctx, m)) (ctx.t(" hoort (percentiel van zwak naar sterk ≥ ", " (percentile from weak to strong ≥ ")) (threshold_text(ctx, m))
                    (ctx.t("). Beschermende factoren tellen niet mee in de stapeling.", "). Protective factors do not count in stacking.")) }
            }
            div.table-scroll.full tabindex="0" role="region" aria-labelledby=(id) {
                table.data.factors {
                    (table_head(ctx, &[("Kenmerk", "Characteristic"), ("Percentiel", "Percentile"), ("Status", "Status"), ("Indicatoren", "Indicators")]))
                    tbody {
                        @for f in r.factors.iter().filter(|f| f.kind == kind) {
                            tr {
                                th scope="row" { (factor_label(ctx, c, &f.id)) }
                                td.percentile {
                                    @if let Some(p) = f.percentile {
                                        span.bar aria-hidden="true" { span.bar-fill.warm style=(format!("width:{p:.0}%")) {} }
                                        span.num { (percentile_text(ctx, p, m)) }
                                    }
                                }
                                td {
                                    @if f.gap {
                                        span.gap { (ctx.t("gat: geen definitie op dit niveau", "gap: no definition at this level")) }
                                    } @else if f.score.is_none() {
                                        span.gap { (ctx.t("gat: geen cijfer voor deze regio", "gap: no figure for this region")) }
                                    } @else if f.flagged {
                                        strong.flag { (flag_word) }
                                    } @else {
                                        (ctx.t("niet gemarkeerd", "not flagged"))
                                    }
                                }
                                td {
                                    @if let Some(d) = c.risk.factor(&f.id).and_then(|x| x.definition_at(level, period)) {
                                        // A block of a readable width: on a phone the table
                                        // scrolls sideways rather than a word per line.
                                        span.min-col {
                                            (d.terms.iter().map(|t| term_label(ctx, c, t)).collect::<Vec<_>>().join(", "))
                                            span.meta { (ctx.t(&d.population, &d.population_en)) @if d.proxy { " · " (ctx.t("benadering", "proxy")) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (downloads(ctx, title, &[
                (api_csv(r, &format!("table=characteristics&kind={kind_q}")), ctx.t("tabel als CSV", "table as CSV")),
                (chart_svg(ctx, r, kind_q), ctx.t("percentielen als SVG", "percentiles as SVG")),
            ]))
        }
    }
}
