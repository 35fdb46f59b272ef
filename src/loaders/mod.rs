//! Batched look-ups, one file per loader. Each runs one SQL statement per batch of keys
//! (`is_in(keys)`), returns early on an empty key set and fills zero totals for keys that
//! have no rows. Loaders are made per request (`Loaders::new`), so nothing is cached
//! across requests and a later request never sees stale figures.

mod campaign_totals;
mod campaigns_by_id;
mod email_campaign_totals;
mod email_campaigns_by_campaign;
mod users_by_id;

pub use campaign_totals::{CampaignTotals, CampaignTotalsLoader};
pub use campaigns_by_id::CampaignByIdLoader;
pub use email_campaign_totals::EmailCampaignTotalsLoader;
pub use email_campaigns_by_campaign::EmailCampaignsByCampaignLoader;
pub use users_by_id::UserByIdLoader;

use crate::auth::Scope;
use crate::error::AppError;
use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use uuid::Uuid;

/// A campaign's id, as a loader key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignId(pub Uuid);

/// An email campaign's id, as a loader key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmailCampaignId(pub Uuid);

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
}

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
            user_by_id: DataLoader::new(UserByIdLoader(cx), tokio::spawn),
        }
    }
}
