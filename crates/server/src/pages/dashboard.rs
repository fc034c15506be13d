//! The dashboard: choose an indicator, level and period; see a choropleth map with legend and,
//! beside it, the same figures as a sortable table (the map's accessible alternative).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::response::Response;
use kwm_model::catalogue::Catalogue;
use kwm_model::Level;
use kwm_model::RegionCode;
use kwm_monitor::query::{self, IndicatorTable, TableRow};
use kwm_monitor::MonitorError;
use kwm_store::IndicatorRecord;
use maud::{html, Markup};

use super::{direction_label, layout, level_label, render, status_note, value_text, Nav, PageCtx};
use crate::components::map::{layout_note, off_map_list, region_map, MapArea, OFF_MAP_REGIONS};
use crate::components::table::Sort;
use crate::i18n::Lang;
use crate::map::MapShapes;
use crate::state::AppState;

/// Indicator shown when none is chosen: the report's first example of a small financial buffer.
/// The first screen: national, about adults (RIVM's small-area estimates); the young adults'
/// figure where the adults' is not loaded.
const DEFAULT_INDICATORS: [&str; 2] = ["vo_moeite_met_rondkomen_18plus", "jv_moeite_met_rondkomen"];

/// `GET /`
pub async fn page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    render(&ctx, build(&state, &ctx).await)
}

/// The label of an indicator in the page language.
pub fn label(lang: Lang, i: &IndicatorRecord) -> &str {
    lang.t(&i.indicator.label_nl, &i.indicator.label_en)
}

async fn build(state: &AppState, ctx: &PageCtx) -> Result<Markup, MonitorError> {
    // Person-level stacking tables have their own page (and synthetic ones must never be mapped
    // as if they were an area's figures).
    let indicators: Vec<IndicatorRecord> = state
        .query(|s| Ok(s.indicators()?))
        .await?
        .into_iter()
        .filter(|i| !kwm_monitor::persons::is_person_level(i.indicator.id.as_str()))
        .collect();
    let level = ctx.level()?;
    let period = ctx.year("period")?;
    let chosen = ctx
        .params
        .get("indicator")
        .filter(|i| !i.is_empty())
        .cloned()
        .or_else(|| {
            DEFAULT_INDICATORS.iter().find_map(|d| {
                indicators
                    .iter()
                    .find(|i| i.indicator.id.as_str() == *d && i.levels.contains(&level))
                    .map(|i| i.indicator.id.to_string())
            })
        })
        .or_else(|| {
            indicators
                .iter()
                .find(|i| i.levels.contains(&level))
                .map(|i| i.indicator.id.to_string())
        });
    if let Some(id) = chosen
        .as_deref()
        .filter(|id| kwm_monitor::persons::is_person_level(id))
    {
        return Err(MonitorError::BadRequest(format!(
            "'{id}' is person-level stacking: see /stapeling-personen"
        )));
    }
    let Some(indicator_id) = chosen else {
        return Ok(layout(
            ctx,
            ctx.t("Kaart", "Map"),
            Nav::Map,
            html! {
                h1 { (ctx.t("Nog geen gegevens", "No data yet")) }
                p { (ctx.t("De store bevat nog geen cijfers. Laad bestanden met ", "The store holds no figures yet. Load files with ")) code { "kwm ingest" } "." }
            },
        ));
    };
    // A period that this indicator lacks falls back to its latest one, so switching
    // indicators in the form never lands on an error page.
    let record = indicators
        .iter()
        .find(|i| i.indicator.id.as_str() == indicator_id);
    let requested = period;
    let period = period.filter(|p| record.is_none_or(|r| r.periods.contains(p)));
    let mut table = {
        let id = indicator_id.clone();
        state
            .query(move |s| query::indicator_table(s, &id, level, period))
            .await?
    };
    // One gemeente's wijken or buurten: the national table cut to them (ranks, percentiles
    // and map classes stay national, and the page says so), on a map fitted to them.
    let within = match ctx.params.get("gemeente").filter(|g| !g.is_empty()) {
        Some(g) => {
            let code = query::parse_region(g)?;
            if code.level() != Level::Gemeente || !matches!(level, Level::Wijk | Level::Buurt) {
                return Err(MonitorError::BadRequest(format!(
                    "gemeente={g}: expected a gemeente code (GM…) with level wijk or buurt"
                )));
            }
            let name = {
                let c = code.clone();
                state
                    .query(move |s| Ok(s.region(&c, 9999)?.and_then(|r| r.name)))
                    .await?
            };
            table
                .rows
                .retain(|r| r.code.gemeente().as_ref() == Some(&code));
            Some((code, name))
        }
        None => None,
    };
    let map_layout = match table.layout {
        Some(l) => {
            state
                .query(move |s| query::map_layout_for(s, level, l))
                .await?
        }
        None => None,
    };
    let shapes = match (map_layout, &within) {
        (Some(l), None) => Some(state.map(level, l).await?),
        (Some(l), Some((gm, _))) => Some(state.map_within(level, l, gm.clone()).await?),
        (None, _) => None,
    };
    let title = format!(
        "{} — {} {}",
        label(ctx.lang, &table.indicator),
        level_label(ctx.lang, level),
        table.period
    );
    // Every choice of the form, also the defaults, for the permanent link.
    let mut choices = vec![
        ("indicator", table.indicator.indicator.id.to_string()),
        ("level", table.level.as_str().to_string()),
        ("period", table.period.to_string()),
    ];
    if let Some((gm, _)) = &within {
        choices.push(("gemeente", gm.to_string()));
    }
    Ok(layout(
        ctx,
        &title,
        Nav::Map,
        html! {
            h1 { (ctx.t("Kwetsbaarheid in kaart", "Vulnerability mapped")) }
            (controls(ctx, &indicators, &table, within.as_ref().map(|(c, _)| c)))
            (super::permalink(ctx, "/", &choices))
            @if let Some(y) = requested.filter(|y| *y != table.period) {
                p.note role="status" {
                    (ctx.t("Voor dit cijfer is er niets in ", "This figure has nothing for ")) (y)
                    (ctx.t("; getoond wordt ", "; shown is ")) (table.period) "."
                }
            }
            @if let Some((gm, name)) = &within {
                p.within {
                    strong {
                        (level_label(ctx.lang, level)) " " (ctx.t("van", "of")) " "
                        a href=(format!("/regio/{gm}")) { (name.clone().unwrap_or_else(|| gm.to_string())) }
                    }
                    " — " (ctx.t("rangen, percentielen en kleurklassen zijn die van heel Nederland. ", "ranks, percentiles and colour classes are those of the whole country. "))
                    a href=(ctx.url_with(&[("gemeente", None)])) { (ctx.t("Toon heel Nederland", "Show the whole country")) }
                }
            }
            div.dashboard {
                (map_panel(ctx, state.catalogue(), &table, shapes.as_deref(), map_layout))
                (table_panel(ctx, &table))
            }
        },
    ))
}

fn controls(
    ctx: &PageCtx,
    indicators: &[IndicatorRecord],
    table: &IndicatorTable,
    within: Option<&RegionCode>,
) -> Markup {
    let mut by_source: BTreeMap<(bool, &str), Vec<&IndicatorRecord>> = BTreeMap::new();
    // Only what has figures at the chosen level: choosing one never lands on an empty map.
    for i in indicators
        .iter()
        .filter(|i| !i.periods.is_empty() && i.levels.contains(&table.level))
    {
        by_source
            .entry((!i.indicator.curated, i.indicator.source.as_str()))
            .or_default()
            .push(i);
    }
    let current = table.indicator.indicator.id.as_str();
    html! {
        form.controls method="get" action="/" {
            @if let Some(gm) = within { input type="hidden" name="gemeente" value=(gm.as_str()); }
            div.field {
                label for="indicator" { (ctx.t("Indicator", "Indicator")) }
                select #indicator name="indicator" {
                    @for ((uncurated, source), items) in &by_source {
                        optgroup label=(if *uncurated { format!("{source} — {}", ctx.t("overige kolommen", "other columns")) } else { (*source).to_string() }) {
                            @for i in items {
                                option value=(i.indicator.id) selected[i.indicator.id.as_str() == current] { (label(ctx.lang, i)) }
                            }
                        }
                    }
                }
            }
            div.field {
                label for="level" { (ctx.t("Niveau", "Level")) }
                select #level name="level" {
                    @for l in &table.indicator.levels {
                        option value=(l.as_str()) selected[*l == table.level] { (level_label(ctx.lang, *l)) }
                    }
                }
            }
            div.field {
                label for="period" { (ctx.t("Jaar", "Year")) }
                select #period name="period" {
                    @for p in &table.indicator.periods {
                        option value=(p) selected[*p == table.period] { (p) }
                    }
                }
            }
            button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
        }
    }
}

const CLASS_COUNT_MAX: usize = 5;

fn legend(ctx: &PageCtx, table: &IndicatorTable) -> Markup {
    let i = &table.indicator.indicator;
    let missing = table.rows.iter().filter(|r| r.shown.is_none()).count();
    // Counts of what the map and table show: one gemeente's wijken when cut to it (the class
    // bounds stay national), so every count in the legend is about the same regions.
    let shown_per_class = |k: usize| table.rows.iter().filter(|r| r.class == Some(k)).count();
    html! {
        div.legend {
            p.legend-title { (i.unit.clone()) @if !i.unit.is_empty() { ", " } (ctx.t("kwantielklassen", "quantile classes")) " · " (direction_label(ctx.lang, i.direction)) }
            ul {
                @if let Some(c) = &table.classes {
                    @for k in 0..c.upper_bounds.len() {
                        li {
                            span class=(format!("swatch c{}", swatch_class(k, c.upper_bounds.len()))) aria-hidden="true" {}
                            @if k == 0 {
                                (ctx.lang.number(c.min, i.decimals)) " – " (ctx.lang.number(c.upper_bounds[0], i.decimals))
                            } @else {
                                "> " (ctx.lang.number(c.lower_bound(k), i.decimals)) " – " (ctx.lang.number(c.upper_bounds[k], i.decimals))
                            }
                            span.count { " (" (shown_per_class(k)) ")" }
                        }
                    }
                }
                @if missing > 0 {
                    li { span.swatch.nodata aria-hidden="true" {} (ctx.t("geen cijfer", "no figure")) span.count { " (" (missing) ")" } }
                }
            }
        }
    }
}

/// Spreads fewer classes over the 5-colour ramp so the darkest colour always means the highest class.
fn swatch_class(k: usize, n: usize) -> usize {
    if n <= 1 {
        CLASS_COUNT_MAX - 1
    } else {
        k * (CLASS_COUNT_MAX - 1) / (n - 1)
    }
}

fn region_href(code: &str, period: i32) -> String {
    format!("/regio/{code}?period={period}")
}

fn map_panel(
    ctx: &PageCtx,
    c: &Catalogue,
    table: &IndicatorTable,
    shapes: Option<&MapShapes>,
    map_layout: Option<i32>,
) -> Markup {
    let i = &table.indicator.indicator;
    let rows: HashMap<&str, &TableRow> = table.rows.iter().map(|r| (r.code.as_str(), r)).collect();
    let n_classes = table.classes.as_ref().map_or(0, |c| c.upper_bounds.len());
    let name_of = |code: &str| {
        rows.get(code)
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    // Regions of the table that the map's layout does not draw (codes changed between the
    // figures' layout and the boundaries'): named, never dropped silently.
    let off_map_rows: Vec<&TableRow> = match shapes {
        Some(s) => {
            let drawn: std::collections::HashSet<&kwm_model::RegionCode> =
                s.paths.iter().map(|(c, _)| c).collect();
            table
                .rows
                .iter()
                .filter(|r| !drawn.contains(&r.code))
                .collect()
        }
        None => table.rows.iter().collect(),
    };
    let off_map = off_map_rows.len();
    html! {
        section.map-panel aria-labelledby="map-title" {
            h2 #map-title { (label(ctx.lang, &table.indicator)) ", " (level_label(ctx.lang, table.level)) " " (table.period) }
            p.population {
                strong { (ctx.t("Over wie", "About whom")) ": " }
                @match c.population_of(i.id.as_str()) {
                    Some(p) => (ctx.t(&p.label_nl, &p.label_en)),
                    None => (ctx.t("niet vastgelegd in de catalogus", "not recorded in the catalogue")),
                }
                " · " (table.rows.iter().filter(|r| r.shown.is_some()).count()) " " (ctx.t("van", "of")) " " (table.rows.len()) " " (level_label(ctx.lang, table.level).to_lowercase()) " " (ctx.t("met een cijfer", "with a figure"))
                @if table.ranked < 10 {
                    " — " strong { (ctx.t("geen landelijk beeld: dit cijfer is maar voor een paar gebieden geladen, daarom geen rangorde of percentiel", "no national picture: this figure is loaded for a few areas only, so no ranks or percentiles")) }
                }
            }
            p.subtitle {
                (i.source.clone())
                @if let Some(n) = &table.national {
                    " · " (ctx.t("Nederland", "Netherlands")) ": " strong { (value_text(ctx.lang, n.value, i.decimals, &i.unit)) }
                    @if n.derived { " (" (ctx.t("som van gemeenten", "sum of municipalities")) ")" }
                }
            }
            @match shapes {
                Some(s) if !s.paths.is_empty() => {
                    figure.map-figure {
                        (region_map(&s.view_box(), "map-title", &s.paths, |code| {
                            let row = rows.get(code.as_str());
                            MapArea {
                                class: match row.and_then(|r| r.class) { Some(k) => format!("region c{}", swatch_class(k, n_classes)), None => "region nodata".to_string() },
                                href: region_href(code.as_str(), table.period),
                                name: name_of(code.as_str()),
                                text: row.and_then(|r| r.shown).map_or_else(|| ctx.t("geen cijfer", "no figure").to_string(), |v| value_text(ctx.lang, v, i.decimals, &i.unit)),
                            }
                        }))
                        figcaption { (legend(ctx, table)) }
                    }
                    @if map_layout != table.layout || off_map > 0 {
                        @let between = html! {
                            @if table.layout.is_some() && map_layout != table.layout {
                                (ctx.t("; de cijfers volgen de indeling van ", "; the figures follow the layout of ")) (table.layout.map(|l| l.to_string()).unwrap_or_default())
                                (ctx.t(" en staan op de kaart waar de code gelijk is", " and are drawn where the code is the same"))
                            }
                        };
                        p.note { (layout_note(ctx, map_layout, between, off_map, OFF_MAP_REGIONS)) }
                        @if off_map > 0 {
                            (off_map_list(ctx, off_map_rows.iter().map(|r| (&r.code, r.name.as_deref())), off_map, |code| region_href(code.as_str(), table.period)))
                        }
                    }
                }
                _ => {
                    p.note { (ctx.t("Voor dit niveau zijn geen grenzen geladen; de tabel toont alle cijfers.", "No boundaries are loaded for this level; the table shows all figures.")) }
                    (legend(ctx, table))
                }
            }
        }
    }
}

fn sort_rows<'a>(rows: &'a [TableRow], key: &str, descending: bool) -> Vec<&'a TableRow> {
    let mut sorted: Vec<&TableRow> = rows.iter().collect();
    let name = |r: &TableRow| {
        r.name
            .clone()
            .unwrap_or_else(|| r.code.to_string())
            .to_lowercase()
    };
    sorted.sort_by(|a, b| {
        // Rows without a value always go last, whatever the direction.
        let missing = a.shown.is_none().cmp(&b.shown.is_none());
        if missing != Ordering::Equal && key != "name" {
            return missing;
        }
        let o = match key {
            "name" => name(a).cmp(&name(b)),
            "value" => a.shown.partial_cmp(&b.shown).unwrap_or(Ordering::Equal),
            _ => a.rank.cmp(&b.rank),
        };
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| name(a).cmp(&name(b)))
    });
    sorted
}

fn table_panel(ctx: &PageCtx, table: &IndicatorTable) -> Markup {
    let i = &table.indicator.indicator;
    let sort = Sort::of(ctx, &["name", "value", "rank"], "rank");
    let rows = sort_rows(&table.rows, sort.key, sort.descending);
    let header = |k: &str, text: &str| sort.header(ctx, k, text, false);
    html! {
        section.table-panel aria-labelledby="table-title" {
            h2 #table-title { (ctx.t("Tabel", "Table")) }
            p.subtitle {
                @let shown = table.rows.iter().filter(|r| r.shown.is_some()).count();
                (shown) " " (level_label(ctx.lang, table.level)) " " (ctx.t("met een cijfer", "with a figure"))
                @if shown != table.ranked { " (" (ctx.t("rang onder alle ", "ranked among all ")) (table.ranked) " " (ctx.t("in Nederland", "in the Netherlands")) ")" }
                ". " (ctx.t("Rang 1 = meest ongunstig", "Rank 1 = least favourable"))
                @if i.direction == kwm_model::Direction::Neutral { " (" (ctx.t("hier: hoogste waarde", "here: highest value")) ")" }
                ". "
                a href=(format!("/api/observations?indicator={}&level={}&period={}&format=csv", i.id, table.level, table.period)) { (ctx.t("Download CSV", "Download CSV")) }
            }
            div.table-scroll tabindex="0" role="region" aria-labelledby="table-title" {
                table.data {
                    caption.visually-hidden { (label(ctx.lang, &table.indicator)) ", " (table.period) }
                    thead {
                        tr {
                            (header("rank", ctx.t("Rang", "Rank")))
                            (header("name", ctx.t("Regio", "Region")))
                            (header("value", ctx.t("Waarde", "Value")))
                            th scope="col" { (ctx.t("Percentiel", "Percentile")) }
                        }
                    }
                    tbody {
                        @for r in rows {
                            tr data-code=(r.code.as_str()) {
                                td.num { @if let Some(rank) = r.rank { (rank) } }
                                th scope="row" {
                                    a href=(region_href(r.code.as_str(), table.period)) { (r.name.clone().unwrap_or_else(|| r.code.to_string())) }
                                }
                                td.num {
                                    @match r.shown {
                                        Some(v) => {
                                            (value_text(ctx.lang, v, i.decimals, &i.unit))
                                            @if let (Some(lo), Some(hi)) = (r.lower, r.upper) {
                                                span.interval { " (" (ctx.lang.number(lo, i.decimals)) "–" (ctx.lang.number(hi, i.decimals)) ")" }
                                            }
                                        }
                                        None => span.status { (status_note(ctx.lang, r.status)) },
                                    }
                                }
                                td.num { @if let Some(p) = r.percentile { (ctx.lang.number(p, 0)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
