use super::{CampaignId, InWindow, LoadError, LoaderContext, by_window, load_error};
use crate::analytics::totals;
use async_graphql::dataloader::Loader;
use entity::Money;
use std::collections::HashMap;
use std::sync::Arc;

/// Per campaign: conversions and revenue per product category (one statement per batch and
/// window).
pub struct CampaignCategoriesLoader(pub LoaderContext);

impl Loader<InWindow<CampaignId>> for CampaignCategoriesLoader {
    type Value = Arc<Vec<(Option<String>, i64, Money)>>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InWindow<CampaignId>],
    ) -> Result<HashMap<InWindow<CampaignId>, Self::Value>, LoadError> {
        let mut out = HashMap::new();
        for (window, ids) in by_window(keys, |k| k.0) {
            let rows =
                totals::categories_by_campaign(&self.0.db, self.0.scope, window, &ids).await.map_err(load_error)?;
            out.extend(rows.into_iter().map(|(id, r)| (InWindow { key: CampaignId(id), window }, Arc::new(r))));
        }
        Ok(out)
    }
}
