//! Every request's id: the client's `x-request-id` when it is well-formed (1 to 64 letters,
//! digits, `.`, `_`, `-`), else a new UUID. It is in every log line of the request (a span), on
//! every response (`x-request-id`), and in every `INTERNAL` error's body, so a user can quote
//! it and an operator can find the logged detail — GraphQL, REST and webhooks alike.

use crate::graphql::RequestId;
use axum::body::Body;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// Bytes of an `INTERNAL` error body this reads to add the id (such bodies are a few hundred).
const MAX_ERROR_BODY: usize = 64 * 1024;

fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub async fn layer(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let id = RequestId(id);
    request.extensions_mut().insert(id.clone());
    // The request's span (exported, a trace's span). `access_log` names it after its route,
    // puts it under the caller's `traceparent`, and adds its status and GraphQL operation.
    let span = tracing::info_span!(
        "request",
        request_id = %id.0,
        otel.name = tracing::field::Empty,
        otel.kind = "server",
        http.request.method = %request.method(),
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        graphql.operation.name = tracing::field::Empty,
    );
    let mut response = next.run(request).instrument(span).await;
    if response.status().is_server_error() {
        response = stamp(response, &id).await;
    }
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// Puts the request id on the `INTERNAL` errors of a JSON error body.
async fn stamp(response: Response, id: &RequestId) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut json) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let mut changed = false;
    for err in json.get_mut("errors").and_then(Value::as_array_mut).into_iter().flatten() {
        if err["extensions"]["code"] == "INTERNAL" && err["extensions"]["requestId"].is_null() {
            err["extensions"]["requestId"] = Value::String(id.0.clone());
            err["message"] = Value::String(id.internal_message());
            changed = true;
        }
    }
    if !changed {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let mut parts = parts;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::to_vec(&json).unwrap_or_default()))
}
