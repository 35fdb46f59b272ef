//! The dashboard: the pages the spec describes, for the brand's marketing team and its
//! retailers, served by the same binary.
//!
//! - `/dashboard/brand-performance/campaigns`: the overview (a card per campaign, the
//!   performance summary, status filtering);
//! - `/dashboard/brand-performance/campaigns/{id}`: one campaign (header, ROI, email figures
//!   per subject line, leaderboard, regions, funnel, timeline), with CSV downloads of the
//!   leaderboard and the timeline;
//! - `/dashboard/sign-in` and `/dashboard/sign-out`: a person's session, a bearer token kept
//!   in an HttpOnly, SameSite=Strict cookie (`session`).
//!
//! Every figure comes from the GraphQL schema itself, through the operations in
//! `tests/operations/` (run as the signed-in caller, with their scope), so a page can never
//! show a figure the API would not. Pages are GET-only, server-rendered HTML with SVG charts
//! (`charts`), no asset from elsewhere (CSS and script are served here); a retailer sees their
//! own figures by the API's own rules.

mod charts;
mod pages;
mod session;

pub use session::for_socket as session_for_socket;

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The dashboard's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/dashboard", get(pages::home))
        .route("/dashboard/sign-in", get(session::form).post(session::sign_in))
        .route("/dashboard/sign-out", axum::routing::post(session::sign_out))
        .route("/dashboard/brand-performance/campaigns", get(pages::overview))
        .route("/dashboard/brand-performance/campaigns/{id}", get(pages::campaign))
        .route("/dashboard/brand-performance/campaigns/{id}/{file}", get(pages::download))
        .route("/dashboard/assets/{file}", get(asset))
}

const CSS: &str = include_str!("assets/dashboard.css");
const SCRIPT: &str = include_str!("assets/live.js");

/// The stylesheet and the live-update script (the pages load nothing from elsewhere).
async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "dashboard.css" => (CSS, "text/css; charset=utf-8"),
        "live.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

/// A page's answer: HTML that is never cached and runs only this server's CSS and script.
fn html(markup: maud::Markup) -> Response {
    let mut response = markup.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}
