//! `/beheer/audit`: the audit log, for admins only (everyone else gets 403); `?format=csv`
//! exports it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::{error_page, layout, respond, Nav, PageCtx};
use crate::auth::{Principal, Role};
use crate::components::table::table_head;
use crate::state::AppState;

/// The audit log page (newest first).
pub async fn page(State(state): State<AppState>, principal: Principal, ctx: PageCtx) -> Response {
    let csv = ctx.params.get("format").is_some_and(|f| f == "csv");
    if principal.role != Role::Admin {
        let title = ctx.t("Geen toegang", "No access");
        let body = html! {
            h1 { (title) }
            p.error-message { (ctx.t(
                "Het auditlogboek is alleen voor beheerders. Meld u aan als beheerder, of gebruik een API-token met de rol admin.",
                "The audit log is for administrators only. Sign in as an administrator, or use an API token with the admin role.")) }
            p { a href="/" { (ctx.t("Terug naar de kaart", "Back to the map")) } }
        };
        return respond(
            &ctx,
            StatusCode::FORBIDDEN,
            layout(&ctx, title, Nav::None, body),
        );
    }
    let mut entries = match state.query_unfiltered(|s| Ok(s.audit_log()?)).await {
        Ok(e) => e,
        Err(e) => return error_page(&ctx, &e),
    };
    entries.reverse();
    if csv {
        return crate::api::csv_response(
            "audit.csv",
            &["id", "at", "actor", "via", "action", "subject", "origin"],
            entries
                .into_iter()
                .map(|e| {
                    vec![
                        e.id.to_string(),
                        e.at,
                        e.actor,
                        e.via,
                        e.action,
                        e.subject,
                        e.origin,
                    ]
                })
                .collect(),
        );
    }
    let title = ctx.t("Auditlogboek", "Audit log");
    let body = html! {
        h1 { (title) }
        p { (ctx.t(
            "Elke inzage van afgeschermde cijfers (per verzoek, met de indicatoren), elke lading, elke wijziging van toegang, elk API-token en elke aanmelding, nieuwste eerst. Het logboek wordt alleen aangevuld, nooit gewijzigd.",
            "Every read of restricted figures (per request, with the indicators), every load, every access change, every API token and every sign-in, newest first. The log is only appended to, never changed.")) }
        p { a href="/beheer/audit?format=csv" download { (ctx.t("Download als CSV", "Download as CSV")) } }
        div.table-scroll tabindex="0" role="region" aria-label=(title) {
            table.data {
                (table_head(&ctx, &[("Tijd", "Time"), ("Wie", "Who"), ("Via", "Via"), ("Handeling", "Action"), ("Betreft", "Subject"), ("Vanaf", "From")]))
                tbody {
                    @for e in &entries {
                        tr {
                            td { (e.at) }
                            th scope="row" { (e.actor) }
                            td { (e.via) }
                            td { (action_label(&ctx, &e.action)) }
                            // Indicator ids joined by bare commas would not wrap.
                            td { (e.subject.replace(',', ", ")) }
                            td { (e.origin) }
                        }
                    }
                }
            }
        }
    };
    respond(&ctx, StatusCode::OK, layout(&ctx, title, Nav::None, body))
}

fn action_label(ctx: &PageCtx, action: &str) -> String {
    match action {
        "read_restricted" => ctx.t("inzage afgeschermde cijfers", "read of restricted figures"),
        "load" => ctx.t("lading", "load"),
        "access_change" => ctx.t("toegang gewijzigd", "access changed"),
        "token_create" => ctx.t("API-token gemaakt", "API token created"),
        "token_revoke" => ctx.t("API-token ingetrokken", "API token revoked"),
        "sign_in" => ctx.t("aanmelding", "sign-in"),
        other => other,
    }
    .to_string()
}
