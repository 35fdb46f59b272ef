//! `email_totals`: all-time email counts per email campaign × retailer (the figures without
//! a period, which most pages show), kept exact by triggers like `email_rollups`, whose
//! counts they sum over every slot. A read costs the number of retailers, not of sends.

use super::email_rollups::SENDS;
use super::{Rollup, SEND_COLUMNS, Source};
use sea_orm::DbBackend;

/// The rollup: counts per (email campaign, retailer).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_totals",
    keys: &["email_campaign_id", "retailer_id"],
    key_types: &["UUID", "UUID"],
    counts: &["sent", "delivered", "bounced", "opened", "human_opened", "clicked"],
    rows,
};

/// `email_rollups`' rows without the slot.
fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    SENDS.select(backend, source, sign, false)
}
