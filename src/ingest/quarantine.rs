//! The quarantine: items that could not be applied (unknown send, campaign, retailer or
//! event type) are kept with the reason, answered as received (so providers stop retrying),
//! listed for administrators, and applied again once the missing record exists.

use super::{Outcome, Received, Report};
use crate::error::AppError;
use chrono::Utc;
use entity::enums::QuarantineKind;
use entity::quarantined_items::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Keeps the items whose outcome is `Quarantined` (a repeat counts another attempt and
/// keeps the latest reason), and marks earlier quarantined copies of the items now applied,
/// repeated or stale as resolved.
pub async fn settle<T>(
    db: &impl ConnectionTrait,
    kind: QuarantineKind,
    batch: &[Received<T>],
    outcomes: &[Outcome],
) -> Result<(), AppError> {
    let now = Utc::now();
    // One row per item, however often the batch repeats it (one statement may not touch a
    // row twice).
    let mut held: BTreeMap<(&str, &str), quarantined_items::ActiveModel> = BTreeMap::new();
    let mut done: Vec<(&str, &str)> = Vec::new();
    for (received, outcome) in batch.iter().zip(outcomes) {
        match outcome {
            Outcome::Quarantined(reason) => {
                held.entry((&received.source, &received.key)).or_insert_with(|| quarantined_items::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    source: Set(received.source.clone()),
                    kind: Set(kind),
                    item_key: Set(received.key.clone()),
                    reason: Set(reason.clone()),
                    payload: Set(received.payload.clone()),
                    received_at: Set(now),
                    attempts: Set(1),
                    resolved_at: Set(None),
                });
            }
            _ => done.push((&received.source, &received.key)),
        }
    }
    let held: Vec<_> = held.into_values().collect();
    for chunk in held.chunks(super::sql::CHUNK) {
        quarantined_items::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([Column::Source, Column::Kind, Column::ItemKey])
                    .value(Column::Attempts, Expr::col((quarantined_items::Entity, Column::Attempts)).add(1))
                    .update_columns([Column::Reason, Column::Payload])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    // Only sources that ever had anything quarantined can have something to resolve.
    let mut sources: Vec<&str> = done.iter().map(|(s, _)| *s).collect();
    sources.sort_unstable();
    sources.dedup();
    for source in sources {
        let keys: Vec<&str> = done.iter().filter(|(s, _)| *s == source).map(|(_, k)| *k).collect();
        for chunk in keys.chunks(super::sql::CHUNK) {
            quarantined_items::Entity::update_many()
                .col_expr(Column::ResolvedAt, Expr::value(now))
                .filter(Column::Source.eq(source))
                .filter(Column::Kind.eq(kind))
                .filter(Column::ItemKey.is_in(chunk.iter().copied()))
                .filter(Column::ResolvedAt.is_null())
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Quarantined items, newest first; unresolved ones only unless `include_resolved`.
pub async fn list(
    db: &DatabaseConnection,
    include_resolved: bool,
    limit: u64,
) -> Result<Vec<quarantined_items::Model>, AppError> {
    let mut select = quarantined_items::Entity::find();
    if !include_resolved {
        select = select.filter(Column::ResolvedAt.is_null());
    }
    Ok(select.order_by_desc(Column::ReceivedAt).order_by_asc(Column::Id).limit(limit).all(db).await?)
}

/// Applies unresolved quarantined items again (those in `ids`, or all); each goes through
/// the same apply path as when it arrived. Returns the outcomes in the order of the items.
pub async fn reapply(
    db: &DatabaseConnection,
    ids: Option<Vec<Uuid>>,
) -> Result<(Vec<(quarantined_items::Model, Outcome)>, Report), AppError> {
    let mut select =
        quarantined_items::Entity::find().filter(Column::ResolvedAt.is_null()).order_by_asc(Column::ReceivedAt);
    if let Some(ids) = ids {
        select = select.filter(Column::Id.is_in(ids));
    }
    let items = select.limit(super::MAX_BATCH as u64).all(db).await?;
    let mut results = Vec::with_capacity(items.len());
    let mut report = Report::default();
    for kind in [QuarantineKind::EmailEvent, QuarantineKind::Conversion, QuarantineKind::Order] {
        let rows: Vec<&quarantined_items::Model> = items.iter().filter(|i| i.kind == kind).collect();
        if rows.is_empty() {
            continue;
        }
        let part = match kind {
            QuarantineKind::EmailEvent => {
                let batch = rows.iter().map(|r| received(r, super::email_events::parse_stored)).collect();
                super::email_events::apply(db, batch).await?
            }
            QuarantineKind::Conversion => {
                let batch = rows.iter().map(|r| received(r, super::conversions::parse_stored)).collect();
                super::conversions::apply(db, batch).await?
            }
            QuarantineKind::Order => {
                let batch = rows.iter().map(|r| received(r, super::orders::parse_stored)).collect();
                super::orders::apply(db, batch).await?
            }
        };
        results.extend(rows.into_iter().cloned().zip(part.outcomes.iter().cloned()));
        report.outcomes.extend(part.outcomes);
        report.campaigns.extend(part.campaigns);
    }
    Ok((results, report))
}

fn received<T>(row: &quarantined_items::Model, parse: fn(&str, &str) -> Result<T, String>) -> Received<T> {
    Received {
        source: row.source.clone(),
        key: row.item_key.clone(),
        payload: row.payload.clone(),
        item: parse(&row.source, &row.payload),
    }
}
