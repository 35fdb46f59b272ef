//! The one apply path for shop orders: one row per (source, order id); a newer version of an
//! order replaces the stored one, an older or equal one changes nothing, whatever the order
//! of arrival. Campaign and retailer may be named by id or found by UTM code and email.

use super::sql::{CHUNK, insert_returning_keys};
use super::{Outcome, Received, Repeats, Report};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use entity::enums::{OrderStatus, QuarantineKind, UserType};
use entity::{Money, campaigns, ecommerce_orders, email_campaigns, email_sends, users};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// An order in the provider-neutral form (also how a quarantined one is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The order's id in its shop (text: shop ids exceed 2^53).
    pub order_id: String,
    /// The version: a stored order is replaced only by a later one.
    pub updated_at: DateTime<Utc>,
    pub campaign_id: Option<Uuid>,
    /// Used when `campaign_id` is absent: the campaign whose UTM code this is.
    pub utm_campaign: Option<String>,
    pub retailer_id: Option<Uuid>,
    /// Used when `retailer_id` is absent: the retailer with this email, or the retailer of a
    /// send to this address.
    pub customer_email: Option<String>,
    pub value: Money,
    pub status: OrderStatus,
    pub product_count: i32,
    pub ordered_at: DateTime<Utc>,
    pub attributed_to_email: bool,
}

impl Order {
    /// The idempotency key of this version of the order.
    pub fn key(&self) -> String {
        format!("{}@{}", self.order_id, self.updated_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

/// Reads a quarantined order back.
pub fn parse_stored(source: &str, payload: &str) -> Result<Order, String> {
    if source == super::shopify::SOURCE {
        return super::shopify::parse_order(payload.as_bytes());
    }
    serde_json::from_str(payload).map_err(|e| format!("unreadable order: {e}"))
}

/// The campaigns, retailers and sends that exist among those a batch names.
#[derive(Debug, Default)]
pub struct Known {
    campaigns: HashSet<Uuid>,
    retailers: HashSet<Uuid>,
    /// Each send's campaign and retailer.
    sends: HashMap<Uuid, (Option<Uuid>, Option<Uuid>)>,
    by_utm: HashMap<String, Uuid>,
    /// A recipient's retailer in any campaign (the latest send to the address).
    by_email: HashMap<String, Uuid>,
    /// A recipient's retailer in one campaign (the latest send to the address there).
    by_recipient: HashMap<(Uuid, String), Uuid>,
    /// Retailers' own addresses.
    retailer_emails: HashMap<String, Uuid>,
    /// (campaign, retailer) pairs where the campaign sent the retailer's customers email.
    senders: HashSet<(Uuid, Uuid)>,
}

impl Known {
    pub async fn load(
        db: &impl ConnectionTrait,
        campaigns: impl Iterator<Item = Uuid>,
        retailers: impl Iterator<Item = Uuid>,
        sends: impl Iterator<Item = Uuid>,
    ) -> Result<Known, AppError> {
        let mut known = Known::default();
        for chunk in dedup(campaigns).chunks(CHUNK) {
            let found: Vec<Uuid> = campaigns::Entity::find()
                .select_only()
                .column(campaigns::Column::Id)
                .filter(campaigns::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            known.campaigns.extend(found);
        }
        known.retailers.extend(crate::services::users::retailer_ids(db, retailers).await?);
        for chunk in dedup(sends).chunks(CHUNK) {
            let found: Vec<(Uuid, Option<Uuid>, Option<Uuid>)> = email_sends::Entity::find()
                .select_only()
                .column(email_sends::Column::Id)
                .column(email_campaigns::Column::CampaignId)
                .column(email_sends::Column::RetailerId)
                .left_join(email_campaigns::Entity)
                .filter(email_sends::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            known.sends.extend(found.into_iter().map(|(id, campaign, retailer)| (id, (campaign, retailer))));
        }
        Ok(known)
    }

    /// Adds what orders name by UTM code and customer email.
    async fn load_names(&mut self, db: &impl ConnectionTrait, orders: &[&Order]) -> Result<(), AppError> {
        let utms: Vec<String> = dedup(orders.iter().filter_map(|o| o.utm_campaign.clone()));
        for chunk in utms.chunks(CHUNK) {
            let found: Vec<(Uuid, Option<String>)> = campaigns::Entity::find()
                .select_only()
                .column(campaigns::Column::Id)
                .column(campaigns::Column::UtmCode)
                .filter(campaigns::Column::UtmCode.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            self.by_utm.extend(found.into_iter().filter_map(|(id, code)| Some((code?, id))));
        }
        let emails: Vec<String> = dedup(orders.iter().filter_map(|o| o.customer_email.as_ref().map(|e| normal(e))));
        for chunk in emails.chunks(CHUNK) {
            // A recipient of a campaign's email is attributed to that email's retailer; a
            // retailer's own address wins over that.
            let recipients: Vec<(String, Option<Uuid>, Option<Uuid>)> = email_sends::Entity::find()
                .select_only()
                .column(email_sends::Column::RecipientEmail)
                .column(email_sends::Column::RetailerId)
                .column(email_campaigns::Column::CampaignId)
                .inner_join(email_campaigns::Entity)
                .filter(email_sends::Column::RecipientEmail.is_in(chunk.iter().cloned()))
                .filter(email_sends::Column::RetailerId.is_not_null())
                // The latest send to an address wins (inserted last), whatever the row order.
                .order_by_asc(email_sends::Column::SentAt)
                .order_by_asc(email_sends::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            for (email, retailer, campaign) in recipients {
                let Some(retailer) = retailer else { continue };
                if let Some(campaign) = campaign {
                    self.by_recipient.insert((campaign, email.clone()), retailer);
                }
                self.by_email.insert(email, retailer);
            }
            let retailers: Vec<(Uuid, String)> = users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::Email)
                .filter(users::Column::Email.is_in(chunk.iter().cloned()))
                .filter(users::Column::UserType.eq(UserType::Retailer))
                .into_tuple()
                .all(db)
                .await?;
            self.retailer_emails.extend(retailers.into_iter().map(|(id, email)| (email, id)));
        }
        // Which retailers each campaign sent email for, from the per-retailer totals (one row
        // per email campaign × retailer, whatever the number of sends).
        let campaigns: Vec<Uuid> = dedup(
            orders
                .iter()
                .filter(|o| o.retailer_id.is_none())
                .filter_map(|o| o.campaign_id.or_else(|| self.by_utm.get(o.utm_campaign.as_ref()?).copied())),
        );
        let backend = db.get_database_backend();
        for chunk in campaigns.chunks(CHUNK) {
            let stmt = sea_orm::sea_query::Query::select()
                .column((email_campaigns::Entity, email_campaigns::Column::CampaignId))
                .expr_as(Expr::cust("email_totals.retailer_id"), sea_orm::sea_query::Alias::new("retailer_id"))
                .from(sea_orm::sea_query::Alias::new("email_totals"))
                .inner_join(email_campaigns::Entity, Expr::cust("email_campaigns.id = email_totals.email_campaign_id"))
                .and_where(email_campaigns::Column::CampaignId.is_in(chunk.iter().copied()))
                .and_where(Expr::cust("email_totals.sent > 0"))
                .to_owned();
            for row in db.query_all_raw(backend.build(&stmt)).await? {
                self.senders.insert((row.try_get("", "campaign_id")?, row.try_get("", "retailer_id")?));
            }
        }
        Ok(())
    }

    pub fn missing_campaign(&self, id: Uuid) -> Option<String> {
        (!self.campaigns.contains(&id)).then(|| format!("unknown campaign {id}"))
    }

    pub fn missing_retailer(&self, id: Uuid) -> Option<String> {
        (!self.retailers.contains(&id)).then(|| format!("unknown retailer {id}"))
    }

    /// Adds a send that is not stored yet (an import's), with its campaign and retailer.
    pub fn add_send(&mut self, id: Uuid, campaign: Option<Uuid>, retailer: Option<Uuid>) {
        self.sends.insert(id, (campaign, retailer));
    }

    /// Whether `id` is a send this knows of.
    pub fn has_send(&self, id: Uuid) -> bool {
        self.sends.contains_key(&id)
    }

    /// Why a conversion of `campaign` and `retailer` cannot be linked to send `id`: there is no
    /// such send, or it is another campaign's or another retailer's (a conversion counts for
    /// its send's retailer in the funnel, so a link across retailers would credit one
    /// retailer with another's conversion).
    pub fn unlinkable_send(&self, id: Uuid, campaign: Uuid, retailer: Uuid) -> Option<String> {
        match self.sends.get(&id) {
            None => Some(format!("unknown send {id}")),
            Some((c, _)) if *c != Some(campaign) => Some(format!(
                "send {id} is of {}, not of the conversion's campaign {campaign}",
                c.map_or("no campaign".to_owned(), |c| format!("campaign {c}"))
            )),
            Some((_, r)) if *r != Some(retailer) => Some(format!(
                "send {id} was sent for {}, not for the conversion's retailer {retailer}",
                r.map_or("no retailer".to_owned(), |r| format!("retailer {r}"))
            )),
            Some(_) => None,
        }
    }

    /// The order's campaign and retailer, or why they cannot be found.
    fn resolve(&self, o: &Order) -> Result<(Uuid, Uuid), String> {
        let campaign = match (o.campaign_id, &o.utm_campaign) {
            (Some(id), _) => self.missing_campaign(id).map_or(Ok(id), Err)?,
            (None, Some(utm)) => {
                *self.by_utm.get(utm).ok_or_else(|| format!("no campaign has the UTM code {utm:?}"))?
            }
            (None, None) => return Err("no campaign: neither a campaign id nor a utm_campaign".into()),
        };
        let retailer = match (o.retailer_id, &o.customer_email) {
            (Some(id), _) => self.missing_retailer(id).map_or(Ok(id), Err)?,
            (None, Some(email)) => {
                // A retailer's own address; else the retailer this campaign emailed the
                // customer for; else the one of the latest email to the customer.
                let address = normal(email);
                let retailer = *self
                    .retailer_emails
                    .get(&address)
                    .or_else(|| self.by_recipient.get(&(campaign, address.clone())))
                    .or_else(|| self.by_email.get(&address))
                    .ok_or_else(|| format!("no retailer or email recipient has the address {email:?}"))?;
                // Found by its customer's address: the order counts for a retailer of this
                // campaign, never for one the campaign sent nothing for.
                if !self.senders.contains(&(campaign, retailer)) {
                    return Err(format!(
                        "the customer {email:?} belongs to retailer {retailer}, for whom campaign {campaign} sent no email"
                    ));
                }
                retailer
            }
            (None, None) => return Err("no retailer: neither a retailer id nor a customer email".into()),
        };
        Ok((campaign, retailer))
    }
}

fn normal(email: &str) -> String {
    email.trim().to_lowercase()
}

fn dedup<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The campaign and version of a stored order.
type Stored = (Option<Uuid>, Option<DateTime<Utc>>);

/// (source, order id, campaign, version) of a stored order.
type StoredVersion = (Option<String>, Option<String>, Option<Uuid>, Option<DateTime<Utc>>);

/// Applies a batch of orders; the outcomes follow the batch's order.
pub async fn apply(db: &DatabaseConnection, batch: Vec<Received<Order>>) -> Result<Report, AppError> {
    let repeats = Repeats::of(&batch);
    let mut outcomes = repeats.initial();
    let orders: Vec<&Order> = batch.iter().filter_map(|r| r.item.as_ref().ok()).collect();
    let mut known = Known::load(
        db,
        orders.iter().filter_map(|o| o.campaign_id),
        orders.iter().filter_map(|o| o.retailer_id),
        std::iter::empty(),
    )
    .await?;
    known.load_names(db, &orders).await?;

    // Of several versions of one order in the batch, only the newest can win.
    let mut newest: HashMap<(&str, &str), usize> = HashMap::new();
    let mut resolved = HashMap::new();
    for (i, r) in batch.iter().enumerate() {
        if outcomes[i].is_some() {
            continue;
        }
        let o = match &r.item {
            Err(reason) => {
                outcomes[i] = Some(Outcome::Quarantined(reason.clone()));
                continue;
            }
            Ok(o) => o,
        };
        let checked = known.resolve(o).and_then(|ids| {
            let untimely = super::untimely("the order date", o.ordered_at)
                .or_else(|| super::untimely("the order's version (updated_at)", o.updated_at));
            untimely.map_or(Ok(ids), Err)
        });
        match checked {
            Err(reason) => outcomes[i] = Some(Outcome::Quarantined(reason)),
            Ok(ids) => {
                resolved.insert(i, ids);
                let slot = newest.entry((r.source.as_str(), o.order_id.as_str())).or_insert(i);
                if *slot != i {
                    let other = batch[*slot].item.as_ref().map(|x| x.updated_at).ok();
                    let (older, keep) = if other < Some(o.updated_at) { (*slot, i) } else { (i, *slot) };
                    outcomes[older] = Some(Outcome::Stale);
                    *slot = keep;
                }
            }
        }
    }

    let mut report = Report::default();
    let now = Utc::now();
    let mut rows = Vec::new();
    let mut pending = Vec::new();
    // One insertion order for every batch (by order id), so concurrent batches cannot wait
    // on each other's rows in a cycle.
    let mut chosen: Vec<usize> = newest.values().copied().collect();
    chosen.sort_by(|a, b| {
        let key = |i: &usize| (&batch[*i].source, batch[*i].item.as_ref().map(|o| o.order_id.as_str()).unwrap_or(""));
        key(a).cmp(&key(b))
    });
    for i in chosen {
        let (r, Ok(o)) = (&batch[i], &batch[i].item) else { continue };
        let (campaign, retailer) = resolved[&i];
        pending.push(i);
        rows.push(ecommerce_orders::ActiveModel {
            id: Set(Uuid::new_v4()),
            campaign_id: Set(Some(campaign)),
            retailer_id: Set(Some(retailer)),
            order_value: Set(Some(o.value)),
            order_date: Set(o.ordered_at),
            product_count: Set(o.product_count),
            order_status: Set(o.status),
            attributed_to_email: Set(o.attributed_to_email),
            created_at: Set(now),
            source: Set(Some(r.source.clone())),
            external_id: Set(Some(o.order_id.clone())),
            source_updated_at: Set(Some(o.updated_at)),
        });
    }

    let txn = crate::db::begin_write(db).await?;
    use ecommerce_orders::Column as C;
    // The stored version of each order, read once: its campaign (an update may move the order
    // away from it) and its version (why an order was not written: a repeat or stale).
    let mut stored: HashMap<(String, String), Stored> = HashMap::new();
    for chunk in pending.chunks(CHUNK) {
        let mut condition = sea_orm::Condition::any();
        for i in chunk {
            let o = batch[*i].item.as_ref().expect("pending orders parsed");
            condition = condition.add(C::Source.eq(batch[*i].source.clone()).and(C::ExternalId.eq(o.order_id.clone())));
        }
        let rows: Vec<StoredVersion> = ecommerce_orders::Entity::find()
            .select_only()
            .columns([C::Source, C::ExternalId, C::CampaignId, C::SourceUpdatedAt])
            .filter(condition)
            .into_tuple()
            .all(&txn)
            .await?;
        for (source, id, campaign, at) in rows {
            if let (Some(source), Some(id)) = (source, id) {
                stored.insert((source, id), (campaign, at));
            }
        }
    }
    let mut conflict = OnConflict::columns([C::Source, C::ExternalId]);
    conflict
        .update_columns([
            C::CampaignId,
            C::RetailerId,
            C::OrderValue,
            C::OrderDate,
            C::ProductCount,
            C::OrderStatus,
            C::AttributedToEmail,
            C::SourceUpdatedAt,
        ])
        .action_and_where(
            Expr::col((ecommerce_orders::Entity, C::SourceUpdatedAt))
                .lt(Expr::cust("excluded.source_updated_at"))
                .or(Expr::col((ecommerce_orders::Entity, C::SourceUpdatedAt)).is_null()),
        );
    let written = insert_returning_keys(&txn, rows, conflict, (C::Source, C::ExternalId)).await?;

    for i in pending {
        let r = &batch[i];
        let o = r.item.as_ref().expect("pending orders parsed");
        let key = (r.source.clone(), o.order_id.clone());
        let before = stored.get(&key);
        // Not written: the stored version is the same (a repeat) or newer (this one is stale).
        let outcome = if written.contains(&key) {
            report.campaigns.insert(resolved[&i].0);
            report.campaigns.extend(before.and_then(|(campaign, _)| *campaign));
            Outcome::Applied
        } else if before.is_some_and(|(_, at)| *at == Some(o.updated_at)) {
            Outcome::Duplicate
        } else {
            Outcome::Stale
        };
        outcomes[i] = Some(outcome);
    }
    report.outcomes = repeats.settle(outcomes);
    super::quarantine::settle(&txn, QuarantineKind::Order, &batch, &report.outcomes).await?;
    txn.commit().await?;
    Ok(report)
}
