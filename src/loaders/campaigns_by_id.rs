use super::{CampaignId, LoadError, load_error};
use async_graphql::dataloader::Loader;
use entity::campaigns;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Campaigns by id: one statement per batch.
pub struct CampaignByIdLoader {
    pub db: DatabaseConnection,
}

impl Loader<CampaignId> for CampaignByIdLoader {
    type Value = campaigns::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CampaignId],
    ) -> Result<HashMap<CampaignId, Self::Value>, LoadError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = campaigns::Entity::find()
            .filter(campaigns::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|c| (CampaignId(c.id), c)).collect())
    }
}
