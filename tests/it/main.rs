//! The integration tests, as one binary (one link instead of one per file): each module is
//! the suite of one area, and `common` its harness. `tests/hostile.rs` runs apart, since it
//! measures its own process.

#[macro_use]
mod common;

mod api;
mod batching;
mod campaigns_api;
mod cli;
mod counts;
mod dashboard;
mod demo_data;
mod errata_e1;
mod figures;
mod funnel;
mod generate;
mod http;
mod import;
mod ingest_props;
mod leaderboard;
mod metrics;
mod migrations;
mod money;
mod operations;
mod pagination;
mod planning;
mod portfolio;
mod providers;
mod readme;
mod replicas;
mod rollups;
mod schema_sdl;
mod security;
mod shared_reads;
mod subject_lines;
mod subscriptions;
mod timeline;
mod tokens;
mod tracking;
mod user_cache;
mod webhooks;
