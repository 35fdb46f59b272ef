//! Funnel, product categories and email-attributed revenue equal a plain recount of the rows.

use crate::common::*;
use campaign_performance::demo;
use campaign_performance::services::users::find_by_email;
use entity::enums::OrderStatus;
use entity::{crm_conversions, ecommerce_orders, email_campaigns, email_sends};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

const QUERY: &str = r#"query($id: UUID!) { campaign(id: $id) {
    performance { totalRevenue emailAttributedRevenue }
    funnel { sent delivered opened clicked converted deliveryRate openRate clickThroughRate conversionRate convertingRetailers }
    productCategories { category conversions revenue } } }"#;

/// The same figures, counted in Rust over the rows of campaign `id` (of `retailer` only, if given).
async fn recount(db: &TestDb, id: Uuid, retailer: Option<Uuid>) -> Value {
    let mine = |r: Option<Uuid>| retailer.is_none() || r == retailer;
    let emails: Vec<Uuid> = email_campaigns::Entity::find()
        .filter(email_campaigns::Column::CampaignId.eq(id))
        .all(&**db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let sends: Vec<_> = email_sends::Entity::find()
        .filter(email_sends::Column::EmailCampaignId.is_in(emails))
        .all(&**db)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| mine(s.retailer_id))
        .collect();
    let send_ids: HashSet<Uuid> = sends.iter().map(|s| s.id).collect();
    let all_conversions = crm_conversions::Entity::find().all(&**db).await.unwrap();
    let conversions: Vec<_> =
        all_conversions.iter().filter(|c| c.campaign_id == Some(id) && mine(c.retailer_id)).collect();
    let orders: Vec<_> = ecommerce_orders::Entity::find()
        .filter(ecommerce_orders::Column::CampaignId.eq(id))
        .all(&**db)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| mine(o.retailer_id))
        .collect();

    let delivered =
        sends.iter().filter(|s| s.delivered_at.is_some() || s.opened_at.is_some() || s.clicked_at.is_some()).count();
    let opened = sends.iter().filter(|s| s.opened_at.is_some() || s.clicked_at.is_some()).count();
    let clicked = sends.iter().filter(|s| s.clicked_at.is_some()).count();
    let converted: HashSet<Uuid> =
        all_conversions.iter().filter_map(|c| c.email_send_id).filter(|s| send_ids.contains(s)).collect();
    let mut converting: HashSet<Uuid> = conversions.iter().filter_map(|c| c.retailer_id).collect();
    converting.extend(
        orders
            .iter()
            .filter(|o| {
                o.attributed_to_email && matches!(o.order_status, OrderStatus::Completed | OrderStatus::Pending)
            })
            .filter_map(|o| o.retailer_id),
    );
    let rate = |n: usize, d: usize| {
        if d == 0 {
            0.0
        } else {
            (Decimal::from(n) * Decimal::ONE_HUNDRED / Decimal::from(d))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                .to_string()
                .parse::<f64>()
                .unwrap()
        }
    };
    let value = |c: &&crm_conversions::Model| c.conversion_value.map(|m| m.amount()).unwrap_or_default();
    let completed: Vec<_> = orders.iter().filter(|o| o.order_status == OrderStatus::Completed).collect();
    let revenue: Decimal = conversions.iter().map(value).sum::<Decimal>()
        + completed.iter().map(|o| o.order_value.unwrap().amount()).sum::<Decimal>();
    let attributed: Decimal = conversions.iter().filter(|c| c.email_send_id.is_some()).map(value).sum::<Decimal>()
        + completed.iter().filter(|o| o.attributed_to_email).map(|o| o.order_value.unwrap().amount()).sum::<Decimal>();
    let mut categories: BTreeMap<String, (i64, Decimal)> = BTreeMap::new();
    for c in &conversions {
        let key = c.product_category.map(|p| format!("{p:?}").to_uppercase()).unwrap_or_default();
        let e = categories.entry(key).or_default();
        e.0 += 1;
        e.1 += value(c);
    }
    let mut categories: Vec<Value> = categories
        .into_iter()
        .map(|(k, (n, v))| json!({ "category": k, "conversions": n, "revenue": format!("{v:.2}") }))
        .collect();
    categories.sort_by(|a, b| {
        let (ra, rb) = (
            a["revenue"].as_str().unwrap().parse::<Decimal>().unwrap(),
            b["revenue"].as_str().unwrap().parse::<Decimal>().unwrap(),
        );
        rb.cmp(&ra).then(b["conversions"].as_i64().cmp(&a["conversions"].as_i64()))
    });
    json!({ "campaign": {
        "performance": { "totalRevenue": format!("{revenue:.2}"), "emailAttributedRevenue": format!("{attributed:.2}") },
        "funnel": { "sent": sends.len(), "delivered": delivered, "opened": opened, "clicked": clicked, "converted": converted.len(),
                    "deliveryRate": rate(delivered, sends.len()), "openRate": rate(opened, delivered),
                    "clickThroughRate": rate(clicked, opened), "conversionRate": rate(converted.len(), clicked),
                    "convertingRetailers": converting.len() },
        "productCategories": categories } })
}

db_test!(funnel_categories_and_attribution_equal_a_recount, |db| {
    demo::load(&*db, false).await.unwrap();
    let data = gql(&db, "{ campaigns(filter: { status: [ACTIVE] }) { edges { node { id } } } }", json!({})).await;
    let id: Uuid = data["campaigns"]["edges"][0]["node"]["id"].as_str().unwrap().parse().unwrap();
    let answer = gql(&db, QUERY, json!({ "id": id })).await;
    assert_eq!(answer, recount(&db, id, None).await);
    // The demo's own figures, as a reader can check them against demo.rs.
    assert_eq!(answer["campaign"]["performance"]["emailAttributedRevenue"], "32700.00");
    assert_eq!(answer["campaign"]["funnel"]["converted"], 7);
    assert_eq!(answer["campaign"]["funnel"]["convertingRetailers"], 12);
    assert_eq!(
        answer["campaign"]["productCategories"][0],
        json!({ "category": "NECKLACES", "conversions": 2, "revenue": "7300.00" })
    );

    // A retailer's view counts their rows only.
    let cartier = find_by_email(&*db, demo::RETAILER_EMAIL).await.unwrap().unwrap();
    let own = gql_as(&db, &cartier, QUERY, json!({ "id": id })).await;
    assert_eq!(own, recount(&db, id, Some(cartier.id)).await);
    assert_eq!(own["campaign"]["funnel"]["convertingRetailers"], 1);
});
