use super::{EmailCampaignId, InWindow, LoadError, LoaderContext, by_window, load_error};
use crate::analytics::metrics::EmailFigures;
use crate::analytics::totals::{self, EmailGrouping};
use async_graphql::dataloader::Loader;
use std::collections::HashMap;

/// Email counts (and retailers reached) per email campaign: one statement per batch and window.
pub struct EmailCampaignTotalsLoader(pub LoaderContext);

impl Loader<InWindow<EmailCampaignId>> for EmailCampaignTotalsLoader {
    type Value = EmailFigures;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InWindow<EmailCampaignId>],
    ) -> Result<HashMap<InWindow<EmailCampaignId>, EmailFigures>, LoadError> {
        let mut out = HashMap::new();
        for (window, ids) in by_window(keys, |k| k.0) {
            let counts = totals::email_counts(&self.0.db, self.0.scope, window, EmailGrouping::EmailCampaign, &ids)
                .await
                .map_err(load_error)?;
            out.extend(counts.into_iter().map(|(id, c)| (InWindow { key: EmailCampaignId(id), window }, c)));
        }
        Ok(out)
    }
}
