//! One INFO line per request (target `access`): method, route (the matched route's pattern,
//! so ids and link tokens stay out of the log; the path when no route matched, which the
//! metrics count as `unmatched`), status,
//! duration, request id, and what the handler adds (`AccessDetail`): the GraphQL operation
//! name, the first error's code and the caller's user id. Never the token, the query string
//! or the body. `RUST_LOG=access=off` turns it off; `LOG_FORMAT=json` makes it a JSON line.

use crate::AppState;
use crate::graphql::RequestId;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use uuid::Uuid;

/// What only the handler knows, for the access line (a response extension).
#[derive(Debug, Clone, Default)]
pub struct AccessDetail {
    pub operation: Option<String>,
    /// `query` or `mutation`, for a GraphQL request.
    pub kind: Option<&'static str>,
    pub error: Option<String>,
    pub caller: Option<Uuid>,
}

/// Logs the request and counts it in the metrics (`http_requests_total`, latency, 429s).
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let matched = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    // Unmatched paths are the client's to choose: logged (cut short), but one metrics label.
    let route = matched.clone().unwrap_or_else(|| request.uri().path().chars().take(200).collect());
    let id = request.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let started = Instant::now();
    // The request's span (`request_id`): named after the route, not the path (ids stay out).
    let span = tracing::Span::current();
    span.record("otel.name", format!("{method} {}", matched.as_deref().unwrap_or("unmatched")));
    span.record("http.route", matched.as_deref().unwrap_or("unmatched"));
    // After the name: a span under a parent has started, and keeps the name it started with.
    crate::telemetry::continue_trace(&span, request.headers());
    let response = next.run(request).await;
    let detail = response.extensions().get::<AccessDetail>().cloned().unwrap_or_default();
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if let Some(operation) = &detail.operation {
        span.record("graphql.operation.name", operation.as_str());
    }
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.request(matched.as_deref().unwrap_or("unmatched"), status, detail.operation.as_deref(), seconds);
    if let Some(kind) = detail.kind {
        let outcome = detail.error.as_deref().unwrap_or("OK");
        state.metrics.graphql_request(detail.operation.as_deref(), kind, outcome, seconds);
    }
    if status == 429 {
        state.metrics.rate_limited();
    }
    tracing::info!(
        target: "access",
        method = %method,
        route,
        status,
        duration_ms = seconds * 1_000.0,
        request_id = %id,
        operation = detail.operation.as_deref().unwrap_or(""),
        error = detail.error.as_deref().unwrap_or(""),
        caller = %detail.caller.map(|c| c.to_string()).unwrap_or_default(),
        "request"
    );
    response
}
