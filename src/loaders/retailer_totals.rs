use super::{InWindow, LoadError, LoaderContext, UserId, by_window, load_error};
use crate::analytics::breakdown::{self, GroupFigures, Of, Rows};
use crate::auth::Scope;
use async_graphql::dataloader::Loader;
use std::collections::HashMap;

/// A retailer's figures summed across every campaign, with the campaigns they have activity in:
/// three statements per batch and window. A retailer's scope reads only their own.
pub struct RetailerTotalsLoader(pub LoaderContext);

impl Loader<InWindow<UserId>> for RetailerTotalsLoader {
    type Value = GroupFigures;
    type Error = LoadError;

    async fn load(&self, keys: &[InWindow<UserId>]) -> Result<HashMap<InWindow<UserId>, Self::Value>, LoadError> {
        let rows = match self.0.scope {
            Scope::All => Rows::All,
            Scope::Retailer(r) => Rows::Retailer(r),
        };
        let mut out = HashMap::new();
        for (window, ids) in by_window(keys, |k| k.0) {
            let by = breakdown::by_retailer(&self.0.db, rows, window, Of::Retailers(&ids)).await.map_err(load_error)?;
            let sums = breakdown::group(breakdown::rows(&by), |retailer| Some(*retailer));
            out.extend(sums.into_iter().map(|(id, v)| (InWindow { key: UserId(id), window }, v)));
        }
        Ok(out)
    }
}
