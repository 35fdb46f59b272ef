//! The webhooks over the real HTTP server: SendGrid's sample batch (unsigned, signed, with
//! a bad signature, twice) and a Shopify order whose create → update → cancel arrive in
//! reverse order; the figures and the stored rows after each.

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use campaign_performance::config::Limits;
use campaign_performance::ingest::{SendgridKey, ShopifySecret, Webhooks};
use entity::enums::{OrderStatus, Region, SendStatus, UserType};
use entity::{ecommerce_orders, email_events, email_sends, users};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use p256::pkcs8::EncodePublicKey;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

const SENDGRID_SAMPLE: &[u8] = include_bytes!("../fixtures/sendgrid-events.json");
const SHOPIFY_SAMPLE: &[u8] = include_bytes!("../fixtures/shopify-order.json");
pub(crate) const DELIVERED_SEND: &str = "0b6e4a52-1f7c-4d2b-8e3a-9c5d7f1b2e64";
pub(crate) const BOUNCED_SEND: &str = "7c1d9e30-5a2b-4f6e-b8d1-2e3f4a5b6c7d";

/// The campaign the samples belong to, built through the API as a brand would: a campaign
/// with the samples' UTM code, one email, and the two sends the samples name.
pub(crate) async fn sample_campaign(db: &DatabaseConnection) -> (users::Model, users::Model, Uuid) {
    let brand = retailer("Maison", Region::East).user_type(UserType::Brand).insert(db).await;
    let shop = retailer("Boutique Paris", Region::East).insert(db).await;
    let sends = [(DELIVERED_SEND, "client.one@example.com"), (BOUNCED_SEND, "old.address@example.net")]
        .map(|(id, to)| (id.parse().unwrap(), to.to_owned()));
    let campaign = campaign_with_sends(db, &brand, &shop, "aw25-couture-launch", &sends).await;
    (brand, shop, campaign)
}

/// A campaign with UTM code `utm`, one email and `sends` (id and recipient, for `shop`, sent
/// at 2025-11-03 09:00 UTC), built through the API by `brand`.
pub(crate) async fn campaign_with_sends(
    db: &DatabaseConnection,
    brand: &users::Model,
    shop: &users::Model,
    utm: &str,
    sends: &[(Uuid, String)],
) -> Uuid {
    let created = gql_as(
        db,
        brand,
        r#"mutation($utm: String!) { createCampaign(input: { name: "AW25 Couture Launch", utmCode: $utm,
             budgetAllocated: "5000.00" }) { id status utmCode } }"#,
        json!({ "utm": utm }),
    )
    .await;
    assert_eq!(created["createCampaign"]["status"], "DRAFT");
    let campaign: Uuid = created["createCampaign"]["id"].as_str().unwrap().parse().unwrap();
    let email = gql_as(
        db,
        brand,
        r#"mutation($c: UUID!) { createEmailCampaign(input: { campaignId: $c, subject: "AW25",
             senderEmail: "news@maison.example" }) { id } }"#,
        json!({ "c": campaign }),
    )
    .await;
    let email = email["createEmailCampaign"]["id"].clone();
    let sends: Vec<Value> = sends
        .iter()
        .map(|(id, to)| json!({ "id": id, "retailerId": shop.id, "recipientEmail": to, "sentAt": "2025-11-03T09:00:00Z" }))
        .collect();
    let registered = gql_as(
        db,
        brand,
        r#"mutation($e: UUID!, $sends: [SendInput!]!) { registerSends(emailCampaignId: $e, sends: $sends) {
             registered duplicates sendIds } }"#,
        json!({ "e": email, "sends": sends }),
    )
    .await;
    assert_eq!(registered["registerSends"]["registered"], sends.len());
    campaign
}

pub(crate) async fn performance(db: &DatabaseConnection, campaign: Uuid) -> Value {
    let data = gql(
        db,
        r#"query($id: UUID!) { campaign(id: $id) { performance { totalEmailsSent emailsDelivered emailsOpened
             emailsHumanOpened emailsClicked emailsBounced orderRevenue pendingRevenue totalRevenue }
             human: performance(excludeMachineOpens: true) { emailsOpened openRate } } }"#,
        json!({ "id": campaign }),
    )
    .await;
    data["campaign"].clone()
}

fn signing_key() -> (SigningKey, String) {
    let key = SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
    let public = key.verifying_key().to_public_key_der().unwrap();
    (key, STANDARD.encode(public.as_bytes()))
}

fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    let signature: p256::ecdsa::Signature = key.sign(&message);
    STANDARD.encode(signature.to_der().as_bytes())
}

pub(crate) async fn post(url: &str, body: &[u8], headers: &[(&str, String)]) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(url).header("content-type", "application/json").body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn event_rows(db: &DatabaseConnection) -> u64 {
    email_events::Entity::find().count(db).await.unwrap()
}

db_test!(the_sendgrid_sample_applies_once_whether_signed_or_not_and_a_bad_signature_stores_nothing, |db| {
    let (_, _, campaign) = sample_campaign(&db).await;
    let (key, public) = signing_key();

    // A server with a verification key refuses a bad or missing signature: 401, nothing stored.
    let signed_server =
        serve(test_state(&db, Default::default()).with_webhooks(Webhooks {
            sendgrid: Some(SendgridKey::from_base64(&public).unwrap()),
            ..Default::default()
        }))
        .await;
    let url = format!("{signed_server}/webhooks/sendgrid");
    let ts = "1762161600".to_owned();
    let tampered = sign(&key, &ts, b"[]");
    for headers in [
        vec![],
        vec![
            ("x-twilio-email-event-webhook-signature", tampered.clone()),
            ("x-twilio-email-event-webhook-timestamp", ts.clone()),
        ],
    ] {
        let (status, body) = post(&url, SENDGRID_SAMPLE, &headers).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    assert_eq!(event_rows(&db).await, 0, "a refused batch stores nothing");
    let before = performance(&db, campaign).await;
    assert_eq!(before["performance"]["emailsDelivered"], 0);

    // Signed properly: applied.
    let good = vec![
        ("x-twilio-email-event-webhook-signature", sign(&key, &ts, SENDGRID_SAMPLE)),
        ("x-twilio-email-event-webhook-timestamp", ts.clone()),
    ];
    let (status, body) = post(&url, SENDGRID_SAMPLE, &good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"received": 5, "applied": 5, "duplicates": 0, "stale": 0, "quarantined": 0}));

    // The same batch again, signed, then unsigned to a server without a key: all repeats.
    let (status, body) = post(&url, SENDGRID_SAMPLE, &good).await;
    assert_eq!((status, body["duplicates"].clone()), (200, json!(5)));
    let open_server = serve(test_state(&db, Default::default())).await;
    let (status, body) = post(&format!("{open_server}/webhooks/sendgrid"), SENDGRID_SAMPLE, &[]).await;
    assert_eq!((status, body["duplicates"].clone(), body["applied"].clone()), (200, json!(5), json!(0)));

    // Stored rows: five events, one per SendGrid event id; the sends merged from them.
    assert_eq!(event_rows(&db).await, 5);
    let delivered =
        email_sends::Entity::find_by_id(DELIVERED_SEND.parse::<Uuid>().unwrap()).one(&*db).await.unwrap().unwrap();
    let t = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap();
    assert_eq!(delivered.status, SendStatus::Delivered);
    assert_eq!(delivered.delivered_at, Some(t(1762160405)));
    assert_eq!(delivered.opened_at, Some(t(1762160911)), "the machine open is the first open");
    assert_eq!(delivered.human_opened_at, Some(t(1762161533)), "the click is the first human open");
    assert_eq!(delivered.clicked_at, Some(t(1762161533)));
    let bounced =
        email_sends::Entity::find_by_id(BOUNCED_SEND.parse::<Uuid>().unwrap()).one(&*db).await.unwrap().unwrap();
    assert_eq!(bounced.status, SendStatus::Bounced);
    assert_eq!(
        bounced.bounce_reason.as_deref(),
        Some("550 5.1.1 The email account that you tried to reach does not exist.")
    );

    // Figures: 2 sent, 1 delivered, 1 opened (by a machine, then a person clicked), 1 bounced.
    let after = performance(&db, campaign).await;
    assert_eq!(
        after["performance"],
        json!({"totalEmailsSent": 2, "emailsDelivered": 1, "emailsOpened": 1, "emailsHumanOpened": 1,
               "emailsClicked": 1, "emailsBounced": 1, "orderRevenue": "0.00", "pendingRevenue": "0.00",
               "totalRevenue": "0.00"})
    );
    assert_eq!(after["human"], json!({"emailsOpened": 1, "openRate": 100.0}));

    // The send's engagement timeline, in time order.
    let timeline = gql(
        &db,
        r#"query($id: UUID!) { campaign(id: $id) { emailCampaigns { sends(first: 10, orderBy: {field: SENT_AT})
             { edges { node { recipientEmail events { type machineOpen occurredAt } } } } } } }"#,
        json!({ "id": campaign }),
    )
    .await;
    let sends = &timeline["campaign"]["emailCampaigns"][0]["sends"]["edges"];
    let kinds: Vec<&str> =
        sends[0]["node"]["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(sends[0]["node"]["recipientEmail"], "client.one@example.com");
    assert_eq!(kinds, ["PROCESSED", "DELIVERED", "OPEN", "CLICK"]);
    assert_eq!(sends[0]["node"]["events"][2]["machineOpen"], true);
    assert_eq!(sends[1]["node"]["events"][0]["type"], "BOUNCE");
});

db_test!(unknown_sends_and_event_types_are_quarantined_answered_200_and_applied_once_the_send_exists, |db| {
    let (brand, shop, campaign) = sample_campaign(&db).await;
    let admin = retailer("Admin", Region::East).user_type(UserType::Admin).insert(&*db).await;
    let late_send = Uuid::new_v4();
    let batch = json!([
        { "event": "open", "sg_event_id": "late-open", "timestamp": 1762160000, "send_id": late_send.to_string() },
        { "event": "group_resubscribe", "sg_event_id": "odd", "timestamp": 1762160000, "send_id": DELIVERED_SEND },
    ]);
    let server = serve(test_state(&db, Default::default())).await;
    let url = format!("{server}/webhooks/sendgrid");
    let (status, body) = post(&url, batch.to_string().as_bytes(), &[]).await;
    assert_eq!((status, body["quarantined"].clone()), (200, json!(2)));
    // A provider retry of the same events counts an attempt and keeps one row each.
    post(&url, batch.to_string().as_bytes(), &[]).await;

    let listed =
        gql_as(&db, &admin, "{ quarantinedItems { source kind key reason attempts resolvedAt } }", json!({})).await;
    let mut items = listed["quarantinedItems"].as_array().unwrap().clone();
    items.sort_by_key(|i| i["key"].as_str().unwrap().to_owned());
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["key"], "late-open");
    assert_eq!(items[0]["reason"], format!("unknown send {late_send}"));
    assert_eq!(items[0]["attempts"], 2);
    assert_eq!(items[1]["reason"], "unknown event type \"group_resubscribe\"");
    // Retailers and brand users do not see the quarantine.
    let refused = gql_response_as(&db, Some(&brand), "{ quarantinedItems { key } }", json!({})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");

    // The send is registered later; applying the quarantine again lands the open.
    let emails =
        gql(&db, "query($id: UUID!) { campaign(id: $id) { emailCampaigns { id } } }", json!({"id": campaign})).await;
    gql_as(
        &db,
        &brand,
        r#"mutation($e: UUID!, $s: [SendInput!]!) { registerSends(emailCampaignId: $e, sends: $s) { registered } }"#,
        json!({ "e": emails["campaign"]["emailCampaigns"][0]["id"], "s": [
            { "id": late_send, "retailerId": shop.id, "recipientEmail": "late@example.com" } ] }),
    )
    .await;
    let reapplied = gql_as(
        &db,
        &admin,
        "mutation { reapplyQuarantined { applied quarantined items { key outcome reason } } }",
        json!({}),
    )
    .await;
    assert_eq!(reapplied["reapplyQuarantined"]["applied"], 1);
    assert_eq!(reapplied["reapplyQuarantined"]["quarantined"], 1, "an unknown type stays unknown");
    let waiting = gql_as(&db, &admin, "{ quarantinedItems { key } }", json!({})).await;
    assert_eq!(waiting["quarantinedItems"], json!([{ "key": "odd" }]));
    let figures = performance(&db, campaign).await;
    assert_eq!(figures["performance"]["emailsOpened"], 1);
    assert_eq!(figures["performance"]["emailsDelivered"], 1, "an open implies delivery");
});

/// The sample order at a given version.
fn shopify_version(
    updated_at: &str,
    financial_status: &str,
    current_total: &str,
    cancelled_at: Option<&str>,
) -> Vec<u8> {
    let mut order: Value = serde_json::from_slice(SHOPIFY_SAMPLE).unwrap();
    order["updated_at"] = json!(updated_at);
    order["financial_status"] = json!(financial_status);
    order["current_total_price"] = json!(current_total);
    order["cancelled_at"] = json!(cancelled_at);
    serde_json::to_vec(&order).unwrap()
}

db_test!(a_shopify_order_ends_as_its_newest_version_whatever_the_order_of_arrival, |db| {
    let (_, shop, campaign) = sample_campaign(&db).await;
    let secret = ShopifySecret::new("shpss_test_secret");
    let server = serve(
        test_state(&db, Default::default())
            .with_webhooks(Webhooks { shopify: Some(secret.clone()), ..Default::default() }),
    )
    .await;
    let url = format!("{server}/webhooks/shopify/orders");
    let create = shopify_version("2025-11-03T10:21:09+01:00", "paid", "2450.00", None);
    let update = shopify_version("2025-11-04T08:00:00+01:00", "partially_refunded", "2000.00", None);
    let cancel = shopify_version("2025-11-05T08:00:00+01:00", "refunded", "0.00", Some("2025-11-05T08:00:00+01:00"));
    let deliver = |body: Vec<u8>, event: &str| {
        let headers = vec![
            ("x-shopify-hmac-sha256", secret.sign(&body)),
            ("x-shopify-event-id", event.to_owned()),
            ("x-shopify-topic", "orders/updated".to_owned()),
        ];
        let url = url.clone();
        async move { post(&url, &body, &headers).await }
    };

    // A bad signature is refused and stores nothing.
    let (status, _) = post(&url, &create, &[("x-shopify-hmac-sha256", secret.sign(b"other"))]).await;
    assert_eq!(status, 401);
    assert_eq!(ecommerce_orders::Entity::find().count(&*db).await.unwrap(), 0);

    // Reverse order: cancel, then update, then create.
    let (status, body) = deliver(cancel.clone(), "evt-3").await;
    assert_eq!((status, body["applied"].clone()), (200, json!(1)), "{body}");
    let (_, body) = deliver(update.clone(), "evt-2").await;
    assert_eq!(body["stale"], 1, "an older version never overwrites a newer one");
    let (_, body) = deliver(create.clone(), "evt-1").await;
    assert_eq!(body["stale"], 1);
    // A redelivery of the same Shopify event is recognised by its id.
    let (_, body) = deliver(cancel.clone(), "evt-3").await;
    assert_eq!(body["duplicates"], 1);

    let rows = ecommerce_orders::Entity::find().all(&*db).await.unwrap();
    assert_eq!(rows.len(), 1, "one row per Shopify order");
    let row = &rows[0];
    assert_eq!(row.external_id.as_deref(), Some("6702153450123"));
    assert_eq!(row.order_status, OrderStatus::Cancelled, "cancelled_at wins over financial_status");
    assert_eq!(row.campaign_id, Some(campaign), "found by utm_campaign");
    assert_eq!(row.retailer_id, Some(shop.id), "found by the customer's email among the campaign's recipients");
    assert!(row.attributed_to_email, "utm_medium=email");
    let figures = performance(&db, campaign).await;
    assert_eq!(figures["performance"]["orderRevenue"], "0.00", "a cancelled order is not revenue");

    // In order on a fresh order id: create → completed 2450, update → 2000 after the refund.
    let renumber = |body: &[u8]| {
        let mut v: Value = serde_json::from_slice(body).unwrap();
        v["id"] = json!(9007199254740993_u64);
        serde_json::to_vec(&v).unwrap()
    };
    deliver(renumber(&create), "evt-11").await;
    assert_eq!(performance(&db, campaign).await["performance"]["orderRevenue"], "2450.00");
    deliver(renumber(&update), "evt-12").await;
    assert_eq!(performance(&db, campaign).await["performance"]["orderRevenue"], "2000.00");
    let big = ecommerce_orders::Entity::find().all(&*db).await.unwrap();
    assert!(
        big.iter().any(|o| o.external_id.as_deref() == Some("9007199254740993")),
        "ids beyond 2^53 keep every digit"
    );
});

db_test!(a_webhook_without_its_key_refuses_posts_unless_unsigned_ones_are_allowed, |db| {
    let verifier = campaign_performance::auth::Verifier::new(None, None).with_secret(TEST_SECRET.as_bytes());
    let server = serve(campaign_performance::AppState::new(db.conn.clone(), verifier, Default::default())).await;
    for path in ["/webhooks/sendgrid", "/webhooks/shopify/orders"] {
        let (status, body) = post(&format!("{server}{path}"), SENDGRID_SAMPLE, &[]).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("not configured"), "{body}");
    }
    assert_eq!(event_rows(&db).await, 0);
});

db_test!(webhook_bodies_above_the_cap_are_refused_with_413_before_they_are_read, |db| {
    let limits = campaign_performance::config::Limits { max_webhook_body_bytes: 1_000, ..Default::default() };
    let server = serve(test_state(&db, limits)).await;
    let big = vec![b' '; 5_000];
    for path in ["/webhooks/sendgrid", "/webhooks/shopify/orders"] {
        let (status, body) = post(&format!("{server}{path}"), &big, &[]).await;
        assert_eq!(status, 413, "{path}: {body}");
    }
    let (status, body) = post(&format!("{server}/webhooks/sendgrid"), b"{\"not\": \"a batch\"}", &[]).await;
    assert_eq!(status, 400);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("array"), "{body}");
});

db_test!(a_nul_character_and_a_year_3000_event_in_a_batch_of_1000_leave_the_other_999_stored, |db| {
    let (_, _, campaign) = sample_campaign(&db).await;
    let admin = retailer("Admin", Region::East).user_type(UserType::Admin).insert(&*db).await;
    let sent = 1_762_160_400; // 2025-11-03T09:00:00Z, the sends' time
    let mut events: Vec<Value> = (0..998)
        .map(|i| {
            json!({ "event": "open", "sg_event_id": format!("open-{i}"), "timestamp": sent + 60 + i,
                    "send_id": DELIVERED_SEND })
        })
        .collect();
    // U+0000 in the text PostgreSQL stores (the reason, the url) and in the event id.
    events.push(json!({ "event": "bounce", "sg_event_id": "nul-\u{0}-id", "timestamp": sent + 30,
        "send_id": BOUNCED_SEND, "reason": "550 mailbox \u{0} unavailable" }));
    events.push(json!({ "event": "click", "sg_event_id": "year-3000", "timestamp": 32_503_680_000i64,
        "send_id": DELIVERED_SEND, "url": "https://maison.example/\u{0}" }));
    let server = serve(test_state(&db, Default::default())).await;
    let url = format!("{server}/webhooks/sendgrid");
    let body = Value::Array(events).to_string();
    assert!(body.contains("\\u0000"));
    let (status, summary) = post(&url, body.as_bytes(), &[]).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary, json!({ "received": 1000, "applied": 999, "duplicates": 0, "stale": 0, "quarantined": 1 }));
    assert_eq!(event_rows(&db).await, 999);
    // The bounce is stored with U+FFFD where U+0000 was; a retry is recognised as a repeat.
    let bounced =
        email_sends::Entity::find_by_id(BOUNCED_SEND.parse::<Uuid>().unwrap()).one(&*db).await.unwrap().unwrap();
    assert_eq!(bounced.status, SendStatus::Bounced);
    assert_eq!(bounced.bounce_reason.as_deref(), Some("550 mailbox \u{FFFD} unavailable"));
    let (_, again) = post(&url, body.as_bytes(), &[]).await;
    assert_eq!(again["duplicates"], 999, "{again}");
    assert_eq!(event_rows(&db).await, 999);
    // The year-3000 click waits in the quarantine with its reason; the send counts no click.
    let listed = gql_as(&db, &admin, "{ quarantinedItems { key reason } }", json!({})).await;
    let items = listed["quarantinedItems"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["key"], "year-3000");
    assert!(items[0]["reason"].as_str().unwrap().contains("more than a day in the future"), "{listed}");
    let figures = performance(&db, campaign).await;
    assert_eq!(figures["performance"]["emailsClicked"], 0);
    assert_eq!(figures["performance"]["emailsOpened"], 1);
    assert_eq!(figures["performance"]["emailsBounced"], 1);
});

db_test!(sixteen_concurrent_writers_never_see_database_is_locked, |db| {
    let (_, _, campaign) = sample_campaign(&db).await;
    let server = serve(test_state(&db, Limits { rate_limit_per_minute: 1_000_000, ..Limits::default() })).await;
    // 16 writers at once, 400 orders and 400 event batches in all: Shopify orders (the path
    // that reads before it writes), SendGrid events and conversions recorded through GraphQL.
    let tasks: Vec<_> = (0..16)
        .map(|w| {
            let server = server.clone();
            tokio::spawn(async move {
                let mut failures = Vec::new();
                for i in 0..25 {
                    let n = w * 100 + i;
                    let mut order: Value = serde_json::from_slice(SHOPIFY_SAMPLE).unwrap();
                    order["id"] = json!(820_982_911_946_154_508u64 + n as u64);
                    let (status, body) =
                        post(&format!("{server}/webhooks/shopify/orders"), &serde_json::to_vec(&order).unwrap(), &[]).await;
                    if status != 200 || body["applied"] != 1 {
                        failures.push(format!("order {n}: {status} {body}"));
                    }
                    let events = json!([{ "event": "open", "sg_event_id": format!("open-{n}"), "timestamp": 1_762_160_500 + n,
                                          "send_id": DELIVERED_SEND }]);
                    let (status, body) = post(&format!("{server}/webhooks/sendgrid"), events.to_string().as_bytes(), &[]).await;
                    if status != 200 || body["applied"] != 1 {
                        failures.push(format!("event {n}: {status} {body}"));
                    }
                }
                failures
            })
        })
        .collect();
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.unwrap());
    }
    assert!(failures.is_empty(), "{} failed, first: {:?}", failures.len(), failures.first());
    assert_eq!(ecommerce_orders::Entity::find().count(&*db).await.unwrap(), 400);
    assert_eq!(event_rows(&db).await, 400);
    assert_eq!(campaign_performance::analytics::rollups::verify(&*db).await.unwrap(), vec![]);
    let figures = performance(&db, campaign).await;
    assert_eq!(figures["performance"]["emailsOpened"], 1);
});

db_test!(concurrent_batches_sharing_events_each_get_their_own_outcomes_and_every_event_counts_once, |db| {
    // Batches that arrive together are applied together (`ingest::combine`): each caller must
    // still get the outcomes of its own events, a repeat across batches must be a duplicate
    // once, and the merged state must be the one of all the events.
    let (_, _, campaign) = sample_campaign(&db).await;
    let server = serve(test_state(&db, Limits { rate_limit_per_minute: 1_000_000, ..Limits::default() })).await;
    let url = format!("{server}/webhooks/sendgrid");
    let sent = 1_762_160_400; // the sends' time
    // Batch k holds events 50k .. 50k+99 (half shared with the next batch) and its first
    // event again: 800 events, 450 distinct.
    let batch = |k: i64| {
        let mut events: Vec<Value> = (50 * k..50 * k + 100)
            .map(|i| json!({ "event": if i % 3 == 0 { "click" } else { "open" }, "sg_event_id": format!("ev-{i}"),
                             "timestamp": sent + 1_000 - i, "send_id": if i % 2 == 0 { DELIVERED_SEND } else { BOUNCED_SEND } }))
            .collect();
        events.push(events[0].clone());
        Value::Array(events).to_string()
    };
    let posts: Vec<_> = (0..8)
        .map(|k| {
            let (url, body) = (url.clone(), batch(k));
            tokio::spawn(async move { post(&url, body.as_bytes(), &[]).await })
        })
        .collect();
    let (mut applied, mut duplicates) = (0, 0);
    for p in posts {
        let (status, summary) = p.await.unwrap();
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["received"], 101, "{summary}");
        assert_eq!(summary["quarantined"], 0, "{summary}");
        let (a, d) = (summary["applied"].as_u64().unwrap(), summary["duplicates"].as_u64().unwrap());
        assert_eq!(a + d, 101, "{summary}");
        assert!(d >= 1, "the repeat within the batch is a duplicate: {summary}");
        (applied, duplicates) = (applied + a, duplicates + d);
    }
    assert_eq!((applied, duplicates), (450, 358), "450 distinct events of 808");
    assert_eq!(event_rows(&db).await, 450);
    // The earliest open and click of all batches: event 449 (odd, BOUNCED_SEND: an open) and
    // 448 (even, DELIVERED_SEND); the earliest click of DELIVERED_SEND is event 444 (i % 6 == 0).
    let at = |i: i64| chrono::DateTime::from_timestamp(sent + 1_000 - i, 0).unwrap();
    let delivered =
        email_sends::Entity::find_by_id(DELIVERED_SEND.parse::<Uuid>().unwrap()).one(&*db).await.unwrap().unwrap();
    assert_eq!((delivered.opened_at, delivered.clicked_at), (Some(at(448)), Some(at(444))));
    let other =
        email_sends::Entity::find_by_id(BOUNCED_SEND.parse::<Uuid>().unwrap()).one(&*db).await.unwrap().unwrap();
    assert_eq!((other.opened_at, other.clicked_at), (Some(at(449)), Some(at(447))));
    assert_eq!(campaign_performance::analytics::rollups::verify(&*db).await.unwrap(), vec![]);
    let figures = performance(&db, campaign).await;
    assert_eq!(figures["performance"]["emailsClicked"], 2);
});

db_test!(a_shopify_order_found_by_its_customer_goes_to_a_retailer_of_that_campaign_or_to_the_quarantine, |db| {
    // The customer of this order was emailed by another campaign, for another retailer.
    let other = campaign("Other campaign").insert(&*db).await;
    let (_, _, campaign) = sample_campaign(&db).await;
    let elsewhere = retailer("Elsewhere", Region::West).insert(&*db).await;
    let other_email = email_campaign(&*db, &other, "Other").await;
    let s = send(&*db, &other_email, &elsewhere, SendOutcome::default()).await;
    let server = serve(test_state(&db, Default::default())).await;
    let url = format!("{server}/webhooks/shopify/orders");
    let mut order: Value = serde_json::from_slice(SHOPIFY_SAMPLE).unwrap();
    order["email"] = json!(s.recipient_email);
    order["customer"]["email"] = json!(s.recipient_email);
    let (status, body) = post(&url, &serde_json::to_vec(&order).unwrap(), &[]).await;
    assert_eq!((status, body["quarantined"].clone()), (200, json!(1)), "{body}");
    assert_eq!(ecommerce_orders::Entity::find().count(&*db).await.unwrap(), 0);
    let admin = retailer("Admin", Region::East).user_type(UserType::Admin).insert(&*db).await;
    let listed = gql_as(&db, &admin, "{ quarantinedItems { reason } }", json!({})).await;
    let reason = listed["quarantinedItems"][0]["reason"].as_str().unwrap().to_owned();
    assert_eq!(
        reason,
        format!(
            "the customer {:?} belongs to retailer {}, for whom campaign {campaign} sent no email",
            s.recipient_email, elsewhere.id
        )
    );
    // The sample's own customer, emailed by this campaign, is credited as before.
    let (_, body) = post(&url, SHOPIFY_SAMPLE, &[]).await;
    assert_eq!(body["applied"], 1, "{body}");
});
