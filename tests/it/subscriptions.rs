//! `campaignPerformance` over a real WebSocket (graphql-transport-ws): the first figures at
//! once, then new figures after events land. On PostgreSQL the events are posted to a
//! second server on the same database, so the news crosses processes by LISTEN/NOTIFY.

use crate::common::*;
use entity::enums::{Region, UserType};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(base: &str, init: Value) -> Socket {
    let mut request = format!("{}/graphql/ws", base.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.send(Message::text(json!({ "type": "connection_init", "payload": init }).to_string())).await.unwrap();
    socket
}

/// The next JSON message, or `None` when the socket closes or nothing comes within `wait`.
async fn next(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let v: Value = serde_json::from_str(&text).unwrap();
                if v["type"] == "ping" {
                    continue;
                }
                return Some(v);
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

db_test!(a_subscriber_receives_the_new_figures_within_a_second_of_events_landing, |db| {
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    let shop = retailer("Shop", Region::East).insert(&*db).await;
    let c = campaign("Live").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hello").await;
    let s1 = send(&*db, &email, &shop, SendOutcome::default()).await;
    let s2 = send(&*db, &email, &shop, SendOutcome::default()).await;

    let listening = serve(test_state(&db, Default::default())).await;
    // On PostgreSQL, a second server (another process, as far as the data path goes) takes the events.
    let posting = if db.backend() == sea_orm::DbBackend::Postgres {
        serve(test_state(&db, Default::default())).await
    } else {
        listening.clone()
    };

    // Without a token the connection is refused.
    let mut anonymous = connect(&listening, json!({})).await;
    let refused = next(&mut anonymous, Duration::from_secs(5)).await;
    assert!(refused.is_none() || refused.as_ref().unwrap()["type"] != "connection_ack", "{refused:?}");

    let mut socket = connect(&listening, json!({ "Authorization": format!("Bearer {}", token_for(brand.id)) })).await;
    assert_eq!(next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"], "connection_ack");
    // Queries and mutations belong on POST /graphql (rate limit, timeout, loaders).
    let mutation = json!({ "id": "0", "type": "subscribe", "payload": {
        "query": "mutation($id: UUID!) { recordSpend(campaignId: $id, amount: \"1.00\") { budgetSpent } }",
        "variables": { "id": c.id } } });
    socket.send(Message::text(mutation.to_string())).await.unwrap();
    let refused = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(refused["id"], "0", "{refused}");
    assert_eq!(refused["payload"]["data"], Value::Null, "nothing ran: {refused}");
    assert!(refused.to_string().contains("only subscriptions"), "{refused}");
    if refused["type"] == "next" {
        assert_eq!(next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"], "complete");
    }
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription($id: UUID!) { campaignPerformance(campaignId: $id) { emailsDelivered emailsOpened emailsClicked openRate } }",
        "variables": { "id": c.id } } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    let first = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(
        first["payload"]["data"]["campaignPerformance"],
        json!({"emailsDelivered": 0, "emailsOpened": 0, "emailsClicked": 0, "openRate": 0.0})
    );

    // A burst of three webhook posts: one update (or a few) carrying all of them.
    let client = reqwest::Client::new();
    let events = [
        json!([{ "event": "delivered", "sg_event_id": "d1", "timestamp": 1736848800, "send_id": s1.id.to_string() }]),
        json!([{ "event": "open", "sg_event_id": "o1", "timestamp": 1736849400, "send_id": s1.id.to_string() }]),
        json!([{ "event": "click", "sg_event_id": "c2", "timestamp": 1736850000, "send_id": s2.id.to_string() }]),
    ];
    for batch in &events {
        let r = client.post(format!("{posting}/webhooks/sendgrid")).json(batch).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let landed = Instant::now();
    let mut updates = Vec::new();
    let wanted = json!({"emailsDelivered": 2, "emailsOpened": 2, "emailsClicked": 1, "openRate": 100.0});
    while let Some(message) = next(&mut socket, Duration::from_secs(3)).await {
        assert_eq!(message["type"], "next", "{message}");
        updates.push((landed.elapsed(), message["payload"]["data"]["campaignPerformance"].clone()));
        if updates.last().unwrap().1 == wanted {
            break;
        }
    }
    let (elapsed, last) = updates.last().cloned().expect("an update after the events");
    assert_eq!(last, wanted, "updates: {updates:?}");
    assert!(elapsed < Duration::from_secs(1), "the update took {elapsed:?}");
    assert!(updates.len() <= events.len(), "a burst is coalesced: {updates:?}");

    // A repeat of the same events moves nothing, so nothing is pushed.
    client.post(format!("{posting}/webhooks/sendgrid")).json(&events[0]).send().await.unwrap();
    assert!(next(&mut socket, Duration::from_millis(800)).await.is_none(), "no update for a repeat");
});

const FOLLOW: &str =
    "subscription($id: UUID!) { campaignPerformance(campaignId: $id) { totalEmailsSent roiPercentage } }";

/// Subscribes as `id`; its first message (messages of other ids, such as the `complete` of a
/// refused one, are passed over).
async fn subscribe(socket: &mut Socket, id: &str, campaign: uuid::Uuid) -> Value {
    let message =
        json!({ "id": id, "type": "subscribe", "payload": { "query": FOLLOW, "variables": { "id": campaign } } });
    socket.send(Message::text(message.to_string())).await.unwrap();
    loop {
        match next(socket, Duration::from_secs(5)).await {
            Some(m) if m["id"] == id => return m,
            Some(_) => continue,
            None => return Value::Null,
        }
    }
}

/// Waits until the socket closes; how long it took, or `None` if it stays open past `wait`.
async fn closed_within(socket: &mut Socket, wait: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < wait {
        let message = tokio::time::timeout(Duration::from_millis(200), socket.next()).await;
        if let Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) = message {
            return Some(started.elapsed());
        }
    }
    None
}

db_test!(an_open_socket_follows_its_users_rights_demotion_deactivation_and_token_expiry, |db| {
    let admin = retailer("Admin", Region::East).user_type(UserType::Admin).insert(&*db).await;
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    let shop = retailer("Shop", Region::East).insert(&*db).await;
    let c = campaign("Watched").spent("100.00").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hello").await;
    send(&*db, &email, &shop, SendOutcome::default()).await;
    send(&*db, &email, &brand, SendOutcome::default()).await;
    let base = serve(test_state(&db, Default::default())).await;
    let bearer = |user: uuid::Uuid, ttl: u64| json!({ "Authorization": format!("Bearer {}", campaign_performance::auth::Minter::new(TEST_SECRET.as_bytes(), None, None).mint(user, ttl)) });
    let admin_post = |query: &'static str, id: uuid::Uuid| {
        let base = base.clone();
        let token = token_for(admin.id);
        async move {
            reqwest::Client::new()
                .post(format!("{base}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": query, "variables": { "id": id } }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };

    // Demotion: the brand user, now a retailer, is pushed only what a retailer may see.
    let mut socket = connect(&base, bearer(brand.id, 3600)).await;
    assert_eq!(next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"], "connection_ack");
    let first = subscribe(&mut socket, "1", c.id).await;
    assert_eq!(
        first["payload"]["data"]["campaignPerformance"],
        json!({ "totalEmailsSent": 2, "roiPercentage": -100.0 })
    );
    let demoted = admin_post(
        "mutation($id: UUID!) { updateUser(id: $id, input: { userType: RETAILER, region: EAST }) { userType } }",
        brand.id,
    )
    .await;
    assert_eq!(demoted["data"]["updateUser"]["userType"], "RETAILER", "{demoted}");
    let client = reqwest::Client::new();
    let s = send(&*db, &email, &shop, SendOutcome::default()).await;
    let event = json!([{ "event": "delivered", "sg_event_id": "d-demoted", "timestamp": 1736848800, "send_id": s.id.to_string() }]);
    client.post(format!("{base}/webhooks/sendgrid")).json(&event).send().await.unwrap();
    let pushed = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        pushed["payload"]["data"]["campaignPerformance"],
        json!({ "totalEmailsSent": 1, "roiPercentage": 0.0 }),
        "a retailer's own figures, no ROI: {pushed}"
    );
    // A new subscription is checked against the new role as well.
    let again = subscribe(&mut socket, "2", c.id).await;
    assert_eq!(again["payload"]["data"]["campaignPerformance"]["totalEmailsSent"], 1, "{again}");

    // Deactivation closes the socket within seconds.
    let gone = admin_post("mutation($id: UUID!) { deactivateUser(id: $id) { isActive } }", brand.id).await;
    assert_eq!(gone["data"]["deactivateUser"]["isActive"], false, "{gone}");
    let took = closed_within(&mut socket, Duration::from_secs(8)).await;
    assert!(took.is_some(), "the deactivated user's socket stayed open");

    // A token that expires closes its socket soon after (the verifier allows 5 s of clock skew).
    let mut expiring = connect(&base, bearer(shop.id, 1)).await;
    assert_eq!(next(&mut expiring, Duration::from_secs(5)).await.unwrap()["type"], "connection_ack");
    let took = closed_within(&mut expiring, Duration::from_secs(12)).await;
    assert!(took.is_some(), "a socket outlived its token");
});

db_test!(subscriptions_per_connection_and_connections_per_user_are_capped, |db| {
    use campaign_performance::auth::session::{MAX_CONNECTIONS_PER_USER, MAX_SUBSCRIPTIONS_PER_CONNECTION};
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    let c = campaign("Capped").insert(&*db).await;
    let base = serve(test_state(&db, Default::default()).with_metrics_token(Some("scrape-me".into()))).await;
    // The metrics count what is open now.
    let open = |base: String| async move {
        let now = crate::metrics::scrape(&base).await;
        (now["websocket_connections"], now["subscriptions"])
    };
    let init = json!({ "Authorization": format!("Bearer {}", token_for(brand.id)) });
    let mut socket = connect(&base, init.clone()).await;
    assert_eq!(next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"], "connection_ack");
    for i in 0..MAX_SUBSCRIPTIONS_PER_CONNECTION {
        let first = subscribe(&mut socket, &format!("s{i}"), c.id).await;
        assert_eq!(first["type"], "next", "subscription {i}: {first}");
    }
    assert_eq!(open(base.clone()).await, (1.0, MAX_SUBSCRIPTIONS_PER_CONNECTION as f64));
    let refused = subscribe(&mut socket, "over", c.id).await;
    assert!(refused.to_string().contains("subscriptions per connection"), "{refused}");
    // One ends: there is room again.
    socket.send(Message::text(json!({ "id": "s0", "type": "complete" }).to_string())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let room = subscribe(&mut socket, "again", c.id).await;
    assert_eq!(room["type"], "next", "{room}");

    let mut others = Vec::new();
    for _ in 1..MAX_CONNECTIONS_PER_USER {
        let mut s = connect(&base, init.clone()).await;
        assert_eq!(next(&mut s, Duration::from_secs(5)).await.unwrap()["type"], "connection_ack");
        others.push(s);
    }
    let mut over = connect(&base, init.clone()).await;
    let answer = next(&mut over, Duration::from_secs(5)).await;
    assert!(answer.as_ref().is_none_or(|a| a["type"] != "connection_ack"), "{answer:?}");
    // A closed connection gives its place back.
    drop(others.pop());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut back = connect(&base, init).await;
    assert_eq!(next(&mut back, Duration::from_secs(5)).await.unwrap()["type"], "connection_ack");
    assert_eq!(open(base.clone()).await, (MAX_CONNECTIONS_PER_USER as f64, MAX_SUBSCRIPTIONS_PER_CONNECTION as f64));
    drop((socket, back, others));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(open(base).await, (0.0, 0.0), "closed sockets give back their counts");
});

/// PostgreSQL only: on SQLite (one process) news goes straight to the subscribers, there is
/// no listener to lose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_its_listener_reconnects_every_subscriber_gets_fresh_figures() {
    let Some(db) = TestDb::postgres().await else {
        TestDb::skipped_without_postgres();
        return;
    };
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    let shop = retailer("Shop", Region::East).insert(&*db).await;
    let c = campaign("Reconnected").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hello").await;
    send(&*db, &email, &shop, SendOutcome::default()).await;
    let base = serve(test_state(&db, Default::default())).await;
    let mut socket = connect(&base, json!({ "Authorization": format!("Bearer {}", token_for(brand.id)) })).await;
    assert_eq!(next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"], "connection_ack");
    let first = subscribe(&mut socket, "1", c.id).await;
    assert_eq!(first["payload"]["data"]["campaignPerformance"]["totalEmailsSent"], 1, "{first}");
    // The first listening may still announce itself: wait until nothing more comes.
    while next(&mut socket, Duration::from_millis(1_500)).await.is_some() {}

    // A send written while the listener is lost (nobody announces it), then the listener's
    // connection is killed: once it listens again, the subscriber reads afresh.
    send(&*db, &email, &shop, SendOutcome::default()).await;
    let killed: Vec<bool> = <KilledRow as sea_orm::FromQueryResult>::find_by_statement(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
    ))
    .all(&*db)
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.killed)
    .collect();
    assert!(!killed.is_empty(), "no listener to kill");
    let pushed = next(&mut socket, Duration::from_secs(5)).await.expect("fresh figures after the reconnect");
    assert_eq!(pushed["payload"]["data"]["campaignPerformance"]["totalEmailsSent"], 2, "{pushed}");
}

#[derive(sea_orm::FromQueryResult)]
struct KilledRow {
    killed: bool,
}
