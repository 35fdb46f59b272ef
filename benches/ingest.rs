//! Sustained webhook ingestion over the real HTTP server on PostgreSQL: SendGrid Event
//! Webhook batches of 1,000 events (one in five a repeat of an earlier event, as SendGrid
//! retries), posted by 8 concurrent senders, against the demo's 27,037 sends (or more).
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench ingest
//!
//! (`TEST_DATABASE_URL` is used when `BENCH_DATABASE_URL` is unset.) It works in a schema of
//! its own and drops it at the end. `BENCH_EVENTS` (default 200000) sets how many events are
//! posted, `BENCH_SENDERS` (default 8) the concurrency, `BENCH_BATCH` (default 1000) the batch size.

use campaign_performance::auth::Verifier;
use campaign_performance::config::Limits;
use campaign_performance::{AppState, app, db, demo};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("warn").with_writer(std::io::stderr).init();
    let Some(url) = std::env::var("BENCH_DATABASE_URL").ok().or_else(|| std::env::var("TEST_DATABASE_URL").ok()) else {
        eprintln!("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database to run this benchmark");
        return Ok(());
    };
    let schema = format!("bench_{}", Uuid::new_v4().simple());
    let admin = db::connect(&url, Duration::from_secs(10), None).await?;
    admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let conn =
        db::connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}"), Duration::from_secs(10), None).await?;
    let result = run(&conn).await;
    conn.close().await.ok();
    admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await?;
    result
}

/// Batches of SendGrid events for random sends: about one in five repeats an earlier event.
fn batches(sends: &[Uuid], events: usize, batch: usize) -> Vec<Vec<u8>> {
    const KINDS: &[(&str, u32)] = &[
        ("processed", 10),
        ("delivered", 40),
        ("open", 25),
        ("click", 10),
        ("bounce", 5),
        ("deferred", 5),
        ("spamreport", 5),
    ];
    let total: u32 = KINDS.iter().map(|k| k.1).sum();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut made: Vec<Value> = Vec::with_capacity(events);
    for n in 0..events {
        if n > 0 && rng.random_ratio(1, 5) {
            let earlier = made[rng.random_range(0..made.len())].clone();
            made.push(earlier);
            continue;
        }
        let mut pick = rng.random_range(0..total);
        let kind = KINDS
            .iter()
            .find(|k| {
                if pick < k.1 {
                    true
                } else {
                    pick -= k.1;
                    false
                }
            })
            .unwrap()
            .0;
        let send = sends[rng.random_range(0..sends.len())];
        let mut e = json!({
            "email": "client@example.com",
            "timestamp": 1_736_845_200 + rng.random_range(0..2_600_000),
            "event": kind,
            "sg_event_id": format!("bench-{n}"),
            "sg_message_id": format!("msg-{send}"),
            "send_id": send.to_string(),
        });
        if kind == "open" {
            e["sg_machine_open"] = json!(rng.random_ratio(1, 3));
        }
        if kind == "bounce" {
            e["reason"] = json!("550 5.1.1 mailbox unavailable");
        }
        made.push(e);
    }
    made.chunks(batch).map(|c| serde_json::to_vec(c).unwrap()).collect()
}

async fn run(conn: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let events: usize = env("BENCH_EVENTS", 200_000);
    let senders: usize = env("BENCH_SENDERS", 8);
    let batch: usize = env("BENCH_BATCH", 1_000);
    db::migrate_up(conn).await?;
    demo::load(conn, false).await?;
    let sends: Vec<Uuid> = entity::email_sends::Entity::find()
        .select_only()
        .column(entity::email_sends::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let bodies = batches(&sends, events, batch);

    // Unsigned posts: the benchmark measures ingestion, not signature checks.
    let state = AppState::new(
        conn.clone(),
        Verifier::new(None, None).with_secret(b"bench-secret-bench-secret-bench!"),
        Limits::default(),
    )
    .with_webhooks(campaign_performance::ingest::Webhooks::unsigned());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    let client = reqwest::Client::new();

    let queue = Arc::new(Mutex::new(bodies.into_iter().rev().collect::<Vec<_>>()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (queue, client, url) = (queue.clone(), client.clone(), format!("{base}/webhooks/sendgrid"));
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut applied = 0_u64;
            loop {
                let Some(body) = queue.lock().unwrap().pop() else { break };
                let t = Instant::now();
                let r =
                    client.post(&url).header("content-type", "application/json").body(body).send().await.expect("post");
                let status = r.status();
                let summary: Value = r.json().await.expect("json");
                assert_eq!(status, 200, "webhook refused a batch: {summary}");
                applied += summary["applied"].as_u64().unwrap_or(0);
                times.push(t.elapsed());
            }
            (times, applied)
        }));
    }
    let mut times = Vec::new();
    let mut applied = 0;
    for t in tasks {
        let (mut t, a) = t.await?;
        times.append(&mut t);
        applied += a;
    }
    let wall = started.elapsed();
    times.sort();
    println!(
        "SendGrid webhook ingestion over HTTP on PostgreSQL: {} sends, {events} events in batches of {batch}, {senders} senders",
        sends.len()
    );
    println!("{:>14} {:>14} {:>12} {:>12} {:>12}", "events/s", "applied/s", "batch p50", "batch p99", "wall");
    println!(
        "{:>14.0} {:>14.0} {:>12.1?} {:>12.1?} {:>12.1?}",
        events as f64 / wall.as_secs_f64(),
        applied as f64 / wall.as_secs_f64(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        wall
    );
    Ok(())
}
