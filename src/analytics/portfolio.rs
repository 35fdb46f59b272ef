//! Figures over many campaigns: counts by status, budgets, revenue, ROI.

use super::metrics::{self, RevenueTotals};
use entity::Money;
use entity::campaigns;
use entity::enums::CampaignStatus;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;
use uuid::Uuid;

/// Totals over a set of campaigns.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    pub campaigns: usize,
    pub by_status: Vec<(CampaignStatus, usize)>,
    pub budget_allocated: Money,
    pub budget_spent: Money,
    pub revenue: Money,
    pub pending_revenue: Money,
    /// Mean of the campaigns' unrounded ROIs, over campaigns with spend; rounded to 1 decimal.
    pub average_roi: f64,
    /// (total revenue − total spend) ÷ total spend × 100, rounded to 1 decimal.
    pub overall_roi: f64,
    /// Campaign ids by ROI, best first (campaigns with spend only; ties by revenue, then id).
    pub by_roi: Vec<Uuid>,
}

pub fn summarize(campaigns: &[campaigns::Model], revenue: &HashMap<Uuid, RevenueTotals>) -> Portfolio {
    let rev = |id: &Uuid| revenue.get(id).copied().unwrap_or_default();
    let statuses = [CampaignStatus::Draft, CampaignStatus::Active, CampaignStatus::Paused, CampaignStatus::Completed];
    let by_status = statuses.iter().map(|s| (*s, campaigns.iter().filter(|c| c.status == *s).count())).collect();
    let budget_allocated = campaigns.iter().filter_map(|c| c.budget_allocated).sum();
    let budget_spent: Money = campaigns.iter().map(|c| c.budget_spent).sum();
    let total: Money = campaigns.iter().map(|c| rev(&c.id).total()).sum();
    let pending = campaigns.iter().map(|c| rev(&c.id).pending).sum();
    let mut with_roi: Vec<(Decimal, Money, Uuid)> = campaigns
        .iter()
        .filter_map(|c| {
            metrics::roi_exact(rev(&c.id).total(), c.budget_spent).map(|roi| (roi, rev(&c.id).total(), c.id))
        })
        .collect();
    let average_roi = if with_roi.is_empty() {
        0.0
    } else {
        let mean = with_roi.iter().map(|r| r.0).sum::<Decimal>() / Decimal::from(with_roi.len());
        mean.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero).to_f64().unwrap_or(0.0)
    };
    with_roi.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    Portfolio {
        campaigns: campaigns.len(),
        by_status,
        budget_allocated,
        budget_spent,
        revenue: total,
        pending_revenue: pending,
        average_roi,
        overall_roi: metrics::roi_percentage(total, budget_spent),
        by_roi: with_roi.into_iter().map(|r| r.2).collect(),
    }
}

/// Per region of the retailers: the campaigns reached, retailers, senders and their summed
/// figures over `campaigns` (the same sum as a campaign's regions, `breakdown::group`, over
/// every campaign's rows), as `scope` may see them.
pub async fn regions(
    db: &sea_orm::DatabaseConnection,
    scope: crate::auth::Scope,
    window: super::Window,
    campaigns: &[Uuid],
) -> Result<std::collections::BTreeMap<entity::enums::Region, super::breakdown::GroupFigures>, sea_orm::DbErr> {
    use super::breakdown::{self, Of, Rows};
    let by = breakdown::by_retailer(db, Rows::of(scope), window, Of::Campaigns(campaigns)).await?;
    let retailer_ids: std::collections::HashSet<Uuid> = by.values().flat_map(|m| m.keys().copied()).collect();
    let mut region_of: HashMap<Uuid, entity::enums::Region> = HashMap::new();
    if !retailer_ids.is_empty() {
        let found = crate::services::users::find_users(db, crate::auth::Scope::All, retailer_ids).await?;
        region_of.extend(found.into_iter().filter_map(|u| u.region.map(|r| (u.id, r))));
    }
    Ok(breakdown::group(breakdown::rows(&by), |r| region_of.get(r).copied()))
}
