//! `GET /metrics` on the real server, on both backends: its token, and counters that move by
//! exactly the workload run between two scrapes (requests, SQL statements, ingested events).

use crate::common::*;
use crate::webhooks::sample_campaign;
use campaign_performance::auth::Verifier;
use campaign_performance::ingest::Webhooks;
use campaign_performance::metrics::Metrics;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const SENDGRID_SAMPLE: &[u8] = include_bytes!("../fixtures/sendgrid-events.json");

/// Every series of a scrape and its value (the server's token: "scrape-me").
pub(crate) async fn scrape(base: &str) -> HashMap<String, f64> {
    let response = reqwest::Client::new().get(format!("{base}/metrics")).bearer_auth("scrape-me").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(series, value)| (series.to_owned(), value.parse().unwrap()))
        .collect()
}

fn delta(before: &HashMap<String, f64>, after: &HashMap<String, f64>, series: &str) -> f64 {
    after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
}

db_test!(metrics_move_by_exactly_the_requests_statements_and_events_of_a_workload, |db| {
    let (brand, _, campaign) = sample_campaign(&db).await;
    let metrics = Arc::new(Metrics::new());
    // The connection counts its statements twice: into the metrics, and here, independently.
    let statements = Arc::new(AtomicU64::new(0));
    let mut conn = db.conn.clone();
    let (counted, exported) = (statements.clone(), metrics.clone());
    conn.set_metric_callback(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        exported.statement(info);
    });
    let verifier = Verifier::new(None, None).with_secret(TEST_SECRET.as_bytes());
    let state = campaign_performance::AppState::measured(conn, verifier, Default::default(), metrics)
        .with_webhooks(Webhooks::unsigned())
        .with_metrics_token(Some("scrape-me".into()));
    let server = serve(state).await;

    // Without the token, or with another one: 401; the metrics say nothing to strangers.
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{server}/metrics")).send().await.unwrap().status(), 401);
    assert_eq!(client.get(format!("{server}/metrics")).bearer_auth("guess").send().await.unwrap().status(), 401);

    let before = scrape(&server).await;
    let statements_before = statements.load(Ordering::SeqCst);
    let token = token_for(brand.id);
    for _ in 0..3 {
        let (status, body) = post_graphql(
            &server,
            Some(&token),
            "query Figures($id: UUID!) { campaign(id: $id) { performance { totalEmailsSent } } }",
            json!({ "id": campaign }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _) = post_graphql(&server, None, "query Anonymous { campaigns { totalCount } }", json!({})).await;
    assert_eq!(status, 200);
    let webhook = format!("{server}/webhooks/sendgrid");
    for _ in 0..2 {
        let response = client.post(&webhook).body(SENDGRID_SAMPLE.to_vec()).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    // An event of a send nobody knows waits in the quarantine.
    let unknown = json!([{ "email": "nobody@example.com", "timestamp": 1762160400, "event": "open",
        "sg_event_id": "unknown-send-open-1", "send_id": "7d1f3c2a-0000-4000-8000-00000000beef" }]);
    let response = client.post(&webhook).body(unknown.to_string()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let stray = client.get(format!("{server}/no/such/path-7f3a")).send().await.unwrap();
    assert_eq!(stray.status(), 404);
    let after = scrape(&server).await;
    let ran = statements.load(Ordering::SeqCst) - statements_before;

    let figures = r#"http_requests_total{route="/graphql",status="200",operation="Figures"}"#;
    assert_eq!(delta(&before, &after, figures), 3.0);
    assert_eq!(
        delta(&before, &after, r#"http_requests_total{route="/graphql",status="200",operation="Anonymous"}"#),
        1.0
    );
    assert_eq!(
        delta(&before, &after, r#"http_requests_total{route="/webhooks/sendgrid",status="200",operation=""}"#),
        3.0
    );
    assert_eq!(delta(&before, &after, r#"http_request_duration_seconds_count{route="/graphql"}"#), 4.0);
    // By kind and outcome code: the anonymous query was answered UNAUTHENTICATED.
    let ops = |op: &str, outcome: &str| {
        delta(
            &before,
            &after,
            &format!(r#"graphql_operations_total{{operation="{op}",kind="query",outcome="{outcome}"}}"#),
        )
    };
    assert_eq!((ops("Figures", "OK"), ops("Anonymous", "UNAUTHENTICATED")), (3.0, 1.0));
    assert_eq!(delta(&before, &after, r#"graphql_operation_duration_seconds_count{kind="query"}"#), 4.0);
    assert!(after.contains_key("db_pool_acquire_timeouts_total"), "{after:?}");
    assert_eq!(delta(&before, &after, r#"ingested_events_total{source="sendgrid",outcome="applied"}"#), 5.0);
    assert_eq!(delta(&before, &after, r#"ingested_events_total{source="sendgrid",outcome="duplicate"}"#), 5.0);
    let sql = delta(&before, &after, r#"sql_statements_total{outcome="ok"}"#)
        + delta(&before, &after, r#"sql_statements_total{outcome="error"}"#);
    assert!(ran > 0);
    assert_eq!(sql, ran as f64, "every statement the connection ran, once");
    assert_eq!(delta(&before, &after, "sql_statement_duration_seconds_count"), ran as f64);
    assert!(after.contains_key(r#"db_pool_connections{state="idle"}"#), "{after:?}");
    // Each webhook post is one batch applied.
    assert_eq!(delta(&before, &after, "ingest_batch_duration_seconds_count"), 3.0);
    assert_eq!(delta(&before, &after, r#"ingested_events_total{source="sendgrid",outcome="quarantined"}"#), 1.0);
    // Read when scraped: the quarantine as the database counts it; nothing open over WebSocket.
    let quarantined = entity::prelude::QuarantinedItems::find().count(&db.conn).await.unwrap();
    assert_eq!(after["quarantined_items"], quarantined as f64);
    assert_eq!(quarantined, 1);
    assert_eq!(after["websocket_connections"], 0.0);
    assert_eq!(after["subscriptions"], 0.0);
    assert!(after.contains_key("shared_batch_joins_total"), "{after:?}");
    assert_eq!(after["verify_last_run_timestamp_seconds"], 0.0, "no verify run yet");
    // A path no route serves is one label, whatever the client sends.
    assert_eq!(delta(&before, &after, r#"http_requests_total{route="unmatched",status="404",operation=""}"#), 1.0);
    assert!(!after.keys().any(|series| series.contains("path-7f3a")), "{after:?}");
});
