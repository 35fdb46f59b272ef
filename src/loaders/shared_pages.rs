//! Top-level pages (`campaigns`, `retailers`) that concurrent requests share: requests of the
//! same scope asking for the same page (filter, order, size and cursor) while it is being read
//! wait for the next read and take their answer from it (`SharedBatches`, one key per page).
//! As with every shared batch, a read is joined only before it starts, so each answer sees
//! every write committed before its request asked.

use super::{LoadError, SharedBatches, SharedReads};
use crate::auth::Scope;
use crate::services::campaigns::CampaignListing;
use crate::services::listing::{self, Listing, ModelOf, PageSpec};
use crate::services::page::Page;
use crate::services::users::RetailerListing;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;

/// Which top-level page: the caller's scope, the filter and the page's spec.
pub type TopPage<L> = (Scope, <L as Listing>::Filter, PageSpec<<L as Listing>::Sort>);

/// The shared reads of one listing's pages: one key (`()`) per group, the page.
pub type PageBatches<L> = SharedBatches<TopPage<L>, Arc<Page<ModelOf<L>>>, ()>;

/// A listing whose top-level pages requests share.
pub trait SharedPages: Listing {
    fn batches(shared: &SharedReads) -> &PageBatches<Self>;
}

impl SharedPages for CampaignListing {
    fn batches(shared: &SharedReads) -> &PageBatches<Self> {
        &shared.campaign_pages
    }
}

impl SharedPages for RetailerListing {
    fn batches(shared: &SharedReads) -> &PageBatches<Self> {
        &shared.retailer_pages
    }
}

impl SharedReads {
    /// One page of the rows `scope` may see matching `filter` (`listing::page`), read
    /// together with the requests asking for the same page at the same time.
    pub async fn page<L: SharedPages>(
        &self,
        db: &DatabaseConnection,
        scope: Scope,
        filter: &L::Filter,
        spec: &PageSpec<L::Sort>,
    ) -> Result<Arc<Page<ModelOf<L>>>, LoadError> {
        let group = (scope, filter.clone(), spec.clone());
        let mut found = L::batches(self)
            .load(group, &[()], |_| async {
                let page = listing::page::<L>(db, scope, filter, spec).await?;
                Ok(HashMap::from([((), Arc::new(page))]))
            })
            .await?;
        // Every read of a page group is the one above, which answers its one key.
        Ok(found.remove(&()).expect("a page read answers its key"))
    }
}
