use super::{CampaignId, InWindow, LoadError, LoaderContext, by_window, load_error};
use crate::analytics::totals;
use async_graphql::dataloader::Loader;
use std::collections::HashMap;

/// Per campaign: sends that led to a conversion, and converting retailers (one pair of
/// statements per batch and window).
pub struct CampaignConversionsLoader(pub LoaderContext);

impl Loader<InWindow<CampaignId>> for CampaignConversionsLoader {
    type Value = (i64, i64);
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InWindow<CampaignId>],
    ) -> Result<HashMap<InWindow<CampaignId>, (i64, i64)>, LoadError> {
        let mut out = HashMap::new();
        for (window, ids) in by_window(keys, |k| k.0) {
            let counts =
                totals::conversions_by_campaign(&self.0.db, self.0.scope, window, &ids).await.map_err(load_error)?;
            out.extend(counts.into_iter().map(|(id, c)| (InWindow { key: CampaignId(id), window }, c)));
        }
        Ok(out)
    }
}
