//! Campaign figures and top-level pages that concurrent requests ask for share statements
//! (`loaders::SharedBatches`), over the real HTTP server: every answer is the figure (or page)
//! of every write committed before the request asked, within the caller's scope.

use crate::common::*;
use entity::enums::Region;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

const SUMMARY: &str =
    "query($id: UUID!) { campaign(id: $id) { name performance { totalEmailsSent conversionRevenue totalRevenue } } }";

/// The overview: a list of campaigns with their performance.
const OVERVIEW: &str = "{ campaigns(first: 20) { edges { node { name performance { totalEmailsSent conversionRevenue totalRevenue } } } } }";

/// The `data` of `body` posted to the server as `user` (checked: 200 and no errors).
async fn data_of(client: &reqwest::Client, base: &str, user: uuid::Uuid, body: Value) -> Value {
    let response =
        client.post(format!("{base}/graphql")).bearer_auth(token_for(user)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

/// `campaign`'s performance, read with `campaign(id)` or, with `overview`, from the list.
async fn performance(
    client: &reqwest::Client,
    base: &str,
    user: uuid::Uuid,
    campaign: uuid::Uuid,
    overview: bool,
) -> Value {
    let body = json!({ "query": if overview { OVERVIEW } else { SUMMARY }, "variables": { "id": campaign } });
    let data = data_of(client, base, user, body).await;
    if overview {
        let edges = data["campaigns"]["edges"].as_array().unwrap().clone();
        let node = edges.into_iter().find(|e| e["node"]["name"] == "Shared").expect("the campaign is listed");
        return node["node"]["performance"].clone();
    }
    data["campaign"]["performance"].clone()
}

/// A page of campaigns, oldest first or (`newest`) newest first: their names.
async fn campaign_page(client: &reqwest::Client, base: &str, user: uuid::Uuid, newest: bool) -> Vec<String> {
    let order = if newest { "DESC" } else { "ASC" };
    let query =
        format!("{{ campaigns(first: 3, orderBy: {{ direction: {order} }}) {{ edges {{ node {{ name }} }} }} }}");
    let data = data_of(client, base, user, json!({ "query": query })).await;
    let edges = data["campaigns"]["edges"].as_array().unwrap();
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

/// Campaigns → email campaigns → sends → retailer, as (recipient, retailer name) pairs, sorted.
async fn nested_sends(client: &reqwest::Client, base: &str, user: uuid::Uuid) -> Vec<(String, String)> {
    let query = "{ campaigns(first: 5) { edges { node { emailCampaigns { sends(first: 100) { totalCount edges { node { recipientEmail retailer { name } } } } } } } } }";
    let data = data_of(client, base, user, json!({ "query": query })).await;
    let mut pairs = Vec::new();
    for campaign in data["campaigns"]["edges"].as_array().unwrap() {
        for email in campaign["node"]["emailCampaigns"].as_array().unwrap() {
            let edges = email["sends"]["edges"].as_array().unwrap();
            assert_eq!(email["sends"]["totalCount"], edges.len(), "{data}");
            for e in edges {
                let name = e["node"]["retailer"]["name"].as_str().unwrap_or("(none)");
                pairs.push((e["node"]["recipientEmail"].as_str().unwrap().to_owned(), name.to_owned()));
            }
        }
    }
    pairs.sort();
    pairs
}

db_test!(concurrent_nested_reads_see_every_send_committed_before_they_asked_in_their_own_scope, |db| {
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(&*db).await;
    let shop = retailer("Shop", Region::Central).insert(&*db).await;
    let other = retailer("Other", Region::North).insert(&*db).await;
    let c = campaign("Nested").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Mail").await;
    let base = serve(test_state(&db, limits())).await;
    let client = reqwest::Client::new();

    // Written by hand as the rounds go: every send with its retailer's name.
    let (mut shops, mut others) = (Vec::new(), Vec::new());
    for round in 1..=4 {
        for _ in 0..round {
            shops.push((send(&*db, &email, &shop, SendOutcome::default()).await.recipient_email, "Shop".to_owned()));
        }
        others.push((send(&*db, &email, &other, SendOutcome::default()).await.recipient_email, "Other".to_owned()));
        let mut asks = Vec::new();
        for i in 0..32 {
            let user = if i % 2 == 0 { brand.id } else { shop.id };
            let (client, base) = (client.clone(), base.clone());
            asks.push(tokio::spawn(async move { (user, nested_sends(&client, &base, user).await) }));
        }
        for ask in asks {
            let (user, got) = ask.await.unwrap();
            let mut seen = shops.clone();
            if user == brand.id {
                seen.extend(others.iter().cloned());
            }
            seen.sort();
            assert_eq!(got, seen, "round {round}, brand: {}", user == brand.id);
        }
    }
});

/// PostgreSQL only: a server whose statements matching `counted` are counted.
struct Watched {
    db: TestDb,
    base: String,
    statements: Arc<AtomicUsize>,
}

async fn watched(counted: fn(&str) -> bool) -> Option<Watched> {
    let Some(db) = TestDb::postgres().await else {
        TestDb::skipped_without_postgres();
        return None;
    };
    let statements = Arc::new(AtomicUsize::new(0));
    let mut conn = db.conn.clone();
    let seen = statements.clone();
    conn.set_metric_callback(move |info| {
        if counted(&info.statement.sql) {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let base = serve(test_state(&conn, limits())).await;
    Some(Watched { db, base, statements })
}

impl Watched {
    /// While a lock held on `table` keeps the first request's statement waiting, `n - 1` more
    /// requests ask (`ask(i)` sends the `i`th), so they are known to overlap it. Their answers,
    /// in order, and how many counted statements ran.
    async fn while_locked<T>(&self, table: &str, n: usize, ask: impl Fn(usize) -> JoinHandle<T>) -> (Vec<T>, usize) {
        let lock = self.db.conn.begin().await.unwrap();
        lock.execute_unprepared(&format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")).await.unwrap();
        let first = ask(0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rest: Vec<_> = (1..n).map(&ask).collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(self.statements.load(Ordering::SeqCst), 0, "the statements wait for the lock");
        lock.commit().await.unwrap();
        let mut answers = Vec::new();
        for task in std::iter::once(first).chain(rest) {
            answers.push(task.await.unwrap());
        }
        (answers, self.statements.load(Ordering::SeqCst))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_ask_while_a_summary_statement_runs_share_the_next_statement() {
    let Some(w) = watched(|sql| sql.contains("part_rows")).await else { return };
    let db = &w.db.conn;
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(db).await;
    let shop = retailer("Shop", Region::Central).insert(db).await;
    let c = campaign("Shared").insert(db).await;
    conversion(db, &c, &shop, "12.50").await;

    let client = reqwest::Client::new();
    let (answers, statements) = w
        .while_locked("conversion_rollups", 11, |_| {
            let (client, base) = (client.clone(), w.base.clone());
            tokio::spawn(async move { performance(&client, &base, brand.id, c.id, false).await })
        })
        .await;
    for got in answers {
        assert_eq!(got["conversionRevenue"], "12.50");
    }
    // The first request's statement, then one for the ten that asked while it waited.
    assert_eq!(statements, 2);
}

/// Requests for the same page share the next statement; another page is read apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_for_a_page_being_read_share_the_next_read_of_it() {
    let Some(w) = watched(|sql| sql.contains(r#"FROM "campaigns""#) && sql.contains("LIMIT")).await else { return };
    let db = &w.db.conn;
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(db).await;
    for day in 1..=4 {
        campaign(&format!("Day {day}")).created_at(at(2025, 1, day, 0)).insert(db).await;
    }

    let client = reqwest::Client::new();
    // The first asks oldest first; after it, every third asks newest first.
    let (answers, statements) = w
        .while_locked("campaigns", 16, |i| {
            let (client, base) = (client.clone(), w.base.clone());
            let newest = i % 3 == 1;
            tokio::spawn(async move { (newest, campaign_page(&client, &base, brand.id, newest).await) })
        })
        .await;
    for (newest, got) in answers {
        let expected: &[&str] = if newest { &["Day 4", "Day 3", "Day 2"] } else { &["Day 1", "Day 2", "Day 3"] };
        assert_eq!(got, expected, "newest first: {newest}");
    }
    // Oldest first: the first request's statement, then one for the ten that asked while it
    // waited. Newest first: the first of the five, then one for the other four.
    assert_eq!(statements, 4);
}

/// Requests for the same pages of sends share the next statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_for_pages_of_sends_being_read_share_the_next_read_of_them() {
    let counted = |sql: &str| sql.contains(r#""email_sends"."recipient_email""#) && sql.contains("LIMIT");
    let Some(w) = watched(counted).await else { return };
    let db = &w.db.conn;
    let brand = retailer("Brand", Region::East).user_type(entity::enums::UserType::Brand).insert(db).await;
    let shop = retailer("Shop", Region::Central).insert(db).await;
    let c = campaign("Nested").insert(db).await;
    for subject in ["First", "Second"] {
        let email = email_campaign(db, &c, subject).await;
        for _ in 0..3 {
            send(db, &email, &shop, SendOutcome::default()).await;
        }
    }

    let client = reqwest::Client::new();
    let (answers, statements) = w
        .while_locked("email_sends", 11, |_| {
            let (client, base) = (client.clone(), w.base.clone());
            tokio::spawn(async move { nested_sends(&client, &base, brand.id).await })
        })
        .await;
    for got in answers {
        assert_eq!(got.len(), 6);
        assert!(got.iter().all(|(_, name)| name == "Shop"), "{got:?}");
    }
    // The first request's pages of both email campaigns in one statement, then one for the ten
    // that asked while it waited.
    assert_eq!(statements, 2);
}
