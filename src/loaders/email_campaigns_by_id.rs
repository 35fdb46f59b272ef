use super::{EmailCampaignId, LoadError, LoaderContext, load_error};
use crate::services::visibility;
use async_graphql::dataloader::Loader;
use entity::email_campaigns;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Email campaigns by id, within the caller's scope: one statement per batch.
pub struct EmailCampaignByIdLoader(pub LoaderContext);

impl Loader<EmailCampaignId> for EmailCampaignByIdLoader {
    type Value = email_campaigns::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[EmailCampaignId]) -> Result<HashMap<EmailCampaignId, Self::Value>, LoadError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = email_campaigns::Entity::find()
            .filter(visibility::email_campaigns(self.0.scope))
            .filter(email_campaigns::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.0.db)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|e| (EmailCampaignId(e.id), e)).collect())
    }
}
