//! The retailer leaderboard and the regional view: the errata's top three, rows that add up
//! to the campaign, and what a retailer may see of them.

use crate::common::*;
use campaign_performance::demo;
use campaign_performance::services::users::find_by_email;
use entity::enums::{OrderStatus, Region};
use serde_json::{Value, json};

const PAGE: &str = r#"query($id: UUID!, $by: RetailerRanking, $first: Int) { campaign(id: $id) {
    performance { totalEmailsSent emailsDelivered emailsOpened emailsClicked emailsBounced totalRevenue pendingRevenue }
    retailerPerformance(orderBy: $by, first: $first) { rank retailer { name region } totalEmailsSent emailsDelivered
        emailsOpened emailsClicked emailsBounced clickRate revenue pendingRevenue conversions orders }
    regionalPerformance { region retailerCount totalEmailsSent emailsDelivered emailsOpened emailsClicked emailsBounced
        clickRate revenue pendingRevenue conversions orders } } }"#;

fn sum(rows: &Value, field: &str) -> i64 {
    rows.as_array().unwrap().iter().map(|r| r[field].as_i64().unwrap()).sum()
}

fn money_sum(rows: &Value, field: &str) -> rust_decimal::Decimal {
    rows.as_array().unwrap().iter().map(|r| r[field].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum()
}

db_test!(the_demo_leaderboard_shows_the_errata_top_three_and_adds_up, |db| {
    demo::load(&*db, false).await.unwrap();
    let data = gql(&db, "{ campaigns(filter: { status: [ACTIVE] }) { edges { node { id } } } }", json!({})).await;
    let id = data["campaigns"]["edges"][0]["node"]["id"].clone();
    let page = gql(&db, PAGE, json!({ "id": id })).await;
    let c = &page["campaign"];
    let rows = &c["retailerPerformance"];
    assert_eq!(rows.as_array().unwrap().len(), 15);
    let top: Vec<(i64, &str, f64, &str)> = rows.as_array().unwrap()[..3]
        .iter()
        .map(|r| {
            (
                r["rank"].as_i64().unwrap(),
                r["retailer"]["name"].as_str().unwrap(),
                r["clickRate"].as_f64().unwrap(),
                r["revenue"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        top,
        [
            (1, "Cartier Rodeo Drive", 4.8, "8500.00"),
            (2, "Betteridge NY", 4.2, "7200.00"),
            (3, "Tiffany & Co Fifth Ave", 3.9, "6800.00")
        ]
    );
    for view in [rows, &c["regionalPerformance"]] {
        for (field, total) in [
            ("totalEmailsSent", "totalEmailsSent"),
            ("emailsDelivered", "emailsDelivered"),
            ("emailsOpened", "emailsOpened"),
            ("emailsClicked", "emailsClicked"),
            ("emailsBounced", "emailsBounced"),
        ] {
            assert_eq!(json!(sum(view, field)), c["performance"][total], "{field}");
        }
        assert_eq!(money_sum(view, "revenue").to_string(), c["performance"]["totalRevenue"].as_str().unwrap());
        assert_eq!(money_sum(view, "pendingRevenue").to_string(), c["performance"]["pendingRevenue"].as_str().unwrap());
    }
    let regions: Vec<(&str, i64)> = c["regionalPerformance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["region"].as_str().unwrap(), r["retailerCount"].as_i64().unwrap()))
        .collect();
    assert_eq!(regions, [("EAST", 5), ("WEST", 5), ("CENTRAL", 5)]);
    // East engages most (the spec's regional breakdown).
    let east = &c["regionalPerformance"][0];
    assert!(
        c["regionalPerformance"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["emailsClicked"].as_i64() <= east["emailsClicked"].as_i64())
    );

    // Other orderings: by revenue, and the first N.
    let by_revenue = gql(&db, PAGE, json!({ "id": id, "by": "REVENUE", "first": 2 })).await;
    let names: Vec<&str> = by_revenue["campaign"]["retailerPerformance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["retailer"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Cartier Rodeo Drive", "Betteridge NY"]);

    // A retailer sees their own row, and no regional sum (another read later, subtracted,
    // would single out whoever moved in between).
    let cartier = find_by_email(&*db, demo::RETAILER_EMAIL).await.unwrap().unwrap();
    let own = gql_as(&db, &cartier, PAGE, json!({ "id": id })).await;
    let rows = own["campaign"]["retailerPerformance"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["rank"].as_i64(), rows[0]["retailer"]["name"].as_str()),
        (Some(1), Some("Cartier Rodeo Drive"))
    );
    assert_eq!(rows[0]["clickRate"], 4.8);
    assert_eq!(own["campaign"]["regionalPerformance"], json!([]));
    let period = gql_as(
        &db,
        &cartier,
        r#"query($id: UUID!) { campaign(id: $id) { regionalPerformance(from: "2025-01-20T00:00:00Z") { region } } }"#,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(period["campaign"]["regionalPerformance"], json!([]));
    // And a retailer's ROI is not their revenue against the brand's whole spend.
    let perf = gql_as(
        &db,
        &cartier,
        "query($id: UUID!) { campaign(id: $id) { performance { roiPercentage roas } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(perf["campaign"]["performance"], json!({ "roiPercentage": 0.0, "roas": 0.0 }));
});

db_test!(a_retailer_sees_no_regional_sum_and_nothing_of_the_spend_whatever_the_region_size, |db| {
    let c = campaign("Regions").spent("500.00").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hello").await;
    let (n1, n2) = (
        retailer("North One", Region::North).insert(&*db).await,
        retailer("North Two", Region::North).insert(&*db).await,
    );
    let south: Vec<_> = {
        let mut v = Vec::new();
        for i in 0..3 {
            v.push(retailer(&format!("South {i}"), Region::South).insert(&*db).await);
        }
        v
    };
    for r in [&n1, &n2].into_iter().chain(south.iter()) {
        send(&*db, &email, r, SendOutcome { delivered: true, opened: true, clicked: true, ..Default::default() }).await;
    }
    order(&*db, &c, &n1, "10.00", OrderStatus::Completed).await;
    let spend = "query($id: UUID!) { campaign(id: $id) { regionalPerformance { region } budgetSpent budgetAllocated
        budgetRemaining budgetUtilization performance { roiPercentage roas } } portfolioSummary { totalBudgetSpent totalBudgetAllocated averageRoi } }";
    for who in [&n1, &south[0]] {
        let seen = gql_as(&db, who, spend, json!({ "id": c.id })).await;
        assert_eq!(
            seen,
            json!({ "campaign": { "regionalPerformance": [], "budgetSpent": null, "budgetAllocated": null,
                "budgetRemaining": null, "budgetUtilization": null, "performance": { "roiPercentage": 0.0, "roas": 0.0 } },
                "portfolioSummary": { "totalBudgetSpent": null, "totalBudgetAllocated": null, "averageRoi": 0.0 } }),
            "{}",
            who.name
        );
    }
    // The brand sees both regions; their rows add up to the campaign.
    let brand = gql(&db, PAGE, json!({ "id": c.id })).await;
    let regions = &brand["campaign"]["regionalPerformance"];
    assert_eq!(
        regions.as_array().unwrap().iter().map(|r| r["region"].as_str().unwrap()).collect::<Vec<_>>(),
        ["NORTH", "SOUTH"]
    );
    assert_eq!(sum(regions, "totalEmailsSent"), 5);
    assert_eq!(regions[0]["revenue"], "10.00");
    let brand_spend = gql(&db, spend, json!({ "id": c.id })).await;
    assert_eq!(brand_spend["campaign"]["budgetSpent"], "500.00");
});

db_test!(retailers_rank_by_their_figures_across_campaigns_page_by_page, |db| {
    demo::load(&*db, false).await.unwrap();
    let q = "query($by: RetailerRanking, $a: String) { retailers(rankBy: $by, first: 5, after: $a) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { name performance { clickRate revenue } } } } }";
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = gql(&db, q, json!({ "by": "CLICK_RATE", "a": after })).await;
        let r = &data["retailers"];
        assert_eq!(r["totalCount"], 15);
        names.extend(r["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_owned()));
        if !r["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = Some(r["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(names.len(), 15);
    assert_eq!(names.iter().collect::<std::collections::HashSet<_>>().len(), 15);
    assert_eq!(names[..3], ["Cartier Rodeo Drive", "Betteridge NY", "Tiffany & Co Fifth Ave"]);
    let by_revenue = gql(&db, q, json!({ "by": "REVENUE" })).await;
    let revenues: Vec<rust_decimal::Decimal> = by_revenue["retailers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["performance"]["revenue"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(revenues.windows(2).all(|w| w[0] >= w[1]), "{revenues:?}");
    // A retailer ranks only themselves.
    let cartier = find_by_email(&*db, demo::RETAILER_EMAIL).await.unwrap().unwrap();
    let own = gql_as(&db, &cartier, q, json!({ "by": "CLICK_RATE" })).await;
    assert_eq!(own["retailers"]["totalCount"], 1);
});
