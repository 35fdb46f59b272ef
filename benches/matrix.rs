//! The benchmark matrix: the real server binary, serving PostgreSQL, at growing history sizes
//! (by default the demo's 27,037 sends, then 1,000,000 and 10,000,000), measured from outside
//! over HTTP at concurrency 1 and 16:
//!
//! - overview: the first 20 campaign cards with their performance;
//! - campaign page: performance, leaderboard, regions, funnel, DAY timeline, subject lines;
//! - nested: 4 campaigns → their email campaigns → 100 sends each → the retailer's name;
//! - list and summary: a 4-campaign list, and one campaign's summary (the queries of the
//!   PostGraphile comparison in the README);
//! - ingestion: SendGrid Event Webhook batches of 1,000 events (one in five a repeat), 8
//!   senders, for 20,000 fresh sends — also on an empty database (no history) first;
//! - the server's peak RSS (VmHWM) at each size.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench matrix
//!
//! (`TEST_DATABASE_URL` is used when `BENCH_DATABASE_URL` is unset.) Each run works in schemas
//! of its own and drops them at the end. Knobs: `BENCH_SIZES` (comma-separated send counts,
//! default `27037,1000000,10000000`), `BENCH_ROUNDS` (requests per measurement at concurrency
//! 1, default 30; 50× that at 16), `BENCH_EVENTS` (events per ingestion run, default 100000), `BENCH_SENDERS` (concurrent
//! webhook senders, default 8).
//! History beyond the demo is copies of the demo campaign's sends spread over four weeks:
//! half in the demo campaign itself, half over 16 more campaigns of three emails each.

mod support;

use campaign_performance::auth::Minter;
use campaign_performance::{db, demo};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{SECRET, Server, env, new_schema, percentile};
use uuid::Uuid;

/// Fresh sends that each ingestion run's events are about.
const TARGETS: i64 = 20_000;
/// Sends added per statement while growing (one transaction each).
const GROW_CHUNK: i64 = 1_000_000;

const OVERVIEW: &str = r#"{ campaigns(first: 20) { totalCount edges { node { id name status budgetSpent
  performance { totalEmailsSent deliveryRate openRate clickRate totalRevenue roiPercentage performanceTier } } } } }"#;
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
const NESTED: &str = r#"{ campaigns(first: 4) { edges { node { name emailCampaigns { subject
  sends(first: 100) { edges { node { recipientEmail status retailer { name } } } } } } } } }"#;
const LIST: &str =
    r#"{ campaigns(first: 4) { edges { node { id name status startDate endDate budgetAllocated budgetSpent } } } }"#;
const SUMMARY: &str = r#"query($id: UUID!) { campaign(id: $id) { name performance { totalRetailers totalEmailsSent
  emailsDelivered emailsOpened emailsClicked deliveryRate openRate clickRate totalRevenue roiPercentage } } }"#;

/// p50, p99 and requests (or events) per second of one measurement.
#[derive(Clone, Copy)]
struct Figures {
    p50: Duration,
    p99: Duration,
    rate: f64,
}

struct Row {
    sends: i64,
    what: String,
    concurrency: usize,
    figures: Figures,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(url) = support::database_url() else {
        eprintln!("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database to run this benchmark");
        return Ok(());
    };
    let sizes: Vec<i64> = support::sizes("27037,1000000,10000000")?;
    let admin = db::connect(&url, Duration::from_secs(10), None).await?;
    let mut rows = Vec::new();
    let mut peak_rss = 0;

    // An empty database: the demo's users and campaigns, no history; only ingestion.
    let (schema, conn, schema_url) = new_schema(&admin, &url).await?;
    let result = async {
        db::migrate_up(&conn).await?;
        let data = demo::build();
        for m in data.users.iter().cloned() {
            m.insert(&conn).await?;
        }
        for m in data.campaigns.iter().cloned() {
            m.insert(&conn).await?;
        }
        for m in data.email_campaigns.iter().cloned() {
            m.insert(&conn).await?;
        }
        let server = Server::start(&schema_url).await?;
        let ingest = ingestion(&conn, &server.base).await?;
        rows.push(Row {
            sends: count(&conn).await?,
            what: "ingestion (events/s)".into(),
            concurrency: senders(),
            figures: ingest,
        });
        peak_rss = peak_rss.max(server.stop());
        anyhow::Ok(())
    }
    .await;
    conn.close().await.ok();
    admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await?;
    result?;

    let (schema, conn, schema_url) = new_schema(&admin, &url).await?;
    let result = async {
        db::migrate_up(&conn).await?;
        let data = demo::load(&conn, false).await?;
        let sample = data.campaigns.iter().find(|c| c.name.as_ref() == demo::SAMPLE_CAMPAIGN).expect("sample");
        let sample = *sample.id.as_ref();
        let brand = data.users.iter().find(|u| u.email.as_ref() == demo::BRAND_EMAIL).expect("brand user");
        let token = Minter::new(SECRET.as_bytes(), None, None).mint(*brand.id.as_ref(), 24 * 3600);
        prepare_growth(&conn, sample).await?;
        for size in sizes {
            grow(&conn, size).await?;
            let server = Server::start(&schema_url).await?;
            let sends = count(&conn).await?;
            eprintln!("measuring at {sends} sends");
            let id = json!({ "id": sample });
            for (what, query, vars, concurrencies) in [
                ("overview page", OVERVIEW, json!({}), &[1, 16][..]),
                ("campaign page", PAGE, id.clone(), &[1, 16][..]),
                ("nested sends", NESTED, json!({}), &[1, 16][..]),
                ("4-campaign list", LIST, json!({}), &[16][..]),
                ("campaign summary", SUMMARY, id.clone(), &[16][..]),
            ] {
                for &c in concurrencies {
                    let figures = load(&server.base, &token, query, &vars, c).await?;
                    rows.push(Row { sends, what: what.into(), concurrency: c, figures });
                }
            }
            let ingest = ingestion(&conn, &server.base).await?;
            rows.push(Row { sends, what: "ingestion (events/s)".into(), concurrency: senders(), figures: ingest });
            let rss = server.stop();
            rows.push(Row {
                sends,
                what: "server peak RSS (MB)".into(),
                concurrency: 0,
                figures: Figures { p50: Duration::ZERO, p99: Duration::ZERO, rate: rss as f64 / 1024.0 },
            });
            peak_rss = peak_rss.max(rss);
        }
        anyhow::Ok(())
    }
    .await;
    conn.close().await.ok();
    admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await?;
    result?;

    print_table(&rows, peak_rss);
    Ok(())
}

#[derive(FromQueryResult)]
struct N {
    n: i64,
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = N::find_by_statement(Statement::from_string(conn.get_database_backend(), sql)).one(conn).await?;
    Ok(row.map(|r| r.n).unwrap_or(0))
}

async fn count(conn: &DatabaseConnection) -> anyhow::Result<i64> {
    scalar(conn, "SELECT COUNT(*) AS n FROM email_sends").await
}

/// 16 more campaigns of three emails each, and the numbered seeds that growth copies.
async fn prepare_growth(conn: &DatabaseConnection, sample: Uuid) -> anyhow::Result<()> {
    conn.execute_unprepared(&format!(
        "CREATE TABLE bench_extra_campaigns AS
           SELECT gen_random_uuid() AS id, g FROM generate_series(1, 16) AS g;
         INSERT INTO campaigns (id, name, description, status, start_date, end_date, budget_allocated, budget_spent,
                                created_by, created_at, updated_at, utm_code)
           SELECT x.id, 'Collection ' || x.g, c.description, c.status, c.start_date, c.end_date, c.budget_allocated,
                  c.budget_spent, c.created_by, c.created_at + make_interval(mins => x.g), c.updated_at, 'collection-' || x.g
           FROM bench_extra_campaigns x, campaigns c WHERE c.id = '{sample}';
         INSERT INTO email_campaigns (id, campaign_id, subject, content, sender_email, sender_name, sent_at,
                                      total_recipients, created_at)
           SELECT gen_random_uuid(), x.id, e.subject, e.content, e.sender_email, e.sender_name, e.sent_at, 0, e.created_at
           FROM bench_extra_campaigns x, email_campaigns e WHERE e.campaign_id = '{sample}';
         CREATE TABLE bench_seed AS
           SELECT (row_number() OVER (ORDER BY s.id) - 1) AS n, s.*
           FROM email_sends s JOIN email_campaigns e ON e.id = s.email_campaign_id WHERE e.campaign_id = '{sample}';
         CREATE UNIQUE INDEX ON bench_seed (n);
         CREATE TABLE bench_extra_emails AS
           SELECT (row_number() OVER (ORDER BY e.id) - 1) AS n, e.id
           FROM email_campaigns e JOIN bench_extra_campaigns x ON x.id = e.campaign_id;
         CREATE UNIQUE INDEX ON bench_extra_emails (n);"
    ))
    .await?;
    Ok(())
}

/// Adds copies of the demo campaign's sends until there are `size`: even ones in the demo
/// campaign, odd ones in the extra campaigns, shifted by up to four weeks.
async fn grow(conn: &DatabaseConnection, size: i64) -> anyhow::Result<()> {
    let seeds = scalar(conn, "SELECT COUNT(*) AS n FROM bench_seed").await?;
    let extras = scalar(conn, "SELECT COUNT(*) AS n FROM bench_extra_emails").await?;
    let started = Instant::now();
    loop {
        let have = count(conn).await?;
        if have >= size {
            break;
        }
        let add = (size - have).min(GROW_CHUNK);
        conn.execute_unprepared(&format!(
            "INSERT INTO email_sends (id, email_campaign_id, retailer_id, recipient_email, recipient_name, sent_at,
                                      delivered_at, opened_at, human_opened_at, clicked_at, status, bounce_reason)
             SELECT gen_random_uuid(), CASE WHEN g % 2 = 0 THEN s.email_campaign_id ELSE x.id END, s.retailer_id,
                    'bulk' || g || '@bench.example', NULL,
                    s.sent_at + make_interval(mins => (g % 40000)), s.delivered_at + make_interval(mins => (g % 40000)),
                    s.opened_at + make_interval(mins => (g % 40000)),
                    s.human_opened_at + make_interval(mins => (g % 40000)),
                    s.clicked_at + make_interval(mins => (g % 40000)), s.status, s.bounce_reason
             FROM generate_series({have}, {have} + {add} - 1) AS g
             JOIN bench_seed s ON s.n = g % {seeds}
             JOIN bench_extra_emails x ON x.n = g % {extras}"
        ))
        .await?;
        eprintln!("  {} sends ({:.0?})", have + add, started.elapsed());
    }
    conn.execute_unprepared("VACUUM ANALYZE email_sends").await.ok();
    conn.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// `rounds` requests (×50 at concurrency above 1) of one query by `concurrency` clients.
async fn load(base: &str, token: &str, query: &str, vars: &Value, concurrency: usize) -> anyhow::Result<Figures> {
    let rounds: usize = env("BENCH_ROUNDS", 30);
    let total = if concurrency > 1 { rounds * 50 } else { rounds };
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let body = Arc::new(serde_json::to_vec(&json!({ "query": query, "variables": vars }))?);
    let (url, token) = (format!("{base}/graphql"), token.to_owned());
    let post = move |client: reqwest::Client, body: Arc<Vec<u8>>| {
        let (url, token) = (url.clone(), token.clone());
        async move {
            let started = Instant::now();
            let response = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body((*body).clone())
                .send()
                .await?;
            // The server writes `data` first and an `errors` array after it only when there
            // are some (the answer then ends in `]}`); the client checks that much rather than
            // parsing every answer, as its CPU is the server's on this machine.
            let status = response.status();
            let bytes = response.bytes().await?;
            let ok = status.is_success() && bytes.starts_with(br#"{"data":{"#) && bytes.ends_with(b"}}");
            anyhow::ensure!(ok, "the query failed: {}", String::from_utf8_lossy(&bytes));
            anyhow::Ok(started.elapsed())
        }
    };
    for _ in 0..concurrency.max(3) {
        post(client.clone(), body.clone()).await?; // warm connections and caches
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, body, next, post) = (client.clone(), body.clone(), next.clone(), post.clone());
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                times.push(post(client.clone(), body.clone()).await?);
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::with_capacity(total);
    for w in workers {
        times.extend(w.await??);
    }
    let wall = started.elapsed();
    times.sort();
    Ok(Figures { p50: percentile(&times, 0.5), p99: percentile(&times, 0.99), rate: total as f64 / wall.as_secs_f64() })
}

/// Concurrent webhook senders in an ingestion run.
fn senders() -> usize {
    env("BENCH_SENDERS", 8)
}

/// Inserts `TARGETS` fresh sends and posts SendGrid batches about them from `senders()` senders.
async fn ingestion(conn: &DatabaseConnection, base: &str) -> anyhow::Result<Figures> {
    let events: usize = env("BENCH_EVENTS", 100_000);
    let tag = Uuid::new_v4().simple().to_string();
    let targets: Vec<Uuid> = support::fresh_sends(conn, TARGETS).await?.into_iter().map(|(id, _)| id).collect();
    let bodies = batches(&targets, events, env("BENCH_BATCH", 1_000), &tag);

    let headers = vec![("content-type", "application/json".to_owned())];
    let requests = bodies
        .into_iter()
        .map(|body| support::Request { get: false, path: "/webhooks/sendgrid".into(), headers: headers.clone(), body })
        .collect();
    let (times, wall) = support::send_all(base, requests, senders()).await?;
    Ok(Figures {
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        rate: events as f64 / wall.as_secs_f64(),
    })
}

/// Batches of SendGrid events for random sends: about one in five repeats an earlier event.
fn batches(sends: &[Uuid], events: usize, batch: usize, tag: &str) -> Vec<Vec<u8>> {
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
            .map_or("delivered", |k| k.0);
        let send = sends[rng.random_range(0..sends.len())];
        let mut e = json!({
            "email": "client@example.com",
            "timestamp": 1_736_845_200 + rng.random_range(0..2_600_000),
            "event": kind,
            "sg_event_id": format!("bench-{tag}-{n}"),
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
    made.chunks(batch).map(|c| serde_json::to_vec(c).unwrap_or_default()).collect()
}

fn print_table(rows: &[Row], peak_rss: u64) {
    println!("\nbenchmark matrix: real server binary over HTTP, PostgreSQL");
    println!("{:>11} | {:<22} | {:>3} | {:>10} | {:>10} | {:>12}", "sends", "measure", "c", "p50", "p99", "req/s");
    println!("{:-<11}-+-{:-<22}-+-{:-<3}-+-{:-<10}-+-{:-<10}-+-{:-<12}", "", "", "", "", "", "");
    for r in rows {
        let f = r.figures;
        if r.concurrency == 0 {
            println!("{:>11} | {:<22} | {:>3} | {:>10} | {:>10} | {:>12.1}", r.sends, r.what, "", "", "", f.rate);
        } else {
            println!(
                "{:>11} | {:<22} | {:>3} | {:>10} | {:>10} | {:>12.0}",
                r.sends,
                r.what,
                r.concurrency,
                format!("{:.1?}", f.p50),
                format!("{:.1?}", f.p99),
                f.rate
            );
        }
    }
    println!("peak RSS of the server over the whole run: {:.1} MB", peak_rss as f64 / 1024.0);
}
