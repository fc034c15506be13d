//! "What changed?" for one region: the layouts it is listed in, and every merger, split,
//! rename, re-code or boundary correction it took part in, with the weight used to carry
//! figures over and where that weight comes from.

use axum::extract::{Path, State};
use axum::response::Response;
use kwm_model::ChangeKind;
use kwm_monitor::layouts::{self, ChangeView, RegionHistory};
use kwm_monitor::query;
use kwm_monitor::MonitorError;
use kwm_store::ChangeOrigin;
use maud::{html, Markup};

use super::{layout, render, Nav, PageCtx};
use crate::components::table::table_head;
use crate::explain;
use crate::i18n::Lang;
use crate::state::AppState;

/// `GET /regio/{code}/wijzigingen`
pub async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ctx: PageCtx,
) -> Response {
    render(&ctx, build(&state, &ctx, &code).await)
}

async fn build(state: &AppState, ctx: &PageCtx, raw_code: &str) -> Result<Markup, MonitorError> {
    let code = query::parse_region(raw_code)?;
    let history = state
        .query(move |store| layouts::region_history(store, &code))
        .await?;
    let name = history
        .name
        .clone()
        .unwrap_or_else(|| history.code.to_string());
    let title = format!(
        "{} — {name}",
        ctx.t("Wat is er veranderd?", "What changed?")
    );
    Ok(layout(ctx, &title, Nav::None, body(ctx, &history, &name)))
}

/// A change kind in words.
pub fn kind_label(lang: Lang, k: ChangeKind) -> &'static str {
    lang.t(k.label_nl(), k.label_en())
}

fn region_cell(
    code: &kwm_model::RegionCode,
    name: &Option<String>,
    this: &kwm_model::RegionCode,
) -> Markup {
    html! {
        @if code == this {
            strong { (name.clone().unwrap_or_else(|| code.to_string())) } " " span.meta { (code.as_str()) }
        } @else {
            a href=(format!("/regio/{code}/wijzigingen")) { (name.clone().unwrap_or_else(|| code.to_string())) }
            " " span.meta { (code.as_str()) }
        }
    }
}

fn share_cell(ctx: &PageCtx, c: &ChangeView) -> Markup {
    let ch = &c.change;
    html! {
        @match ch.weight {
            Some(w) if (w - 1.0).abs() > 1e-9 => {
                (ctx.lang.number(w * 100.0, 1)) "%"
                @if let Some(b) = &ch.weight_basis { span.meta { (b) } }
                @if !ch.parts.is_empty() {
                    span.meta { (ctx.t("delen: ", "parts: ")) (ch.parts.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")) }
                }
            }
            Some(_) => { (ctx.t("geheel", "whole")) }
            None => span.status { (ctx.t("onbekend: cijfers niet overgezet", "unknown: figures not carried over")) },
        }
    }
}

fn body(ctx: &PageCtx, h: &RegionHistory, name: &str) -> Markup {
    let code = h.code.as_str();
    html! {
        nav.breadcrumb aria-label=(ctx.t("Kruimelpad", "Breadcrumb")) {
            ol {
                li { a href="/" { (ctx.t("Kaart", "Map")) } }
                li { a href=(format!("/regio/{code}")) { (name) } }
                li aria-current="page" { (ctx.t("Wat is er veranderd?", "What changed?")) }
            }
        }
        h1 { (ctx.t("Wat is er veranderd?", "What changed?")) " " (name) }
        p.lead {
            (code) " · "
            a href=(format!("/regio/{code}/trend")) { (ctx.t("Bekijk de trend", "See the trend")) }
        }
        p {
            (ctx.t("Gemeenten fuseren, worden opgesplitst of krijgen een nieuwe naam; wijken en buurten krijgen nieuwe codes. Om jaren te vergelijken zet de monitor de cijfers van vóór een wijziging om naar de nieuwe indeling: aantallen worden opgeteld, percentages herberekend uit tellers en noemers, en bij een splitsing krijgt elk deel een geschat aandeel.",
                   "Municipalities merge, split or are renamed; districts and neighbourhoods get new codes. To compare years, the monitor converts figures from before a change to the new layout: counts are added, rates recomputed from numerators and denominators, and after a split each part gets an estimated share."))
        }
        h2 { (ctx.t("In welke indelingen", "In which layouts")) }
        @if h.listed.is_empty() {
            p { (ctx.t("Deze code staat in geen enkele geladen indeling; ze komt alleen voor in wijzigingen.", "This code is in none of the loaded layouts; it only occurs in changes.")) }
        } @else {
            div.table-scroll.fit tabindex="0" role="region" aria-label=(ctx.t("Indelingen", "Layouts")) {
                table.data.narrow {
                    thead { tr { th scope="col" { (ctx.t("Indeling (1 januari)", "Layout (1 January)")) } th scope="col" { (ctx.t("Naam", "Name")) } } }
                    tbody {
                        @for (year, n) in &h.listed {
                            tr { th scope="row" { (year) } td { (n.clone().unwrap_or_default()) } }
                        }
                    }
                }
            }
        }
        h2 #changes-title { (ctx.t("Wijzigingen", "Changes")) }
        @if h.changes.is_empty() {
            p { (ctx.t("Geen wijzigingen gevonden tussen de geladen indelingen: de cijfers van deze regio zijn over de jaren direct vergelijkbaar.", "No changes found between the loaded layouts: this region's figures compare directly over the years.")) }
        } @else {
            div.table-scroll tabindex="0" role="region" aria-labelledby="changes-title" {
                table.data.changes {
                    (table_head(ctx, &[("Wanneer", "When"), ("Soort", "Kind"), ("Van", "From"), ("Naar", "To"), ("Aandeel", "Share"), ("Herkomst", "Source")]))
                    tbody {
                        @for c in &h.changes {
                            tr {
                                th scope="row" {
                                    (c.change.effective.as_deref().map(|d| explain::date_text(ctx.lang, d)).unwrap_or_else(|| format!("{}–{}", c.from_layout, c.change.to_layout)))
                                    span.meta { (ctx.t("indeling", "layout")) " " (c.change.to_layout) }
                                }
                                td { (kind_label(ctx.lang, c.change.kind)) }
                                td { (region_cell(&c.change.old_code, &c.change.old_name, &h.code)) }
                                td { (region_cell(&c.change.new_code, &c.change.new_name, &h.code)) }
                                td.num { (share_cell(ctx, c)) }
                                td {
                                    @match c.origin {
                                        ChangeOrigin::Official => {
                                            (ctx.t("wijzigingenbestand", "change table"))
                                            @if c.weight_derived && c.change.weight.is_some_and(|w| w < 1.0) {
                                                span.meta { (ctx.t("aandeel afgeleid door de monitor", "share derived by the monitor")) }
                                            }
                                        }
                                        ChangeOrigin::Derived => { (ctx.t("afgeleid uit de gegevens", "derived from the data")) }
                                    }
                                    @if !layouts::moves_figures(c) && c.change.kind != ChangeKind::Rename {
                                        span.meta { (ctx.t("kandidaat uit vereenvoudigde grenzen; niet toegepast op cijfers", "candidate from generalised boundaries; not applied to figures")) }
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
