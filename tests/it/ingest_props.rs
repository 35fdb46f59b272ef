//! Property test: a random stream of email events (SendGrid's format: every type, machine
//! opens, unknown sends and unknown types), CRM conversions (unknown retailers included) and
//! versions of shop orders, delivered shuffled, with repeats, in random batches, leaves the
//! database (sends, event log, conversions, orders, quarantine) and every figure identical
//! to the in-order, once-each replay, on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL;
//! and the rollups equal a recount of the raw rows.
//! Cases: 6 by default; `PROPTEST_CASES=100 cargo test --test ingest_props` for more.

use crate::common::*;
use campaign_performance::ingest::conversions::Conversion;
use campaign_performance::ingest::orders::Order;
use campaign_performance::ingest::{Received, conversions, email_events, orders, sendgrid};
use chrono::{DateTime, Duration, Utc};
use entity::enums::{CampaignStatus, ConversionType, OrderStatus, Region, SendStatus, UserType};
use entity::{
    Money, campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_events as events_table, email_sends,
    quarantined_items, users,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

const SENDS: u128 = 5;
const EVENT_TYPES: &[&str] =
    &["processed", "delivered", "deferred", "open", "click", "bounce", "dropped", "spamreport", "unsubscribe"];

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x1000 + n)
}
fn campaign_id() -> Uuid {
    id(900)
}
fn retailer_id(i: usize) -> Uuid {
    id(800 + i as u128)
}
fn base() -> DateTime<Utc> {
    at(2025, 1, 14, 9)
}

#[derive(Debug, Clone)]
enum Item {
    Event { n: usize, send: u128, kind: usize, minute: i64, machine: bool, reason: usize },
    Conversion { n: usize, retailer: usize, cents: i64, minute: i64 },
    Order { order: usize, version: i64 },
}

impl Item {
    fn time(&self) -> i64 {
        match self {
            Item::Event { minute, .. } | Item::Conversion { minute, .. } => *minute,
            Item::Order { version, .. } => *version,
        }
    }
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        6 => (0..SENDS + 1, 0..EVENT_TYPES.len() + 1, 0..600_i64, any::<bool>(), 0..3_usize)
            .prop_map(|(send, kind, minute, machine, reason)| Item::Event { n: 0, send, kind, minute, machine, reason }),
        1 => (0..3_usize, 1..500_000_i64, 0..600_i64)
            .prop_map(|(retailer, cents, minute)| Item::Conversion { n: 0, retailer, cents, minute }),
        1 => (0..3_usize, 0..600_i64).prop_map(|(order, version)| Item::Order { order, version }),
    ]
}

/// The stream (numbered so each event and conversion has its own key), and a delivery of
/// it: each item repeated 1 to 3 times, shuffled, cut into batches of 1 to 8.
fn world() -> impl Strategy<Value = (Vec<Item>, Vec<usize>, Vec<usize>)> {
    prop::collection::vec(item(), 1..40).prop_flat_map(|mut items| {
        for (n, it) in items.iter_mut().enumerate() {
            match it {
                Item::Event { n: k, .. } | Item::Conversion { n: k, .. } => *k = n,
                Item::Order { .. } => {}
            }
        }
        let len = items.len();
        let delivery = prop::collection::vec(1..=3_usize, len).prop_flat_map(|copies| {
            let order: Vec<usize> = copies.iter().enumerate().flat_map(|(i, c)| std::iter::repeat_n(i, *c)).collect();
            Just(order).prop_shuffle()
        });
        (Just(items), delivery, prop::collection::vec(1..=8_usize, 1..100))
    })
}

fn sendgrid_event(
    n: usize,
    send: u128,
    kind: usize,
    minute: i64,
    machine: bool,
    reason: usize,
) -> Received<campaign_performance::ingest::send_state::EmailEvent> {
    let name = EVENT_TYPES.get(kind).copied().unwrap_or("group_resubscribe");
    let mut e = json!({
        "email": format!("r{send}@example.com"),
        "timestamp": (base() + Duration::minutes(minute)).timestamp(),
        "event": name,
        "sg_event_id": format!("ev-{n}"),
        "send_id": id(send).to_string(),
    });
    if name == "open" {
        e["sg_machine_open"] = json!(machine);
    }
    if name == "bounce" || name == "dropped" {
        e["reason"] = json!(format!("550 reason {reason}"));
    }
    if name == "click" {
        e["url"] = json!("https://shop.example/aw25");
    }
    sendgrid::parse_event(&e)
}

fn conversion(n: usize, retailer: usize, cents: i64, minute: i64) -> Received<Conversion> {
    let c = Conversion {
        campaign_id: campaign_id(),
        retailer_id: retailer_id(retailer),
        email_send_id: None,
        conversion_type: ConversionType::Sale,
        value: Money::from_cents(cents),
        occurred_at: base() + Duration::minutes(minute),
        product_category: None,
    };
    Received { source: "crm".into(), key: format!("cv-{n}"), payload: serde_json::to_string(&c).unwrap(), item: Ok(c) }
}

/// A version of an order; its content follows from (order, version), as a shop's would.
fn order(order: usize, version: i64) -> Received<Order> {
    let status = [OrderStatus::Pending, OrderStatus::Completed, OrderStatus::Refunded, OrderStatus::Cancelled]
        [(version % 4) as usize];
    let o = Order {
        order_id: format!("{}", 9_007_199_254_740_993_u64 + order as u64),
        updated_at: base() + Duration::minutes(version),
        campaign_id: Some(campaign_id()),
        utm_campaign: None,
        retailer_id: Some(retailer_id(order % 2)),
        customer_email: None,
        value: Money::from_cents(10_000 + version * 7 + order as i64),
        status,
        product_count: 1 + (version % 3) as i32,
        ordered_at: base(),
        attributed_to_email: order == 0,
    };
    Received { source: "shop".into(), key: o.key(), payload: serde_json::to_string(&o).unwrap(), item: Ok(o) }
}

async fn setup(db: &DatabaseConnection) {
    let now = at(2025, 1, 1, 0);
    for i in 0..2 {
        users::ActiveModel {
            id: Set(retailer_id(i)),
            email: Set(format!("r{i}@retailer.example")),
            name: Set(format!("Retailer {i}")),
            user_type: Set(UserType::Retailer),
            region: Set(Some(Region::East)),
            created_at: Set(now),
            updated_at: Set(now),
            is_active: Set(true),
        }
        .insert(db)
        .await
        .unwrap();
    }
    campaigns::ActiveModel {
        id: Set(campaign_id()),
        name: Set("Stream".into()),
        description: Set(None),
        status: Set(CampaignStatus::Active),
        start_date: Set(None),
        end_date: Set(None),
        budget_allocated: Set(Some(Money::from_cents(1_000_000))),
        budget_spent: Set(Money::from_cents(250_000)),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        utm_code: Set(Some("stream".into())),
    }
    .insert(db)
    .await
    .unwrap();
    email_campaigns::ActiveModel {
        id: Set(id(700)),
        campaign_id: Set(Some(campaign_id())),
        subject: Set("S".into()),
        content: Set(None),
        sender_email: Set("b@brand.example".into()),
        sender_name: Set(None),
        sent_at: Set(Some(base())),
        total_recipients: Set(SENDS as i32),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    for s in 0..SENDS {
        email_sends::ActiveModel {
            id: Set(id(s)),
            email_campaign_id: Set(Some(id(700))),
            retailer_id: Set(Some(retailer_id((s % 2) as usize))),
            recipient_email: Set(format!("r{s}@example.com")),
            recipient_name: Set(None),
            sent_at: Set(base()),
            delivered_at: Set(None),
            opened_at: Set(None),
            clicked_at: Set(None),
            status: Set(SendStatus::Sent),
            bounce_reason: Set(None),
            human_opened_at: Set(None),
        }
        .insert(db)
        .await
        .unwrap();
    }
}

/// Applies `items` as one delivery: events, conversions and orders each through their path.
async fn deliver(db: &DatabaseConnection, items: &[&Item]) {
    let mut events = Vec::new();
    let mut convs = Vec::new();
    let mut ords = Vec::new();
    for it in items {
        match **it {
            Item::Event { n, send, kind, minute, machine, reason } => {
                events.push(sendgrid_event(n, send, kind, minute, machine, reason));
            }
            Item::Conversion { n, retailer, cents, minute } => convs.push(conversion(n, retailer, cents, minute)),
            Item::Order { order: o, version } => ords.push(order(o, version)),
        }
    }
    email_events::apply(db, events).await.unwrap();
    conversions::apply(db, convs).await.unwrap();
    orders::apply(db, ords).await.unwrap();
}

/// Everything a stream can change, without generated ids and arrival times.
async fn state(db: &DatabaseConnection) -> Value {
    let sends: Vec<Value> = email_sends::Entity::find()
        .order_by_asc(email_sends::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| json!([s.id, s.status, s.delivered_at, s.opened_at, s.human_opened_at, s.clicked_at, s.bounce_reason]))
        .collect();
    let mut events: Vec<Value> = events_table::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            json!([
                e.provider,
                e.provider_event_id,
                e.email_send_id,
                e.event_type,
                e.occurred_at,
                e.machine_open,
                e.detail,
                e.payload
            ])
        })
        .collect();
    events.sort_by_key(|v| v.to_string());
    let mut convs: Vec<Value> = crm_conversions::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| json!([c.source, c.external_id, c.campaign_id, c.retailer_id, c.conversion_value, c.conversion_date]))
        .collect();
    convs.sort_by_key(|v| v.to_string());
    let mut ords: Vec<Value> = ecommerce_orders::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| {
            json!([
                o.source,
                o.external_id,
                o.source_updated_at,
                o.order_status,
                o.order_value,
                o.product_count,
                o.retailer_id,
                o.attributed_to_email
            ])
        })
        .collect();
    ords.sort_by_key(|v| v.to_string());
    let mut held: Vec<Value> = quarantined_items::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|q| json!([q.source, q.kind, q.item_key, q.reason, q.payload, q.resolved_at.is_some()]))
        .collect();
    held.sort_by_key(|v| v.to_string());
    let figures = gql(
        db,
        r#"query($id: UUID!) { campaign(id: $id) {
            performance { totalEmailsSent emailsDelivered emailsOpened emailsHumanOpened emailsClicked emailsBounced
              deliveryRate openRate humanOpenRate clickRate totalRevenue conversionRevenue orderRevenue pendingRevenue
              roiPercentage roas performanceTier }
            human: performance(excludeMachineOpens: true) { emailsOpened openRate }
            retailerPerformance { retailer { id } emailsDelivered emailsOpened emailsClicked revenue conversions orders }
            funnel { sent delivered opened clicked converted }
            timeline(interval: DAY) { bucketStart emailsSent emailsOpened emailsClicked revenue } } }"#,
        json!({ "id": campaign_id() }),
    )
    .await;
    json!({ "sends": sends, "events": events, "conversions": convs, "orders": ords, "quarantine": held, "figures": figures })
}

/// Each send as errata E5 says it must end, counted from the stream in plain Rust: the
/// earliest time of each kind (an open, click, spam report or unsubscribe proves delivery; a
/// click proves a human open), delivered over bounced over dropped, and the earliest bounce's
/// (or drop's) reason while undelivered.
fn expected_sends(items: &[Item]) -> Vec<Value> {
    type Ev = (usize, i64, bool, usize, usize);
    let t = |m: i64| base() + Duration::minutes(m);
    (0..SENDS)
        .map(|s| {
            // (type, minute, machine open, reason, event number) of this send's events.
            let mine: Vec<Ev> = items
                .iter()
                .filter_map(|i| match *i {
                    Item::Event { n, send, kind, minute, machine, reason } if send == s && kind < EVENT_TYPES.len() => {
                        Some((kind, minute, machine, reason, n))
                    }
                    _ => None,
                })
                .collect();
            let earliest = |names: &[&str], pred: &dyn Fn(&Ev) -> bool| {
                mine.iter().filter(|e| names.contains(&EVENT_TYPES[e.0]) && pred(e)).map(|e| e.1).min().map(t)
            };
            let any = |_: &Ev| true;
            let delivered = earliest(&["delivered", "open", "click", "spamreport", "unsubscribe"], &any);
            let opened = earliest(&["open", "click"], &any);
            let human = earliest(&["open", "click"], &|e| EVENT_TYPES[e.0] == "click" || !e.2);
            let clicked = earliest(&["click"], &any);
            let reason_of = |name: &str| {
                mine.iter()
                    .filter(|e| EVENT_TYPES[e.0] == name)
                    .min_by_key(|e| (e.1, format!("ev-{}", e.4)))
                    .map(|e| format!("550 reason {}", e.3))
            };
            let (status, reason) = if delivered.is_some() {
                ("delivered", None)
            } else if let Some(r) = reason_of("bounce") {
                ("bounced", Some(r))
            } else if let Some(r) = reason_of("dropped") {
                ("failed", Some(r))
            } else {
                ("sent", None)
            };
            json!([id(s), status, delivered, opened, human, clicked, reason])
        })
        .collect()
}

async fn check(reference: &DatabaseConnection, shuffled: &DatabaseConnection, w: &(Vec<Item>, Vec<usize>, Vec<usize>)) {
    let (items, delivery, cuts) = w;
    setup(reference).await;
    setup(shuffled).await;

    // The reference: each item once, in time order, one at a time.
    let mut in_order: Vec<&Item> = items.iter().collect();
    in_order.sort_by_key(|i| i.time());
    for it in &in_order {
        deliver(reference, &[it]).await;
    }

    // The same stream shuffled, with repeats, in batches.
    let arrivals: Vec<&Item> = delivery.iter().map(|i| &items[*i]).collect();
    let mut rest = &arrivals[..];
    let mut cut = cuts.iter().cycle();
    while !rest.is_empty() {
        let n = (*cut.next().unwrap()).min(rest.len());
        deliver(shuffled, &rest[..n]).await;
        rest = &rest[n..];
    }

    for db in [reference, shuffled] {
        let differences = campaign_performance::analytics::rollups::verify(db).await.unwrap();
        assert!(differences.is_empty(), "the rollups differ from a recount: {differences:?}");
    }
    let (a, b) = (state(reference).await, state(shuffled).await);
    assert_eq!(a["sends"], json!(expected_sends(items)), "the sends differ from errata E5's rules");
    assert_eq!(a, b, "the shuffled, repeated delivery differs from the in-order replay");
    // The merge never breaks E5's funnel: clicked ≤ human opened ≤ opened ≤ delivered ≤ sent.
    let p = &a["figures"]["campaign"]["performance"];
    let n = |k: &str| p[k].as_i64().unwrap();
    assert!(n("emailsClicked") <= n("emailsHumanOpened"));
    assert!(n("emailsHumanOpened") <= n("emailsOpened"));
    assert!(n("emailsOpened") <= n("emailsDelivered"));
    assert!(n("emailsDelivered") + n("emailsBounced") <= n("totalEmailsSent"));
}

fn run(postgres: bool) {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(6);
    if postgres && std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        TestDb::skipped_without_postgres();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&world(), |w| {
            rt.block_on(async {
                let open =
                    || async { if postgres { TestDb::postgres().await.unwrap() } else { TestDb::sqlite().await } };
                let (reference, shuffled) = (open().await, open().await);
                check(&reference, &shuffled, &w).await;
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn shuffled_repeated_delivery_equals_the_in_order_replay_sqlite() {
    run(false);
}

#[test]
fn shuffled_repeated_delivery_equals_the_in_order_replay_postgres() {
    run(true);
}
