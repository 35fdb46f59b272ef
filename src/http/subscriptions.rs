//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket (graphql-transport-ws and the
//! older graphql-ws). The bearer token comes in the upgrade's `Authorization` header or in
//! the `connection_init` payload (`{"Authorization": "Bearer …"}`), as browsers cannot set
//! headers on a WebSocket.

use crate::AppState;
use crate::auth::{self, Viewer};
use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let from_header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| {
        let api = state.api.over_websocket();
        GraphQLWebSocket::new(socket, api, protocol)
            .on_connection_init(move |payload| async move {
                let from_payload = ["Authorization", "authorization"]
                    .iter()
                    .find_map(|k| payload.get(*k).and_then(|v| v.as_str()).map(str::to_owned));
                let authorization = from_header.or(from_payload);
                let viewer = auth::authenticate(&state.db, &state.users, &state.verifier, authorization.as_deref())
                    .await
                    .map_err(|e| async_graphql::Error::new(e.to_string()))?;
                if matches!(viewer, Viewer::Anonymous) {
                    return Err(async_graphql::Error::new("authentication required: send a bearer token"));
                }
                let mut data = Data::default();
                data.insert(viewer);
                Ok(data)
            })
            .serve()
    })
}
