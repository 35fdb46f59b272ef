use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::services::visibility;
use async_graphql::dataloader::Loader;
use entity::email_campaigns;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// The email campaigns of each campaign, in send order: one statement per batch.
pub struct EmailCampaignsByCampaignLoader(pub LoaderContext);

impl Loader<CampaignId> for EmailCampaignsByCampaignLoader {
    type Value = Vec<email_campaigns::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[CampaignId]) -> Result<HashMap<CampaignId, Self::Value>, LoadError> {
        let mut out: HashMap<CampaignId, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        let rows = email_campaigns::Entity::find()
            .filter(visibility::email_campaigns(self.0.scope))
            .filter(email_campaigns::Column::CampaignId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(email_campaigns::Column::SentAt)
            .order_by_asc(email_campaigns::Column::CreatedAt)
            .order_by_asc(email_campaigns::Column::Id)
            .all(&self.0.db)
            .await
            .map_err(load_error)?;
        for row in rows {
            if let Some(campaign_id) = row.campaign_id {
                out.entry(CampaignId(campaign_id)).or_default().push(row);
            }
        }
        Ok(out)
    }
}
