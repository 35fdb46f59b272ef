//! Property test: random campaigns, sends (statuses and event times in any combination),
//! conversions and orders (cancelled, refunded and pending included); every figure of
//! `performance` (also of a period), `retailerPerformance`, `regionalPerformance`, `funnel`,
//! `productCategories`, `timeline`, `subjectLines`, `User.performance` and `portfolioSummary`
//! equals a plain Rust recount of the generated rows, on SQLite and (with
//! `TEST_DATABASE_URL`) PostgreSQL.
//! Cases: 6 by default; `PROPTEST_CASES=200 cargo test --test analytics_props` for more.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use entity::enums::{ConversionType, OrderStatus, ProductCategory, Region, SendStatus};
use entity::{Money, crm_conversions, ecommerce_orders, email_sends};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

#[derive(Debug, Clone)]
struct SendSpec {
    retailer: usize,
    email: usize,
    sent_min: i64,
    status: SendStatus,
    delivered: Option<i64>,
    opened: Option<i64>,
    clicked: Option<i64>,
}

#[derive(Debug, Clone)]
struct ConvSpec {
    retailer: usize,
    cents: i64,
    kind: ConversionType,
    category: Option<ProductCategory>,
    send: Option<usize>,
    at_min: i64,
}

#[derive(Debug, Clone)]
struct OrderSpec {
    retailer: usize,
    cents: i64,
    status: OrderStatus,
    attributed: bool,
    at_min: i64,
}

#[derive(Debug, Clone)]
struct CampaignSpec {
    spent_cents: i64,
    emails: usize,
    sends: Vec<SendSpec>,
    conversions: Vec<ConvSpec>,
    orders: Vec<OrderSpec>,
}

#[derive(Debug, Clone)]
struct World {
    regions: Vec<Region>,
    campaigns: Vec<CampaignSpec>,
}

fn world() -> impl Strategy<Value = World> {
    let regions = prop::collection::vec(prop::sample::select(vec![Region::East, Region::West, Region::Central]), 1..6);
    regions.prop_flat_map(|regions| {
        let n = regions.len();
        let send = (
            0..n,
            0..3usize,
            0..20_000i64,
            prop::sample::select(vec![
                SendStatus::Sent,
                SendStatus::Delivered,
                SendStatus::Bounced,
                SendStatus::Failed,
            ]),
            prop::option::of(0..3_000i64),
            prop::option::of(0..5_000i64),
            prop::option::of(0..6_000i64),
        )
            .prop_map(|(retailer, email, sent_min, status, delivered, opened, clicked)| SendSpec {
                retailer,
                email,
                sent_min,
                status,
                delivered,
                opened,
                clicked,
            });
        let conv = (
            0..n,
            0..2_000_000i64,
            prop::sample::select(vec![
                ConversionType::Sale,
                ConversionType::Lead,
                ConversionType::Signup,
                ConversionType::DemoRequest,
            ]),
            prop::option::of(prop::sample::select(vec![
                ProductCategory::Necklaces,
                ProductCategory::Bracelets,
                ProductCategory::Earrings,
                ProductCategory::Rings,
            ])),
            prop::option::of(0..60usize),
            0..30_000i64,
        )
            .prop_map(|(retailer, cents, kind, category, send, at_min)| ConvSpec {
                retailer,
                cents,
                kind,
                category,
                send,
                at_min,
            });
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
            0..30_000i64,
        )
            .prop_map(|(retailer, cents, status, attributed, at_min)| OrderSpec {
                retailer,
                cents,
                status,
                attributed,
                at_min,
            });
        let campaign = (
            0..5_000_000i64,
            1..4usize,
            prop::collection::vec(send, 0..60),
            prop::collection::vec(conv, 0..6),
            prop::collection::vec(order, 0..6),
        )
            .prop_map(|(spent_cents, emails, sends, conversions, orders)| CampaignSpec {
                spent_cents,
                emails,
                sends,
                conversions,
                orders,
            });
        (Just(regions), prop::collection::vec(campaign, 1..3))
            .prop_map(|(regions, campaigns)| World { regions, campaigns })
    })
}

fn start() -> DateTime<Utc> {
    "2025-01-10T00:00:00Z".parse().unwrap()
}

fn pct(n: i64, d: i64) -> Value {
    if d == 0 {
        return json!(0.0);
    }
    let r = (Decimal::from(n) * Decimal::ONE_HUNDRED / Decimal::from(d))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    json!(r.to_string().parse::<f64>().unwrap())
}

fn money(cents: i64) -> Value {
    json!(Money::from_cents(cents).to_string())
}

const QUERY: &str = r#"query($id: UUID!) { campaign(id: $id) {
  performance { totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsClicked emailsBounced deliveryRate openRate clickRate
                clickToOpenRate totalRevenue conversionRevenue orderRevenue pendingRevenue emailAttributedRevenue roiPercentage roas performanceTier }
  retailerPerformance(orderBy: NAME) { retailer { name } totalEmailsSent emailsDelivered emailsOpened emailsClicked emailsBounced revenue pendingRevenue conversions orders }
  regionalPerformance { region retailerCount totalEmailsSent emailsDelivered emailsOpened emailsClicked revenue conversions orders }
  funnel { sent delivered opened clicked converted convertingRetailers }
  productCategories { category conversions revenue }
  timeline(interval: DAY, from: "2025-01-10T00:00:00Z", to: "2025-02-10T23:59:59Z") { bucketStart emailsSent emailsDelivered emailsOpened emailsClicked conversions revenue }
} }"#;

/// Loads `w` and checks every figure against the recount.
async fn check(db: &TestDb, w: &World) {
    let mut retailers = Vec::new();
    for (i, region) in w.regions.iter().enumerate() {
        retailers.push(retailer(&format!("R{i:02}"), *region).insert(&**db).await);
    }
    let t = |min: i64| start() + Duration::minutes(min);
    for (ci, spec) in w.campaigns.iter().enumerate() {
        let c = campaign(&format!("C{ci}")).spent(&Money::from_cents(spec.spent_cents).to_string()).insert(&**db).await;
        let mut emails = Vec::new();
        for e in 0..spec.emails {
            emails.push(email_campaign(&**db, &c, &format!("E{e}")).await);
        }
        let mut send_ids = Vec::new();
        for s in &spec.sends {
            let sent = t(s.sent_min);
            let model = email_sends::ActiveModel {
                id: Set(Uuid::new_v4()),
                email_campaign_id: Set(Some(emails[s.email % spec.emails].id)),
                retailer_id: Set(Some(retailers[s.retailer].id)),
                recipient_email: Set(format!("{}@x.example", Uuid::new_v4().simple())),
                recipient_name: Set(None),
                sent_at: Set(sent),
                delivered_at: Set(s.delivered.map(|m| sent + Duration::minutes(m))),
                opened_at: Set(s.opened.map(|m| sent + Duration::minutes(m))),
                clicked_at: Set(s.clicked.map(|m| sent + Duration::minutes(m))),
                status: Set(s.status),
                bounce_reason: Set(None),
                human_opened_at: Set(s.opened.map(|m| sent + Duration::minutes(m))),
            };
            send_ids.push(model.insert(&**db).await.unwrap().id);
        }
        for cv in &spec.conversions {
            crm_conversions::ActiveModel {
                id: Set(Uuid::new_v4()),
                campaign_id: Set(Some(c.id)),
                retailer_id: Set(Some(retailers[cv.retailer].id)),
                email_send_id: Set(cv.send.and_then(|i| send_ids.get(i % send_ids.len().max(1)).copied())),
                conversion_type: Set(Some(cv.kind)),
                conversion_value: Set(Some(Money::from_cents(cv.cents))),
                conversion_date: Set(t(cv.at_min)),
                product_category: Set(cv.category),
                created_at: Set(t(cv.at_min)),
                source: Set(None),
                external_id: Set(None),
            }
            .insert(&**db)
            .await
            .unwrap();
        }
        for o in &spec.orders {
            ecommerce_orders::ActiveModel {
                id: Set(Uuid::new_v4()),
                campaign_id: Set(Some(c.id)),
                retailer_id: Set(Some(retailers[o.retailer].id)),
                order_value: Set(Some(Money::from_cents(o.cents))),
                order_date: Set(t(o.at_min)),
                product_count: Set(1),
                order_status: Set(o.status),
                attributed_to_email: Set(o.attributed),
                created_at: Set(t(o.at_min)),
                source: Set(None),
                external_id: Set(None),
                source_updated_at: Set(None),
            }
            .insert(&**db)
            .await
            .unwrap();
        }

        // ---- the recount ----
        #[derive(Default, Clone, Copy)]
        struct Fig {
            sent: i64,
            delivered: i64,
            opened: i64,
            clicked: i64,
            bounced: i64,
            conv_n: i64,
            conv_cents: i64,
            linked_cents: i64,
            orders_n: i64,
            order_cents: i64,
            pending_cents: i64,
            attributed_cents: i64,
        }
        let mut per: BTreeMap<usize, Fig> = BTreeMap::new();
        let mut days: BTreeMap<i64, [i64; 6]> = BTreeMap::new();
        let day = |at: DateTime<Utc>| (at - start()).num_days();
        for s in &spec.sends {
            let f = per.entry(s.retailer).or_default();
            let sent = t(s.sent_min);
            let (d, o, k) = (
                s.delivered.map(|m| sent + Duration::minutes(m)),
                s.opened.map(|m| sent + Duration::minutes(m)),
                s.clicked.map(|m| sent + Duration::minutes(m)),
            );
            let delivered = d.is_some() || o.is_some() || k.is_some() || s.status == SendStatus::Delivered;
            f.sent += 1;
            f.delivered += i64::from(delivered);
            f.opened += i64::from(o.is_some() || k.is_some());
            f.clicked += i64::from(k.is_some());
            f.bounced += i64::from(!delivered && matches!(s.status, SendStatus::Bounced | SendStatus::Failed));
            days.entry(day(sent)).or_default()[0] += 1;
            if let Some(at) = d.or(o).or(k) {
                days.entry(day(at)).or_default()[1] += 1;
            }
            if let Some(at) = o.or(k) {
                days.entry(day(at)).or_default()[2] += 1;
            }
            if let Some(at) = k {
                days.entry(day(at)).or_default()[3] += 1;
            }
        }
        let mut converted_sends = HashSet::new();
        let mut converting = HashSet::new();
        let mut categories: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for cv in &spec.conversions {
            let f = per.entry(cv.retailer).or_default();
            let linked = cv.send.and_then(|i| send_ids.get(i % send_ids.len().max(1)).copied());
            f.conv_n += 1;
            f.conv_cents += cv.cents;
            if let Some(s) = linked {
                f.linked_cents += cv.cents;
                converted_sends.insert(s);
            }
            converting.insert(cv.retailer);
            let key = cv.category.map(|c| format!("{c:?}").to_uppercase()).unwrap_or_default();
            let e = categories.entry(key).or_default();
            e.0 += 1;
            e.1 += cv.cents;
            let dd = days.entry(day(t(cv.at_min))).or_default();
            dd[4] += 1;
            dd[5] += cv.cents;
        }
        for o in &spec.orders {
            let f = per.entry(o.retailer).or_default();
            match o.status {
                OrderStatus::Completed => {
                    f.orders_n += 1;
                    f.order_cents += o.cents;
                    if o.attributed {
                        f.attributed_cents += o.cents;
                    }
                    days.entry(day(t(o.at_min))).or_default()[5] += o.cents;
                }
                OrderStatus::Pending => f.pending_cents += o.cents,
                _ => {}
            }
            if o.attributed && matches!(o.status, OrderStatus::Completed | OrderStatus::Pending) {
                converting.insert(o.retailer);
            }
        }
        let total = per.values().fold(Fig::default(), |mut a, f| {
            a.sent += f.sent;
            a.delivered += f.delivered;
            a.opened += f.opened;
            a.clicked += f.clicked;
            a.bounced += f.bounced;
            a.conv_cents += f.conv_cents;
            a.linked_cents += f.linked_cents;
            a.order_cents += f.order_cents;
            a.pending_cents += f.pending_cents;
            a.attributed_cents += f.attributed_cents;
            a
        });
        let revenue = total.conv_cents + total.order_cents;
        let spent = spec.spent_cents;
        let roi = (spent > 0).then(|| Decimal::from(revenue - spent) * Decimal::ONE_HUNDRED / Decimal::from(spent));
        let tier = match roi {
            Some(r) if r >= Decimal::ONE_HUNDRED => "HIGH_ROI",
            Some(r) if r >= Decimal::from(50) => "GOOD_ROI",
            _ => "STANDARD",
        };
        let r1 = |d: Option<Decimal>, places| {
            json!(d.map_or(0.0, |d| {
                d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
                    .to_string()
                    .parse::<f64>()
                    .unwrap()
            }))
        };

        let answer = gql(db, QUERY, json!({ "id": c.id })).await;
        let got = &answer["campaign"];
        assert_eq!(
            got["performance"],
            json!({
                "totalRetailers": per.values().filter(|f| f.sent > 0).count(), "totalEmailsSent": total.sent,
                "emailsDelivered": total.delivered, "emailsOpened": total.opened, "emailsClicked": total.clicked,
                "emailsBounced": total.bounced, "deliveryRate": pct(total.delivered, total.sent),
                "openRate": pct(total.opened, total.delivered), "clickRate": pct(total.clicked, total.delivered),
                "clickToOpenRate": pct(total.clicked, total.opened), "totalRevenue": money(revenue),
                "conversionRevenue": money(total.conv_cents), "orderRevenue": money(total.order_cents),
                "pendingRevenue": money(total.pending_cents), "emailAttributedRevenue": money(total.linked_cents + total.attributed_cents),
                "roiPercentage": r1(roi, 1),
                "roas": r1((spent > 0).then(|| Decimal::from(revenue) / Decimal::from(spent)), 2),
                "performanceTier": tier
            }),
            "performance of {spec:?}"
        );
        let rows: Vec<Value> = per
            .iter()
            .map(|(r, f)| json!({ "retailer": { "name": format!("R{r:02}") }, "totalEmailsSent": f.sent, "emailsDelivered": f.delivered,
                "emailsOpened": f.opened, "emailsClicked": f.clicked, "emailsBounced": f.bounced,
                "revenue": money(f.conv_cents + f.order_cents), "pendingRevenue": money(f.pending_cents),
                "conversions": f.conv_n, "orders": f.orders_n }))
            .collect();
        assert_eq!(got["retailerPerformance"], json!(rows));
        let mut regions: BTreeMap<usize, (i64, Fig)> = BTreeMap::new();
        let order = [Region::East, Region::West, Region::Central];
        for (r, f) in &per {
            let idx = order.iter().position(|x| *x == w.regions[*r]).unwrap();
            let e = regions.entry(idx).or_default();
            e.0 += 1;
            e.1.sent += f.sent;
            e.1.delivered += f.delivered;
            e.1.opened += f.opened;
            e.1.clicked += f.clicked;
            e.1.conv_cents += f.conv_cents + f.order_cents;
            e.1.conv_n += f.conv_n;
            e.1.orders_n += f.orders_n;
        }
        let regions: Vec<Value> = regions
            .iter()
            .map(|(i, (n, f))| json!({ "region": format!("{:?}", order[*i]).to_uppercase(), "retailerCount": n,
                "totalEmailsSent": f.sent, "emailsDelivered": f.delivered, "emailsOpened": f.opened, "emailsClicked": f.clicked,
                "revenue": money(f.conv_cents), "conversions": f.conv_n, "orders": f.orders_n }))
            .collect();
        assert_eq!(got["regionalPerformance"], json!(regions));
        assert_eq!(
            got["funnel"],
            json!({ "sent": total.sent, "delivered": total.delivered, "opened": total.opened, "clicked": total.clicked,
                    "converted": converted_sends.len(), "convertingRetailers": converting.len() })
        );
        let mut cats: Vec<(String, i64, i64)> = categories.into_iter().map(|(k, (n, c))| (k, n, c)).collect();
        cats.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)));
        let got_cats: HashMap<String, (i64, String)> = got["productCategories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["category"].as_str().unwrap_or("").to_owned(),
                    (c["conversions"].as_i64().unwrap(), c["revenue"].as_str().unwrap().to_owned()),
                )
            })
            .collect();
        let want_cats: HashMap<String, (i64, String)> =
            cats.iter().map(|(k, n, c)| (k.clone(), (*n, Money::from_cents(*c).to_string()))).collect();
        assert_eq!(got_cats, want_cats);
        // Subject lines: per email counts, best flags, z-test p-values against the best.
        let per_email: Vec<(String, [i64; 3])> = (0..spec.emails)
            .map(|e| {
                let mut c = [0i64; 3];
                for s in spec.sends.iter().filter(|s| s.email % spec.emails == e) {
                    c[0] += i64::from(
                        s.delivered.is_some()
                            || s.opened.is_some()
                            || s.clicked.is_some()
                            || s.status == SendStatus::Delivered,
                    );
                    c[1] += i64::from(s.opened.is_some() || s.clicked.is_some());
                    c[2] += i64::from(s.clicked.is_some());
                }
                (format!("E{e}"), c)
            })
            .collect();
        let rate = |c: &[i64; 3], k: usize| if c[0] == 0 { 0.0 } else { c[k] as f64 / c[0] as f64 };
        let exact_gt = |x: &[i64; 3], y: &[i64; 3], k: usize| match (x[0], y[0]) {
            (0, _) => false,
            (_, 0) => x[k] > 0,
            _ => i128::from(x[k]) * i128::from(y[0]) > i128::from(y[k]) * i128::from(x[0]),
        };
        let best_of = |k: usize| {
            per_email
                .iter()
                .reduce(|a, b| {
                    let wins = exact_gt(&b.1, &a.1, k)
                        || (!exact_gt(&a.1, &b.1, k)
                            && (b.1[0], std::cmp::Reverse(&b.0)) > (a.1[0], std::cmp::Reverse(&a.0)));
                    if wins { b } else { a }
                })
                .map(|x| x.1)
                .unwrap()
        };
        let p_value = |x: &[i64; 3], y: &[i64; 3], k: usize| {
            let (n1, n2) = (x[0] as f64, y[0] as f64);
            if n1 == 0.0 || n2 == 0.0 {
                return 1.0;
            }
            let pooled = (x[k] + y[k]) as f64 / (n1 + n2);
            let var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
            if var <= 0.0 { 1.0 } else { libm::erfc(((rate(x, k) - rate(y, k)) / var.sqrt()).abs() / 2f64.sqrt()) }
        };
        let lines = gql(
            db,
            "query($id: UUID!) { campaign(id: $id) { subjectLines { subject emailsDelivered emailsOpened emailsClicked
                bestOpenRate bestClickRate openRatePValue clickRatePValue } } }",
            json!({ "id": c.id }),
        )
        .await;
        let lines = lines["campaign"]["subjectLines"].as_array().unwrap().clone();
        assert_eq!(lines.len(), spec.emails);
        for (subject, counts) in &per_email {
            let line = lines.iter().find(|l| l["subject"] == subject.as_str()).unwrap();
            let got =
                [&line["emailsDelivered"], &line["emailsOpened"], &line["emailsClicked"]].map(|v| v.as_i64().unwrap());
            assert_eq!(got, *counts);
            for (k, best_key, p_key) in [(1, "bestOpenRate", "openRatePValue"), (2, "bestClickRate", "clickRatePValue")]
            {
                let best = best_of(k);
                let is_best = !exact_gt(&best, counts, k);
                assert_eq!(line[best_key], json!(is_best), "{subject} {best_key} in {per_email:?}");
                let want = if is_best { 1.0 } else { p_value(counts, &best, k) };
                assert!((line[p_key].as_f64().unwrap() - want).abs() < 1e-9, "{subject} {p_key}");
            }
        }

        // A window: emails sent inside it (with their whole fate), conversions and orders
        // dated inside it.
        // Both ends fall inside 15-minute slots, so the edge slots are read from raw rows.
        let (wf, wt) = (t(3 * 1440 + 7), t(9 * 1440 + 17));
        let inside = |at: DateTime<Utc>| at >= wf && at <= wt;
        let mut want = [0i64; 6];
        for s in spec.sends.iter().filter(|s| inside(t(s.sent_min))) {
            let delivered =
                s.delivered.is_some() || s.opened.is_some() || s.clicked.is_some() || s.status == SendStatus::Delivered;
            want[0] += 1;
            want[1] += i64::from(delivered);
            want[2] += i64::from(s.opened.is_some() || s.clicked.is_some());
            want[3] += i64::from(s.clicked.is_some());
        }
        want[4] = spec.conversions.iter().filter(|c| inside(t(c.at_min))).map(|c| c.cents).sum::<i64>()
            + spec
                .orders
                .iter()
                .filter(|o| o.status == OrderStatus::Completed && inside(t(o.at_min)))
                .map(|o| o.cents)
                .sum::<i64>();
        want[5] = spec
            .orders
            .iter()
            .filter(|o| o.status == OrderStatus::Pending && inside(t(o.at_min)))
            .map(|o| o.cents)
            .sum();
        let windowed = gql(
            db,
            "query($id: UUID!, $f: DateTime, $t: DateTime) { campaign(id: $id) { performance(from: $f, to: $t) {
                totalEmailsSent emailsDelivered emailsOpened emailsClicked totalRevenue pendingRevenue }
                retailerPerformance(from: $f, to: $t) { totalEmailsSent } } }",
            json!({ "id": c.id, "f": wf, "t": wt }),
        )
        .await;
        assert_eq!(
            windowed["campaign"]["performance"],
            json!({ "totalEmailsSent": want[0], "emailsDelivered": want[1], "emailsOpened": want[2], "emailsClicked": want[3],
                    "totalRevenue": money(want[4]), "pendingRevenue": money(want[5]) }),
            "window of {spec:?}"
        );
        let rows_sent: i64 = windowed["campaign"]["retailerPerformance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["totalEmailsSent"].as_i64().unwrap())
            .sum();
        assert_eq!(rows_sent, want[0]);

        let timeline = got["timeline"].as_array().unwrap();
        assert_eq!(timeline.len(), 32);
        for (i, point) in timeline.iter().enumerate() {
            let want = days.get(&(i as i64)).copied().unwrap_or_default();
            assert_eq!(
                (
                    point["emailsSent"].as_i64().unwrap(),
                    point["emailsDelivered"].as_i64().unwrap(),
                    point["emailsOpened"].as_i64().unwrap(),
                    point["emailsClicked"].as_i64().unwrap(),
                    point["conversions"].as_i64().unwrap(),
                    point["revenue"].clone()
                ),
                (want[0], want[1], want[2], want[3], want[4], money(want[5])),
                "day {i}"
            );
        }
    }

    // Across campaigns: each retailer's `performance`, and the portfolio.
    let mut want_revenue = 0i64;
    let mut want_pending = 0i64;
    for (ri, r) in retailers.iter().enumerate() {
        let (mut sent, mut delivered, mut opened, mut clicked, mut rev, mut pend, mut convs, mut ords, mut camps) =
            (0i64, 0i64, 0i64, 0i64, 0i64, 0i64, 0i64, 0i64, 0i64);
        for spec in &w.campaigns {
            let mut active = false;
            for s in spec.sends.iter().filter(|s| s.retailer == ri) {
                active = true;
                sent += 1;
                delivered += i64::from(
                    s.delivered.is_some()
                        || s.opened.is_some()
                        || s.clicked.is_some()
                        || s.status == SendStatus::Delivered,
                );
                opened += i64::from(s.opened.is_some() || s.clicked.is_some());
                clicked += i64::from(s.clicked.is_some());
            }
            for c in spec.conversions.iter().filter(|c| c.retailer == ri) {
                active = true;
                convs += 1;
                rev += c.cents;
            }
            for o in spec.orders.iter().filter(|o| o.retailer == ri) {
                active = true;
                match o.status {
                    OrderStatus::Completed => {
                        ords += 1;
                        rev += o.cents;
                    }
                    OrderStatus::Pending => pend += o.cents,
                    _ => {}
                }
            }
            camps += i64::from(active);
        }
        want_revenue += rev;
        want_pending += pend;
        let got = gql(db, "query($id: UUID!) { retailer(id: $id) { performance { campaigns totalEmailsSent emailsDelivered emailsOpened emailsClicked revenue pendingRevenue conversions orders } } }", json!({ "id": r.id })).await;
        assert_eq!(
            got["retailer"]["performance"],
            json!({ "campaigns": camps, "totalEmailsSent": sent, "emailsDelivered": delivered, "emailsOpened": opened,
                    "emailsClicked": clicked, "revenue": money(rev), "pendingRevenue": money(pend), "conversions": convs, "orders": ords }),
            "retailer {ri}"
        );
    }
    let rois: Vec<Decimal> = w
        .campaigns
        .iter()
        .filter(|c| c.spent_cents > 0)
        .map(|c| {
            let revenue: i64 = c.conversions.iter().map(|x| x.cents).sum::<i64>()
                + c.orders.iter().filter(|o| o.status == OrderStatus::Completed).map(|o| o.cents).sum::<i64>();
            Decimal::from(revenue - c.spent_cents) * Decimal::ONE_HUNDRED / Decimal::from(c.spent_cents)
        })
        .collect();
    let average = if rois.is_empty() {
        0.0
    } else {
        (rois.iter().sum::<Decimal>() / Decimal::from(rois.len()))
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
            .to_string()
            .parse::<f64>()
            .unwrap()
    };
    let portfolio = gql(
        db,
        "{ portfolioSummary { campaignCount totalBudgetSpent totalRevenue pendingRevenue averageRoi } }",
        json!({}),
    )
    .await;
    assert_eq!(
        portfolio["portfolioSummary"],
        json!({ "campaignCount": w.campaigns.len(), "totalBudgetSpent": money(w.campaigns.iter().map(|c| c.spent_cents).sum()),
                "totalRevenue": money(want_revenue), "pendingRevenue": money(want_pending), "averageRoi": average })
    );

    // The rest of the portfolio: overall ROI, status counts, the campaigns by ROI, regions.
    let spent: i64 = w.campaigns.iter().map(|c| c.spent_cents).sum();
    let revenue_of = |c: &CampaignSpec| {
        c.conversions.iter().map(|x| x.cents).sum::<i64>()
            + c.orders.iter().filter(|o| o.status == OrderStatus::Completed).map(|o| o.cents).sum::<i64>()
    };
    let overall = if spent == 0 {
        0.0
    } else {
        (Decimal::from(want_revenue - spent) * Decimal::ONE_HUNDRED / Decimal::from(spent))
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
            .to_string()
            .parse::<f64>()
            .unwrap()
    };
    let mut by_roi: Vec<(Decimal, i64, String)> = w
        .campaigns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.spent_cents > 0)
        .map(|(i, c)| {
            let roi =
                Decimal::from(revenue_of(c) - c.spent_cents) * Decimal::ONE_HUNDRED / Decimal::from(c.spent_cents);
            (roi, revenue_of(c), format!("C{i}"))
        })
        .collect();
    by_roi.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut region_revenue: BTreeMap<String, i64> = BTreeMap::new();
    for c in &w.campaigns {
        for cv in &c.conversions {
            *region_revenue.entry(format!("{:?}", w.regions[cv.retailer]).to_uppercase()).or_default() += cv.cents;
        }
        for o in c.orders.iter().filter(|o| o.status == OrderStatus::Completed) {
            *region_revenue.entry(format!("{:?}", w.regions[o.retailer]).to_uppercase()).or_default() += o.cents;
        }
        for s in &c.sends {
            region_revenue.entry(format!("{:?}", w.regions[s.retailer]).to_uppercase()).or_default();
        }
        for o in &c.orders {
            region_revenue.entry(format!("{:?}", w.regions[o.retailer]).to_uppercase()).or_default();
        }
    }
    let more = gql(
        db,
        "{ portfolioSummary { overallRoi byStatus { status count } topCampaigns(first: 100) { name } regions { region revenue } } }",
        json!({}),
    )
    .await;
    let p = &more["portfolioSummary"];
    assert_eq!(p["overallRoi"], json!(overall));
    assert_eq!(
        p["byStatus"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum::<i64>(),
        w.campaigns.len() as i64
    );
    let top: Vec<&str> = p["topCampaigns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    let rois_only: Vec<Decimal> = by_roi.iter().map(|r| r.0).collect();
    assert_eq!(top.len(), by_roi.len());
    // Names agree wherever the ROI order is strict (equal ROIs and revenues may come in either order).
    for (i, name) in top.iter().enumerate() {
        let tied: Vec<&str> =
            by_roi.iter().filter(|r| r.0 == rois_only[i] && r.1 == by_roi[i].1).map(|r| r.2.as_str()).collect();
        assert!(tied.contains(name), "top campaign {i}: {name} not among {tied:?}");
    }
    let regions: BTreeMap<String, Value> = p["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["region"].as_str().unwrap().to_owned(), r["revenue"].clone()))
        .collect();
    let want_regions: BTreeMap<String, Value> = region_revenue.into_iter().map(|(k, v)| (k, money(v))).collect();
    assert_eq!(regions, want_regions);

    // Retailers ranked by revenue across campaigns.
    let ranked = gql(
        db,
        "{ retailers(rankBy: REVENUE, first: 100) { edges { node { name performance { revenue } } } } }",
        json!({}),
    )
    .await;
    let revenues: Vec<Decimal> = ranked["retailers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["performance"]["revenue"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(revenues.len(), retailers.len());
    assert!(revenues.windows(2).all(|w| w[0] >= w[1]), "{revenues:?}");
}

fn run(postgres: bool) {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(6);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if postgres && std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant skipped");
        return;
    }
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&world(), |w| {
            rt.block_on(async {
                let db = if postgres { TestDb::postgres().await.unwrap() } else { TestDb::sqlite().await };
                check(&db, &w).await;
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_figure_equals_a_recount_sqlite() {
    run(false);
}

#[test]
fn every_figure_equals_a_recount_postgres() {
    run(true);
}
