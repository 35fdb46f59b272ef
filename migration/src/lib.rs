//! Schema migrations of campaign-performance, for PostgreSQL and SQLite.
//!
//! Migrations are frozen history: they never import the entity crate, so a later change
//! to an entity cannot silently rewrite what an old migration created.

pub use sea_orm_migration::prelude::*;

mod columns;
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
pub mod rollup_sql;

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
        ]
    }
}
