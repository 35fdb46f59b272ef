//! `GET /metrics` on the real server, on both backends: its token, and counters that move by
//! exactly the workload run between two scrapes (requests, SQL statements, ingested events).

use crate::common::*;
use crate::webhooks::sample_campaign;
use campaign_performance::auth::Verifier;
use campaign_performance::ingest::Webhooks;
use campaign_performance::metrics::Metrics;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const SENDGRID_SAMPLE: &[u8] = include_bytes!("../fixtures/sendgrid-events.json");

/// Every series of a scrape and its value.
async fn scrape(base: &str) -> HashMap<String, f64> {
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
        2.0
    );
    assert_eq!(delta(&before, &after, r#"http_request_duration_seconds_count{route="/graphql"}"#), 4.0);
    assert_eq!(delta(&before, &after, r#"ingested_events_total{source="sendgrid",outcome="applied"}"#), 5.0);
    assert_eq!(delta(&before, &after, r#"ingested_events_total{source="sendgrid",outcome="duplicate"}"#), 5.0);
    let sql = delta(&before, &after, r#"sql_statements_total{outcome="ok"}"#)
        + delta(&before, &after, r#"sql_statements_total{outcome="error"}"#);
    assert!(ran > 0);
    assert_eq!(sql, ran as f64, "every statement the connection ran, once");
    assert_eq!(delta(&before, &after, "sql_statement_duration_seconds_count"), ran as f64);
    assert!(after.contains_key(r#"db_pool_connections{state="idle"}"#), "{after:?}");
    // A path no route serves is one label, whatever the client sends.
    assert_eq!(delta(&before, &after, r#"http_requests_total{route="unmatched",status="404",operation=""}"#), 1.0);
    assert!(!after.keys().any(|series| series.contains("path-7f3a")), "{after:?}");
});
