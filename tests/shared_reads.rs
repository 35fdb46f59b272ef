//! Campaign figures and top-level pages that concurrent requests ask for share statements
//! (`loaders::SharedBatches`), over the real HTTP server: every answer is the figure (or page)
//! of every write committed before the request asked, within the caller's scope.

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

/// A page of campaigns, oldest first or (`newest`) newest first: their names.
async fn campaign_page(client: &reqwest::Client, base: &str, user: uuid::Uuid, newest: bool) -> Vec<String> {
    let order = if newest { "DESC" } else { "ASC" };
    let query = format!("{{ campaigns(first: 3, orderBy: {{ direction: {order} }}) {{ edges {{ node {{ name }} }} }} }}");
    let response = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token_for(user))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");
    let edges = body["data"]["campaigns"]["edges"].as_array().unwrap();
    edges.iter().map(|e| e["node"]["name"].as_str().unwrap().to_owned()).collect()
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

db_test!(concurrent_pages_see_every_campaign_committed_before_they_asked_in_their_own_scope, |db| {
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(&*db).await;
    let shop = retailer("Shop", Region::Central).insert(&*db).await;
    let base = serve(test_state(&db, limits())).await;
    let client = reqwest::Client::new();

    // Counted by hand as the rounds go: every campaign, oldest first, and those that mailed
    // the shop (every other one).
    let (mut all, mut shops) = (Vec::<String>::new(), Vec::<String>::new());
    for round in 1..=5u32 {
        let name = format!("Round {round}");
        let c = campaign(&name).created_at(at(2025, 1, round, 0)).insert(&*db).await;
        all.push(name.clone());
        if round % 2 == 1 {
            let email = email_campaign(&*db, &c, "Mail").await;
            send(&*db, &email, &shop, SendOutcome::default()).await;
            shops.push(name);
        }
        let mut asks = Vec::new();
        for i in 0..32 {
            let user = if i % 2 == 0 { brand.id } else { shop.id };
            let newest = i % 4 >= 2;
            let (client, base) = (client.clone(), base.clone());
            asks.push(tokio::spawn(async move { (user, newest, campaign_page(&client, &base, user, newest).await) }));
        }
        for ask in asks {
            let (user, newest, got) = ask.await.unwrap();
            let mut seen = if user == brand.id { all.clone() } else { shops.clone() };
            if newest {
                seen.reverse();
            }
            seen.truncate(3);
            assert_eq!(got, seen, "round {round}, brand: {}, newest first: {newest}", user == brand.id);
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

/// PostgreSQL only: a lock held on `campaigns` keeps the first page's statement waiting, so
/// the requests that ask meanwhile are known to overlap it. Requests for the same page share
/// the next statement; another page is read apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_for_a_page_being_read_share_the_next_read_of_it() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    };
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(&db.conn).await;
    for day in 1..=4 {
        campaign(&format!("Day {day}")).created_at(at(2025, 1, day, 0)).insert(&db.conn).await;
    }

    let statements = Arc::new(AtomicUsize::new(0));
    let mut counted = db.conn.clone();
    let seen = statements.clone();
    counted.set_metric_callback(move |info| {
        let sql = &info.statement.sql;
        if sql.contains(r#"FROM "campaigns""#) && sql.contains("LIMIT") {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let base = serve(test_state(&counted, limits())).await;
    let client = reqwest::Client::new();

    let lock = db.conn.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE campaigns IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let ask = |newest: bool| {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move { (newest, campaign_page(&client, &base, brand.id, newest).await) })
    };
    let first = ask(false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rest: Vec<_> = (0..15).map(|i| ask(i % 3 == 0)).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The first page's statement has not ended; the first request of the other page started its own.
    assert_eq!(statements.load(Ordering::SeqCst), 0, "the statements wait for the lock");
    lock.commit().await.unwrap();

    for task in std::iter::once(first).chain(rest) {
        let (newest, got) = task.await.unwrap();
        let expected: &[&str] = if newest { &["Day 4", "Day 3", "Day 2"] } else { &["Day 1", "Day 2", "Day 3"] };
        assert_eq!(got, expected, "newest first: {newest}");
    }
    // Oldest first: the first request's statement, then one for the nine that asked while it
    // waited. Newest first: the first of the five, then one for the other four.
    assert_eq!(statements.load(Ordering::SeqCst), 4);
}
