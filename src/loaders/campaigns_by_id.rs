use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::analytics::totals::{self, CampaignTotals};
use crate::services;
use async_graphql::dataloader::Loader;
use entity::campaigns;
use std::collections::HashMap;

/// Campaigns by id, within the caller's scope: one statement per batch.
pub struct CampaignByIdLoader(pub LoaderContext);

impl Loader<CampaignId> for CampaignByIdLoader {
    type Value = campaigns::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[CampaignId]) -> Result<HashMap<CampaignId, Self::Value>, LoadError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = services::campaigns::find_campaigns(&self.0.db, self.0.scope, keys.iter().map(|k| k.0))
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|c| (CampaignId(c.id), c)).collect())
    }
}

/// Campaigns by id with their all-time totals, within the caller's scope: one statement per
/// batch (`totals::campaigns_with_totals`), for a query that asks for both. The batch is
/// shared with the requests of the same scope that ask at the same time (`SharedReads`).
pub struct CampaignWithTotalsLoader(pub LoaderContext);

impl Loader<CampaignId> for CampaignWithTotalsLoader {
    type Value = (campaigns::Model, CampaignTotals);
    type Error = LoadError;

    async fn load(&self, keys: &[CampaignId]) -> Result<HashMap<CampaignId, Self::Value>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let LoaderContext { db, shared, scope } = &self.0;
        let rows = shared
            .campaigns_with_totals
            .load(*scope, &ids, |ids| async move {
                totals::campaigns_with_totals(db, *scope, &ids).await.map_err(load_error)
            })
            .await?;
        Ok(rows.into_iter().map(|(id, found)| (CampaignId(id), found)).collect())
    }
}
