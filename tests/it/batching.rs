//! No N+1: a nested request costs the same number of SQL statements for 1 campaign as for
//! 50 campaigns with 10,000 sends, on both backends.

use crate::common::*;
use entity::enums::{OrderStatus, Region};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

const NESTED: &str = r#"query($name: String) {
  campaigns(filter: { nameContains: $name }, first: 50) {
    edges { node {
      name
      emailCampaigns {
        subject
        sends(first: 50) { totalCount edges { node { recipientEmail retailer { name region } } } }
      }
      conversions(first: 10) { totalCount edges { node { conversionValue conversionType } } }
      orders(first: 10) { totalCount edges { node { orderValue orderStatus } } }
    } }
  }
}"#;

/// Runs `query` as `user` and returns how many statements reached the database, and the data.
async fn count_statements_of(
    db: &TestDb,
    user: &entity::users::Model,
    query: &str,
    variables: serde_json::Value,
) -> (usize, serde_json::Value) {
    count_statements_with_window(db, user, query, variables, std::time::Duration::ZERO).await
}

/// The same, with a batching window (`BATCH_WINDOW_MS`) on top of the resolvers all waiting.
async fn count_statements_with_window(
    db: &TestDb,
    user: &entity::users::Model,
    query: &str,
    variables: serde_json::Value,
    window: std::time::Duration,
) -> (usize, serde_json::Value) {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut conn = db.conn.clone();
    let c = counter.clone();
    conn.set_metric_callback(move |info| {
        c.fetch_add(1, Ordering::SeqCst);
        if std::env::var_os("SHOW_SQL").is_some() {
            println!("SQL: {}", &info.statement.sql[..info.statement.sql.len().min(150)]);
        }
    });
    // Without a window a batch runs once the request's resolvers all wait, so what is
    // measured is how the statements are shaped, whatever the machine's timing.
    let data = gql_with_window(&conn, Some(user), query, variables, window).await;
    assert!(data["errors"].is_null(), "{data}");
    (counter.load(Ordering::SeqCst), data["data"].clone())
}

/// Runs `NESTED` as the brand and returns how many statements reached the database, and the data.
async fn count_statements(db: &TestDb, name: Option<&str>) -> (usize, serde_json::Value) {
    count_statements_of(db, &brand_caller(), NESTED, json!({ "name": name })).await
}

db_test!(a_nested_request_costs_the_same_statements_for_1_or_50_campaigns, |db| {
    let retailers: Vec<_> = {
        let mut v = Vec::new();
        for i in 0..10 {
            v.push(retailer(&format!("Shop {i}"), Region::Central).insert(&*db).await);
        }
        v
    };
    let mut sends = Vec::new();
    for c in 0..50 {
        let camp = campaign(&format!("Campaign {c:02}")).insert(&*db).await;
        let email = email_campaign(&*db, &camp, &format!("Mail {c}")).await;
        for i in 0..200 {
            let r = &retailers[(c + i) % 10];
            sends.push(entity::email_sends::ActiveModel {
                id: Set(Uuid::new_v4()),
                email_campaign_id: Set(Some(email.id)),
                retailer_id: Set(Some(r.id)),
                recipient_email: Set(format!("p{c}-{i}@shop.example")),
                recipient_name: Set(None),
                sent_at: Set(at(2025, 1, 14, 0) + chrono::Duration::seconds(i as i64)),
                delivered_at: Set(None),
                opened_at: Set(None),
                clicked_at: Set(None),
                status: Set(entity::enums::SendStatus::Sent),
                bounce_reason: Set(None),
                human_opened_at: Set(None),
            });
        }
        conversion(&*db, &camp, &retailers[c % 10], "100.00").await;
        conversion(&*db, &camp, &retailers[(c + 1) % 10], "50.00").await;
        order(&*db, &camp, &retailers[c % 10], "75.00", OrderStatus::Completed).await;
        order(&*db, &camp, &retailers[(c + 2) % 10], "25.00", OrderStatus::Pending).await;
    }
    for chunk in sends.chunks(1000) {
        entity::email_sends::Entity::insert_many(chunk.to_vec()).exec_without_returning(&*db).await.unwrap();
    }

    let (one, data_one) = count_statements(&db, Some("Campaign 07")).await;
    let (fifty, data_fifty) = count_statements(&db, None).await;
    let edges = data_fifty["campaigns"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 50);
    assert_eq!(data_one["campaigns"]["edges"].as_array().unwrap().len(), 1);
    // Every campaign got its own first 50 of 200 sends, with their retailers.
    for e in edges {
        let sends = &e["node"]["emailCampaigns"][0]["sends"];
        assert_eq!(sends["totalCount"], 200);
        assert_eq!(sends["edges"].as_array().unwrap().len(), 50);
        assert!(sends["edges"][0]["node"]["retailer"]["name"].as_str().unwrap().starts_with("Shop "));
        assert_eq!(e["node"]["conversions"]["totalCount"], 2);
        assert_eq!(e["node"]["orders"]["edges"].as_array().unwrap().len(), 2);
    }
    // campaigns, email campaigns, send pages, send counts, send retailers, conversion pages,
    // conversion counts, order pages, order counts: 9, whatever the number of campaigns.
    println!("statements: 1 campaign = {one}, 50 campaigns = {fifty}");
    assert_eq!(one, fifty, "statement count grows with the number of campaigns");
    assert_eq!(fifty, 9, "one statement per loader and level");
    // A batching window only delays the batches: the same statements, the same answer.
    let windowed = std::time::Duration::from_millis(5);
    let (again, data_again) =
        count_statements_with_window(&db, &brand_caller(), NESTED, json!({ "name": null }), windowed).await;
    assert_eq!((again, &data_again), (9, &data_fifty));
});

const PERFORMANCE: &str = "totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsHumanOpened emailsClicked \
    emailsBounced totalRevenue conversionRevenue orderRevenue pendingRevenue emailAttributedRevenue roiPercentage";

db_test!(a_campaign_and_its_performance_come_in_one_statement_with_the_figures_of_the_list, |db| {
    let shop = retailer("Shop A", Region::Central).insert(&*db).await;
    let other = retailer("Shop B", Region::Central).insert(&*db).await;
    let busy = campaign("Busy").insert(&*db).await;
    let email = email_campaign(&*db, &busy, "Mail").await;
    for r in [&shop, &shop, &other] {
        send(&*db, &email, r, SendOutcome { delivered: true, ..Default::default() }).await;
    }
    conversion(&*db, &busy, &shop, "100.00").await;
    conversion(&*db, &busy, &other, "40.00").await;
    order(&*db, &busy, &shop, "75.00", OrderStatus::Completed).await;
    order(&*db, &busy, &other, "25.00", OrderStatus::Pending).await;
    let only_orders = campaign("Only orders").insert(&*db).await;
    order(&*db, &only_orders, &shop, "10.00", OrderStatus::Completed).await;
    let idle = campaign("Idle").insert(&*db).await;

    let one = format!("query($id: UUID!) {{ campaign(id: $id) {{ name performance {{ {PERFORMANCE} }} }} }}");
    let list = format!("{{ campaigns(first: 10) {{ edges {{ node {{ name performance {{ {PERFORMANCE} }} }} }} }} }}");
    for user in [brand_caller(), shop.clone()] {
        let (_, listed) = count_statements_of(&db, &user, &list, json!({})).await;
        let listed = listed["campaigns"]["edges"].as_array().unwrap().clone();
        for c in [&busy, &only_orders, &idle] {
            let (statements, got) = count_statements_of(&db, &user, &one, json!({ "id": c.id })).await;
            assert_eq!(statements, 1, "campaign and performance of {} as {}", c.name, user.name);
            let expected = listed.iter().find(|e| e["node"]["name"] == c.name.as_str());
            match expected {
                Some(e) => assert_eq!(got["campaign"], e["node"], "{} as {}", c.name, user.name),
                // The retailer sees only the campaigns sent to them.
                None => assert!(got["campaign"].is_null(), "{} as {}", c.name, user.name),
            }
        }
    }
    // What the list says, counted by hand: the busy campaign as the brand.
    let (_, got) = count_statements_of(&db, &brand_caller(), &one, json!({ "id": busy.id })).await;
    let p = &got["campaign"]["performance"];
    assert_eq!((p["totalRetailers"].as_i64(), p["totalEmailsSent"].as_i64()), (Some(2), Some(3)));
    assert_eq!((p["conversionRevenue"].as_str(), p["orderRevenue"].as_str()), (Some("140.00"), Some("75.00")));
    assert_eq!((p["pendingRevenue"].as_str(), p["totalRevenue"].as_str()), (Some("25.00"), Some("215.00")));
    // A period's performance is read the other way: the campaign, then its figures.
    let windowed = format!(
        "query($id: UUID!) {{ campaign(id: $id) {{ name performance(from: \"2025-01-01T00:00:00Z\") {{ {PERFORMANCE} }} }} }}"
    );
    let (statements, _) = count_statements_of(&db, &brand_caller(), &windowed, json!({ "id": busy.id })).await;
    assert_eq!(statements, 2);
});
