use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::analytics::timeline::{self, Resolution, SlotRow};
use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Per campaign: its events counted per kind and 15-minute slot, hour or day (one statement
/// per batch and resolution).
pub struct CampaignTimelineLoader(pub LoaderContext);

impl Loader<(CampaignId, Resolution)> for CampaignTimelineLoader {
    type Value = Arc<Vec<SlotRow>>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(CampaignId, Resolution)],
    ) -> Result<HashMap<(CampaignId, Resolution), Self::Value>, LoadError> {
        let mut out = HashMap::new();
        for resolution in [Resolution::Quarter, Resolution::Hour, Resolution::Day] {
            let ids: Vec<Uuid> = keys.iter().filter(|k| k.1 == resolution).map(|k| k.0.0).collect();
            if ids.is_empty() {
                continue;
            }
            let rows = timeline::slots(&self.0.db, self.0.scope, resolution, &ids).await.map_err(load_error)?;
            out.extend(rows.into_iter().map(|(id, r)| ((CampaignId(id), resolution), Arc::new(r))));
        }
        Ok(out)
    }
}
