use super::{CampaignId, InWindow, LoadError, LoaderContext, by_window, load_error};
use crate::analytics::totals::{self, CampaignTotals};
use async_graphql::dataloader::Loader;
use std::collections::HashMap;

/// Email counts and revenue per campaign: one statement per batch and window (sends,
/// conversions and orders each aggregated on its own, errata E1).
pub struct CampaignTotalsLoader(pub LoaderContext);

impl Loader<InWindow<CampaignId>> for CampaignTotalsLoader {
    type Value = CampaignTotals;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InWindow<CampaignId>],
    ) -> Result<HashMap<InWindow<CampaignId>, CampaignTotals>, LoadError> {
        let mut out = HashMap::new();
        for (window, ids) in by_window(keys, |k| k.0) {
            let totals = totals::campaign_totals(&self.0.db, self.0.scope, window, &ids).await.map_err(load_error)?;
            out.extend(totals.into_iter().map(|(id, t)| (InWindow { key: CampaignId(id), window }, t)));
        }
        Ok(out)
    }
}
