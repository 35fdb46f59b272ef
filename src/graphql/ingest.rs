//! Feeding data in from any email provider, CRM or shop: `recordEmailEvents`,
//! `recordConversions`, `recordOrders` (batches in a provider-neutral form, one idempotency
//! key per item), and the quarantine of what could not be applied.

use super::enums::{ConversionType, EmailEventType, OrderStatus, ProductCategory, QuarantineKind};
use crate::error::AppError;
use crate::ingest::conversions::Conversion;
use crate::ingest::orders::Order;
use crate::ingest::send_state::EmailEvent;
use crate::ingest::{self, Appliers, Changes, MAX_BATCH, Outcome, Received, Report, quarantine, sendgrid, shopify};
use crate::services::planning::non_negative;
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::quarantined_items;
use rust_decimal::Decimal;
use uuid::Uuid;

/// What became of one item of a record batch.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Stored; the figures moved.
    Applied,
    /// Already received (same source and key): nothing changed.
    Duplicate,
    /// An older version of an order than the one stored: nothing changed.
    Stale,
    /// Kept in the quarantine (see `reason`) until what it names exists; apply it again with
    /// `reapplyQuarantined`.
    Quarantined,
}

/// One item's outcome.
#[derive(SimpleObject)]
pub struct ItemResult {
    /// The item's position in the batch (from 0).
    pub index: i32,
    /// The item's idempotency key.
    pub key: String,
    /// What became of the item.
    pub outcome: ItemOutcome,
    /// Why it was quarantined.
    pub reason: Option<String>,
}

/// The outcomes of a batch.
#[derive(SimpleObject)]
pub struct RecordResult {
    /// How many items were stored (the figures moved).
    pub applied: i32,
    /// How many were already received (same source and key): nothing changed.
    pub duplicates: i32,
    /// How many were older versions of a stored order: nothing changed.
    pub stale: i32,
    /// How many were kept in the quarantine (see each item's `reason`).
    pub quarantined: i32,
    /// One per item, in the order given.
    pub items: Vec<ItemResult>,
}

impl RecordResult {
    fn from_report(report: &Report, keys: impl Iterator<Item = String>) -> Self {
        let count = |f: fn(&Outcome) -> bool| report.count(f) as i32;
        let items = report
            .outcomes
            .iter()
            .zip(keys)
            .enumerate()
            .map(|(index, (o, key))| {
                let (outcome, reason) = match o {
                    Outcome::Applied => (ItemOutcome::Applied, None),
                    Outcome::Duplicate => (ItemOutcome::Duplicate, None),
                    Outcome::Stale => (ItemOutcome::Stale, None),
                    Outcome::Quarantined(r) => (ItemOutcome::Quarantined, Some(r.clone())),
                };
                ItemResult { index: index as i32, key, outcome, reason }
            })
            .collect();
        RecordResult {
            applied: count(|o| *o == Outcome::Applied),
            duplicates: count(|o| *o == Outcome::Duplicate),
            stale: count(|o| *o == Outcome::Stale),
            quarantined: count(|o| matches!(o, Outcome::Quarantined(_))),
            items,
        }
    }
}

/// An email event from any provider.
#[derive(InputObject)]
pub struct EmailEventInput {
    /// The provider's id of the event: a repeat of it is not applied again.
    pub event_id: String,
    /// The send it is about (the `send_id` given to the provider).
    pub send_id: Uuid,
    /// What the provider reported about the send.
    #[graphql(name = "type")]
    pub kind: EmailEventType,
    /// When it happened, by the provider's clock (a time before 2000 or more than a day ahead
    /// is quarantined).
    pub occurred_at: DateTime<Utc>,
    /// An open made by the mail client itself (Apple Mail Privacy Protection).
    #[graphql(default)]
    pub machine_open: bool,
    /// The bounce reason or the clicked URL.
    pub detail: Option<String>,
}

/// A CRM conversion.
#[derive(InputObject)]
pub struct ConversionInput {
    /// The CRM's id of the conversion: a repeat of it is not stored again.
    pub conversion_id: String,
    /// The campaign credited with the conversion (quarantined while no such campaign exists).
    pub campaign_id: Uuid,
    /// The retailer who converted (quarantined while no such retailer exists).
    pub retailer_id: Uuid,
    /// The email the conversion is attributed to.
    pub email_send_id: Option<Uuid>,
    /// Kind of conversion.
    pub conversion_type: ConversionType,
    /// Its value (exact, 2 decimals at most, not negative).
    pub value: Decimal,
    /// When the conversion happened: its `conversionDate` (a time before 2000 or more than a
    /// day ahead is quarantined).
    pub occurred_at: DateTime<Utc>,
    /// Product category involved, if any.
    pub product_category: Option<ProductCategory>,
}

/// A shop order (a new one, or a new version of one already sent).
#[derive(InputObject)]
pub struct OrderInput {
    /// The shop's id of the order.
    pub order_id: String,
    /// The version: the order as of this time. A later version replaces the stored one;
    /// an earlier or equal one changes nothing.
    pub updated_at: DateTime<Utc>,
    /// The campaign; or give `utmCampaign`.
    pub campaign_id: Option<Uuid>,
    /// The `utm_campaign` of the order's landing page, matched to a campaign's `utmCode`.
    pub utm_campaign: Option<String>,
    /// The retailer; or give `customerEmail`.
    pub retailer_id: Option<Uuid>,
    /// A retailer's email, or the address of a recipient of a campaign email (its retailer).
    pub customer_email: Option<String>,
    /// The order's value (exact, 2 decimals at most, not negative).
    pub value: Decimal,
    /// The order's state as of this version; only completed orders are revenue, pending ones
    /// are reported apart.
    pub status: OrderStatus,
    /// Number of items (not negative); 1 when omitted.
    #[graphql(default = 1)]
    pub product_count: i32,
    /// When the order was placed: its `orderDate` (a time before 2000 or more than a day ahead
    /// is quarantined).
    pub ordered_at: DateTime<Utc>,
    /// Whether the order is attributed to an email of the campaign; false when omitted.
    #[graphql(default)]
    pub attributed_to_email: bool,
}

/// An item that could not be applied.
pub struct QuarantinedItem(pub quarantined_items::Model);

/// An item (email event, conversion or order) that could not be applied, kept with the
/// reason until it is applied again.
#[Object]
impl QuarantinedItem {
    /// The quarantined item's id (what `reapplyQuarantined` takes).
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Where it came from: `sendgrid`, `shopify`, or the `source` of a record mutation.
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// What the item would have become.
    async fn kind(&self) -> QuarantineKind {
        self.0.kind.into()
    }
    /// Its idempotency key at the source.
    async fn key(&self) -> &str {
        &self.0.item_key
    }
    /// Why it could not be applied (the latest attempt's reason).
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// The item as received (JSON text).
    async fn payload(&self) -> &str {
        &self.0.payload
    }
    /// When it was first quarantined.
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
    /// How many times it was received or applied again.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When it was finally applied; null while it waits.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
}

#[derive(Default)]
pub struct IngestQuery;

#[Object]
impl IngestQuery {
    /// Items waiting in the quarantine, newest first. Administrators only.
    async fn quarantined_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list items applied since.", default)] include_resolved: bool,
        #[graphql(desc = "How many, at most 500.", default = 100)] first: i32,
    ) -> Result<Vec<QuarantinedItem>> {
        super::caller(ctx)?.require_admin()?;
        if !(0..=500).contains(&first) {
            return Err(AppError::invalid("first", "must be between 0 and 500").into());
        }
        let items = quarantine::list(super::db(ctx), include_resolved, first as u64).await?;
        Ok(items.into_iter().map(QuarantinedItem).collect())
    }
}

/// A record mutation's `source`: the name of the provider, CRM or shop.
fn source(value: &str) -> Result<String, AppError> {
    // One spelling per source: "Shopify" and "shopify" are the same shop.
    let value = value.trim().to_lowercase();
    let value = value.as_str();
    if value.is_empty() || value.len() > 50 {
        return Err(AppError::invalid("source", "must be 1 to 50 characters"));
    }
    if value == sendgrid::SOURCE || value == shopify::SOURCE {
        return Err(AppError::invalid("source", format!("{value:?} is reserved for its webhook")));
    }
    Ok(value.to_owned())
}

fn batch_size(argument: &str, n: usize) -> Result<(), AppError> {
    if n > MAX_BATCH {
        return Err(AppError::invalid(argument, format!("at most {MAX_BATCH} per call, got {n}")));
    }
    Ok(())
}

fn key(argument: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() || value.len() > ingest::MAX_KEY_LEN {
        return Err(AppError::invalid(argument, format!("must be 1 to {} characters", ingest::MAX_KEY_LEN)));
    }
    Ok(value.to_owned())
}

fn time(argument: &str, t: DateTime<Utc>) -> Result<DateTime<Utc>> {
    ingest::plausible_time(t).map_err(|e| AppError::invalid(argument, e).into())
}

/// The item in its neutral form, as stored in the event log or the quarantine.
fn received<T: serde::Serialize + serde::de::DeserializeOwned>(source: &str, key: String, item: T) -> Received<T> {
    let payload = serde_json::to_string(&item).unwrap_or_default();
    Received::new(source, key, payload, Ok(item))
}

async fn finish(ctx: &Context<'_>, report: Report, keys: Vec<String>) -> RecordResult {
    ctx.data_unchecked::<Changes>().announce(&report.campaigns).await;
    RecordResult::from_report(&report, keys.into_iter())
}

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    /// Records email events (up to 10,000) from any provider, each once per
    /// (source, eventId), in any order. Brand users and administrators.
    async fn record_email_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider's name (not `sendgrid`, which has its webhook).")] source: String,
        #[graphql(desc = "The events (at most 10,000).")] events: Vec<EmailEventInput>,
    ) -> Result<RecordResult> {
        super::caller(ctx)?.require_brand()?;
        let source = self::source(&source)?;
        batch_size("events", events.len())?;
        let mut batch = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            let k = key(&format!("events[{i}].eventId"), &e.event_id)?;
            let event = EmailEvent {
                send_id: e.send_id,
                kind: e.kind.into(),
                occurred_at: time(&format!("events[{i}].occurredAt"), e.occurred_at)?,
                machine_open: e.machine_open,
                detail: e.detail,
            };
            batch.push(received(&source, k, event));
        }
        let keys = batch.iter().map(|r| r.key.clone()).collect();
        let report = ctx.data_unchecked::<Appliers>().email_events.apply(batch).await?;
        Ok(finish(ctx, report, keys).await)
    }

    /// Records CRM conversions (up to 10,000), each once per (source, conversionId).
    /// Brand users and administrators.
    async fn record_conversions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CRM's name.")] source: String,
        #[graphql(desc = "The conversions (at most 10,000).")] conversions: Vec<ConversionInput>,
    ) -> Result<RecordResult> {
        super::caller(ctx)?.require_brand()?;
        let source = self::source(&source)?;
        batch_size("conversions", conversions.len())?;
        let mut batch = Vec::with_capacity(conversions.len());
        for (i, c) in conversions.into_iter().enumerate() {
            let k = key(&format!("conversions[{i}].conversionId"), &c.conversion_id)?;
            let conversion = Conversion {
                campaign_id: c.campaign_id,
                retailer_id: c.retailer_id,
                email_send_id: c.email_send_id,
                conversion_type: c.conversion_type.into(),
                value: non_negative(&format!("conversions[{i}].value"), c.value)?,
                occurred_at: time(&format!("conversions[{i}].occurredAt"), c.occurred_at)?,
                product_category: c.product_category.map(Into::into),
            };
            batch.push(received(&source, k, conversion));
        }
        let keys = batch.iter().map(|r| r.key.clone()).collect();
        let report = ctx.data_unchecked::<Appliers>().conversions.apply(batch).await?;
        Ok(finish(ctx, report, keys).await)
    }

    /// Records shop orders (up to 10,000): a new order, or a newer version of a stored one
    /// (status, value); older versions change nothing. Brand users and administrators.
    async fn record_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The shop's name (not `shopify`, which has its webhook).")] source: String,
        #[graphql(desc = "The orders (at most 10,000), each a version of an order.")] orders: Vec<OrderInput>,
    ) -> Result<RecordResult> {
        super::caller(ctx)?.require_brand()?;
        let source = self::source(&source)?;
        batch_size("orders", orders.len())?;
        let mut batch = Vec::with_capacity(orders.len());
        for (i, o) in orders.into_iter().enumerate() {
            let order = Order {
                order_id: key(&format!("orders[{i}].orderId"), &o.order_id)?,
                updated_at: time(&format!("orders[{i}].updatedAt"), o.updated_at)?,
                campaign_id: o.campaign_id,
                utm_campaign: o.utm_campaign,
                retailer_id: o.retailer_id,
                customer_email: o.customer_email,
                value: non_negative(&format!("orders[{i}].value"), o.value)?,
                status: o.status.into(),
                product_count: if o.product_count < 0 {
                    return Err(AppError::invalid(&format!("orders[{i}].productCount"), "is negative").into());
                } else {
                    o.product_count
                },
                ordered_at: time(&format!("orders[{i}].orderedAt"), o.ordered_at)?,
                attributed_to_email: o.attributed_to_email,
            };
            let k = order.key();
            batch.push(received(&source, k, order));
        }
        let keys = batch.iter().map(|r| r.key.clone()).collect();
        let report = ctx.data_unchecked::<Appliers>().orders.apply(batch).await?;
        Ok(finish(ctx, report, keys).await)
    }

    /// Applies quarantined items again (those given, or all waiting), now that what they
    /// named may exist. Administrators only.
    async fn reapply_quarantined(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Waiting items to apply again (at most 10,000); when omitted, all, up to the 10,000 oldest.")]
        ids: Option<Vec<Uuid>>,
    ) -> Result<RecordResult> {
        super::caller(ctx)?.require_admin()?;
        if let Some(ids) = &ids {
            batch_size("ids", ids.len())?;
        }
        let (items, report) = quarantine::reapply(super::db(ctx), ids).await?;
        let keys = items.into_iter().map(|(item, _)| item.item_key).collect();
        Ok(finish(ctx, report, keys).await)
    }
}
