//! Figures that hold together, proven over classes:
//! - every numeric field of every figure type — the list read from the schema by
//!   introspection, never typed here — equals a plain recount of generated rows, as the brand
//!   and as a retailer, for windows whose edges fall anywhere (inside 15-minute slots, hours
//!   and days, on DST days), for timelines by hour, day and ISO week in UTC, America/New_York
//!   and Asia/Kolkata;
//! - the invariants, on the demo data and on generated data: leaderboard rows, regions, email
//!   campaigns, timeline buckets (every interval, three zones) and categories add up to the
//!   campaign's totals; funnel steps equal the performance counts; every rate equals its
//!   counts; REST equals GraphQL; a retailer's own figures equal their leaderboard row;
//!
//! on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL.
//!
//! A field the schema gains later is compared without editing this file when its name is one
//! the recount knows (`expected`); any other name fails the test, naming the field, until the
//! recount learns it. A type with numeric fields that is neither a figure type here nor listed
//! in `NOT_FIGURES` fails it too.
//! Cases: 4 by default; `FIGURES_CASES=100 cargo test --test figures` for more.

use crate::common::*;
use campaign_performance::config::Limits;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use chrono_tz::Tz;
use entity::enums::{CampaignStatus, ConversionType, OrderStatus, ProductCategory, Region, SendStatus};
use entity::{Money, crm_conversions, ecommerce_orders, email_sends, users};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

// ---------------------------------------------------------------- the schema's figures

/// Object types with numeric fields that are not figures of the data (connections' totalCount
/// is checked by the pagination tests; rows and mutation results echo what was stored).
const NOT_FIGURES: [&str; 11] = [
    "CampaignConnection",
    "CrmConversionConnection",
    "EcommerceOrderConnection",
    "EmailSendConnection",
    "UserConnection",
    "CrmConversion",
    "EcommerceOrder",
    "ItemResult",
    "RecordResult",
    "RegisterSendsResult",
    "QuarantinedItem",
];

/// The figure types this test reaches, each from its place in the schema.
const FIGURES: [&str; 14] = [
    "Campaign",
    "EmailCampaign",
    "CampaignPerformance",
    "EmailPerformance",
    "RetailerPerformance",
    "RegionPerformance",
    "Funnel",
    "CategoryPerformance",
    "TimelinePoint",
    "SubjectLineResult",
    "UserPerformance",
    "PortfolioSummary",
    "RegionSummary",
    "StatusCount",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Int,
    Float,
    Decimal,
}

/// Numeric fields (without required arguments) of every object type, by introspection.
async fn numeric_fields(db: &DatabaseConnection) -> BTreeMap<String, Vec<(String, Num)>> {
    let answer = gql(
        db,
        "{ __schema { types { name kind fields(includeDeprecated: true) { name args { type { kind } }
           type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }",
        json!({}),
    )
    .await;
    let mut out = BTreeMap::new();
    for t in answer["__schema"]["types"].as_array().unwrap() {
        if t["kind"] != "OBJECT" || t["name"].as_str().unwrap().starts_with("__") {
            continue;
        }
        let mut fields = Vec::new();
        for f in t["fields"].as_array().unwrap() {
            if f["args"].as_array().unwrap().iter().any(|a| a["type"]["kind"] == "NON_NULL") {
                continue;
            }
            let (mut ty, mut list) = (&f["type"], false);
            while ty["kind"] == "NON_NULL" || ty["kind"] == "LIST" {
                list |= ty["kind"] == "LIST";
                ty = &ty["ofType"];
            }
            let num = match ty["name"].as_str() {
                Some("Int") => Num::Int,
                Some("Float") => Num::Float,
                Some("Decimal") => Num::Decimal,
                _ => continue,
            };
            assert!(!list, "{}.{} is a list of numbers: teach this test what it holds", t["name"], f["name"]);
            fields.push((f["name"].as_str().unwrap().to_owned(), num));
        }
        if !fields.is_empty() {
            out.insert(t["name"].as_str().unwrap().to_owned(), fields);
        }
    }
    out
}

struct Schema(BTreeMap<String, Vec<(String, Num)>>);

impl Schema {
    async fn read(db: &DatabaseConnection) -> Schema {
        let fields = numeric_fields(db).await;
        for name in fields.keys() {
            assert!(
                FIGURES.contains(&name.as_str()) || NOT_FIGURES.contains(&name.as_str()),
                "{name} has numeric fields but is neither a figure type of this test nor in NOT_FIGURES"
            );
        }
        for name in FIGURES {
            assert!(fields.contains_key(name), "{name} has no numeric field any more: update FIGURES");
        }
        Schema(fields)
    }

    /// The selection of every numeric field of `ty`.
    fn select(&self, ty: &str) -> String {
        self.0.get(ty).map(|f| f.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(" ")).unwrap_or_default()
    }

    fn fields(&self, ty: &str) -> &[(String, Num)] {
        self.0.get(ty).map(Vec::as_slice).unwrap_or_default()
    }
}

// ---------------------------------------------------------------- generated data

#[derive(Debug, Clone)]
struct SendSpec {
    retailer: usize,
    email: usize,
    sent: i64,
    status: SendStatus,
    delivered: Option<i64>,
    opened: Option<i64>,
    machine_open: bool,
    clicked: Option<i64>,
}

#[derive(Debug, Clone)]
struct ConvSpec {
    /// Linked to this send (of the same retailer: the rule), or not.
    send: Option<usize>,
    retailer: usize,
    cents: i64,
    category: Option<ProductCategory>,
    at: i64,
}

#[derive(Debug, Clone)]
struct OrderSpec {
    retailer: usize,
    cents: i64,
    status: OrderStatus,
    attributed: bool,
    at: i64,
}

#[derive(Debug, Clone)]
struct CampaignSpec {
    /// Seconds after `BASES[base]` that the campaign's activity starts from.
    base: usize,
    spent_cents: i64,
    allocated_cents: Option<i64>,
    status: CampaignStatus,
    emails: usize,
    sends: Vec<SendSpec>,
    conversions: Vec<ConvSpec>,
    orders: Vec<OrderSpec>,
}

#[derive(Debug, Clone)]
struct WindowSpec {
    from: Option<(i64, u8)>,
    to: Option<(i64, u8)>,
}

#[derive(Debug, Clone)]
struct World {
    regions: Vec<Region>,
    campaigns: Vec<CampaignSpec>,
    windows: Vec<WindowSpec>,
}

/// Where activity starts: the week of New York's spring DST change, and of its fall one.
fn bases() -> [DateTime<Utc>; 2] {
    [at(2025, 3, 5, 0) + Duration::seconds(1234), at(2025, 10, 29, 0) + Duration::seconds(777)]
}

/// Twelve days, in seconds.
const SPAN: i64 = 12 * 86_400;

fn world() -> impl Strategy<Value = World> {
    let regions = prop::collection::vec(prop::sample::select(vec![Region::East, Region::West, Region::Central]), 1..6);
    regions.prop_flat_map(|regions| {
        let n = regions.len();
        let later = || prop::option::of(0..3 * 86_400i64);
        let send =
            (
                0..n,
                0..3usize,
                0..SPAN,
                prop::sample::select(vec![
                    SendStatus::Sent,
                    SendStatus::Delivered,
                    SendStatus::Bounced,
                    SendStatus::Failed,
                ]),
                later(),
                later(),
                any::<bool>(),
                later(),
            )
                .prop_map(|(retailer, email, sent, status, delivered, opened, machine_open, clicked)| {
                    SendSpec { retailer, email, sent, status, delivered, opened, machine_open, clicked }
                });
        let category = prop::option::of(prop::sample::select(vec![
            ProductCategory::Necklaces,
            ProductCategory::Bracelets,
            ProductCategory::Rings,
        ]));
        let conv = (prop::option::of(0..80usize), 0..n, 0..2_000_000i64, category, 0..SPAN + 86_400)
            .prop_map(|(send, retailer, cents, category, at)| ConvSpec { send, retailer, cents, category, at });
        let order = (
            0..n,
            0..1_000_000i64,
            prop::sample::select(vec![
                OrderStatus::Completed,
                OrderStatus::Pending,
                OrderStatus::Cancelled,
                OrderStatus::Refunded,
            ]),
            any::<bool>(),
            0..SPAN + 86_400,
        )
            .prop_map(|(retailer, cents, status, attributed, at)| OrderSpec {
                retailer,
                cents,
                status,
                attributed,
                at,
            });
        let campaign = (
            0..2usize,
            0..5_000_000i64,
            prop::option::of(0..9_000_000i64),
            prop::sample::select(vec![CampaignStatus::Active, CampaignStatus::Completed, CampaignStatus::Paused]),
            1..4usize,
            prop::collection::vec(send, 0..50),
            prop::collection::vec(conv, 0..8),
            prop::collection::vec(order, 0..8),
        )
            .prop_map(|(base, spent_cents, allocated_cents, status, emails, sends, conversions, orders)| {
                CampaignSpec { base, spent_cents, allocated_cents, status, emails, sends, conversions, orders }
            });
        // A window edge: seconds from the first base, snapped (0 none, 1 to a slot, 2 to an
        // hour, 3 to a UTC day) or not.
        let edge = prop::option::of((-86_400..SPAN + 2 * 86_400, 0..5u8));
        let window = (edge.clone(), edge).prop_map(|(a, b)| match (a, b) {
            (Some(x), Some(y)) if x.0 > y.0 => WindowSpec { from: Some(y), to: Some(x) },
            (from, to) => WindowSpec { from, to },
        });
        (Just(regions), prop::collection::vec(campaign, 1..3), prop::collection::vec(window, 2..3))
            .prop_map(|(regions, campaigns, windows)| World { regions, campaigns, windows })
    })
}

/// What was stored, with the times and ids the recount needs.
struct Stored {
    retailers: Vec<users::Model>,
    regions: Vec<Region>,
    campaigns: Vec<StoredCampaign>,
}

struct StoredCampaign {
    model: entity::campaigns::Model,
    emails: Vec<entity::email_campaigns::Model>,
    sends: Vec<S>,
    conversions: Vec<C>,
    orders: Vec<O>,
}

struct S {
    id: Uuid,
    email: usize,
    retailer: usize,
    sent: DateTime<Utc>,
    /// When it was delivered, as the timeline counts it (the delivery, or the open or click
    /// that proves it).
    delivered_at: Option<DateTime<Utc>>,
    opened_at: Option<DateTime<Utc>>,
    clicked_at: Option<DateTime<Utc>>,
    delivered: bool,
    bounced: bool,
    human_opened: bool,
}

struct C {
    send: Option<Uuid>,
    retailer: usize,
    cents: i64,
    category: Option<ProductCategory>,
    at: DateTime<Utc>,
}

struct O {
    retailer: usize,
    cents: i64,
    status: OrderStatus,
    attributed: bool,
    at: DateTime<Utc>,
}

async fn store(db: &DatabaseConnection, w: &World) -> Stored {
    let mut retailers = Vec::new();
    for (i, region) in w.regions.iter().enumerate() {
        retailers.push(retailer(&format!("R{i:02}"), *region).insert(db).await);
    }
    let mut campaigns = Vec::new();
    for (ci, spec) in w.campaigns.iter().enumerate() {
        let base = bases()[spec.base];
        let t = |s: i64| base + Duration::seconds(s);
        let model = campaign(&format!("C{ci}"))
            .spent(&Money::from_cents(spec.spent_cents).to_string())
            .allocated(spec.allocated_cents.map(|c| Money::from_cents(c).to_string()).as_deref())
            .status(spec.status)
            .dates(Some(t(3_600)), Some(t(SPAN / 2)))
            .created_at(at(2025, 1, 1, 0) + Duration::hours(ci as i64))
            .insert(db)
            .await;
        let mut emails = Vec::new();
        for e in 0..spec.emails {
            emails.push(email_campaign(db, &model, &format!("E{e}")).await);
        }
        let mut sends = Vec::new();
        for s in &spec.sends {
            let sent = t(s.sent);
            let after = |d: Option<i64>| d.map(|d| sent + Duration::seconds(d));
            let (mut delivered_at, opened_at, clicked_at) = (after(s.delivered), after(s.opened), after(s.clicked));
            // A send marked delivered has its delivery time (ingestion and import see to it).
            if s.status == SendStatus::Delivered
                && delivered_at.is_none()
                && opened_at.is_none()
                && clicked_at.is_none()
            {
                delivered_at = Some(sent + Duration::seconds(90));
            }
            let human = opened_at.filter(|_| !s.machine_open);
            let email = s.email % spec.emails;
            let id = email_sends::ActiveModel {
                id: Set(Uuid::new_v4()),
                email_campaign_id: Set(Some(emails[email].id)),
                retailer_id: Set(Some(retailers[s.retailer].id)),
                recipient_email: Set(format!("{}@x.example", Uuid::new_v4().simple())),
                recipient_name: Set(None),
                sent_at: Set(sent),
                delivered_at: Set(delivered_at),
                opened_at: Set(opened_at),
                clicked_at: Set(clicked_at),
                status: Set(s.status),
                bounce_reason: Set(None),
                human_opened_at: Set(human),
            }
            .insert(db)
            .await
            .unwrap()
            .id;
            let engaged = delivered_at.or(opened_at).or(clicked_at);
            let delivered = engaged.is_some() || s.status == SendStatus::Delivered;
            sends.push(S {
                id,
                email,
                retailer: s.retailer,
                sent,
                delivered_at: engaged,
                opened_at: opened_at.or(clicked_at),
                clicked_at,
                delivered,
                bounced: !delivered && matches!(s.status, SendStatus::Bounced | SendStatus::Failed),
                human_opened: human.is_some() || clicked_at.is_some(),
            });
        }
        let mut conversions = Vec::new();
        for c in &spec.conversions {
            // A link goes to a send of the conversion's own retailer, or there is none.
            let send = c.send.and_then(|i| sends.iter().filter(|s| s.retailer == c.retailer).nth(i % 7)).map(|s| s.id);
            crm_conversions::ActiveModel {
                id: Set(Uuid::new_v4()),
                campaign_id: Set(Some(model.id)),
                retailer_id: Set(Some(retailers[c.retailer].id)),
                email_send_id: Set(send),
                conversion_type: Set(Some(ConversionType::Sale)),
                conversion_value: Set(Some(Money::from_cents(c.cents))),
                conversion_date: Set(t(c.at)),
                product_category: Set(c.category),
                created_at: Set(t(c.at)),
                source: Set(None),
                external_id: Set(None),
            }
            .insert(db)
            .await
            .unwrap();
            conversions.push(C { send, retailer: c.retailer, cents: c.cents, category: c.category, at: t(c.at) });
        }
        let mut orders = Vec::new();
        for o in &spec.orders {
            ecommerce_orders::ActiveModel {
                id: Set(Uuid::new_v4()),
                campaign_id: Set(Some(model.id)),
                retailer_id: Set(Some(retailers[o.retailer].id)),
                order_value: Set(Some(Money::from_cents(o.cents))),
                order_date: Set(t(o.at)),
                product_count: Set(1),
                order_status: Set(o.status),
                attributed_to_email: Set(o.attributed),
                created_at: Set(t(o.at)),
                source: Set(None),
                external_id: Set(None),
                source_updated_at: Set(None),
            }
            .insert(db)
            .await
            .unwrap();
            orders.push(O {
                retailer: o.retailer,
                cents: o.cents,
                status: o.status,
                attributed: o.attributed,
                at: t(o.at),
            });
        }
        campaigns.push(StoredCampaign { model, emails, sends, conversions, orders });
    }
    Stored { retailers, regions: w.regions.clone(), campaigns }
}

// ---------------------------------------------------------------- the recount

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    /// Sends sent in the window with all that became of them; conversions and orders dated in it.
    Cohort,
    /// Each event when it happened (the timeline).
    Events,
}

/// The rows a figure is of.
#[derive(Debug, Clone)]
struct Sel {
    campaigns: Option<BTreeSet<usize>>,
    retailers: Option<BTreeSet<usize>>,
    email: Option<usize>,
    /// Conversions of one category only (`Some(None)`: those without one).
    category: Option<Option<ProductCategory>>,
    from: Option<DateTime<Utc>>,
    /// The end, and whether it is inclusive.
    to: Option<(DateTime<Utc>, bool)>,
    basis: Basis,
}

impl Sel {
    fn of(window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>)) -> Sel {
        Sel {
            campaigns: None,
            retailers: None,
            email: None,
            category: None,
            from: window.0,
            to: window.1.map(|t| (t, true)),
            basis: Basis::Cohort,
        }
    }
    fn campaign(mut self, c: usize) -> Sel {
        self.campaigns = Some(BTreeSet::from([c]));
        self
    }
    fn retailers(mut self, r: impl IntoIterator<Item = usize>) -> Sel {
        self.retailers = Some(r.into_iter().collect());
        self
    }
    fn inside(&self, t: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| t >= f)
            && self.to.is_none_or(|(to, inclusive)| if inclusive { t <= to } else { t < to })
    }
    fn at(&self, t: Option<DateTime<Utc>>) -> bool {
        t.is_some_and(|t| self.inside(t))
    }
}

#[derive(Debug, Default)]
struct Q {
    sent: i64,
    delivered: i64,
    opened: i64,
    human_opened: i64,
    clicked: i64,
    bounced: i64,
    conversions: i64,
    conv_cents: i64,
    linked_cents: i64,
    orders: i64,
    order_cents: i64,
    pending_cents: i64,
    attributed_cents: i64,
    senders: BTreeSet<usize>,
    active: BTreeSet<usize>,
    campaigns: BTreeSet<usize>,
    converted: BTreeSet<Uuid>,
    converting: BTreeSet<usize>,
}

fn recount(st: &Stored, sel: &Sel) -> Q {
    let mut q = Q::default();
    for (ci, c) in st.campaigns.iter().enumerate() {
        if sel.campaigns.as_ref().is_some_and(|cs| !cs.contains(&ci)) {
            continue;
        }
        let mine = |r: usize| sel.retailers.as_ref().is_none_or(|rs| rs.contains(&r));
        if sel.category.is_none() {
            for s in c.sends.iter().filter(|s| mine(s.retailer) && sel.email.is_none_or(|e| e == s.email)) {
                match sel.basis {
                    Basis::Cohort => {
                        if !sel.inside(s.sent) {
                            continue;
                        }
                        q.sent += 1;
                        q.delivered += i64::from(s.delivered);
                        q.opened += i64::from(s.opened_at.is_some());
                        q.human_opened += i64::from(s.human_opened);
                        q.clicked += i64::from(s.clicked_at.is_some());
                        q.bounced += i64::from(s.bounced);
                        q.senders.insert(s.retailer);
                        q.active.insert(s.retailer);
                        q.campaigns.insert(ci);
                    }
                    Basis::Events => {
                        q.sent += i64::from(sel.inside(s.sent));
                        q.delivered += i64::from(sel.at(s.delivered_at));
                        q.opened += i64::from(sel.at(s.opened_at));
                        q.clicked += i64::from(sel.at(s.clicked_at));
                    }
                }
            }
        }
        if sel.email.is_some() {
            continue;
        }
        for cv in c.conversions.iter().filter(|cv| mine(cv.retailer) && sel.inside(cv.at)) {
            if sel.category.is_some_and(|cat| cat != cv.category) {
                continue;
            }
            q.conversions += 1;
            q.conv_cents += cv.cents;
            if let Some(send) = cv.send {
                q.linked_cents += cv.cents;
                q.converted.insert(send);
            }
            q.active.insert(cv.retailer);
            q.campaigns.insert(ci);
            q.converting.insert(cv.retailer);
        }
        if sel.category.is_some() {
            continue;
        }
        for o in c.orders.iter().filter(|o| mine(o.retailer) && sel.inside(o.at)) {
            match o.status {
                OrderStatus::Completed => {
                    q.orders += 1;
                    q.order_cents += o.cents;
                    if o.attributed {
                        q.attributed_cents += o.cents;
                    }
                }
                OrderStatus::Pending => q.pending_cents += o.cents,
                _ => {}
            }
            if o.attributed && matches!(o.status, OrderStatus::Completed | OrderStatus::Pending) {
                q.converting.insert(o.retailer);
            }
            q.active.insert(o.retailer);
            q.campaigns.insert(ci);
        }
    }
    q
}

fn pct(n: i64, d: i64) -> Value {
    ratio(Decimal::from(n) * Decimal::ONE_HUNDRED, Decimal::from(d), 2)
}

/// `n ÷ d` rounded half away from zero, 0 when `d` is 0.
fn ratio(n: Decimal, d: Decimal, places: u32) -> Value {
    if d.is_zero() {
        return json!(0.0);
    }
    json!(
        (n / d)
            .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
            .to_string()
            .parse::<f64>()
            .unwrap()
    )
}

fn money(cents: i64) -> Value {
    json!(Money::from_cents(cents).to_string())
}

/// The recount of a field by its name: one meaning per name across every type.
fn expected(field: &str, q: &Q, spent_cents: i64) -> Option<Value> {
    let revenue = q.conv_cents + q.order_cents;
    Some(match field {
        "totalEmailsSent" | "emailsSent" | "sent" => json!(q.sent),
        "emailsDelivered" | "delivered" => json!(q.delivered),
        "emailsOpened" | "opened" => json!(q.opened),
        "emailsHumanOpened" => json!(q.human_opened),
        "emailsClicked" | "clicked" => json!(q.clicked),
        "emailsBounced" => json!(q.bounced),
        "totalRetailers" => json!(q.senders.len()),
        "retailerCount" => json!(q.active.len()),
        "campaigns" => json!(q.campaigns.len()),
        "deliveryRate" => pct(q.delivered, q.sent),
        "openRate" => pct(q.opened, q.delivered),
        "humanOpenRate" => pct(q.human_opened, q.delivered),
        "clickRate" => pct(q.clicked, q.delivered),
        "clickToOpenRate" | "clickThroughRate" => pct(q.clicked, q.opened),
        "conversionRate" => pct(q.converted.len() as i64, q.clicked),
        "converted" => json!(q.converted.len()),
        "convertingRetailers" => json!(q.converting.len()),
        "totalRevenue" | "revenue" => money(revenue),
        "conversionRevenue" => money(q.conv_cents),
        "orderRevenue" => money(q.order_cents),
        "pendingRevenue" => money(q.pending_cents),
        "emailAttributedRevenue" => money(q.linked_cents + q.attributed_cents),
        "conversions" => json!(q.conversions),
        "orders" => json!(q.orders),
        "roiPercentage" => ratio(Decimal::from(revenue - spent_cents) * Decimal::ONE_HUNDRED, spent_cents.into(), 1),
        "roas" => ratio(revenue.into(), spent_cents.into(), 2),
        "netReturn" if spent_cents > 0 => json!(Decimal::new(revenue - spent_cents, 2).to_string()),
        "netReturn" => Value::Null,
        _ => return None,
    })
}

/// Compares every numeric field of `ty` in `got` with the recount (`own` first, for fields
/// only this type has).
fn compare(
    schema: &Schema,
    ty: &str,
    got: &Value,
    q: &Q,
    spent_cents: i64,
    own: &dyn Fn(&str) -> Option<Value>,
    at: &str,
) {
    for (field, num) in schema.fields(ty) {
        let want = own(field)
            .or_else(|| expected(field, q, spent_cents))
            .unwrap_or_else(|| panic!("{ty}.{field} has no recount: teach `expected` what it means"));
        let value = &got[field.as_str()];
        let same = match num {
            Num::Int => value.as_i64() == want.as_i64(),
            Num::Float => match (value.as_f64(), want.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9,
                _ => value == &want,
            },
            Num::Decimal => match (value.as_str(), want.as_str()) {
                (Some(a), Some(b)) => a.parse::<Decimal>().ok() == b.parse::<Decimal>().ok(),
                _ => value == &want,
            },
        };
        assert!(same, "{at}: {ty}.{field} is {value}, the recount says {want}");
    }
}

// ---------------------------------------------------------------- the check

const INTERVALS: [&str; 3] = ["HOUR", "DAY", "WEEK"];
const ZONES: [&str; 3] = ["UTC", "America/New_York", "Asia/Kolkata"];

/// A window's instants, from `base`.
fn window_of(spec: &WindowSpec, base: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let edge = |e: &Option<(i64, u8)>| {
        e.map(|(secs, snap)| {
            let t = base + Duration::seconds(secs);
            let unit = match snap {
                1 => 900,
                2 => 3_600,
                3 => 86_400,
                _ => return t,
            };
            DateTime::from_timestamp(t.timestamp().div_euclid(unit) * unit, 0).unwrap()
        })
    };
    // Snapping may carry `from` past `to` (an hour's snap against a day's): keep them in order.
    match (edge(&spec.from), edge(&spec.to)) {
        (Some(f), Some(t)) if f > t => (Some(t), Some(f)),
        window => window,
    }
}

fn vars(id: Uuid, window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>)) -> Value {
    json!({ "id": id, "f": window.0, "t": window.1 })
}

/// Who looks, at what: the brand (`own: None`) or a retailer (their index), over a window.
struct View<'a> {
    db: &'a DatabaseConnection,
    schema: &'a Schema,
    st: &'a Stored,
    user: &'a users::Model,
    own: Option<usize>,
    window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
}

/// The campaign's figures (all but the timeline) as the viewer sees them, compared with the
/// recount of the viewer's rows; ROI is against the spend for the brand, nothing for a retailer.
async fn check_campaign(v: &View<'_>, ci: usize) {
    let View { db, schema, st, user, own, window } = *v;
    let c = &st.campaigns[ci];
    let base = Sel::of(window).campaign(ci);
    let base = match own {
        Some(r) => base.retailers([r]),
        None => base,
    };
    let spent = if own.is_some() { 0 } else { c.model.budget_spent.amount().mantissa() as i64 };
    let at = format!("campaign C{ci} as {} in {window:?}", user.name);
    let regions = if own.is_none() {
        format!("regionalPerformance(from: $f, to: $t) {{ region {} }}", schema.select("RegionPerformance"))
    } else {
        String::new()
    };
    let query = format!(
        "query($id: UUID!, $f: DateTime, $t: DateTime) {{ campaign(id: $id) {{ {campaign}
           performance(from: $f, to: $t) {{ {performance} }}
           emailCampaigns {{ id {email} performance(from: $f, to: $t) {{ {email_performance} }} }}
           retailerPerformance(from: $f, to: $t) {{ retailer {{ id }} {rows} }}
           {regions}
           funnel(from: $f, to: $t) {{ {funnel} }}
           productCategories(from: $f, to: $t) {{ category {categories} }}
           subjectLines(from: $f, to: $t) {{ emailCampaign {{ id }} bestOpenRate bestClickRate {lines} }} }} }}",
        campaign = schema.select("Campaign"),
        performance = schema.select("CampaignPerformance"),
        email = schema.select("EmailCampaign"),
        email_performance = schema.select("EmailPerformance"),
        rows = schema.select("RetailerPerformance"),
        funnel = schema.select("Funnel"),
        categories = schema.select("CategoryPerformance"),
        lines = schema.select("SubjectLineResult"),
    );
    let got = gql_as(db, user, &query, vars(c.model.id, window)).await;
    let got = &got["campaign"];
    assert!(got.is_object(), "{at}: the campaign is not visible");
    let none = |_: &str| None;

    let budget = |m: &entity::campaigns::Model, field: &str| -> Option<Value> {
        let cents = |m: Money| m.amount().mantissa() as i64;
        Some(match field {
            "budgetAllocated" => m.budget_allocated.map_or(Value::Null, |a| money(cents(a))),
            "budgetSpent" => money(cents(m.budget_spent)),
            "budgetRemaining" => m.budget_allocated.map_or(Value::Null, |a| money(cents(a) - cents(m.budget_spent))),
            "budgetUtilization" => m.budget_allocated.map_or(Value::Null, |a| {
                ratio(Decimal::from(cents(m.budget_spent)) * Decimal::ONE_HUNDRED, cents(a).into(), 2)
            }),
            _ => return None,
        })
    };
    // The brand's spend is not a retailer's to see.
    let budget = |f: &str| if own.is_some() { budget(&c.model, f).map(|_| Value::Null) } else { budget(&c.model, f) };
    compare(schema, "Campaign", got, &Q::default(), 0, &budget, &at);
    compare(schema, "CampaignPerformance", &got["performance"], &recount(st, &base), spent, &none, &at);
    compare(schema, "Funnel", &got["funnel"], &recount(st, &base), spent, &none, &at);

    // Email campaigns: those the caller may see (a retailer: those sent to them).
    let visible_emails: BTreeSet<Uuid> = c
        .emails
        .iter()
        .enumerate()
        .filter(|(e, _)| own.is_none_or(|r| c.sends.iter().any(|s| s.email == *e && s.retailer == r)))
        .map(|(_, m)| m.id)
        .collect();
    let got_emails: BTreeSet<Uuid> =
        got["emailCampaigns"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().parse().unwrap()).collect();
    assert_eq!(got_emails, visible_emails, "{at}: email campaigns");
    let email_index = |id: &Value| c.emails.iter().position(|e| e.id.to_string() == id.as_str().unwrap()).unwrap();
    for e in got["emailCampaigns"].as_array().unwrap() {
        let ei = email_index(&e["id"]);
        let all_sends = c.sends.iter().filter(|s| s.email == ei && own.is_none_or(|r| s.retailer == r)).count();
        compare(
            schema,
            "EmailCampaign",
            e,
            &Q::default(),
            0,
            &|f| (f == "totalRecipients").then(|| json!(all_sends)),
            &at,
        );
        let sel = Sel { email: Some(ei), ..base.clone() };
        compare(schema, "EmailPerformance", &e["performance"], &recount(st, &sel), spent, &none, &at);
    }

    // Subject lines: each email's counts, and p-values against the best of the visible ones.
    let lines = got["subjectLines"].as_array().unwrap();
    assert_eq!(lines.len(), visible_emails.len(), "{at}: subject lines");
    let per_email: Vec<(usize, Q)> = lines
        .iter()
        .map(|l| {
            let ei = email_index(&l["emailCampaign"]["id"]);
            (ei, recount(st, &Sel { email: Some(ei), ..base.clone() }))
        })
        .collect();
    for (line, (ei, q)) in lines.iter().zip(&per_email) {
        let p = |pick: fn(&Q) -> i64, field: &str| -> Option<Value> {
            let better = |x: &Q, y: &Q| match (x.delivered, y.delivered) {
                (0, _) => false,
                (_, 0) => pick(x) > 0,
                _ => i128::from(pick(x)) * i128::from(y.delivered) > i128::from(pick(y)) * i128::from(x.delivered),
            };
            let best = per_email
                .iter()
                .reduce(|a, b| {
                    let wins = better(&b.1, &a.1)
                        || (!better(&a.1, &b.1)
                            && (b.1.delivered, std::cmp::Reverse(&c.emails[b.0].subject))
                                > (a.1.delivered, std::cmp::Reverse(&c.emails[a.0].subject)));
                    if wins { b } else { a }
                })
                .map(|x| &x.1)
                .unwrap();
            let is_best = !better(best, q);
            match field {
                "p" if is_best => Some(json!(1.0)),
                "p" if q.delivered == 0 || best.delivered == 0 => Some(json!(1.0)),
                "p" => {
                    let (n1, n2) = (q.delivered as f64, best.delivered as f64);
                    let (r1, r2) = (pick(q) as f64 / n1, pick(best) as f64 / n2);
                    let pooled = (pick(q) + pick(best)) as f64 / (n1 + n2);
                    let var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
                    Some(json!(if var <= 0.0 { 1.0 } else { libm::erfc(((r1 - r2) / var.sqrt()).abs() / 2f64.sqrt()) }))
                }
                _ => Some(json!(is_best)),
            }
        };
        let own_fields = |f: &str| match f {
            "openRatePValue" => p(|q| q.opened, "p"),
            "clickRatePValue" => p(|q| q.clicked, "p"),
            _ => None,
        };
        compare(schema, "SubjectLineResult", line, q, spent, &own_fields, &format!("{at}, email E{ei}"));
        assert_eq!(line["bestOpenRate"], p(|q| q.opened, "best").unwrap(), "{at}");
        assert_eq!(line["bestClickRate"], p(|q| q.clicked, "best").unwrap(), "{at}");
    }

    // The leaderboard: a row per retailer with activity, ranked by click rate.
    let rows = got["retailerPerformance"].as_array().unwrap();
    let all = recount(st, &base);
    assert_eq!(rows.len(), all.active.len(), "{at}: leaderboard rows");
    for (i, row) in rows.iter().enumerate() {
        let r = st.retailers.iter().position(|u| u.id.to_string() == row["retailer"]["id"].as_str().unwrap()).unwrap();
        let q = recount(st, &base.clone().retailers([r]));
        compare(
            schema,
            "RetailerPerformance",
            row,
            &q,
            spent,
            &|f| (f == "rank").then(|| json!(i + 1)),
            &format!("{at}, row {i}"),
        );
    }
    // In click-rate order, exactly (a rate of nothing delivered is 0).
    let key = |row: &Value| (row["emailsClicked"].as_i64().unwrap(), row["emailsDelivered"].as_i64().unwrap());
    for pair in rows.windows(2) {
        let ((c1, d1), (c2, d2)) = (key(&pair[0]), key(&pair[1]));
        let left = if d1 == 0 { 0 } else { i128::from(c1) * i128::from(d2.max(1)) };
        let right = if d2 == 0 { 0 } else { i128::from(c2) * i128::from(d1.max(1)) };
        assert!(left >= right, "{at}: click-rate order");
    }

    // Regions: the retailers of each, summed.
    if own.is_none() {
        let order = [Region::East, Region::West, Region::Central, Region::North, Region::South];
        let regions = got["regionalPerformance"].as_array().unwrap();
        let want: Vec<Region> = order.into_iter().filter(|g| all.active.iter().any(|r| st.regions[*r] == *g)).collect();
        assert_eq!(regions.len(), want.len(), "{at}: regions");
        for (region, g) in regions.iter().zip(want) {
            assert_eq!(region["region"], format!("{g:?}").to_uppercase());
            let members = (0..st.regions.len()).filter(|r| st.regions[*r] == g);
            compare(
                schema,
                "RegionPerformance",
                region,
                &recount(st, &base.clone().retailers(members)),
                spent,
                &none,
                &at,
            );
        }
    }

    // Categories.
    for cat in got["productCategories"].as_array().unwrap() {
        let category = cat["category"].as_str().map(|name| {
            [ProductCategory::Necklaces, ProductCategory::Bracelets, ProductCategory::Rings]
                .into_iter()
                .find(|c| format!("{c:?}").to_uppercase() == name)
                .unwrap()
        });
        let q = recount(st, &Sel { category: Some(category), ..base.clone() });
        assert!(q.conversions > 0, "{at}: category {category:?} listed without conversions");
        compare(schema, "CategoryPerformance", cat, &q, spent, &none, &at);
    }
    let listed: i64 =
        got["productCategories"].as_array().unwrap().iter().map(|c| c["conversions"].as_i64().unwrap()).sum();
    assert_eq!(listed, all.conversions, "{at}: every conversion is in a category row");
}

/// Every timeline of the campaign (each interval in each zone) against the recount of each
/// bucket: the events between its start (or `from`) and the next bucket's (or `to`).
async fn check_timelines(v: &View<'_>, ci: usize) {
    let View { db, schema, st, user, own, window } = *v;
    let c = &st.campaigns[ci];
    let mut base = Sel::of(window).campaign(ci);
    base.basis = Basis::Events;
    if let Some(r) = own {
        base = base.retailers([r]);
    }
    for interval in INTERVALS {
        for zone in ZONES {
            let at = format!("C{ci} {interval} timeline in {zone} as {} over {window:?}", user.name);
            let query = format!(
                "query($id: UUID!, $f: DateTime, $t: DateTime) {{ campaign(id: $id) {{
                   timeline(interval: {interval}, from: $f, to: $t, timeZone: \"{zone}\") {{ bucketStart {} }} }} }}",
                schema.select("TimelinePoint")
            );
            let got = gql_as(db, user, &query, vars(c.model.id, window)).await;
            let points = got["campaign"]["timeline"].as_array().unwrap();
            let tz: Tz = zone.parse().unwrap();
            let starts: Vec<DateTime<Utc>> =
                points.iter().map(|p| p["bucketStart"].as_str().unwrap().parse().unwrap()).collect();
            for (i, start) in starts.iter().enumerate() {
                // Buckets start on the zone's hour, midnight or Monday midnight.
                let local = start.with_timezone(&tz);
                assert_eq!((local.minute(), local.second()), (0, 0), "{at}: bucket {start}");
                if interval != "HOUR" {
                    assert_eq!(local.hour(), 0, "{at}: bucket {start}");
                }
                if interval == "WEEK" {
                    assert_eq!(local.weekday(), chrono::Weekday::Mon, "{at}: bucket {start}");
                }
                if let Some(next) = starts.get(i + 1) {
                    assert!(next > start, "{at}: buckets in order");
                }
                let mut sel = base.clone();
                sel.from = if i == 0 { window.0 } else { Some(*start) };
                sel.to = match starts.get(i + 1) {
                    Some(next) => Some((*next, false)),
                    None => window.1.map(|t| (t, true)),
                };
                if i == 0 {
                    // The first bucket holds `from` (or every event before the second bucket).
                    assert!(window.0.is_none_or(|f| *start <= f), "{at}: first bucket {start} after from");
                }
                compare(
                    schema,
                    "TimelinePoint",
                    &points[i],
                    &recount(st, &sel),
                    0,
                    &|_| None,
                    &format!("{at}, bucket {start}"),
                );
            }
            // Together the buckets hold every event of the window.
            let mut whole = base.clone();
            whole.to = window.1.map(|t| (t, true));
            let q = recount(st, &whole);
            let sum = |field: &str| points.iter().map(|p| p[field].as_i64().unwrap()).sum::<i64>();
            assert_eq!(
                (
                    sum("emailsSent"),
                    sum("emailsDelivered"),
                    sum("emailsOpened"),
                    sum("emailsClicked"),
                    sum("conversions")
                ),
                (q.sent, q.delivered, q.opened, q.clicked, q.conversions),
                "{at}: the buckets' sums"
            );
        }
    }
}

/// Each retailer's performance across campaigns, and the portfolio, as the brand.
async fn check_across(
    db: &DatabaseConnection,
    schema: &Schema,
    st: &Stored,
    window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) {
    let at = format!("across campaigns over {window:?}");
    let none = |_: &str| None;
    for (r, u) in st.retailers.iter().enumerate() {
        let got = gql(
            db,
            &format!(
                "query($id: UUID!, $f: DateTime, $t: DateTime) {{ retailer(id: $id) {{ performance(from: $f, to: $t) {{ {} }} }} }}",
                schema.select("UserPerformance")
            ),
            vars(u.id, window),
        )
        .await;
        compare(
            schema,
            "UserPerformance",
            &got["retailer"]["performance"],
            &recount(st, &Sel::of(window).retailers([r])),
            0,
            &none,
            &format!("{at}, retailer {r}"),
        );
    }
    let query = format!(
        "query($f: DateTime, $t: DateTime) {{ portfolioSummary(from: $f, to: $t) {{ {}
           byStatus {{ status {} }} regions {{ region {} }} topCampaigns(first: 100) {{ id }} }} }}",
        schema.select("PortfolioSummary"),
        schema.select("StatusCount"),
        schema.select("RegionSummary"),
    );
    let got = gql(db, &query, json!({ "f": window.0, "t": window.1 })).await;
    let p = &got["portfolioSummary"];
    let cents = |m: Money| m.amount().mantissa() as i64;
    let spent: i64 = st.campaigns.iter().map(|c| cents(c.model.budget_spent)).sum();
    let all = recount(st, &Sel::of(window));
    let rois: Vec<(Decimal, i64, Uuid)> = st
        .campaigns
        .iter()
        .enumerate()
        .filter(|(_, c)| cents(c.model.budget_spent) > 0)
        .map(|(ci, c)| {
            let q = recount(st, &Sel::of(window).campaign(ci));
            let (rev, s) = (q.conv_cents + q.order_cents, cents(c.model.budget_spent));
            (Decimal::from(rev - s) * Decimal::ONE_HUNDRED / Decimal::from(s), rev, c.model.id)
        })
        .collect();
    let own = |f: &str| -> Option<Value> {
        Some(match f {
            "campaignCount" => json!(st.campaigns.len()),
            "totalBudgetAllocated" => {
                money(st.campaigns.iter().filter_map(|c| c.model.budget_allocated).map(cents).sum())
            }
            "totalBudgetSpent" => money(spent),
            "averageRoi" if rois.is_empty() => json!(0.0),
            "averageRoi" => ratio(rois.iter().map(|r| r.0).sum(), Decimal::from(rois.len()), 1),
            "overallRoi" => expected("roiPercentage", &all, spent)?,
            _ => return None,
        })
    };
    compare(schema, "PortfolioSummary", p, &all, spent, &own, &at);
    for s in p["byStatus"].as_array().unwrap() {
        let n = st
            .campaigns
            .iter()
            .filter(|c| format!("{:?}", c.model.status).to_uppercase() == s["status"].as_str().unwrap())
            .count();
        compare(schema, "StatusCount", s, &all, spent, &|f| (f == "count").then(|| json!(n)), &at);
    }
    for region in p["regions"].as_array().unwrap() {
        let members = (0..st.regions.len())
            .filter(|r| format!("{:?}", st.regions[*r]).to_uppercase() == region["region"].as_str().unwrap());
        compare(schema, "RegionSummary", region, &recount(st, &Sel::of(window).retailers(members)), spent, &none, &at);
    }
    // Retailers ranked by revenue across campaigns, largest first.
    let ranked = gql(
        db,
        "query($f: DateTime, $t: DateTime) { retailers(rankBy: REVENUE, first: 100, from: $f, to: $t) { edges { node { id } } } }",
        json!({ "f": window.0, "t": window.1 }),
    )
    .await;
    let revenues: Vec<i64> = ranked["retailers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let r = st.retailers.iter().position(|u| u.id.to_string() == e["node"]["id"].as_str().unwrap()).unwrap();
            let q = recount(st, &Sel::of(window).retailers([r]));
            q.conv_cents + q.order_cents
        })
        .collect();
    assert_eq!(revenues.len(), st.retailers.len(), "{at}: ranked retailers");
    assert!(revenues.windows(2).all(|w| w[0] >= w[1]), "{at}: retailers by revenue {revenues:?}");
    let mut by_roi = rois.clone();
    by_roi.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let top: Vec<String> =
        p["topCampaigns"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(top, by_roi.iter().map(|r| r.2.to_string()).collect::<Vec<_>>(), "{at}: top campaigns");
}

async fn check(db: &DatabaseConnection, w: &World) {
    let schema = Schema::read(db).await;
    let st = store(db, w).await;
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(db).await;
    let all = WindowSpec { from: None, to: None };
    for spec in std::iter::once(&all).chain(&w.windows) {
        for (ci, c) in w.campaigns.iter().enumerate() {
            // Each campaign's windows are around its own activity.
            let window = window_of(spec, bases()[c.base]);
            let brand = View { db, schema: &schema, st: &st, user: &brand, own: None, window };
            check_campaign(&brand, ci).await;
            check_timelines(&brand, ci).await;
            // Each retailer the campaign sent to, on their own rows.
            let targeted: BTreeSet<usize> = st.campaigns[ci].sends.iter().map(|s| s.retailer).collect();
            for r in targeted.into_iter().take(2) {
                let retailer = View { user: &st.retailers[r], own: Some(r), ..brand };
                check_campaign(&retailer, ci).await;
                if window.0.is_some() {
                    check_timelines(&retailer, ci).await;
                }
            }
        }
        check_across(db, &schema, &st, window_of(spec, bases()[0])).await;
    }
    invariants(db, &brand).await;
}

fn run(postgres: bool) {
    let cases = std::env::var("FIGURES_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(4);
    if postgres && std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        TestDb::skipped_without_postgres();
        return;
    }
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&world(), |w| {
            // A runtime per case: the server `invariants` starts ends with it, and so do its
            // database connections.
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async {
                let db = if postgres { TestDb::postgres().await.unwrap() } else { TestDb::sqlite().await };
                check(&db, &w).await;
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_numeric_field_of_every_figure_equals_a_recount_sqlite() {
    run(false);
}

#[test]
fn every_numeric_field_of_every_figure_equals_a_recount_postgres() {
    run(true);
}

// ---------------------------------------------------------------- invariants

/// Sums of `field` over `rows`, as exact decimals (counts and amounts alike).
fn total(rows: &[Value], field: &str) -> Decimal {
    rows.iter().map(|r| number(&r[field])).sum()
}

fn number(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.to_string().parse().unwrap(),
        other => panic!("not a number: {other}"),
    }
}

/// Which counts of a rate, by the rate's name.
const RATES: [(&str, &str, &str); 8] = [
    ("deliveryRate", "totalEmailsSent", "emailsDelivered"),
    ("openRate", "emailsDelivered", "emailsOpened"),
    ("humanOpenRate", "emailsDelivered", "emailsHumanOpened"),
    ("clickRate", "emailsDelivered", "emailsClicked"),
    ("clickToOpenRate", "emailsOpened", "emailsClicked"),
    ("clickThroughRate", "opened", "clicked"),
    ("conversionRate", "clicked", "converted"),
    ("deliveryRate", "sent", "delivered"),
];

/// Every rate of `object` equals its counts (where the object has them).
fn rates_hold(object: &Value, at: &str) {
    for (rate, denominator, numerator) in RATES {
        if let (Some(r), Some(d), Some(n)) = (object.get(rate), object.get(denominator), object.get(numerator)) {
            assert_eq!(r, &pct(n.as_i64().unwrap(), d.as_i64().unwrap()), "{at}: {rate} ≠ {numerator} ÷ {denominator}");
        }
    }
}

const EMAIL: &str = "totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsHumanOpened emailsClicked
    emailsBounced deliveryRate openRate humanOpenRate clickRate clickToOpenRate";
const MONEY: &str = "revenue pendingRevenue emailAttributedRevenue conversions orders";

/// Parts add up to wholes, rates to their counts, REST to GraphQL, a retailer's view to their
/// leaderboard row: on whatever the database holds (the demo data, generated data).
async fn invariants(db: &DatabaseConnection, brand: &users::Model) {
    let ids = gql_as(db, brand, "{ campaigns(first: 100) { edges { node { id } } } }", json!({})).await;
    let base = serve(test_state(db, Limits::default())).await;
    let client = reqwest::Client::new();
    for edge in ids["campaigns"]["edges"].as_array().unwrap() {
        let id = edge["node"]["id"].as_str().unwrap().to_owned();
        let query = format!(
            "query($id: UUID!) {{ campaign(id: $id) {{
               performance {{ {EMAIL} totalRevenue conversionRevenue orderRevenue pendingRevenue emailAttributedRevenue roiPercentage roas performanceTier }}
               retailerPerformance {{ retailer {{ id }} {EMAIL} {MONEY} }}
               regionalPerformance {{ {EMAIL} {MONEY} retailerCount }}
               emailCampaigns {{ performance {{ {EMAIL} }} }}
               subjectLines {{ {EMAIL} }}
               funnel {{ sent delivered opened clicked converted convertingRetailers deliveryRate openRate clickThroughRate conversionRate }}
               productCategories {{ conversions revenue }} }} }}"
        );
        let got = gql_as(db, brand, &query, json!({ "id": id })).await;
        let c = &got["campaign"];
        let at = format!("campaign {id}");
        let perf = &c["performance"];
        let rows = c["retailerPerformance"].as_array().unwrap();
        let regions = c["regionalPerformance"].as_array().unwrap();
        let emails: Vec<Value> =
            c["emailCampaigns"].as_array().unwrap().iter().map(|e| e["performance"].clone()).collect();
        // Counts every part holds, and what each sums to in the whole.
        let email_counts = [
            "totalEmailsSent",
            "emailsDelivered",
            "emailsOpened",
            "emailsHumanOpened",
            "emailsClicked",
            "emailsBounced",
        ];
        for (parts, name, retailers_add) in [
            (rows.as_slice(), "leaderboard", true),
            (regions.as_slice(), "regions", true),
            (emails.as_slice(), "email campaigns", false),
            (c["subjectLines"].as_array().unwrap().as_slice(), "subject lines", false),
        ] {
            for field in email_counts {
                assert_eq!(total(parts, field), number(&perf[field]), "{at}: {name}' {field}");
            }
            if retailers_add {
                // Retailers are disjoint across rows and regions.
                assert_eq!(
                    total(parts, "totalRetailers"),
                    number(&perf["totalRetailers"]),
                    "{at}: {name}' totalRetailers"
                );
                assert_eq!(total(parts, "revenue"), number(&perf["totalRevenue"]), "{at}: {name}' revenue");
                assert_eq!(total(parts, "pendingRevenue"), number(&perf["pendingRevenue"]), "{at}: {name}' pending");
                assert_eq!(
                    total(parts, "emailAttributedRevenue"),
                    number(&perf["emailAttributedRevenue"]),
                    "{at}: {name}' attributed"
                );
                assert_eq!(
                    total(parts, "conversions"),
                    total(c["productCategories"].as_array().unwrap(), "conversions"),
                    "{at}: {name}' conversions"
                );
            }
            for part in parts {
                rates_hold(part, &format!("{at}, {name}"));
            }
        }
        assert_eq!(
            total(regions, "retailerCount"),
            Decimal::from(rows.len()),
            "{at}: regions' retailers are the leaderboard's"
        );
        let categories = c["productCategories"].as_array().unwrap();
        assert_eq!(total(categories, "revenue"), number(&perf["conversionRevenue"]), "{at}: categories' revenue");
        rates_hold(perf, &at);
        let funnel = &c["funnel"];
        rates_hold(funnel, &format!("{at}, funnel"));
        for (step, field) in [
            ("sent", "totalEmailsSent"),
            ("delivered", "emailsDelivered"),
            ("opened", "emailsOpened"),
            ("clicked", "emailsClicked"),
        ] {
            assert_eq!(funnel[step], perf[field], "{at}: funnel {step}");
        }
        // Timelines, every interval in three zones, hold every event once.
        for interval in INTERVALS {
            for zone in ZONES {
                let t = gql_as(
                    db,
                    brand,
                    &format!("query($id: UUID!) {{ campaign(id: $id) {{ timeline(interval: {interval}, timeZone: \"{zone}\") {{ emailsSent emailsDelivered emailsOpened emailsClicked conversions revenue }} }} }}"),
                    json!({ "id": id }),
                )
                .await;
                let points = t["campaign"]["timeline"].as_array().unwrap();
                let at = format!("{at}: {interval} timeline in {zone}");
                for (field, whole) in [
                    ("emailsSent", "totalEmailsSent"),
                    ("emailsDelivered", "emailsDelivered"),
                    ("emailsOpened", "emailsOpened"),
                    ("emailsClicked", "emailsClicked"),
                    ("revenue", "totalRevenue"),
                ] {
                    assert_eq!(total(points, field), number(&perf[whole]), "{at}: {field}");
                }
                assert_eq!(total(points, "conversions"), total(categories, "conversions"), "{at}: conversions");
            }
        }
        // REST answers the same performance.
        let rest: Value = client
            .get(format!("{base}/api/campaigns/{id}"))
            .bearer_auth(token_for(brand.id))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (field, value) in perf.as_object().unwrap() {
            assert_eq!(&rest["performance"][field], value, "{at}: REST {field}");
        }
        // Each retailer sees their own figures as their leaderboard row.
        for row in rows {
            let retailer_id: Uuid = row["retailer"]["id"].as_str().unwrap().parse().unwrap();
            let Some(me) = users_by_id(db, retailer_id).await else { continue };
            let mine = gql_as(
                db,
                &me,
                &format!("query($id: UUID!) {{ campaign(id: $id) {{ performance {{ {EMAIL} totalRevenue pendingRevenue emailAttributedRevenue }} retailerPerformance {{ {EMAIL} {MONEY} }} }} }}"),
                json!({ "id": id }),
            )
            .await;
            let Some(mine) = mine["campaign"].as_object() else {
                assert_eq!(row["totalEmailsSent"], 0, "{at}: a retailer with sends sees the campaign");
                continue;
            };
            assert_eq!(
                mine["retailerPerformance"].as_array().unwrap(),
                &vec![{
                    let mut r = row.clone();
                    r.as_object_mut().unwrap().remove("retailer");
                    r
                }],
                "{at}: retailer {retailer_id}'s own row"
            );
            for field in email_counts {
                assert_eq!(mine["performance"][field], row[field], "{at}: retailer {retailer_id}'s {field}");
            }
            assert_eq!(mine["performance"]["totalRevenue"], row["revenue"], "{at}: retailer {retailer_id}'s revenue");
        }
    }
    // The portfolio: its regions add up to its totals.
    let p = gql_as(
        db,
        brand,
        &format!("{{ portfolioSummary {{ totalRevenue pendingRevenue regions {{ {EMAIL} {MONEY} }} }} }}"),
        json!({}),
    )
    .await;
    let regions = p["portfolioSummary"]["regions"].as_array().unwrap();
    assert_eq!(total(regions, "revenue"), number(&p["portfolioSummary"]["totalRevenue"]), "portfolio regions' revenue");
    assert_eq!(
        total(regions, "pendingRevenue"),
        number(&p["portfolioSummary"]["pendingRevenue"]),
        "portfolio regions' pending"
    );
    for r in regions {
        rates_hold(r, "portfolio region");
    }
}

async fn users_by_id(db: &DatabaseConnection, id: Uuid) -> Option<users::Model> {
    use sea_orm::EntityTrait;
    users::Entity::find_by_id(id).one(db).await.unwrap()
}

db_test!(the_demo_data_holds_together, |db| {
    campaign_performance::demo::load(&*db, false).await.unwrap();
    let brand = retailer("Invariant brand", Region::East).user_type(entity::enums::UserType::Brand).insert(&*db).await;
    invariants(&db, &brand).await;
    // The two windows of the issue: the first email went out at 15:00 UTC on 2025-01-14.
    let demo = gql_as(&db, &brand, "{ campaigns(first: 10) { edges { node { id name } } } }", json!({})).await;
    let id = &demo["campaigns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["name"] == "Marco Bicego New 2025 Campaign")
        .unwrap()["node"]["id"];
    let sent = |from: &str, to: &str| {
        let (db, brand) = (&db, &brand);
        let (from, to) = (from.to_owned(), to.to_owned());
        async move {
            let t = gql_as(
                db,
                brand,
                "query($id: UUID!, $f: DateTime, $t: DateTime) { campaign(id: $id) { timeline(interval: DAY, from: $f, to: $t) { emailsSent } } }",
                json!({ "id": id, "f": from, "t": to }),
            )
            .await;
            total(t["campaign"]["timeline"].as_array().unwrap(), "emailsSent")
        }
    };
    assert_eq!(sent("2025-01-14T12:00:00Z", "2025-01-14T23:59:00Z").await, Decimal::from(9_015));
    assert_eq!(sent("2025-01-14T00:00:00Z", "2025-01-14T12:00:00Z").await, Decimal::ZERO);
    // Human opens are in the regions and in the portfolio.
    let r = gql_as(
        &db,
        &brand,
        "query($id: UUID!) { campaign(id: $id) { performance { emailsHumanOpened }
        regionalPerformance { emailsHumanOpened } } portfolioSummary { regions { emailsHumanOpened } } }",
        json!({ "id": id }),
    )
    .await;
    let human = number(&r["campaign"]["performance"]["emailsHumanOpened"]);
    assert!(human > Decimal::ZERO);
    assert_eq!(total(r["campaign"]["regionalPerformance"].as_array().unwrap(), "emailsHumanOpened"), human);
    assert!(total(r["portfolioSummary"]["regions"].as_array().unwrap(), "emailsHumanOpened") >= human);
});

db_test!(generated_data_holds_together, |db| {
    let plan = campaign_performance::generate::Plan { sends: 6_000, campaigns: 3, retailers: 20, seed: 17 };
    campaign_performance::generate::generate(&db, &plan, |_| ()).await.unwrap();
    let brand = retailer("Invariant brand", Region::East).user_type(entity::enums::UserType::Brand).insert(&*db).await;
    invariants(&db, &brand).await;
});
