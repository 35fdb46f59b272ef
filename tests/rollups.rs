//! The email rollups stay equal to a recount of the sends through inserts, updates (status,
//! times, a first open moved to an earlier slot), deletes and cascades; `verify` finds a
//! tampered row and `rebuild` mends it; figures for all time (from the rollups) equal the
//! figures of a window that holds everything (from the raw rows).

mod common;

use campaign_performance::analytics::rollups::{rebuild, verify};
use chrono::Duration;
use common::*;
use entity::enums::{Region, SendStatus};
use entity::{campaigns, email_campaigns, email_sends};
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
