//! What the benchmarks share: a schema of their own on the benchmark database, the real
//! server binary serving it on a free port, and percentiles.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

use campaign_performance::db;

pub const SECRET: &str = "bench-secret-bench-secret-bench-secret!";

/// An environment setting, or `default` when unset or unreadable.
pub fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`.
pub fn database_url() -> Option<String> {
    std::env::var("BENCH_DATABASE_URL").ok().or_else(|| std::env::var("TEST_DATABASE_URL").ok())
}

/// `BENCH_SIZES` (comma-separated send counts), or `default`.
pub fn sizes<T: std::str::FromStr>(default: &str) -> anyhow::Result<Vec<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text = std::env::var("BENCH_SIZES").unwrap_or_else(|_| default.to_owned());
    Ok(text.split(',').map(|s| s.trim().parse()).collect::<Result<_, _>>()?)
}

/// One request of a load: `GET` or `POST`, path, headers, body.
pub struct Request {
    pub get: bool,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Sends `requests` to `base` from `senders` concurrent senders; each must be answered 200
/// or 302. The requests' times, sorted, and the time all took.
pub async fn send_all(base: &str, requests: Vec<Request>, senders: usize) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (client, requests, next, base) = (client.clone(), requests.clone(), next.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while let Some(r) = requests.get(next.fetch_add(1, Ordering::Relaxed)) {
                let url = format!("{base}{}", r.path);
                let mut builder = if r.get { client.get(&url) } else { client.post(&url).body(r.body.clone()) };
                for (name, value) in &r.headers {
                    builder = builder.header(*name, value);
                }
                let t = Instant::now();
                let response = builder.send().await?;
                let status = response.status();
                let text = response.text().await?;
                anyhow::ensure!(status.as_u16() == 200 || status.as_u16() == 302, "{url}: {status} {text}");
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await??);
    }
    let wall = started.elapsed();
    times.sort();
    Ok((times, wall))
}

/// The value at fraction `p` of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A fresh schema: its name, a connection whose search path is it, and that connection's URL.
pub async fn new_schema(admin: &DatabaseConnection, url: &str) -> anyhow::Result<(String, DatabaseConnection, String)> {
    let schema = format!("bench_{}", Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await?;
    let sep = if url.contains('?') { '&' } else { '?' };
    // The server, the database and this client share one machine: the server talks to
    // PostgreSQL over loopback without TLS (as PostGraphile's `pg` client does by default),
    // unless the URL says otherwise.
    let tls = if url.contains("sslmode=") { "" } else { "sslmode=disable&" };
    let schema_url = format!("{url}{sep}{tls}options=-c%20search_path%3D{schema}");
    let conn = db::connect(&schema_url, Duration::from_secs(10), None).await?;
    Ok((schema, conn, schema_url))
}

/// Inserts `n` fresh sends (status `sent`, one a second from 2025-01-14 09:00 UTC), spread
/// over every email campaign and retailer; their ids and send times.
pub async fn fresh_sends(conn: &DatabaseConnection, n: i64) -> anyhow::Result<Vec<(Uuid, DateTime<Utc>)>> {
    let tag = Uuid::new_v4().simple();
    conn.execute_unprepared(&format!(
        "CREATE TABLE bench_targets_{tag} AS SELECT gen_random_uuid() AS id, g FROM generate_series(1, {n}) AS g;
         INSERT INTO email_sends (id, email_campaign_id, retailer_id, recipient_email, sent_at, status)
         SELECT t.id, e.id, r.id, 'target' || t.g || '@bench.example',
                timestamptz '2025-01-14 09:00:00+00' + make_interval(secs => t.g), 'sent'
         FROM bench_targets_{tag} t
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM email_campaigns) e
           ON e.n = t.g % (SELECT COUNT(*) FROM email_campaigns)
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE user_type = 'retailer') r
           ON r.n = t.g % (SELECT COUNT(*) FROM users WHERE user_type = 'retailer')"
    ))
    .await?;
    #[derive(FromQueryResult)]
    struct Send {
        id: Uuid,
        sent_at: DateTime<Utc>,
    }
    let sends = Send::find_by_statement(Statement::from_string(
        conn.get_database_backend(),
        format!("SELECT t.id, s.sent_at FROM bench_targets_{tag} t JOIN email_sends s ON s.id = t.id ORDER BY t.g"),
    ))
    .all(conn)
    .await?;
    conn.execute_unprepared(&format!("DROP TABLE bench_targets_{tag}")).await?;
    Ok(sends.into_iter().map(|s| (s.id, s.sent_at)).collect())
}

/// The server binary, serving the schema on a free port.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub async fn start(schema_url: &str) -> anyhow::Result<Server> {
        Self::start_with(schema_url, &[]).await
    }

    /// The server with more settings (`(variable, value)`).
    pub async fn start_with(schema_url: &str, settings: &[(&str, &str)]) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(env!("CARGO_BIN_EXE_campaign-performance"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", schema_url)
            .env("JWT_SECRET", SECRET)
            .env("ALLOW_UNSIGNED_WEBHOOKS", "true")
            .env("RATE_LIMIT_PER_MINUTE", "100000000")
            .env("RUST_LOG", "warn")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(Server { child, base });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the server did not become ready")
    }

    /// Stops the server; returns its peak resident memory in KiB.
    pub fn stop(mut self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let peak = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        self.child.kill().ok();
        self.child.wait().ok();
        peak
    }
}
