//! Reads that resolvers and REST handlers call: listing and finding records, with the
//! filters, orderings and keyset pagination they need, always within the caller's scope.
//! Resolvers never query entities themselves, so each rule about what is read lives here once.

pub mod campaigns;
pub mod conversions;
pub mod email_campaigns;
pub mod listing;
pub mod orders;
pub mod page;
pub mod planning;
pub mod sends;
pub mod users;
pub mod visibility;

use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoColumnRef, LikeExpr, SimpleExpr};

/// `table.name`, a column of a table or of a table's alias, quoted as each backend wants it.
pub fn column(table: &str, name: &str) -> SimpleExpr {
    Expr::col((sea_orm::sea_query::Alias::new(table), sea_orm::sea_query::Alias::new(name)))
}

/// `column` contains `text`, ignoring case; `%` and `_` in `text` are literal characters.
pub fn contains_ignoring_case(column: impl IntoColumnRef, text: &str) -> SimpleExpr {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}
