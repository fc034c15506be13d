//! The HTTP side of the Kwetsbaarheidsmonitor: a JSON/CSV API described by an OpenAPI
//! document, and server-rendered pages (map, table, region profile) with Dutch first and
//! English on request.
//!
//! Only this crate knows HTTP and JSON shapes. Handlers parse parameters, call one
//! `kwm_monitor` query and render; they never compute statistics themselves.

mod access_layer;
mod api;
mod api_agenda;
mod api_analysis;
mod api_persons;
mod api_risk;
mod api_time;
pub mod auth;
pub mod chart;
mod components;
mod error;
pub mod explain;
pub mod hardening;
pub mod i18n;
pub mod labels;
pub mod map;
pub mod oidc;
pub mod openapi;
mod pages;
pub mod picture;
pub mod regiobeeld;
mod state;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;

pub use hardening::{shutdown_signal, HardeningConfig};
/// The regiobeeld as a file without a server (`kwm regiobeeld`): made where the page is.
pub use pages::regiobeeld::{render_file, FileFormat, ShapeCache};
pub use state::AppState;

const NLDS_TOKENS_CSS: &str = include_str!("../../../web/static/nlds-tokens.css");
const APP_CSS: &str = include_str!("../../../web/static/app.css");
const APP_JS: &str = include_str!("../../../web/static/app.js");
const FAVICON_SVG: &str = include_str!("../../../web/static/favicon.svg");

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

/// All routes of the server.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/indicators", get(api::indicators))
        .route("/regions", get(api::regions))
        .route("/regions/{code}", get(api::region))
        .route("/regions/{code}/similar", get(api::similar))
        .route("/search", get(api::search))
        .route("/regions/{code}/themes", get(api_risk::region_themes))
        .route("/stacking", get(api_risk::stacking))
        .route("/characteristics", get(api_risk::characteristics))
        .route("/themes", get(api_risk::themes))
        .route("/groups", get(api_risk::groups))
        .route("/groups/{id}", get(api_risk::group))
        .route("/coverage", get(api_risk::coverage))
        .route("/agenda", get(api_agenda::agenda))
        .route("/agenda/{id}", get(api_agenda::recommendation))
        .route("/radar", get(api_agenda::radar))
        .route("/regions/{code}/series", get(api_time::region_series))
        .route("/changes", get(api_time::changes))
        .route("/warnings", get(api_time::warnings))
        .route("/composite", get(api_analysis::composite))
        .route("/clusters", get(api_analysis::clusters))
        .route("/shrinkage", get(api_analysis::shrinkage))
        .route("/observations", get(api::observations))
        .route("/breakdowns", get(api_persons::breakdowns))
        .route("/persons-stacking", get(api_persons::persons_stacking))
        .route("/loads", get(api::loads))
        .route("/openapi.json", get(openapi::handler))
        .fallback(api::not_found);
    let app = Router::new()
        .route("/", get(pages::dashboard::page))
        .route("/regio/{code}", get(pages::profile::page))
        .route("/zoeken", get(pages::search::page))
        .route("/regio/{code}/themas", get(pages::themes::page))
        .route("/regio/{code}/profiel.svg", get(pages::charts::profile_svg))
        .route("/regio/{code}/themas.svg", get(pages::charts::themes_svg))
        .route("/regio/{code}/regiobeeld", get(pages::regiobeeld::page))
        .route("/regio/{code}/regiobeeld.svg", get(pages::regiobeeld::svg))
        .route("/regio/{code}/regiobeeld.pdf", get(pages::regiobeeld::pdf))
        .route("/regio/{code}/regiobeeld.csv", get(pages::regiobeeld::csv))
        .route("/stapeling", get(pages::stacking::page))
        .route("/methodevergelijking", get(pages::analysis::methods_page))
        .route("/clusters", get(pages::analysis::clusters_page))
        .route("/stapeling-personen", get(pages::persons::page))
        .route("/groepen", get(pages::groups::overview))
        .route("/groepen/{id}", get(pages::groups::page))
        .route("/methode", get(pages::method::method))
        .route("/dekking", get(pages::method::coverage))
        .route("/regio/{code}/trend", get(pages::trend::page))
        .route("/regio/{code}/wijzigingen", get(pages::changes::page))
        .route("/signalen", get(pages::warnings::page))
        .route("/radar", get(pages::radar::page))
        .route("/agenda", get(pages::agenda::overview))
        .route("/agenda/{id}", get(pages::agenda::page))
        .route("/indicatoren", get(pages::info::indicators))
        .route("/bronnen", get(pages::info::sources))
        .route("/over", get(pages::info::about))
        .route("/toegankelijkheid", get(pages::info::accessibility))
        .route("/beheer/audit", get(pages::audit::page))
        .route("/healthz", get(api::healthz))
        .route(
            "/static/nlds-tokens.css",
            get(|| async { asset("text/css; charset=utf-8", NLDS_TOKENS_CSS) }),
        )
        .route(
            "/static/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/static/favicon.svg",
            get(|| async { asset("image/svg+xml", FAVICON_SVG) }),
        )
        .route(
            "/favicon.ico",
            get(|| async { asset("image/svg+xml", FAVICON_SVG) }),
        )
        .nest("/api", api)
        .fallback(pages::not_found);
    // Sign-in (OpenID Connect), only when configured: its routes and the header's sign-in link.
    let app = match state.oidc() {
        Some(oidc) => oidc.attach(app),
        None => app,
    };
    // Access control outside everything that reads the store, sign-in routes included.
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        access_layer::layer,
    ))
    .layer(CompressionLayer::new())
    .layer(hardening::layer())
    .with_state(state)
}

/// Serves until `shutdown` completes — normally [`shutdown_signal`], SIGTERM or Ctrl-C — with
/// the limits and timeouts of `config` (see [`hardening`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    config: HardeningConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    hardening::serve(listener, router(state), config, shutdown).await
}
