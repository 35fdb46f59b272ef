//! What the operating settings cost: the real server binary on PostgreSQL (the demo's data)
//! answering the dashboard's campaign page (`tests/operations/campaign_page.graphql`) as the
//! brand, measured from outside over HTTP, under each setting:
//!
//! - plain: one PostgreSQL, no traces;
//! - traces: `OTEL_EXPORTER_OTLP_ENDPOINT` set, every request's spans (request, loader
//!   batches, SQL statements) exported to an OTLP/HTTP receiver in this process;
//! - replica: `DATABASE_READ_URLS` set, queries read from the streaming replica;
//! - replica + traces.
//!
//! Printed per setting: p50 and p99 of sequential requests, requests per second with 8
//! concurrent senders, and the server's peak resident memory.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!     BENCH_REPLICA_URL=postgres://postgres@127.0.0.1:5433/test cargo bench --bench operating
//!
//! `BENCH_REPLICA_URL` (else `TEST_REPLICA_URL`; `.ci/replica` starts one) unset: the replica
//! settings are skipped. Knobs: `BENCH_REQUESTS` (per setting and phase, default 400). The run
//! works in a schema of its own, dropped at the end.

#[expect(dead_code, reason = "no growth or fresh sends here: the other benches' parts")]
mod support;

use campaign_performance::auth::Minter;
use campaign_performance::{db, demo};
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use support::{Request, SECRET, Server, env, new_schema, percentile, send_all};

const PAGE: &str = include_str!("../tests/operations/campaign_page.graphql");

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(url) = support::database_url() else {
        eprintln!("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database to run this benchmark");
        return Ok(());
    };
    let replica = std::env::var("BENCH_REPLICA_URL").ok().or_else(|| std::env::var("TEST_REPLICA_URL").ok());
    let requests: usize = env("BENCH_REQUESTS", 400);
    let admin = db::connect(&url, Duration::from_secs(10), None).await?;
    let (schema, conn, schema_url) = new_schema(&admin, &url).await?;
    let result = async {
        db::migrate_up(&conn).await?;
        demo::load(&conn, false).await?;
        db::analyze(&conn).await?;
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT (SELECT id FROM users WHERE user_type = 'brand' LIMIT 1) AS brand, \
                 (SELECT id FROM campaigns ORDER BY created_at LIMIT 1) AS campaign",
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no demo data"))?;
        let (brand, campaign): (uuid::Uuid, uuid::Uuid) = (row.try_get("", "brand")?, row.try_get("", "campaign")?);
        let token = Minter::new(SECRET.as_bytes(), None, None).mint(brand, 24 * 3600);
        let body = serde_json::to_vec(&json!({ "query": PAGE, "variables": { "id": campaign } }))?;
        let make = |n: usize| {
            (0..n)
                .map(|_| Request {
                    get: false,
                    path: "/graphql".into(),
                    headers: vec![
                        ("authorization", format!("Bearer {token}")),
                        ("content-type", "application/json".into()),
                    ],
                    body: body.clone(),
                })
                .collect::<Vec<_>>()
        };

        let (receiver, exported) = otlp_receiver().await?;
        let endpoint = format!("http://127.0.0.1:{receiver}");
        let replica_url = match &replica {
            Some(r) => {
                let sep = if r.contains('?') { '&' } else { '?' };
                let replica_url = format!("{r}{sep}sslmode=disable&options=-c%20search_path%3D{schema}");
                wait_for_replay(&conn, &replica_url).await?;
                Some(replica_url)
            }
            None => None,
        };
        let mut settings: Vec<(&str, Vec<(&str, String)>)> =
            vec![("plain", vec![]), ("traces (OTLP)", vec![("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone())])];
        if let Some(r) = &replica_url {
            settings.push(("replica reads", vec![("DATABASE_READ_URLS", r.clone())]));
            settings.push((
                "replica + traces",
                vec![("DATABASE_READ_URLS", r.clone()), ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone())],
            ));
        }
        println!("campaign page as the brand, {requests} requests per phase (PostgreSQL, this machine)");
        println!("| setting | p50 sequential | p99 sequential | req/s, 8 senders | peak RSS |");
        println!("| --- | --- | --- | --- | --- |");
        for (name, env) in settings {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let server = Server::start_with(&schema_url, &env).await?;
            send_all(&server.base, make(50), 1).await?;
            let (sequential, _) = send_all(&server.base, make(requests), 1).await?;
            let (_, wall) = send_all(&server.base, make(requests), 8).await?;
            let rss = server.stop();
            println!(
                "| {name} | {:.2} ms | {:.2} ms | {:.0} | {} MB |",
                percentile(&sequential, 0.5).as_secs_f64() * 1e3,
                percentile(&sequential, 0.99).as_secs_f64() * 1e3,
                requests as f64 / wall.as_secs_f64(),
                rss / 1024
            );
        }
        println!("(the OTLP receiver got {} KB of spans)", exported.load(Ordering::Relaxed) / 1024);
        anyhow::Ok(())
    }
    .await;
    admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
    result
}

/// An OTLP/HTTP receiver that takes every export and counts its bytes.
async fn otlp_receiver() -> anyhow::Result<(u16, Arc<AtomicU64>)> {
    let bytes = Arc::new(AtomicU64::new(0));
    let counted = bytes.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            counted.fetch_add(body.len() as u64, Ordering::Relaxed);
            async { [("content-type", "application/x-protobuf")] }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((port, bytes))
}

/// Waits until the replica has replayed everything the primary holds now (the benchmark's data).
async fn wait_for_replay(primary: &sea_orm::DatabaseConnection, replica_url: &str) -> anyhow::Result<()> {
    let backend = primary.get_database_backend();
    let row = primary
        .query_one_raw(sea_orm::Statement::from_string(backend, "SELECT pg_current_wal_insert_lsn()::text AS lsn"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no WAL position"))?;
    let lsn: String = row.try_get("", "lsn")?;
    let replica = db::connect(replica_url, Duration::from_secs(5), None).await?;
    let caught_up = format!("SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn AS done");
    for _ in 0..600 {
        let row = replica.query_one_raw(sea_orm::Statement::from_string(backend, caught_up.clone())).await?;
        if row.and_then(|r| r.try_get::<bool>("", "done").ok()).unwrap_or(false) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the replica did not replay the benchmark's data within a minute")
}
