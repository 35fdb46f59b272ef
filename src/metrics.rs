//! The server's Prometheus metrics, served as OpenMetrics text by `GET /metrics` (with the
//! bearer token `METRICS_TOKEN`; off without it). One registry per server state, so what a
//! test reads is its own server's.
//!
//! - `http_requests_total{route, status, operation}` and `http_request_duration_seconds{route}`:
//!   every request (the matched route's pattern; the GraphQL operation name when it is a
//!   plain name, at most `MAX_OPERATIONS` distinct ones, the rest `other`);
//! - `graphql_operations_total{operation, kind, outcome}` and
//!   `graphql_operation_duration_seconds{kind}`: every GraphQL request over HTTP that passed
//!   the gate (`query` or `mutation`; the outcome is `OK` or the first error's code);
//! - `db_pool_acquire_timeouts_total`: statements that found no pooled connection in time (this
//!   process);
//! - `sql_statements_total{outcome}` and `sql_statement_duration_seconds`: every statement
//!   the server's connection runs (`ok` or `error`);
//! - `ingested_events_total{source, outcome}`: every item an apply path decided (applied,
//!   duplicate, stale, quarantined), whichever way it came (webhook, tracking, mutation);
//! - `rate_limited_total`: requests refused by the rate limit or the in-flight cap;
//! - `db_pool_connections{state}`: the pool's connections in use and idle, when scraped;
//! - `db_replica_usable{replica}` and `db_replica_lag_seconds{replica}`: each read replica
//!   (`DATABASE_READ_URLS`) as the monitor last saw it (lag -1 when unknown);
//! - `ingest_batch_duration_seconds`: how long each batch took to apply, from the moment it
//!   was handed to its apply path (waiting for the batch ahead included);
//! - `websocket_connections` and `subscriptions`: open now;
//! - `shared_batch_joins_total`: loads that joined a batch another request had started
//!   (`batching::SharedBatches`), in this process;
//! - `quarantined_items` and `verify_last_differences` / `verify_last_run_timestamp_seconds`:
//!   read from the database when scraped (the last `verify` run, by any process; a
//!   timestamp of 0 before the first).

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

type Labels = Vec<(&'static str, String)>;

/// Most distinct operation names kept as labels (clients choose them).
pub const MAX_OPERATIONS: usize = 200;

fn latency() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    http_requests: Family<Labels, Counter>,
    http_duration: Family<Labels, Histogram, fn() -> Histogram>,
    operations_total: Family<Labels, Counter>,
    operation_duration: Family<Labels, Histogram, fn() -> Histogram>,
    sql_statements: Family<Labels, Counter>,
    sql_duration: Histogram,
    ingested: Family<Labels, Counter>,
    rate_limited: Counter,
    pool: Family<Labels, Gauge>,
    replica_usable: Family<Labels, Gauge>,
    replica_lag: Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    ingest_batch: Histogram,
    websockets: Gauge,
    subscriptions: Gauge,
    quarantined: Gauge,
    verify_differences: Gauge,
    verify_finished: Gauge,
    operations: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics(…)")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, status and GraphQL operation",
            http_requests.clone(),
        );
        let http_duration = Family::new_with_constructor(latency as fn() -> Histogram);
        registry.register("http_request_duration_seconds", "HTTP request latency by route", http_duration.clone());
        let operations_total = Family::default();
        registry.register(
            "graphql_operations",
            "GraphQL requests by operation name, kind and outcome code",
            operations_total.clone(),
        );
        let operation_duration = Family::new_with_constructor(latency as fn() -> Histogram);
        registry.register(
            "graphql_operation_duration_seconds",
            "GraphQL request latency by kind",
            operation_duration.clone(),
        );
        registry.register(
            "db_pool_acquire_timeouts",
            "Statements that found no pooled connection in time (this process)",
            crate::error::POOL_TIMEOUTS.clone(),
        );
        let sql_statements = Family::default();
        registry.register("sql_statements", "SQL statements run, by outcome", sql_statements.clone());
        let sql_duration = latency();
        registry.register("sql_statement_duration_seconds", "SQL statement latency", sql_duration.clone());
        let ingested = Family::default();
        registry.register("ingested_events", "Ingested items by source and outcome", ingested.clone());
        let rate_limited = Counter::default();
        registry.register("rate_limited", "Requests refused by the rate limit or in-flight cap", rate_limited.clone());
        let pool = Family::default();
        registry.register("db_pool_connections", "Database pool connections by state", pool.clone());
        let replica_usable = Family::default();
        registry.register("db_replica_usable", "1 while reads may go to the replica", replica_usable.clone());
        let replica_lag = Family::default();
        registry.register("db_replica_lag_seconds", "How far the replica lags behind the primary", replica_lag.clone());
        let ingest_batch = latency();
        registry.register("ingest_batch_duration_seconds", "Time to apply an ingested batch", ingest_batch.clone());
        let (websockets, subscriptions) = (Gauge::default(), Gauge::default());
        registry.register("websocket_connections", "GraphQL WebSocket connections open", websockets.clone());
        registry.register("subscriptions", "GraphQL subscriptions open", subscriptions.clone());
        registry.register(
            "shared_batch_joins",
            "Loads that joined a batch another request started (this process)",
            crate::batching::JOINS.clone(),
        );
        let quarantined = Gauge::default();
        registry.register("quarantined_items", "Items waiting in the quarantine", quarantined.clone());
        let (verify_differences, verify_finished) = (Gauge::default(), Gauge::default());
        registry.register(
            "verify_last_differences",
            "Rollup rows that differed from a recount at the last `verify` run",
            verify_differences.clone(),
        );
        registry.register(
            "verify_last_run_timestamp_seconds",
            "When the last `verify` run finished (Unix time)",
            verify_finished.clone(),
        );
        Metrics {
            registry,
            http_requests,
            http_duration,
            operations_total,
            operation_duration,
            sql_statements,
            sql_duration,
            ingested,
            rate_limited,
            pool,
            replica_usable,
            replica_lag,
            ingest_batch,
            websockets,
            subscriptions,
            quarantined,
            verify_differences,
            verify_finished,
            operations: Mutex::new(HashSet::new()),
        }
    }

    /// The operation label: a plain GraphQL name seen among the first `MAX_OPERATIONS`.
    fn operation(&self, name: Option<&str>) -> String {
        let Some(name) =
            name.filter(|n| (1..=64).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        else {
            return String::new();
        };
        let mut seen = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(name) || (seen.len() < MAX_OPERATIONS && seen.insert(name.to_owned())) {
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    pub fn request(&self, route: &str, status: u16, operation: Option<&str>, seconds: f64) {
        let labels =
            vec![("route", route.to_owned()), ("status", status.to_string()), ("operation", self.operation(operation))];
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration.get_or_create(&vec![("route", route.to_owned())]).observe(seconds);
    }

    /// A GraphQL request: its operation name (as `request` labels it), kind and outcome.
    pub fn graphql_request(&self, operation: Option<&str>, kind: &str, outcome: &str, seconds: f64) {
        let outcome = if outcome.len() <= 40 && outcome.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            outcome
        } else {
            "ERROR"
        };
        let labels =
            vec![("operation", self.operation(operation)), ("kind", kind.to_owned()), ("outcome", outcome.to_owned())];
        self.operations_total.get_or_create(&labels).inc();
        self.operation_duration.get_or_create(&vec![("kind", kind.to_owned())]).observe(seconds);
    }

    pub fn statement(&self, info: &sea_orm::metric::Info<'_>) {
        let outcome = if info.failed { "error" } else { "ok" };
        self.sql_statements.get_or_create(&vec![("outcome", outcome.to_owned())]).inc();
        self.sql_duration.observe(info.elapsed.as_secs_f64());
    }

    /// The callback that counts a connection's statements (`set_metric_callback`).
    pub fn sql_callback(self: &Arc<Self>) -> impl Fn(&sea_orm::metric::Info<'_>) + Clone + Send + Sync + 'static {
        let metrics = self.clone();
        move |info| metrics.statement(info)
    }

    pub fn ingested(&self, source: &str, outcome: &crate::ingest::Outcome) {
        use crate::ingest::Outcome;
        let outcome = match outcome {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale => "stale",
            Outcome::Quarantined(_) => "quarantined",
        };
        self.ingested.get_or_create(&vec![("source", source.to_owned()), ("outcome", outcome.to_owned())]).inc();
    }

    pub fn ingest_batch(&self, seconds: f64) {
        self.ingest_batch.observe(seconds);
    }

    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// The metrics as OpenMetrics text, with the state now: the pool's, the replicas', the
    /// WebSockets', and the quarantine's and last `verify` run's, read from the database
    /// (left as they were when it does not answer within 2 s).
    pub async fn render(&self, state: &crate::AppState) -> String {
        use entity::prelude::{QuarantinedItems, VerifyRuns};
        use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
        let db = &state.db;
        for replica in state.sources.replicas.status() {
            let labels = vec![("replica", replica.name)];
            self.replica_usable.get_or_create(&labels).set(i64::from(replica.usable));
            self.replica_lag.get_or_create(&labels).set(replica.lag_seconds.unwrap_or(-1.0));
        }
        let (size, idle) = pool_state(db);
        self.pool.get_or_create(&vec![("state", "in_use".to_owned())]).set(size.saturating_sub(idle));
        self.pool.get_or_create(&vec![("state", "idle".to_owned())]).set(idle);
        let (websockets, subscriptions) = state.holdings.totals();
        self.websockets.set(websockets as i64);
        self.subscriptions.set(subscriptions as i64);
        let within = std::time::Duration::from_secs(2);
        if let Ok(Ok(count)) = tokio::time::timeout(within, QuarantinedItems::find().count(db)).await {
            self.quarantined.set(count as i64);
        }
        let last = VerifyRuns::find().order_by_desc(entity::verify_runs::Column::FinishedAt).one(db);
        if let Ok(Ok(Some(run))) = tokio::time::timeout(within, last).await {
            self.verify_differences.set(run.differences);
            self.verify_finished.set(run.finished_at.timestamp());
        }
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// Connections open and idle in the pool.
fn pool_state(db: &sea_orm::DatabaseConnection) -> (i64, i64) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (i64::from(pool.size()), pool.num_idle() as i64)
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (i64::from(pool.size()), pool.num_idle() as i64)
        }
    }
}
