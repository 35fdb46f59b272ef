use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::analytics::totals;
use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use uuid::Uuid;

/// Per campaign: sends that led to a conversion, and converting retailers (one pair of
/// statements per batch).
pub struct CampaignConversionsLoader(pub LoaderContext);

impl Loader<CampaignId> for CampaignConversionsLoader {
    type Value = (i64, i64);
    type Error = LoadError;

    async fn load(&self, keys: &[CampaignId]) -> Result<HashMap<CampaignId, (i64, i64)>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let counts = totals::conversions_by_campaign(&self.0.db, self.0.scope, &ids).await.map_err(load_error)?;
        Ok(counts.into_iter().map(|(id, c)| (CampaignId(id), c)).collect())
    }
}
