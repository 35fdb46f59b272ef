//! The rollups' own upkeep: `verify` recomputes them from the raw rows and lists every
//! difference; `rebuild` replaces them with that recomputation. The triggers that keep them
//! exact on every change live in the migration that created them.

use migration::m20251125_000002_create_email_rollups::from_raw;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, Statement, TransactionTrait};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One rollup row's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromQueryResult)]
pub struct Counts {
    pub sent: i64,
    pub delivered: i64,
    pub bounced: i64,
    pub opened: i64,
    pub human_opened: i64,
    pub clicked: i64,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    email_campaign_id: Uuid,
    retailer_id: Uuid,
    sent_slot: i64,
    sent: i64,
    delivered: i64,
    bounced: i64,
    opened: i64,
    human_opened: i64,
    clicked: i64,
}

/// (email campaign, retailer — nil for none, 15-minute slot of the send time).
pub type Key = (Uuid, Uuid, i64);

/// A rollup row that differs from the raw rows' count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub key: Key,
    pub stored: Counts,
    pub recounted: Counts,
}

async fn read(db: &impl ConnectionTrait, sql: String) -> Result<BTreeMap<Key, Counts>, DbErr> {
    let stmt = Statement::from_string(db.get_database_backend(), sql);
    let rows = Row::find_by_statement(stmt).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let counts = Counts {
                sent: r.sent,
                delivered: r.delivered,
                bounced: r.bounced,
                opened: r.opened,
                human_opened: r.human_opened,
                clicked: r.clicked,
            };
            ((r.email_campaign_id, r.retailer_id, r.sent_slot), counts)
        })
        .filter(|(_, c)| *c != Counts::default())
        .collect())
}

/// Every difference between the stored email rollups and a recount of the sends.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Vec<Difference>, DbErr> {
    let stored = read(
        db,
        "SELECT email_campaign_id, retailer_id, sent_slot, sent, delivered, bounced, opened, human_opened, clicked \
         FROM email_rollups"
            .to_owned(),
    )
    .await?;
    let recounted = read(db, from_raw(db.get_database_backend())).await?;
    let mut keys: Vec<&Key> = stored.keys().chain(recounted.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            let (s, r) = (stored.get(k).copied().unwrap_or_default(), recounted.get(k).copied().unwrap_or_default());
            (s != r).then_some(Difference { key: *k, stored: s, recounted: r })
        })
        .collect())
}

/// Replaces the email rollups with a recount of the sends, in one transaction; returns the
/// rows written.
pub async fn rebuild(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    txn.execute_unprepared("DELETE FROM email_rollups").await?;
    let written = txn
        .execute_unprepared(&format!(
            "INSERT INTO email_rollups (email_campaign_id, retailer_id, sent_slot, sent, delivered, bounced, opened, \
             human_opened, clicked) {}",
            from_raw(txn.get_database_backend())
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(written)
}
