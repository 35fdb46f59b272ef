//! `EmailCampaign` (one email of a campaign) and `EmailSend` (that email to one recipient).

use super::children::{Conversions, OfEmailCampaign, OfSend, Sends};
use super::connection::STATEMENT_COST;
use super::enums::{EmailEventType, SendStatus};
use super::node::{Kind, global_id};
use super::performance::{EmailPerformance, human_if};
use super::user::{PageRetailers, User};
use super::{Campaign, loaders};
use crate::loaders::{CampaignById, EmailCampaignById, EmailTotalsOf, EventsOf, InWindow};
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::email_campaigns;
use entity::{email_events, email_sends};
use uuid::Uuid;

use crate::error::AppError;

/// One email of a campaign: subject, content, sender and send time.
pub struct EmailCampaign(pub email_campaigns::Model);

/// One email of a campaign: subject, content, sender and send time.
#[Object]
impl EmailCampaign {
    /// The object's global id: opaque, unique across types, and what `node(id:)` takes.
    pub async fn node_id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(global_id(Kind::EmailCampaign, self.0.id))
    }
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
    /// Number of recipients: the number of sends of this email (for a retailer, of the
    /// sends to them), counted from the sends themselves (errata E3).
    async fn total_recipients(&self, ctx: &Context<'_>) -> Result<i64> {
        let key = InWindow::new(EmailTotalsOf(self.0.id), crate::analytics::Window::ALL);
        let counts = loaders(ctx)?.load_one(key).await?;
        Ok(counts.unwrap_or_default().counts.sent)
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The campaign this email belongs to.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign> {
        let id = self.0.campaign_id.ok_or_else(|| AppError::NotFound("campaign of this email".into()))?;
        let campaign = loaders(ctx)?.load_one(CampaignById(id)).await?;
        Ok(campaign.map(Campaign).ok_or_else(|| AppError::NotFound(format!("campaign {id}")))?)
    }
    /// `sends` (see `children`).
    #[graphql(flatten)]
    async fn sends_connection(&self) -> Sends<OfEmailCampaign> {
        Sends::of(self.0.id)
    }
    /// Delivery, open and click counts and rates of this email; with `from`/`to`, of the
    /// sends sent in that period.
    #[graphql(complexity = "STATEMENT_COST + child_complexity")]
    async fn performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Count the sends sent from this time on.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Count the sends sent up to this time (inclusive).")] to: Option<DateTime<Utc>>,
        #[graphql(
            desc = "Count only opens by people: emailsOpened and openRate leave out automatic opens by mail clients.",
            default
        )]
        exclude_machine_opens: bool,
    ) -> Result<EmailPerformance> {
        let key = InWindow::new(EmailTotalsOf(self.0.id), super::campaign::window(from, to)?);
        let counts = loaders(ctx)?.load_one(key).await?.unwrap_or_default();
        let email = human_if(counts, exclude_machine_opens);
        Ok(EmailPerformance::compute(&email.counts, email.retailers))
    }
}

/// One email to one recipient: when it was sent, delivered, opened and clicked.
pub struct EmailSend(pub email_sends::Model, pub PageRetailers);

/// One email to one recipient: when it was sent, delivered, opened and clicked.
#[Object]
impl EmailSend {
    /// The object's global id: opaque, unique across types, and what `node(id:)` takes.
    pub async fn node_id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(global_id(Kind::EmailSend, self.0.id))
    }
    /// The send's id (the `send_id` an email provider reports events with).
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The recipient's address.
    async fn recipient_email(&self) -> &str {
        &self.0.recipient_email
    }
    /// The recipient's name.
    async fn recipient_name(&self) -> Option<&str> {
        self.0.recipient_name.as_deref()
    }
    /// When the email was sent.
    async fn sent_at(&self) -> DateTime<Utc> {
        self.0.sent_at
    }
    /// When it was delivered, if it was.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// When it was first opened, if it was.
    async fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.0.opened_at
    }
    /// When it was first clicked, if it was.
    async fn clicked_at(&self) -> Option<DateTime<Utc>> {
        self.0.clicked_at
    }
    /// Delivery state.
    async fn status(&self) -> SendStatus {
        self.0.status.into()
    }
    /// The mail server's reason for a bounce or failure.
    async fn bounce_reason(&self) -> Option<&str> {
        self.0.bounce_reason.as_deref()
    }
    /// When a person first opened it (a click counts; an automatic open by the mail
    /// client, such as Apple Mail Privacy Protection, does not).
    async fn human_opened_at(&self) -> Option<DateTime<Utc>> {
        self.0.human_opened_at
    }
    /// What the email provider reported about this send, in time order (repeats of a
    /// provider's event appear once): the engagement timeline.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<EmailEvent>> {
        let events = loaders(ctx)?.load_one(EventsOf(self.0.id)).await?;
        Ok(events.unwrap_or_default().into_iter().map(EmailEvent).collect())
    }
    /// The email campaign this send belongs to.
    async fn email_campaign(&self, ctx: &Context<'_>) -> Result<EmailCampaign> {
        let id = self.0.email_campaign_id.ok_or_else(|| AppError::NotFound("email campaign of this send".into()))?;
        let found = loaders(ctx)?.load_one(EmailCampaignById(id)).await?;
        Ok(found.map(EmailCampaign).ok_or_else(|| AppError::NotFound(format!("email campaign {id}")))?)
    }
    /// The retailer the email was sent for.
    async fn retailer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        self.1.get(ctx, self.0.retailer_id).await
    }
    /// `conversions` (see `children`).
    #[graphql(flatten)]
    async fn conversions_connection(&self) -> Conversions<OfSend> {
        Conversions::of(self.0.id)
    }
}

/// One event of a send, as its email provider reported it.
pub struct EmailEvent(pub email_events::Model);

/// One event of a send, as its email provider reported it.
#[Object]
impl EmailEvent {
    /// The provider (`sendgrid`, or the `source` of `recordEmailEvents`).
    async fn provider(&self) -> &str {
        &self.0.provider
    }
    /// The provider's id of the event.
    async fn provider_event_id(&self) -> &str {
        &self.0.provider_event_id
    }
    /// What the provider reported: processing, delivery, an open, a click, a bounce, and so on.
    #[graphql(name = "type")]
    async fn kind(&self) -> EmailEventType {
        self.0.event_type.into()
    }
    /// When it happened, by the provider's clock.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// An open made by the mail client itself (Apple Mail Privacy Protection), not a person.
    async fn machine_open(&self) -> bool {
        self.0.machine_open
    }
    /// The bounce reason or the clicked URL.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
    /// When this server received it.
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
}
