//! Paginated children of many parents at once (`EmailCampaign.sends(first, after)` for a
//! page of email campaigns, …) and their `totalCount`s. Keys asking for the same page of the
//! same filtered listing are answered by one statement; the batch groups keys by that. Pages
//! are also read together with the requests of the same scope asking for the same page of
//! children at the same time (`SharedReads`).

use super::{LoadError, LoaderContext, SharedBatches, SharedReads};
use crate::auth::Scope;
use crate::services::conversions::ConversionListing;
use crate::services::listing::{self, Listing, ModelOf, PageSpec};
use crate::services::orders::OrderListing;
use crate::services::page::Page;
use crate::services::sends::SendListing;
use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use uuid::Uuid;

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
pub type ChildPageBatches<L> = SharedBatches<(Scope, PageGroup<L>), Arc<Page<ModelOf<L>>>>;

/// A listing whose pages of children requests share.
pub trait SharedChildPages: Listing {
    fn child_batches(shared: &SharedReads) -> &ChildPageBatches<Self>;
}

macro_rules! shared_child_pages {
    ($listing:ty, $field:ident) => {
        impl SharedChildPages for $listing {
            fn child_batches(shared: &SharedReads) -> &ChildPageBatches<Self> {
                &shared.$field
            }
        }
    };
}

shared_child_pages!(SendListing, send_pages);
shared_child_pages!(ConversionListing, conversion_pages);
shared_child_pages!(OrderListing, order_pages);

/// Pages of children: one statement per distinct (relation, filter, page) in the batch.
pub struct ChildPagesLoader<L>(pub LoaderContext, pub std::marker::PhantomData<L>);

impl<L: SharedChildPages> Loader<ChildPageKey<L>> for ChildPagesLoader<L>
where
    ModelOf<L>: Clone,
{
    type Value = Arc<Page<ModelOf<L>>>;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildPageKey<L>]) -> Result<HashMap<ChildPageKey<L>, Self::Value>, LoadError> {
        let mut groups: HashMap<PageGroup<L>, Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry((k.parent, k.filter.clone(), k.spec.clone())).or_default().push(k.parent_id);
        }
        let LoaderContext { db, shared, scope } = &self.0;
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
pub struct ChildCountsLoader<L>(pub LoaderContext, pub std::marker::PhantomData<L>);

impl<L: Listing> Loader<ChildCountKey<L>> for ChildCountsLoader<L> {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildCountKey<L>]) -> Result<HashMap<ChildCountKey<L>, u64>, LoadError> {
        let mut groups: HashMap<(L::Parent, L::Filter), Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry((k.parent, k.filter.clone())).or_default().push(k.parent_id);
        }
        let mut out = HashMap::new();
        for ((parent, filter), ids) in groups {
            let counts = listing::counts_by_parent::<L>(&self.0.db, self.0.scope, &filter, parent, &ids)
                .await
                .map_err(Arc::new)?;
            for (id, n) in counts {
                out.insert(ChildCountKey { parent_id: id, parent, filter: filter.clone() }, n);
            }
        }
        Ok(out)
    }
}
