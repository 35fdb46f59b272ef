//! SQL fragments whose spelling differs between PostgreSQL and SQLite.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Alias, Expr, SelectStatement};

pub use migration::rollup_sql::cents;

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

/// Where a query's conversions or orders come from: for all time, from `conversion_rollups`
/// / `order_rollups` (kept exact by triggers; see their migrations) read under the raw
/// table's name, so joins, scopes and groupings on `campaign_id` / `retailer_id` /
/// `order_status` / `attributed_to_email` serve both; within a time window, from the rows
/// themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevenueRows {
    Rollups,
    Raw,
}

/// The two tables `RevenueRows` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revenue {
    Conversions,
    Orders,
}

impl Revenue {
    /// The raw table, also the alias the rollup is read under.
    pub fn table(self) -> &'static str {
        match self {
            Revenue::Conversions => "crm_conversions",
            Revenue::Orders => "ecommerce_orders",
        }
    }

    fn rollup(self) -> &'static str {
        match self {
            Revenue::Conversions => "conversion_rollups",
            Revenue::Orders => "order_rollups",
        }
    }

    fn value(self) -> &'static str {
        match self {
            Revenue::Conversions => "crm_conversions.conversion_value",
            Revenue::Orders => "ecommerce_orders.order_value",
        }
    }
}

impl RevenueRows {
    pub fn for_window(window: super::Window) -> Self {
        if window == super::Window::ALL { RevenueRows::Rollups } else { RevenueRows::Raw }
    }

    /// Adds the table (for rollups, without the keys whose rows were all deleted).
    pub fn from(self, stmt: &mut SelectStatement, of: Revenue) {
        match self {
            RevenueRows::Rollups => {
                stmt.from_as(Alias::new(of.rollup()), Alias::new(of.table()));
                stmt.and_where(Expr::cust(format!("{}.n <> 0", of.table())));
            }
            RevenueRows::Raw => {
                stmt.from(Alias::new(of.table()));
            }
        }
    }

    /// How many rows where `condition` holds, as a BIGINT.
    pub fn count(self, of: Revenue, condition: &str) -> String {
        match self {
            RevenueRows::Rollups => {
                format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN {}.n ELSE 0 END), 0) AS BIGINT)", of.table())
            }
            RevenueRows::Raw => count_if(condition),
        }
    }

    /// Their value in cents where `condition` holds (a missing value counts 0), as a BIGINT.
    pub fn cents(self, backend: DbBackend, of: Revenue, condition: &str) -> String {
        match self {
            RevenueRows::Rollups => {
                format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN {}.cents ELSE 0 END), 0) AS BIGINT)", of.table())
            }
            RevenueRows::Raw => sum_cents(backend, of.value(), &format!("{condition} AND {} IS NOT NULL", of.value())),
        }
    }

    /// A conversion linked to a send.
    pub fn linked(self) -> &'static str {
        match self {
            RevenueRows::Rollups => "crm_conversions.linked = 1",
            RevenueRows::Raw => "crm_conversions.email_send_id IS NOT NULL",
        }
    }

    /// A conversion's product category (NULL for none).
    pub fn category(self) -> &'static str {
        match self {
            RevenueRows::Rollups => "NULLIF(crm_conversions.product_category, '')",
            RevenueRows::Raw => "crm_conversions.product_category",
        }
    }

    /// A retailer id that stands for a retailer (the rollups count rows without one under
    /// the nil UUID).
    pub fn has_retailer(self, backend: DbBackend, of: Revenue) -> String {
        match self {
            RevenueRows::Rollups => format!("{}.retailer_id <> {}", of.table(), migration::rollup_sql::nil(backend)),
            RevenueRows::Raw => format!("{}.retailer_id IS NOT NULL", of.table()),
        }
    }
}
