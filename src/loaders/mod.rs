//! The request's reads of related rows, batched: one scoped loader (`Reader`) per request,
//! with a `Loader<K>` impl per key newtype, one file per area (`campaigns`, `email`, `users`,
//! `pages`). Each impl runs one statement per batch of keys (grouped by window or page where
//! the key says one), returns early on an empty key set, and fills empty or zero values for
//! keys that have no rows; the SQL itself lives in `services` and `analytics`.
//!
//! How the batches form is `batching`'s (generic, documented there): within a request, one
//! batch per key type once the resolvers all wait (`Batched`, `Watched`); across requests,
//! reads that many callers make at once are shared (`SharedReads`, `SharedBatches`), never a
//! read that started before the request asked. A request's loader remembers what it loaded
//! (and what it was fed) for the rest of a query; a mutation's forgets (`forget_between_loads`),
//! and nothing lives beyond its request.

mod campaigns;
mod email;
mod pages;
mod users;

pub use campaigns::{
    CampaignById, CampaignTotalsOf, CampaignWithTotals, CategoriesOf, EmailCampaignsOf, FunnelOf, RetailersOf,
    TimelineKey,
};
pub use email::{EmailCampaignById, EmailTotalsOf, EventsOf, SendById};
pub use pages::{ChildCountKey, ChildPageKey, SharedChildPages, SharedPages};
pub use users::{RetailerTotalsOf, UserById};

use crate::analytics::Window;
use crate::analytics::totals::CampaignTotals;
use crate::auth::Scope;
use crate::batching::{Batched, RequestBatches, SharedBatches, Watched};
use crate::db::replicas::{Lsn, Replicas};
use crate::error::AppError;
use crate::services::campaigns::CampaignListing;
use crate::services::conversions::ConversionListing;
use crate::services::orders::OrderListing;
use crate::services::sends::SendListing;
use crate::services::users::RetailerListing;
use async_graphql::dataloader::HashMapCache;
use entity::{campaigns as campaign, email_campaigns, users as user};
use pages::{ChildPageBatches, PageBatches};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A loader key and the time window its figures count within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InWindow<K> {
    pub key: K,
    pub window: Window,
}

impl<K> InWindow<K> {
    pub fn new(key: K, window: Window) -> Self {
        InWindow { key, window }
    }
}

/// Runs `read` once per window of `keys`, with that window's ids; its values by id are
/// re-keyed with their window.
async fn per_window<K, V, Found, Fut>(
    keys: &[InWindow<K>],
    id: impl Fn(K) -> Uuid,
    key: impl Fn(Uuid) -> K,
    read: impl Fn(Window, Vec<Uuid>) -> Fut,
) -> Result<HashMap<InWindow<K>, V>, AppError>
where
    K: Copy + Eq + std::hash::Hash,
    Found: IntoIterator<Item = (Uuid, V)>,
    Fut: Future<Output = Result<Found, AppError>>,
{
    let mut groups: HashMap<Window, Vec<Uuid>> = HashMap::new();
    for k in keys {
        groups.entry(k.window).or_default().push(id(k.key));
    }
    let mut out = HashMap::new();
    for (window, ids) in groups {
        out.extend(read(window, ids).await?.into_iter().map(|(id, v)| (InWindow { key: key(id), window }, v)));
    }
    Ok(out)
}

/// What every load reads with: the connection, what requests share, and the caller's scope.
#[derive(Clone)]
pub struct Reader {
    pub db: DatabaseConnection,
    pub shared: SharedReads,
    pub scope: Scope,
}

/// The batches that every request on one database shares (`SharedBatches`): one per server,
/// made with its connection pool.
#[derive(Clone, Default)]
pub struct SharedReads {
    /// Campaigns with their all-time totals (`campaign(id) { performance }`), per scope.
    pub campaigns_with_totals: Arc<SharedBatches<Scope, (campaign::Model, CampaignTotals), AppError>>,
    /// Campaigns' totals (a list's `performance`), per scope and window.
    pub campaign_totals: Arc<SharedBatches<(Scope, Window), CampaignTotals, AppError>>,
    /// Pages of `campaigns`, per scope, filter and page (`pages`).
    pub campaign_pages: Arc<PageBatches<CampaignListing>>,
    /// Pages of `retailers`, likewise.
    pub retailer_pages: Arc<PageBatches<RetailerListing>>,
    /// Pages of children (`sends`, `conversions`, `orders` of their parents), per scope,
    /// relation, filter and page (`pages`).
    pub send_pages: Arc<ChildPageBatches<SendListing>>,
    pub conversion_pages: Arc<ChildPageBatches<ConversionListing>>,
    pub order_pages: Arc<ChildPageBatches<OrderListing>>,
    /// Users by id (a page's retailers), per scope.
    pub users: Arc<SharedBatches<Scope, user::Model, AppError>>,
    /// Campaigns' email campaigns, per scope.
    pub email_campaigns_of: Arc<SharedBatches<Scope, Vec<email_campaigns::Model>, AppError>>,
}

/// Where a request reads: a connection, and the batches the requests reading there share.
#[derive(Clone)]
pub struct Source {
    pub db: DatabaseConnection,
    pub shared: SharedReads,
    /// The replica's index (`db::replicas`), or `None`: the primary.
    pub replica: Option<usize>,
}

/// The primary and its replicas (`db::replicas`), each with batches of its own: a read that
/// must see a write never joins a batch running on a replica.
#[derive(Clone)]
pub struct Sources {
    pub replicas: Replicas,
    primary: SharedReads,
    on_replicas: Arc<[SharedReads]>,
}

impl Sources {
    pub fn new(replicas: Replicas) -> Sources {
        let on_replicas = replicas.replicas().iter().map(|_| SharedReads::default()).collect();
        Sources { replicas, primary: SharedReads::default(), on_replicas }
    }

    /// Every read on `db`, the primary.
    pub fn primary_only(db: &DatabaseConnection) -> Sources {
        Sources::new(Replicas::none(db.clone()))
    }

    /// The primary: for mutations and the reads inside them.
    pub fn primary(&self) -> Source {
        Source { db: self.replicas.primary().clone(), shared: self.primary.clone(), replica: None }
    }

    /// Where `caller` reads now: a usable replica that has their last write, else the primary.
    pub fn reading_for(&self, caller: Option<Uuid>) -> Source {
        self.reading_at(self.replicas.written_by(caller))
    }

    /// Where a read that must see position `at_least` goes: a usable replica that has
    /// replayed it, else the primary.
    pub fn reading_at(&self, at_least: Lsn) -> Source {
        match self.replicas.pick(at_least) {
            Some(i) => Source {
                db: self.replicas.replicas()[i].db.clone(),
                shared: self.on_replicas[i].clone(),
                replica: Some(i),
            },
            None => self.primary(),
        }
    }

    /// Runs `read` where a read that must see `at_least` goes; again on the primary when it
    /// ran on a replica that failed and no longer answers.
    pub async fn read<T, Fut>(&self, at_least: Lsn, read: impl Fn(DatabaseConnection) -> Fut) -> Result<T, AppError>
    where
        Fut: Future<Output = Result<T, AppError>>,
    {
        let source = self.reading_at(at_least);
        let result = read(source.db).await;
        match (source.replica, &result) {
            (Some(i), Err(AppError::Database(_))) if !self.replicas.recheck(i).await => {
                read(self.replicas.primary().clone()).await
            }
            _ => result,
        }
    }
}

/// The loads of one request: `Reader`'s batches, remembered for the request.
pub struct Loaders {
    loader: Batched<Reader, HashMapCache>,
    batches: Arc<RequestBatches>,
}

impl std::ops::Deref for Loaders {
    type Target = Batched<Reader, HashMapCache>;

    fn deref(&self) -> &Self::Target {
        &self.loader
    }
}

impl Loaders {
    /// Loads for one request; a batch runs once the request's resolvers all wait, and its
    /// loads have then been quiet for `quiet` (see `batching::Batched`).
    pub fn new(db: &DatabaseConnection, shared: &SharedReads, scope: Scope, quiet: Duration) -> Self {
        let reader = Reader { db: db.clone(), shared: shared.clone(), scope };
        let batches = Arc::new(RequestBatches::default());
        Loaders { loader: Batched::new(reader, HashMapCache::default(), batches.clone(), quiet), batches }
    }

    /// The reads this request shares with others.
    pub fn shared(&self) -> &SharedReads {
        &self.loader.loader().shared
    }

    /// Stops remembering: a request that changes data may change, between two fields, what
    /// a load would have remembered.
    pub fn forget_between_loads(&self) {
        self.loader.forget();
    }

    /// `request`, with this request's batches run in its task (`batching::Watched`).
    pub fn watch<F: Future>(&self, request: F) -> Watched<F> {
        self.batches.watch(request)
    }
}
