use super::{CampaignId, InWindow, LoadError, LoaderContext, by_window, load_error};
use crate::analytics::totals::{self, CampaignTotals};
use async_graphql::dataloader::Loader;
use std::collections::HashMap;

/// Email counts and revenue per campaign: one statement per batch and window (sends,
/// conversions and orders each aggregated on its own, errata E1), shared with the requests of
/// the same scope that ask for the same window at the same time (`SharedReads`).
pub struct CampaignTotalsLoader(pub LoaderContext);

impl Loader<InWindow<CampaignId>> for CampaignTotalsLoader {
    type Value = CampaignTotals;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InWindow<CampaignId>],
    ) -> Result<HashMap<InWindow<CampaignId>, CampaignTotals>, LoadError> {
        let LoaderContext { db, shared, scope } = &self.0;
        let scope = *scope;
        let mut out = HashMap::new();
        for (window, ids) in by_window(keys, |k| k.0) {
            let totals = shared
                .campaign_totals
                .load((scope, window), &ids, |ids| async move {
                    totals::campaign_totals(db, scope, window, &ids).await.map_err(load_error)
                })
                .await?;
            out.extend(totals.into_iter().map(|(id, t)| (InWindow { key: CampaignId(id), window }, t)));
        }
        Ok(out)
    }
}
