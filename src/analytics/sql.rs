//! SQL fragments whose spelling differs between PostgreSQL and SQLite.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Alias, Expr, SelectStatement};

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

/// Where a query's email counts come from. For all time, from `email_totals` (one row per
/// email campaign × retailer, kept exact by triggers; see its migration), read under the
/// alias `email_sends` so that joins, scopes and groupings on `email_sends.email_campaign_id`
/// / `email_sends.retailer_id` serve both; within a time window, from the sends themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailRows {
    Rollups,
    Raw,
}

impl EmailRows {
    pub fn for_window(window: super::Window) -> Self {
        if window == super::Window::ALL { EmailRows::Rollups } else { EmailRows::Raw }
    }

    /// Adds the table (and, for rollups, leaves out slots whose sends were all deleted).
    pub fn from(self, stmt: &mut SelectStatement) {
        match self {
            EmailRows::Rollups => {
                stmt.from_as(Alias::new("email_totals"), Alias::new("email_sends"));
                stmt.and_where(Expr::cust("email_sends.sent > 0"));
            }
            EmailRows::Raw => {
                stmt.from(Alias::new("email_sends"));
            }
        }
    }

    /// (alias, expression) of the E5 counts: sent, delivered, opened, human_opened, clicked, bounced.
    pub fn counts(self) -> [(&'static str, String); 6] {
        match self {
            EmailRows::Rollups => ["sent", "delivered", "opened", "human_opened", "clicked", "bounced"]
                .map(|c| (c, format!("CAST(COALESCE(SUM(email_sends.{c}), 0) AS BIGINT)"))),
            EmailRows::Raw => [
                ("sent", "CAST(COUNT(*) AS BIGINT)".to_owned()),
                ("delivered", count_if(DELIVERED)),
                ("opened", count_if(OPENED)),
                ("human_opened", count_if(HUMAN_OPENED)),
                ("clicked", count_if(CLICKED)),
                ("bounced", count_if(&bounced())),
            ],
        }
    }

    /// Adds the counts to a select.
    pub fn select_counts(self, stmt: &mut SelectStatement) {
        for (alias, expr) in self.counts() {
            stmt.expr_as(Expr::cust(expr), Alias::new(alias));
        }
    }
}
