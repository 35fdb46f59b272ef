//! `email_rollups`: email counts per email campaign × retailer × 15-minute slot of the send
//! time, kept exact by triggers in the same transaction as every change to `email_sends`
//! (insert, update of a counted column, delete, cascade), so figures read from it are always
//! fresh. Each count follows errata E5, like the raw-row queries in `analytics::sql`.
//! Sends without a retailer count under the nil UUID.

use super::{Columns, PerRow, Rollup, SEND_COLUMNS, nil};

/// The six counts one send contributes, for the row alias `r` (E5).
fn counts(r: &str) -> Columns {
    let delivered = format!(
        "({r}.delivered_at IS NOT NULL OR {r}.status = 'delivered' OR {r}.opened_at IS NOT NULL OR {r}.clicked_at IS NOT NULL)"
    );
    let flag = |cond: &str| format!("(CASE WHEN {cond} THEN 1 ELSE 0 END)");
    vec![
        ("sent", "1".to_owned()),
        ("delivered", flag(&delivered)),
        ("bounced", flag(&format!("({r}.status IN ('bounced', 'failed') AND NOT {delivered})"))),
        ("opened", flag(&format!("({r}.opened_at IS NOT NULL OR {r}.clicked_at IS NOT NULL)"))),
        ("human_opened", flag(&format!("({r}.human_opened_at IS NOT NULL OR {r}.clicked_at IS NOT NULL)"))),
        ("clicked", flag(&format!("({r}.clicked_at IS NOT NULL)"))),
    ]
}

/// What each send counts for, by email campaign and retailer (the nil UUID for none).
pub const SENDS: PerRow = PerRow {
    source: "email_sends",
    time: "sent_at",
    slot: "sent_slot",
    columns: |backend, r| {
        let keys = vec![
            ("email_campaign_id", format!("{r}.email_campaign_id")),
            ("retailer_id", format!("COALESCE({r}.retailer_id, {})", nil(backend))),
        ];
        (keys, counts(r))
    },
    filter: |r| format!("{r}.email_campaign_id IS NOT NULL"),
};

/// The rollup: counts per (email campaign, retailer, slot of the send time).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_rollups",
    keys: &["email_campaign_id", "retailer_id", "sent_slot"],
    key_types: &["UUID", "UUID", "BIGINT"],
    counts: &["sent", "delivered", "bounced", "opened", "human_opened", "clicked"],
    rows: |backend, source, sign| SENDS.rows(backend, source, sign),
};
