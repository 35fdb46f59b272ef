//! `/healthz`: the process is up. `/readyz`: the database answers; with read replicas, each
//! one's state too (the server stays ready while the primary answers: reads skip a replica
//! that is gone or lags).

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let replicas = &state.sources.replicas;
    let (status, mut body) = if crate::db::ready(&state.db).await {
        (StatusCode::OK, json!({ "status": "ready" }))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, json!({ "status": "database unavailable" }))
    };
    if !replicas.is_empty() {
        body["replicas"] = json!(replicas.status());
    }
    (status, Json(body))
}
