//! Early warning: a map of regions by the number of signals flagged, and the list of flagged
//! regions with, per signal, why it is flagged. Areas only, never persons.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use kwm_monitor::query;
use kwm_monitor::series::{self, RegionWarning, Warnings};
use kwm_monitor::MonitorError;
use kwm_store::IndicatorRecord;
use maud::{html, Markup};

use super::dashboard::label;
use super::{layout, level_label, render, Nav, PageCtx};
use crate::components::map::{region_map, MapArea};
use crate::components::table::table_head;
use crate::explain;
use crate::map::MapShapes;
use crate::state::AppState;

/// `GET /signalen?level=&period=`
pub async fn page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    render(&ctx, build(&state, &ctx).await)
}

async fn build(state: &AppState, ctx: &PageCtx) -> Result<Markup, MonitorError> {
    // The form sends one `choice` ("wijk:2019"); links and the API use `level` and `period`.
    let choice = ctx.params.get("choice").and_then(|c| c.split_once(':'));
    let level = choice
        .map(|(l, _)| l)
        .or(ctx.params.get("level").map(String::as_str))
        .filter(|l| !l.is_empty())
        .map(query::parse_level)
        .transpose()?;
    let period = choice
        .map(|(_, p)| p)
        .or(ctx.params.get("period").map(String::as_str))
        .filter(|p| !p.is_empty())
        .map(query::parse_period)
        .transpose()?;
    let catalogue = state.catalogue().clone();
    let warnings = state
        .query(move |store| series::warnings(store, &catalogue, level, period))
        .await?;
    let (lvl, lay) = (warnings.level, warnings.layout);
    let map_layout = state
        .query(move |s| query::map_layout_for(s, lvl, lay))
        .await?;
    let shapes = match map_layout {
        Some(l) => Some(state.map(lvl, l).await?),
        None => None,
    };
    let title = format!(
        "{} — {} {}",
        ctx.t("Vroegsignalering", "Early warning"),
        level_label(ctx.lang, warnings.level),
        warnings.period
    );
    Ok(layout(
        ctx,
        &title,
        Nav::Warnings,
        body(ctx, &warnings, shapes.as_deref()),
    ))
}

fn signal<'a>(w: &'a Warnings, id: &str) -> Option<&'a IndicatorRecord> {
    w.signals.iter().find(|s| s.indicator.id.as_str() == id)
}

fn trend_href(w: &Warnings, r: &RegionWarning) -> String {
    let first = r
        .assessments
        .iter()
        .find(|(_, a)| a.flagged)
        .or(r.assessments.first())
        .map(|(id, _)| id.as_str())
        .unwrap_or("");
    format!(
        "/regio/{}/trend?indicator={first}&layout={}",
        r.code, w.layout
    )
}

fn class_of(flagged: usize) -> &'static str {
    match flagged {
        0 => "w0",
        1 => "w1",
        2 => "w2",
        _ => "w3",
    }
}

fn controls(ctx: &PageCtx, w: &Warnings) -> Markup {
    html! {
        form.controls method="get" action="/signalen" {
            div.field {
                label for="choice" { (ctx.t("Niveau en jaar", "Level and year")) }
                select #choice name="choice" {
                    @for (l, p) in &w.options {
                        option value=(format!("{}:{p}", l.as_str())) selected[*l == w.level && *p == w.period] { (level_label(ctx.lang, *l)) " " (p) }
                    }
                }
            }
            button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
        }
    }
}

fn rule_text(ctx: &PageCtx, w: &Warnings) -> Markup {
    let r = &w.rule;
    html! {
        details.rule {
            summary { (ctx.t("Wanneer wordt een gebied gesignaleerd?", "When is an area flagged?")) }
            p { (ctx.t("Een gebied wordt gesignaleerd voor een signaal als alle volgende punten gelden:", "An area is flagged for a signal when all of the following hold:")) }
            ol {
                li { (ctx.t("het signaal is sinds het vorige jaar met cijfers ongunstiger geworden;", "the signal became less favourable since the previous year with figures;")) }
                li {
                    (ctx.t("die verslechtering is significant (α = ", "the worsening is significant (α = ")) (ctx.lang.number(r.alpha, 2)) "): "
                    (ctx.t("z-toets voor twee proporties als teller en noemer bekend zijn, de exacte toets van Fisher bij kleine aantallen (verwachte celfrequentie onder ", "two-proportion z-test when numerator and denominator are known, Fisher's exact test for small numbers (expected cell count below "))
                    (ctx.lang.number(r.min_expected, 0))
                    (ctx.t("), of een z-toets op het verschil met de gepubliceerde betrouwbaarheidsintervallen; een verandering die niet te toetsen is wordt nooit gesignaleerd;", "), or a z-test on the difference using the published confidence intervals; a change that cannot be tested is never flagged;"))
                }
                li {
                    (ctx.t("ze is groter dan de eigen eerdere schommelingen van het gebied: meer dan ", "it exceeds the area's own earlier variation: more than "))
                    (ctx.lang.number(r.past_variation_k, 1))
                    (ctx.t(" maal de standaardafwijking van de eerdere jaarlijkse veranderingen (te beoordelen vanaf ", " times the standard deviation of its earlier yearly changes (assessable from "))
                    (r.min_past_changes)
                    (ctx.t(" eerdere veranderingen; met minder telt dit punt ", " earlier changes; with fewer this criterion "))
                    @if r.require_past_variation { (ctx.t("als niet voldaan", "counts as not met")) } @else { (ctx.t("niet mee", "is skipped")) }
                    ");"
                }
                li {
                    (ctx.t("ze is ongunstiger dan de landelijke verandering in dezelfde jaren", "it is less favourable than the national change over the same years"))
                    @if r.national_margin > 0.0 { " (" (ctx.t("marge", "margin")) " " (ctx.lang.number(r.national_margin, 1)) ")" }
                    "."
                }
            }
            p.meta { (ctx.t("De regel en de gevolgde signalen staan in de catalogus (warnings.toml).", "The rule and the signals watched are in the catalogue (warnings.toml).")) }
        }
    }
}

fn map_panel(ctx: &PageCtx, w: &Warnings, shapes: Option<&MapShapes>) -> Markup {
    let by_code: HashMap<&str, &RegionWarning> =
        w.regions.iter().map(|r| (r.code.as_str(), r)).collect();
    let Some(s) = shapes.filter(|s| !s.paths.is_empty()) else {
        return html! {
            p.note { (ctx.t("Voor dit niveau zijn geen grenzen geladen; de lijst toont alle signalen.", "No boundaries are loaded for this level; the list shows every signal.")) }
        };
    };
    let counts = |k: usize| {
        w.regions
            .iter()
            .filter(|r| class_of(r.flagged()) == class_of(k))
            .count()
    };
    html! {
        figure.map-figure.legend-below {
            (region_map(&s.view_box(), "warn-map-title", &s.paths, |code| {
                let r = by_code.get(code.as_str());
                MapArea {
                    class: match r { Some(r) => format!("region {}", class_of(r.flagged())), None => "region nodata".to_string() },
                    href: match r { Some(r) => trend_href(w, r), None => format!("/regio/{code}") },
                    name: r.and_then(|r| r.name.clone()).unwrap_or_else(|| code.to_string()),
                    text: match r {
                        Some(r) if r.flagged() > 0 => explain::signals_count(ctx.lang, r.flagged()),
                        Some(_) => ctx.t("niet gesignaleerd", "not flagged").to_string(),
                        None => ctx.t("niet te beoordelen", "not assessable").to_string(),
                    },
                }
            }))
            figcaption {
                div.legend {
                    p.legend-title #warn-map-title { (ctx.t("Gesignaleerde signalen per gebied", "Signals flagged per area")) ", " (w.period) }
                    ul {
                        li { span.swatch.w0 aria-hidden="true" {} (ctx.t("geen", "none")) span.count { " (" (counts(0)) ")" } }
                        li { span.swatch.w1 aria-hidden="true" {} "1" span.count { " (" (counts(1)) ")" } }
                        li { span.swatch.w2 aria-hidden="true" {} "2" span.count { " (" (counts(2)) ")" } }
                        li { span.swatch.w3 aria-hidden="true" {} (ctx.t("3 of meer", "3 or more")) span.count { " (" (counts(3)) ")" } }
                        li { span.swatch.nodata aria-hidden="true" {} (ctx.t("niet te beoordelen", "not assessable")) }
                    }
                }
            }
        }
    }
}

fn flagged_list(ctx: &PageCtx, w: &Warnings) -> Markup {
    let flagged: Vec<&RegionWarning> = w.regions.iter().filter(|r| r.flagged() > 0).collect();
    html! {
        section.table-panel aria-labelledby="warn-list-title" {
            h2 #warn-list-title { (ctx.t("Gesignaleerde gebieden", "Flagged areas")) " (" (flagged.len()) ")" }
            p.subtitle {
                (w.regions.len()) " " (level_label(ctx.lang, w.level)) " " (ctx.t("beoordeeld", "assessed"))
                "; " (ctx.t("reeksen in de indeling van", "series in the layout of")) " " (w.layout) ". "
                a href=(format!("/api/warnings?level={}&period={}", w.level, w.period)) { (ctx.t("Alle beoordelingen als JSON", "All assessments as JSON")) }
            }
            @if flagged.is_empty() {
                p { (ctx.t("Geen enkel gebied voldoet aan alle voorwaarden.", "No area meets all conditions.")) }
            } @else {
                div.table-scroll tabindex="0" role="region" aria-labelledby="warn-list-title" {
                    table.data.warnings {
                        (table_head(ctx, &[("Gebied", "Area"), ("Signaal en waarom", "Signal and why")]))
                        tbody {
                            @for r in &flagged {
                                tr data-code=(r.code.as_str()) {
                                    th scope="row" {
                                        a href=(format!("/regio/{}", r.code)) { (r.name.clone().unwrap_or_else(|| r.code.to_string())) }
                                        span.meta { (r.code.as_str()) " · " (explain::signals_count(ctx.lang, r.flagged())) }
                                    }
                                    td {
                                        @for (id, a) in r.assessments.iter().filter(|(_, a)| a.flagged) {
                                            @let rec = signal(w, id);
                                            @let (dec, unit) = rec.map(|s| (s.indicator.decimals, s.indicator.unit.clone())).unwrap_or((1, String::new()));
                                            div.reason {
                                                a href=(format!("/regio/{}/trend?indicator={id}&layout={}", r.code, w.layout)) {
                                                    (rec.map(|s| label(ctx.lang, s).to_string()).unwrap_or_else(|| id.clone()))
                                                }
                                                ul {
                                                    @for line in explain::assessment_lines(ctx.lang, a, dec, &unit) { li { (line) } }
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
    }
}

fn body(ctx: &PageCtx, w: &Warnings, shapes: Option<&MapShapes>) -> Markup {
    html! {
        h1 { (ctx.t("Vroegsignalering", "Early warning")) }
        p.lead {
            (ctx.t("Gebieden waar een kernsignaal van kwetsbaarheid sneller verslechtert dan toeval, de eigen eerdere schommelingen en het landelijke beeld verklaren. Alleen gebieden, nooit personen.",
                   "Areas where a key signal of vulnerability worsens faster than chance, their own earlier variation and the national picture explain. Areas only, never persons."))
        }
        (controls(ctx, w))
        (rule_text(ctx, w))
        @if !w.new_indicators.is_empty() {
            div.note.new-effects {
                p { strong { (ctx.t("Nieuw in ", "New in ")) (w.period) ": " }
                    (ctx.t("deze indicatoren zijn voor het eerst gepubliceerd op dit niveau. Dat zijn nieuwe gegevens, geen stijging vanaf nul:", "these indicators are published at this level for the first time. They are new effects, not a rise from zero:")) }
                ul {
                    @for i in &w.new_indicators { li { (label(ctx.lang, i)) } }
                }
            }
        }
        @if !w.not_comparable.is_empty() {
            p.meta {
                (ctx.t("Signalen zonder eerder jaar op dit niveau (nog niet te beoordelen): ", "Signals without an earlier year at this level (not yet assessable): "))
                (w.not_comparable.join(", "))
            }
        }
        p.signals {
            (ctx.t("Gevolgde signalen: ", "Signals watched: "))
            (w.signals.iter().map(|s| label(ctx.lang, s).to_string()).collect::<Vec<_>>().join(", "))
        }
        @if shapes.is_some_and(|s| !s.paths.is_empty()) {
            div.dashboard {
                section.map-panel aria-labelledby="warn-map-heading" {
                    h2 #warn-map-heading { (ctx.t("Kaart", "Map")) ": " (level_label(ctx.lang, w.level)) " " (w.period) }
                    (map_panel(ctx, w, shapes))
                }
                (flagged_list(ctx, w))
            }
        } @else {
            (map_panel(ctx, w, shapes))
            (flagged_list(ctx, w))
        }
    }
}
