//! A person's session: a bearer token (from `campaign-performance token`, or the start-up
//! message) pasted once into the sign-in form and kept in an HttpOnly, SameSite=Strict cookie,
//! which the pages and the live updates read. The API keeps its bearer tokens; the cookie is
//! read by the dashboard's routes only (and the WebSocket, for the live figures).
//!
//! Signing in and out are the only POSTs, and they refuse another site's form (`Origin`);
//! every check of the token is the API's own (`http::gate::admit`: signature, expiry, the
//! user still active, the rate limit).

use super::html;
use crate::AppState;
use crate::auth::Viewer;
use crate::http::gate::{Admitted, admit};
use axum::extract::{Form, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html as markup;
use serde::Deserialize;

/// The session cookie's name.
pub const COOKIE: &str = "cp_session";
/// Where a signed-in person lands.
pub const HOME: &str = "/dashboard/brand-performance/campaigns";
const SIGN_IN: &str = "/dashboard/sign-in";

#[derive(Deserialize)]
pub struct Shown {
    /// Why the form is shown again: `invalid` (refused token) or `expired` (a session ended).
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
pub struct SignIn {
    token: String,
}

/// The session's token, from the request's cookies.
pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The signed-in caller of a page, admitted as the API admits a bearer token; without a
/// session (or with one the API refuses), the way to the sign-in form.
pub async fn caller(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Result<Admitted, Response> {
    let Some(token) = token(headers) else {
        return Err(Redirect::to(SIGN_IN).into_response());
    };
    match admit(state, extensions, &bearer(&token)).await {
        Ok(admitted @ Admitted { viewer: Viewer::User(_), .. }) => Ok(admitted),
        Ok(_) => Err(Redirect::to(SIGN_IN).into_response()),
        Err(refusal) if refusal.status() == StatusCode::UNAUTHORIZED => {
            let mut to_form = Redirect::to(&format!("{SIGN_IN}?reason=expired")).into_response();
            to_form.headers_mut().insert(header::SET_COOKIE, cleared());
            Err(to_form)
        }
        Err(refusal) => Err(refusal),
    }
}

/// `GET /dashboard/sign-in`: the form.
pub async fn form(Query(shown): Query<Shown>) -> Response {
    let note = match shown.reason.as_deref() {
        Some("invalid") => Some("That token was refused: it is invalid, expired or its user is deactivated."),
        Some("expired") => Some("Your session ended (the token expired or was revoked). Sign in again."),
        _ => None,
    };
    html(super::pages::layout(
        "Sign in",
        None,
        markup! {
            section.signin {
                h1 { "Sign in" }
                @if let Some(note) = note { p.note role="alert" { (note) } }
                p { "Paste your access token. " code { "campaign-performance token --email <you>" }
                    " prints one; on the demo database the start-up message lists two." }
                form method="post" action=(SIGN_IN) {
                    label for="token" { "Access token" }
                    textarea #token name="token" rows="4" required autocomplete="off" spellcheck="false" {}
                    button type="submit" { "Sign in" }
                }
                p.small { "The token stays in this browser in a cookie that scripts cannot read, sent to this server only." }
            }
        },
    ))
}

/// `POST /dashboard/sign-in`: keeps a token the API accepts in the session cookie.
pub async fn sign_in(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "sign-in forms are accepted from this site only").into_response();
    }
    let token = form.token.trim().trim_start_matches("Bearer ").trim().to_owned();
    let valid = !token.is_empty()
        && token.len() <= 8 * 1024
        && token.bytes().all(|b| b.is_ascii_graphic())
        && matches!(admit(&state, &extensions, &bearer(&token)).await, Ok(Admitted { viewer: Viewer::User(_), .. }));
    if !valid {
        return Redirect::to(&format!("{SIGN_IN}?reason=invalid")).into_response();
    }
    let secure = state.tracking.public_url.starts_with("https://")
        || headers.get("x-forwarded-proto").is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut response = Redirect::to(HOME).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie_for(&token, false, secure));
    response
}

/// `POST /dashboard/sign-out`: forgets the session.
pub async fn sign_out(headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "sign-out forms are accepted from this site only").into_response();
    }
    let mut response = Redirect::to(SIGN_IN).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cleared());
    response
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
        headers.insert(header::AUTHORIZATION, value);
    }
    headers
}

/// The cookie that ends the session.
fn cleared() -> HeaderValue {
    cookie_for("", true, false)
}

/// The session cookie: HttpOnly (scripts cannot read it), SameSite=Strict (no other site's
/// request carries it), for the whole site (the WebSocket of the live figures included);
/// `Secure` when the site is served over HTTPS. It lasts the browser session; the token's own
/// expiry still ends it.
fn cookie_for(token: &str, clear: bool, secure: bool) -> HeaderValue {
    let mut text = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
    if clear {
        text.push_str("; Max-Age=0");
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("cp_session=; Path=/; Max-Age=0"))
}

/// The session's token for a WebSocket upgrade from one of this site's pages: browsers always
/// send `Origin` on a WebSocket, and one from another site (which could otherwise ride on the
/// cookie) gets nothing.
pub fn for_socket(headers: &HeaderMap) -> Option<String> {
    (headers.contains_key(header::ORIGIN) && same_origin(headers)).then(|| token(headers)).flatten()
}

/// True unless the request says it comes from another site (`Origin` naming another host).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}
