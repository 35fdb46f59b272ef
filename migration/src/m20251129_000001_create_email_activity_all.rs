//! `email_activity_all`: `email_activity` summed over retailers, so the timeline of a
//! campaign seen by its brand reads one row per kind and slot, however many retailers sent
//! (a read costs the length of the campaign, not its number of sends or retailers). Kept
//! exact by the same triggers' kind.

use crate::m20251125_000003_create_email_activity::activity;
use crate::rollup_sql::{Rollup, SEND_COLUMNS, SLOT_SECS, Source};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The rollup: sends per (email campaign, kind, slot of the time it happened).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_activity_all",
    keys: &["email_campaign_id", "kind", "slot"],
    key_types: &["UUID", "INTEGER", "BIGINT"],
    counts: &["n"],
    rows,
};

fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    activity(backend, source, sign, false, ("slot", SLOT_SECS))
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
