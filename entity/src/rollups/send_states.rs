//! `send_states`: sends per email campaign × retailer × delivery status × opened × clicked,
//! the states a list of sends can be filtered by, kept exact by triggers like the other
//! rollups. A connection's `totalCount` is a sum over at most 16 rows per (email, retailer),
//! and a page whose filter no send matches is known empty without reading a send. Sends
//! without an email campaign or a retailer count under the nil UUID.

use super::{Rollup, Source, nil};
use sea_orm::DbBackend;

/// The columns of `email_sends` whose change moves a state.
const COUNTED: &str = "email_campaign_id, retailer_id, status, opened_at, clicked_at";

/// The rollup: sends per (email campaign, retailer, status, opened, clicked).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: COUNTED,
    table: "send_states",
    keys: &["email_campaign_id", "retailer_id", "status", "opened", "clicked"],
    key_types: &["UUID", "UUID", "VARCHAR(50)", "INTEGER", "INTEGER"],
    counts: &["n"],
    rows,
};

/// One row per send: its state, and `sign`·1.
fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    let r = source.alias();
    let flag = |cond: String| format!("(CASE WHEN {cond} THEN 1 ELSE 0 END)");
    format!(
        "SELECT COALESCE({r}.email_campaign_id, {nil}) AS email_campaign_id, COALESCE({r}.retailer_id, {nil}) AS retailer_id, \
         {r}.status AS status, {opened} AS opened, {clicked} AS clicked, {sign}1 AS n {from} WHERE 1 = 1",
        nil = nil(backend),
        opened = flag(format!("({r}.opened_at IS NOT NULL OR {r}.clicked_at IS NOT NULL)")),
        clicked = flag(format!("{r}.clicked_at IS NOT NULL")),
        from = source.from(),
    )
}
