//! GraphiQL, served by the binary itself.

use async_graphql::http::GraphiQLSource;
use axum::response::{Html, IntoResponse, Response};

/// The GraphiQL page.
pub fn page() -> Response {
    Html(GraphiQLSource::build().endpoint("/graphql").title("campaign-performance").finish()).into_response()
}
