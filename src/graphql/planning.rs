//! The brand's changes: campaigns, spend, email campaigns and the registration of sends.
//! Brand users and administrators only.

use super::campaign::Campaign;
use super::email::EmailCampaign;
use super::enums::CampaignStatus;
use super::inputs::optional;
use crate::ingest::Changes;
use crate::services::planning::{self, CampaignChanges, NewCampaign, NewEmailCampaign, NewSend};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use uuid::Uuid;

/// A new campaign; it starts as a draft.
#[derive(InputObject)]
pub struct CreateCampaignInput {
    /// Display name.
    pub name: String,
    /// Description and objectives.
    pub description: Option<String>,
    /// When it starts.
    pub start_date: Option<DateTime<Utc>>,
    /// When it ends (not before the start).
    pub end_date: Option<DateTime<Utc>>,
    /// Total budget (exact, 2 decimals at most, not negative).
    pub budget_allocated: Option<Decimal>,
    /// The `utm_campaign` value of its links (letters, digits, `-`, `_`, `.`; unique). Made
    /// from the name when omitted.
    pub utm_code: Option<String>,
}

/// Changes to a campaign; omitted fields stay as they are, null clears a field.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    /// New display name (at most 255 characters; not blank).
    pub name: Option<String>,
    /// New description and objectives; null or blank clears it.
    pub description: MaybeUndefined<String>,
    /// New lifecycle state: draft → active ⇄ paused → completed (`CONFLICT` otherwise).
    pub status: Option<CampaignStatus>,
    /// New start (not after the end); null clears it.
    pub start_date: MaybeUndefined<DateTime<Utc>>,
    /// New end (not before the start); null clears it.
    pub end_date: MaybeUndefined<DateTime<Utc>>,
    /// New allocation; never below what is already spent (`CONFLICT`).
    pub budget_allocated: MaybeUndefined<Decimal>,
    /// New `utm_campaign` value of its links (letters, digits, `-`, `_`, `.`; unique:
    /// `CONFLICT` when another campaign has it).
    pub utm_code: Option<String>,
}

/// A new email of a campaign.
#[derive(InputObject)]
pub struct CreateEmailCampaignInput {
    /// The campaign the email belongs to (`NOT_FOUND` when there is none).
    pub campaign_id: Uuid,
    /// Subject line.
    pub subject: String,
    /// HTML or text content.
    pub content: Option<String>,
    /// From address.
    pub sender_email: String,
    /// From name.
    pub sender_name: Option<String>,
    /// When it was (or will be) sent.
    pub sent_at: Option<DateTime<Utc>>,
}

/// One email to one recipient, to register before the provider reports on it.
#[derive(InputObject)]
pub struct SendInput {
    /// The id to give the send: pass it to the email provider as the `send_id` custom
    /// argument, so its events find the send. A new id when omitted.
    pub id: Option<Uuid>,
    /// The retailer the email is sent for.
    pub retailer_id: Uuid,
    /// The recipient's email address.
    pub recipient_email: String,
    /// The recipient's name; blank counts as none.
    pub recipient_name: Option<String>,
    /// When it was sent; now when omitted.
    pub sent_at: Option<DateTime<Utc>>,
}

/// What `registerSends` did.
#[derive(SimpleObject)]
pub struct RegisterSendsResult {
    /// How many sends were registered now.
    pub registered: i32,
    /// How many were already registered (same id) and left as they were.
    pub duplicates: i32,
    /// The ids of all sends of the call, in the order given.
    pub send_ids: Vec<Uuid>,
}

#[derive(Default)]
pub struct PlanningMutation;

async fn announce(ctx: &Context<'_>, campaign: Uuid) {
    ctx.data_unchecked::<Changes>().announce(&BTreeSet::from([campaign])).await;
}

#[Object]
impl PlanningMutation {
    /// Creates a draft campaign, owned by the caller. Brand users and administrators.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new campaign.")] input: CreateCampaignInput,
    ) -> Result<Campaign> {
        let caller = super::caller(ctx)?;
        caller.require_brand()?;
        let new = NewCampaign {
            name: input.name,
            description: input.description,
            start_date: input.start_date,
            end_date: input.end_date,
            budget_allocated: input.budget_allocated,
            utm_code: input.utm_code,
            created_by: caller.user.id,
        };
        Ok(planning::create_campaign(super::db(ctx), new).await.map(Campaign)?)
    }

    /// Changes a campaign. Brand users and administrators.
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign's id.")] id: Uuid,
        #[graphql(desc = "The changes.")] input: UpdateCampaignInput,
    ) -> Result<Campaign> {
        super::caller(ctx)?.require_brand()?;
        let changes = CampaignChanges {
            name: input.name,
            description: optional(input.description),
            status: input.status.map(Into::into),
            start_date: optional(input.start_date),
            end_date: optional(input.end_date),
            budget_allocated: optional(input.budget_allocated),
            utm_code: input.utm_code,
        };
        let updated = planning::update_campaign(super::db(ctx), id, changes).await?;
        announce(ctx, id).await;
        Ok(Campaign(updated))
    }

    /// Adds to what a campaign has spent (a negative amount corrects it). The total stays
    /// between 0 and the allocation (`BAD_USER_INPUT` / `CONFLICT`). With an
    /// `idempotencyKey`, a retry of the same key changes nothing.
    async fn record_spend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign whose spend changes.")] campaign_id: Uuid,
        #[graphql(desc = "The amount spent (exact, 2 decimals at most).")] amount: Decimal,
        #[graphql(desc = "Makes retries safe: the same key for the same campaign is applied once.")]
        idempotency_key: Option<String>,
    ) -> Result<Campaign> {
        super::caller(ctx)?.require_brand()?;
        let updated = planning::record_spend(super::db(ctx), campaign_id, amount, idempotency_key.as_deref()).await?;
        announce(ctx, campaign_id).await;
        Ok(Campaign(updated))
    }

    /// Creates an email of a campaign. Brand users and administrators.
    async fn create_email_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new email.")] input: CreateEmailCampaignInput,
    ) -> Result<EmailCampaign> {
        super::caller(ctx)?.require_brand()?;
        let new = NewEmailCampaign {
            campaign_id: input.campaign_id,
            subject: input.subject,
            content: input.content,
            sender_email: input.sender_email,
            sender_name: input.sender_name,
            sent_at: input.sent_at,
        };
        Ok(planning::create_email_campaign(super::db(ctx), new).await.map(EmailCampaign)?)
    }

    /// Registers up to 10,000 sends of an email campaign, all or none (an error names the
    /// first bad send). Brand users and administrators.
    async fn register_sends(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email campaign the sends are of.")] email_campaign_id: Uuid,
        #[graphql(desc = "The sends to register (at most 10,000).")] sends: Vec<SendInput>,
    ) -> Result<RegisterSendsResult> {
        super::caller(ctx)?.require_brand()?;
        let sends = sends
            .into_iter()
            .map(|s| NewSend {
                id: s.id,
                retailer_id: s.retailer_id,
                recipient_email: s.recipient_email,
                recipient_name: s.recipient_name,
                sent_at: s.sent_at,
            })
            .collect();
        let done = planning::register_sends(super::db(ctx), email_campaign_id, sends).await?;
        // At most MAX_BATCH sends per call, so the counts fit.
        let registered = done.registered as i32;
        let duplicates = (done.ids.len() - done.registered) as i32;
        Ok(RegisterSendsResult { registered, duplicates, send_ids: done.ids })
    }
}
