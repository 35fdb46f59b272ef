//! The rollups stay equal to a recount of the raw rows through inserts, updates (status,
//! times, a first open moved to an earlier slot, an order cancelled, a conversion moved to
//! another campaign), deletes and cascades; `verify` finds a tampered row and `rebuild`
//! mends it; figures for all time (from the rollups) equal the figures of a window that
//! holds everything (from the raw rows).

use crate::common::*;
use campaign_performance::analytics::rollups::{rebuild, verify};
use chrono::Duration;
use entity::enums::{OrderStatus, ProductCategory, Region, SendStatus};
use entity::{campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, IntoActiveModel};
use serde_json::json;

async fn figures(db: &sea_orm::DatabaseConnection, id: uuid::Uuid) -> (serde_json::Value, serde_json::Value) {
    let q = r#"query($id: UUID!) { campaign(id: $id) {
        all: performance { totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsHumanOpened emailsClicked emailsBounced }
        window: performance(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z") {
          totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsHumanOpened emailsClicked emailsBounced }
        retailerPerformance { retailer { name } emailsDelivered emailsClicked } } }"#;
    let data = gql(db, q, json!({ "id": id })).await;
    (data["campaign"]["all"].clone(), data["campaign"]["window"].clone())
}

db_test!(rollups_follow_every_change_to_the_sends_and_verify_finds_what_differs, |db| {
    let a = retailer("A", Region::East).insert(&*db).await;
    let b = retailer("B", Region::West).insert(&*db).await;
    let c = campaign("Rolled").insert(&*db).await;
    let e1 = email_campaign(&*db, &c, "One").await;
    let e2 = email_campaign(&*db, &c, "Two").await;
    let mut sends = Vec::new();
    for (i, r) in [&a, &b, &a, &b, &a].iter().enumerate() {
        let outcome = SendOutcome { delivered: i % 2 == 0, opened: i == 0, clicked: i == 0, ..Default::default() };
        sends.push(send(&*db, if i < 3 { &e1 } else { &e2 }, r, outcome).await);
    }
    assert!(verify(&*db).await.unwrap().is_empty());
    let (all, window) = figures(&db, c.id).await;
    assert_eq!(all, window);
    assert_eq!(all["totalEmailsSent"], 5);

    // A late event moves the first open of send 1 to an earlier slot, and delivers it.
    let mut s1 = sends[1].clone().into_active_model();
    s1.opened_at = Set(Some(sends[1].sent_at + Duration::minutes(3)));
    s1.human_opened_at = Set(Some(sends[1].sent_at + Duration::minutes(3)));
    s1.delivered_at = Set(Some(sends[1].sent_at + Duration::minutes(1)));
    s1.status = Set(SendStatus::Delivered);
    s1.update(&*db).await.unwrap();
    // Send 3 bounces; send 4 moves to the other retailer and an hour later.
    let mut s3 = sends[3].clone().into_active_model();
    s3.status = Set(SendStatus::Bounced);
    s3.update(&*db).await.unwrap();
    let mut s4 = sends[4].clone().into_active_model();
    s4.retailer_id = Set(Some(b.id));
    s4.sent_at = Set(sends[4].sent_at + Duration::hours(1));
    s4.update(&*db).await.unwrap();
    // Send 2 is deleted.
    email_sends::Entity::delete_by_id(sends[2].id).exec(&*db).await.unwrap();
    assert!(verify(&*db).await.unwrap().is_empty());
    let (all, window) = figures(&db, c.id).await;
    assert_eq!(all, window);
    assert_eq!(
        all,
        json!({"totalRetailers": 2, "totalEmailsSent": 4, "emailsDelivered": 3, "emailsOpened": 2,
                           "emailsHumanOpened": 2, "emailsClicked": 1, "emailsBounced": 1})
    );

    // Deleting an email campaign cascades to its sends, and the rollups follow.
    email_campaigns::Entity::delete_by_id(e2.id).exec(&*db).await.unwrap();
    assert!(verify(&*db).await.unwrap().is_empty());
    let (all, window) = figures(&db, c.id).await;
    assert_eq!(all, window);
    assert_eq!(all["totalEmailsSent"], 2);
    campaigns::Entity::delete_by_id(c.id).exec(&*db).await.unwrap();
    assert!(verify(&*db).await.unwrap().is_empty(), "a deleted campaign leaves nothing counted");

    // A tampered row is found, and rebuilding mends it.
    let c2 = campaign("Again").insert(&*db).await;
    let e3 = email_campaign(&*db, &c2, "Three").await;
    send(&*db, &e3, &a, SendOutcome { delivered: true, ..Default::default() }).await;
    db.execute_unprepared("UPDATE email_rollups SET delivered = delivered + 1 WHERE sent > 0").await.unwrap();
    let differences = verify(&*db).await.unwrap();
    assert_eq!(differences.len(), 1);
    assert_eq!(differences[0].table, "email_rollups");
    assert_eq!(differences[0].stored[1], differences[0].recounted[1] + 1, "delivered, one too many");
    db.execute_unprepared("DELETE FROM email_activity WHERE kind = 0").await.unwrap();
    assert!(verify(&*db).await.unwrap().iter().any(|d| d.table == "email_activity"), "a lost activity row is found");
    rebuild(&db).await.unwrap();
    assert!(verify(&*db).await.unwrap().is_empty());
    let (all, window) = figures(&db, c2.id).await;
    assert_eq!(all, window);
});

/// Revenue, funnel, categories and leaderboard of a campaign, for all time (rollups, with its
/// timeline) and for a window holding everything (raw rows).
async fn revenue_figures(db: &sea_orm::DatabaseConnection, id: uuid::Uuid) -> (serde_json::Value, serde_json::Value) {
    let fields = |w: &str| {
        format!(
            "performance{w} {{ totalRevenue pendingRevenue emailAttributedRevenue }}
             funnel{w} {{ converted convertingRetailers }}
             productCategories{w} {{ category conversions revenue }}
             retailerPerformance{w} {{ retailer {{ name }} conversions orders revenue pendingRevenue }}"
        )
    };
    let q = format!(
        "query($id: UUID!) {{ all: campaign(id: $id) {{ {} timeline(interval: DAY) {{ bucketStart conversions revenue }} }}
           window: campaign(id: $id) {{ {} }} }}",
        fields(""),
        fields(r#"(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z")"#),
    );
    let data = gql(db, &q, json!({ "id": id })).await;
    (data["all"].clone(), data["window"].clone())
}

db_test!(revenue_rollups_follow_conversions_and_orders_through_every_change, |db| {
    let a = retailer("A", Region::East).insert(&*db).await;
    let b = retailer("B", Region::West).insert(&*db).await;
    let c = campaign("Revenue").insert(&*db).await;
    let other = campaign("Other").insert(&*db).await;
    let e = email_campaign(&*db, &c, "One").await;
    let s = send(&*db, &e, &a, SendOutcome { delivered: true, clicked: true, ..Default::default() }).await;
    let c1 = conversion(&*db, &c, &a, "100.10").await;
    let c2 = conversion(&*db, &c, &b, "50.05").await;
    let mut linked = c1.clone().into_active_model();
    linked.email_send_id = Set(Some(s.id));
    linked.update(&*db).await.unwrap();
    let o1 = order(&*db, &c, &a, "2450.00", OrderStatus::Pending).await;
    let _o2 = order(&*db, &c, &b, "99.99", OrderStatus::Completed).await;
    assert!(verify(&*db).await.unwrap().is_empty());
    let (all, _) = revenue_figures(&db, c.id).await;
    assert_eq!(all["performance"]["totalRevenue"], "250.14", "conversions 150.15 + completed orders 99.99");
    assert_eq!(all["performance"]["pendingRevenue"], "2450.00");

    // The pending order completes, then is cancelled and moves to another day; a conversion
    // changes category and moves to another campaign; the linked one loses its link.
    let mut o = o1.clone().into_active_model();
    o.order_status = Set(OrderStatus::Completed);
    let o1 = o.update(&*db).await.unwrap();
    assert!(verify(&*db).await.unwrap().is_empty());
    let (all, window) = revenue_figures(&db, c.id).await;
    assert_eq!(all["performance"]["totalRevenue"], "2700.14");
    assert_eq!(all["performance"], window["performance"]);
    let mut o = o1.into_active_model();
    o.order_status = Set(OrderStatus::Cancelled);
    o.order_date = Set(at(2025, 2, 3, 4));
    o.update(&*db).await.unwrap();
    let mut moved = c2.clone().into_active_model();
    moved.campaign_id = Set(Some(other.id));
    moved.product_category = Set(Some(ProductCategory::Necklaces));
    moved.update(&*db).await.unwrap();
    let mut unlinked = crm_conversions::Entity::find_by_id(c1.id).one(&*db).await.unwrap().unwrap().into_active_model();
    unlinked.email_send_id = Set(None);
    unlinked.update(&*db).await.unwrap();
    assert!(verify(&*db).await.unwrap().is_empty());
    let (all, window) = revenue_figures(&db, c.id).await;
    for part in ["performance", "funnel", "productCategories", "retailerPerformance"] {
        assert_eq!(all[part], window[part], "{part}: rollups equal the raw rows");
    }
    assert_eq!(all["performance"]["totalRevenue"], "200.09", "100.10 + 99.99; the cancelled order counts nothing");
    assert_eq!(all["performance"]["emailAttributedRevenue"], "99.99", "the conversion is no longer linked");
    let (moved_all, moved_window) = revenue_figures(&db, other.id).await;
    assert_eq!(moved_all["productCategories"], moved_window["productCategories"]);
    assert_eq!(moved_all["performance"]["totalRevenue"], "50.05");

    // Deletes.
    ecommerce_orders::Entity::delete_many().exec(&*db).await.unwrap();
    crm_conversions::Entity::delete_by_id(c2.id).exec(&*db).await.unwrap();
    assert!(verify(&*db).await.unwrap().is_empty());
    let (all, window) = revenue_figures(&db, c.id).await;
    assert_eq!(all["performance"], window["performance"]);
    assert_eq!(all["performance"]["totalRevenue"], "100.10");

    // A tampered revenue row is found and mended.
    db.execute_unprepared("UPDATE conversion_rollups SET cents = cents + 1 WHERE n > 0").await.unwrap();
    assert!(verify(&*db).await.unwrap().iter().any(|d| d.table == "conversion_rollups"));
    rebuild(&db).await.unwrap();
    assert!(verify(&*db).await.unwrap().is_empty());
});

db_test!(a_period_is_exact_at_its_edges_inside_a_slot, |db| {
    let a = retailer("A", Region::East).insert(&*db).await;
    let c = campaign("Edges").insert(&*db).await;
    let e = email_campaign(&*db, &c, "One").await;
    let t = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    // The window starts and ends inside 15-minute slots, to the microsecond.
    let (from, to) = ("2025-03-01T10:07:30.500Z", "2025-03-01T12:52:10.250Z");
    let sends = [
        ("2025-03-01T10:05:00Z", false),
        ("2025-03-01T10:07:30.499999Z", false),
        ("2025-03-01T10:07:30.500Z", true),
        ("2025-03-01T10:10:00Z", true),
        ("2025-03-01T11:00:00Z", true),
        ("2025-03-01T12:50:00Z", true),
        ("2025-03-01T12:52:10.250Z", true),
        ("2025-03-01T12:52:10.250001Z", false),
        ("2025-03-01T12:55:00Z", false),
        ("2025-03-01T13:00:00Z", false),
    ];
    for (i, (when, _)) in sends.iter().enumerate() {
        let s = send(&*db, &e, &a, SendOutcome { delivered: true, clicked: i % 2 == 0, ..Default::default() }).await;
        let mut m = s.into_active_model();
        m.sent_at = Set(t(when));
        m.update(&*db).await.unwrap();
    }
    let conversions = [
        ("2025-03-01T10:05:00Z", "1.00"),
        ("2025-03-01T10:08:00Z", "2.00"),
        ("2025-03-01T11:30:00Z", "4.00"),
        ("2025-03-01T12:53:00Z", "8.00"),
    ];
    for (when, value) in conversions {
        let m = conversion(&*db, &c, &a, value).await;
        let mut m = m.into_active_model();
        m.conversion_date = Set(t(when));
        m.update(&*db).await.unwrap();
    }
    for (when, value) in [("2025-03-01T12:52:00Z", "16.00"), ("2025-03-01T12:52:30Z", "32.00")] {
        let m = order(&*db, &c, &a, value, OrderStatus::Completed).await;
        let mut m = m.into_active_model();
        m.order_date = Set(t(when));
        m.update(&*db).await.unwrap();
    }
    assert!(verify(&*db).await.unwrap().is_empty());
    let inside: Vec<usize> = (0..sends.len()).filter(|i| sends[*i].1).collect();
    let data = gql(
        &db,
        "query($id: UUID!, $f: DateTime, $t: DateTime) { campaign(id: $id) {
            performance(from: $f, to: $t) { totalEmailsSent emailsClicked totalRevenue }
            retailerPerformance(from: $f, to: $t) { totalEmailsSent conversions orders revenue } } }",
        json!({ "id": c.id, "f": from, "t": to }),
    )
    .await;
    assert_eq!(
        data["campaign"]["performance"],
        json!({ "totalEmailsSent": inside.len(), "emailsClicked": inside.iter().filter(|i| *i % 2 == 0).count(),
                "totalRevenue": "22.00" }),
        "sends at and between the edges count; conversions 2 + 4 and the order of 16"
    );
    assert_eq!(
        data["campaign"]["retailerPerformance"],
        json!([{ "totalEmailsSent": inside.len(), "conversions": 2, "orders": 1, "revenue": "22.00" }])
    );
    // Open-ended windows.
    let data = gql(
        &db,
        "query($id: UUID!, $f: DateTime, $t: DateTime) { campaign(id: $id) {
            since: performance(from: $f) { totalEmailsSent totalRevenue }
            until: performance(to: $t) { totalEmailsSent totalRevenue } } }",
        json!({ "id": c.id, "f": from, "t": to }),
    )
    .await;
    assert_eq!(data["campaign"]["since"], json!({ "totalEmailsSent": 8, "totalRevenue": "62.00" }));
    assert_eq!(data["campaign"]["until"], json!({ "totalEmailsSent": 7, "totalRevenue": "23.00" }));
});
