use super::{EmailCampaignId, LoadError, load_error};
use crate::analytics::EmailCounts;
use crate::analytics::totals::{self, EmailGrouping};
use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Email counts per email campaign: one statement per batch.
pub struct EmailCampaignTotalsLoader {
    pub db: DatabaseConnection,
}

impl Loader<EmailCampaignId> for EmailCampaignTotalsLoader {
    type Value = EmailCounts;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[EmailCampaignId],
    ) -> Result<HashMap<EmailCampaignId, EmailCounts>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let counts = totals::email_counts(&self.db, EmailGrouping::EmailCampaign, &ids)
            .await
            .map_err(load_error)?;
        Ok(counts
            .into_iter()
            .map(|(id, c)| (EmailCampaignId(id), c))
            .collect())
    }
}
