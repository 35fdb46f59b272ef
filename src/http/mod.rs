//! HTTP routes. Handlers do transport only: read the request, attach per-request data,
//! execute, reply.

mod graphql;
mod health;

use crate::AppState;
use axum::Router;
use axum::routing::get;
use tower_http::trace::TraceLayer;

/// The whole HTTP application, used by `serve` and by the tests.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
