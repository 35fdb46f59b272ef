//! The figures: pure decimal maths (`metrics`) over counts and amounts that batched
//! aggregate queries (`totals`) read from the database.

pub mod breakdown;
pub mod cuts;
pub mod metrics;
pub mod portfolio;
pub mod ranking;
pub mod rollups;
pub mod significance;
pub mod sql;
pub mod timeline;
pub mod totals;

pub use metrics::{EmailCounts, PerformanceTier, RevenueTotals};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ExprTrait, SimpleExpr};

/// A time range that analytics count within; either end may be open. Email figures count the
/// sends *sent* in the range (and what became of them, whenever it happened), so rates stay
/// rates; conversions and orders count by their own dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Window {
    /// Everything, whenever it happened.
    pub const ALL: Window = Window { from: None, to: None };

    /// `table.column` inside the range; `None` when the range is open both ways.
    pub fn condition(&self, table: &str, column: &str) -> Option<SimpleExpr> {
        let from = self.from.map(|f| crate::services::column(table, column).gte(f));
        let to = self.to.map(|t| crate::services::column(table, column).lte(t));
        match (from, to) {
            (Some(a), Some(b)) => Some(a.and(b)),
            (a, b) => a.or(b),
        }
    }
}
