//! The figures: pure decimal maths (`metrics`) over counts and amounts that batched
//! aggregate queries (`totals`) read from the database.

pub mod breakdown;
pub mod metrics;
pub mod portfolio;
pub mod ranking;
pub mod significance;
pub mod sql;
pub mod timeline;
pub mod totals;

pub use metrics::{EmailCounts, PerformanceTier, RevenueTotals};
