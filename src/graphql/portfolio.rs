//! `portfolioSummary`: figures over every campaign the caller may see that matches a filter.

use super::campaign::Campaign;
use super::enums::{CampaignStatus, Region};
use super::inputs::CampaignFilter;
use super::performance::{EmailPerformance, RevenueFigures};
use super::{db, scope};
use crate::analytics::{Window, portfolio, totals};
use crate::auth::Scope;
use crate::error::{AppError, db_error};
use crate::services::campaigns;
use async_graphql::{Context, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use std::collections::HashMap;

/// How many campaigns have one status.
#[derive(SimpleObject, Clone, Debug)]
pub struct StatusCount {
    /// The status.
    pub status: CampaignStatus,
    /// Campaigns in it.
    pub count: i64,
}

/// One region's part of a portfolio.
#[derive(SimpleObject, Clone, Debug)]
pub struct RegionSummary {
    /// The region.
    pub region: Region,
    /// Campaigns with activity (sends, conversions or orders) of the region's retailers.
    pub campaigns: i64,
    /// The region's retailers with activity.
    pub retailer_count: i64,
    #[graphql(flatten)]
    pub email: EmailPerformance,
    #[graphql(flatten)]
    pub revenue: RevenueFigures,
}

/// Figures over a set of campaigns.
pub struct PortfolioSummary {
    summary: portfolio::Portfolio,
    /// Whether the caller sees the brand's spend (`Scope::sees_spend`).
    sees_spend: bool,
    campaigns: Vec<entity::campaigns::Model>,
    regions: Vec<RegionSummary>,
}

/// Figures over a set of campaigns (those the caller may see that match the filter): counts
/// by status, budgets, revenue, ROI, the best campaigns, and email and revenue per region.
#[Object]
impl PortfolioSummary {
    /// Number of campaigns.
    async fn campaign_count(&self) -> i64 {
        self.summary.campaigns as i64
    }
    /// Campaigns per status (every status listed, zeros included).
    async fn by_status(&self) -> Vec<StatusCount> {
        self.summary.by_status.iter().map(|(s, n)| StatusCount { status: (*s).into(), count: *n as i64 }).collect()
    }
    /// Sum of the budgets allocated; null for retailers (the spend is the brand's).
    async fn total_budget_allocated(&self) -> Option<Decimal> {
        self.sees_spend.then(|| self.summary.budget_allocated.amount())
    }
    /// Sum of the budgets spent; null for retailers (the spend is the brand's).
    async fn total_budget_spent(&self) -> Option<Decimal> {
        self.sees_spend.then(|| self.summary.budget_spent.amount())
    }
    /// Sum of the campaigns' revenue (conversions plus completed orders).
    async fn total_revenue(&self) -> Decimal {
        self.summary.revenue.amount()
    }
    /// Sum of the campaigns' pending orders.
    async fn pending_revenue(&self) -> Decimal {
        self.summary.pending_revenue.amount()
    }
    /// Mean of the campaigns' ROIs, over campaigns with spend, rounded to 1 decimal.
    async fn average_roi(&self) -> f64 {
        self.summary.average_roi
    }
    /// ROI of the whole portfolio: (total revenue − total spent) ÷ total spent × 100, 1 decimal.
    async fn overall_roi(&self) -> f64 {
        self.summary.overall_roi
    }
    /// The campaigns with the best ROI (campaigns with spend only), best first.
    async fn top_campaigns(
        &self,
        #[graphql(desc = "How many; default 5, at most 100.", default = 5)] first: i32,
    ) -> Result<Vec<Campaign>> {
        if !(0..=100).contains(&first) {
            return Err(AppError::invalid("first", "must be between 0 and 100").into());
        }
        let by_id: HashMap<_, _> = self.campaigns.iter().map(|c| (c.id, c)).collect();
        Ok(self
            .summary
            .by_roi
            .iter()
            .take(first as usize)
            .filter_map(|id| by_id.get(id))
            .map(|c| Campaign((*c).clone()))
            .collect())
    }
    /// The same, per region of the retailers (a retailer sees their own region only).
    async fn regions(&self) -> &[RegionSummary] {
        &self.regions
    }
}

/// Per region: campaigns reached, retailers, and their summed figures
/// (`analytics::portfolio::regions`).
async fn regions(
    db: &sea_orm::DatabaseConnection,
    scope: Scope,
    window: Window,
    ids: &[uuid::Uuid],
) -> Result<Vec<RegionSummary>, AppError> {
    Ok(portfolio::regions(db, scope, window, ids)
        .await?
        .into_iter()
        .map(|(region, g)| RegionSummary {
            region: region.into(),
            campaigns: g.campaigns.len() as i64,
            retailer_count: g.retailers.len() as i64,
            email: EmailPerformance::compute(&g.figures.email, g.senders.len() as i64),
            revenue: RevenueFigures::compute(&g.figures),
        })
        .collect())
}

/// What a portfolio summary costs against the complexity limit: it reads every matching
/// campaign's figures (three statements), where most fields read one batched row.
const PORTFOLIO_COST: usize = 1_000;

#[derive(Default)]
pub struct PortfolioQuery;

#[Object]
impl PortfolioQuery {
    /// Totals over every campaign the caller may see that matches `filter`: counts by status,
    /// budgets, revenue, ROI, the best campaigns, and the same per region. A retailer's
    /// revenue and regions count their own rows only.
    #[graphql(complexity = "PORTFOLIO_COST + child_complexity")]
    async fn portfolio_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which campaigns to include.")] filter: Option<CampaignFilter>,
        #[graphql(desc = "Count from this time on (emails by send time, conversions and orders by their dates).")]
        from: Option<chrono::DateTime<chrono::Utc>>,
        #[graphql(desc = "Count up to this time (inclusive).")] to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<PortfolioSummary> {
        let scope = scope(ctx)?;
        let window = super::campaign::window(from, to)?;
        let db = db(ctx);
        let query = filter.unwrap_or_default().to_query()?;
        let campaigns = campaigns::all_matching(db, scope, &query).await.map_err(db_error)?;
        let ids: Vec<uuid::Uuid> = campaigns.iter().map(|c| c.id).collect();
        let revenue = totals::revenue_by_campaign(db, scope, window, &ids).await.map_err(db_error)?;
        let regions = regions(db, scope, window, &ids).await?;
        // ROI needs the spend, which is the brand's: a retailer's portfolio counts none.
        let spend: Vec<_> = campaigns
            .iter()
            .map(|c| entity::campaigns::Model {
                budget_spent: crate::services::visibility::spend_for(scope, c),
                ..c.clone()
            })
            .collect();
        let summary = portfolio::summarize(&spend, &revenue);
        Ok(PortfolioSummary { summary, sees_spend: scope.sees_spend(), campaigns, regions })
    }
}
