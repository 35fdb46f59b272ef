//! `email_activity`: how many sends were sent, delivered, opened and clicked in each
//! 15-minute slot of the time it happened, per email campaign × retailer, kept exact by
//! triggers on `email_sends` like `email_rollups`. The timeline reads it. Times follow
//! errata E5: a delivery counts at its time or, missing, at the open or click that proves it;
//! an open at the open or the click.

use super::{Rollup, SEND_COLUMNS, SLOT_SECS, Source, bucket, nil};
use sea_orm::DbBackend;

/// (kind, time of the row alias `r`) — kinds as `analytics::timeline::EventKind`.
pub fn kinds(r: &str) -> [(i32, String); 4] {
    [
        (0, format!("{r}.sent_at")),
        (1, format!("COALESCE({r}.delivered_at, {r}.opened_at, {r}.clicked_at)")),
        (2, format!("COALESCE({r}.opened_at, {r}.clicked_at)")),
        (3, format!("{r}.clicked_at")),
    ]
}

/// The rollup: sends per (email campaign, retailer, kind, slot of the time it happened).
pub const ROLLUP: Rollup = Rollup {
    source: "email_sends",
    counted: SEND_COLUMNS,
    table: "email_activity",
    keys: &["email_campaign_id", "retailer_id", "kind", "slot"],
    key_types: &["UUID", "UUID", "INTEGER", "BIGINT"],
    counts: &["n"],
    rows,
};

fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    activity(backend, source, sign, true, ("slot", SLOT_SECS))
}

/// Each send of `source` (× `sign`) once per kind it reached, in the interval it happened
/// (`(column, seconds)`: the 15-minute slot, or the hour), by email campaign and, when
/// `by_retailer`, retailer.
pub fn activity(
    backend: DbBackend,
    source: Source<'_>,
    sign: &str,
    by_retailer: bool,
    (column, secs): (&str, i64),
) -> String {
    let r = source.alias();
    let retailer = if by_retailer {
        format!("COALESCE({r}.retailer_id, {}) AS retailer_id, ", nil(backend))
    } else {
        String::new()
    };
    kinds(r)
        .iter()
        .map(|(kind, time)| {
            format!(
                "SELECT {r}.email_campaign_id AS email_campaign_id, {retailer}{kind} AS kind, {at} AS {column},
                        {sign}1 AS n
                 {from} WHERE {r}.email_campaign_id IS NOT NULL AND {time} IS NOT NULL",
                at = bucket(backend, time, secs),
                from = source.from(),
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}
