//! `email_activity`: how many sends were sent, delivered, opened and clicked in each
//! 15-minute slot of the time it happened, per email campaign × retailer, kept exact by
//! triggers on `email_sends` like `email_rollups`. The timeline reads it. Times follow
//! errata E5: a delivery counts at its time or, missing, at the open or click that proves it;
//! an open at the open or the click.

use crate::rollup_sql::{drop_triggers, nil, slot, triggers};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (kind, time of the row alias `r`) — kinds as `analytics::timeline::EventKind`.
fn kinds(r: &str) -> [(i32, String); 4] {
    [
        (0, format!("{r}.sent_at")),
        (1, format!("COALESCE({r}.delivered_at, {r}.opened_at, {r}.clicked_at)")),
        (2, format!("COALESCE({r}.opened_at, {r}.clicked_at)")),
        (3, format!("{r}.clicked_at")),
    ]
}

/// Statements adding `sign` × the row's activity (one per kind that happened).
fn apply(backend: DbBackend, r: &str, sign: &str) -> String {
    kinds(r)
        .iter()
        .map(|(kind, time)| {
            format!(
                "INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n)
                 SELECT {r}.email_campaign_id, COALESCE({r}.retailer_id, {nil}), {kind}, {slot}, {sign}1 WHERE {time} IS NOT NULL
                 ON CONFLICT (email_campaign_id, retailer_id, kind, slot) DO UPDATE SET n = email_activity.n + excluded.n;",
                nil = nil(backend),
                slot = slot(backend, time),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The activity recomputed from `email_sends` (backfill, `rebuild-rollups`, `verify`).
pub fn from_raw(backend: DbBackend) -> String {
    kinds("s")
        .iter()
        .map(|(kind, time)| {
            format!(
                "SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, {nil}) AS retailer_id,
                        {kind} AS kind, {slot} AS slot, CAST(COUNT(*) AS BIGINT) AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND {time} IS NOT NULL
                 GROUP BY s.email_campaign_id, COALESCE(s.retailer_id, {nil}), {slot}",
                nil = nil(backend),
                slot = slot(backend, time),
            )
        })
        .collect::<Vec<_>>()
        .join("\nUNION ALL\n")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE email_activity (
               email_campaign_id UUID NOT NULL, retailer_id UUID NOT NULL, kind INTEGER NOT NULL, slot BIGINT NOT NULL,
               n BIGINT NOT NULL DEFAULT 0,
               PRIMARY KEY (email_campaign_id, retailer_id, kind, slot))",
        )
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) {}",
            from_raw(backend)
        ))
        .await?;
        for sql in triggers(backend, "email_activity", |r, sign| apply(backend, r, sign)) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in drop_triggers(manager.get_database_backend(), "email_activity") {
            db.execute_unprepared(&sql).await?;
        }
        db.execute_unprepared("DROP TABLE email_activity").await?;
        Ok(())
    }
}
