//! What every API request passes before it runs: the bearer token (401 when it is bad), the
//! caller's rate limit and its requests in flight (429 with `Retry-After`).

use super::rate_limit::{InFlight, RateKey};
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

/// A request that may proceed: its viewer (anonymous included: GraphQL answers it field by
/// field), counted in flight against its caller while this lives.
pub struct Admitted {
    pub viewer: Viewer,
    pub in_flight: InFlight,
}

/// The request's viewer, held in flight, or the response that refuses it.
pub async fn admit(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Result<Admitted, Response> {
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
    if let Some(refused) = over_limit(state, &key) {
        return Err(refused);
    }
    match state.rate_limiter.enter(key) {
        Some(in_flight) => Ok(Admitted { viewer, in_flight }),
        None => {
            let message = format!("too many requests in flight (at most {}); retry in 1 s", state.limits.max_in_flight);
            let mut r = refuse(StatusCode::TOO_MANY_REQUESTS, &message, "RATE_LIMITED");
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
            Err(r)
        }
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

/// The outcome for endpoints that need a caller (REST): the caller, in flight while the
/// guard lives.
pub enum Gate {
    Caller(Caller, InFlight),
    Refused(Response),
}

/// Like `admit`, but an anonymous request is refused with 401.
pub async fn gate(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Gate {
    match admit(state, extensions, headers).await {
        Ok(Admitted { viewer: Viewer::User(c), in_flight }) => Gate::Caller(c, in_flight),
        Ok(Admitted { viewer: Viewer::Anonymous, .. }) => {
            Gate::Refused(unauthenticated("authentication required: send `Authorization: Bearer <token>`"))
        }
        Err(r) => Gate::Refused(r),
    }
}
