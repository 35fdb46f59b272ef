//! Campaign figures that concurrent requests ask for share statements
//! (`loaders::SharedBatches`), over the real HTTP server: every answer is the figure of every
//! write committed before the request asked, within the caller's scope.

mod common;

use common::*;
use entity::enums::Region;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const SUMMARY: &str =
    "query($id: UUID!) { campaign(id: $id) { name performance { totalEmailsSent conversionRevenue totalRevenue } } }";

/// The overview: a list of campaigns with their performance.
const OVERVIEW: &str = "{ campaigns(first: 20) { edges { node { name performance { totalEmailsSent conversionRevenue totalRevenue } } } } }";

/// `campaign`'s performance, read with `campaign(id)` or, with `overview`, from the list.
async fn performance(
    client: &reqwest::Client,
    base: &str,
    user: uuid::Uuid,
    campaign: uuid::Uuid,
    overview: bool,
) -> Value {
    let body = json!({ "query": if overview { OVERVIEW } else { SUMMARY }, "variables": { "id": campaign } });
    let response =
        client.post(format!("{base}/graphql")).bearer_auth(token_for(user)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");
    if overview {
        let edges = body["data"]["campaigns"]["edges"].as_array().unwrap().clone();
        let node = edges.into_iter().find(|e| e["node"]["name"] == "Shared").expect("the campaign is listed");
        return node["node"]["performance"].clone();
    }
    body["data"]["campaign"]["performance"].clone()
}

fn limits() -> campaign_performance::config::Limits {
    campaign_performance::config::Limits { rate_limit_per_minute: 1_000_000, ..Default::default() }
}

db_test!(concurrent_summaries_and_overviews_see_every_write_committed_before_they_asked_in_their_own_scope, |db| {
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(&*db).await;
    let shop = retailer("Shop", Region::Central).insert(&*db).await;
    let other = retailer("Other", Region::North).insert(&*db).await;
    let c = campaign("Shared").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Mail").await;
    for r in [&shop, &shop, &other] {
        send(&*db, &email, r, SendOutcome { delivered: true, ..Default::default() }).await;
    }
    let base = serve(test_state(&db, limits())).await;
    let client = reqwest::Client::new();

    // Counted by hand as the rounds go: the brand sees both retailers, the shop its own.
    let (mut all_cents, mut shop_cents) = (0i64, 0i64);
    for round in 1..=4i64 {
        conversion(&*db, &c, &shop, &format!("{round}0.00")).await;
        conversion(&*db, &c, &other, &format!("{round}.00")).await;
        all_cents += round * 1000 + round * 100;
        shop_cents += round * 1000;
        let mut asks = Vec::new();
        for i in 0..32 {
            let user = if i % 2 == 0 { brand.id } else { shop.id };
            let (client, base) = (client.clone(), base.clone());
            let overview = i % 4 >= 2;
            asks.push(tokio::spawn(async move { (user, performance(&client, &base, user, c.id, overview).await) }));
        }
        for ask in asks {
            let (user, got) = ask.await.unwrap();
            let (sent, cents) = if user == brand.id { (3, all_cents) } else { (2, shop_cents) };
            let expected = format!("{}.{:02}", cents / 100, cents % 100);
            assert_eq!(got["totalEmailsSent"], sent, "round {round}: {got}");
            assert_eq!(got["conversionRevenue"], expected.as_str(), "round {round}, brand: {}", user == brand.id);
        }
    }
});

/// PostgreSQL only: a lock held on a rollup table keeps the first summary's statement
/// waiting, so the requests that ask meanwhile are known to overlap it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_ask_while_a_summary_statement_runs_share_the_next_statement() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    };
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(&db.conn).await;
    let shop = retailer("Shop", Region::Central).insert(&db.conn).await;
    let c = campaign("Shared").insert(&db.conn).await;
    conversion(&db.conn, &c, &shop, "12.50").await;

    let statements = Arc::new(AtomicUsize::new(0));
    let mut counted = db.conn.clone();
    let seen = statements.clone();
    counted.set_metric_callback(move |info| {
        if info.statement.sql.contains("part_rows") {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let base = serve(test_state(&counted, limits())).await;
    let client = reqwest::Client::new();

    let lock = db.conn.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE conversion_rollups IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let ask = |client: reqwest::Client, base: String| {
        tokio::spawn(async move { performance(&client, &base, brand.id, c.id, false).await })
    };
    let first = ask(client.clone(), base.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rest: Vec<_> = (0..10).map(|_| ask(client.clone(), base.clone())).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(statements.load(Ordering::SeqCst), 0, "the first statement waits for the lock");
    lock.commit().await.unwrap();

    for task in std::iter::once(first).chain(rest) {
        assert_eq!(task.await.unwrap()["conversionRevenue"], "12.50");
    }
    // The first request's statement, then one for the ten that asked while it waited.
    assert_eq!(statements.load(Ordering::SeqCst), 2);
}
