//! `POST /graphql` executes; `GET /graphql` executes queries given in its URL (never
//! mutations: 405) and otherwise serves GraphiQL.
//!
//! Before GraphQL runs: the body size (413), the content type (CSRF: only
//! `application/json`), batching (off unless configured), then the gate: the caller's token
//! (401 with `UNAUTHENTICATED`) and rate limit (429 with `Retry-After`). Then the request
//! runs under the request timeout.

use super::access_log::AccessDetail;
use super::gate::{Admitted, admit};
use super::{read_body, refuse};
use crate::AppState;
use crate::graphql::{MUTATION_OVER_GET, QueriesOnly, RequestId, has_internal_error, prepare_request};
use crate::loaders::Source;
use async_graphql::{BatchRequest, BatchResponse, Executor, Variables};
use async_graphql_axum::GraphQLResponse;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
    let body = match read_body(&headers, body, state.limits.max_body_bytes, state.limits.read_timeout()).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal,
    };
    let batch = match decode(&state, &headers, body) {
        Ok(batch) => batch,
        Err(refusal) => return refusal,
    };
    run(&state, &extensions, &headers, batch, false).await
}

/// `GET /graphql`: with `query` (or an Apollo persisted-query hash in `extensions`) in the
/// URL, runs that query as `POST` would, but never a mutation (405, so a link cannot change
/// anything); without, serves GraphiQL.
pub async fn get(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(request) = query.as_deref().and_then(from_url) else {
        return super::graphiql::page();
    };
    let request = match request {
        Ok(request) => request.data(QueriesOnly),
        Err(message) => return refuse(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"),
    };
    run(&state, &extensions, &headers, BatchRequest::Single(request), true).await
}

/// The GraphQL request a URL's query string carries (`query`, `operationName`, `variables`
/// and `extensions`, the last two as JSON), or `None` when it carries none.
fn from_url(query_string: &str) -> Option<Result<async_graphql::Request, String>> {
    let mut request = async_graphql::Request::new("");
    let mut carries = false;
    for (key, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        let json = |what: &str| -> Result<serde_json::Value, String> {
            serde_json::from_str(&value).map_err(|e| format!("`{what}` in the URL is not JSON: {e}"))
        };
        match key.as_ref() {
            "query" => {
                carries = true;
                request.query = value.into_owned();
            }
            "operationName" => request.operation_name = Some(value.into_owned()).filter(|n| !n.is_empty()),
            "variables" => match json("variables") {
                Ok(v) => request.variables = Variables::from_json(v),
                Err(e) => return Some(Err(e)),
            },
            "extensions" => {
                carries = true;
                match json("extensions").and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string())) {
                    Ok(e) => request.extensions = e,
                    Err(e) => return Some(Err(format!("`extensions` in the URL is not an object: {e}"))),
                }
            }
            _ => {}
        }
    }
    carries.then_some(Ok(request))
}

/// A POST body as GraphQL requests, or the refusal.
#[expect(clippy::result_large_err, reason = "the refusal is the response itself, made at most once")]
fn decode(state: &AppState, headers: &HeaderMap, body: Bytes) -> Result<BatchRequest, Response> {
    let limits = &state.limits;
    if !is_json(headers) {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql needs `Content-Type: application/json`",
            "BAD_USER_INPUT",
        ));
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a GraphQL request: {e}"),
                "BAD_USER_INPUT",
            ));
        }
    };
    if let BatchRequest::Batch(items) = &batch {
        if limits.max_batch == 0 {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "batched requests are turned off; send one operation per request",
                "BAD_USER_INPUT",
            ));
        }
        if items.len() > limits.max_batch {
            let message = format!("the batch has {} operations; the limit is {}", items.len(), limits.max_batch);
            return Err(refuse(StatusCode::BAD_REQUEST, &message, "QUERY_TOO_COMPLEX"));
        }
    }
    Ok(batch)
}

/// The request's operation name: `operationName`, else the name of the document's first
/// operation when the document starts with one (`query Name …`), for the log and metrics.
fn operation_name(request: &async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let text = request.query.trim_start();
    let rest = ["query", "mutation", "subscription"].iter().find_map(|k| text.strip_prefix(k))?;
    let rest = rest.strip_prefix(|c: char| c.is_whitespace())?.trim_start();
    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
    (!name.is_empty()).then_some(name)
}

/// Runs decoded requests for the caller the gate admits, under the request timeout; `by_get`
/// answers a refused mutation 405.
async fn run(
    state: &AppState,
    extensions: &Extensions,
    headers: &HeaderMap,
    batch: BatchRequest,
    by_get: bool,
) -> Response {
    let limits = &state.limits;
    // The id `request_id::layer` gave the request (in its log span and its response header).
    let id = extensions.get::<RequestId>().cloned().unwrap_or_else(|| RequestId(Uuid::new_v4().to_string()));
    // Held until the answer is made: the caller's requests in flight.
    let Admitted { viewer, in_flight: _in_flight } = match admit(state, extensions, headers).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };

    let window = Duration::from_millis(limits.batch_window_ms);
    let mut detail = AccessDetail {
        operation: match &batch {
            BatchRequest::Single(r) => operation_name(r),
            BatchRequest::Batch(items) => {
                Some(items.iter().map(|r| operation_name(r).unwrap_or_default()).collect::<Vec<_>>().join(","))
            }
        },
        kind: None,
        error: None,
        caller: viewer.caller().ok().map(|c| c.user.id),
    };
    // A mutation reads and writes on the primary; a query where `Sources` says (a replica
    // that has the caller's own writes, else the primary).
    let writes = match &batch {
        BatchRequest::Single(r) => state.api.writes(r),
        BatchRequest::Batch(items) => items.iter().any(|r| state.api.writes(r)),
    };
    detail.kind = Some(if writes { "mutation" } else { "query" });
    let caller = viewer.caller().ok().map(|c| c.user.id);
    let source = if writes { state.sources.primary() } else { state.sources.reading_for(caller) };
    // Kept to run again on the primary if the replica goes away under the request.
    let again = source.replica.map(|_| copy(&batch, by_get));
    let prepare = |batch: BatchRequest, source: &Source| match batch {
        BatchRequest::Single(r) => {
            BatchRequest::Single(prepare_request(r.data(state.tracking.clone()), source, viewer.clone(), window))
        }
        BatchRequest::Batch(items) => BatchRequest::Batch(
            items
                .into_iter()
                .map(|r| prepare_request(r.data(state.tracking.clone()), source, viewer.clone(), window))
                .collect(),
        ),
    };
    let batch = prepare(batch, &source);
    let timeout = Duration::from_secs(limits.request_timeout_secs);
    let answer = async {
        let response = state.api.execute_batch(batch).await;
        if let (Some(replica), Some(again)) = (source.replica, again)
            && match &response {
                BatchResponse::Single(r) => has_internal_error(r),
                BatchResponse::Batch(items) => items.iter().any(has_internal_error),
            }
            && !state.sources.replicas.recheck(replica).await
        {
            return state.api.execute_batch(prepare(again, &state.sources.primary())).await;
        }
        if writes && let Some(caller) = caller {
            state.sources.replicas.remember_write(caller).await;
        }
        response
    };
    match tokio::time::timeout(timeout, answer).await {
        Ok(mut response) => {
            let refused = by_get
                && matches!(&response, BatchResponse::Single(r) if r.errors.iter().any(|e| e.message == MUTATION_OVER_GET));
            match &mut response {
                BatchResponse::Single(r) => id.stamp(r),
                BatchResponse::Batch(items) => items.iter_mut().for_each(|r| id.stamp(r)),
            }
            let first_error = match &response {
                BatchResponse::Single(r) => r.errors.first(),
                BatchResponse::Batch(items) => items.iter().find_map(|r| r.errors.first()),
            };
            detail.error = first_error.map(|e| {
                let code = e.extensions.as_ref().and_then(|x| x.get("code"));
                match code {
                    Some(async_graphql::Value::String(code)) => code.clone(),
                    _ => "ERROR".to_owned(),
                }
            });
            let mut response = GraphQLResponse::from(response).into_response();
            response.extensions_mut().insert(detail);
            if refused {
                *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            response
        }
        Err(_) => {
            // The contract's codes have no TIMEOUT: the code stays QUERY_TOO_COMPLEX, the
            // reason and the request id say what happened; 503 asks the client to come back.
            tracing::warn!(request_id = %id.0, ?timeout, "request timed out");
            let message =
                format!("the request took longer than {} s and was cancelled (request id {})", timeout.as_secs(), id.0);
            let mut body = super::error_body(&message, "QUERY_TOO_COMPLEX");
            body["errors"][0]["extensions"]["reason"] = "TIMEOUT".into();
            body["errors"][0]["extensions"]["requestId"] = id.0.clone().into();
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

/// The requests as the client sent them, to run again.
fn copy(batch: &BatchRequest, by_get: bool) -> BatchRequest {
    let one = |r: &async_graphql::Request| {
        let mut copy = async_graphql::Request::new(r.query.clone()).variables(r.variables.clone());
        copy.operation_name = r.operation_name.clone();
        copy.extensions = r.extensions.clone();
        if by_get { copy.data(QueriesOnly) } else { copy }
    };
    match batch {
        BatchRequest::Single(r) => BatchRequest::Single(one(r)),
        BatchRequest::Batch(items) => BatchRequest::Batch(items.iter().map(one).collect()),
    }
}
