use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::analytics::timeline::{self, SlotRow};
use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Per campaign: its events counted per kind and 15-minute slot (one statement per batch).
pub struct CampaignTimelineLoader(pub LoaderContext);

impl Loader<CampaignId> for CampaignTimelineLoader {
    type Value = Arc<Vec<SlotRow>>;
    type Error = LoadError;

    async fn load(&self, keys: &[CampaignId]) -> Result<HashMap<CampaignId, Self::Value>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = timeline::slots(&self.0.db, self.0.scope, &ids).await.map_err(load_error)?;
        Ok(rows.into_iter().map(|(id, r)| (CampaignId(id), Arc::new(r))).collect())
    }
}
