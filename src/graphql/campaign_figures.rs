//! Campaigns ordered and filtered by the figures their cards show (revenue, ROI, ROAS, open
//! and click rates, sends, budget): every campaign the filter and the caller's scope let
//! through is read with its all-time totals (one batch through the totals loader, which the
//! page's own `performance` fields then find remembered), its figures computed as
//! `performance` and the budget fields give them, and filtered by the ranges. Ordered by a
//! figure, they are sorted in memory (missing values last, ties by id) and paged with keyset
//! cursors (figure value and id), so a cursor stays valid when campaigns come or go; ordered
//! by a column, the matching ids go to the SQL listing. Cost: one read of every matching
//! campaign's totals (rollup rows), so these are priced as a page of 100.

use super::connection::{ListConnection, Paging, sorted_connection};
use super::inputs::SortDirection;
use super::{Campaign, CampaignPerformance, db, loaders, scope};
use crate::analytics::Window;
use crate::error::{AppError, db_error};
use crate::loaders::{CampaignTotalsOf, InWindow};
use crate::services::campaigns::{CampaignListing, CampaignQuery};
use crate::services::listing::Listing;
use crate::services::visibility::{budget_for, spend_for};
use async_graphql::{Context, Enum, InputObject, Result};
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

/// A figure of a campaign's card, all-time, as `performance` and the budget fields give it
/// (rates rounded to 2 decimals, ROI to 1).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CampaignFigure {
    /// performance.totalEmailsSent.
    TotalEmailsSent,
    /// performance.totalRetailers.
    TotalRetailers,
    /// performance.deliveryRate.
    DeliveryRate,
    /// performance.openRate.
    OpenRate,
    /// performance.clickRate.
    ClickRate,
    /// performance.totalRevenue.
    TotalRevenue,
    /// performance.roiPercentage.
    RoiPercentage,
    /// performance.roas.
    Roas,
    /// budgetAllocated (missing when none was set, and for retailers, who do not see the
    /// brand's budget).
    BudgetAllocated,
    /// budgetSpent (missing for retailers, who do not see the brand's spend).
    BudgetSpent,
    /// budgetUtilization (missing without an allocated budget, and for retailers).
    BudgetUtilization,
}

/// Campaigns in the order of one of their figures.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct CampaignFigureOrder {
    /// The figure to sort by.
    pub figure: CampaignFigure,
    /// The direction; default: largest first.
    #[graphql(default_with = "SortDirection::Desc")]
    pub direction: SortDirection,
}

/// Campaigns whose figure lies within `min`–`max` (both inclusive, either open).
#[derive(InputObject, Clone, Copy, Debug)]
pub struct CampaignFigureRange {
    /// The figure to bound.
    pub figure: CampaignFigure,
    /// The smallest value let through.
    pub min: Option<f64>,
    /// The largest value let through.
    pub max: Option<f64>,
}

impl CampaignFigureRange {
    fn holds(&self, value: Option<f64>) -> bool {
        value.is_some_and(|v| self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m))
    }
}

/// The campaigns `query` and the caller's scope let through whose figures lie in `ranges`,
/// each with its value of `figure` (when asked) and id.
pub async fn within(
    ctx: &Context<'_>,
    query: &CampaignQuery,
    ranges: &[CampaignFigureRange],
    figure: Option<CampaignFigure>,
) -> Result<Vec<(Option<f64>, Uuid, Campaign)>> {
    if let Some(r) = ranges.iter().find(|r| r.min.zip(r.max).is_some_and(|(lo, hi)| lo > hi)) {
        let message = format!("the range of {:?} has min {:?} above max {:?}", r.figure, r.min, r.max);
        return Err(AppError::invalid("figures", message).into());
    }
    let scope = scope(ctx)?;
    let campaigns = CampaignListing::select(scope, query).all(db(ctx)).await.map_err(db_error)?;
    let keys = campaigns.iter().map(|c| InWindow::new(CampaignTotalsOf(c.id), Window::ALL));
    let totals = loaders(ctx)?.load_many(keys).await?;
    let mut rows = Vec::with_capacity(campaigns.len());
    for campaign in campaigns {
        let key = InWindow::new(CampaignTotalsOf(campaign.id), Window::ALL);
        let totals = totals.get(&key).cloned().unwrap_or_default();
        let performance = CampaignPerformance::compute(&totals.email, &totals.revenue, spend_for(scope, &campaign));
        let budget = budget_for(scope, &campaign);
        let value = |figure: CampaignFigure| -> Option<f64> {
            let e = &performance.email;
            match figure {
                CampaignFigure::TotalEmailsSent => Some(e.total_emails_sent as f64),
                CampaignFigure::TotalRetailers => Some(e.total_retailers as f64),
                CampaignFigure::DeliveryRate => Some(e.delivery_rate),
                CampaignFigure::OpenRate => Some(e.open_rate),
                CampaignFigure::ClickRate => Some(e.click_rate),
                CampaignFigure::TotalRevenue => performance.total_revenue.to_f64(),
                CampaignFigure::RoiPercentage => Some(performance.roi_percentage),
                CampaignFigure::Roas => Some(performance.roas),
                CampaignFigure::BudgetAllocated => budget.allocated.and_then(|d| d.to_f64()),
                CampaignFigure::BudgetSpent => budget.spent.and_then(|d| d.to_f64()),
                CampaignFigure::BudgetUtilization => budget.utilization,
            }
        };
        if ranges.iter().all(|r| r.holds(value(r.figure))) {
            rows.push((figure.and_then(value), campaign.id, Campaign(campaign)));
        }
    }
    Ok(rows)
}

/// The page of `rows` (from `within`) in the order of `order`'s figure.
pub fn ordered(
    rows: Vec<(Option<f64>, Uuid, Campaign)>,
    order: CampaignFigureOrder,
    paging: &Paging,
) -> Result<ListConnection<Campaign>> {
    let ordering = format!("FIGURE_{:?}", order.figure).to_uppercase();
    Ok(sorted_connection(rows, &ordering, order.direction.into(), paging)?)
}
