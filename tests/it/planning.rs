//! The brand's mutations: campaign lifecycle and budget, spend, email campaigns, sends, and
//! the provider-neutral record mutations with their per-item outcomes.

use crate::common::*;
use entity::enums::{Region, UserType};
use entity::{crm_conversions, email_sends};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

async fn brand(db: &DatabaseConnection) -> entity::users::Model {
    retailer("Brand", Region::East).user_type(UserType::Brand).insert(db).await
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"].as_str().unwrap_or("none")
}

fn message(response: &Value) -> &str {
    response["errors"][0]["message"].as_str().unwrap_or("")
}

const CREATE: &str = "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id status utmCode budgetSpent budgetAllocated } }";
const UPDATE: &str = "mutation($id: UUID!, $input: UpdateCampaignInput!) { updateCampaign(id: $id, input: $input) { status budgetAllocated } }";
const SPEND: &str = "mutation($id: UUID!, $amount: Decimal!, $key: String) { recordSpend(campaignId: $id, amount: $amount, idempotencyKey: $key) { budgetSpent performance { roiPercentage } } }";

db_test!(campaigns_move_only_along_draft_active_paused_completed, |db| {
    let b = brand(&db).await;
    let created =
        gql_as(&db, &b, CREATE, json!({"input": {"name": "Spring ✨ Gala 2026", "budgetAllocated": "1000.00"}})).await;
    let c = &created["createCampaign"];
    assert_eq!(c["status"], "DRAFT");
    assert_eq!(c["utmCode"], "spring-gala-2026");
    assert_eq!(c["budgetSpent"], "0.00");
    let id = c["id"].clone();
    // The same name again gets a numbered code; a code that is taken is a conflict.
    let again = gql_as(&db, &b, CREATE, json!({"input": {"name": "Spring Gala 2026"}})).await;
    assert_eq!(again["createCampaign"]["utmCode"], "spring-gala-2026-2");
    let taken =
        gql_response_as(&db, Some(&b), CREATE, json!({"input": {"name": "X", "utmCode": "spring-gala-2026"}})).await;
    assert_eq!(code(&taken), "CONFLICT");

    for (to, ok) in [
        ("COMPLETED", false),
        ("ACTIVE", true),
        ("DRAFT", false),
        ("PAUSED", true),
        ("ACTIVE", true),
        ("PAUSED", true),
        ("COMPLETED", true),
        ("ACTIVE", false),
    ] {
        let r = gql_response_as(&db, Some(&b), UPDATE, json!({"id": id, "input": {"status": to}})).await;
        if ok {
            assert_eq!(r["data"]["updateCampaign"]["status"], to, "{r}");
        } else {
            assert_eq!(code(&r), "CONFLICT", "→ {to}: {r}");
            assert!(message(&r).contains("draft → active ⇄ paused → completed"), "{r}");
        }
    }
});

db_test!(spend_stays_between_zero_and_the_allocation_and_a_retried_key_counts_once, |db| {
    let b = brand(&db).await;
    let created = gql_as(&db, &b, CREATE, json!({"input": {"name": "Budget", "budgetAllocated": "1000.00"}})).await;
    let id = created["createCampaign"]["id"].clone();
    let spend = |amount: &str, key: Option<&str>| {
        let (db, b) = (&db, &b);
        let vars = json!({"id": id, "amount": amount, "key": key});
        async move { gql_response_as(db, Some(b), SPEND, vars).await }
    };
    assert_eq!(spend("600.00", Some("inv-1")).await["data"]["recordSpend"]["budgetSpent"], "600.00");
    assert_eq!(spend("600.00", Some("inv-1")).await["data"]["recordSpend"]["budgetSpent"], "600.00", "same key: once");
    let over = spend("400.01", None).await;
    assert_eq!(code(&over), "CONFLICT", "{over}");
    assert!(message(&over).contains("1000.00 allocated"), "{over}");
    assert_eq!(spend("400.00", None).await["data"]["recordSpend"]["budgetSpent"], "1000.00");
    let negative = spend("-1000.01", None).await;
    assert_eq!(code(&negative), "BAD_USER_INPUT", "{negative}");
    let precise = spend("1.001", None).await;
    assert_eq!(code(&precise), "BAD_USER_INPUT");
    assert!(message(&precise).contains("amount"), "{precise}");
    assert_eq!(spend("-250.50", None).await["data"]["recordSpend"]["budgetSpent"], "749.50");
    // The allocation cannot drop below what is spent.
    let lower = gql_response_as(&db, Some(&b), UPDATE, json!({"id": id, "input": {"budgetAllocated": "700.00"}})).await;
    assert_eq!(code(&lower), "CONFLICT");
    // Retailers do not change campaigns.
    let shop = retailer("Shop", Region::West).insert(&*db).await;
    let refused = gql_response_as(&db, Some(&shop), SPEND, json!({"id": id, "amount": "1.00"})).await;
    assert_eq!(code(&refused), "FORBIDDEN");
});

db_test!(register_sends_is_all_or_nothing_and_names_the_bad_send, |db| {
    let b = brand(&db).await;
    let shop = retailer("Shop", Region::West).insert(&*db).await;
    let c = campaign("Sends").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hi").await;
    let query = "mutation($e: UUID!, $s: [SendInput!]!) { registerSends(emailCampaignId: $e, sends: $s) { registered duplicates sendIds } }";
    let fixed = Uuid::new_v4();
    let sends = json!([
        { "id": fixed, "retailerId": shop.id, "recipientEmail": "A@Example.com" },
        { "retailerId": shop.id, "recipientEmail": "b@example.com" },
    ]);
    let first = gql_as(&db, &b, query, json!({"e": email.id, "s": sends})).await;
    assert_eq!(first["registerSends"]["registered"], 2);
    assert_eq!(first["registerSends"]["sendIds"][0], fixed.to_string());
    let again = gql_as(&db, &b, query, json!({"e": email.id, "s": [sends[0].clone()]})).await;
    assert_eq!(
        (again["registerSends"]["registered"].clone(), again["registerSends"]["duplicates"].clone()),
        (json!(0), json!(1))
    );
    let stored = email_sends::Entity::find_by_id(fixed).one(&*db).await.unwrap().unwrap();
    assert_eq!(stored.recipient_email, "a@example.com", "addresses are stored in lower case");

    let bad = json!([
        { "retailerId": shop.id, "recipientEmail": "c@example.com" },
        { "retailerId": Uuid::new_v4(), "recipientEmail": "d@example.com" },
    ]);
    let r = gql_response_as(&db, Some(&b), query, json!({"e": email.id, "s": bad})).await;
    assert_eq!(code(&r), "BAD_USER_INPUT");
    assert!(message(&r).contains("sends[1].retailerId"), "{r}");
    let r = gql_response_as(
        &db,
        Some(&b),
        query,
        json!({"e": email.id, "s": [{ "retailerId": shop.id, "recipientEmail": "nope" }]}),
    )
    .await;
    assert!(message(&r).contains("sends[0].recipientEmail"), "{r}");
    assert_eq!(email_sends::Entity::find().count(&*db).await.unwrap(), 2, "nothing of a refused call is stored");
    let too_many: Vec<Value> =
        (0..10_001).map(|i| json!({ "retailerId": shop.id, "recipientEmail": format!("r{i}@example.com") })).collect();
    let r = gql_response_as(&db, Some(&b), query, json!({"e": email.id, "s": too_many})).await;
    assert!(message(&r).contains("at most 10000"), "{}", message(&r));
    let recipients =
        gql(&db, "query($id: UUID!) { campaign(id: $id) { emailCampaigns { totalRecipients } } }", json!({"id": c.id}))
            .await;
    assert_eq!(recipients["campaign"]["emailCampaigns"][0]["totalRecipients"], 2);
});

db_test!(record_mutations_report_each_item_and_move_revenue_once, |db| {
    let b = brand(&db).await;
    let shop = retailer("Shop", Region::West).insert(&*db).await;
    let c = campaign("Revenue").spent("1000.00").insert(&*db).await;
    let conversions =
        "mutation($s: String!, $items: [ConversionInput!]!) { recordConversions(source: $s, conversions: $items) {
        applied duplicates quarantined items { index key outcome reason } } }";
    let items = json!([
        { "conversionId": "crm-1", "campaignId": c.id, "retailerId": shop.id, "conversionType": "SALE", "value": "1500.00", "occurredAt": "2025-01-20T10:00:00Z" },
        { "conversionId": "crm-1", "campaignId": c.id, "retailerId": shop.id, "conversionType": "SALE", "value": "1500.00", "occurredAt": "2025-01-20T10:00:00Z" },
        { "conversionId": "crm-2", "campaignId": c.id, "retailerId": Uuid::nil(), "conversionType": "LEAD", "value": "10.00", "occurredAt": "2025-01-20T10:00:00Z" },
    ]);
    let r = gql_as(&db, &b, conversions, json!({"s": "salesforce", "items": items})).await;
    let outcomes: Vec<&str> =
        r["recordConversions"]["items"].as_array().unwrap().iter().map(|i| i["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["APPLIED", "DUPLICATE", "QUARANTINED"]);
    assert!(r["recordConversions"]["items"][2]["reason"].as_str().unwrap().contains("unknown retailer"));
    let r = gql_as(&db, &b, conversions, json!({"s": "salesforce", "items": [items[0].clone()]})).await;
    assert_eq!(r["recordConversions"]["duplicates"], 1, "a retry of the same key is a duplicate");
    assert_eq!(crm_conversions::Entity::find().count(&*db).await.unwrap(), 1);
    let negative = gql_response_as(&db, Some(&b), conversions, json!({"s": "salesforce", "items": [
        { "conversionId": "crm-9", "campaignId": c.id, "retailerId": shop.id, "conversionType": "SALE", "value": "-1.00", "occurredAt": "2025-01-20T10:00:00Z" }]})).await;
    assert!(message(&negative).contains("conversions[0].value"), "{negative}");
    let reserved = gql_response_as(&db, Some(&b), conversions, json!({"s": "shopify", "items": []})).await;
    assert!(message(&reserved).contains("reserved"), "{reserved}");

    let orders = "mutation($items: [OrderInput!]!) { recordOrders(source: \"magento\", orders: $items) { applied stale duplicates items { outcome } } }";
    let order = |updated: &str, status: &str, value: &str| {
        json!({ "orderId": "M-100", "updatedAt": updated, "campaignId": c.id,
        "retailerId": shop.id, "value": value, "status": status, "orderedAt": "2025-01-21T09:00:00Z" })
    };
    let r = gql_as(&db, &b, orders, json!({"items": [order("2025-01-22T00:00:00Z", "COMPLETED", "800.00"), order("2025-01-21T00:00:00Z", "PENDING", "800.00")]})).await;
    assert_eq!(r["recordOrders"]["items"], json!([{"outcome": "APPLIED"}, {"outcome": "STALE"}]));
    let r = gql_as(&db, &b, orders, json!({"items": [order("2025-01-22T00:00:00Z", "COMPLETED", "800.00")]})).await;
    assert_eq!(r["recordOrders"]["duplicates"], 1);
    let figures = gql(&db, "query($id: UUID!) { campaign(id: $id) { performance { conversionRevenue orderRevenue totalRevenue roiPercentage } } }", json!({"id": c.id})).await;
    assert_eq!(
        figures["campaign"]["performance"],
        json!({"conversionRevenue": "1500.00", "orderRevenue": "800.00", "totalRevenue": "2300.00", "roiPercentage": 130.0})
    );
    let r = gql_as(&db, &b, orders, json!({"items": [order("2025-01-23T00:00:00Z", "REFUNDED", "800.00")]})).await;
    assert_eq!(r["recordOrders"]["applied"], 1);
    let figures =
        gql(&db, "query($id: UUID!) { campaign(id: $id) { performance { orderRevenue } } }", json!({"id": c.id})).await;
    assert_eq!(figures["campaign"]["performance"]["orderRevenue"], "0.00", "a refunded order is not revenue");
});

db_test!(ten_thousand_sends_register_in_one_http_call, |db| {
    let b = brand(&db).await;
    let shop = retailer("Shop", Region::West).insert(&*db).await;
    let c = campaign("Big").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hi").await;
    let sends: Vec<Value> = (0..10_000)
        .map(|i| json!({ "retailerId": shop.id, "recipientEmail": format!("firstname.lastname{i}@retailer.example") }))
        .collect();
    let body = json!({
        "query": "mutation($e: UUID!, $s: [SendInput!]!) { registerSends(emailCampaignId: $e, sends: $s) { registered } }",
        "variables": { "e": email.id, "s": sends },
    });
    let base = serve(test_state(&db, Default::default())).await;
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token_for(b.id))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["data"]["registerSends"]["registered"], 10_000, "{}", r["errors"]);
    assert_eq!(email_sends::Entity::find().count(&*db).await.unwrap(), 10_000);
});

db_test!(a_mutation_reads_what_its_earlier_fields_changed, |db| {
    // Within a query, loaders remember the users and totals they loaded; within a mutation,
    // a field must see what an earlier field of the same request changed.
    let admin = retailer("Admin", Region::East).user_type(UserType::Admin).insert(&*db).await;
    let author = brand(&db).await;
    let c = campaign("Spring").created_by(&author).insert(&*db).await;
    let mutation = r#"mutation($c: UUID!, $u: UUID!) {
      before: updateCampaign(id: $c, input: { description: "one" }) { createdBy { name } }
      rename: updateUser(id: $u, input: { name: "Renamed" }) { name }
      after: updateCampaign(id: $c, input: { description: "two" }) { createdBy { name } }
    }"#;
    let data = gql_as(&db, &admin, mutation, json!({ "c": c.id, "u": author.id })).await;
    assert_eq!(data["before"]["createdBy"]["name"], "Brand");
    assert_eq!(data["rename"]["name"], "Renamed");
    assert_eq!(data["after"]["createdBy"]["name"], "Renamed");
});

db_test!(a_conversion_linked_to_another_retailers_or_campaigns_send_is_quarantined_and_counts_nowhere, |db| {
    let b = brand(&db).await;
    let (mine, other) =
        (retailer("Mine", Region::West).insert(&*db).await, retailer("Other", Region::West).insert(&*db).await);
    let (c, c2) = (campaign("Linked").insert(&*db).await, campaign("Elsewhere").insert(&*db).await);
    let (e, e2) = (email_campaign(&*db, &c, "Hello").await, email_campaign(&*db, &c2, "Hi").await);
    let clicked = SendOutcome { delivered: true, opened: true, clicked: true, ..Default::default() };
    let my_send = send(&*db, &e, &mine, clicked).await;
    let other_send = send(&*db, &e, &other, clicked).await;
    let elsewhere = send(&*db, &e2, &mine, clicked).await;
    let query = "mutation($items: [ConversionInput!]!) { recordConversions(source: \"crm\", conversions: $items) {
        items { outcome reason } } }";
    let item = |key: &str, send: Uuid| {
        json!({ "conversionId": key, "campaignId": c.id, "retailerId": mine.id, "emailSendId": send,
                "conversionType": "SALE", "value": "100.00", "occurredAt": "2025-01-20T10:00:00Z" })
    };
    let items =
        json!([item("ok", my_send.id), item("other-retailer", other_send.id), item("other-campaign", elsewhere.id)]);
    let r = gql_as(&db, &b, query, json!({ "items": items })).await;
    let got = &r["recordConversions"]["items"];
    assert_eq!(got[0], json!({ "outcome": "APPLIED", "reason": null }));
    assert_eq!(got[1]["outcome"], "QUARANTINED");
    assert_eq!(
        got[1]["reason"],
        format!(
            "send {} was sent for retailer {}, not for the conversion's retailer {}",
            other_send.id, other.id, mine.id
        )
    );
    assert_eq!(got[2]["outcome"], "QUARANTINED");
    assert_eq!(
        got[2]["reason"],
        format!("send {} is of campaign {}, not of the conversion's campaign {}", elsewhere.id, c2.id, c.id)
    );
    assert_eq!(crm_conversions::Entity::find().count(&*db).await.unwrap(), 1);

    // Reapplied from the quarantine, they stay there with the same reason.
    let admin = retailer("Admin", Region::East).user_type(UserType::Admin).insert(&*db).await;
    let again = gql_as(&db, &admin, "mutation { reapplyQuarantined { applied quarantined } }", json!({})).await;
    assert_eq!(again["reapplyQuarantined"], json!({ "applied": 0, "quarantined": 2 }));

    // A row stored before the rule (written directly) still credits no other retailer's funnel.
    let stray = conversion(&*db, &c, &mine, "50.00").await;
    crm_conversions::Entity::update_many()
        .col_expr(crm_conversions::Column::EmailSendId, sea_orm::sea_query::Expr::value(other_send.id))
        .filter(sea_orm::ColumnTrait::eq(&crm_conversions::Column::Id, stray.id))
        .exec(&*db)
        .await
        .unwrap();
    let funnel = "query($id: UUID!) { campaign(id: $id) { funnel { converted } } }";
    assert_eq!(gql_as(&db, &other, funnel, json!({ "id": c.id })).await["campaign"]["funnel"]["converted"], 0);
    assert_eq!(gql_as(&db, &mine, funnel, json!({ "id": c.id })).await["campaign"]["funnel"]["converted"], 1);
    assert_eq!(gql_as(&db, &b, funnel, json!({ "id": c.id })).await["campaign"]["funnel"]["converted"], 1);
});

db_test!(a_nul_character_in_a_mutations_text_is_stored_as_a_replacement_character, |db| {
    let b = brand(&db).await;
    let shop = retailer("Shop", Region::West).insert(&*db).await;
    let created = gql_as(
        &db,
        &b,
        "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id name } }",
        json!({ "input": { "name": "Spring\u{0}Launch" } }),
    )
    .await;
    assert_eq!(created["createCampaign"]["name"], "Spring\u{FFFD}Launch");
    // Written in the text itself, as an escape in a string literal, alike.
    let literal =
        gql_as(&db, &b, r#"mutation { createCampaign(input: { name: "Autumn\u0000Launch" }) { name } }"#, json!({}))
            .await;
    assert_eq!(literal["createCampaign"]["name"], "Autumn\u{FFFD}Launch");
    let c: Uuid = created["createCampaign"]["id"].as_str().unwrap().parse().unwrap();
    let email = gql_as(
        &db,
        &b,
        "mutation($c: UUID!) { createEmailCampaign(input: { campaignId: $c, subject: \"Hi\", senderEmail: \"news@brand.example\" }) { id } }",
        json!({ "c": c }),
    )
    .await;
    let r = gql_as(
        &db,
        &b,
        "mutation($e: UUID!, $s: [SendInput!]!) { registerSends(emailCampaignId: $e, sends: $s) { registered } }",
        json!({ "e": email["createEmailCampaign"]["id"], "s": [
            { "retailerId": shop.id, "recipientEmail": "a@client.example", "recipientName": "Ann\u{0}e" } ] }),
    )
    .await;
    assert_eq!(r["registerSends"]["registered"], 1);
    let stored = email_sends::Entity::find().one(&*db).await.unwrap().unwrap();
    assert_eq!(stored.recipient_name.as_deref(), Some("Ann\u{FFFD}e"));
});
