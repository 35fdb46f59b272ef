//! SQL fragments whose spelling differs between PostgreSQL and SQLite.

use super::Window;
use super::cuts::{Cuts, Stretch};
use entity::rollups::{PerRow, conversion_rollups, email_rollups, nil, order_rollups};
use sea_orm::DbBackend;
use sea_orm::sea_query::{Alias, Condition, Expr, Query, SelectStatement, UnionType};

pub use entity::rollups::cents;

/// The rows of a rollup that a window holds, exactly (`Cuts`): the rollup's rows of the
/// 15-minute slots it counts whole, and the raw rows of the stretches at its edges, counted
/// as the rollup counts them (`rows`, the same description its triggers use) and added or,
/// outside the window, subtracted. A period costs the rollup rows of its length plus the
/// raw rows of two stretches shorter than half a slot each, whatever the history. The
/// columns are the rollup's keys without the slot, and its counts.
fn period(backend: DbBackend, window: Window, rows: &PerRow, table: &str, counted: &str) -> SelectStatement {
    let cuts = Cuts::of(window);
    let (keys, counts) = (rows.columns)(backend, "s");
    let mut whole = Query::select();
    for (name, _) in keys.iter().chain(&counts) {
        whole.column(Alias::new(*name));
    }
    whole.from(Alias::new(table)).and_where(Expr::cust(format!("{table}.{counted} <> 0")));
    if cuts.no_whole {
        whole.and_where(Expr::cust("1 = 0"));
    }
    if let Some(first) = cuts.first {
        whole.and_where(Expr::cust(format!("{table}.{} >= {first}", rows.slot)));
    }
    if let Some(last) = cuts.last {
        whole.and_where(Expr::cust(format!("{table}.{} <= {last}", rows.slot)));
    }
    let mut union = whole;
    for sign in [1, -1] {
        let stretches: Vec<&Stretch> = cuts.raw.iter().filter(|s| s.sign == sign).collect();
        if stretches.is_empty() {
            continue;
        }
        let mut edges = Query::select();
        for (name, expr) in &keys {
            edges.expr_as(Expr::cust(expr.clone()), Alias::new(*name));
        }
        let negated = if sign < 0 { "-" } else { "" };
        for (name, expr) in &counts {
            edges.expr_as(Expr::cust(format!("{negated}{expr}")), Alias::new(*name));
        }
        edges.from_as(Alias::new(rows.source), Alias::new("s")).and_where(Expr::cust((rows.filter)("s")));
        let inside = stretches.iter().fold(Condition::any(), |any, s| any.add(s.condition("s", rows.time)));
        edges.cond_where(inside);
        union.union(UnionType::All, edges);
    }
    union
}

/// Where a query's email counts come from, read under the alias `email_sends` so that joins,
/// scopes and groupings on `email_sends.email_campaign_id` / `email_sends.retailer_id` serve
/// both: for all time `email_totals` (one row per email campaign × retailer), for a window
/// `email_rollups` per slot of the send time with the raw sends of the edge slots. Both are
/// kept exact by triggers (see their migrations); a retailer-less send counts under the nil
/// UUID, which joins no user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailRows {
    Totals,
    Period(Window),
}

impl EmailRows {
    pub fn for_window(window: Window) -> Self {
        if window == Window::ALL { EmailRows::Totals } else { EmailRows::Period(window) }
    }

    /// Adds the rows (leaving out keys whose sends were all deleted).
    pub fn from(self, backend: DbBackend, stmt: &mut SelectStatement) {
        match self {
            EmailRows::Totals => {
                stmt.from_as(Alias::new("email_totals"), Alias::new("email_sends"));
                stmt.and_where(Expr::cust("email_sends.sent > 0"));
            }
            EmailRows::Period(window) => {
                let rows = period(backend, window, &email_rollups::SENDS, "email_rollups", "sent");
                stmt.from_subquery(rows, Alias::new("email_sends"));
            }
        }
    }

    /// Adds the E5 counts (sent, delivered, opened, human_opened, clicked, bounced) to a select.
    pub fn select_counts(stmt: &mut SelectStatement) {
        for c in ["sent", "delivered", "opened", "human_opened", "clicked", "bounced"] {
            stmt.expr_as(Expr::cust(format!("CAST(COALESCE(SUM(email_sends.{c}), 0) AS BIGINT)")), Alias::new(c));
        }
    }
}

/// Where a query's conversions or orders come from, read under the raw table's name so that
/// joins, scopes and groupings on `campaign_id` / `retailer_id` / `order_status` /
/// `attributed_to_email` serve both: all the rows of `conversion_rollups` / `order_rollups`
/// for all time, for a window its whole slots and the raw rows of the edge slots. Missing
/// campaigns and retailers count under the nil UUID, missing categories and types under `''`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevenueRows {
    Totals,
    Period(Window),
}

/// A conversion linked to a send (in `RevenueRows`).
pub const LINKED: &str = "crm_conversions.linked = 1";
/// A completed order attributed to email (in `RevenueRows`).
pub const ATTRIBUTED: &str = "ecommerce_orders.order_status = 'completed' AND ecommerce_orders.attributed_to_email";
/// A conversion's product category, NULL for none (in `RevenueRows`).
pub const CATEGORY: &str = "NULLIF(crm_conversions.product_category, '')";

/// The two tables `RevenueRows` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revenue {
    Conversions,
    Orders,
}

impl Revenue {
    /// The raw table, also the alias its rows are read under.
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

    /// How many rows where `condition` holds, as a BIGINT.
    pub fn count(self, condition: &str) -> String {
        format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN {}.n ELSE 0 END), 0) AS BIGINT)", self.table())
    }

    /// Their value in cents where `condition` holds (a missing value counts 0), as a BIGINT.
    pub fn cents(self, condition: &str) -> String {
        format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN {}.cents ELSE 0 END), 0) AS BIGINT)", self.table())
    }

    /// A retailer id that stands for a retailer (not the nil UUID of rows without one).
    pub fn has_retailer(self, backend: DbBackend) -> String {
        format!("{}.retailer_id <> {}", self.table(), nil(backend))
    }

    /// How each row of the table counts in its rollup (the description its triggers use).
    pub(crate) fn rows(self) -> &'static PerRow {
        match self {
            Revenue::Conversions => &conversion_rollups::CONVERSIONS,
            Revenue::Orders => &order_rollups::ORDERS,
        }
    }
}

impl RevenueRows {
    pub fn for_window(window: Window) -> Self {
        if window == Window::ALL { RevenueRows::Totals } else { RevenueRows::Period(window) }
    }

    /// Adds the rows (leaving out keys whose rows were all deleted).
    pub fn from(self, backend: DbBackend, stmt: &mut SelectStatement, of: Revenue) {
        match self {
            RevenueRows::Totals => {
                stmt.from_as(Alias::new(of.rollup()), Alias::new(of.table()));
                stmt.and_where(Expr::cust(format!("{}.n <> 0", of.table())));
            }
            RevenueRows::Period(window) => {
                stmt.from_subquery(period(backend, window, of.rows(), of.rollup(), "n"), Alias::new(of.table()));
            }
        }
    }
}
