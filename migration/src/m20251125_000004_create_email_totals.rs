//! `email_totals`: all-time email counts per email campaign × retailer (the figures without
//! a period, which most pages show), kept exact by triggers like `email_rollups`, whose
//! counts they sum over every slot. A read costs the number of retailers, not of sends.

use crate::m20251125_000002_create_email_rollups::send_counts;
use crate::rollup_sql::{Rollup, Source};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The rollup: counts per (email campaign, retailer).
pub const ROLLUP: Rollup = Rollup {
    table: "email_totals",
    keys: &["email_campaign_id", "retailer_id"],
    counts: &["sent", "delivered", "bounced", "opened", "human_opened", "clicked"],
    rows,
};

fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    send_counts(backend, source, sign, false)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE email_totals (
               email_campaign_id UUID NOT NULL, retailer_id UUID NOT NULL,
               sent BIGINT NOT NULL DEFAULT 0, delivered BIGINT NOT NULL DEFAULT 0, bounced BIGINT NOT NULL DEFAULT 0,
               opened BIGINT NOT NULL DEFAULT 0, human_opened BIGINT NOT NULL DEFAULT 0, clicked BIGINT NOT NULL DEFAULT 0,
               PRIMARY KEY (email_campaign_id, retailer_id))",
        )
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO email_totals (email_campaign_id, retailer_id, sent, delivered, bounced, opened, human_opened, clicked) {}",
            ROLLUP.from_raw(backend)
        ))
        .await?;
        for sql in ROLLUP.triggers(backend) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in ROLLUP.drop_triggers(manager.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        db.execute_unprepared("DROP TABLE email_totals").await?;
        Ok(())
    }
}
