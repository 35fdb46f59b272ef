//! The one apply path for email events, whatever the provider: log each event once (a
//! repeat of a provider's event id is a no-op), merge it into its send, in one transaction.

use super::send_state::{EmailEvent, SendState};
use super::sql::{CHUNK, insert_returning_keys, update_from_values};
use super::{Outcome, Received, Repeats, Report};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use entity::enums::{EmailEventType, QuarantineKind};
use entity::{email_campaigns, email_events, email_sends};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Reads a stored item back (from the quarantine): a provider's own format for the
/// providers we have adapters for, the provider-neutral one otherwise.
pub fn parse_stored(source: &str, payload: &str) -> Result<EmailEvent, String> {
    if source == super::sendgrid::SOURCE {
        let value: serde_json::Value = serde_json::from_str(payload).map_err(|e| format!("unreadable event: {e}"))?;
        return super::sendgrid::parse_event(&value).item;
    }
    serde_json::from_str(payload).map_err(|e| format!("unreadable event: {e}"))
}

/// Applies a batch of email events; see the module docs. The outcomes follow the batch's order.
pub async fn apply(db: &DatabaseConnection, batch: Vec<Received<EmailEvent>>) -> Result<Report, AppError> {
    let repeats = Repeats::of(&batch);
    let mut outcomes = repeats.initial();

    // Which sends exist, and their campaigns. Read before the transaction: on SQLite the
    // transaction's first statement then takes the write lock.
    let wanted: Vec<Uuid> = batch.iter().filter_map(|r| r.item.as_ref().ok().map(|e| e.send_id)).collect();
    let campaign_of = campaigns_of_sends(db, &wanted).await?;
    for (slot, received) in outcomes.iter_mut().zip(&batch) {
        if slot.is_some() {
            continue;
        }
        match &received.item {
            Err(reason) => *slot = Some(Outcome::Quarantined(reason.clone())),
            Ok(e) if !campaign_of.contains_key(&e.send_id) => {
                *slot = Some(Outcome::Quarantined(format!("unknown send {}", e.send_id)));
            }
            Ok(e) => {
                if let Some(reason) = super::untimely("the event time", e.occurred_at) {
                    *slot = Some(Outcome::Quarantined(reason));
                }
            }
        }
    }

    let txn = crate::db::begin_write(db).await?;
    // Log the events still undecided; those the log already holds are repeats.
    let mut pending: Vec<usize> = (0..batch.len()).filter(|i| outcomes[*i].is_none()).collect();
    // One insertion order for every batch, so concurrent batches never wait on each other in a cycle.
    pending.sort_by(|a, b| (&batch[*a].source, &batch[*a].key).cmp(&(&batch[*b].source, &batch[*b].key)));
    let mut fresh = Vec::new();
    for chunk in pending.chunks(CHUNK) {
        let inserted = log_events(&txn, chunk.iter().map(|i| &batch[*i])).await?;
        for i in chunk {
            let r = &batch[*i];
            if inserted.contains(&(r.source.clone(), r.key.clone())) {
                outcomes[*i] = Some(Outcome::Applied);
                fresh.push(*i);
            } else {
                outcomes[*i] = Some(Outcome::Duplicate);
            }
        }
    }

    // Merge the new events into their sends, each send read under a row lock.
    let mut by_send: BTreeMap<Uuid, Vec<&EmailEvent>> = BTreeMap::new();
    for i in &fresh {
        if let Ok(e) = &batch[*i].item {
            by_send.entry(e.send_id).or_default().push(e);
        }
    }
    let mut report = Report::default();
    let ids: Vec<Uuid> = by_send.keys().copied().collect();
    let mut states: BTreeMap<Uuid, (SendState, SendState)> = BTreeMap::new();
    let mut need_reason = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut select = email_sends::Entity::find()
            .filter(email_sends::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(email_sends::Column::Id);
        if txn.get_database_backend() == DbBackend::Postgres {
            // NO KEY UPDATE: concurrent event inserts hold KEY SHARE locks on their sends (the
            // foreign key), which a plain FOR UPDATE would wait on, and deadlock with.
            select = select.lock(sea_orm::sea_query::LockType::NoKeyUpdate);
        }
        for send in select.all(&txn).await? {
            let before = SendState::from(&send);
            let mut after = before.clone();
            let events = &by_send[&send.id];
            for e in events {
                after.merge(e);
            }
            // The reason of a bounce or drop is the earliest such event's, read from the log
            // (whatever arrived first).
            if let Some(kind) = after.reason_from() {
                need_reason.push((send.id, kind));
            }
            if let Some(campaign) = campaign_of.get(&send.id).copied().flatten() {
                report.campaigns.insert(campaign);
            }
            states.insert(send.id, (before, after));
        }
    }
    if !need_reason.is_empty() {
        for (id, reason) in earliest_reasons(&txn, &need_reason).await? {
            if let Some((_, after)) = states.get_mut(&id) {
                after.bounce_reason = reason;
            }
        }
    }
    let changed =
        states.into_iter().filter(|(_, (before, after))| before != after).map(|(id, (_, a))| (id, a)).collect();
    write_states(&txn, changed).await?;

    report.outcomes = repeats.settle(outcomes);
    super::quarantine::settle(&txn, QuarantineKind::EmailEvent, &batch, &report.outcomes).await?;
    txn.commit().await?;
    Ok(report)
}

/// The campaign of each existing send among `ids` (`None` for a send outside any campaign).
async fn campaigns_of_sends(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, Option<Uuid>>, AppError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(Uuid, Option<Uuid>)> = email_sends::Entity::find()
            .select_only()
            .column(email_sends::Column::Id)
            .column(email_campaigns::Column::CampaignId)
            .left_join(email_campaigns::Entity)
            .filter(email_sends::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Inserts the events into the log, skipping those already there; returns the (provider,
/// event id) pairs inserted.
async fn log_events<'a>(
    db: &impl ConnectionTrait,
    rows: impl Iterator<Item = &'a Received<EmailEvent>>,
) -> Result<HashSet<(String, String)>, AppError> {
    use email_events::Column as C;
    let now = Utc::now();
    let models: Vec<email_events::ActiveModel> = rows
        .filter_map(|r| {
            let e = r.item.as_ref().ok()?;
            Some(email_events::ActiveModel {
                id: NotSet,
                provider: Set(r.source.clone()),
                provider_event_id: Set(r.key.clone()),
                email_send_id: Set(e.send_id),
                event_type: Set(e.kind),
                occurred_at: Set(e.occurred_at),
                machine_open: Set(e.machine_open),
                detail: Set(e.detail.clone()),
                payload: Set(r.payload.clone()),
                received_at: Set(now),
            })
        })
        .collect();
    let conflict = OnConflict::columns([C::Provider, C::ProviderEventId]).do_nothing().to_owned();
    Ok(insert_returning_keys(db, models, conflict, (C::Provider, C::ProviderEventId)).await?)
}

/// The detail of the earliest logged event of the given kind, per send that has one.
async fn earliest_reasons(
    db: &impl ConnectionTrait,
    wanted: &[(Uuid, EmailEventType)],
) -> Result<HashMap<Uuid, Option<String>>, AppError> {
    let kinds: HashMap<Uuid, EmailEventType> = wanted.iter().copied().collect();
    let mut best: HashMap<Uuid, (DateTime<Utc>, String, Option<String>)> = HashMap::new();
    for chunk in wanted.chunks(CHUNK) {
        let rows = email_events::Entity::find()
            .filter(email_events::Column::EmailSendId.is_in(chunk.iter().map(|(id, _)| *id)))
            .filter(email_events::Column::EventType.is_in([EmailEventType::Bounce, EmailEventType::Dropped]))
            .all(db)
            .await?;
        for e in rows {
            if kinds.get(&e.email_send_id) != Some(&e.event_type) {
                continue;
            }
            let candidate = (e.occurred_at, e.provider_event_id.clone(), e.detail.clone());
            let entry = best.entry(e.email_send_id).or_insert_with(|| candidate.clone());
            if (&candidate.0, &candidate.1) < (&entry.0, &entry.1) {
                *entry = candidate;
            }
        }
    }
    Ok(best.into_iter().map(|(id, (_, _, reason))| (id, reason)).collect())
}

/// Writes the merged states back, many sends per statement.
async fn write_states(db: &impl ConnectionTrait, changed: Vec<(Uuid, SendState)>) -> Result<(), AppError> {
    if changed.is_empty() {
        return Ok(());
    }
    let rows = changed
        .into_iter()
        .map(|(id, s)| {
            vec![
                Value::from(id),
                s.status.to_value().into(),
                s.delivered_at.into(),
                s.opened_at.into(),
                s.human_opened_at.into(),
                s.clicked_at.into(),
                s.bounce_reason.into(),
            ]
        })
        .collect();
    let columns = [
        ("id", "uuid"),
        ("status", "varchar"),
        ("delivered_at", "timestamptz"),
        ("opened_at", "timestamptz"),
        ("human_opened_at", "timestamptz"),
        ("clicked_at", "timestamptz"),
        ("bounce_reason", "text"),
    ];
    update_from_values(db, "email_sends", &columns, rows).await?;
    Ok(())
}
