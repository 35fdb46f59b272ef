//! Latency of the campaign page (performance, leaderboard, regions, funnel, DAY timeline,
//! subject lines) over the real HTTP server on PostgreSQL, at the demo's 27,037 sends and at
//! 1,000,000 sends.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench campaign_page
//!
//! (`TEST_DATABASE_URL` is used when `BENCH_DATABASE_URL` is unset.) It works in a schema of
//! its own and drops it at the end. `BENCH_SENDS` (default 1000000) sets the large size and
//! `BENCH_ROUNDS` (default 30) the requests per size.

use campaign_performance::auth::{Minter, Verifier};
use campaign_performance::config::Limits;
use campaign_performance::{AppState, app, db, demo};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret-bench-secret-bench-secret!";
const PAGE: &str = r#"query($id: UUID!) { campaign(id: $id) {
  name budgetSpent budgetRemaining
  performance { totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsClicked deliveryRate openRate clickRate
                totalRevenue pendingRevenue roiPercentage roas performanceTier }
  retailerPerformance { rank retailer { name region } clickRate revenue }
  regionalPerformance { region retailerCount clickRate revenue }
  funnel { sent delivered opened clicked converted convertingRetailers }
  timeline(interval: DAY) { bucketStart emailsSent emailsOpened emailsClicked revenue }
  subjectLines { subject openRate clickRate openRatePValue }
} }"#;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
    rounds: usize,
) -> (Duration, Duration, i64) {
    let mut times = Vec::with_capacity(rounds);
    let mut sent = 0;
    for i in 0..rounds + 3 {
        let started = Instant::now();
        let body: Value = client
            .post(format!("{base}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": PAGE, "variables": { "id": id } }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        let elapsed = started.elapsed();
        assert!(body["errors"].is_null(), "{body}");
        sent = body["data"]["campaign"]["performance"]["totalEmailsSent"].as_i64().unwrap_or(0);
        if i >= 3 {
            times.push(elapsed); // the first three warm the caches
        }
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99), sent)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(url) = std::env::var("BENCH_DATABASE_URL").ok().or_else(|| std::env::var("TEST_DATABASE_URL").ok()) else {
        eprintln!("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database to run this benchmark");
        return Ok(());
    };
    let large: i64 = std::env::var("BENCH_SENDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let rounds: usize = std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let admin = db::connect(&url, Duration::from_secs(10), None).await?;
    admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let conn =
        db::connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}"), Duration::from_secs(10), None).await?;
    let result = run(&conn, large, rounds).await;
    conn.close().await.ok();
    admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await?;
    result
}

async fn run(conn: &sea_orm::DatabaseConnection, large: i64, rounds: usize) -> anyhow::Result<()> {
    db::migrate_up(conn).await?;
    let data = demo::load(conn, false).await?;
    let campaign = data.campaigns.iter().find(|c| c.name.as_ref() == demo::SAMPLE_CAMPAIGN).expect("sample campaign");
    let id = campaign.id.as_ref().to_string();
    let brand = data.users.iter().find(|u| u.email.as_ref() == demo::BRAND_EMAIL).expect("brand user");
    let token = Minter::new(SECRET.as_bytes(), None, None).mint(*brand.id.as_ref(), 3600);

    let state =
        AppState::new(conn.clone(), Verifier::new(None, None).with_secret(SECRET.as_bytes()), Limits::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    let client = reqwest::Client::new();

    let mut table = Vec::new();
    table.push(measure(&client, &base, &token, &id, rounds).await);

    // Grow the sample campaign to `large` sends: copies of its sends, spread over its month.
    let extra = large - 27_037;
    if extra > 0 {
        let started = Instant::now();
        conn.execute_unprepared(&format!(
            "INSERT INTO email_sends (id, email_campaign_id, retailer_id, recipient_email, recipient_name, sent_at,
                                      delivered_at, opened_at, clicked_at, status, bounce_reason)
             SELECT gen_random_uuid(), s.email_campaign_id, s.retailer_id, 'bulk' || g || '@bench.example', NULL,
                    s.sent_at + make_interval(mins => (g % 40000)), s.delivered_at + make_interval(mins => (g % 40000)),
                    s.opened_at + make_interval(mins => (g % 40000)), s.clicked_at + make_interval(mins => (g % 40000)),
                    s.status, s.bounce_reason
             FROM generate_series(1, {extra}) AS g
             JOIN (SELECT *, row_number() OVER (ORDER BY id) - 1 AS n FROM email_sends) AS s ON s.n = g % 27037;
             ANALYZE email_sends;"
        ))
        .await?;
        eprintln!("inserted {extra} sends in {:.1?}", started.elapsed());
        table.push(measure(&client, &base, &token, &id, rounds).await);
    }

    println!("campaign page over HTTP on PostgreSQL ({rounds} requests each, concurrency 1)");
    println!("{:>12} {:>12} {:>12}", "sends", "p50", "p99");
    for (p50, p99, sent) in table {
        println!("{sent:>12} {:>12.1?} {:>12.1?}", p50, p99);
    }
    Ok(())
}
