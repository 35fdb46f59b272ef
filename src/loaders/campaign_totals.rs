use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::analytics::totals::{self, EmailGrouping};
use crate::analytics::{EmailCounts, RevenueTotals};
use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use uuid::Uuid;

/// Everything a campaign's performance is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignTotals {
    pub email: EmailCounts,
    pub revenue: RevenueTotals,
}

/// Email counts and revenue per campaign: three statements per batch (sends, conversions,
/// orders), each fact table aggregated on its own (errata E1).
pub struct CampaignTotalsLoader(pub LoaderContext);

impl Loader<CampaignId> for CampaignTotalsLoader {
    type Value = CampaignTotals;
    type Error = LoadError;

    async fn load(&self, keys: &[CampaignId]) -> Result<HashMap<CampaignId, CampaignTotals>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let (email, revenue) = tokio::try_join!(
            totals::email_counts(&self.0.db, self.0.scope, EmailGrouping::Campaign, &ids),
            totals::revenue_by_campaign(&self.0.db, self.0.scope, &ids),
        )
        .map_err(load_error)?;
        Ok(ids
            .iter()
            .map(|id| {
                let totals = CampaignTotals {
                    email: email.get(id).copied().unwrap_or_default(),
                    revenue: revenue.get(id).copied().unwrap_or_default(),
                };
                (CampaignId(*id), totals)
            })
            .collect())
    }
}
