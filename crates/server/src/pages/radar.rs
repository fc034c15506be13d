//! The findability radar: a map of areas by what the radar says (candidate, high need, clearly
//! low use, neither), the same areas in a table beside it, and per candidate why — which
//! characteristics and need indicators, which support, how far below expectation and how
//! certain. Where figures are missing, exactly which and how to load them. Areas only.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use kwm_engine::radar::{Exclusion, NoModel};
use kwm_model::catalogue::Catalogue;
use kwm_model::radar::{NeedTerm, UseMeasure};
use kwm_model::Level;
use kwm_monitor::query;
use kwm_monitor::radar::{
    self, GemeenteWithoutFigures, MissingIndicator, Radar, RadarAreaView, RadarOutcome, RadarQuery,
};
use kwm_monitor::MonitorError;
use maud::{html, Markup};

use super::risk_common::{capitalised, factor_label, indicator_label, run_note};
use super::{layout, level_label, render, Nav, PageCtx};
use crate::components::map::{layout_note, region_map, MapArea};
use crate::components::table::table_head;
use crate::map::MapShapes;
use crate::state::AppState;

/// `GET /radar?level=&period=&support=&gemeente=`
pub async fn page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    render(&ctx, build(&state, &ctx).await)
}

async fn build(state: &AppState, ctx: &PageCtx) -> Result<Markup, MonitorError> {
    let param = |name: &str| ctx.params.get(name).filter(|v| !v.is_empty());
    let catalogue = state.catalogue().clone();
    let available = state
        .query(move |s| radar::available(s, &catalogue))
        .await?;
    // Without a level asked for: the first level where some support has figures.
    let level = match param("level") {
        Some(l) => query::parse_level(l)?,
        None => available
            .first()
            .map(|(l, _)| *l)
            .unwrap_or(Level::Gemeente),
    };
    // Without a period or support asked for: the latest period with a model at this level,
    // and the first support published widely enough there (the gemeente radar opens on
    // bijstand 2020, not on a support one gemeente's own file has).
    let period = match param("period") {
        Some(p) => Some(query::parse_period(p)?),
        None => available
            .iter()
            .find(|(l, _)| *l == level)
            .and_then(|(_, ps)| ps.last().copied()),
    };
    let support = match (param("support"), period) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(p)) => {
            let catalogue = state.catalogue().clone();
            state
                .query(move |s| radar::default_support(s, &catalogue, level, p))
                .await?
        }
        (None, None) => None,
    };
    let q = RadarQuery {
        level,
        period,
        support,
        gemeente: param("gemeente")
            .map(|g| query::parse_region(g))
            .transpose()?,
    };
    let catalogue = state.catalogue().clone();
    let r = state
        .query(move |s| radar::radar(s, &catalogue, &q))
        .await?;
    let map_layout = match (r.layout, &r.outcome) {
        (Some(l), RadarOutcome::Model(_) | RadarOutcome::NoModel(_)) => {
            let lvl = r.level;
            state
                .query(move |s| query::map_layout_for(s, lvl, l))
                .await?
        }
        _ => None,
    };
    let shapes = match map_layout {
        Some(l) => Some(state.map(r.level, l).await?),
        None => None,
    };
    let c = state.catalogue();
    let title = format!(
        "{} — {} {}",
        ctx.t("Vindbaarheidsradar", "Findability radar"),
        level_label(ctx.lang, r.level),
        r.period
    );
    Ok(layout(
        ctx,
        &title,
        Nav::Radar,
        body(ctx, c, &r, &available, shapes.as_deref(), map_layout),
    ))
}

/// The radar link of a region profile, to the level and period
/// [`radar::region_target`] found figures at (filtered to the gemeente below gemeente level).
pub fn target_href(level: Level, period: i32, gemeente: Option<&kwm_model::RegionCode>) -> String {
    let mut href = format!("/radar?level={}&period={period}", level.as_str());
    if let Some(g) = gemeente {
        href.push_str(&format!("&gemeente={g}"));
    }
    href
}

fn support_label(ctx: &PageCtx, c: &Catalogue, id: &str) -> String {
    c.radar.support(id).map_or_else(
        || id.to_string(),
        |s| ctx.t(&s.label_nl, &s.label_en).to_string(),
    )
}

fn need_label(ctx: &PageCtx, c: &Catalogue, n: &NeedTerm) -> String {
    match &n.per {
        None => indicator_label(ctx, c, n.indicator.as_str()),
        Some(per) => format!(
            "{} ({} {})",
            indicator_label(ctx, c, n.indicator.as_str()),
            ctx.t("aandeel van", "share of"),
            indicator_label(ctx, c, per.as_str()).to_lowercase()
        ),
    }
}

/// "Over wie": whom the use figure and each need indicator describe, as the catalogue says. The
/// radar sets figures about different populations side by side (use per 1,000 residents, need
/// among adults or households), so the page names each.
fn whom(ctx: &PageCtx, c: &Catalogue, r: &Radar) -> Markup {
    let population = |id: &str| {
        c.population_of(id).map_or_else(
            || {
                ctx.t("populatie niet vermeld", "population not stated")
                    .to_string()
            },
            |p| ctx.t(&p.label_nl, &p.label_en).to_string(),
        )
    };
    let use_id = match &r.support.measure {
        UseMeasure::Rate { rate } => rate,
        UseMeasure::Count { per, .. } => per,
    };
    html! {
        p.populations {
            strong { (ctx.t("Over wie: ", "About whom: ")) }
            (ctx.t("gebruik — ", "use — ")) (support_label(ctx, c, &r.support.id)) " (" (population(use_id.as_str())) ")"
            @for n in r.support.need.iter().chain(&r.support.controls) {
                "; " (need_label(ctx, c, n)) " (" (population(n.per.as_ref().unwrap_or(&n.indicator).as_str())) ")"
            }
            "."
        }
    }
}

fn need_unit(c: &Catalogue, n: &NeedTerm) -> String {
    if n.per.is_some() {
        "%".into()
    } else {
        c.indicators
            .iter()
            .find(|i| i.indicator.id == n.indicator)
            .map(|i| i.indicator.unit.clone())
            .unwrap_or_default()
    }
}

/// The radar's category of an area, for the map colour and the words beside it.
fn category(a: &RadarAreaView) -> &'static str {
    if a.row.excluded.is_some() || a.row.expected.is_none() {
        "nodata"
    } else if a.row.candidate {
        "r-cand"
    } else if a.row.high_need {
        "r-need"
    } else if matches!((a.row.observed, a.row.lower), (Some(o), Some(l)) if o < l) {
        "r-low"
    } else {
        "r-ok"
    }
}

fn category_text(ctx: &PageCtx, cat: &str) -> &'static str {
    match cat {
        "r-cand" => ctx.t(
            "radarkandidaat: hoge nood, duidelijk minder gebruik dan verwacht",
            "radar candidate: high need, clearly less use than expected",
        ),
        "r-need" => ctx.t(
            "hoge nood, gebruik zoals verwacht of hoger",
            "high need, use as expected or higher",
        ),
        "r-low" => ctx.t(
            "duidelijk minder gebruik dan verwacht, nood niet hoog",
            "clearly less use than expected, need not high",
        ),
        "r-ok" => ctx.t("geen van beide", "neither"),
        _ => ctx.t("niet beoordeeld", "not assessed"),
    }
}

fn exclusion_text(ctx: &PageCtx, e: Exclusion, min_population: f64) -> String {
    match e {
        Exclusion::NoUse => ctx
            .t("geen cijfer over het gebruik", "no figure on use")
            .to_string(),
        Exclusion::NoNeed => ctx
            .t("een noodcijfer ontbreekt", "a need figure is missing")
            .to_string(),
        Exclusion::SmallPopulation => format!(
            "{} {} {}",
            ctx.t("minder dan", "fewer than"),
            ctx.lang.number(min_population, 0),
            ctx.t("inwoners", "residents")
        ),
        Exclusion::NoExpectation => ctx
            .t(
                "zo afwijkende nood dat geen ander gebied een verwachting geeft",
                "need so unusual that no other area gives an expectation",
            )
            .to_string(),
    }
}

/// How certain "below expectation" is, in words.
fn certainty(ctx: &PageCtx, p: f64, q: f64) -> &'static str {
    if q < 0.05 {
        ctx.t(
            "zeer duidelijk (ook rekening houdend met het aantal gebieden)",
            "very clear (also allowing for the number of areas)",
        )
    } else if p < 0.01 {
        ctx.t("duidelijk", "clear")
    } else if p < 0.05 {
        ctx.t(
            "waarschijnlijk, maar bij zoveel gebieden kan het toeval zijn",
            "likely, but with so many areas it can be chance",
        )
    } else {
        ctx.t("onzeker", "uncertain")
    }
}

fn area_name(a: &RadarAreaView) -> String {
    a.name.clone().unwrap_or_else(|| a.code.to_string())
}

fn anchor(a: &RadarAreaView) -> String {
    format!("waarom-{}", a.code)
}

fn controls(ctx: &PageCtx, c: &Catalogue, r: &Radar, available: &[(Level, Vec<i32>)]) -> Markup {
    let mut levels: Vec<Level> = available.iter().map(|(l, _)| *l).collect();
    if !levels.contains(&r.level) {
        levels.push(r.level);
    }
    let mut periods = r.periods.clone();
    if !periods.contains(&r.period) {
        periods.push(r.period);
    }
    periods.sort_unstable();
    html! {
        form.controls method="get" action="/radar" {
            div.field {
                label for="level" { (ctx.t("Niveau", "Level")) }
                select #level name="level" {
                    @for l in &levels { option value=(l.as_str()) selected[*l == r.level] { (capitalised(level_label(ctx.lang, *l))) } }
                }
            }
            div.field {
                label for="period" { (ctx.t("Jaar", "Year")) }
                select #period name="period" {
                    @for p in &periods { option value=(p) selected[*p == r.period] { (p) } }
                }
            }
            div.field {
                label for="support" { (ctx.t("Ondersteuning", "Support")) }
                select #support name="support" {
                    @for a in &r.availability {
                        option value=(a.id) selected[a.id == r.support.id] {
                            (support_label(ctx, c, &a.id))
                            @if !a.periods.contains(&r.period) { " " (ctx.t("(niet geladen)", "(not loaded)")) }
                        }
                    }
                }
            }
            @if !r.gemeenten.is_empty() {
                div.field {
                    label for="gemeente" { (ctx.t("Gemeente", "Municipality")) }
                    select #gemeente name="gemeente" {
                        option value="" selected[r.gemeente.is_none()] { (ctx.t("alle", "all")) }
                        @for (g, name) in &r.gemeenten {
                            option value=(g.as_str()) selected[r.gemeente.as_ref() == Some(g)] { (name.clone().unwrap_or_else(|| g.to_string())) }
                        }
                    }
                }
            }
            button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
        }
    }
}

fn method(ctx: &PageCtx, c: &Catalogue, r: &Radar) -> Markup {
    let p = &c.radar.params;
    let pct = format!("{:.0}%", 100.0 * p.interval);
    html! {
        details.rule #methode-radar {
            summary { (ctx.t("Hoe werkt de radar?", "How does the radar work?")) }
            ol.steps {
                li { (ctx.t("Per gebied het gebruik van ondersteuning als aantal per inwoners (of het gepubliceerde percentage), en de noodindicatoren die bij die ondersteuning horen. Gebieden met minder dan ", "Per area the use of support as a number per residents (or the published percentage), and the need indicators that go with that support. Areas with fewer than "))
                     (ctx.lang.number(p.min_population, 0)) (ctx.t(" inwoners doen niet mee: hun cijfers schommelen te veel door toeval.", " residents take no part: their figures move too much by chance.")) }
                li { (ctx.t("Een regressie van de logaritme van het gebruik op de noodindicatoren (en eventuele controlevariabelen, zoals het aandeel 65-plussers bij bijstand: zij hebben AOW), over alle gebieden van het niveau (elk gebied telt één keer), geeft per gebied het verwachte gebruik: log(gebruik) = constante + Σ coëfficiënt × indicator. Op die schaal groeit het gebruik met een factor bij meer nood en kan de verwachting nooit onder nul komen (een rechte lijn op het gebruik zelf voorspelde negatief gebruik bij weinig nood). Is het gebruik ergens 0, dan wordt log(gebruik + c) gebruikt, met c de helft van het kleinste positieve gebruik. Die verwachting komt uit de regressie zónder dat gebied, zodat een laag gebruik zijn eigen verwachting niet omlaag trekt.", "A regression of the logarithm of use on the need indicators (and any control variables, such as the share aged 65 and over for social assistance: they receive state pension), across all areas of the level (each area counts once), gives every area's expected use: log(use) = constant + Σ coefficient × indicator. On that scale use grows by a factor with more need and the expectation can never fall below zero (a straight line on use itself predicted negative use where need was low). Where some area's use is 0, log(use + c) is used, c half the smallest positive use. That expectation comes from the regression without that area, so low use does not pull its own expectation down.")) }
                li { (ctx.t("Rond de verwachting een ", "Around the expectation a ")) (pct) (ctx.t("-voorspellingsinterval, berekend op de logschaal en teruggerekend (daarom boven de verwachting breder dan eronder; de verwachting is het midden, de mediaan, van wat gebieden met dezelfde nood gebruiken): zo ver wijken gebieden met dezelfde nood gewoonlijk af. Ligt het gebruik eronder, dan is het duidelijk lager dan verwacht.", " prediction interval, computed on the log scale and transformed back (hence wider above the expectation than below; the expectation is the middle, the median, of what areas with the same need use): this far do areas with the same need usually differ. If use lies below it, it is clearly lower than expected.")) }
                li { (difference_definition(ctx)) }
                li {
                    @if r.need_rule == "stacking" {
                        (ctx.t("Hoge nood: minstens ", "High need: at least ")) (p.min_stacking) (ctx.t(" gemarkeerd risicokenmerk in het risicomodel (stapeling) voor dit niveau en jaar, én een noodscore (het gemiddelde percentiel van de noodindicatoren van deze ondersteuning) van minstens ", " flagged risk characteristic in the risk model (stacking) for this level and year, and a need score (the mean percentile of this support's need indicators) of at least "))
                        (ctx.lang.number(p.min_need_score, 0)) (ctx.t(". Zo telt stapeling van kenmerken waar deze ondersteuning niet over gaat (bijvoorbeeld veel studenten) niet mee.", ". So stacking of characteristics this support does not address (for instance many students) does not count."))
                    } @else {
                        (ctx.t("Hoge nood: het risicomodel heeft hier geen stapeling, dus geldt het gemiddelde percentiel van de noodindicatoren; minstens ", "High need: the risk model has no stacking here, so the mean percentile of the need indicators counts; at least "))
                        (ctx.lang.number(p.need_percentile, 0)) "."
                    }
                }
                li { (ctx.t("Radarkandidaat: hoge nood én gebruik onder het interval. Hoe zeker dat is, zegt de p-waarde; omdat veel gebieden tegelijk bekeken worden staat ook de q-waarde (Benjamini–Hochberg) erbij.", "Radar candidate: high need and use below the interval. How certain that is, the p-value says; because many areas are looked at at once, the q-value (Benjamini–Hochberg) is given too.")) }
            }
            p.caveat {
                (ctx.t("Een kandidaat is een plek om te gaan kijken, geen vaststelling. Minder gebruik kan ook betekenen: minder nodig dan de cijfers doen denken (bijvoorbeeld veel studenten of tijdelijke bewoners), hulp via andere wegen, of een instelling in het gebied. De radar wijst gebieden aan, nooit personen; hij rekent alleen met openbare cijfers over gebieden.",
                       "A candidate is a place to go and look, not a finding. Less use can also mean: less needed than the figures suggest (for instance many students or temporary residents), help through other routes, or an institution in the area. The radar points at areas, never at persons; it only uses public figures about areas."))
            }
            p.meta { (ctx.t("De ondersteuningsvormen, noodindicatoren en parameters staan in de catalogus (radar.toml).", "The kinds of support, need indicators and parameters are in the catalogue (radar.toml).")) }
        }
    }
}

fn missing_section(
    ctx: &PageCtx,
    c: &Catalogue,
    r: &Radar,
    missing: &[MissingIndicator],
    available: &[(Level, Vec<i32>)],
) -> Markup {
    html! {
        section.error-message aria-labelledby="missing-title" {
            h2 #missing-title { (ctx.t("Deze cijfers zijn niet geladen", "These figures are not loaded")) }
            p {
                (ctx.t("De radar voor ", "The radar for ")) strong { (support_label(ctx, c, &r.support.id)) } (ctx.t(" op het niveau ", " at the level of ")) (level_label(ctx.lang, r.level)) (ctx.t(" in ", " in ")) (r.period)
                (ctx.t(" heeft cijfers nodig die niet in de monitor staan. De radar laat dan niets zien in plaats van iets te verzinnen.", " needs figures that are not in the monitor. The radar then shows nothing rather than inventing anything."))
            }
            div.table-scroll.full tabindex="0" role="region" aria-labelledby="missing-title" {
                table.data.missing {
                    (table_head(ctx, &[("Nodig", "Needed"), ("Bron en StatLine-tabel", "Source and StatLine table"), ("Kolom", "Column"), ("Wel geladen voor", "Loaded for")]))
                    tbody {
                        @for m in missing {
                            tr {
                                th scope="row" { (ctx.t(&m.label_nl, &m.label_en)) span.meta { code { (m.id.as_str()) } } }
                                td {
                                    (m.source_title.clone().unwrap_or_else(|| ctx.t("bron onbekend in de catalogus", "source unknown to the catalogue").to_string()))
                                    @if !m.tables.is_empty() {
                                        span.meta { (m.tables.iter().map(|(t, p)| format!("{t} ({p})")).collect::<Vec<_>>().join(", ")) }
                                    }
                                }
                                td {
                                    @for k in &m.keys { code { (k) } " " }
                                    @for l in &m.labels { span.meta { "“" (l) "”" } }
                                }
                                td { @if m.loaded_periods.is_empty() { span.status { (ctx.t("geen jaar op dit niveau", "no year at this level")) } } @else { (m.loaded_periods.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")) } }
                            }
                        }
                    }
                }
            }
            p { (ctx.t("Laden: download de StatLine-tabel van dat jaar (TypedDataSet-CSV of CSV met labels) met deze kolommen, en voer uit:", "To load: download the StatLine table of that year (TypedDataSet CSV or CSV with labels) with these columns, and run:")) }
            p.meta { (ctx.t("Niet elke editie publiceert elke kolom: staat de kolom niet in de tabel van dat jaar, dan kan de radar dat jaar niet rekenen.", "Not every edition publishes every column: when the column is not in that year's table, the radar cannot compute that year.")) }
            @let table = missing.iter().flat_map(|m| m.tables.iter()).find(|(_, p)| *p == r.period).map_or_else(|| "TABEL".to_string(), |(t, _)| t.clone());
            pre { code { "kwm ingest --db STORE " (table) "_TypedDataSet.csv\nkwm compute --db STORE --level " (r.level.as_str()) " --period " (r.period) "\nkwm serve --db STORE" } }
            @if !available.is_empty() {
                p {
                    (ctx.t("Wel beschikbaar: ", "Available: "))
                    @for (k, (l, ps)) in available.iter().enumerate() {
                        @if k > 0 { "; " }
                        @for (j, p) in ps.iter().enumerate() {
                            @if j > 0 { ", " }
                            a href=(format!("/radar?level={}&period={p}", l.as_str())) { (level_label(ctx.lang, *l)) " " (p) }
                        }
                    }
                    "."
                }
            }
        }
    }
}

fn legend(ctx: &PageCtx, r: &Radar) -> Markup {
    let count = |cat: &str| r.areas.iter().filter(|a| category(a) == cat).count();
    html! {
        div.legend {
            p.legend-title { (ctx.t("Wat de radar ziet", "What the radar sees")) }
            ul {
                @for cat in ["r-cand", "r-need", "r-low", "r-ok", "nodata"] {
                    li { span class=(format!("swatch {cat}")) aria-hidden="true" {} (category_text(ctx, cat)) span.count { " (" (count(cat)) ")" } }
                }
            }
        }
    }
}

fn map_panel(
    ctx: &PageCtx,
    r: &Radar,
    shapes: Option<&MapShapes>,
    map_layout: Option<i32>,
) -> Markup {
    let by_code: HashMap<&str, &RadarAreaView> =
        r.areas.iter().map(|a| (a.code.as_str(), a)).collect();
    let on_map: Vec<&(kwm_model::RegionCode, String)> = shapes
        .map(|s| {
            s.paths
                .iter()
                .filter(|(c, _)| r.gemeente.is_none() || by_code.contains_key(c.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let off_map = r
        .areas
        .iter()
        .filter(|a| !on_map.iter().any(|(c, _)| c == &a.code))
        .count();
    html! {
        section.map-panel aria-labelledby="radar-map-title" {
            h2 #radar-map-title { (ctx.t("Kaart", "Map")) ": " (level_label(ctx.lang, r.level)) " " (r.period) }
            @if on_map.is_empty() {
                p.note { (ctx.t("Voor dit niveau zijn geen grenzen geladen; de tabel toont alle gebieden.", "No boundaries are loaded for this level; the table shows every area.")) }
                (legend(ctx, r))
            } @else {
                // The legend goes below: on a city map the top-left corner holds areas, not sea.
                figure.map-figure.legend-below {
                    (region_map(&shapes.map(|s| s.view_box()).unwrap_or_default(), "radar-map-title", on_map.iter().copied(), |code| {
                        let a = by_code.get(code.as_str());
                        let cat = a.map_or("nodata", |a| category(a));
                        MapArea {
                            class: format!("region {cat}"),
                            href: match a { Some(a) if a.row.candidate => format!("#{}", anchor(a)), _ => format!("/regio/{code}?period={}", r.period) },
                            name: a.map_or_else(|| code.to_string(), |a| area_name(a)),
                            text: category_text(ctx, cat).to_string(),
                        }
                    }))
                    figcaption { (legend(ctx, r)) }
                }
                @if map_layout != r.layout || off_map > 0 {
                    p.note { (layout_note(ctx, map_layout, html! {}, off_map, ("gebieden uit de tabel staan niet op de kaart.", "areas in the table are not on the map."))) }
                }
            }
        }
    }
}

/// A number with its sign always shown (+3,2 / −3,2): the difference reads the same in the
/// table, the explanation and the API (observed − expected).
fn signed(ctx: &PageCtx, v: f64, d: u8) -> String {
    let s = ctx.lang.number(v, d);
    if v > 0.0 && !s.starts_with('-') {
        format!("+{s}")
    } else {
        s.replace('-', "−")
    }
}

/// The difference of an area as shown everywhere: observed − expected in the rate's unit, and
/// as a percentage of the expectation, both signed.
fn difference(ctx: &PageCtx, a: &RadarAreaView) -> Option<String> {
    let g = a.row.gap?;
    Some(match a.row.relative_gap {
        Some(rel) => format!("{} ({}%)", signed(ctx, g, 1), signed(ctx, 100.0 * rel, 0)),
        None => signed(ctx, g, 1),
    })
}

/// The definition of "verschil", stated once on the page.
fn difference_definition(ctx: &PageCtx) -> &'static str {
    ctx.t(
        "Verschil = gebruik − verwacht gebruik, in de eenheid van het gebruik, en tussen haakjes als percentage van het verwachte gebruik. Negatief: minder gebruik dan verwacht; positief: meer.",
        "Difference = use − expected use, in the unit of use, and in brackets as a percentage of the expected use. Negative: less use than expected; positive: more.",
    )
}

fn value(ctx: &PageCtx, v: Option<f64>, d: u8) -> String {
    // Absent values show as a dash, never as 0.
    v.map_or_else(|| "–".to_string(), |x| ctx.lang.number(x, d))
}

fn table_panel(ctx: &PageCtx, c: &Catalogue, r: &Radar) -> Markup {
    let shown: Vec<&RadarAreaView> = r
        .areas
        .iter()
        .filter(|a| a.row.excluded.is_none())
        .collect();
    let excluded = r.areas.len() - shown.len();
    let p = &c.radar.params;
    html! {
        section.table-panel aria-labelledby="radar-table-title" {
            h2 #radar-table-title { (ctx.t("Tabel", "Table")) }
            p.subtitle {
                (ctx.t("Gebruik in ", "Use in ")) (ctx.t(&r.support.unit_nl, &r.support.unit_en)) ". "
                (ctx.t("Kandidaten eerst (meest zeker bovenaan), daarna naar hoe ver het gebruik onder de verwachting ligt. ", "Candidates first (most certain at the top), then by how far use lies below expectation. "))
                (difference_definition(ctx)) " "
                a href=(format!("/api/radar?level={}&period={}&support={}{}", r.level, r.period, r.support.id, r.gemeente.as_ref().map(|g| format!("&gemeente={g}")).unwrap_or_default())) { (ctx.t("Als JSON", "As JSON")) }
            }
            div.table-scroll tabindex="0" role="region" aria-labelledby="radar-table-title" {
                table.data.radar {
                    caption.visually-hidden { (ctx.t("Radar per gebied", "Radar per area")) }
                    (table_head(ctx, &[("Gebied", "Area"), ("Gebruik", "Use"), ("Verwacht", "Expected"), ("Verschil", "Difference"), ("Nood", "Need")]))
                    tbody {
                        @for a in &shown {
                            tr data-code=(a.code.as_str()) class=(if a.row.candidate { "candidate" } else { "" }) {
                                th scope="row" {
                                    @if a.row.candidate {
                                        a href=(format!("#{}", anchor(a))) { (area_name(a)) }
                                        span.meta.cand { (ctx.t("radarkandidaat", "radar candidate")) }
                                    } @else {
                                        a href=(format!("/regio/{}?period={}", a.code, r.period)) { (area_name(a)) }
                                    }
                                }
                                td.num { (value(ctx, a.row.observed, 1)) }
                                td.num { (value(ctx, a.row.expected, 1)) span.interval { (value(ctx, a.row.lower, 1)) "–" (value(ctx, a.row.upper, 1)) } }
                                td.num.difference {
                                    @if let Some(d) = difference(ctx, a) { (d) }
                                }
                                td {
                                    @if a.row.high_need { strong { (ctx.t("hoog", "high")) } } @else { (ctx.t("niet hoog", "not high")) }
                                    @if let Some(s) = a.stacking { span.meta { (s.flagged) " / " (s.with_data) " " (ctx.t("kenmerken", "characteristics")) } }
                                    @else if let Some(sc) = a.row.need_score { span.meta { (ctx.t("percentiel ", "percentile ")) (ctx.lang.number(sc, 0)) } }
                                }
                            }
                        }
                    }
                }
            }
            @if excluded > 0 {
                details.excluded {
                    summary { (excluded) " " (ctx.t("gebieden niet beoordeeld", "areas not assessed")) }
                    ul.compact {
                        @for a in r.areas.iter().filter(|a| a.row.excluded.is_some()) {
                            li { (area_name(a)) span.meta.inline { " — " (exclusion_text(ctx, a.row.excluded.expect("filtered"), p.min_population)) } }
                        }
                    }
                }
            }
        }
    }
}

fn explanation(ctx: &PageCtx, c: &Catalogue, r: &Radar, a: &RadarAreaView) -> Markup {
    let unit = ctx.t(&r.support.unit_nl, &r.support.unit_en);
    let pct = format!("{:.0}%", 100.0 * c.radar.params.interval);
    html! {
        article.candidate id=(anchor(a)) {
            h3 { (area_name(a)) span.meta.inline { " " (a.code.as_str())
                @if let Some(pop) = a.population { " · " (ctx.lang.number(pop, 0)) " " (ctx.t("inwoners", "residents")) } } }
            ul.reasons {
                li {
                    strong { (ctx.t("Hoge nood: ", "High need: ")) }
                    @match a.stacking {
                        Some(s) => {
                            (ctx.t("noodscore ", "need score ")) (value(ctx, a.row.need_score, 0)) "; "
                            (s.flagged) " " (ctx.t("van", "of")) " " (s.with_data) " " (ctx.t("gemeten risicokenmerken gemarkeerd", "measured risk characteristics flagged"))
                            @if !a.flagged.is_empty() { " (" (a.flagged.iter().map(|f| factor_label(ctx, c, f)).collect::<Vec<_>>().join(", ")) ")" }
                            ". " a href=(format!("/regio/{}/themas?period={}", a.code, r.period)) { (ctx.t("Waarom gemarkeerd", "Why flagged")) }
                        }
                        None => { (ctx.t("gemiddeld percentiel van de noodindicatoren ", "mean percentile of the need indicators ")) (value(ctx, a.row.need_score, 0)) }
                    }
                }
                li {
                    strong { (ctx.t("Noodindicatoren: ", "Need indicators: ")) }
                    @for (k, ((n, v), pc)) in r.support.need.iter().zip(&a.need).zip(&a.row.need_percentiles).enumerate() {
                        @if k > 0 { "; " }
                        (need_label(ctx, c, n)) " " (value(ctx, *v, 1)) (need_unit(c, n))
                        @if let Some(pc) = pc { " (" (ctx.t("percentiel ", "percentile ")) (ctx.lang.number(*pc, 0)) ")" }
                        @if let Some(f) = &n.characteristic { span.meta.inline { " — " (factor_label(ctx, c, f)) } }
                    }
                }
                @if !r.support.controls.is_empty() {
                    li {
                        strong { (ctx.t("Meegewogen (controle): ", "Taken into account (control): ")) }
                        @for (k, (n, v)) in r.support.controls.iter().zip(&a.controls).enumerate() {
                            @if k > 0 { "; " }
                            (need_label(ctx, c, n)) " " (value(ctx, *v, 1)) (need_unit(c, n))
                        }
                    }
                }
                li {
                    strong { (support_label(ctx, c, &r.support.id)) ": " }
                    (value(ctx, a.row.observed, 1)) " " (unit) "; "
                    (ctx.t("verwacht ", "expected ")) (value(ctx, a.row.expected, 1)) " (" (pct) (ctx.t("-interval ", " interval ")) (value(ctx, a.row.lower, 1)) "–" (value(ctx, a.row.upper, 1)) "): "
                    @if let Some(d) = difference(ctx, a) {
                        (ctx.t("verschil ", "difference ")) strong { (d) } "."
                    }
                }
                li {
                    strong { (ctx.t("Hoe zeker: ", "How certain: ")) }
                    @if let (Some(pv), Some(qv)) = (a.row.p_below, a.row.q_below) {
                        (certainty(ctx, pv, qv)) " (p = " (ctx.lang.number(pv, 3)) (ctx.t(" eenzijdig; q = ", " one-sided; q = ")) (ctx.lang.number(qv, 2)) ")."
                    }
                }
            }
        }
    }
}

fn model_section(ctx: &PageCtx, c: &Catalogue, r: &Radar) -> Markup {
    let RadarOutcome::Model(m) = &r.outcome else {
        return html! {};
    };
    let (count, per, scale) = match &r.support.measure {
        UseMeasure::Count { count, per, scale } => (Some(count), Some(per), *scale),
        UseMeasure::Rate { .. } => (None, None, 1.0),
    };
    html! {
        section aria-labelledby="model-title" {
            h2 #model-title { (ctx.t("Het model achter de verwachting", "The model behind the expectation")) }
            p {
                @if m.log_offset > 0.0 {
                    "log(" (ctx.t("gebruik", "use")) " + " (ctx.lang.number(m.log_offset, 2)) ")"
                } @else {
                    "log(" (ctx.t("gebruik", "use")) ")"
                }
                (ctx.t(" = constante + Σ coëfficiënt × indicator, geschat op ", " = constant + Σ coefficient × indicator, estimated on ")) (m.n) " " (level_label(ctx.lang, r.level))
                (ctx.t(" (kleinste kwadraten, elk gebied telt één keer). De indicatoren verklaren ", " (least squares, each area counts once). The indicators explain ")) (ctx.lang.number(100.0 * m.r_squared, 0)) "%"
                (ctx.t(" van de verschillen in log(gebruik) tussen gebieden; de rest (standaardafwijking ", " of the differences in log(use) between areas; the rest (standard deviation ")) (ctx.lang.number(m.residual_sd, 3))
                (ctx.t(" op de logschaal) bepaalt de breedte van de intervallen. Eén eenheid meer van een indicator vermenigvuldigt het verwachte gebruik met de factor in de tabel. Verwachting en interval worden teruggerekend (exp); de verwachting is daardoor nooit negatief.", " on the log scale) sets the width of the intervals. One unit more of an indicator multiplies the expected use by the factor in the table. Expectation and interval are transformed back (exp); the expectation is therefore never negative."))
                @if let (Some(cn), Some(pr)) = (count, per) {
                    " " (ctx.t("Gebruik: ", "Use: ")) (indicator_label(ctx, c, cn.as_str())) " / " (indicator_label(ctx, c, pr.as_str()).to_lowercase()) " × " (ctx.lang.number(scale, 0)) "."
                }
            }
            p { (ctx.t(&r.support.note_nl, &r.support.note_en)) }
            div.table-scroll.fit tabindex="0" role="region" aria-labelledby="model-title" {
                table.data.narrow {
                    (table_head(ctx, &[("Term", "Term"), ("Coëfficiënt", "Coefficient"), ("Standaardfout", "Standard error"), ("Factor per eenheid", "Factor per unit")]))
                    tbody {
                        tr { th scope="row" { (ctx.t("constante", "constant")) } td.num { (ctx.lang.number(m.coefficients[0], 2)) } td.num { (ctx.lang.number(m.standard_errors[0], 2)) } td.num { "–" } }
                        @for (k, n) in r.support.need.iter().chain(&r.support.controls).enumerate() {
                            tr {
                                th scope="row" {
                                    (need_label(ctx, c, n))
                                    @if k >= r.support.need.len() { span.meta.inline { " (" (ctx.t("controle", "control")) ")" } }
                                }
                                td.num { (value(ctx, m.coefficients.get(k + 1).copied(), 3)) }
                                td.num { (value(ctx, m.standard_errors.get(k + 1).copied(), 3)) }
                                td.num { (value(ctx, m.coefficients.get(k + 1).map(|b| b.exp()), 3)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A gemeente asked for whose areas have no figures here: say so, what would be needed, and
/// where the radar does have its figures.
fn gemeente_without_figures(
    ctx: &PageCtx,
    c: &Catalogue,
    r: &Radar,
    g: &GemeenteWithoutFigures,
) -> Markup {
    let name = g.name.clone().unwrap_or_else(|| g.code.to_string());
    html! {
        section.error-message.no-figures {
            h2 {
                (ctx.t("Geen cijfers voor ", "No figures for ")) (name)
                (ctx.t(" op dit niveau", " at this level"))
            }
            p {
                (support_label(ctx, c, &r.support.id)) ": "
                (ctx.t("voor de ", "the ")) (level_label(ctx.lang, r.level)) (ctx.t(" van ", " of ")) (name) " (" (g.code.as_str()) ") "
                (ctx.t("zijn in ", "have no figures in ")) (r.period)
                (ctx.t(" geen cijfers geladen. Het model is geschat op de gebieden van andere gemeenten; voor deze gemeente valt niets te beoordelen — dat is iets anders dan nul kandidaten.", " loaded. The model is fitted on the areas of other gemeenten; for this gemeente there is nothing to assess — which is not the same as zero candidates."))
            }
            @if !g.missing.is_empty() {
                p { (ctx.t("Nodig (per ", "Needed (per ")) (level_label(ctx.lang, r.level)) (ctx.t(" van deze gemeente):", " of this gemeente):")) }
                ul {
                    @for m in &g.missing {
                        li {
                            (ctx.t(&m.label_nl, &m.label_en)) " (" code { (m.id.as_str()) } ")"
                            @if let Some(src) = &m.source_title { " — " (src) }
                            @if !m.keys.is_empty() { span.meta.inline { " · " (ctx.t("kolom ", "column ")) (m.keys.join(" / ")) } }
                        }
                    }
                }
            }
            @if !g.elsewhere.is_empty() {
                p {
                    (ctx.t("Wel cijfers voor ", "Figures for ")) (name) (ctx.t(": ", " do exist: "))
                    @for (k, (level, period)) in g.elsewhere.iter().enumerate() {
                        @if k > 0 { ", " }
                        a href=(format!("/radar?level={}&period={}&support={}{}", level.as_str(), period, r.support.id, if *level == Level::Gemeente { String::new() } else { format!("&gemeente={}", g.code) })) {
                            (level_label(ctx.lang, *level)) " " (period)
                        }
                    }
                    "."
                }
            }
        }
    }
}

fn body(
    ctx: &PageCtx,
    c: &Catalogue,
    r: &Radar,
    available: &[(Level, Vec<i32>)],
    shapes: Option<&MapShapes>,
    map_layout: Option<i32>,
) -> Markup {
    let candidates: Vec<&RadarAreaView> = r.candidates().collect();
    html! {
        h1 { (ctx.t("Vindbaarheidsradar", "Findability radar")) }
        p.lead {
            (ctx.t("Waar is de nood hoog, maar het gebruik van ondersteuning duidelijk lager dan in gebieden met dezelfde nood? Daar is hulpvraag mogelijk uit beeld. Aanbeveling 5 van het rapport: een betere radar op lokaal niveau.",
                   "Where is need high, but the use of support clearly lower than in areas with the same need? Need may be out of sight there. Recommendation 5 of the report: a better radar at local level."))
        }
        p.note { strong { (ctx.t("Alleen gebieden, nooit personen. ", "Areas only, never persons. ")) } (ctx.t("De radar wijst plekken aan om te gaan kijken met het wijkteam en de partners in de wijk — geen mensen, geen huishoudens.", "The radar points at places to go and look with the neighbourhood team and local partners — not at people, not at households.")) }
        (controls(ctx, c, r, available))
        (method(ctx, c, r))
        @match &r.outcome {
            RadarOutcome::MissingData(m) => (missing_section(ctx, c, r, m, available)),
            RadarOutcome::NoModel(reason) => {
                section.error-message {
                    h2 { (ctx.t("Geen verwachting te berekenen", "No expectation can be computed")) }
                    @match reason {
                        NoModel::TooFewAreas { usable, needed } => p {
                            (ctx.t("Er zijn ", "There are ")) (usable) " " (level_label(ctx.lang, r.level)) (ctx.t(" met alle cijfers; de radar heeft er minstens ", " with every figure; the radar needs at least ")) (needed)
                            (ctx.t(" nodig om een betrouwbare verwachting te schatten. Laad cijfers voor meer gebieden, of kies een ander niveau.", " to estimate a reliable expectation. Load figures for more areas, or choose another level."))
                        },
                        NoModel::Degenerate { message } => p { (ctx.t("De noodindicatoren zijn (bijna) gelijk of hangen volledig samen: ", "The need indicators are (almost) equal or fully dependent: ")) (message) }
                    }
                }
                @if !r.areas.is_empty() { (table_panel(ctx, c, r)) }
            }
            RadarOutcome::Model(_) if r.gemeente_without_figures.is_some() => {
                (gemeente_without_figures(ctx, c, r, r.gemeente_without_figures.as_ref().expect("matched")))
            }
            RadarOutcome::Model(m) => {
                ul.key-figures {
                    li { span.big { (candidates.len()) } br; (if candidates.len() == 1 { ctx.t("radarkandidaat", "radar candidate") } else { ctx.t("radarkandidaten", "radar candidates") }) @if let Some(g) = &r.gemeente { " " (ctx.t("in", "in")) " " (r.gemeenten.iter().find(|(x, _)| x == g).and_then(|(_, n)| n.clone()).unwrap_or_else(|| g.to_string())) } }
                    li { span.big { (r.areas.iter().filter(|a| a.row.high_need && a.row.excluded.is_none()).count()) } br; (level_label(ctx.lang, r.level)) " " (ctx.t("met hoge nood (beoordeeld)", "with high need (assessed)")) }
                    li { span.big { (m.n) } br; (level_label(ctx.lang, r.level)) " " (ctx.t("in het model", "in the model")) }
                }
                (whom(ctx, c, r))
                @if let Some(run) = &r.stacking_run { (run_note(ctx, run)) }
                div.dashboard.radar-layout {
                    (map_panel(ctx, r, shapes, map_layout))
                    (table_panel(ctx, c, r))
                }
                section aria-labelledby="why-title" {
                    h2 #why-title { (ctx.t("Waarom deze gebieden?", "Why these areas?")) }
                    @if candidates.is_empty() {
                        p { (ctx.t("Geen enkel gebied met hoge nood heeft duidelijk minder gebruik dan verwacht. Dat zegt niet dat iedereen in beeld is: alleen dat de cijfers over gebieden er geen aanwijzing voor geven.", "No area with high need has clearly less use than expected. That does not say everyone is in view: only that the figures about areas give no sign of it.")) }
                    }
                    @for a in &candidates { (explanation(ctx, c, r, a)) }
                }
                (model_section(ctx, c, r))
            }
        }
        p.meta {
            a href="/agenda/radar_lokaal" { (ctx.t("Aanbeveling 5: betere radar op lokaal niveau", "Recommendation 5: a better radar at local level")) }
        }
    }
}
