//! Batched look-ups, one file per loader. Each runs one SQL statement per batch of keys
//! (`is_in(keys)`), returns early on an empty key set and fills zero totals for keys that
//! have no rows. Loaders are made per request (`Loaders::new`), so nothing is cached
//! across requests and a later request never sees stale figures (two remember what they
//! loaded within a query, none within a mutation); their batches run in the request's task
//! once its resolvers all wait (`Batched`), so a request makes one batch per loader and level.
//! Campaigns' figures, pages (top-level and of children), users by id and campaigns' email
//! campaigns also share their statements with the requests of the same scope that ask for the
//! same at the same time (`SharedReads`, `shared_batches`, `shared_pages`), never a read that
//! started before the request asked.

mod campaign_categories;
mod campaign_conversions;
mod campaign_timeline;
mod campaign_totals;
mod campaigns_by_id;
mod child_pages;
mod email_campaign_totals;
mod email_campaigns_by_campaign;
mod email_campaigns_by_id;
mod events_by_send;
mod request_batches;
mod retailer_breakdown;
mod retailer_totals;
mod sends_by_id;
mod shared_batches;
mod shared_pages;
mod users_by_id;

pub use crate::analytics::totals::CampaignTotals;
pub use campaign_categories::CampaignCategoriesLoader;
pub use campaign_conversions::CampaignConversionsLoader;
pub use campaign_timeline::{CampaignTimelineLoader, TimelineKey};
pub use campaign_totals::CampaignTotalsLoader;
pub use campaigns_by_id::{CampaignByIdLoader, CampaignWithTotalsLoader};
pub use child_pages::{
    ChildCountKey, ChildCountsLoader, ChildPageBatches, ChildPageKey, ChildPagesLoader, SharedChildPages,
};
pub use email_campaign_totals::EmailCampaignTotalsLoader;
pub use email_campaigns_by_campaign::EmailCampaignsByCampaignLoader;
pub use email_campaigns_by_id::EmailCampaignByIdLoader;
pub use events_by_send::EventsBySendLoader;
pub use request_batches::{RequestBatches, Watched};
pub use retailer_breakdown::{RegionFigures, RetailerBreakdownLoader, sum_by_region};
pub use retailer_totals::RetailerTotalsLoader;
pub use sends_by_id::SendByIdLoader;
pub use shared_batches::SharedBatches;
pub use shared_pages::{PageBatches, SharedPages};
pub use users_by_id::UserByIdLoader;

use crate::analytics::Window;
use crate::auth::Scope;
use crate::error::AppError;
use crate::services::conversions::ConversionListing;
use crate::services::orders::OrderListing;
use crate::services::sends::SendListing;
use async_graphql::dataloader::{CacheFactory, DataLoader, HashMapCache, Loader, NoCache};
use async_graphql::futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::time::Duration;
use uuid::Uuid;

/// A campaign's id, as a loader key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignId(pub Uuid);

/// An email campaign's id, as a loader key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmailCampaignId(pub Uuid);

/// An email send's id, as a loader key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendId(pub Uuid);

/// A loader key and the time window its figures count within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InWindow<K> {
    pub key: K,
    pub window: Window,
}

/// Keys grouped by window: one statement per window serves a group.
fn by_window<K: Copy>(keys: &[InWindow<K>], id: impl Fn(K) -> Uuid) -> HashMap<Window, Vec<Uuid>> {
    let mut groups: HashMap<Window, Vec<Uuid>> = HashMap::new();
    for k in keys {
        groups.entry(k.window).or_default().push(id(k.key));
    }
    groups
}

/// A user's id, as a loader key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub Uuid);

/// The error type of every loader: cheap to clone into each waiting resolver.
pub type LoadError = Arc<AppError>;

fn load_error(err: sea_orm::DbErr) -> LoadError {
    Arc::new(AppError::from(err))
}

/// Every loader of one request.
pub struct Loaders {
    pub campaign_by_id: Lazy<CampaignByIdLoader>,
    /// Remembers the totals it loaded, or was given, for the rest of the request.
    pub campaign_totals: Lazy<CampaignTotalsLoader, HashMapCache>,
    pub campaign_with_totals: Lazy<CampaignWithTotalsLoader>,
    pub email_campaign_totals: Lazy<EmailCampaignTotalsLoader>,
    pub email_campaigns_by_campaign: Lazy<EmailCampaignsByCampaignLoader>,
    /// Remembers the users it loaded for the rest of the request (a user named in several
    /// places of a response is read once).
    pub user_by_id: Lazy<UserByIdLoader, HashMapCache>,
    pub email_campaign_by_id: Lazy<EmailCampaignByIdLoader>,
    pub send_by_id: Lazy<SendByIdLoader>,
    pub events_by_send: Lazy<EventsBySendLoader>,
    pub retailer_breakdown: Lazy<RetailerBreakdownLoader>,
    pub campaign_conversions: Lazy<CampaignConversionsLoader>,
    pub campaign_categories: Lazy<CampaignCategoriesLoader>,
    pub campaign_timeline: Lazy<CampaignTimelineLoader>,
    pub retailer_totals: Lazy<RetailerTotalsLoader>,
    pub send_pages: Lazy<ChildPagesLoader<SendListing>>,
    pub send_counts: Lazy<ChildCountsLoader<SendListing>>,
    pub conversion_pages: Lazy<ChildPagesLoader<ConversionListing>>,
    pub conversion_counts: Lazy<ChildCountsLoader<ConversionListing>>,
    pub order_pages: Lazy<ChildPagesLoader<OrderListing>>,
    pub order_counts: Lazy<ChildCountsLoader<OrderListing>>,
    /// Where and when the request's batches run (see `Batched`).
    pub batches: Arc<RequestBatches>,
    init: Arc<Init>,
}

/// The two loaders of one child listing: its pages and its counts.
pub trait ChildLoaders<L: SharedChildPages> {
    fn pages(&self) -> &Batched<ChildPagesLoader<L>>;
    fn counts(&self) -> &Batched<ChildCountsLoader<L>>;
}

macro_rules! child_loaders {
    ($listing:ty, $pages:ident, $counts:ident) => {
        impl ChildLoaders<$listing> for Loaders {
            fn pages(&self) -> &Batched<ChildPagesLoader<$listing>> {
                &self.$pages
            }
            fn counts(&self) -> &Batched<ChildCountsLoader<$listing>> {
                &self.$counts
            }
        }
    };
}

child_loaders!(SendListing, send_pages, send_counts);
child_loaders!(ConversionListing, conversion_pages, conversion_counts);
child_loaders!(OrderListing, order_pages, order_counts);

/// What every loader needs: the connection, what requests share, and the caller's scope.
#[derive(Clone)]
pub struct LoaderContext {
    pub db: DatabaseConnection,
    pub shared: SharedReads,
    pub scope: Scope,
}

/// The batches that every request on one database shares (`SharedBatches`): one per server,
/// made with its connection pool.
#[derive(Clone, Default)]
pub struct SharedReads {
    /// Campaigns with their all-time totals (`campaign(id) { performance }`), per scope.
    pub campaigns_with_totals: Arc<SharedBatches<Scope, (entity::campaigns::Model, CampaignTotals)>>,
    /// Campaigns' totals (a list's `performance`), per scope and window.
    pub campaign_totals: Arc<SharedBatches<(Scope, Window), CampaignTotals>>,
    /// Pages of `campaigns`, per scope, filter and page (`shared_pages`).
    pub campaign_pages: Arc<PageBatches<crate::services::campaigns::CampaignListing>>,
    /// Pages of `retailers`, likewise.
    pub retailer_pages: Arc<PageBatches<crate::services::users::RetailerListing>>,
    /// Pages of children (`sends`, `conversions`, `orders` of their parents), per scope,
    /// relation, filter and page (`child_pages`).
    pub send_pages: Arc<ChildPageBatches<SendListing>>,
    pub conversion_pages: Arc<ChildPageBatches<ConversionListing>>,
    pub order_pages: Arc<ChildPageBatches<OrderListing>>,
    /// Users by id (a page's retailers), per scope.
    pub users: Arc<SharedBatches<Scope, entity::users::Model>>,
    /// Campaigns' email campaigns, per scope.
    pub email_campaigns_by_campaign: Arc<SharedBatches<Scope, Vec<entity::email_campaigns::Model>>>,
}

impl Loaders {
    /// Loaders for one request; a batch runs once the request's resolvers all wait, and its
    /// loads have then been quiet for `quiet` (see `Batched`).
    pub fn new(db: &DatabaseConnection, shared: &SharedReads, scope: Scope, quiet: Duration) -> Self {
        let cx = LoaderContext { db: db.clone(), shared: shared.clone(), scope };
        let batches = Arc::new(RequestBatches::default());
        let activity = Activity { loads: Arc::new(AtomicU64::new(0)), quiet, batches: batches.clone() };
        let init = Arc::new(Init { cx, activity, forget: AtomicBool::new(false) });
        Loaders {
            campaign_by_id: Lazy::new(init.clone(), CampaignByIdLoader, || NoCache),
            campaign_totals: Lazy::new(init.clone(), CampaignTotalsLoader, HashMapCache::default),
            campaign_with_totals: Lazy::new(init.clone(), CampaignWithTotalsLoader, || NoCache),
            email_campaign_totals: Lazy::new(init.clone(), EmailCampaignTotalsLoader, || NoCache),
            email_campaigns_by_campaign: Lazy::new(init.clone(), EmailCampaignsByCampaignLoader, || NoCache),
            user_by_id: Lazy::new(init.clone(), UserByIdLoader, HashMapCache::default),
            email_campaign_by_id: Lazy::new(init.clone(), EmailCampaignByIdLoader, || NoCache),
            send_by_id: Lazy::new(init.clone(), SendByIdLoader, || NoCache),
            events_by_send: Lazy::new(init.clone(), EventsBySendLoader, || NoCache),
            retailer_breakdown: Lazy::new(init.clone(), RetailerBreakdownLoader, || NoCache),
            campaign_conversions: Lazy::new(init.clone(), CampaignConversionsLoader, || NoCache),
            campaign_categories: Lazy::new(init.clone(), CampaignCategoriesLoader, || NoCache),
            campaign_timeline: Lazy::new(init.clone(), CampaignTimelineLoader, || NoCache),
            retailer_totals: Lazy::new(init.clone(), RetailerTotalsLoader, || NoCache),
            send_pages: Lazy::new(init.clone(), |cx| ChildPagesLoader(cx, PhantomData), || NoCache),
            send_counts: Lazy::new(init.clone(), |cx| ChildCountsLoader(cx, PhantomData), || NoCache),
            conversion_pages: Lazy::new(init.clone(), |cx| ChildPagesLoader(cx, PhantomData), || NoCache),
            conversion_counts: Lazy::new(init.clone(), |cx| ChildCountsLoader(cx, PhantomData), || NoCache),
            order_pages: Lazy::new(init.clone(), |cx| ChildPagesLoader(cx, PhantomData), || NoCache),
            order_counts: Lazy::new(init.clone(), |cx| ChildCountsLoader(cx, PhantomData), || NoCache),
            init,
            batches,
        }
    }

    /// The reads this request shares with others.
    pub fn shared(&self) -> &SharedReads {
        &self.init.cx.shared
    }

    /// Stops the loaders that remember from remembering: a request that changes data may
    /// change, between two fields, what they would remember.
    pub fn forget_between_loads(&self) {
        self.init.forget.store(true, AtomicOrdering::SeqCst);
        self.user_by_id.forget();
        self.campaign_totals.forget();
    }
}

/// What the request's loaders are made from.
struct Init {
    cx: LoaderContext,
    activity: Activity,
    /// Loaders made from now on do not remember (`forget_between_loads`).
    forget: AtomicBool,
}

/// One loader of a request, made the first time the request uses it: a request uses a few of
/// its loaders, and making one (a dataloader with its queue and cache) costs allocations.
pub struct Lazy<T, C = NoCache> {
    made: OnceLock<Batched<T, C>>,
    make: fn(LoaderContext) -> T,
    cache: fn() -> C,
    init: Arc<Init>,
}

impl<T, C> Lazy<T, C> {
    fn new(init: Arc<Init>, make: fn(LoaderContext) -> T, cache: fn() -> C) -> Self {
        Lazy { made: OnceLock::new(), make, cache, init }
    }
}

impl<T: Send + Sync + 'static, C: CacheFactory> Lazy<T, C> {
    /// Stops the loader, if made, from remembering (one made later does not remember either:
    /// `Init::forget`).
    fn forget(&self) {
        if let Some(made) = self.made.get() {
            made.inner.enable_all_cache(false);
        }
    }
}

impl<T: Send + Sync + 'static, C: CacheFactory> std::ops::Deref for Lazy<T, C> {
    type Target = Batched<T, C>;

    fn deref(&self) -> &Batched<T, C> {
        self.made.get_or_init(|| {
            let init = &self.init;
            let made = Batched::with_cache((self.make)(init.cx.clone()), init.activity.clone(), (self.cache)());
            if init.forget.load(AtomicOrdering::SeqCst) {
                made.inner.enable_all_cache(false);
            }
            made
        })
    }
}

/// The loads of one request, and how long they must stay quiet before a batch runs.
#[derive(Clone)]
struct Activity {
    loads: Arc<AtomicU64>,
    quiet: Duration,
    batches: Arc<RequestBatches>,
}

/// A `DataLoader` whose batches wait until the request has stopped asking for keys.
///
/// A plain dataloader spawns its batch to run a fixed delay after the first key: resolving a
/// big page (2,500 sends, each asking for its retailer) can take longer than that, which
/// splits the keys over several batches, and every request waits the delay once per level.
/// Here a batch runs in the request's own task as soon as the request's resolvers all wait
/// (`RequestBatches`, when the request runs `Watched`), so one pass of the resolvers makes one batch
/// per loader, without a timer. A non-zero `quiet` adds a wait on top: the batch then also
/// needs that long without a load.
pub struct Batched<T, C = NoCache> {
    inner: DataLoader<T, C>,
    activity: Arc<AtomicU64>,
}

impl<T: Send + Sync + 'static, C: CacheFactory> Batched<T, C> {
    fn with_cache(loader: T, activity: Activity, cache: C) -> Self {
        let Activity { loads, quiet, batches } = activity;
        let watched = loads.clone();
        let inner = DataLoader::with_cache(
            loader,
            move |batch: BoxFuture<'static, ()>| {
                if quiet.is_zero() {
                    return batches.run(batch);
                }
                let watched = watched.clone();
                batches.run(Box::pin(async move {
                    loop {
                        let seen = watched.load(AtomicOrdering::SeqCst);
                        tokio::time::sleep(quiet).await;
                        if watched.load(AtomicOrdering::SeqCst) == seen {
                            break;
                        }
                    }
                    batch.await
                }))
            },
            cache,
        )
        .delay(Duration::ZERO);
        Batched { inner, activity: loads }
    }

    pub async fn load_one<K>(&self, key: K) -> Result<Option<<T as Loader<K>>::Value>, <T as Loader<K>>::Error>
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        T: Loader<K>,
    {
        self.activity.fetch_add(1, AtomicOrdering::SeqCst);
        self.inner.load_one(key).await
    }

    pub async fn load_many<K>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<std::collections::HashMap<K, <T as Loader<K>>::Value>, <T as Loader<K>>::Error>
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        T: Loader<K>,
    {
        self.activity.fetch_add(1, AtomicOrdering::SeqCst);
        self.inner.load_many(keys).await
    }

    /// Tells the loader the value of `key`, so that loading it takes nothing (a loader that
    /// remembers; others ignore it).
    pub async fn feed<K>(&self, key: K, value: <T as Loader<K>>::Value)
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        T: Loader<K>,
    {
        self.inner.feed_one(key, value).await;
    }
}
