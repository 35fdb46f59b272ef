//! GraphiQL, served by the binary itself: the page and its assets are compiled in (versions
//! pinned in `assets/graphiql/VERSIONS.md`), so it works with no network beyond this server.
//! Its fetcher posts to `/graphql`, subscribes over `/graphql/ws`, and its Headers pane starts
//! with where the token goes.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The page (`GET /graphql` without an operation).
pub fn page() -> Response {
    Html(include_str!("../../assets/graphiql/index.html")).into_response()
}

/// The page's assets, by file name, with their content types.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("graphiql.min.css", "text/css; charset=utf-8", include_bytes!("../../assets/graphiql/graphiql.min.css")),
    ("graphiql-page.css", "text/css; charset=utf-8", include_bytes!("../../assets/graphiql/graphiql-page.css")),
    ("react.production.min.js", JS, include_bytes!("../../assets/graphiql/react.production.min.js")),
    ("react-dom.production.min.js", JS, include_bytes!("../../assets/graphiql/react-dom.production.min.js")),
    ("graphql-ws.min.js", JS, include_bytes!("../../assets/graphiql/graphql-ws.min.js")),
    ("graphiql.min.js", JS, include_bytes!("../../assets/graphiql/graphiql.min.js")),
    ("graphiql-init.js", JS, include_bytes!("../../assets/graphiql/graphiql-init.js")),
];

const JS: &str = "text/javascript; charset=utf-8";

/// `GET /graphql/assets/{file}`: one of the page's assets, cacheable for a day.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
            ],
            *bytes,
        )
            .into_response(),
        None => super::refuse(StatusCode::NOT_FOUND, &format!("no asset named {file:?}"), "NOT_FOUND"),
    }
}
