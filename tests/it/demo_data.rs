//! The demo data shows exactly the figures errata.md states, and they equal an independent
//! recount over the stored rows.

use crate::common::*;
use campaign_performance::demo;
use entity::enums::{CampaignStatus, OrderStatus};
use entity::{campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends, users};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

fn pct(n: usize, d: usize) -> Decimal {
    (Decimal::from(n) * Decimal::ONE_HUNDRED / Decimal::from(d))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

db_test!(demo_campaign_shows_the_errata_figures, |db| {
    demo::load(&*db, false).await.expect("demo loads");
    let data = gql(
        &db,
        r#"{ campaigns(filter: { nameContains: "marco bicego" }) { totalCount edges { node {
              id name status startDate endDate budgetAllocated budgetSpent
              emailCampaigns { subject totalRecipients }
              performance { totalRetailers totalEmailsSent emailsDelivered deliveryRate openRate clickRate
                            totalRevenue roiPercentage roas performanceTier } } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(data["campaigns"]["totalCount"], 1);
    let c = &data["campaigns"]["edges"][0]["node"];
    assert_eq!(c["name"], "Marco Bicego New 2025 Campaign");
    assert_eq!(c["status"], "ACTIVE");
    assert_eq!(c["startDate"], "2025-01-14T00:00:00+00:00");
    assert_eq!(c["endDate"], "2025-02-14T00:00:00+00:00");
    assert_eq!(c["budgetAllocated"], "75000.00");
    assert_eq!(c["budgetSpent"], "33500.00");
    let subjects: Vec<&str> =
        c["emailCampaigns"].as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap()).collect();
    assert_eq!(
        subjects,
        [
            "✨ Introducing Marco Bicego New 2025 Collection",
            "🎯 Exclusive Retailer Pricing - Marco Bicego 2025",
            "💎 Marco Bicego: Marketing Materials Available"
        ]
    );
    let p = &c["performance"];
    assert_eq!(p["totalRetailers"], 15);
    assert_eq!(p["totalEmailsSent"], 27037);
    assert_eq!(p["deliveryRate"], 98.0);
    let open = p["openRate"].as_f64().unwrap();
    let click = p["clickRate"].as_f64().unwrap();
    assert!((open - 43.0).abs() <= 0.05, "open rate {open}");
    assert!((click - 3.2).abs() <= 0.05, "click rate {click}");
    assert_eq!(p["totalRevenue"], "41500.00");
    assert_eq!(p["roiPercentage"], 23.9);
    assert_eq!(p["roas"], 1.24);
    assert_eq!(p["performanceTier"], "STANDARD");

    // Independent recount over the raw rows.
    let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
    let emails =
        email_campaigns::Entity::find().filter(email_campaigns::Column::CampaignId.eq(id)).all(&*db).await.unwrap();
    let email_ids: Vec<Uuid> = emails.iter().map(|e| e.id).collect();
    let sends = email_sends::Entity::find()
        .filter(email_sends::Column::EmailCampaignId.is_in(email_ids))
        .all(&*db)
        .await
        .unwrap();
    for e in &emails {
        let n = sends.iter().filter(|s| s.email_campaign_id == Some(e.id)).count();
        assert_eq!(e.total_recipients as usize, n, "E3: total_recipients is the count of sends");
    }
    let delivered =
        sends.iter().filter(|s| s.delivered_at.is_some() || s.opened_at.is_some() || s.clicked_at.is_some()).count();
    let opened = sends.iter().filter(|s| s.opened_at.is_some() || s.clicked_at.is_some()).count();
    let clicked = sends.iter().filter(|s| s.clicked_at.is_some()).count();
    assert_eq!(p["emailsDelivered"], json!(delivered));
    assert_eq!(sends.len(), 27037);
    assert_eq!(pct(delivered, sends.len()).to_string(), "98.00");
    assert_eq!(open, pct(opened, delivered).to_string().parse::<f64>().unwrap());
    assert_eq!(click, pct(clicked, delivered).to_string().parse::<f64>().unwrap());
    // Every click is also an open, every open a delivery (E5), in the stored rows themselves.
    assert!(sends.iter().all(|s| s.clicked_at.is_none() || s.opened_at.is_some()));
    assert!(sends.iter().all(|s| s.opened_at.is_none() || s.delivered_at.is_some()));

    let conversions =
        crm_conversions::Entity::find().filter(crm_conversions::Column::CampaignId.eq(id)).all(&*db).await.unwrap();
    let orders =
        ecommerce_orders::Entity::find().filter(ecommerce_orders::Column::CampaignId.eq(id)).all(&*db).await.unwrap();
    let mut revenue: HashMap<Uuid, Decimal> = HashMap::new();
    for cv in &conversions {
        *revenue.entry(cv.retailer_id.unwrap()).or_default() += cv.conversion_value.unwrap().amount();
    }
    for o in orders.iter().filter(|o| o.order_status == OrderStatus::Completed) {
        *revenue.entry(o.retailer_id.unwrap()).or_default() += o.order_value.unwrap().amount();
    }
    assert_eq!(revenue.values().sum::<Decimal>().to_string(), "41500.00");

    // Top retailers by click rate, with their revenue.
    let retailers = users::Entity::find().all(&*db).await.unwrap();
    let mut rows: Vec<(String, Decimal, Decimal)> = retailers
        .iter()
        .filter(|u| sends.iter().any(|s| s.retailer_id == Some(u.id)))
        .map(|u| {
            let mine: Vec<_> = sends.iter().filter(|s| s.retailer_id == Some(u.id)).collect();
            let d = mine.iter().filter(|s| s.delivered_at.is_some()).count();
            let k = mine.iter().filter(|s| s.clicked_at.is_some()).count();
            (u.name.clone(), pct(k, d), revenue.get(&u.id).copied().unwrap_or_default())
        })
        .collect();
    assert_eq!(rows.len(), 15);
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    let top: Vec<(&str, String, String)> =
        rows.iter().take(3).map(|(n, r, v)| (n.as_str(), r.to_string(), v.to_string())).collect();
    assert_eq!(
        top,
        [
            ("Cartier Rodeo Drive", "4.80".to_owned(), "8500.00".to_owned()),
            ("Betteridge NY", "4.20".to_owned(), "7200.00".to_owned()),
            ("Tiffany & Co Fifth Ave", "3.90".to_owned(), "6800.00".to_owned()),
        ]
    );
    let regions: Vec<_> = retailers.iter().filter_map(|u| u.region).collect();
    for region in [entity::enums::Region::East, entity::enums::Region::Central, entity::enums::Region::West] {
        assert_eq!(regions.iter().filter(|r| **r == region).count(), 5, "{region:?}");
    }

    // The spec's other three campaigns, with their budgets and statuses.
    let mut others: Vec<(String, CampaignStatus, String, String)> = campaigns::Entity::find()
        .filter(campaigns::Column::Id.ne(id))
        .all(&*db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.status, c.budget_allocated.unwrap().to_string(), c.budget_spent.to_string()))
        .collect();
    others.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        others,
        [
            ("Holiday Luxury Campaign".into(), CampaignStatus::Paused, "120000.00".into(), "85000.00".into()),
            ("Spring Collection Preview".into(), CampaignStatus::Completed, "45000.00".into(), "42000.00".into()),
            ("Summer Elegance 2025".into(), CampaignStatus::Draft, "60000.00".into(), "0.00".into()),
        ]
    );
});

db_test!(demo_data_is_the_same_rows_on_every_load, |db| {
    let first = demo::load(&*db, false).await.unwrap();
    let ids_before: Vec<Uuid> =
        email_sends::Entity::find().all(&*db).await.unwrap().into_iter().map(|s| s.id).collect();
    // Replacing the demo's own rows gives back exactly the same rows.
    demo::load(&*db, true).await.unwrap();
    let mut ids_after: Vec<Uuid> =
        email_sends::Entity::find().all(&*db).await.unwrap().into_iter().map(|s| s.id).collect();
    let mut expected: Vec<Uuid> = first.sends.iter().map(|s| *s.id.as_ref()).collect();
    let mut before = ids_before;
    before.sort();
    ids_after.sort();
    expected.sort();
    assert_eq!(before, expected);
    assert_eq!(ids_after, expected);
});
