//! Campaigns and their figures: the campaign itself, with or without its totals; its totals,
//! funnel, categories, per-retailer breakdown and timeline within a window; its email
//! campaigns.

use super::{InWindow, Reader, per_window};
use crate::analytics::Window;
use crate::analytics::breakdown::{self, Of, RetailerFigures, Rows};
use crate::analytics::timeline::{self, Resolution, SlotRow};
use crate::analytics::totals::{self, CampaignTotals};
use crate::error::AppError;
use crate::services;
use async_graphql::dataloader::Loader;
use entity::{Money, campaigns, email_campaigns};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// A campaign by id, within the caller's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignById(pub Uuid);

/// A campaign by id with its all-time totals, for a query that asks for both (one statement,
/// `totals::campaigns_with_totals`, shared with the requests of the same scope asking at the
/// same time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignWithTotals(pub Uuid);

/// A campaign's email counts and revenue (sends, conversions and orders each aggregated on
/// their own, errata E1), shared with the requests of the same scope and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignTotalsOf(pub Uuid);

/// A campaign's sends that led to a conversion, and its converting retailers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FunnelOf(pub Uuid);

/// A campaign's conversions and revenue per product category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CategoriesOf(pub Uuid);

/// A campaign's figures per retailer (a retailer's scope reads only their own row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetailersOf(pub Uuid);

/// A campaign's email campaigns, in send order, shared with the requests of the same scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmailCampaignsOf(pub Uuid);

/// A campaign's events inside a window, counted per kind and 15-minute slot, hour or day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimelineKey {
    pub campaign: Uuid,
    pub resolution: Resolution,
    pub window: Window,
}

impl Loader<CampaignById> for Reader {
    type Value = campaigns::Model;
    type Error = AppError;

    async fn load(&self, keys: &[CampaignById]) -> Result<HashMap<CampaignById, Self::Value>, AppError> {
        let rows = services::campaigns::find_campaigns(&self.db, self.scope, keys.iter().map(|k| k.0)).await?;
        Ok(rows.into_iter().map(|c| (CampaignById(c.id), c)).collect())
    }
}

impl Loader<CampaignWithTotals> for Reader {
    type Value = (campaigns::Model, CampaignTotals);
    type Error = AppError;

    async fn load(&self, keys: &[CampaignWithTotals]) -> Result<HashMap<CampaignWithTotals, Self::Value>, AppError> {
        let Reader { db, shared, scope } = self;
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let rows = shared
            .campaigns_with_totals
            .load(*scope, &ids, |ids| async move { Ok(totals::campaigns_with_totals(db, *scope, &ids).await?) })
            .await?;
        Ok(rows.into_iter().map(|(id, found)| (CampaignWithTotals(id), found)).collect())
    }
}

impl Loader<InWindow<CampaignTotalsOf>> for Reader {
    type Value = CampaignTotals;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[InWindow<CampaignTotalsOf>],
    ) -> Result<HashMap<InWindow<CampaignTotalsOf>, CampaignTotals>, AppError> {
        let Reader { db, shared, scope } = self;
        let scope = *scope;
        per_window(
            keys,
            |k| k.0,
            CampaignTotalsOf,
            |window, ids| async move {
                shared
                    .campaign_totals
                    .load((scope, window), &ids, |ids| async move {
                        Ok(totals::campaign_totals(db, scope, window, &ids).await?)
                    })
                    .await
            },
        )
        .await
    }
}

impl Loader<InWindow<FunnelOf>> for Reader {
    type Value = (i64, i64);
    type Error = AppError;

    async fn load(&self, keys: &[InWindow<FunnelOf>]) -> Result<HashMap<InWindow<FunnelOf>, (i64, i64)>, AppError> {
        per_window(
            keys,
            |k| k.0,
            FunnelOf,
            |window, ids| async move { Ok(totals::conversions_by_campaign(&self.db, self.scope, window, &ids).await?) },
        )
        .await
    }
}

impl Loader<InWindow<CategoriesOf>> for Reader {
    type Value = Arc<Vec<(Option<String>, i64, Money)>>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[InWindow<CategoriesOf>],
    ) -> Result<HashMap<InWindow<CategoriesOf>, Self::Value>, AppError> {
        per_window(
            keys,
            |k| k.0,
            CategoriesOf,
            |window, ids| async move {
                let rows = totals::categories_by_campaign(&self.db, self.scope, window, &ids).await?;
                Ok(rows.into_iter().map(|(id, r)| (id, Arc::new(r))))
            },
        )
        .await
    }
}

impl Loader<InWindow<RetailersOf>> for Reader {
    type Value = Arc<HashMap<Uuid, RetailerFigures>>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[InWindow<RetailersOf>],
    ) -> Result<HashMap<InWindow<RetailersOf>, Self::Value>, AppError> {
        let rows = Rows::of(self.scope);
        per_window(
            keys,
            |k| k.0,
            RetailersOf,
            |window, ids| async move {
                let by = breakdown::by_retailer(&self.db, rows, window, Of::Campaigns(&ids)).await?;
                Ok(by.into_iter().map(|(c, m)| (c, Arc::new(m))))
            },
        )
        .await
    }
}

impl Loader<EmailCampaignsOf> for Reader {
    type Value = Vec<email_campaigns::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[EmailCampaignsOf]) -> Result<HashMap<EmailCampaignsOf, Self::Value>, AppError> {
        let Reader { db, shared, scope } = self;
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let mut found = shared
            .email_campaigns_of
            .load(
                *scope,
                &ids,
                |ids| async move { Ok(services::email_campaigns::of_campaigns(db, *scope, ids).await?) },
            )
            .await?;
        // A campaign with no email campaigns has none, not an unknown list.
        Ok(ids.into_iter().map(|id| (EmailCampaignsOf(id), found.remove(&id).unwrap_or_default())).collect())
    }
}

impl Loader<TimelineKey> for Reader {
    type Value = Arc<Vec<SlotRow>>;
    type Error = AppError;

    async fn load(&self, keys: &[TimelineKey]) -> Result<HashMap<TimelineKey, Self::Value>, AppError> {
        let mut groups: HashMap<(Resolution, Window), Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry((k.resolution, k.window)).or_default().push(k.campaign);
        }
        let mut out = HashMap::new();
        for ((resolution, window), ids) in groups {
            let rows = timeline::slots(&self.db, self.scope, resolution, window, &ids).await?;
            out.extend(
                rows.into_iter().map(|(campaign, r)| (TimelineKey { campaign, resolution, window }, Arc::new(r))),
            );
        }
        Ok(out)
    }
}
