use super::{EmailCampaignId, LoadError, LoaderContext, load_error};
use crate::analytics::EmailCounts;
use crate::analytics::totals::{self, EmailGrouping};
use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use uuid::Uuid;

/// Email counts per email campaign: one statement per batch.
pub struct EmailCampaignTotalsLoader(pub LoaderContext);

impl Loader<EmailCampaignId> for EmailCampaignTotalsLoader {
    type Value = EmailCounts;
    type Error = LoadError;

    async fn load(&self, keys: &[EmailCampaignId]) -> Result<HashMap<EmailCampaignId, EmailCounts>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let counts = totals::email_counts(&self.0.db, self.0.scope, EmailGrouping::EmailCampaign, &ids)
            .await
            .map_err(load_error)?;
        Ok(counts.into_iter().map(|(id, c)| (EmailCampaignId(id), c)).collect())
    }
}
