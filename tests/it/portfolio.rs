//! `portfolioSummary` over the demo and over a filter, against a recount of the rows.

use crate::common::*;
use campaign_performance::demo;
use entity::enums::OrderStatus;
use entity::{campaigns, crm_conversions, ecommerce_orders};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::EntityTrait;
use serde_json::json;

const QUERY: &str = r#"query($f: CampaignFilter) { portfolioSummary(filter: $f) {
    campaignCount byStatus { status count } totalBudgetAllocated totalBudgetSpent totalRevenue pendingRevenue
    averageRoi overallRoi topCampaigns(first: 2) { name } regions { region campaigns retailerCount totalEmailsSent revenue } } }"#;

db_test!(the_portfolio_equals_a_recount_of_the_demo, |db| {
    demo::load(&*db, false).await.unwrap();
    let data = gql(&db, QUERY, json!({})).await;
    let p = &data["portfolioSummary"];

    let all = campaigns::Entity::find().all(&*db).await.unwrap();
    let conversions = crm_conversions::Entity::find().all(&*db).await.unwrap();
    let orders = ecommerce_orders::Entity::find().all(&*db).await.unwrap();
    let revenue_of = |id| {
        conversions
            .iter()
            .filter(|c| c.campaign_id == Some(id))
            .map(|c| c.conversion_value.unwrap().amount())
            .sum::<Decimal>()
            + orders
                .iter()
                .filter(|o| o.campaign_id == Some(id) && o.order_status == OrderStatus::Completed)
                .map(|o| o.order_value.unwrap().amount())
                .sum::<Decimal>()
    };
    let allocated: Decimal = all.iter().filter_map(|c| c.budget_allocated).map(|m| m.amount()).sum();
    let spent: Decimal = all.iter().map(|c| c.budget_spent.amount()).sum();
    let revenue: Decimal = all.iter().map(|c| revenue_of(c.id)).sum();
    let rois: Vec<Decimal> = all
        .iter()
        .filter(|c| c.budget_spent.amount() > Decimal::ZERO)
        .map(|c| (revenue_of(c.id) - c.budget_spent.amount()) * Decimal::ONE_HUNDRED / c.budget_spent.amount())
        .collect();
    let mean = (rois.iter().sum::<Decimal>() / Decimal::from(rois.len()))
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    let overall = ((revenue - spent) * Decimal::ONE_HUNDRED / spent)
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);

    assert_eq!(p["campaignCount"], all.len());
    assert_eq!(p["totalBudgetAllocated"], allocated.to_string());
    assert_eq!(p["totalBudgetSpent"], spent.to_string());
    assert_eq!(p["totalRevenue"], revenue.to_string());
    assert_eq!(p["averageRoi"].as_f64().unwrap().to_string(), mean.normalize().to_string());
    assert_eq!(p["overallRoi"].as_f64().unwrap().to_string(), overall.normalize().to_string());
    // The demo, as a reader can check it: four campaigns, one of each status.
    assert_eq!(p["totalBudgetAllocated"], "300000.00");
    assert_eq!(p["totalBudgetSpent"], "160500.00");
    assert_eq!(p["totalRevenue"], "41500.00");
    assert_eq!(p["pendingRevenue"], "4500.00");
    assert!(p["byStatus"].as_array().unwrap().iter().all(|s| s["count"] == 1));
    assert_eq!(p["topCampaigns"][0]["name"], "Marco Bicego New 2025 Campaign");
    let regions = p["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 3);
    let region_revenue: Decimal =
        regions.iter().map(|r| r["revenue"].as_str().unwrap().parse::<Decimal>().unwrap()).sum();
    assert_eq!(region_revenue.to_string(), "41500.00");
    assert!(regions.iter().all(|r| r["retailerCount"] == 5 && r["campaigns"] == 1));

    // A filter narrows it.
    let drafts = gql(&db, QUERY, json!({ "f": { "status": ["DRAFT"] } })).await;
    assert_eq!(drafts["portfolioSummary"]["campaignCount"], 1);
    assert_eq!(drafts["portfolioSummary"]["averageRoi"], 0.0);
    assert_eq!(drafts["portfolioSummary"]["topCampaigns"], json!([]));
});
