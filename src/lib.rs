//! campaign-performance: a GraphQL server that tells a brand and its retailers how their
//! marketing campaigns perform, from email sent to revenue and ROI.
//!
//! HTTP → handler (`http`) → schema (`graphql`) → resolver → loader (`loaders`, batched by
//! `batching`) → service (`services`, `analytics`) → SeaORM (`entity`) → database. Writes:
//! handler or resolver → `ingest` or `services` → SeaORM. README's "Layout" says more.

pub mod analytics;
pub mod auth;
pub mod batching;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod import;
pub mod ingest;
pub mod loaders;
pub mod metrics;
pub mod services;
pub mod telemetry;

pub use http::app;

use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// The schema, run with the rules every operation meets.
    pub api: graphql::Api,
    pub verifier: Arc<auth::Verifier>,
    /// The users that tokens name, remembered until they change.
    pub users: auth::UserCache,
    pub limits: Arc<config::Limits>,
    pub rate_limiter: Arc<http::RateLimiter>,
    /// How webhook deliveries are verified.
    pub webhooks: Arc<ingest::Webhooks>,
    /// First-party tracking: the key that signs links, and where links point.
    pub tracking: Arc<ingest::Tracking>,
    /// What `GET /metrics` reports, and the token it asks for (none: it is off).
    pub metrics: Arc<metrics::Metrics>,
    pub metrics_token: Option<Arc<str>>,
    /// News of campaigns whose figures moved, for subscriptions.
    pub changes: ingest::Changes,
    /// The apply paths, each combining the batches that arrive together.
    pub appliers: ingest::Appliers,
    /// Where reads go (the primary, or its replicas), each with the batches concurrent
    /// requests reading there share.
    pub sources: loaders::Sources,
    /// The WebSocket connections and subscriptions each user holds open.
    pub holdings: auth::Holdings,
}

impl AppState {
    /// A server's state; its webhooks refuse every post until `with_webhooks` sets their keys
    /// (or allows unsigned posts).
    pub fn new(db: DatabaseConnection, verifier: auth::Verifier, limits: config::Limits) -> Self {
        Self::measured(db, verifier, limits, Arc::new(metrics::Metrics::new()))
    }

    /// A server's state counting into `metrics` (whose `sql_callback` the caller may have
    /// set on `db` first, so every clone of the connection counts its statements).
    pub fn measured(
        db: DatabaseConnection,
        verifier: auth::Verifier,
        limits: config::Limits,
        metrics: Arc<metrics::Metrics>,
    ) -> Self {
        let changes = ingest::Changes::new(db.clone());
        let users = auth::UserCache::new(&db);
        let appliers = ingest::Appliers::measured(&db, metrics.clone());
        let sources = loaders::Sources::primary_only(&db);
        let api =
            graphql::build_api(db.clone(), sources.clone(), changes.clone(), appliers.clone(), users.clone(), &limits);
        let rate_limiter = Arc::new(http::RateLimiter::new(limits.rate_limit_per_minute, limits.max_in_flight));
        AppState {
            db,
            api,
            verifier: Arc::new(verifier),
            users,
            limits: Arc::new(limits),
            rate_limiter,
            webhooks: Arc::new(ingest::Webhooks::default()),
            tracking: Arc::new(ingest::Tracking::off()),
            metrics,
            metrics_token: None,
            changes,
            appliers,
            sources,
            holdings: auth::Holdings::default(),
        }
    }

    pub fn with_webhooks(mut self, webhooks: ingest::Webhooks) -> Self {
        self.webhooks = Arc::new(webhooks);
        self
    }

    /// Serves `GET /metrics` to callers bearing `token`.
    pub fn with_metrics_token(mut self, token: Option<String>) -> Self {
        self.metrics_token = token.filter(|t| !t.trim().is_empty()).map(|t| Arc::from(t.trim()));
        self
    }

    /// Reads from `replicas` (`db::replicas`) where they may.
    pub fn with_replicas(mut self, replicas: db::replicas::Replicas) -> Self {
        self.sources = loaders::Sources::new(replicas);
        self.api = graphql::build_api(
            self.db.clone(),
            self.sources.clone(),
            self.changes.clone(),
            self.appliers.clone(),
            self.users.clone(),
            &self.limits,
        );
        self
    }

    pub fn with_tracking(mut self, tracking: ingest::Tracking) -> Self {
        self.tracking = Arc::new(tracking);
        self
    }
}
