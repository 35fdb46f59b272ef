//! Batched look-ups, one file per loader. Each runs one SQL statement per batch of keys
//! (`is_in(keys)`), returns early on an empty key set and fills zero totals for keys that
//! have no rows. Loaders are made per request (`Loaders::new`), so nothing is cached
//! across requests and a later request never sees stale figures.

mod campaign_totals;
mod campaigns_by_id;
mod child_pages;
mod email_campaign_totals;
mod email_campaigns_by_campaign;
mod email_campaigns_by_id;
mod sends_by_id;
mod users_by_id;

pub use campaign_totals::{CampaignTotals, CampaignTotalsLoader};
pub use campaigns_by_id::CampaignByIdLoader;
pub use child_pages::{ChildCountKey, ChildCountsLoader, ChildPageKey, ChildPagesLoader};
pub use email_campaign_totals::EmailCampaignTotalsLoader;
pub use email_campaigns_by_campaign::EmailCampaignsByCampaignLoader;
pub use email_campaigns_by_id::EmailCampaignByIdLoader;
pub use sends_by_id::SendByIdLoader;
pub use users_by_id::UserByIdLoader;

use crate::auth::Scope;
use crate::error::AppError;
use crate::services::conversions::ConversionListing;
use crate::services::orders::OrderListing;
use crate::services::sends::SendListing;
use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;
use std::marker::PhantomData;
use std::sync::Arc;
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
    pub campaign_by_id: DataLoader<CampaignByIdLoader>,
    pub campaign_totals: DataLoader<CampaignTotalsLoader>,
    pub email_campaign_totals: DataLoader<EmailCampaignTotalsLoader>,
    pub email_campaigns_by_campaign: DataLoader<EmailCampaignsByCampaignLoader>,
    pub user_by_id: DataLoader<UserByIdLoader>,
    pub email_campaign_by_id: DataLoader<EmailCampaignByIdLoader>,
    pub send_by_id: DataLoader<SendByIdLoader>,
    pub send_pages: DataLoader<ChildPagesLoader<SendListing>>,
    pub send_counts: DataLoader<ChildCountsLoader<SendListing>>,
    pub conversion_pages: DataLoader<ChildPagesLoader<ConversionListing>>,
    pub conversion_counts: DataLoader<ChildCountsLoader<ConversionListing>>,
    pub order_pages: DataLoader<ChildPagesLoader<OrderListing>>,
    pub order_counts: DataLoader<ChildCountsLoader<OrderListing>>,
}

/// The two loaders of one child listing: its pages and its counts.
pub trait ChildLoaders<L: crate::services::listing::Listing> {
    fn pages(&self) -> &DataLoader<ChildPagesLoader<L>>;
    fn counts(&self) -> &DataLoader<ChildCountsLoader<L>>;
}

macro_rules! child_loaders {
    ($listing:ty, $pages:ident, $counts:ident) => {
        impl ChildLoaders<$listing> for Loaders {
            fn pages(&self) -> &DataLoader<ChildPagesLoader<$listing>> {
                &self.$pages
            }
            fn counts(&self) -> &DataLoader<ChildCountsLoader<$listing>> {
                &self.$counts
            }
        }
    };
}

child_loaders!(SendListing, send_pages, send_counts);
child_loaders!(ConversionListing, conversion_pages, conversion_counts);
child_loaders!(OrderListing, order_pages, order_counts);

/// What every loader needs: the connection and the caller's scope.
#[derive(Clone)]
pub struct LoaderContext {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, scope: Scope) -> Self {
        let cx = LoaderContext { db: db.clone(), scope };
        Loaders {
            campaign_by_id: DataLoader::new(CampaignByIdLoader(cx.clone()), tokio::spawn),
            campaign_totals: DataLoader::new(CampaignTotalsLoader(cx.clone()), tokio::spawn),
            email_campaign_totals: DataLoader::new(EmailCampaignTotalsLoader(cx.clone()), tokio::spawn),
            email_campaigns_by_campaign: DataLoader::new(EmailCampaignsByCampaignLoader(cx.clone()), tokio::spawn),
            user_by_id: DataLoader::new(UserByIdLoader(cx.clone()), tokio::spawn),
            email_campaign_by_id: DataLoader::new(EmailCampaignByIdLoader(cx.clone()), tokio::spawn),
            send_by_id: DataLoader::new(SendByIdLoader(cx.clone()), tokio::spawn),
            send_pages: DataLoader::new(ChildPagesLoader(cx.clone(), PhantomData), tokio::spawn),
            send_counts: DataLoader::new(ChildCountsLoader(cx.clone(), PhantomData), tokio::spawn),
            conversion_pages: DataLoader::new(ChildPagesLoader(cx.clone(), PhantomData), tokio::spawn),
            conversion_counts: DataLoader::new(ChildCountsLoader(cx.clone(), PhantomData), tokio::spawn),
            order_pages: DataLoader::new(ChildPagesLoader(cx.clone(), PhantomData), tokio::spawn),
            order_counts: DataLoader::new(ChildCountsLoader(cx, PhantomData), tokio::spawn),
        }
    }
}
