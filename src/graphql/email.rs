//! `EmailCampaign`: one email of a campaign.

use super::performance::EmailPerformance;
use super::{Campaign, loaders};
use crate::loaders::{CampaignId, EmailCampaignId};
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use entity::email_campaigns;
use uuid::Uuid;

use crate::error::gql;

/// One email of a campaign: subject, content, sender and send time.
pub struct EmailCampaign(pub email_campaigns::Model);

#[Object]
impl EmailCampaign {
    /// The email campaign's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Subject line.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// HTML or text content.
    async fn content(&self) -> Option<&str> {
        self.0.content.as_deref()
    }
    /// From address.
    async fn sender_email(&self) -> &str {
        &self.0.sender_email
    }
    /// From display name.
    async fn sender_name(&self) -> Option<&str> {
        self.0.sender_name.as_deref()
    }
    /// When the email was sent.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    /// Number of recipients: the number of sends of this email.
    async fn total_recipients(&self) -> i32 {
        self.0.total_recipients
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The campaign this email belongs to.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        let Some(id) = self.0.campaign_id else {
            return Ok(None);
        };
        let campaign = loaders(ctx)?.campaign_by_id.load_one(CampaignId(id)).await.map_err(gql)?;
        Ok(campaign.map(Campaign))
    }
    /// Delivery, open and click counts and rates of this email.
    async fn performance(&self, ctx: &Context<'_>) -> Result<EmailPerformance> {
        let counts = loaders(ctx)?
            .email_campaign_totals
            .load_one(EmailCampaignId(self.0.id))
            .await
            .map_err(gql)?
            .unwrap_or_default();
        Ok(EmailPerformance::compute(&counts))
    }
}
