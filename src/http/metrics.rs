//! `GET /metrics`: the server's Prometheus metrics (`crate::metrics`), to callers bearing
//! `METRICS_TOKEN` (401 otherwise); without that setting, 404: the metrics are off.

use super::refuse;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.metrics_token else {
        return refuse(StatusCode::NOT_FOUND, "metrics are off: set METRICS_TOKEN to serve them", "NOT_FOUND");
    };
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| bool::from(g.trim().as_bytes().ct_eq(token.as_bytes()))) {
        return refuse(StatusCode::UNAUTHORIZED, "send `Authorization: Bearer <METRICS_TOKEN>`", "UNAUTHENTICATED");
    }
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], state.metrics.render(&state).await)
        .into_response()
}
