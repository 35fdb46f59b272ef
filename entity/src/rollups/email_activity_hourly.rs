//! `email_activity_hourly`: `email_activity_all` per UTC hour instead of 15-minute slot. A
//! timeline in a time zone whose offsets are whole hours (UTC and most zones) reads it: a
//! quarter of the rows for a long campaign.

use super::email_activity::activity;
use super::{Rollup, SEND_COLUMNS};

/// The rollup: sends per (email campaign, kind, UTC hour of the time it happened).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_activity_hourly",
    keys: &["email_campaign_id", "kind", "hour"],
    key_types: &["UUID", "INTEGER", "BIGINT"],
    counts: &["n"],
    rows: |backend, source, sign| activity(backend, source, sign, false, ("hour", 3600)),
};
