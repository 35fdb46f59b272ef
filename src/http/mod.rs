//! HTTP routes. Handlers do transport only: read the request, attach per-request data
//! (caller, request id), execute, reply.

mod gate;
mod graphql;
mod health;
mod rate_limit;
mod rest;

pub use rate_limit::RateLimiter;

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

/// The whole HTTP application, used by `serve` and by the tests.
pub fn app(state: AppState) -> Router {
    let cors = cors(&state.limits.cors_allowed_origins);
    let router = Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route("/api/campaigns", get(rest::list))
        .route("/api/campaigns/{id}", get(rest::one))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .with_state(state);
    match cors {
        Some(layer) => router.layer(layer),
        None => router,
    }
}

/// CORS for the configured origins only; without any, no cross-origin browser access.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// A GraphQL-shaped error body with a code, for refusals made before GraphQL runs.
pub(crate) fn error_body(message: &str, code: &str) -> serde_json::Value {
    json!({ "errors": [ { "message": message, "extensions": { "code": code } } ] })
}

/// A refusal made before GraphQL runs: a status, and a body with a message and a code.
pub(crate) fn refuse(status: axum::http::StatusCode, message: &str, code: &str) -> Response {
    (status, axum::Json(error_body(message, code))).into_response()
}

/// An `AppError` as an HTTP response: its status, and a body with its code.
pub(crate) fn error_response(err: &crate::error::AppError) -> Response {
    (err.status(), axum::Json(error_body(&err.to_string(), err.code()))).into_response()
}

fn internal_error() -> Response {
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(error_body("internal error", "INTERNAL")))
        .into_response()
}
