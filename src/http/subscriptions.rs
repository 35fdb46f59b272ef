//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket (graphql-transport-ws and the
//! older graphql-ws). The bearer token comes in the upgrade's `Authorization` header or in
//! the `connection_init` payload (`{"Authorization": "Bearer …"}`), as browsers cannot set
//! headers on a WebSocket; from the dashboard's pages, in its session cookie (same site only). The credentials are checked again at every subscription and push,
//! and every few seconds: the socket closes once they lapse (`auth::Session`).

use crate::AppState;
use crate::auth::Session;
use crate::auth::session::CHECK_EVERY;
use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use std::sync::{Arc, OnceLock};

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let from_header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    // A dashboard page's live figures: the session cookie of this site.
    let from_cookie = crate::dashboard::session_for_socket(&headers).map(|t| format!("Bearer {t}"));
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| async move {
        let api = state.api.over_websocket();
        // The session `connection_init` opens, and the connection it holds for its user.
        let opened: Arc<OnceLock<(Session, crate::auth::session::Held)>> = Arc::default();
        let init = opened.clone();
        let serving = GraphQLWebSocket::new(socket, api, protocol)
            .on_connection_init(move |payload| async move {
                let from_payload = ["Authorization", "authorization"]
                    .iter()
                    .find_map(|k| payload.get(*k).and_then(|v| v.as_str()).map(str::to_owned));
                let authorization = from_header.or(from_payload).or(from_cookie);
                let (session, caller, held) = Session::open(
                    authorization,
                    state.db.clone(),
                    state.users.clone(),
                    state.verifier.clone(),
                    state.holdings.clone(),
                )
                .await
                .map_err(|e| async_graphql::Error::new(e.message()))?;
                let mut data = Data::default();
                data.insert(crate::auth::Viewer::User(caller));
                data.insert(session.clone());
                let _ = init.set((session, held));
                Ok(data)
            })
            .serve();
        // The socket closes once its token expires or its user is deactivated.
        let watch = async {
            loop {
                tokio::time::sleep(CHECK_EVERY).await;
                if let Some((session, _)) = opened.get()
                    && session.caller().await.is_err()
                {
                    return;
                }
            }
        };
        tokio::select! {
            () = serving => {}
            () = watch => tracing::debug!("closing a WebSocket whose credentials lapsed"),
        }
    })
}
