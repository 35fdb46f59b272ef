//! The first GraphQL surface: `campaigns` (filters, ordering, cursors), `campaign(id)`,
//! `Campaign.performance`, `Campaign.emailCampaigns`.

use crate::common::*;
use entity::enums::{CampaignStatus, OrderStatus, Region, SendStatus};
use serde_json::json;

db_test!(performance_follows_errata_e5_e6_e7_on_a_small_campaign, |db| {
    let c = campaign("Small").spent("200.00").insert(&*db).await;
    let east = retailer("East One", Region::East).insert(&*db).await;
    let west = retailer("West One", Region::West).insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hi").await;
    // An open with no delivery event still counts as delivered; a click with no open counts
    // as opened; a bounce never delivered counts as bounced.
    let outcomes = [
        SendOutcome { delivered: true, opened: true, clicked: true, ..Default::default() },
        SendOutcome { status: Some(SendStatus::Sent), opened: true, ..Default::default() },
        SendOutcome { status: Some(SendStatus::Sent), clicked: true, ..Default::default() },
        SendOutcome { delivered: true, ..Default::default() },
        SendOutcome { status: Some(SendStatus::Bounced), ..Default::default() },
        SendOutcome { status: Some(SendStatus::Failed), ..Default::default() },
        SendOutcome::default(),
    ];
    for (i, o) in outcomes.into_iter().enumerate() {
        send(&*db, &email, if i % 2 == 0 { &east } else { &west }, o).await;
    }
    conversion(&*db, &c, &east, "150.10").await;
    order(&*db, &c, &west, "99.95", OrderStatus::Completed).await;
    order(&*db, &c, &west, "40.00", OrderStatus::Pending).await;
    order(&*db, &c, &west, "1000.00", OrderStatus::Cancelled).await;
    order(&*db, &c, &east, "500.00", OrderStatus::Refunded).await;

    let data = gql(
        &db,
        "query($id: UUID!) { campaign(id: $id) { performance {
            totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsClicked emailsBounced
            deliveryRate openRate clickRate clickToOpenRate
            totalRevenue conversionRevenue orderRevenue pendingRevenue roiPercentage roas performanceTier } } }",
        json!({ "id": c.id }),
    )
    .await;
    // Independent count: delivered = sends 0,1,2,3; opened = 0,1,2; clicked = 0,2; bounced = 4,5.
    // Revenue = 150.10 + 99.95 = 250.05; ROI = 50.05 / 200 = 25.025% → 25.0; ROAS 1.25025 → 1.25.
    assert_eq!(
        data["campaign"]["performance"],
        json!({
            "totalRetailers": 2, "totalEmailsSent": 7, "emailsDelivered": 4, "emailsOpened": 3,
            "emailsClicked": 2, "emailsBounced": 2,
            "deliveryRate": 57.14, "openRate": 75.0, "clickRate": 50.0, "clickToOpenRate": 66.67,
            "totalRevenue": "250.05", "conversionRevenue": "150.10", "orderRevenue": "99.95",
            "pendingRevenue": "40.00", "roiPercentage": 25.0, "roas": 1.25, "performanceTier": "STANDARD"
        })
    );
});

db_test!(a_campaign_with_nothing_has_zero_figures_not_errors, |db| {
    let c = campaign("Empty").spent("0.00").allocated(None).insert(&*db).await;
    let data = gql(
        &db,
        "query($id: UUID!) { campaign(id: $id) { budgetRemaining budgetUtilization emailCampaigns { id }
            performance { totalEmailsSent openRate clickToOpenRate totalRevenue roiPercentage roas performanceTier } } }",
        json!({ "id": c.id }),
    )
    .await;
    assert_eq!(
        data["campaign"],
        json!({
            "budgetRemaining": null, "budgetUtilization": null, "emailCampaigns": [],
            "performance": { "totalEmailsSent": 0, "openRate": 0.0, "clickToOpenRate": 0.0, "totalRevenue": "0.00",
                             "roiPercentage": 0.0, "roas": 0.0, "performanceTier": "STANDARD" }
        })
    );
});

db_test!(tiers_follow_roi, |db| {
    let high = campaign("High").spent("100.00").insert(&*db).await;
    let good = campaign("Good").spent("100.00").insert(&*db).await;
    let r = retailer("R", Region::North).insert(&*db).await;
    conversion(&*db, &high, &r, "200.00").await;
    conversion(&*db, &good, &r, "150.00").await;
    let data = gql(
        &db,
        r#"{ campaigns(orderBy: { field: NAME }) { edges { node { name performance { roiPercentage roas performanceTier } } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        data["campaigns"]["edges"],
        json!([
            { "node": { "name": "Good", "performance": { "roiPercentage": 50.0, "roas": 1.5, "performanceTier": "GOOD_ROI" } } },
            { "node": { "name": "High", "performance": { "roiPercentage": 100.0, "roas": 2.0, "performanceTier": "HIGH_ROI" } } },
        ])
    );
});

db_test!(campaigns_filter_by_status_name_and_active_range, |db| {
    campaign("Spring Preview")
        .status(CampaignStatus::Completed)
        .dates(Some(at(2024, 3, 1, 0)), Some(at(2024, 4, 30, 0)))
        .insert(&*db)
        .await;
    campaign("Holiday Push")
        .status(CampaignStatus::Paused)
        .dates(Some(at(2024, 11, 15, 0)), Some(at(2025, 1, 5, 0)))
        .insert(&*db)
        .await;
    campaign("Summer 100%_off").status(CampaignStatus::Draft).dates(Some(at(2025, 6, 1, 0)), None).insert(&*db).await;
    campaign("Open ended").status(CampaignStatus::Active).dates(None, None).insert(&*db).await;

    let names = |data: serde_json::Value| -> Vec<String> {
        let mut v: Vec<String> = data["campaigns"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let q = "query($f: CampaignFilter) { campaigns(filter: $f) { totalCount edges { node { name } } } }";
    let by_status = gql(&db, q, json!({ "f": { "status": ["PAUSED", "DRAFT"] } })).await;
    assert_eq!(by_status["campaigns"]["totalCount"], 2);
    assert_eq!(names(by_status), ["Holiday Push", "Summer 100%_off"]);
    // Case-insensitive, and % and _ are literal characters, not wildcards.
    assert_eq!(names(gql(&db, q, json!({ "f": { "nameContains": "PUSH" } })).await), ["Holiday Push"]);
    assert_eq!(names(gql(&db, q, json!({ "f": { "nameContains": "0%_" } })).await), ["Summer 100%_off"]);
    assert!(names(gql(&db, q, json!({ "f": { "nameContains": "%" } })).await).len() == 1);
    // Active during January 2025: Holiday (ends Jan 5) and the open-ended one.
    let jan = json!({ "f": { "activeDuring": { "from": "2025-01-01T00:00:00Z", "to": "2025-01-31T23:59:59Z" } } });
    assert_eq!(names(gql(&db, q, jan).await), ["Holiday Push", "Open ended"]);
    // Active from July 2025 on: the summer one (no end) and the open-ended one.
    let july = json!({ "f": { "activeDuring": { "from": "2025-07-01T00:00:00Z" } } });
    assert_eq!(names(gql(&db, q, july).await), ["Open ended", "Summer 100%_off"]);

    let bad = gql_response(
        &db,
        q,
        json!({ "f": { "activeDuring": { "from": "2025-02-01T00:00:00Z", "to": "2025-01-01T00:00:00Z" } } }),
    )
    .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(bad["errors"][0]["message"].as_str().unwrap().contains("activeDuring"));
});

db_test!(pages_walk_every_campaign_once_in_each_order_even_with_inserts_between_pages, |db| {
    for i in 0..23 {
        // Duplicate names and dates force the id tie-breaker; some start dates are missing.
        let start = if i % 5 == 0 { None } else { Some(at(2025, 1, 1 + (i % 4) as u32, 0)) };
        campaign(&format!("C{:02}", i % 7))
            .dates(start, None)
            .created_at(at(2025, 1, 1, (i % 3) as u32))
            .insert(&*db)
            .await;
    }
    for (field, direction) in
        [("CREATED_AT", "ASC"), ("NAME", "DESC"), ("START_DATE", "ASC"), ("START_DATE", "DESC"), ("END_DATE", "ASC")]
    {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut inserted = false;
        loop {
            let data = gql(
                &db,
                "query($o: CampaignOrder, $a: String) { campaigns(orderBy: $o, first: 5, after: $a) {
                    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } } }",
                json!({ "o": { "field": field, "direction": direction }, "a": after }),
            )
            .await;
            let conn = &data["campaigns"];
            for e in conn["edges"].as_array().unwrap() {
                seen.push(e["node"]["id"].as_str().unwrap().to_owned());
            }
            if !inserted {
                // A row inserted after the first page read: the walk must not repeat or skip
                // the rows that were there.
                campaign("C00").insert(&*db).await;
                inserted = true;
            }
            if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = Some(conn["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        }
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{field} {direction}: a row came twice");
        let total = entity::campaigns::Entity::find().all(&*db).await.unwrap().len();
        assert!(seen.len() >= total - 1 && seen.len() <= total, "{field} {direction}: saw {} of {total}", seen.len());
    }
});

use sea_orm::EntityTrait;

db_test!(bad_pagination_arguments_are_refused_with_bad_user_input, |db| {
    campaign("Only").insert(&*db).await;
    let q = "query($f: Int, $a: String) { campaigns(first: $f, after: $a) { edges { node { id } } } }";
    let too_many = gql_response(&db, q, json!({ "f": 101 })).await;
    assert_eq!(too_many["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(too_many["errors"][0]["message"].as_str().unwrap().contains("100"));
    let garbage = gql_response(&db, q, json!({ "a": "not-a-cursor" })).await;
    assert_eq!(garbage["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(garbage["errors"][0]["message"].as_str().unwrap().contains("after"));
    let default = gql(&db, "{ campaigns { edges { node { id } } } }", json!({})).await;
    assert_eq!(default["campaigns"]["edges"].as_array().unwrap().len(), 1);
});

db_test!(an_unknown_campaign_is_null, |db| {
    let data = gql(&db, "query($id: UUID!) { campaign(id: $id) { id } }", json!({ "id": uuid::Uuid::new_v4() })).await;
    assert_eq!(data["campaign"], serde_json::Value::Null);
    let bad = gql_response(&db, "{ campaign(id: \"nope\") { id } }", json!({})).await;
    assert!(!bad["errors"].is_null());
});
