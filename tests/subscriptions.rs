//! `campaignPerformance` over a real WebSocket (graphql-transport-ws): the first figures at
//! once, then new figures after events land. On PostgreSQL the events are posted to a
//! second server on the same database, so the news crosses processes by LISTEN/NOTIFY.

mod common;

use common::*;
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
