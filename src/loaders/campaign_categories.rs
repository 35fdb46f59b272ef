use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::analytics::totals;
use async_graphql::dataloader::Loader;
use entity::Money;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Per campaign: conversions and revenue per product category (one statement per batch).
pub struct CampaignCategoriesLoader(pub LoaderContext);

impl Loader<CampaignId> for CampaignCategoriesLoader {
    type Value = Arc<Vec<(Option<String>, i64, Money)>>;
    type Error = LoadError;

    async fn load(&self, keys: &[CampaignId]) -> Result<HashMap<CampaignId, Self::Value>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = totals::categories_by_campaign(&self.0.db, self.0.scope, &ids).await.map_err(load_error)?;
        Ok(rows.into_iter().map(|(id, r)| (CampaignId(id), Arc::new(r))).collect())
    }
}
