//! `email_activity_hourly`: `email_activity_all` per UTC hour instead of 15-minute slot. A
//! timeline in a time zone whose offsets are whole hours (UTC and most zones) reads it: a
//! quarter of the rows for a long campaign.

use crate::m20251125_000003_create_email_activity::activity;
use crate::rollup_sql::{Rollup, SEND_COLUMNS, Source};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The rollup: sends per (email campaign, kind, UTC hour of the time it happened).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_activity_hourly",
    keys: &["email_campaign_id", "kind", "hour"],
    key_types: &["UUID", "INTEGER", "BIGINT"],
    counts: &["n"],
    rows,
};

fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    activity(backend, source, sign, false, ("hour", 3600))
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
