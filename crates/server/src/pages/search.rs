//! `/zoeken`: find a gemeente, wijk or buurt by name or code. The list of matches is always
//! shown, even for a single exact match: namesakes at other levels (a wijk and a buurt both
//! called Feijenoord) would otherwise be hidden behind a redirect.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kwm_monitor::query::{self, SearchHit};
use kwm_monitor::MonitorError;
use maud::{html, Markup};

use super::profile::level_name;
use super::{error_page, layout, respond, search_form, Nav, PageCtx};
use crate::state::AppState;

/// Most matches the page lists; the API gives more on request.
const PAGE_LIMIT: usize = 50;

/// `GET /zoeken?q=`
pub async fn page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let text = ctx.params.get("q").cloned().unwrap_or_default();
    let title = ctx.t("Zoeken", "Search");
    if text.trim().is_empty() {
        let body = html! {
            h1 { (title) }
            (search_form(&ctx, "search-page", ""))
            p { (ctx.t("Typ de naam of code van een gemeente, wijk of buurt, of een deel ervan. Hoofdletters, accenten en streepjes maken niet uit.",
                       "Type the name or code of a municipality, district or neighbourhood, or part of it. Capitals, accents and hyphens do not matter.")) }
        };
        return respond(&ctx, StatusCode::OK, layout(&ctx, title, Nav::None, body));
    }
    let result = {
        let text = text.clone();
        state
            .query(move |s| query::search(s, &text, Some(PAGE_LIMIT + 1)))
            .await
    };
    match result {
        Ok(hits) => {
            let body = results(&ctx, &text, &hits);
            respond(&ctx, StatusCode::OK, layout(&ctx, title, Nav::None, body))
        }
        // The caller's mistake (too long, only punctuation): say so beside the form.
        Err(MonitorError::BadRequest(message)) => {
            let body = html! {
                h1 { (title) }
                (search_form(&ctx, "search-page", &text))
                p.error-message role="alert" { (message) }
            };
            respond(
                &ctx,
                StatusCode::BAD_REQUEST,
                layout(&ctx, title, Nav::None, body),
            )
        }
        Err(e) => error_page(&ctx, &e),
    }
}

fn results(ctx: &PageCtx, text: &str, hits: &[SearchHit]) -> Markup {
    let more = hits.len() > PAGE_LIMIT;
    let shown = &hits[..hits.len().min(PAGE_LIMIT)];
    html! {
        h1 { (ctx.t("Zoeken", "Search")) }
        (search_form(ctx, "search-page", text))
        @if shown.is_empty() {
            p #search-status {
                (ctx.t("Niets gevonden voor", "Nothing found for")) " “" (text) "”. "
                (ctx.t("Probeer een deel van de naam, of een code zoals GM0599 of WK059910.",
                       "Try part of the name, or a code such as GM0599 or WK059910."))
            }
        } @else {
            p #search-status {
                @if more {
                    (ctx.t("De eerste", "The first")) " " (PAGE_LIMIT) " " (ctx.t("resultaten voor", "results for"))
                    " “" (text) "”. " (ctx.t("Maak de zoekterm preciezer om meer te vinden.", "Make the search more precise to find more."))
                } @else {
                    (shown.len()) " " (if shown.len() == 1 { ctx.t("resultaat voor", "result for") } else { ctx.t("resultaten voor", "results for") })
                    " “" (text) "”."
                }
            }
            ol.search-results aria-labelledby="search-status" {
                @for hit in shown { (result(ctx, hit)) }
            }
        }
    }
}

fn result(ctx: &PageCtx, hit: &SearchHit) -> Markup {
    let name = hit.name.clone().unwrap_or_else(|| hit.code.to_string());
    // The gemeente's name tells namesakes apart; a gemeente itself needs none.
    let gemeente = hit
        .gemeente
        .as_ref()
        .filter(|(g, _)| *g != hit.code)
        .map(|(g, n)| n.clone().unwrap_or_else(|| g.to_string()));
    html! {
        li {
            a href=(format!("/regio/{}", hit.code)) { (name) }
            span.meta {
                " · " (level_name(ctx, hit.code.level()))
                @if let Some(g) = gemeente { " " (ctx.t("in", "in")) " " (g) }
                " · " (hit.code.as_str())
            }
        }
    }
}
