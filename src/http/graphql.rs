//! `POST /graphql` executes; `GET /graphql` serves GraphiQL (and never executes).
//!
//! Before GraphQL runs: the body size (413), the content type (CSRF: only
//! `application/json`), batching (off unless configured), then the gate: the caller's token
//! (401 with `UNAUTHENTICATED`) and rate limit (429 with `Retry-After`). Then the request
//! runs under the request timeout.

use super::gate::admit;
use super::{read_body, refuse};
use crate::AppState;
use crate::graphql::{RequestId, prepare_request};
use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse, Executor};
use async_graphql_axum::GraphQLResponse;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::time::Duration;
use uuid::Uuid;

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

pub async fn execute(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // The id `request_id::layer` gave the request (in its log span and its response header).
    let request_id = extensions.get::<RequestId>().cloned().unwrap_or_else(|| RequestId(Uuid::new_v4().to_string()));
    let body = match read_body(&headers, body, state.limits.max_body_bytes, state.limits.read_timeout()).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal,
    };
    run(&state, &extensions, &headers, body, request_id).await
}

async fn run(state: &AppState, extensions: &Extensions, headers: &HeaderMap, body: Bytes, id: RequestId) -> Response {
    let limits = &state.limits;
    if !is_json(headers) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql needs `Content-Type: application/json`",
            "BAD_USER_INPUT",
        );
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a GraphQL request: {e}"),
                "BAD_USER_INPUT",
            );
        }
    };
    if let BatchRequest::Batch(items) = &batch {
        if limits.max_batch == 0 {
            return refuse(
                StatusCode::BAD_REQUEST,
                "batched requests are turned off; send one operation per request",
                "BAD_USER_INPUT",
            );
        }
        if items.len() > limits.max_batch {
            let message = format!("the batch has {} operations; the limit is {}", items.len(), limits.max_batch);
            return refuse(StatusCode::BAD_REQUEST, &message, "QUERY_TOO_COMPLEX");
        }
    }

    let viewer = match admit(state, extensions, headers).await {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };

    let window = Duration::from_millis(limits.batch_window_ms);
    let batch = match batch {
        BatchRequest::Single(r) => BatchRequest::Single(prepare_request(r, &state.db, &state.reads, viewer, window)),
        BatchRequest::Batch(items) => BatchRequest::Batch(
            items.into_iter().map(|r| prepare_request(r, &state.db, &state.reads, viewer.clone(), window)).collect(),
        ),
    };
    let timeout = Duration::from_secs(limits.request_timeout_secs);
    match tokio::time::timeout(timeout, state.api.execute_batch(batch)).await {
        Ok(mut response) => {
            match &mut response {
                BatchResponse::Single(r) => id.stamp(r),
                BatchResponse::Batch(items) => items.iter_mut().for_each(|r| id.stamp(r)),
            }
            GraphQLResponse::from(response).into_response()
        }
        Err(_) => {
            tracing::warn!(request_id = %id.0, ?timeout, "request timed out");
            let message = format!("the request took longer than {} s and was cancelled", timeout.as_secs());
            refuse(StatusCode::GATEWAY_TIMEOUT, &message, "QUERY_TOO_COMPLEX")
        }
    }
}

/// GraphiQL, where a user can paste a token into the headers pane. Never executes an
/// operation: a GET that carries one is refused, so a link cannot run a mutation.
pub async fn graphiql(RawQuery(query): RawQuery) -> Response {
    let carries_operation = query.as_deref().is_some_and(|q| {
        q.split('&').any(|pair| pair.split('=').next().is_some_and(|k| k == "query" || k == "extensions"))
    });
    if carries_operation {
        return refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "GET /graphql does not execute operations; POST them as application/json",
            "BAD_USER_INPUT",
        );
    }
    Html(GraphiQLSource::build().endpoint("/graphql").title("campaign-performance").finish()).into_response()
}
