//! Campaign activity over time. The database counts each kind of event per 15-minute UTC
//! slot (every time zone in use today is a whole number of quarter hours from UTC), or per UTC
//! hour or day where the buckets asked for are made of whole ones; the slots are then gathered
//! into hour, day or ISO-week buckets of the caller's time zone, so a user in New York gets
//! New York days, with 23- and 25-hour days at the DST changes.

use super::Window;
use super::cuts::{Cuts, Stretch};
use super::sql::Revenue;
use crate::auth::Scope;
use crate::services::visibility::own_retailer;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use entity::Money;
use entity::rollups::email_activity::kinds as activity_kinds;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, Value};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Seconds per slot.
pub const SLOT_SECS: i64 = entity::rollups::SLOT_SECS;
/// The most buckets one timeline may have.
pub const MAX_BUCKETS: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
    /// ISO weeks, from Monday 00:00.
    Week,
}

/// What happened in one slot. The numbers are stored (`email_activity.kind`): never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Sent = 0,
    Delivered = 1,
    Opened = 2,
    Clicked = 3,
    Conversion = 4,
    CompletedOrder = 5,
}

/// Events of one kind in one slot of one campaign.
#[derive(Debug, Clone, Copy, FromQueryResult)]
pub struct SlotRow {
    pub campaign: Uuid,
    pub kind: i32,
    pub slot: i64,
    pub n: i64,
    pub cents: i64,
}

/// One bucket of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Point {
    pub start: DateTime<Utc>,
    pub sent: i64,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
    pub conversions: i64,
    /// Conversions' value plus completed orders' value.
    pub revenue: Money,
}

/// How finely `slots` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// 15-minute slots: any time zone's buckets.
    Quarter,
    /// Whole UTC hours (rows at each hour's first slot): enough for a zone whose offsets are
    /// whole hours, and a quarter of the rows.
    Hour,
    /// Whole UTC days: enough for days and weeks of a zone that is UTC all year.
    Day,
}

impl Resolution {
    /// The coarsest resolution whose slots never straddle a bucket boundary of `interval` in
    /// `tz`, judged by every offset it has had since 1970 and has planned until 2100.
    pub fn for_buckets(tz: &Tz, interval: Interval) -> Resolution {
        use chrono::Offset;
        let offsets: Vec<i32> = (1970..2100)
            .flat_map(|y| [1, 4, 7, 10].map(move |m| (y, m)))
            .map(|(y, m)| {
                let t = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or_default();
                tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()
            })
            .collect();
        if offsets.iter().any(|o| o % 3600 != 0) {
            Resolution::Quarter
        } else if interval != Interval::Hour && offsets.iter().all(|o| *o == 0) {
            Resolution::Day
        } else {
            Resolution::Hour
        }
    }

    /// 15-minute slots per unit.
    fn slots(self) -> i64 {
        match self {
            Resolution::Quarter => 1,
            Resolution::Hour => 4,
            Resolution::Day => 96,
        }
    }

    /// The activity summed over retailers at this resolution, and its unit column.
    fn activity(self) -> (&'static str, &'static str) {
        match self {
            Resolution::Quarter => ("email_activity_all", "slot"),
            Resolution::Hour => ("email_activity_hourly", "hour"),
            Resolution::Day => ("email_activity_daily", "day"),
        }
    }
}

impl Cuts {
    /// The first and last unit of `per_unit` slots wholly inside the whole slots (a unit
    /// starting at or after `first`, ending at or before `last`); `None` on an open side.
    fn units(&self, per_unit: i64) -> (Option<i64>, Option<i64>) {
        let first = self.first.map(|f| f.div_euclid(per_unit) + i64::from(f.rem_euclid(per_unit) != 0));
        let last = self.last.map(|l| (l + 1).div_euclid(per_unit) - 1);
        (first, last)
    }

    /// `column` (a slot number, or a unit of `per_unit` slots) within the whole units.
    fn whole(&self, column: &str, per_unit: i64) -> String {
        if self.no_whole {
            return "1 = 0".to_owned();
        }
        let (first, last) = self.units(per_unit);
        between(column, first, last)
    }

    /// Slot column `column` within the whole slots that whole units of `per_unit` slots leave
    /// out (the cut units at the edges).
    fn whole_outside_units(&self, column: &str, per_unit: i64) -> String {
        if self.no_whole || per_unit == 1 {
            return "1 = 0".to_owned();
        }
        // The units' first and last slots.
        let (first_unit, last_unit) = self.units(per_unit);
        let (unit_first, unit_last) = (first_unit.map(|u| u * per_unit), last_unit.map(|u| (u + 1) * per_unit - 1));
        match (unit_first, unit_last) {
            // No whole unit: every whole slot.
            (Some(uf), Some(ul)) if uf > ul => between(column, self.first, self.last),
            (uf, ul) => {
                let mut parts = Vec::new();
                if let (Some(f), Some(uf)) = (self.first, uf)
                    && f < uf
                {
                    parts.push(format!("({})", between(column, Some(f), Some(uf - 1))));
                }
                if let (Some(l), Some(ul)) = (self.last, ul)
                    && ul < l
                {
                    parts.push(format!("({})", between(column, Some(ul + 1), Some(l))));
                }
                if parts.is_empty() { "1 = 0".to_owned() } else { parts.join(" OR ") }
            }
        }
    }
}

/// `column` between `lo` and `hi` (inclusive; an open side is no bound).
fn between(column: &str, lo: Option<i64>, hi: Option<i64>) -> String {
    let bounds = [lo.map(|v| format!("{column} >= {v}")), hi.map(|v| format!("{column} <= {v}"))];
    let parts: Vec<String> = bounds.into_iter().flatten().collect();
    if parts.is_empty() { "1 = 1".to_owned() } else { parts.join(" AND ") }
}

/// Statement parameters, numbered for PostgreSQL (`$n`) or in order for SQLite (`?`).
struct Params {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Params {
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Sqlite => "?".to_owned(),
            _ => format!("${}", self.values.len()),
        }
    }

    fn list(&mut self, keys: &[Uuid]) -> String {
        keys.iter().map(|k| self.bind(*k)).collect::<Vec<_>>().join(", ")
    }

    /// `time` inside one of the stretches.
    fn stretches(&mut self, time: &str, raw: &[&Stretch]) -> String {
        let parts: Vec<String> = raw
            .iter()
            .map(|s| {
                let (after, before) =
                    (if s.from_inclusive { ">=" } else { ">" }, if s.to_inclusive { "<=" } else { "<" });
                format!("({time} {after} {} AND {time} {before} {})", self.bind(s.from), self.bind(s.to))
            })
            .collect();
        format!("({})", parts.join(" OR "))
    }
}

/// Every event of the campaigns in `keys` inside `window`, counted per kind and slot (or
/// hour or day, at its first slot): one statement. Deliveries count at their time (or,
/// missing, at the open or click that proves them); opens at the open (or the click); clicks
/// at the click (errata E5). Exact at any window: whole units and slots come from the
/// rollups, the stretches of the edges that cut a slot from the raw rows.
pub async fn slots(
    db: &impl ConnectionTrait,
    scope: Scope,
    resolution: Resolution,
    window: Window,
    keys: &[Uuid],
) -> Result<HashMap<Uuid, Vec<SlotRow>>, DbErr> {
    let mut out: HashMap<Uuid, Vec<SlotRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    if keys.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let cuts = Cuts::of(window);
    let own = own_retailer(scope);
    let mut p = Params { backend, values: Vec::new() };
    let n = resolution.slots();
    // A 15-minute slot, at the start of its unit at the resolution asked for (a whole unit
    // never straddles a bucket, `Resolution::for_buckets`).
    let at = |slot: &str| if n == 1 { slot.to_owned() } else { format!("(({slot} / {n}) * {n})") };
    let mut parts = Vec::new();

    // Sends, deliveries, opens and clicks of whole slots come from `email_activity` (a
    // retailer's own rows) or its sums over retailers at the resolution asked for;
    // conversions and completed orders from `conversion_rollups` and `order_rollups`. Triggers
    // keep each equal to a count of the raw rows (see their migrations for the times counted).
    let email_part = |p: &mut Params, table: &str, slot: String, within: String| {
        let list = p.list(keys);
        let mine = own.map(|r| format!(" AND a.retailer_id = {}", p.bind(r))).unwrap_or_default();
        format!(
            "SELECT email_campaigns.campaign_id AS campaign, a.kind AS kind, {slot} AS slot, SUM(a.n) AS n, 0 AS cents
             FROM {table} AS a JOIN email_campaigns ON email_campaigns.id = a.email_campaign_id
             WHERE email_campaigns.campaign_id IN ({list}){mine} AND {within}
             GROUP BY email_campaigns.campaign_id, a.kind, {slot} HAVING SUM(a.n) <> 0"
        )
    };
    if own.is_some() {
        parts.push(email_part(&mut p, "email_activity", at("a.slot"), cuts.whole("a.slot", 1)));
    } else {
        let (table, unit) = resolution.activity();
        let unit_column = format!("a.{unit}");
        parts.push(email_part(&mut p, table, format!("({unit_column} * {n})"), cuts.whole(&unit_column, n)));
        if n > 1 {
            let (all, _) = Resolution::Quarter.activity();
            parts.push(email_part(&mut p, all, "a.slot".to_owned(), cuts.whole_outside_units("a.slot", n)));
        }
    }
    for (kind, rollup, only) in [
        (EventKind::Conversion, "conversion_rollups", "1 = 1"),
        (EventKind::CompletedOrder, "order_rollups", "a.order_status = 'completed'"),
    ] {
        let list = p.list(keys);
        let mine = own.map(|r| format!(" AND a.retailer_id = {}", p.bind(r))).unwrap_or_default();
        parts.push(format!(
            "SELECT a.campaign_id AS campaign, {k} AS kind, {slot} AS slot, SUM(a.n) AS n, SUM(a.cents) AS cents
             FROM {rollup} AS a WHERE a.campaign_id IN ({list}) AND {only}{mine} AND {within}
             GROUP BY a.campaign_id, {slot} HAVING SUM(a.n) <> 0",
            k = kind as i32,
            slot = at("a.slot"),
            within = cuts.whole("a.slot", 1),
        ));
    }

    // The edges' stretches, from the raw rows, per 15-minute slot: those inside the window
    // added, those outside it subtracted from their whole slot.
    for sign in [1, -1] {
        let raw: Vec<&Stretch> = cuts.raw.iter().filter(|s| s.sign == sign).collect();
        if raw.is_empty() {
            continue;
        }
        for (kind, time) in activity_kinds("s") {
            let list = p.list(keys);
            let mine = own.map(|r| format!(" AND s.retailer_id = {}", p.bind(r))).unwrap_or_default();
            let inside = p.stretches(&time, &raw);
            let slot = entity::rollups::slot(backend, &time);
            parts.push(format!(
                "SELECT email_campaigns.campaign_id AS campaign, {kind} AS kind, {slot} AS slot, {sign} * COUNT(*) AS n, 0 AS cents
                 FROM email_sends AS s JOIN email_campaigns ON email_campaigns.id = s.email_campaign_id
                 WHERE email_campaigns.campaign_id IN ({list}){mine} AND {inside}
                 GROUP BY email_campaigns.campaign_id, {slot}"
            ));
        }
        // Conversions and completed orders counted as their rollups count them (`PerRow`).
        for (kind, of, only) in [
            (EventKind::Conversion, Revenue::Conversions, "1 = 1"),
            (EventKind::CompletedOrder, Revenue::Orders, "s.order_status = 'completed'"),
        ] {
            let rows = of.rows();
            let (_, counts) = (rows.columns)(backend, "s");
            let count = |name: &str| counts.iter().find(|(n, _)| *n == name).map(|(_, e)| e.clone());
            let (Some(n), Some(cents)) = (count("n"), count("cents")) else {
                return Err(DbErr::Custom(format!("{} counts no `n` and `cents`", rows.source)));
            };
            let time = format!("s.{}", rows.time);
            let list = p.list(keys);
            let mine = own.map(|r| format!(" AND s.retailer_id = {}", p.bind(r))).unwrap_or_default();
            let inside = p.stretches(&time, &raw);
            let slot = entity::rollups::slot(backend, &time);
            parts.push(format!(
                "SELECT s.campaign_id AS campaign, {k} AS kind, {slot} AS slot, {sign} * SUM({n}) AS n, {sign} * SUM({cents}) AS cents
                 FROM {table} AS s WHERE s.campaign_id IN ({list}) AND {filter} AND {only}{mine} AND {inside}
                 GROUP BY s.campaign_id, {slot}",
                k = kind as i32,
                table = rows.source,
                filter = (rows.filter)("s"),
            ));
        }
    }
    let sql = format!(
        "SELECT campaign, CAST(kind AS INTEGER) AS kind, CAST(slot AS BIGINT) AS slot, CAST(n AS BIGINT) AS n,
                CAST(cents AS BIGINT) AS cents FROM ({}) AS events",
        parts.join("\nUNION ALL\n")
    );
    let statement = Statement::from_sql_and_values(backend, sql, p.values);
    for row in SlotRow::find_by_statement(statement).all(db).await? {
        out.entry(row.campaign).or_default().push(row);
    }
    Ok(out)
}

/// The UTC instant of a local wall-clock time; in a DST gap, the first instant after it;
/// when ambiguous, the earlier one.
fn instant(tz: &Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..8 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&local)
}

fn midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// The start of the bucket that holds `t`, in `tz`.
pub fn bucket_start(t: DateTime<Utc>, interval: Interval, tz: &Tz) -> DateTime<Utc> {
    let local = t.with_timezone(tz).naive_local();
    match interval {
        // The wall-clock hour that holds `t`, taken with `t`'s own offset, so the repeated
        // hour of a fall-back change is two buckets and never ambiguous.
        Interval::Hour => {
            let into_hour = i64::from(local.minute()) * 60 + i64::from(local.second());
            t - Duration::seconds(into_hour) - Duration::nanoseconds(i64::from(t.nanosecond()))
        }
        Interval::Day => instant(tz, midnight(local.date())),
        Interval::Week => {
            let monday = local.date() - Duration::days(i64::from(local.weekday().num_days_from_monday()));
            instant(tz, midnight(monday))
        }
    }
}

/// The start of the bucket after the one starting at `start` (always later than `start`).
fn next_bucket(start: DateTime<Utc>, interval: Interval, tz: &Tz) -> DateTime<Utc> {
    let date = start.with_timezone(tz).naive_local().date();
    let next = match interval {
        Interval::Hour => bucket_start(start + Duration::hours(1), interval, tz),
        Interval::Day => instant(tz, midnight(date + Duration::days(1))),
        Interval::Week => instant(tz, midnight(date + Duration::days(7))),
    };
    if next > start { next } else { start + Duration::hours(1) }
}

/// Gathers slots into buckets from the bucket of `from` to the bucket of `to`, inclusive,
/// empty buckets included. The rows are counted as they are: `slots` already cut them to the
/// window, so a bucket that the window cuts holds only what happened inside it. `Err` when
/// that would be more than `MAX_BUCKETS`.
pub fn buckets(
    rows: &[SlotRow],
    interval: Interval,
    tz: &Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Point>, usize> {
    let mut points: BTreeMap<DateTime<Utc>, Point> = BTreeMap::new();
    let last = bucket_start(to, interval, tz);
    let mut b = bucket_start(from, interval, tz);
    while b <= last {
        points.insert(b, Point { start: b, ..Point::default() });
        if points.len() > MAX_BUCKETS {
            return Err(MAX_BUCKETS);
        }
        b = next_bucket(b, interval, tz);
    }
    for row in rows {
        let Some(t) = DateTime::from_timestamp(row.slot * SLOT_SECS, 0) else { continue };
        let Some(p) = points.get_mut(&bucket_start(t, interval, tz)) else { continue };
        match row.kind {
            k if k == EventKind::Sent as i32 => p.sent += row.n,
            k if k == EventKind::Delivered as i32 => p.delivered += row.n,
            k if k == EventKind::Opened as i32 => p.opened += row.n,
            k if k == EventKind::Clicked as i32 => p.clicked += row.n,
            k if k == EventKind::Conversion as i32 => {
                p.conversions += row.n;
                p.revenue += Money::from_cents(row.cents);
            }
            _ => p.revenue += Money::from_cents(row.cents),
        }
    }
    Ok(points.into_values().collect())
}

/// The span of the data: the starts of the first and the last row's slot (or unit), if any.
pub fn span(rows: &[SlotRow]) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = rows.iter().map(|r| r.slot).min()?;
    let last = rows.iter().map(|r| r.slot).max()?;
    Some((DateTime::from_timestamp(first * SLOT_SECS, 0)?, DateTime::from_timestamp(last * SLOT_SECS, 0)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> Tz {
        "America/New_York".parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn new_york_days_start_at_local_midnight_and_dst_days_are_23_and_25_hours() {
        let tz = ny();
        assert_eq!(bucket_start(utc("2025-01-15T03:00:00Z"), Interval::Day, &tz), utc("2025-01-14T05:00:00Z"));
        let spring = bucket_start(utc("2025-03-09T12:00:00Z"), Interval::Day, &tz);
        assert_eq!(next_bucket(spring, Interval::Day, &tz) - spring, Duration::hours(23));
        let fall = bucket_start(utc("2025-11-02T12:00:00Z"), Interval::Day, &tz);
        assert_eq!(next_bucket(fall, Interval::Day, &tz) - fall, Duration::hours(25));
    }

    #[test]
    fn hours_across_the_fall_back_change_are_25_distinct_buckets() {
        let tz = ny();
        let rows = [];
        let points =
            buckets(&rows, Interval::Hour, &tz, utc("2025-11-02T04:00:00Z"), utc("2025-11-03T04:59:59Z")).unwrap();
        assert_eq!(points.len(), 25);
        assert!(points.windows(2).all(|w| w[1].start - w[0].start == Duration::hours(1)));
        let spring =
            buckets(&rows, Interval::Hour, &tz, utc("2025-03-09T05:00:00Z"), utc("2025-03-10T03:59:59Z")).unwrap();
        assert_eq!(spring.len(), 23);
    }

    #[test]
    fn weeks_are_iso_weeks_from_monday() {
        let utc_tz: Tz = "UTC".parse().unwrap();
        // 2025-01-01 is a Wednesday; its ISO week starts Monday 2024-12-30.
        assert_eq!(bucket_start(utc("2025-01-01T10:00:00Z"), Interval::Week, &utc_tz), utc("2024-12-30T00:00:00Z"));
        assert_eq!(bucket_start(utc("2025-01-05T23:59:59Z"), Interval::Week, &utc_tz), utc("2024-12-30T00:00:00Z"));
        assert_eq!(bucket_start(utc("2025-01-06T00:00:00Z"), Interval::Week, &utc_tz), utc("2025-01-06T00:00:00Z"));
    }

    #[test]
    fn empty_buckets_are_present_and_events_land_in_theirs() {
        let tz: Tz = "UTC".parse().unwrap();
        let slot = |t: &str| utc(t).timestamp() / SLOT_SECS;
        let rows = [
            SlotRow { campaign: Uuid::nil(), kind: 0, slot: slot("2025-01-01T10:15:00Z"), n: 2, cents: 0 },
            SlotRow { campaign: Uuid::nil(), kind: 4, slot: slot("2025-01-03T23:45:00Z"), n: 1, cents: 1050 },
        ];
        let points =
            buckets(&rows, Interval::Day, &tz, utc("2025-01-01T00:00:00Z"), utc("2025-01-04T00:00:00Z")).unwrap();
        assert_eq!(points.len(), 4);
        assert_eq!((points[0].sent, points[1].sent, points[2].conversions), (2, 0, 1));
        assert_eq!(points[2].revenue.to_string(), "10.50");
        assert!(buckets(&rows, Interval::Hour, &tz, utc("2000-01-01T00:00:00Z"), utc("2025-01-01T00:00:00Z")).is_err());
    }
}
