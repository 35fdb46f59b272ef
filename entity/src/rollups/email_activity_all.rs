//! `email_activity_all`: `email_activity` summed over retailers, so the timeline of a
//! campaign seen by its brand reads one row per kind and slot, however many retailers sent
//! (a read costs the length of the campaign, not its number of sends or retailers). Kept
//! exact by the same triggers' kind.

use super::email_activity::activity;
use super::{Rollup, SEND_COLUMNS, SLOT_SECS};

/// The rollup: sends per (email campaign, kind, slot of the time it happened).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_activity_all",
    keys: &["email_campaign_id", "kind", "slot"],
    key_types: &["UUID", "INTEGER", "BIGINT"],
    counts: &["n"],
    rows: |backend, source, sign| activity(backend, source, sign, false, ("slot", SLOT_SECS)),
};
