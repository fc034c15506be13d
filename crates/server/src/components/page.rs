//! The page frame every page shares: the request context (an extractor), the header with
//! navigation, language switch, search and sign-in state, the footer, the language cookie and
//! the error page; plus the small pieces every page writes the same way (downloads, permalink).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use kwm_model::Level;
use kwm_monitor::MonitorError;
use maud::{html, Markup, DOCTYPE};

use crate::auth::Role;
use crate::error::status_of;
use crate::i18n::Lang;

/// What the page header shows about signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderAccount {
    /// Sign-in is configured and nobody is signed in: an "Aanmelden" link.
    SignedOut,
    /// Signed in: the name, the role and an "Afmelden" button.
    SignedIn {
        /// Name to show.
        name: String,
        /// Role.
        role: Role,
    },
}

tokio::task_local! {
    static HEADER_ACCOUNT: HeaderAccount;
}

/// The sign-in state of the request being handled, for the page header; `None` when OpenID
/// Connect is not configured (the header then shows nothing about signing in).
///
/// A task-local that the sign-in module's middleware sets with [`with_header_account`]; it
/// lives here, beside the header that reads it, so the page frame needs nothing from the
/// sign-in module (which itself draws its pages in this frame).
pub fn header_account() -> Option<HeaderAccount> {
    HEADER_ACCOUNT.try_with(Clone::clone).ok()
}

/// Runs `f` (the rest of the request) with `account` as the header's sign-in state.
pub async fn with_header_account<F: std::future::Future>(
    account: HeaderAccount,
    f: F,
) -> F::Output {
    HEADER_ACCOUNT.scope(account, f).await
}

/// Which main navigation item is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// The map dashboard.
    Map,
    /// Stacking of risk characteristics.
    Stacking,
    /// Spatial clusters.
    Clusters,
    /// Stacking per person (person-level tables).
    Persons,
    /// Groups of the report.
    Groups,
    /// Methodology of the risk model.
    Method,
    /// Data coverage.
    Coverage,
    /// Early warning.
    Warnings,
    /// The findability radar.
    Radar,
    /// The policy agenda.
    Agenda,
    /// Indicators list.
    Indicators,
    /// Sources and loads.
    Sources,
    /// About and method.
    About,
    /// None.
    None,
}

/// What every page needs to know about the request.
pub struct PageCtx {
    /// Language.
    pub lang: Lang,
    /// The query parameters, to rebuild links (language switch, sorting).
    pub params: HashMap<String, String>,
    /// Request path.
    pub path: String,
    /// Sign-in state for the header; `None` when sign-in is not configured.
    pub account: Option<HeaderAccount>,
}

impl PageCtx {
    /// Builds the context from the request parts.
    pub fn new(path: &str, params: HashMap<String, String>, headers: &HeaderMap) -> PageCtx {
        let lang = Lang::detect(params.get("lang").map(String::as_str), headers);
        PageCtx {
            lang,
            params,
            path: path.to_string(),
            account: header_account(),
        }
    }

    /// A parameter's value; an empty one (`?period=` from a form left blank) counts as absent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `level=`: the level a page shows, gemeenten when absent.
    pub fn level(&self) -> Result<Level, MonitorError> {
        match self.param("level") {
            Some(l) => kwm_monitor::query::parse_level(l),
            None => Ok(Level::Gemeente),
        }
    }

    /// A year parameter (`period=`, `layout=`), `None` when absent.
    pub fn year(&self, name: &str) -> Result<Option<i32>, MonitorError> {
        self.param(name)
            .map(kwm_monitor::query::parse_period)
            .transpose()
    }

    /// Shorthand for [`Lang::t`].
    pub fn t<'a>(&self, nl: &'a str, en: &'a str) -> &'a str {
        self.lang.t(nl, en)
    }

    /// This page's URL with some parameters replaced (None removes one). `lang` is dropped:
    /// the cookie carries it.
    pub fn url_with(&self, changes: &[(&str, Option<&str>)]) -> String {
        let mut params: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(k, _)| k.as_str() != "lang" && !changes.iter().any(|(c, _)| c == k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in changes {
            if let Some(v) = v {
                params.push(((*k).to_string(), (*v).to_string()));
            }
        }
        params.sort();
        if params.is_empty() {
            return self.path.clone();
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        format!("{}?{}", self.path, query.join("&"))
    }
}

/// Download links under a chart or table: real links (no script) with a Dutch-first label;
/// `what` names the table or chart for screen readers, since "CSV" alone is ambiguous when a
/// page has several. Each item is (href, visible label).
pub fn downloads(ctx: &PageCtx, what: &str, links: &[(String, &str)]) -> Markup {
    html! {
        p.downloads {
            (ctx.t("Download", "Download")) span.visually-hidden { " " (what) } ": "
            @for (i, (href, label)) in links.iter().enumerate() {
                @if i > 0 { " · " }
                a href=(href) download="" { (label) }
            }
        }
    }
}

/// A link to the view on the screen with every choice in its address, also those the page
/// filled in by default (the latest year, the first indicator): the address in the bar may be a
/// bare `/`, whose view changes when new data is loaded, while this one keeps showing the same.
/// `pairs` are the choices; the page's language is added.
pub fn permalink(ctx: &PageCtx, path: &str, pairs: &[(&str, String)]) -> Markup {
    let mut query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    query.push(format!("lang={}", ctx.lang.code()));
    let href = format!("{path}?{}", query.join("&"));
    html! {
        p.permalink {
            a href=(href) rel="bookmark" { (ctx.t("Vaste link naar deze weergave", "Permanent link to this view")) }
            span.meta.inline { " " (ctx.t("(om te delen of te bewaren)", "(to share or keep)")) }
        }
    }
}

/// Percent-encodes a query component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The page frame: header with navigation and language switch, main content, footer.
pub fn layout(ctx: &PageCtx, title: &str, active: Nav, body: Markup) -> Markup {
    let nav = [
        (Nav::Map, "/", ctx.t("Kaart", "Map")),
        (Nav::Stacking, "/stapeling", ctx.t("Stapeling", "Stacking")),
        (Nav::Clusters, "/clusters", ctx.t("Clusters", "Clusters")),
        (
            Nav::Persons,
            "/stapeling-personen",
            ctx.t("Per persoon", "Per person"),
        ),
        (Nav::Groups, "/groepen", ctx.t("Groepen", "Groups")),
        (
            Nav::Warnings,
            "/signalen",
            ctx.t("Signalen", "Early warning"),
        ),
        (Nav::Radar, "/radar", ctx.t("Radar", "Radar")),
        (Nav::Agenda, "/agenda", ctx.t("Agenda", "Agenda")),
        (
            Nav::Indicators,
            "/indicatoren",
            ctx.t("Indicatoren", "Indicators"),
        ),
        (Nav::Method, "/methode", ctx.t("Methode", "Method")),
        (Nav::Coverage, "/dekking", ctx.t("Dekking", "Coverage")),
        (Nav::Sources, "/bronnen", ctx.t("Bronnen", "Sources")),
        (Nav::About, "/over", ctx.t("Over de monitor", "About")),
    ];
    let (switch_lang, switch_label, switch_hreflang) = match ctx.lang {
        Lang::Nl => ("en", "English", "en"),
        Lang::En => ("nl", "Nederlands", "nl"),
    };
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Kwetsbaarheidsmonitor" }
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/static/nlds-tokens.css";
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                a.skip-link href="#main" { (ctx.t("Direct naar de inhoud", "Skip to content")) }
                header.page-header {
                    div.container.header-row {
                        a.brand href="/" {
                            span.brand-mark aria-hidden="true" {}
                            span.brand-text { "Kwetsbaarheidsmonitor" }
                        }
                        nav.main-nav aria-label=(ctx.t("Hoofdmenu", "Main menu")) {
                            // Shown by app.js on narrow screens only; without JavaScript the
                            // list is always open.
                            button.menu-toggle type="button" aria-expanded="false" aria-controls="main-nav-list" hidden {
                                span.menu-icon aria-hidden="true" {}
                                (ctx.t("Menu", "Menu"))
                            }
                            ul #main-nav-list {
                                @for (item, href, label) in nav {
                                    li {
                                        @if item == active {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                        (search_form(ctx, "site-search", ""))
                        a.lang-switch href=(ctx.url_with(&[("lang", Some(switch_lang))])) hreflang=(switch_hreflang) lang=(switch_hreflang) { (switch_label) }
                        (account(ctx))
                    }
                }
                main #main.container tabindex="-1" { (body) }
                footer.page-footer {
                    div.container {
                        p {
                            (ctx.t("Open data van CBS, RIVM, GGD'en en Trimbos-instituut (CC BY 4.0). Alleen cijfers over gebieden en groepen, nooit over personen.",
                                   "Open data from CBS, RIVM, GGDs and the Trimbos Institute (CC BY 4.0). Figures about areas and groups only, never about persons."))
                        }
                        ul.footer-links {
                            li { a href="/bronnen" { (ctx.t("Bronnen en herkomst", "Sources and provenance")) } }
                            li { a href="/toegankelijkheid" { (ctx.t("Toegankelijkheid", "Accessibility")) } }
                            li { a href="/api/openapi.json" { "API (OpenAPI)" } }
                        }
                    }
                }
            }
        }
    }
}

/// Signing in or out, in the header when OpenID Connect is configured: a link to `/aanmelden`
/// (a link, not a form: the CSP's `form-action 'self'` would stop a form's redirect to the
/// identity provider) that returns to this page, or the name, role and a POST form to sign out.
fn account(ctx: &PageCtx) -> Markup {
    match &ctx.account {
        None => html! {},
        Some(HeaderAccount::SignedOut) => {
            let back = ctx.url_with(&[]);
            html! {
                a.account-link href=(format!("/aanmelden?terug={}", encode(&back))) { (ctx.t("Aanmelden", "Sign in")) }
            }
        }
        Some(HeaderAccount::SignedIn { name, role }) => html! {
            form.account method="post" action="/afmelden" {
                input type="hidden" name="terug" value=(ctx.url_with(&[]));
                span.account-name {
                    span.visually-hidden { (ctx.t("Aangemeld als", "Signed in as")) " " }
                    (name) " "
                    span.account-role { "(" (role.label(ctx.lang)) ")" }
                }
                button.account-link type="submit" { (ctx.t("Afmelden", "Sign out")) }
            }
        },
    }
}

/// The search form (`GET /zoeken?q=`): in the header of every page and at the top of the
/// results. `id` keeps the input's id unique when both are on one page. Works without
/// JavaScript; app.js only adds suggestions. In the header the label is read out but not shown
/// (app.css), so a placeholder says what the box is for.
pub fn search_form(ctx: &PageCtx, id: &str, value: &str) -> Markup {
    let label = ctx.t(
        "Zoek gemeente, wijk of buurt",
        "Find a municipality, district or neighbourhood",
    );
    let hint = ctx.t(
        "Gemeente, wijk of buurt",
        "Municipality, district, neighbourhood",
    );
    html! {
        form.search-form role="search" method="get" action="/zoeken" {
            label for=(id) { (label) }
            span.search-row {
                input #(id) type="search" name="q" value=(value) placeholder=(hint) autocomplete="off" spellcheck="false" maxlength=(kwm_monitor::query::SEARCH_MAX_QUERY) data-suggest="" ;
                button.button.primary type="submit" { (ctx.t("Zoek", "Search")) }
            }
        }
    }
}

/// Renders a page, setting the language cookie when the request chose a language.
pub fn respond(ctx: &PageCtx, status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, Html(markup.into_string())).into_response();
    if let Some(l) = ctx.params.get("lang").filter(|l| *l == "nl" || *l == "en") {
        if let Ok(v) = format!(
            "{}={l}; Path=/; Max-Age=31536000; SameSite=Lax",
            crate::i18n::COOKIE
        )
        .parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::SET_COOKIE, v);
        }
    }
    response
}

/// An error page with the monitor error's status.
pub fn error_page(ctx: &PageCtx, e: &MonitorError) -> Response {
    let status = status_of(e);
    if status.is_server_error() {
        tracing::error!(error = %e, "page failed");
    }
    let title = match status {
        StatusCode::NOT_FOUND => ctx.t("Niet gevonden", "Not found"),
        StatusCode::BAD_REQUEST => ctx.t("Ongeldige vraag", "Invalid request"),
        _ => ctx.t("Er ging iets mis", "Something went wrong"),
    };
    let body = html! {
        h1 { (title) }
        p.error-message { (e.to_string()) }
        p { a href="/" { (ctx.t("Terug naar de kaart", "Back to the map")) } }
    };
    respond(ctx, status, layout(ctx, title, Nav::None, body))
}

/// A page's context taken from the request itself: the path as requested, the query
/// parameters and the language (parameter, cookie or `Accept-Language`). Never fails.
impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<PageCtx, Self::Rejection> {
        // A malformed query string is read as no parameters, as the pages always did.
        let params = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(p)| p)
            .unwrap_or_default();
        Ok(PageCtx::new(parts.uri.path(), params, &parts.headers))
    }
}

/// The answer of a page handler: the page, or the error page with the error's status.
pub fn render(ctx: &PageCtx, page: Result<Markup, MonitorError>) -> Response {
    match page {
        Ok(markup) => respond(ctx, StatusCode::OK, markup),
        Err(e) => error_page(ctx, &e),
    }
}
