//! Server-rendered pages: Dutch first, English on request; every map has a table beside it.

pub mod agenda;
pub mod analysis;
pub mod audit;
pub mod changes;
pub mod charts;
pub mod dashboard;
pub mod groups;
pub mod info;
pub mod method;
pub mod persons;
pub mod profile;
pub mod radar;
pub mod regiobeeld;
pub mod risk_common;
pub mod search;
pub mod stacking;
pub mod themes;
pub mod trend;
pub mod warnings;

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::response::Response;
use kwm_monitor::MonitorError;

// The frame and the words every page shares live in `components`; pages name them from here.
pub use crate::components::page::{
    downloads, encode, error_page, layout, permalink, render, respond, search_form, Nav, PageCtx,
};
pub use crate::components::text::{
    direction_label, interval_text, level_label, status_note, value_text,
};

/// The 404 page for unknown paths.
pub async fn not_found(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let ctx = PageCtx::new(uri.path(), HashMap::new(), &headers);
    error_page(
        &ctx,
        &MonitorError::NotFound(format!(
            "{} {}",
            ctx.t("Deze pagina bestaat niet:", "This page does not exist:"),
            uri.path()
        )),
    )
}
