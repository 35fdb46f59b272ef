//! `Campaign`, and the `campaigns` / `campaign(id)` root fields.

use super::connection::{Cursor, TotalCount, connection_cost, page_size};
use super::email::EmailCampaign;
use super::enums::CampaignStatus;
use super::inputs::{CampaignFilter, CampaignOrder};
use super::performance::CampaignPerformance;
use super::user::User;
use super::{db, loaders, scope};
use crate::analytics::metrics;
use crate::error::{AppError, gql};
use crate::loaders::{CampaignId, UserId};
use crate::services::campaigns::{self as service, CampaignCursor, CampaignOrdering};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use entity::campaigns;
use rust_decimal::Decimal;
use uuid::Uuid;

/// A marketing campaign: its budget, lifecycle, emails and performance.
pub struct Campaign(pub campaigns::Model);

#[Object]
impl Campaign {
    /// The campaign's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Description and objectives.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Lifecycle state.
    async fn status(&self) -> CampaignStatus {
        self.0.status.into()
    }
    /// When the campaign starts.
    async fn start_date(&self) -> Option<DateTime<Utc>> {
        self.0.start_date
    }
    /// When the campaign ends.
    async fn end_date(&self) -> Option<DateTime<Utc>> {
        self.0.end_date
    }
    /// Total budget allocated.
    async fn budget_allocated(&self) -> Option<Decimal> {
        self.0.budget_allocated.map(|m| m.amount())
    }
    /// Amount spent so far.
    async fn budget_spent(&self) -> Decimal {
        self.0.budget_spent.amount()
    }
    /// budgetAllocated − budgetSpent (negative when overspent); null without an allocation.
    async fn budget_remaining(&self) -> Option<Decimal> {
        metrics::budget_remaining(self.0.budget_allocated, self.0.budget_spent)
    }
    /// budgetSpent ÷ budgetAllocated × 100, rounded half away from zero to 2 decimals;
    /// null without an allocation, 0 when the allocation is 0.
    async fn budget_utilization(&self) -> Option<f64> {
        metrics::budget_utilization(self.0.budget_allocated, self.0.budget_spent)
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The brand user who created the campaign (null for retailers, who see only themselves).
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.created_by else {
            return Ok(None);
        };
        let user = loaders(ctx)?.user_by_id.load_one(UserId(id)).await.map_err(gql)?;
        Ok(user.map(User))
    }
    /// The campaign's emails, in send order.
    async fn email_campaigns(&self, ctx: &Context<'_>) -> Result<Vec<EmailCampaign>> {
        let rows = loaders(ctx)?
            .email_campaigns_by_campaign
            .load_one(CampaignId(self.0.id))
            .await
            .map_err(gql)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(EmailCampaign).collect())
    }
    /// Email funnel, revenue, ROI, ROAS and tier of the campaign.
    async fn performance(&self, ctx: &Context<'_>) -> Result<CampaignPerformance> {
        let totals =
            loaders(ctx)?.campaign_totals.load_one(CampaignId(self.0.id)).await.map_err(gql)?.unwrap_or_default();
        Ok(CampaignPerformance::compute(&totals.email, &totals.revenue, self.0.budget_spent))
    }
}

/// `campaigns` and `campaign(id)`.
#[derive(Default)]
pub struct CampaignQuery;

/// The name under which a cursor records its ordering.
fn ordering_key(order: &CampaignOrder) -> String {
    format!("{:?}_{:?}", order.field, order.direction).to_uppercase()
}

#[Object]
impl CampaignQuery {
    /// Campaigns, filtered and ordered, as a Relay connection (`first` defaults to 20, at
    /// most 100).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which campaigns to include.")] filter: Option<CampaignFilter>,
        #[graphql(desc = "Sort order; default: by creation time, oldest first.")] order_by: Option<CampaignOrder>,
        #[graphql(desc = "Page size: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
    ) -> Result<Connection<String, Campaign, TotalCount>> {
        let scope = scope(ctx)?;
        let db = db(ctx).clone();
        let query = filter.unwrap_or_default().to_query().map_err(gql)?;
        let order = order_by.unwrap_or_default();
        let ordering: CampaignOrdering = order.into();
        let key = ordering_key(&order);
        let first = page_size(first).map_err(gql)?;
        let cursor = match after.as_deref() {
            Some(text) => {
                let c = Cursor::decode(text, &key).map_err(gql)?;
                Some(CampaignCursor { value: c.value, id: c.id })
            }
            None => None,
        };
        let page = service::list_campaigns(&db, scope, &query, ordering, first, cursor.as_ref()).await.map_err(gql)?;
        let count_query = query.clone();
        let total = TotalCount::new(move || {
            let (db, query) = (db.clone(), count_query.clone());
            async move { service::count_campaigns(&db, scope, &query).await.map_err(AppError::from) }
        });
        let mut connection = Connection::with_additional_fields(cursor.is_some(), page.has_next, total);
        connection.edges.extend(page.items.into_iter().map(|c| {
            let cursor = Cursor { ordering: key.clone(), value: ordering.sort.value_of(&c), id: c.id };
            Edge::new(cursor.encode(), Campaign(c))
        }));
        Ok(connection)
    }

    /// One campaign by id; null when there is none or the caller may not see it.
    async fn campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign's id.")] id: Uuid,
    ) -> Result<Option<Campaign>> {
        let found = loaders(ctx)?.campaign_by_id.load_one(CampaignId(id)).await.map_err(gql)?;
        Ok(found.map(Campaign))
    }
}
