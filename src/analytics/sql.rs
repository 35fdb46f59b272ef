//! SQL fragments whose spelling differs between PostgreSQL and SQLite.

use sea_orm::DbBackend;

/// A money column as an exact integer number of cents: `NUMERIC × 100` on PostgreSQL; on
/// SQLite the canonical text `"1234.50"` with the point removed (see `entity::money`).
pub fn cents(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("CAST(REPLACE({column}, '.', '') AS INTEGER)"),
        _ => format!("({column} * 100)"),
    }
}

/// `SUM` of a cents expression over the rows where `condition` holds, as a BIGINT (0 for none).
/// SQLite adds integers exactly (and errors on overflow rather than rounding).
pub fn sum_cents(backend: DbBackend, column: &str, condition: &str) -> String {
    let cents = cents(backend, column);
    format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN {cents} ELSE 0 END), 0) AS BIGINT)")
}

/// E5: a send counts as delivered when it was delivered, opened or clicked.
pub const DELIVERED: &str = "(email_sends.delivered_at IS NOT NULL OR email_sends.status = 'delivered' \
     OR email_sends.opened_at IS NOT NULL OR email_sends.clicked_at IS NOT NULL)";
/// E5: a send counts as opened when it was opened or clicked.
pub const OPENED: &str = "(email_sends.opened_at IS NOT NULL OR email_sends.clicked_at IS NOT NULL)";
/// A send counts as opened by a person when a non-machine open or a click was recorded.
pub const HUMAN_OPENED: &str = "(email_sends.human_opened_at IS NOT NULL OR email_sends.clicked_at IS NOT NULL)";
pub const CLICKED: &str = "(email_sends.clicked_at IS NOT NULL)";
/// Bounced or failed, and never delivered.
pub fn bounced() -> String {
    format!("(email_sends.status IN ('bounced', 'failed') AND NOT {DELIVERED})")
}

/// `COUNT` of rows where `condition` holds, as a BIGINT.
pub fn count_if(condition: &str) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)")
}
