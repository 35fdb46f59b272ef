//! What every API request passes before it runs: the bearer token (401 when it is bad) and
//! the caller's rate limit (429 with `Retry-After`).

use super::rate_limit::RateKey;
use super::refuse;
use crate::AppState;
use crate::auth::{self, Caller, Viewer};
use crate::error::AppError;
use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::net::SocketAddr;

fn unauthenticated(message: &str) -> Response {
    let mut r = refuse(StatusCode::UNAUTHORIZED, message, "UNAUTHENTICATED");
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// The viewer of a request that may proceed (anonymous included: GraphQL answers it field by
/// field), or the response that refuses it.
pub async fn admit(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Result<Viewer, Response> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let address = || match extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => RateKey::Address(addr.ip()),
        None => RateKey::Unknown,
    };
    let viewer = match auth::authenticate(&state.db, &state.users, &state.verifier, authorization).await {
        Ok(v) => v,
        Err(AppError::Unauthenticated) => {
            // A refused token counts against its client's address: guessing tokens (or
            // sending bad ones to skip the limit) is rate-limited like anything else.
            if let Some(refused) = over_limit(state, &address()) {
                return Err(refused);
            }
            return Err(unauthenticated("the bearer token is invalid, expired or revoked"));
        }
        Err(e) => return Err(super::error_response(&e)),
    };
    let key = match &viewer {
        Viewer::User(c) => RateKey::User(c.user.id),
        Viewer::Anonymous => address(),
    };
    match over_limit(state, &key) {
        Some(refused) => Err(refused),
        None => Ok(viewer),
    }
}

/// Counts one request of `key` against the rate limit: the 429 (with `Retry-After`) when it
/// is over.
fn over_limit(state: &AppState, key: &RateKey) -> Option<Response> {
    let wait = state.rate_limiter.check(key).err()?;
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let mut r = refuse(StatusCode::TOO_MANY_REQUESTS, &format!("too many requests; retry in {secs} s"), "RATE_LIMITED");
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    Some(r)
}

/// The outcome for endpoints that need a caller (REST).
pub enum Gate {
    Caller(Caller),
    Refused(Response),
}

/// Like `admit`, but an anonymous request is refused with 401.
pub async fn gate(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Gate {
    match admit(state, extensions, headers).await {
        Ok(Viewer::User(c)) => Gate::Caller(c),
        Ok(Viewer::Anonymous) => {
            Gate::Refused(unauthenticated("authentication required: send `Authorization: Bearer <token>`"))
        }
        Err(r) => Gate::Refused(r),
    }
}
