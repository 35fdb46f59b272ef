//! `email_rollups`: email counts per email campaign × retailer × 15-minute slot of the send
//! time, kept exact by triggers in the same transaction as every change to `email_sends`
//! (insert, update of a counted column, delete, cascade), so figures read from it are always
//! fresh. Each count follows errata E5, like the raw-row queries in `analytics::sql`.
//! Sends without a retailer count under the nil UUID.

use crate::rollup_sql::{drop_triggers, nil, slot, triggers};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The six counts one send contributes, for the row alias `r` (E5).
fn counts(r: &str) -> [String; 6] {
    let delivered = format!(
        "({r}.delivered_at IS NOT NULL OR {r}.status = 'delivered' OR {r}.opened_at IS NOT NULL OR {r}.clicked_at IS NOT NULL)"
    );
    let flag = |cond: &str| format!("(CASE WHEN {cond} THEN 1 ELSE 0 END)");
    [
        "1".to_owned(),
        flag(&delivered),
        flag(&format!("({r}.status IN ('bounced', 'failed') AND NOT {delivered})")),
        flag(&format!("({r}.opened_at IS NOT NULL OR {r}.clicked_at IS NOT NULL)")),
        flag(&format!("({r}.human_opened_at IS NOT NULL OR {r}.clicked_at IS NOT NULL)")),
        flag(&format!("({r}.clicked_at IS NOT NULL)")),
    ]
}

/// `INSERT … ON CONFLICT DO UPDATE` adding `sign` × the contribution of row `r`.
fn upsert(backend: DbBackend, r: &str, sign: &str) -> String {
    let c = counts(r);
    format!(
        "INSERT INTO email_rollups (email_campaign_id, retailer_id, sent_slot, sent, delivered, bounced, opened, human_opened, clicked)
         VALUES ({r}.email_campaign_id, COALESCE({r}.retailer_id, {nil}), {slot}, {s}{c0}, {s}{c1}, {s}{c2}, {s}{c3}, {s}{c4}, {s}{c5})
         ON CONFLICT (email_campaign_id, retailer_id, sent_slot) DO UPDATE SET
           sent = email_rollups.sent + excluded.sent, delivered = email_rollups.delivered + excluded.delivered,
           bounced = email_rollups.bounced + excluded.bounced, opened = email_rollups.opened + excluded.opened,
           human_opened = email_rollups.human_opened + excluded.human_opened, clicked = email_rollups.clicked + excluded.clicked",
        nil = nil(backend),
        slot = slot(backend, &format!("{r}.sent_at")),
        s = sign,
        c0 = c[0],
        c1 = c[1],
        c2 = c[2],
        c3 = c[3],
        c4 = c[4],
        c5 = c[5],
    )
}

/// The rollup rows recomputed from `email_sends` (backfill, `rebuild-rollups`, `verify`).
pub fn from_raw(backend: DbBackend) -> String {
    let c = counts("s");
    format!(
        "SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, {nil}) AS retailer_id, {slot} AS sent_slot,
                CAST(SUM({c0}) AS BIGINT) AS sent, CAST(SUM({c1}) AS BIGINT) AS delivered, CAST(SUM({c2}) AS BIGINT) AS bounced,
                CAST(SUM({c3}) AS BIGINT) AS opened, CAST(SUM({c4}) AS BIGINT) AS human_opened, CAST(SUM({c5}) AS BIGINT) AS clicked
         FROM email_sends s WHERE s.email_campaign_id IS NOT NULL
         GROUP BY s.email_campaign_id, COALESCE(s.retailer_id, {nil}), {slot}",
        nil = nil(backend),
        slot = slot(backend, "s.sent_at"),
        c0 = c[0],
        c1 = c[1],
        c2 = c[2],
        c3 = c[3],
        c4 = c[4],
        c5 = c[5],
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE email_rollups (
               email_campaign_id UUID NOT NULL, retailer_id UUID NOT NULL, sent_slot BIGINT NOT NULL,
               sent BIGINT NOT NULL DEFAULT 0, delivered BIGINT NOT NULL DEFAULT 0, bounced BIGINT NOT NULL DEFAULT 0,
               opened BIGINT NOT NULL DEFAULT 0, human_opened BIGINT NOT NULL DEFAULT 0, clicked BIGINT NOT NULL DEFAULT 0,
               PRIMARY KEY (email_campaign_id, retailer_id, sent_slot))",
        )
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO email_rollups (email_campaign_id, retailer_id, sent_slot, sent, delivered, bounced, opened, human_opened, clicked)
             {}",
            from_raw(backend)
        ))
        .await?;
        for sql in triggers(backend, "email_rollups", |r, sign| format!("{};", upsert(backend, r, sign))) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in drop_triggers(manager.get_database_backend(), "email_rollups") {
            db.execute_unprepared(&sql).await?;
        }
        db.execute_unprepared("DROP TABLE email_rollups").await?;
        Ok(())
    }
}
