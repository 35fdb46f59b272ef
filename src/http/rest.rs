//! `GET /api/campaigns` and `GET /api/campaigns/{id}`: the spec's REST endpoints for the
//! dashboard. They read through the same services, aggregate queries and figure functions as
//! GraphQL (`CampaignPerformance::compute`), so both answer the same figures.

use super::access_log::AccessDetail;
use super::error_response;
use super::gate::{Gate, gate};
use crate::AppState;
use crate::analytics::Window;
use crate::analytics::totals;
use crate::auth::Scope;
use crate::error::{AppError, AppResult};
use crate::graphql::CampaignPerformance;
use crate::graphql::connection::{Paging, page_spec};
use crate::services::campaigns::{CampaignListing, CampaignQuery, CampaignSort, find_campaigns};
use crate::services::listing;
use crate::services::page::Direction;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use entity::campaigns;
use entity::enums::CampaignStatus;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Query string of `GET /api/campaigns`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParams {
    /// Comma-separated statuses: `active,paused`.
    status: Option<String>,
    name_contains: Option<String>,
    first: Option<i32>,
    after: Option<String>,
}

/// One campaign with its figures.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignJson {
    id: Uuid,
    name: String,
    description: Option<String>,
    status: CampaignStatus,
    start_date: Option<DateTime<Utc>>,
    end_date: Option<DateTime<Utc>>,
    budget_allocated: Option<Decimal>,
    budget_spent: Option<Decimal>,
    budget_remaining: Option<Decimal>,
    budget_utilization: Option<f64>,
    performance: CampaignPerformance,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PageInfoJson {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CampaignListJson {
    campaigns: Vec<CampaignJson>,
    page_info: PageInfoJson,
    total_count: u64,
}

/// Campaigns with their figures: one statement per fact table for the whole page.
async fn with_figures(
    db: &DatabaseConnection,
    scope: Scope,
    rows: Vec<campaigns::Model>,
) -> AppResult<Vec<CampaignJson>> {
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let totals = totals::campaign_totals(db, scope, Window::ALL, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let t = totals.get(&c.id).copied().unwrap_or_default();
            let performance =
                CampaignPerformance::compute(&t.email, &t.revenue, crate::services::visibility::spend_for(scope, &c));
            let budget = crate::services::visibility::budget_for(scope, &c);
            CampaignJson {
                id: c.id,
                budget_remaining: budget.remaining,
                budget_utilization: budget.utilization,
                name: c.name,
                description: c.description,
                status: c.status,
                start_date: c.start_date,
                end_date: c.end_date,
                budget_allocated: budget.allocated,
                budget_spent: budget.spent,
                performance,
            }
        })
        .collect())
}

fn parse_statuses(text: Option<&str>) -> AppResult<Vec<CampaignStatus>> {
    let Some(text) = text else { return Ok(Vec::new()) };
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let text = s.trim().to_lowercase();
            <CampaignStatus as sea_orm::ActiveEnum>::try_from_value(&text).map_err(|_| {
                AppError::invalid("status", format!("{text:?} is not one of draft, active, paused, completed"))
            })
        })
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (scope, caller, _in_flight) = match gate(&state, &extensions, &headers).await {
        Gate::Caller(c, in_flight) => (c.scope(), c.user.id, in_flight),
        Gate::Refused(r) => return r,
    };
    let Query(params) = match params.map_err(|e| AppError::InvalidInput(e.body_text())) {
        Ok(params) => params,
        Err(e) => return answer(Err::<(), _>(e), caller),
    };
    let params = &params;
    let read = |db: DatabaseConnection| async move {
        let query = CampaignQuery {
            statuses: parse_statuses(params.status.as_deref())?,
            name_contains: params.name_contains.clone(),
            ..CampaignQuery::default()
        };
        let paging = Paging { first: params.first, after: params.after.clone(), ..Paging::default() };
        let spec = page_spec(CampaignSort::CreatedAt, Direction::Asc, &paging)?;
        let page = listing::page::<CampaignListing>(&db, scope, &query, &spec).await?;
        let total_count = listing::count::<CampaignListing>(&db, scope, &query).await?;
        let end_cursor = crate::graphql::connection::end_cursor::<CampaignListing>(&page, &spec);
        let campaigns = with_figures(&db, scope, page.items).await?;
        Ok::<_, AppError>(CampaignListJson {
            campaigns,
            page_info: PageInfoJson { has_next_page: page.has_next, end_cursor },
            total_count,
        })
    };
    // Reads where a query reads (`loaders::Sources`).
    let sources = &state.sources;
    answer(sources.read(sources.replicas.written_by(Some(caller)), read).await, caller)
}

/// The JSON answer or the error, with the caller for the access log.
fn answer(result: Result<impl serde::Serialize, AppError>, caller: Uuid) -> Response {
    let (mut response, error) = match result {
        Ok(body) => (Json(body).into_response(), None),
        Err(e) => (error_response(&e), Some(e.code().to_owned())),
    };
    response.extensions_mut().insert(AccessDetail { operation: None, kind: None, error, caller: Some(caller) });
    response
}

pub async fn one(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (scope, caller, _in_flight) = match gate(&state, &extensions, &headers).await {
        Gate::Caller(c, in_flight) => (c.scope(), c.user.id, in_flight),
        Gate::Refused(r) => return r,
    };
    let id: Uuid = match id.parse() {
        Ok(id) => id,
        Err(_) => return answer(Err::<(), _>(AppError::invalid("id", format!("{id:?} is not a UUID"))), caller),
    };
    let read = |db: DatabaseConnection| async move {
        let found = find_campaigns(&db, scope, [id]).await?;
        let mut campaigns = with_figures(&db, scope, found).await?;
        campaigns.pop().ok_or_else(|| AppError::NotFound(format!("campaign {id}")))
    };
    let sources = &state.sources;
    answer(sources.read(sources.replicas.written_by(Some(caller)), read).await, caller)
}
