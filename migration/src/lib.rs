//! Schema migrations of campaign-performance, for PostgreSQL and SQLite.
//!
//! Migrations are frozen history: they never import the entity crate or the server, so a later
//! change to either cannot silently rewrite what an old migration created. Those that install
//! rollups and their triggers (whose descriptions the server also reads, `entity::rollups`)
//! run the statements they ran when written, kept as text (`frozen`, `src/frozen/`).

pub use sea_orm_migration::prelude::*;

mod columns;
pub mod frozen;
mod m20250101_000001_create_core_tables;
mod m20250101_000002_create_performance_summary_view;
mod m20251125_000001_create_ingestion_tables;
pub mod m20251125_000002_create_email_rollups;
pub mod m20251125_000003_create_email_activity;
pub mod m20251125_000004_create_email_totals;
pub mod m20251129_000001_create_email_activity_all;
pub mod m20251129_000002_create_conversion_rollups;
pub mod m20251129_000003_create_order_rollups;
mod m20251129_000004_create_send_page_indexes;
pub mod m20251129_000005_create_email_activity_hourly;
pub mod m20251129_000006_create_email_activity_daily;
pub mod m20251129_000007_create_users_notify;
pub mod m20251129_000008_set_send_fillfactor;
mod m20261203_000001_create_retailer_scope_indexes;
pub mod m20261203_000002_create_send_states;
mod m20261203_000003_create_order_indexes;
mod m20261203_000004_drop_unused_send_indexes;
mod m20261204_000001_create_verify_runs;

/// The frozen statements of the migration named `name`, if it is one of the frozen ones.
pub fn frozen(name: &str) -> Option<&'static frozen::Frozen> {
    Some(match name {
        "m20251125_000002_create_email_rollups" => &m20251125_000002_create_email_rollups::FROZEN,
        "m20251125_000003_create_email_activity" => &m20251125_000003_create_email_activity::FROZEN,
        "m20251125_000004_create_email_totals" => &m20251125_000004_create_email_totals::FROZEN,
        "m20251129_000001_create_email_activity_all" => &m20251129_000001_create_email_activity_all::FROZEN,
        "m20251129_000002_create_conversion_rollups" => &m20251129_000002_create_conversion_rollups::FROZEN,
        "m20251129_000003_create_order_rollups" => &m20251129_000003_create_order_rollups::FROZEN,
        "m20251129_000005_create_email_activity_hourly" => &m20251129_000005_create_email_activity_hourly::FROZEN,
        "m20251129_000006_create_email_activity_daily" => &m20251129_000006_create_email_activity_daily::FROZEN,
        "m20261203_000002_create_send_states" => &m20261203_000002_create_send_states::FROZEN,
        _ => return None,
    })
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_create_core_tables::Migration),
            Box::new(m20250101_000002_create_performance_summary_view::Migration),
            Box::new(m20251125_000001_create_ingestion_tables::Migration),
            Box::new(m20251125_000002_create_email_rollups::Migration),
            Box::new(m20251125_000003_create_email_activity::Migration),
            Box::new(m20251125_000004_create_email_totals::Migration),
            Box::new(m20251129_000001_create_email_activity_all::Migration),
            Box::new(m20251129_000002_create_conversion_rollups::Migration),
            Box::new(m20251129_000003_create_order_rollups::Migration),
            Box::new(m20251129_000004_create_send_page_indexes::Migration),
            Box::new(m20251129_000005_create_email_activity_hourly::Migration),
            Box::new(m20251129_000006_create_email_activity_daily::Migration),
            Box::new(m20251129_000007_create_users_notify::Migration),
            Box::new(m20251129_000008_set_send_fillfactor::Migration),
            Box::new(m20261203_000001_create_retailer_scope_indexes::Migration),
            Box::new(m20261203_000002_create_send_states::Migration),
            Box::new(m20261203_000003_create_order_indexes::Migration),
            Box::new(m20261203_000004_drop_unused_send_indexes::Migration),
            Box::new(m20261204_000001_create_verify_runs::Migration),
        ]
    }
}
