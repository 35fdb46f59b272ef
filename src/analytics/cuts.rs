//! A window of time cut into what the rollups count exactly (whole 15-minute slots) and what
//! only raw rows can (stretches at its edges), for every figure with a period.

use super::Window;
use super::timeline::SLOT_SECS;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, ExprTrait};

/// A window cut into what the rollups count exactly and what only raw rows can: whole
/// 15-minute slots, and at each edge that cuts a slot, a stretch of raw rows: either the
/// part of the slot inside the window, added, or (when it is the shorter) the part outside,
/// subtracted from the whole slot. A window ending at 23:59:59 so reads the rows of one
/// second, not of 15 minutes, so an edge costs little however dense the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cuts {
    /// The first and last slot (inclusive) counted whole; `None` on an open side.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// No slot is counted whole (both edges in one slot): only `raw` counts.
    pub no_whole: bool,
    /// Stretches read from raw rows.
    pub raw: Vec<Stretch>,
}

/// A stretch of time whose raw rows are counted, `sign` 1 (added) or -1 (subtracted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch {
    pub from: DateTime<Utc>,
    pub from_inclusive: bool,
    pub to: DateTime<Utc>,
    pub to_inclusive: bool,
    pub sign: i64,
}

/// The start of slot `n`.
pub fn slot_start(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(n * SLOT_SECS, 0).unwrap_or_default()
}

impl Cuts {
    pub fn of(window: Window) -> Cuts {
        let slot_of = |t: DateTime<Utc>| t.timestamp().div_euclid(SLOT_SECS);
        // `from` counts from its instant: its slot is whole only when it starts there.
        let mut first = window.from.map(|f| if slot_start(slot_of(f)) == f { slot_of(f) } else { slot_of(f) + 1 });
        // `to` is inclusive to the microsecond: its slot is whole only when `to` is its last
        // microsecond.
        let mut last = window.to.map(|t| {
            let end = slot_start(slot_of(t) + 1);
            if end - Duration::microseconds(1) <= t { slot_of(t) } else { slot_of(t) - 1 }
        });
        let stretch =
            |from, from_inclusive, to, to_inclusive, sign| Stretch { from, from_inclusive, to, to_inclusive, sign };
        if let (Some(f), Some(t), Some(fs), Some(ls)) = (window.from, window.to, first, last)
            && fs > ls
        {
            return Cuts { first, last, no_whole: true, raw: vec![stretch(f, true, t, true, 1)] };
        }
        let mut raw = Vec::new();
        if let (Some(f), Some(fs)) = (window.from, first)
            && f < slot_start(fs)
        {
            // The cut slot is `fs - 1`: [its start, f) lies outside, [f, its end) inside.
            let (start, end) = (slot_start(fs - 1), slot_start(fs));
            if f - start < end - f {
                first = Some(fs - 1);
                raw.push(stretch(start, true, f, false, -1));
            } else {
                raw.push(stretch(f, true, end, false, 1));
            }
        }
        if let (Some(t), Some(ls)) = (window.to, last)
            && slot_start(ls + 1) <= t
        {
            // The cut slot is `ls + 1`: [its start, t] lies inside, (t, its end) outside.
            let (start, end) = (slot_start(ls + 1), slot_start(ls + 2));
            if end - t < t - start {
                last = Some(ls + 1);
                raw.push(stretch(t, false, end, false, -1));
            } else {
                raw.push(stretch(start, true, t, true, 1));
            }
        }
        Cuts { first, last, no_whole: false, raw }
    }
}

impl Stretch {
    /// `table.column` inside the stretch.
    pub fn condition(&self, table: &str, column: &str) -> Condition {
        let c = || crate::services::column(table, column);
        let after = if self.from_inclusive { c().gte(self.from) } else { c().gt(self.from) };
        let before = if self.to_inclusive { c().lte(self.to) } else { c().lt(self.to) };
        Condition::all().add(after).add(before)
    }
}
