//! `GET /t/o/{token}.gif` and `GET /t/c/{token}`: first-party open and click tracking
//! (`ingest::tracking`). Transport only: check the token (404 when this server did not sign
//! it: nothing recorded, no redirect), record the hit through the email-event apply path,
//! answer the pixel or the redirect. A hit that cannot be recorded (the database is down)
//! still gets its pixel or redirect: the recipient's click must not fail for our sake.
//! `HEAD` requests (link checkers) are answered without recording anything.

use super::refuse;
use crate::AppState;
use crate::ingest::tracking::{self, Hit, Target};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// A transparent 1×1 GIF (43 bytes).
const PIXEL: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn not_a_link() -> Response {
    refuse(StatusCode::NOT_FOUND, "not a tracking link of this server", "NOT_FOUND")
}

/// What `token` names, when tracking is on and this server signed it.
fn target(state: &AppState, token: &str) -> Option<Target> {
    state.tracking.key.as_ref()?.open(token)
}

/// Records the hit; failures are logged, never shown to the recipient.
async fn record(state: &AppState, method: &Method, extensions: &Extensions, headers: &HeaderMap, target: &Target) {
    if method == Method::HEAD {
        return;
    }
    let ip = extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string());
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let hit = Hit { target, at: chrono::Utc::now(), ip: ip.as_deref(), user_agent };
    match state.appliers.email_events.apply(vec![tracking::event(&hit)]).await {
        Ok(report) => state.changes.announce(&report.campaigns).await,
        Err(e) => tracing::warn!(error = ?e, "a tracking hit could not be recorded"),
    }
}

pub async fn open(
    State(state): State<AppState>,
    Path(file): Path<String>,
    method: Method,
    extensions: Extensions,
    headers: HeaderMap,
) -> Response {
    let Some(target @ Target::Open { .. }) = file.strip_suffix(".gif").and_then(|token| target(&state, token)) else {
        return not_a_link();
    };
    record(&state, &method, &extensions, &headers, &target).await;
    let no_cache = HeaderValue::from_static("no-store, no-cache, must-revalidate, private, max-age=0");
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/gif")),
            (header::CACHE_CONTROL, no_cache),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
            (header::EXPIRES, HeaderValue::from_static("0")),
        ],
        PIXEL.as_slice(),
    )
        .into_response()
}

pub async fn click(
    State(state): State<AppState>,
    Path(token): Path<String>,
    method: Method,
    extensions: Extensions,
    headers: HeaderMap,
) -> Response {
    let Some(target @ Target::Click { .. }) = target(&state, &token) else { return not_a_link() };
    let Target::Click { url, .. } = &target else { return not_a_link() };
    let Ok(location) = HeaderValue::from_str(url) else { return not_a_link() };
    record(&state, &method, &extensions, &headers, &target).await;
    (
        StatusCode::FOUND,
        [(header::LOCATION, location), (header::CACHE_CONTROL, HeaderValue::from_static("no-store, private"))],
    )
        .into_response()
}
