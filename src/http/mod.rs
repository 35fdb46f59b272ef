//! HTTP routes. Handlers do transport only: read the request, attach per-request data
//! (caller, request id), execute, reply.

mod access_log;
pub(crate) mod gate;
mod graphiql;
mod graphql;
mod health;
mod metrics;
mod rate_limit;
mod request_id;
mod rest;
mod server;
mod subscriptions;
mod tracking;
mod webhooks;

pub use rate_limit::{InFlight, RateLimiter};
pub use server::serve;

use crate::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

/// The whole HTTP application, used by `serve` and by the tests.
pub fn app(state: AppState) -> Router {
    let cors = cors(&state.limits.cors_allowed_origins, &state.limits.cors_allowed_headers);
    let router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::execute))
        .route("/graphql/ws", get(subscriptions::upgrade))
        .route("/graphql/assets/{file}", get(graphiql::asset))
        .route("/webhooks/sendgrid", post(webhooks::sendgrid))
        .route("/webhooks/postmark", post(webhooks::postmark))
        .route("/webhooks/mailgun", post(webhooks::mailgun))
        .route("/webhooks/ses", post(webhooks::ses))
        .route("/webhooks/shopify/orders", post(webhooks::shopify_orders))
        .route("/t/o/{file}", get(tracking::open))
        .route("/t/c/{token}", get(tracking::click))
        .route("/api/campaigns", get(rest::list))
        .route("/api/campaigns/{id}", get(rest::one))
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(crate::dashboard::routes())
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), access_log::layer))
        .layer(axum::middleware::from_fn(request_id::layer))
        .with_state(state);
    match cors {
        Some(layer) => router.layer(layer),
        None => router,
    }
}

/// CORS for the configured origins only; without any, no cross-origin browser access.
fn cors(origins: &[String], headers: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    let headers: Vec<HeaderName> = headers.iter().filter_map(|h| HeaderName::try_from(h.trim()).ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(headers)
            .expose_headers([HeaderName::from_static("x-request-id")])
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
    (err.status(), axum::Json(error_body(&err.message(), err.code()))).into_response()
}

/// The body, up to `limit` bytes: an announced length above it is refused from the headers
/// alone, and a streamed body is cut off as soon as it passes the limit (413 either way); a
/// body that takes longer than `read_timeout` to arrive is refused with 408.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    read_timeout: std::time::Duration,
) -> Result<Bytes, Response> {
    let too_large = || {
        let message = format!("the request body is larger than the limit of {limit} bytes");
        refuse(StatusCode::PAYLOAD_TOO_LARGE, &message, "BAD_USER_INPUT")
    };
    let announced =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(read_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(read) => read.map_err(|_| too_large()),
        Err(_) => {
            let message = format!("the request body took longer than {} s to arrive", read_timeout.as_secs());
            Err(refuse(StatusCode::REQUEST_TIMEOUT, &message, "BAD_USER_INPUT"))
        }
    }
}

fn internal_error() -> Response {
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(error_body("internal error", "INTERNAL")))
        .into_response()
}
