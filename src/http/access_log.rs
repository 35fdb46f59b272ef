//! One INFO line per request (target `access`): method, route (the matched route's pattern,
//! so ids and link tokens stay out of the log; the path when no route matched), status,
//! duration, request id, and what the handler adds (`AccessDetail`): the GraphQL operation
//! name, the first error's code and the caller's user id. Never the token, the query string
//! or the body. `RUST_LOG=access=off` turns it off; `LOG_FORMAT=json` makes it a JSON line.

use crate::graphql::RequestId;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use uuid::Uuid;

/// What only the handler knows, for the access line (a response extension).
#[derive(Debug, Clone, Default)]
pub struct AccessDetail {
    pub operation: Option<String>,
    pub error: Option<String>,
    pub caller: Option<Uuid>,
}

pub async fn layer(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => request.uri().path().chars().take(200).collect(),
    };
    let id = request.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let started = Instant::now();
    let response = next.run(request).await;
    let detail = response.extensions().get::<AccessDetail>().cloned().unwrap_or_default();
    tracing::info!(
        target: "access",
        method = %method,
        route,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1_000.0,
        request_id = %id,
        operation = detail.operation.as_deref().unwrap_or(""),
        error = detail.error.as_deref().unwrap_or(""),
        caller = %detail.caller.map(|c| c.to_string()).unwrap_or_default(),
        "request"
    );
    response
}
