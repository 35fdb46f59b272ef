//! The brand's own changes: campaigns (lifecycle, budget, spend), email campaigns, and the
//! registration of sends. Every rule about what a change may do lives here once.

use super::campaigns::utm_code_from;
use crate::error::{AppError, AppResult};
use crate::ingest::{MAX_BATCH, deliveries};
use chrono::{DateTime, Utc};
use entity::enums::{CampaignStatus, SendStatus};
use entity::{Money, campaigns, email_campaigns, email_sends};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, QueryTrait,
};
use std::collections::HashSet;
use uuid::Uuid;

/// Whether a campaign may go from `from` to `to`: draft → active ⇄ paused → completed
/// (staying put is always allowed).
pub fn transition_allowed(from: CampaignStatus, to: CampaignStatus) -> bool {
    use CampaignStatus::*;
    from == to
        || matches!((from, to), (Draft, Active) | (Active, Paused) | (Paused, Active) | (Active | Paused, Completed))
}

/// An amount from an API argument: exact, two decimals at most, within the column's range.
pub fn money(argument: &str, amount: Decimal) -> AppResult<Money> {
    Money::new(amount).map_err(|e| AppError::invalid(argument, e))
}

/// An amount that may not be negative.
pub fn non_negative(argument: &str, amount: Decimal) -> AppResult<Money> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(AppError::invalid(argument, format!("{amount} is negative")));
    }
    money(argument, amount)
}

fn text(argument: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(argument, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(AppError::invalid(argument, format!("longer than {max} characters")));
    }
    Ok(value.to_owned())
}

fn email_address(argument: &str, value: &str) -> AppResult<String> {
    let value = text(argument, value, 255)?;
    super::users::email_address(&value)
        .ok_or_else(|| AppError::invalid(argument, format!("{value:?} is not an email address")))
}

/// Whether a UTM code has only letters, digits, '-', '_' and '.' (and at most 100 of them).
pub fn utm_code_is_valid(value: &str) -> bool {
    value.chars().count() <= 100 && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn utm_code(argument: &str, value: &str) -> AppResult<String> {
    let value = text(argument, value, 100)?;
    if !utm_code_is_valid(&value) {
        return Err(AppError::invalid(argument, "only letters, digits, '-', '_' and '.' are allowed"));
    }
    Ok(value)
}

/// A time the database can hold and a person could mean (1970 to 9999).
fn when(argument: &str, t: Option<DateTime<Utc>>) -> AppResult<Option<DateTime<Utc>>> {
    t.map(|t| crate::ingest::plausible_time(t).map_err(|e| AppError::invalid(argument, e))).transpose()
}

fn dates_in_order(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> AppResult<()> {
    when("startDate", start)?;
    when("endDate", end)?;
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(AppError::invalid("endDate", "is before startDate")),
        _ => Ok(()),
    }
}

async fn utm_taken(db: &impl ConnectionTrait, code: &str, except: Option<Uuid>) -> AppResult<bool> {
    let mut select = campaigns::Entity::find().filter(campaigns::Column::UtmCode.eq(code));
    if let Some(id) = except {
        select = select.filter(campaigns::Column::Id.ne(id));
    }
    Ok(select.one(db).await?.is_some())
}

/// A new campaign's fields.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub description: Option<String>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub budget_allocated: Option<Decimal>,
    pub utm_code: Option<String>,
    pub created_by: Uuid,
}

/// Creates a draft campaign. Without a UTM code it gets one from its name (made unique with
/// a number); a UTM code given and already used is a conflict.
pub async fn create_campaign(db: &DatabaseConnection, new: NewCampaign) -> AppResult<campaigns::Model> {
    let name = text("name", &new.name, 255)?;
    dates_in_order(new.start_date, new.end_date)?;
    let allocated = new.budget_allocated.map(|a| non_negative("budgetAllocated", a)).transpose()?;
    let id = Uuid::new_v4();
    let code = match new.utm_code {
        Some(code) => {
            let code = utm_code("utmCode", &code)?;
            if utm_taken(db, &code, None).await? {
                return Err(AppError::Conflict(format!("the UTM code {code:?} belongs to another campaign")));
            }
            code
        }
        None => {
            let base = Some(utm_code_from(&name))
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| format!("campaign-{}", &id.simple().to_string()[..8]));
            let mut code = base.clone();
            let mut n = 2;
            while utm_taken(db, &code, None).await? {
                code = format!("{base}-{n}");
                n += 1;
            }
            code
        }
    };
    let now = Utc::now();
    let model = campaigns::ActiveModel {
        id: Set(id),
        name: Set(name),
        description: Set(new.description.filter(|d| !d.trim().is_empty())),
        status: Set(CampaignStatus::Draft),
        start_date: Set(new.start_date),
        end_date: Set(new.end_date),
        budget_allocated: Set(allocated),
        budget_spent: Set(Money::ZERO),
        created_by: Set(Some(new.created_by)),
        created_at: Set(now),
        updated_at: Set(now),
        utm_code: Set(Some(code)),
    };
    Ok(model.insert(db).await?)
}

/// Changes to a campaign; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<CampaignStatus>,
    pub start_date: Option<Option<DateTime<Utc>>>,
    pub end_date: Option<Option<DateTime<Utc>>>,
    pub budget_allocated: Option<Option<Decimal>>,
    pub utm_code: Option<String>,
}

/// Marks the campaign as changed now. Done first in a transaction that changes it, so that
/// on SQLite the transaction holds the write lock from its first statement.
async fn touch(db: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    campaigns::Entity::update_many()
        .col_expr(campaigns::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(campaigns::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Reads a campaign for a change, locked against concurrent changes on PostgreSQL (SQLite
/// serialises writers by itself).
async fn for_update(db: &impl ConnectionTrait, id: Uuid) -> AppResult<campaigns::Model> {
    let mut select = campaigns::Entity::find_by_id(id);
    if db.get_database_backend() == DbBackend::Postgres {
        // NO KEY UPDATE: rows inserted elsewhere that reference this campaign (foreign keys)
        // hold KEY SHARE locks, which this must not wait on.
        select = select.lock(sea_orm::sea_query::LockType::NoKeyUpdate);
    }
    select.one(db).await?.ok_or_else(|| AppError::NotFound(format!("campaign {id}")))
}

/// Changes a campaign: status only along draft → active ⇄ paused → completed; the
/// allocation never below what is already spent.
pub async fn update_campaign(
    db: &DatabaseConnection,
    id: Uuid,
    changes: CampaignChanges,
) -> AppResult<campaigns::Model> {
    let txn = crate::db::begin_write(db).await?;
    touch(&txn, id).await?;
    let current = for_update(&txn, id).await?;
    let mut model: campaigns::ActiveModel = current.clone().into();
    if let Some(name) = changes.name {
        model.name = Set(text("name", &name, 255)?);
    }
    if let Some(description) = changes.description {
        model.description = Set(description.filter(|d| !d.trim().is_empty()));
    }
    if let Some(status) = changes.status {
        if !transition_allowed(current.status, status) {
            return Err(AppError::Conflict(format!(
                "a {} campaign cannot become {}: the lifecycle is draft → active ⇄ paused → completed",
                current.status.to_value(),
                status.to_value()
            )));
        }
        model.status = Set(status);
    }
    let start = changes.start_date.unwrap_or(current.start_date);
    let end = changes.end_date.unwrap_or(current.end_date);
    dates_in_order(start, end)?;
    model.start_date = Set(start);
    model.end_date = Set(end);
    if let Some(allocated) = changes.budget_allocated {
        let allocated = allocated.map(|a| non_negative("budgetAllocated", a)).transpose()?;
        if let Some(a) = allocated.filter(|a| *a < current.budget_spent) {
            return Err(AppError::Conflict(format!(
                "budgetAllocated {a} is below the {} already spent",
                current.budget_spent
            )));
        }
        model.budget_allocated = Set(allocated);
    }
    if let Some(code) = changes.utm_code {
        let code = utm_code("utmCode", &code)?;
        if utm_taken(&txn, &code, Some(id)).await? {
            return Err(AppError::Conflict(format!("the UTM code {code:?} belongs to another campaign")));
        }
        model.utm_code = Set(Some(code));
    }
    model.updated_at = Set(Utc::now());
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Adds `amount` to what the campaign has spent (negative: a correction). The total never
/// goes below zero nor above the allocation. With `idempotency_key`, a repeat of the same
/// key changes nothing and returns the campaign as it is.
pub async fn record_spend(
    db: &DatabaseConnection,
    id: Uuid,
    amount: Decimal,
    idempotency_key: Option<&str>,
) -> AppResult<campaigns::Model> {
    let amount_money = money("amount", amount.abs())?;
    let txn = crate::db::begin_write(db).await?;
    // A write first, so that on SQLite this transaction holds the write lock from here on
    // (a read first would fail to upgrade when another writer got in between).
    touch(&txn, id).await?;
    if let Some(key) = idempotency_key {
        let key = text("idempotencyKey", key, 200)?;
        if !deliveries::first_time(&txn, &format!("spend:{id}"), &key).await? {
            let current = for_update(&txn, id).await?;
            txn.commit().await?;
            return Ok(current);
        }
    }
    let current = for_update(&txn, id).await?;
    let spent = current.budget_spent.amount()
        + if amount.is_sign_negative() { -amount_money.amount() } else { amount_money.amount() };
    if spent.is_sign_negative() && !spent.is_zero() {
        return Err(AppError::invalid("amount", format!("would make the spend negative ({spent})")));
    }
    let spent = money("amount", spent)?;
    if let Some(allocated) = current.budget_allocated.filter(|a| spent > *a) {
        return Err(AppError::Conflict(format!(
            "spending {amount} would bring the total to {spent}, above the {allocated} allocated"
        )));
    }
    let mut model: campaigns::ActiveModel = current.into();
    model.budget_spent = Set(spent);
    model.updated_at = Set(Utc::now());
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// A new email campaign's fields.
#[derive(Debug, Clone)]
pub struct NewEmailCampaign {
    pub campaign_id: Uuid,
    pub subject: String,
    pub content: Option<String>,
    pub sender_email: String,
    pub sender_name: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub async fn create_email_campaign(
    db: &DatabaseConnection,
    new: NewEmailCampaign,
) -> AppResult<email_campaigns::Model> {
    let subject = text("subject", &new.subject, 500)?;
    when("sentAt", new.sent_at)?;
    let sender_email = email_address("senderEmail", &new.sender_email)?;
    if campaigns::Entity::find_by_id(new.campaign_id).one(db).await?.is_none() {
        return Err(AppError::NotFound(format!("campaign {}", new.campaign_id)));
    }
    let model = email_campaigns::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(Some(new.campaign_id)),
        subject: Set(subject),
        content: Set(new.content),
        sender_email: Set(sender_email),
        sender_name: Set(new
            .sender_name
            .filter(|n| !n.trim().is_empty())
            .map(|n| text("senderName", &n, 255))
            .transpose()?),
        sent_at: Set(new.sent_at),
        total_recipients: Set(0),
        created_at: Set(Utc::now()),
    };
    Ok(model.insert(db).await?)
}

/// One send to register.
#[derive(Debug, Clone)]
pub struct NewSend {
    /// The id to give it (what the email provider will report events with); new when absent.
    pub id: Option<Uuid>,
    pub retailer_id: Uuid,
    pub recipient_email: String,
    pub recipient_name: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// What `register_sends` did: the ids of the sends in the order given, and how many of
/// them were registered now (the others already were).
#[derive(Debug, Clone, Default)]
pub struct Registered {
    pub ids: Vec<Uuid>,
    pub registered: usize,
}

/// Registers up to `MAX_BATCH` sends of one email campaign, all or none: every send is
/// checked first (an error names the first bad one), then stored in one transaction. A send
/// whose id is already registered is reported as a duplicate and left as it is. The email
/// campaign's `total_recipients` grows by the sends registered.
pub async fn register_sends(
    db: &DatabaseConnection,
    email_campaign_id: Uuid,
    sends: Vec<NewSend>,
) -> AppResult<Registered> {
    if sends.is_empty() {
        return Ok(Registered::default());
    }
    if sends.len() > MAX_BATCH {
        return Err(AppError::invalid("sends", format!("at most {MAX_BATCH} per call, got {}", sends.len())));
    }
    if email_campaigns::Entity::find_by_id(email_campaign_id).one(db).await?.is_none() {
        return Err(AppError::NotFound(format!("email campaign {email_campaign_id}")));
    }
    let retailers = super::users::retailer_ids(db, sends.iter().map(|s| s.retailer_id)).await?;
    let now = Utc::now();
    let mut rows = Vec::with_capacity(sends.len());
    let mut ids_in_call = HashSet::new();
    for (i, s) in sends.into_iter().enumerate() {
        if !retailers.contains(&s.retailer_id) {
            return Err(AppError::invalid(
                &format!("sends[{i}].retailerId"),
                format!("no retailer has the id {}", s.retailer_id),
            ));
        }
        let id = s.id.unwrap_or_else(Uuid::new_v4);
        if !ids_in_call.insert(id) {
            return Err(AppError::invalid(&format!("sends[{i}].id"), format!("{id} appears twice in this call")));
        }
        rows.push(email_sends::ActiveModel {
            id: Set(id),
            email_campaign_id: Set(Some(email_campaign_id)),
            retailer_id: Set(Some(s.retailer_id)),
            recipient_email: Set(email_address(&format!("sends[{i}].recipientEmail"), &s.recipient_email)?),
            recipient_name: Set(s
                .recipient_name
                .filter(|n| !n.trim().is_empty())
                .map(|n| text(&format!("sends[{i}].recipientName"), &n, 255))
                .transpose()?),
            sent_at: Set(when(&format!("sends[{i}].sentAt"), s.sent_at)?.unwrap_or(now)),
            delivered_at: Set(None),
            opened_at: Set(None),
            clicked_at: Set(None),
            status: Set(SendStatus::Sent),
            bounce_reason: Set(None),
            human_opened_at: NotSet,
        });
    }
    let all_ids: Vec<Uuid> = rows.iter().map(|r| *r.id.as_ref()).collect();
    // One insertion order (by id) for every call, so concurrent calls cannot deadlock.
    rows.sort_by_key(|r| *r.id.as_ref());
    let txn = crate::db::begin_write(db).await?;
    let mut inserted = HashSet::new();
    for chunk in rows.chunks(crate::db::CHUNK) {
        let mut insert = sea_orm::Insert::many(chunk.to_vec()).into_query();
        insert
            .on_conflict(OnConflict::column(email_sends::Column::Id).do_nothing().to_owned())
            .returning_col(email_sends::Column::Id);
        for row in txn.query_all_raw(txn.get_database_backend().build(&insert)).await? {
            inserted.insert(row.try_get::<Uuid>("", "id")?);
        }
    }
    email_campaigns::Entity::update_many()
        .col_expr(
            email_campaigns::Column::TotalRecipients,
            Expr::col(email_campaigns::Column::TotalRecipients).add(inserted.len() as i32),
        )
        .filter(email_campaigns::Column::Id.eq(email_campaign_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Registered { ids: all_ids, registered: inserted.len() })
}
