//! The region profile: every indicator for one region, with the national value, its rank and
//! percentile among regions of its level, and a note where a value is missing or suppressed.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use kwm_model::catalogue::Catalogue;
use kwm_monitor::clusters::{self, Membership};
use kwm_monitor::query::{self, ProfileRow, RegionLink, RegionProfile};
use kwm_monitor::risk::{self, RegionRisk};
use kwm_monitor::MonitorError;
use maud::{html, Markup};

use super::analysis;
use super::dashboard::label;
use super::{
    direction_label, downloads, encode, interval_text, layout, level_label, render, status_note,
    value_text, Nav, PageCtx,
};
use crate::state::AppState;

/// `GET /regio/{code}`
pub async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ctx: PageCtx,
) -> Response {
    render(&ctx, build(&state, &ctx, &code).await)
}

async fn build(state: &AppState, ctx: &PageCtx, raw_code: &str) -> Result<Markup, MonitorError> {
    let code = query::parse_region(raw_code)?;
    let period = ctx.year("period")?;
    let catalogue = state.catalogue().clone();
    let (profile, memberships, risk, radar_target, similar, not_shown) = {
        let code = code.clone();
        state
            .query(move |s| {
                // Links from other pages carry their year (a wijk's profile links up to its
                // gemeente and province in the same year); a region without figures for that
                // year shows its default year and says so, rather than a dead end.
                let periods = s.region_periods(&code)?;
                let (period, not_shown) = match period {
                    Some(y) if !periods.is_empty() && !periods.contains(&y) => (None, Some(y)),
                    other => (other, None),
                };
                let p = query::region_profile(s, &code, period)?;
                let m = clusters::region_memberships(s, &code, p.period)?;
                // The composite's rank and interval, when the region's level has results for
                // this period; a profile without them is still a profile.
                let r = match p.period {
                    Some(y) => risk::region_risk(s, &catalogue, &code, Some(y)).ok(),
                    None => None,
                };
                // The radar link goes to a level with figures for this place (the region's own,
                // else its gemeente's), or is left out.
                let t = kwm_monitor::radar::region_target(s, &catalogue, &code)?;
                // Similar areas need figures of the rule's variables; a profile without them
                // says so rather than failing.
                let similar = match p.period {
                    Some(y) => Some(kwm_monitor::similar::similar(
                        s,
                        &catalogue,
                        &code,
                        Some(y),
                    )?),
                    None => None,
                };
                Ok((p, m, r, t, similar, not_shown))
            })
            .await?
    };
    let name = profile
        .region
        .name
        .clone()
        .unwrap_or_else(|| code.to_string());
    Ok(layout(
        ctx,
        &name,
        Nav::None,
        body(
            ctx,
            state.catalogue(),
            &profile,
            &memberships,
            risk.as_ref(),
            similar.as_ref(),
            &name,
            radar_target.map(|(l, y, g)| super::radar::target_href(l, y, g.as_ref())),
            not_shown,
        ),
    ))
}

#[allow(clippy::too_many_arguments)]
fn body(
    ctx: &PageCtx,
    c: &Catalogue,
    p: &RegionProfile,
    memberships: &(Option<i32>, Vec<Membership>),
    risk: Option<&RegionRisk>,
    similar: Option<&kwm_monitor::similar::SimilarAreas>,
    name: &str,
    radar_href: Option<String>,
    not_shown: Option<i32>,
) -> Markup {
    let level = p.region.code.level();
    let mut groups: BTreeMap<(bool, &str), Vec<&ProfileRow>> = BTreeMap::new();
    for r in &p.rows {
        groups
            .entry((
                !r.indicator.indicator.curated,
                r.indicator.indicator.source.as_str(),
            ))
            .or_default()
            .push(r);
    }
    let published = p.rows.iter().filter(|r| r.row.value.is_some()).count();
    html! {
        nav.breadcrumb aria-label=(ctx.t("Kruimelpad", "Breadcrumb")) {
            ol {
                // Back to the map at this region's level and year, and up to the parents in
                // the same year: the choice made here travels with the links.
                li { a href=(with_period(&format!("/?level={}", level.as_str()), p.period)) { (ctx.t("Kaart", "Map")) } }
                @for parent in &p.links.parents {
                    li { a href=(with_period(&format!("/regio/{}", parent.code), p.period)) { (link_name(parent)) } }
                }
                li aria-current="page" { (name) }
            }
        }
        h1 { (name) }
        p.lead {
            (p.region.code.as_str()) " · " (level_name(ctx, level))
            @if let Some(l) = p.region.layout { " · " (ctx.t("indeling", "layout")) " " (l) }
            @if !p.links.parents.is_empty() {
                " · " (ctx.t("ligt in", "lies in")) " "
                // Smallest area first: "ligt in Feijenoord, Rotterdam".
                @for (i, parent) in p.links.parents.iter().rev().enumerate() {
                    @if i > 0 { ", " }
                    a href=(format!("/regio/{}", parent.code)) { (link_name(parent)) }
                }
            }
        }
        // In-page navigation: one entry per table, so a long profile (155 rows for
        // Rotterdam) can be read on a phone without scrolling past every table.
        @if !groups.is_empty() || !p.links.children.is_empty() {
        nav.page-toc aria-labelledby="toc-title" {
            h2 #toc-title { (ctx.t("Op deze pagina", "On this page")) }
            ul.toc {
                @for ((uncurated, source), rows) in &groups {
                    li { a href=(format!("#{}", group_id(source, *uncurated))) { (source) @if *uncurated { " — " (ctx.t("overige kolommen", "other columns")) } " (" (rows.len()) ")" } }
                }
                @if let Some(child) = p.links.children.first() {
                    li { a href="#deelgebieden" { (children_heading(ctx, child.code.level(), name)) " (" (p.links.children.len()) ")" } }
                }
            }
        }
        }
        @if level != kwm_model::Level::Land {
            p.risk-link {
                a href=(with_period(&format!("/regio/{}/themas", p.region.code), p.period)) { (ctx.t("Risicokenmerken en thema's van deze regio", "Risk characteristics and themes of this region")) }
                " — " (ctx.t("welke kenmerken hier samenkomen, en waarom", "which characteristics stack here, and why"))
            }
        }
        @if matches!(level, kwm_model::Level::Gemeente | kwm_model::Level::Wijk | kwm_model::Level::Buurt) {
            p.regiobeeld-link {
                a href=(with_period(&format!("/regio/{}/regiobeeld", p.region.code), p.period)) { (ctx.t("Regiobeeld: deze regio op één A4", "Regional picture: this region on one A4 page")) }
                " — " (ctx.t("kaart, stapeling, thema's, kerncijfers en wat ontbreekt; ook als PDF en SVG", "map, stacking, themes, key figures and what is missing; also as PDF and SVG"))
            }
        }
        ul.region-links {
            li { a href=(format!("/regio/{}/trend", p.region.code)) { (ctx.t("Trends over de jaren", "Trends over the years")) } }
            li { a href=(format!("/regio/{}/wijzigingen", p.region.code)) { (ctx.t("Wat is er veranderd in de indeling?", "What changed in the region layout?")) } }
            @if let Some(radar) = radar_href {
                li { a href=(radar) { (ctx.t("Vindbaarheidsradar: is hier hulpvraag uit beeld?", "Findability radar: is need out of sight here?")) } }
            }
            @if let (Some(synthetic), Some(period)) = (p.person_stacking, p.period) {
                li {
                    a href=(format!("/stapeling-personen?region={}&period={period}", p.region.code)) { (ctx.t("Stapeling per persoon", "Stacking per person")) }
                    @if synthetic { " " span.synthetic-tag { (ctx.t("synthetisch", "synthetic")) } }
                }
            }
        }
        @if let Some(r) = risk {
            @if let Some(rank) = r.composite_rank {
                p.composite-line {
                    (ctx.t("Samengestelde index: rang ", "Composite index: rank ")) strong { (rank) } " / " (r.composite_ranked)
                    " (1 = " (ctx.t("meest kwetsbaar", "most vulnerable")) ")"
                    @if let Some(i) = &r.rank_interval {
                        "; " (ctx.t("bij andere redelijke methoden rang ", "under other reasonable methods rank "))
                        (interval_text(ctx.lang, i)) (ctx.t(" (90%-interval) — ", " (90% interval) — "))
                        a href=(format!("/methodevergelijking?level={}&period={}", level.as_str(), r.run.record.period)) { (ctx.t("methodevergelijking", "method comparison")) }
                    }
                }
            }
        }
        @if let Some(s) = similar.filter(|s| !s.rule.variables.is_empty() && level != kwm_model::Level::Land) {
            p.similar-line {
                (ctx.t("Vergelijkbare gebieden: ", "Similar areas: "))
                @if s.areas.is_empty() {
                    (ctx.t("geen — voor deze regio ontbreekt ", "none — this region lacks ")) (s.missing.join(", "))
                }
                @for (i, a) in s.areas.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href=(with_period(&format!("/regio/{}", a.code), p.period)) { (a.name.clone().unwrap_or_else(|| a.code.to_string())) }
                }
                " "
                span.meta { "(" (s.rule.k) " " (ctx.t("dichtstbijzijnde op stedelijkheid, inwonertal en inkomen; regel in catalogue/similar.toml", "nearest on urbanity, population size and income; rule in catalogue/similar.toml")) ") " }
                @if !s.areas.is_empty() {
                    a href=(format!("/api/regions/{}/similar?period={}&format=csv", p.region.code, s.period)) download="" { (ctx.t("lijst als CSV", "list as CSV")) span.visually-hidden { " " (ctx.t("vergelijkbare gebieden", "similar areas")) } }
                }
            }
        }
        @if let (Some(period), false) = (memberships.0, memberships.1.is_empty()) {
            (analysis::memberships(ctx, c, level, period, &memberships.1))
        }
        @if p.periods.len() > 1 {
            form.controls method="get" action=(format!("/regio/{}", p.region.code)) {
                div.field {
                    label for="period" { (ctx.t("Jaar", "Year")) }
                    select #period name="period" {
                        @for y in &p.periods { option value=(y) selected[Some(*y) == p.period] { (y) } }
                    }
                }
                button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
            }
        }
        @if let (Some(asked), Some(shown)) = (not_shown, p.period) {
            p.note role="status" {
                (ctx.t("Voor deze regio zijn er geen cijfers voor ", "This region has no figures for ")) (asked)
                (ctx.t("; getoond wordt ", "; shown is ")) (shown) "."
            }
        }
        @if let Some(period) = p.period {
            (super::permalink(ctx, &format!("/regio/{}", p.region.code), &[("period", period.to_string())]))
        }
        @match p.period {
            None => p { (ctx.t("Voor deze regio zijn geen cijfers geladen.", "No figures are loaded for this region.")) }
            Some(period) => {
                p {
                    (published) " " (ctx.t("van", "of")) " " (p.rows.len()) " "
                    (ctx.t("indicatoren hebben een cijfer voor", "indicators have a figure for")) " " (period) ". "
                    (ctx.t("Rang 1 is de meest ongunstige van alle ", "Rank 1 is the least favourable of all "))
                    (level_label(ctx.lang, level)) "; "
                    (ctx.t("het percentiel zegt welk deel van de regio's er gunstiger voor staat (100 = meest ongunstig, zoals op de themapagina's; bij een neutrale indicator: welk deel een lagere waarde heeft).", "the percentile says which share of regions is better off (100 = least favourable, as on the theme pages; for a neutral indicator: which share has a lower value)."))
                }
                p.downloads-all {
                    a href=(format!("/api/regions/{}?period={period}&format=csv", p.region.code)) download="" { (ctx.t("Alle indicatoren van deze regio als CSV", "All indicators of this region as CSV")) }
                    " " span.meta { (ctx.t("(met populatie en bron per rij)", "(with population and source on every row)")) }
                }
                @for (k, ((uncurated, source), rows)) in groups.iter().enumerate() {
                    @let links = downloads(ctx, &format!("{source}: {}", ctx.t("tabel", "table")), &[
                        (format!("/api/regions/{}?period={period}&source={}&format=csv", p.region.code, encode(source)), ctx.t("tabel als CSV", "table as CSV")),
                        (format!("/regio/{}/profiel.svg?period={period}&source={}&lang={}", p.region.code, encode(source), ctx.lang.code()), ctx.t("percentielen als SVG", "percentiles as SVG")),
                    ]);
                    @let table = html! {
                        div.table-scroll tabindex="0" role="region" aria-label=(format!("{source}: {}", ctx.t("tabel", "table"))) {
                            table.data.profile {
                                thead {
                                    tr {
                                        th scope="col" { (ctx.t("Indicator", "Indicator")) }
                                        th scope="col" { (name) }
                                        th scope="col" { (ctx.t("Nederland", "Netherlands")) }
                                        th scope="col" { (ctx.t("Rang", "Rank")) }
                                        th scope="col" { (ctx.t("Percentiel", "Percentile")) }
                                    }
                                }
                                tbody {
                                    @for r in rows { (profile_row(ctx, c, r, period, level)) }
                                }
                            }
                        }
                    };
                    @if *uncurated {
                        // Columns the catalogue does not describe keep their publisher's raw
                        // labels: folded away, so they never read as the monitor's own figures.
                        details.profile-group id=(group_id(source, true)) {
                            summary { h2 { (source) " — " (ctx.t("overige kolommen", "other columns")) " (" (rows.len()) ")" } }
                            p.meta { (ctx.t("Kolommen die de catalogus niet beschrijft: labels zoals de bron ze geeft, zonder richting of populatie.", "Columns the catalogue does not describe: labels as the source gives them, without direction or population.")) }
                            (table)
                            (links)
                        }
                    } @else {
                        // The first source's table is open; the others are folded and open
                        // from the table of contents (app.js opens a targeted section).
                        details.profile-group.curated id=(group_id(source, false)) open[k == 0] {
                            summary { h2 { (source) " (" (rows.len()) ")" } }
                            (table)
                            (links)
                        }
                    }
                }
            }
        }
        @if let Some(first) = p.links.children.first() {
            section.subareas #deelgebieden aria-labelledby="deelgebieden-kop" {
                h2 #deelgebieden-kop { (children_heading(ctx, first.code.level(), name)) }
                p.meta {
                    (p.links.children.len()) " " (level_label(ctx.lang, first.code.level()))
                    @if let Some(l) = p.links.children_layout { ", " (ctx.t("indeling", "layout")) " " (l) }
                    ". "
                    @if let Some(gm) = p.region.code.gemeente().filter(|_| p.region.code.level() == kwm_model::Level::Gemeente) {
                        a href=(format!("/?level={}&gemeente={gm}", first.code.level().as_str())) {
                            (children_heading(ctx, first.code.level(), name)) " " (ctx.t("op de kaart", "on the map"))
                        }
                        " · "
                        a href=(format!("/stapeling?level={}&gemeente={gm}", first.code.level().as_str())) {
                            (ctx.t("waar risicokenmerken zich stapelen", "where risk characteristics stack"))
                        }
                    }
                }
                ul.subarea-list {
                    @for child in &p.links.children {
                        li { a href=(format!("/regio/{}", child.code)) { (link_name(child)) } " " span.meta { (child.code.as_str()) } }
                    }
                }
            }
        }
    }
}

/// A path with `period=` added when a year was chosen, so links keep the view's year.
fn with_period(path: &str, period: Option<i32>) -> String {
    match period {
        Some(y) if path.contains('?') => format!("{path}&period={y}"),
        Some(y) => format!("{path}?period={y}"),
        None => path.to_string(),
    }
}

/// The anchor of a source's table: `bron-` and the source's name in lower-case ASCII.
fn group_id(source: &str, uncurated: bool) -> String {
    let mut id = String::from("bron-");
    for ch in source.chars() {
        if ch.is_ascii_alphanumeric() {
            id.push(ch.to_ascii_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-').to_string();
    if uncurated {
        format!("{id}-overig")
    } else {
        id
    }
}

/// A linked region's name, or its code when no layout names it.
fn link_name(link: &RegionLink) -> String {
    link.name.clone().unwrap_or_else(|| link.code.to_string())
}

/// "Wijken in Rotterdam", "Buurten in Feijenoord".
fn children_heading(ctx: &PageCtx, level: kwm_model::Level, name: &str) -> String {
    let what = match level {
        kwm_model::Level::Wijk => ctx.t("Wijken", "Districts"),
        kwm_model::Level::Buurt => ctx.t("Buurten", "Neighbourhoods"),
        _ => ctx.t("Deelgebieden", "Areas"),
    };
    format!("{what} {} {name}", ctx.t("in", "in"))
}

/// A level's name in the singular ("wijk", "district").
pub(crate) fn level_name(ctx: &PageCtx, level: kwm_model::Level) -> &'static str {
    use kwm_model::Level::*;
    match level {
        Land => ctx.t("land", "country"),
        Provincie => ctx.t("provincie", "province"),
        Ggd => ctx.t("GGD-regio", "GGD region"),
        Gemeente => ctx.t("gemeente", "municipality"),
        Wijk => ctx.t("wijk", "district"),
        Buurt => ctx.t("buurt", "neighbourhood"),
    }
}

fn profile_row(
    ctx: &PageCtx,
    c: &Catalogue,
    r: &ProfileRow,
    period: i32,
    level: kwm_model::Level,
) -> Markup {
    let i = &r.indicator.indicator;
    let link = format!(
        "/?indicator={}&level={}&period={period}",
        i.id,
        level.as_str()
    );
    html! {
        tr {
            th scope="row" {
                a href=(link) { (label(ctx.lang, &r.indicator)) }
                span.meta {
                    @if let Some(p) = c.population_of(i.id.as_str()) { (ctx.t(&p.short_nl, &p.short_en)) " · " }
                    (direction_label(ctx.lang, i.direction)) " · "
                    a href=(format!("/regio/{}/trend?indicator={}", r.row.code, i.id)) { (ctx.t("trend", "trend")) span.visually-hidden { " " (label(ctx.lang, &r.indicator)) } }
                }
            }
            td.num {
                @match r.row.shown {
                    Some(v) => {
                        (value_text(ctx.lang, v, i.decimals, &i.unit))
                        @if let (Some(lo), Some(hi)) = (r.row.lower, r.row.upper) {
                            span.interval { " (" (ctx.lang.number(lo, i.decimals)) "–" (ctx.lang.number(hi, i.decimals)) ")" }
                        }
                    }
                    None => span.status { (status_note(ctx.lang, r.row.status)) },
                }
            }
            td.num {
                @if let Some(n) = &r.national {
                    (value_text(ctx.lang, n.value, i.decimals, &i.unit))
                    @if n.derived { span.meta { (ctx.t("som van gemeenten", "sum of municipalities")) } }
                } @else {
                    span.status { (ctx.t("niet gepubliceerd", "not published")) }
                }
            }
            td.num { @if let Some(rank) = r.row.rank { (rank) " / " (r.ranked) } }
            td.percentile {
                @if let Some(p) = r.row.percentile {
                    span.bar aria-hidden="true" { span.bar-fill style=(format!("width:{:.0}%", p)) {} }
                    span.num { (ctx.lang.number(p, 0)) }
                }
            }
        }
    }
}
