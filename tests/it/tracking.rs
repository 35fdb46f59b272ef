//! First-party tracking over HTTP, on both backends: links made by `trackingLinks`, the pixel
//! and the redirect, repeats, link scanners, `HEAD`, and forged or altered links.

use crate::common::*;
use crate::webhooks::{DELIVERED_SEND, event_rows, performance, sample_campaign};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use campaign_performance::config::Limits;
use campaign_performance::ingest::{Tracking, TrackingKey};
use entity::{email_events, email_sends};
use reqwest::redirect::Policy;
use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

const LINKS: &str = r#"mutation($s: UUID!, $d: [String!]!) { trackingLinks(sendId: $s, destinations: $d) {
    sendId pixelUrl links { destination url } } }"#;
const PERSON: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
const SCANNER: &str = "Mozilla/5.0 (compatible; Mimecast URL Protect)";
const PUBLIC: &str = "https://links.maison.example";

fn key() -> TrackingKey {
    TrackingKey::new(b"tracking-key-for-the-tests-0123456789").unwrap()
}

async fn get(url: &str, agent: &str) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(Policy::none()).user_agent(agent).build().unwrap();
    client.get(url).send().await.unwrap()
}

db_test!(tracking_links_record_an_open_and_a_click_once_and_forged_links_record_nothing, |db| {
    let (brand, shop, campaign) = sample_campaign(&db).await;
    let tracking = Tracking { key: Some(key()), public_url: PUBLIC.into() };
    let server = serve(test_state(&db, Limits::default()).with_tracking(tracking)).await;
    let local = |url: &str| url.replacen(PUBLIC, &server, 1);
    let destinations = ["https://shop.maison.example/aw25?utm_campaign=aw25-couture-launch", "https://maison.example/"];

    // Only the brand makes links; destinations are checked; the send must exist.
    let vars = json!({ "s": DELIVERED_SEND, "d": destinations });
    let (_, refused) = post_graphql(&server, Some(&token_for(shop.id)), LINKS, vars.clone()).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let bad = json!({ "s": DELIVERED_SEND, "d": ["https://ok.example/", "javascript:alert(1)"] });
    let (_, refused) = post_graphql(&server, Some(&token_for(brand.id)), LINKS, bad).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["argument"], "destinations[1]", "{refused}");
    let unknown = json!({ "s": Uuid::new_v4(), "d": [] });
    let (_, refused) = post_graphql(&server, Some(&token_for(brand.id)), LINKS, unknown).await;
    assert_eq!(error_code(&refused), "NOT_FOUND", "{refused}");
    let (_, made) = post_graphql(&server, Some(&token_for(brand.id)), LINKS, vars).await;
    let links = &made["data"]["trackingLinks"];
    assert_eq!(links["sendId"], DELIVERED_SEND, "{made}");
    let pixel = links["pixelUrl"].as_str().unwrap();
    assert!(pixel.starts_with(&format!("{PUBLIC}/t/o/")) && pixel.ends_with(".gif"), "{pixel}");
    let clicks: Vec<&str> = links["links"].as_array().unwrap().iter().map(|l| l["url"].as_str().unwrap()).collect();
    assert_eq!(links["links"][1]["destination"], destinations[1]);
    assert_eq!(event_rows(&db).await, 0, "making links stores nothing");

    // The pixel: a GIF nobody caches; the open is recorded once however often it loads.
    for _ in 0..3 {
        let response = get(&local(pixel), PERSON).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/gif");
        assert!(response.headers()["cache-control"].to_str().unwrap().contains("no-store"));
        let body = response.bytes().await.unwrap();
        assert!(body.starts_with(b"GIF89a") && body.len() == 43);
    }
    assert_eq!(event_rows(&db).await, 1);

    // A link checker's HEAD and a scanner's GET redirect without recording a click; the
    // scanner's is a machine open.
    let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let head = client.head(local(clicks[0])).send().await.unwrap();
    assert_eq!(head.status(), 302);
    assert_eq!(event_rows(&db).await, 1, "HEAD records nothing");
    let scanned = get(&local(clicks[0]), SCANNER).await;
    assert_eq!((scanned.status().as_u16(), scanned.headers()["location"].to_str().unwrap()), (302, destinations[0]));
    let row =
        email_sends::Entity::find_by_id(DELIVERED_SEND.parse::<Uuid>().unwrap()).one(&*db).await.unwrap().unwrap();
    assert_eq!(row.clicked_at, None, "a scanner's click is not a click");
    assert_eq!(event_rows(&db).await, 2);

    // A person's clicks: redirected to exactly the destination, recorded once per link.
    let before = chrono::Utc::now();
    for url in [clicks[0], clicks[1], clicks[0]] {
        let response = get(&local(url), PERSON).await;
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(destinations.contains(&location.as_str()), "{location}");
    }
    assert_eq!(event_rows(&db).await, 4, "the pixel, the scanner, one click per link");
    let row =
        email_sends::Entity::find_by_id(DELIVERED_SEND.parse::<Uuid>().unwrap()).one(&*db).await.unwrap().unwrap();
    assert!(row.clicked_at.is_some_and(|t| t >= before - chrono::Duration::seconds(1)), "{row:?}");
    assert!(row.opened_at.is_some() && row.human_opened_at.is_some());
    let mut logged: Vec<(String, bool, Option<String>)> = email_events::Entity::find()
        .all(&*db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (format!("{:?}", e.event_type), e.machine_open, e.detail))
        .collect();
    logged.sort();
    let click = |d: &str| ("Click".to_owned(), false, Some(d.to_owned()));
    let mut expected = vec![
        click(destinations[0]),
        click(destinations[1]),
        ("Open".to_owned(), false, None),
        ("Open".to_owned(), true, None),
    ];
    expected.sort();
    assert_eq!(logged, expected);
    let figures = performance(&db, campaign).await;
    assert_eq!(
        [
            &figures["performance"]["emailsOpened"],
            &figures["performance"]["emailsHumanOpened"],
            &figures["performance"]["emailsClicked"],
            &figures["performance"]["emailsDelivered"]
        ],
        [1, 1, 1, 1],
        "{figures}"
    );

    // Forged and altered links: 404, no redirect, nothing recorded.
    let token = clicks[0].rsplit('/').next().unwrap();
    let (body, tag) = token.split_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(body).unwrap();
    let evil = b"https://evil.example/";
    raw.truncate(26);
    raw.extend_from_slice(evil);
    let redirected = format!("{server}/t/c/{}.{tag}", URL_SAFE_NO_PAD.encode(&raw));
    let other_key = TrackingKey::new(b"another-key-another-key-another-key!").unwrap();
    let send = DELIVERED_SEND.parse().unwrap();
    let sent_at = "2025-11-03T09:00:00Z".parse().unwrap();
    let foreign =
        campaign_performance::ingest::tracking::Target::Click { send, sent_at, url: "https://evil.example/".into() };
    let pixel_token = pixel.rsplit('/').next().unwrap().trim_end_matches(".gif");
    for url in [
        redirected,
        format!("{server}/t/c/{}", other_key.token(&foreign)),
        format!("{server}/t/c/{pixel_token}"),
        format!("{server}/t/o/{token}.gif"),
        format!("{server}/t/o/{pixel_token}"),
        format!("{server}/t/c/not-a-token"),
    ] {
        let response = get(&url, PERSON).await;
        assert_eq!(response.status(), 404, "{url}");
        assert!(response.headers().get("location").is_none(), "{url}");
    }
    assert_eq!(event_rows(&db).await, 4);

    // A server without a tracking key makes no links and records nothing.
    let off = serve(test_state(&db, Limits::default())).await;
    let (_, refused) =
        post_graphql(&off, Some(&token_for(brand.id)), LINKS, json!({ "s": DELIVERED_SEND, "d": [] })).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("TRACKING_KEY"), "{refused}");
    assert_eq!(get(&local(pixel).replacen(&server, &off, 1), PERSON).await.status(), 404);
});
