//! Ingestion through each adapter, as providers send it: the real server binary on
//! PostgreSQL (the demo's 27,037 sends and 20,000 fresh ones the events are about), each
//! adapter with its real verification on, measured from outside over HTTP:
//!
//! - SendGrid: Event Webhook batches of 1,000 events (its own format: it batches);
//! - Postmark: one record per post, with its Basic credentials;
//! - Mailgun: one event per post, each under a fresh HMAC signature (checked, and its token
//!   remembered);
//! - tracking: one `GET` of a signed pixel or click link per hit (a person's user agent).
//!
//! One event in five repeats an earlier one (providers deliver at least once). Printed per
//! adapter: stored events per second (repeats included), p50 and p99 per request.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench adapters
//!
//! Knobs: `BENCH_EVENTS` (events per adapter, default 20000), `BENCH_SENDERS` (concurrent
//! senders of one-event posts, default 64; SendGrid's batches use 8), `BENCH_ONLY` (adapters
//! whose name contains this text). The run works in a schema of its own, dropped at the end.

#[expect(dead_code, reason = "no tokens or growth here: the API benches' parts")]
mod support;

use campaign_performance::ingest::tracking::Target;
use campaign_performance::ingest::{MailgunKey, TrackingKey};
use campaign_performance::{db, demo};
use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::Duration;
use support::{Request, Server, env, new_schema, percentile};
use uuid::Uuid;

const TARGETS: i64 = 20_000;
const POSTMARK_CREDENTIALS: &str = "postmark:bench-password";
const MAILGUN_KEY: &str = "key-bench-0123456789";
const TRACKING_KEY: &str = "bench-tracking-key-0123456789abcdef";
const PERSON: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";

/// An event of the stream: which send, what kind, when (seconds), its number.
#[derive(Clone, Copy)]
struct Event {
    send: usize,
    kind: &'static str,
    at: i64,
    n: usize,
}

/// `count` events for random sends, one in five a repeat of an earlier one.
fn stream(sends: usize, count: usize, kinds: &[(&'static str, u32)]) -> Vec<Event> {
    let total: u32 = kinds.iter().map(|k| k.1).sum();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut made: Vec<Event> = Vec::with_capacity(count);
    for n in 0..count {
        if n > 0 && rng.random_ratio(1, 5) {
            made.push(made[rng.random_range(0..made.len())]);
            continue;
        }
        let mut pick = rng.random_range(0..total);
        let kind = kinds
            .iter()
            .find(|k| {
                pick < k.1 || {
                    pick -= k.1;
                    false
                }
            })
            .map_or(kinds[0].0, |k| k.0);
        made.push(Event {
            send: rng.random_range(0..sends),
            kind,
            at: 1_736_845_200 + rng.random_range(0..2_600_000),
            n,
        });
    }
    made
}

const EMAIL_KINDS: &[(&str, u32)] = &[("delivered", 45), ("open", 30), ("click", 12), ("bounce", 8), ("spam", 5)];

fn sendgrid(sends: &[(Uuid, DateTime<Utc>)], events: &[Event], tag: &str) -> Vec<Request> {
    fn name(k: &str) -> &str {
        if k == "spam" { "spamreport" } else { k }
    }
    let all: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({ "event": name(e.kind), "sg_event_id": format!("{tag}-{}", e.n), "timestamp": e.at,
                    "send_id": sends[e.send].0.to_string(), "reason": "550 5.1.1 mailbox unavailable" })
        })
        .collect();
    let headers = vec![("content-type", "application/json".to_owned())];
    all.chunks(1_000)
        .map(|c| Request {
            get: false,
            path: "/webhooks/sendgrid".into(),
            headers: headers.clone(),
            body: serde_json::to_vec(c).unwrap_or_default(),
        })
        .collect()
}

fn postmark(sends: &[(Uuid, DateTime<Utc>)], events: &[Event], tag: &str) -> Vec<Request> {
    use base64::Engine;
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(POSTMARK_CREDENTIALS));
    events
        .iter()
        .map(|e| {
            let at = DateTime::from_timestamp(e.at, 0).unwrap_or_default().to_rfc3339();
            let meta = json!({ "send_id": sends[e.send].0.to_string() });
            let message = format!("{tag}-{}", e.send);
            let record = match e.kind {
                "delivered" => json!({ "RecordType": "Delivery", "MessageID": message, "DeliveredAt": at, "Metadata": meta }),
                "open" => json!({ "RecordType": "Open", "MessageID": message, "ReceivedAt": at, "UserAgent": PERSON,
                                  "Geo": { "IP": "203.0.113.9" }, "Metadata": meta }),
                "click" => json!({ "RecordType": "Click", "MessageID": message, "ReceivedAt": at,
                                   "OriginalLink": "https://shop.example/aw25", "Metadata": meta }),
                "bounce" => json!({ "RecordType": "Bounce", "ID": e.n, "Type": "HardBounce", "MessageID": message,
                                    "BouncedAt": at, "Details": "smtp;550 5.1.1", "Metadata": meta }),
                _ => json!({ "RecordType": "SpamComplaint", "ID": e.n, "MessageID": message, "BouncedAt": at, "Metadata": meta }),
            };
            let headers = vec![("content-type", "application/json".to_owned()), ("authorization", auth.clone())];
            Request { get: false, path: "/webhooks/postmark".into(), headers, body: record.to_string().into_bytes() }
        })
        .collect()
}

fn mailgun(sends: &[(Uuid, DateTime<Utc>)], events: &[Event], tag: &str) -> Vec<Request> {
    let key = MailgunKey::new(MAILGUN_KEY);
    let now = Utc::now().timestamp().to_string();
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let event = match e.kind {
                "open" => "opened",
                "click" => "clicked",
                "bounce" => "failed",
                "spam" => "complained",
                other => other,
            };
            let data = json!({ "id": format!("{tag}-{}", e.n), "event": event, "timestamp": e.at as f64 + 0.25,
                               "severity": "permanent", "url": "https://shop.example/aw25",
                               "user-variables": { "send_id": sends[e.send].0.to_string() } });
            let s = key.sign(&now, &format!("{tag}-token-{i}"));
            let body = json!({ "signature": { "timestamp": s.timestamp, "token": s.token, "signature": s.signature },
                               "event-data": data });
            let headers = vec![("content-type", "application/json".to_owned())];
            Request { get: false, path: "/webhooks/mailgun".into(), headers, body: body.to_string().into_bytes() }
        })
        .collect()
}

fn tracking(sends: &[(Uuid, DateTime<Utc>)], events: &[Event]) -> Vec<Request> {
    let key = TrackingKey::new(TRACKING_KEY.as_bytes()).expect("a long enough key");
    events
        .iter()
        .map(|e| {
            let (send, sent_at) = sends[e.send];
            let path = if e.kind == "click" {
                let links = ["https://shop.example/aw25", "https://shop.example/bags", "https://maison.example/"];
                let url = links[e.n % links.len()].to_owned();
                format!("/t/c/{}", key.token(&Target::Click { send, sent_at, url }))
            } else {
                format!("/t/o/{}.gif", key.token(&Target::Open { send, sent_at }))
            };
            Request { get: true, path, headers: vec![("user-agent", PERSON.to_owned())], body: Vec::new() }
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(url) = support::database_url() else {
        eprintln!("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database to run this benchmark");
        return Ok(());
    };
    let count: usize = env("BENCH_EVENTS", 20_000);
    let senders: usize = env("BENCH_SENDERS", 64);
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let admin = db::connect(&url, Duration::from_secs(10), None).await?;
    let (schema, conn, schema_url) = new_schema(&admin, &url).await?;
    let result = async {
        db::migrate_up(&conn).await?;
        demo::load(&conn, false).await?;
        db::analyze(&conn).await?;
        let settings = [
            ("POSTMARK_WEBHOOK_CREDENTIALS", POSTMARK_CREDENTIALS),
            ("MAILGUN_WEBHOOK_SIGNING_KEY", MAILGUN_KEY),
            ("TRACKING_KEY", TRACKING_KEY),
        ];
        let server = Server::start_with(&schema_url, &settings).await?;
        let mut rows = Vec::new();
        for adapter in ["sendgrid", "postmark", "mailgun", "tracking"] {
            if !adapter.contains(only.as_str()) {
                continue;
            }
            let sends = support::fresh_sends(&conn, TARGETS).await?;
            let tag = Uuid::new_v4().simple().to_string();
            let kinds: &[(&str, u32)] =
                if adapter == "tracking" { &[("open", 70), ("click", 30)] } else { EMAIL_KINDS };
            let events = stream(sends.len(), count, kinds);
            let (requests, concurrency) = match adapter {
                "sendgrid" => (sendgrid(&sends, &events, &tag), 8),
                "postmark" => (postmark(&sends, &events, &tag), senders),
                "mailgun" => (mailgun(&sends, &events, &tag), senders),
                _ => (tracking(&sends, &events), senders),
            };
            let per_request = count / requests.len();
            eprintln!("{adapter}: {count} events in {} requests from {concurrency} senders", requests.len());
            let (times, wall) = support::send_all(&server.base, requests, concurrency).await?;
            let (rate, p50, p99) =
                (count as f64 / wall.as_secs_f64(), percentile(&times, 0.5), percentile(&times, 0.99));
            rows.push((adapter, per_request, concurrency, rate, p50, p99));
        }
        let rss = server.stop();
        println!(
            "\ningestion by adapter: real server binary over HTTP, PostgreSQL, {count} events each (1 in 5 a repeat)"
        );
        println!(
            "{:<10} {:>14} {:>8} {:>10} {:>10} {:>10}",
            "adapter", "events/request", "senders", "events/s", "p50", "p99"
        );
        for (adapter, per, c, rate, p50, p99) in rows {
            println!("{adapter:<10} {per:>14} {c:>8} {rate:>10.0} {:>10.1?} {:>10.1?}", p50, p99);
        }
        println!("server peak RSS: {:.1} MB", rss as f64 / 1024.0);
        anyhow::Ok(())
    }
    .await;
    conn.close().await.ok();
    admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await?;
    result
}
