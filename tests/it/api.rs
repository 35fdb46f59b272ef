//! The API's relations in both directions, its input errors, and REST agreeing with GraphQL.

use crate::common::*;
use campaign_performance::config::Limits;
use campaign_performance::demo;
use entity::enums::{Region, UserType};
use serde_json::{Value, json};

db_test!(relations_answer_in_both_directions, |db| {
    demo::load(&*db, false).await.unwrap();
    let data = gql(
        &db,
        r#"{ campaigns(filter: { status: [ACTIVE] }) { edges { node { id
              conversions(filter: { type: [SALE] }, first: 100) { totalCount edges { node {
                  conversionValue productCategory retailer { name }
                  emailSend { clickedAt retailer { name } emailCampaign { subject campaign { name } } } } } }
              orders(filter: { status: [COMPLETED], attributedToEmail: true }) { totalCount edges { node { orderValue retailer { name } campaign { name } } } }
        } } } }"#,
        json!({}),
    )
    .await;
    let node = &data["campaigns"]["edges"][0]["node"];
    assert_eq!(node["conversions"]["totalCount"], 5, "five sales in the demo");
    for e in node["conversions"]["edges"].as_array().unwrap() {
        let c = &e["node"];
        // A sale is linked to a clicked send of the same retailer, whose email belongs to the campaign.
        assert_eq!(c["emailSend"]["retailer"]["name"], c["retailer"]["name"]);
        assert!(c["emailSend"]["clickedAt"].is_string());
        assert_eq!(c["emailSend"]["emailCampaign"]["campaign"]["name"], "Marco Bicego New 2025 Campaign");
    }
    // Completed, email-attributed orders: Cartier, Betteridge, Tourneau, Bachendorf's, Fields, Cellini.
    assert_eq!(node["orders"]["totalCount"], 6);

    // From a retailer to their sends, conversions and orders.
    let data = gql(
        &db,
        r#"{ retailers(filter: { nameContains: "Cartier" }) { edges { node { name
              sends(filter: { clicked: true }, first: 1) { totalCount edges { node { clickedAt openedAt emailCampaign { subject } } } }
              conversions { totalCount } orders { totalCount edges { node { orderStatus } } } } } } }"#,
        json!({}),
    )
    .await;
    let cartier = &data["retailers"]["edges"][0]["node"];
    assert_eq!(cartier["sends"]["totalCount"], 85, "Cartier's 85 clicks");
    assert!(cartier["sends"]["edges"][0]["node"]["openedAt"].is_string(), "a click implies an open");
    assert_eq!(cartier["conversions"]["totalCount"], 1);
    assert_eq!(cartier["orders"]["totalCount"], 2);
});

db_test!(malformed_arguments_get_bad_user_input_naming_the_argument, |db| {
    campaign("Any").insert(&*db).await;
    for (query, names) in [
        (r#"{ campaign(id: "not-a-uuid") { id } }"#, "argument of `campaign`: Failed to parse \"UUID\""),
        (r#"{ campaigns(filter: { status: [ARCHIVED] }) { totalCount } }"#, "argument \"filter.status.0\""),
        (
            r#"{ campaigns(filter: { activeDuring: { from: "2025-13-45T00:00:00Z" } }) { totalCount } }"#,
            "argument of `campaigns`: Failed to parse \"DateTime\": input is out of range",
        ),
        (r#"{ campaigns(after: "garbage") { totalCount } }"#, "invalid `after`"),
        (r#"{ campaigns(first: 101) { totalCount } }"#, "invalid `first`: 101 is above the limit of 100"),
        (r#"{ retailers(first: -1) { totalCount } }"#, "invalid `first`"),
    ] {
        let body = gql_response(&db, query, json!({})).await;
        let err = &body["errors"][0];
        assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{query}: {body}");
        assert!(err["message"].as_str().unwrap().contains(names), "{query}: {}", err["message"]);
        // The server's own checks name their argument in `extensions.argument` too.
        if let Some(argument) = names.strip_prefix("invalid `").and_then(|rest| rest.split('`').next()) {
            assert_eq!(err["extensions"]["argument"], argument, "{query}: {body}");
        }
    }
    // A cursor of one ordering is refused in another.
    let data = gql(&db, "{ campaigns(first: 1) { pageInfo { endCursor } } }", json!({})).await;
    let cursor = data["campaigns"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let body = gql_response(
        &db,
        "query($a: String) { campaigns(orderBy: { field: NAME }, after: $a) { totalCount } }",
        json!({ "a": cursor }),
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
});

db_test!(rest_answers_the_same_figures_as_graphql, |db| {
    demo::load(&*db, false).await.unwrap();
    let brand = campaign_performance::services::users::find_by_email(&*db, demo::BRAND_EMAIL).await.unwrap().unwrap();
    let base = serve(test_state(&db, Limits::default())).await;
    let client = reqwest::Client::new();
    let get = |path: String, token: Option<String>| {
        let mut req = client.get(format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let token = token_for(brand.id);

    let list: Value = get("/api/campaigns".into(), Some(token.clone())).await.unwrap().json().await.unwrap();
    assert_eq!(list["totalCount"], 4);
    let graphql = gql(
        &db,
        r#"{ campaigns { edges { node { id budgetRemaining budgetUtilization performance {
            totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsHumanOpened emailsClicked emailsBounced deliveryRate
            openRate humanOpenRate clickRate clickToOpenRate totalRevenue conversionRevenue orderRevenue pendingRevenue emailAttributedRevenue roiPercentage
            roas netReturn performanceTier } } } } }"#,
        json!({}),
    )
    .await;
    for (rest, gq) in
        list["campaigns"].as_array().unwrap().iter().zip(graphql["campaigns"]["edges"].as_array().unwrap())
    {
        assert_eq!(rest["id"], gq["node"]["id"]);
        assert_eq!(rest["performance"], gq["node"]["performance"]);
        assert_eq!(rest["budgetRemaining"], gq["node"]["budgetRemaining"]);
    }
    let active: Value =
        get("/api/campaigns?status=active".into(), Some(token.clone())).await.unwrap().json().await.unwrap();
    let id = active["campaigns"][0]["id"].as_str().unwrap().to_owned();
    let one = get(format!("/api/campaigns/{id}"), Some(token.clone())).await.unwrap();
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["performance"]["totalRevenue"], "41500.00");
    assert_eq!(one["performance"]["roiPercentage"], 23.9);
    assert_eq!(one["status"], "active");

    assert_eq!(get("/api/campaigns".into(), None).await.unwrap().status(), 401);
    assert_eq!(get(format!("/api/campaigns/{id}"), Some("forged".into())).await.unwrap().status(), 401);
    assert_eq!(get("/api/campaigns/not-a-uuid".into(), Some(token.clone())).await.unwrap().status(), 400);
    let missing = get(format!("/api/campaigns/{}", uuid::Uuid::new_v4()), Some(token.clone())).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let bad = get("/api/campaigns?status=archived".into(), Some(token.clone())).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("status"));

    // A retailer gets their own figures, and nothing of campaigns that did not target them.
    let other = retailer("Outsider", Region::North).user_type(UserType::Retailer).insert(&*db).await;
    let theirs: Value = get("/api/campaigns".into(), Some(token_for(other.id))).await.unwrap().json().await.unwrap();
    assert_eq!(theirs["totalCount"], 0);
    assert_eq!(get(format!("/api/campaigns/{id}"), Some(token_for(other.id))).await.unwrap().status(), 404);
});
