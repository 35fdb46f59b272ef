//! `email_activity_daily`: `email_activity_all` per UTC day. A DAY or WEEK timeline in a time
//! zone that is UTC all year reads it: one row per kind and day, however dense the campaign.

use super::email_activity::activity;
use super::{Rollup, SEND_COLUMNS};

/// The rollup: sends per (email campaign, kind, UTC day of the time it happened).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_activity_daily",
    keys: &["email_campaign_id", "kind", "day"],
    key_types: &["UUID", "INTEGER", "BIGINT"],
    counts: &["n"],
    rows: |backend, source, sign| activity(backend, source, sign, false, ("day", 86400)),
};
