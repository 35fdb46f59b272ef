//! `POST /graphql` executes; `GET /graphql` serves GraphiQL.

use crate::AppState;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::response::Html;

pub async fn execute(State(state): State<AppState>, request: GraphQLRequest) -> GraphQLResponse {
    let request = crate::graphql::prepare_request(request.into_inner(), &state.db);
    state.schema.execute(request).await.into()
}

pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("campaign-performance")
            .finish(),
    )
}
