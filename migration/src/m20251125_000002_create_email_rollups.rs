//! `email_rollups`: email counts per email campaign × retailer × 15-minute slot of the send
//! time, kept exact by triggers in the same transaction as every change to `email_sends`
//! (insert, update of a counted column, delete, cascade), so figures read from it are always
//! fresh. Each count follows errata E5, like the raw-row queries in `analytics::sql`.
//! Sends without a retailer count under the nil UUID.

use crate::rollup_sql::{Rollup, SEND_COLUMNS, Source, nil, slot};
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

/// The rollup: counts per (email campaign, retailer, slot of the send time).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_rollups",
    keys: &["email_campaign_id", "retailer_id", "sent_slot"],
    key_types: &["UUID", "UUID", "BIGINT"],
    counts: &["sent", "delivered", "bounced", "opened", "human_opened", "clicked"],
    rows,
};

fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    send_counts(backend, source, sign, true)
}

/// The counts of the sends of `source` (× `sign`) by email campaign and retailer, and by slot
/// of the send time when `by_slot`.
pub fn send_counts(backend: DbBackend, source: Source<'_>, sign: &str, by_slot: bool) -> String {
    let r = source.alias();
    let c = counts(r);
    let slot =
        if by_slot { format!("{} AS sent_slot, ", slot(backend, &format!("{r}.sent_at"))) } else { String::new() };
    format!(
        "SELECT {r}.email_campaign_id AS email_campaign_id, COALESCE({r}.retailer_id, {nil}) AS retailer_id, {slot}
                {sign}{c0} AS sent, {sign}{c1} AS delivered, {sign}{c2} AS bounced,
                {sign}{c3} AS opened, {sign}{c4} AS human_opened, {sign}{c5} AS clicked
         {from} WHERE {r}.email_campaign_id IS NOT NULL",
        nil = nil(backend),
        from = source.from(),
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
        ROLLUP.install(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ROLLUP.remove(manager).await
    }
}
