//! Pages: top-level (`campaigns`, `retailers`) and of children (`EmailCampaign.sends`,
//! `Campaign.conversions`, … for a page of parents at once), with the children's
//! `totalCount`s. Keys asking for the same page of the same filtered listing are answered by
//! one statement. Pages are also read together with the requests of the same scope asking for
//! the same page at the same time (`SharedReads`): they wait for the next read and take their
//! answer from it; as with every shared batch, a read is joined only before it starts, so
//! each answer sees every write committed before its request asked.

use super::{Reader, SharedReads};
use crate::auth::Scope;
use crate::batching::SharedBatches;
use crate::error::AppError;
use crate::services::campaigns::CampaignListing;
use crate::services::conversions::ConversionListing;
use crate::services::listing::{self, Listing, ModelOf, PageSpec};
use crate::services::orders::OrderListing;
use crate::services::page::Page;
use crate::services::sends::SendListing;
use crate::services::users::RetailerListing;
use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use uuid::Uuid;

/// Which top-level page: the caller's scope, the filter and the page's spec.
pub type TopPage<L> = (Scope, <L as Listing>::Filter, PageSpec<<L as Listing>::Sort>);

/// The shared reads of one listing's pages: one key (`()`) per group, the page.
pub type PageBatches<L> = SharedBatches<TopPage<L>, Arc<Page<ModelOf<L>>>, AppError, ()>;

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
    ) -> Result<Arc<Page<ModelOf<L>>>, AppError> {
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

/// A page of the children of `parent_id` under the relation `parent`.
pub struct ChildPageKey<L: Listing> {
    pub parent_id: Uuid,
    pub parent: L::Parent,
    pub filter: L::Filter,
    pub spec: PageSpec<L::Sort>,
}

/// The count of the children of `parent_id` under `parent` matching `filter`.
pub struct ChildCountKey<L: Listing> {
    pub parent_id: Uuid,
    pub parent: L::Parent,
    pub filter: L::Filter,
}

// Derives would demand `L: Clone + Eq + Hash`; only the fields need it.
impl<L: Listing> Clone for ChildPageKey<L> {
    fn clone(&self) -> Self {
        ChildPageKey {
            parent_id: self.parent_id,
            parent: self.parent,
            filter: self.filter.clone(),
            spec: self.spec.clone(),
        }
    }
}
impl<L: Listing> PartialEq for ChildPageKey<L> {
    fn eq(&self, o: &Self) -> bool {
        self.parent_id == o.parent_id && self.parent == o.parent && self.filter == o.filter && self.spec == o.spec
    }
}
impl<L: Listing> Eq for ChildPageKey<L> {}
impl<L: Listing> Hash for ChildPageKey<L> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.parent_id, self.parent, &self.filter, &self.spec).hash(h)
    }
}
impl<L: Listing> Clone for ChildCountKey<L> {
    fn clone(&self) -> Self {
        ChildCountKey { parent_id: self.parent_id, parent: self.parent, filter: self.filter.clone() }
    }
}
impl<L: Listing> PartialEq for ChildCountKey<L> {
    fn eq(&self, o: &Self) -> bool {
        self.parent_id == o.parent_id && self.parent == o.parent && self.filter == o.filter
    }
}
impl<L: Listing> Eq for ChildCountKey<L> {}
impl<L: Listing> Hash for ChildCountKey<L> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.parent_id, self.parent, &self.filter).hash(h)
    }
}

/// Keys that one statement answers: the same relation, filter and page.
type PageGroup<L> = (<L as Listing>::Parent, <L as Listing>::Filter, PageSpec<<L as Listing>::Sort>);

/// The pages of children that requests share: per scope, relation, filter and page, by parent.
pub type ChildPageBatches<L> = SharedBatches<(Scope, PageGroup<L>), Arc<Page<ModelOf<L>>>, AppError>;

/// A listing whose pages of children requests share.
pub trait SharedChildPages: Listing {
    fn child_batches(shared: &SharedReads) -> &ChildPageBatches<Self>;
}

impl SharedChildPages for SendListing {
    fn child_batches(shared: &SharedReads) -> &ChildPageBatches<Self> {
        &shared.send_pages
    }
}

impl SharedChildPages for ConversionListing {
    fn child_batches(shared: &SharedReads) -> &ChildPageBatches<Self> {
        &shared.conversion_pages
    }
}

impl SharedChildPages for OrderListing {
    fn child_batches(shared: &SharedReads) -> &ChildPageBatches<Self> {
        &shared.order_pages
    }
}

/// Pages of children: one statement per distinct (relation, filter, page) in the batch.
impl<L: SharedChildPages> Loader<ChildPageKey<L>> for Reader
where
    ModelOf<L>: Clone,
{
    type Value = Arc<Page<ModelOf<L>>>;
    type Error = AppError;

    async fn load(&self, keys: &[ChildPageKey<L>]) -> Result<HashMap<ChildPageKey<L>, Self::Value>, AppError> {
        let mut groups: HashMap<PageGroup<L>, Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry((k.parent, k.filter.clone(), k.spec.clone())).or_default().push(k.parent_id);
        }
        let Reader { db, shared, scope } = self;
        let mut out = HashMap::new();
        for (group, ids) in groups {
            let (parent, filter, spec) = &group;
            let pages = L::child_batches(shared)
                .load((*scope, group.clone()), &ids, |ids| async move {
                    let pages = listing::pages_by_parent::<L>(db, *scope, filter, *parent, &ids, spec).await?;
                    Ok(pages.into_iter().map(|(id, page)| (id, Arc::new(page))).collect())
                })
                .await?;
            for (id, page) in pages {
                let key = ChildPageKey { parent_id: id, parent: *parent, filter: filter.clone(), spec: spec.clone() };
                out.insert(key, page);
            }
        }
        Ok(out)
    }
}

/// Counts of children: one statement per distinct (relation, filter) in the batch.
impl<L: Listing> Loader<ChildCountKey<L>> for Reader {
    type Value = u64;
    type Error = AppError;

    async fn load(&self, keys: &[ChildCountKey<L>]) -> Result<HashMap<ChildCountKey<L>, u64>, AppError> {
        let mut groups: HashMap<(L::Parent, L::Filter), Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry((k.parent, k.filter.clone())).or_default().push(k.parent_id);
        }
        let mut out = HashMap::new();
        for ((parent, filter), ids) in groups {
            let counts = listing::counts_by_parent::<L>(&self.db, self.scope, &filter, parent, &ids).await?;
            for (id, n) in counts {
                out.insert(ChildCountKey { parent_id: id, parent, filter: filter.clone() }, n);
            }
        }
        Ok(out)
    }
}
