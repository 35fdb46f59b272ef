//! `email_activity_daily`: `email_activity_all` per UTC day. A DAY or WEEK timeline in a time
//! zone that is UTC all year reads it: one row per kind and day, however dense the campaign.

use crate::m20251125_000003_create_email_activity::activity;
use crate::rollup_sql::{Rollup, SEND_COLUMNS, Source};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The rollup: sends per (email campaign, kind, UTC day of the time it happened).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_activity_daily",
    keys: &["email_campaign_id", "kind", "day"],
    key_types: &["UUID", "INTEGER", "BIGINT"],
    counts: &["n"],
    rows,
};

fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    activity(backend, source, sign, false, ("day", 86400))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ROLLUP.install(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ROLLUP.remove(manager).await
    }
}
