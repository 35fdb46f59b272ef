//! Email campaigns, their counts within a window, sends and their event logs.

use super::{InWindow, Reader, per_window};
use crate::analytics::metrics::EmailFigures;
use crate::analytics::totals::{self, EmailGrouping};
use crate::error::AppError;
use crate::services;
use async_graphql::dataloader::Loader;
use entity::{email_campaigns, email_events, email_sends};
use std::collections::HashMap;
use uuid::Uuid;

/// An email campaign by id, within the caller's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmailCampaignById(pub Uuid);

/// An email campaign's counts (and retailers reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmailTotalsOf(pub Uuid);

/// A send by id, within the caller's scope (a retailer's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendById(pub Uuid);

/// A send's event log, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventsOf(pub Uuid);

impl Loader<EmailCampaignById> for Reader {
    type Value = email_campaigns::Model;
    type Error = AppError;

    async fn load(&self, keys: &[EmailCampaignById]) -> Result<HashMap<EmailCampaignById, Self::Value>, AppError> {
        let ids = keys.iter().map(|k| k.0);
        let rows = services::email_campaigns::find_email_campaigns(&self.db, self.scope, ids).await?;
        Ok(rows.into_iter().map(|e| (EmailCampaignById(e.id), e)).collect())
    }
}

impl Loader<InWindow<EmailTotalsOf>> for Reader {
    type Value = EmailFigures;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[InWindow<EmailTotalsOf>],
    ) -> Result<HashMap<InWindow<EmailTotalsOf>, EmailFigures>, AppError> {
        per_window(
            keys,
            |k| k.0,
            EmailTotalsOf,
            |window, ids| async move {
                Ok(totals::email_counts(&self.db, self.scope, window, EmailGrouping::EmailCampaign, &ids).await?)
            },
        )
        .await
    }
}

impl Loader<SendById> for Reader {
    type Value = email_sends::Model;
    type Error = AppError;

    async fn load(&self, keys: &[SendById]) -> Result<HashMap<SendById, Self::Value>, AppError> {
        let rows = services::sends::find_sends(&self.db, self.scope, keys.iter().map(|k| k.0)).await?;
        Ok(rows.into_iter().map(|s| (SendById(s.id), s)).collect())
    }
}

impl Loader<EventsOf> for Reader {
    type Value = Vec<email_events::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[EventsOf]) -> Result<HashMap<EventsOf, Self::Value>, AppError> {
        let sends: Vec<_> = keys.iter().map(|k| k.0).collect();
        let found = services::sends::events_of(&self.db, &sends).await?;
        Ok(found.into_iter().map(|(id, events)| (EventsOf(id), events)).collect())
    }
}
