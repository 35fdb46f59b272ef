//! `send_states`: sends per email campaign × retailer × delivery status × whether they have a
//! first-open time × whether they have a first-click time: the states a list of sends is
//! filtered by (opened: either time; clicked: the click's) and the parts it is read in (the
//! sends with a time to order by, and those without). Kept exact by triggers like the other
//! rollups. A connection's `totalCount` is a sum over at most 16 rows per (email, retailer),
//! and a part of a page that no send can fill is known empty without reading a send. Sends
//! without an email campaign or a retailer count under the nil UUID.

use super::{Rollup, Source, nil};
use sea_orm::DbBackend;

/// The columns of `email_sends` whose change moves a state.
const COUNTED: &str = "email_campaign_id, retailer_id, status, opened_at, clicked_at";

/// The rollup: sends per (email campaign, retailer, status, has an open time, has a click time).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: COUNTED,
    table: "send_states",
    keys: &["email_campaign_id", "retailer_id", "status", "has_opened_at", "has_clicked_at"],
    key_types: &["UUID", "UUID", "VARCHAR(50)", "INTEGER", "INTEGER"],
    counts: &["n"],
    rows,
};

/// One row per send: its state, and `sign`·1.
fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    let r = source.alias();
    let set = |column: &str| format!("(CASE WHEN {r}.{column} IS NOT NULL THEN 1 ELSE 0 END)");
    format!(
        "SELECT COALESCE({r}.email_campaign_id, {nil}) AS email_campaign_id, COALESCE({r}.retailer_id, {nil}) AS retailer_id, \
         {r}.status AS status, {opened} AS has_opened_at, {clicked} AS has_clicked_at, {sign}1 AS n {from} WHERE 1 = 1",
        nil = nil(backend),
        opened = set("opened_at"),
        clicked = set("clicked_at"),
        from = source.from(),
    )
}
