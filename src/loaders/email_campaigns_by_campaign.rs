use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::services::visibility;
use async_graphql::dataloader::Loader;
use entity::email_campaigns;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// The email campaigns of each campaign, in send order: one statement per batch, shared with
/// the requests of the same scope that ask at the same time (`SharedReads`).
pub struct EmailCampaignsByCampaignLoader(pub LoaderContext);

impl Loader<CampaignId> for EmailCampaignsByCampaignLoader {
    type Value = Vec<email_campaigns::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[CampaignId]) -> Result<HashMap<CampaignId, Self::Value>, LoadError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let LoaderContext { db, shared, scope } = &self.0;
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let mut found = shared
            .email_campaigns_by_campaign
            .load(*scope, &ids, |ids| async move {
                let rows = email_campaigns::Entity::find()
                    .filter(visibility::email_campaigns(*scope))
                    .filter(email_campaigns::Column::CampaignId.is_in(ids))
                    .order_by_asc(email_campaigns::Column::SentAt)
                    .order_by_asc(email_campaigns::Column::CreatedAt)
                    .order_by_asc(email_campaigns::Column::Id)
                    .all(db)
                    .await
                    .map_err(load_error)?;
                let mut out: HashMap<_, Vec<_>> = HashMap::new();
                for row in rows {
                    if let Some(campaign_id) = row.campaign_id {
                        out.entry(campaign_id).or_default().push(row);
                    }
                }
                Ok(out)
            })
            .await?;
        // A campaign with no email campaigns has none, not an unknown list.
        Ok(ids.into_iter().map(|id| (CampaignId(id), found.remove(&id).unwrap_or_default())).collect())
    }
}
