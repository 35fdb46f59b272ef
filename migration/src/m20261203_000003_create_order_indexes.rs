//! Indexes that serve every ordering the schema offers as one index range scan of a page's
//! size, under every parent, however many rows a parent has; and the times the timeline
//! counts at the edges of a window, as ranges.
//!
//! - Sends by first open or first click under an email campaign, an email campaign and a
//!   retailer (a retailer's own, or the `retailerId` filter), and a retailer (send time:
//!   `m20251129_000004`, `m20261203_000001`).
//! - Sends by the time of their delivery and of their open as the timeline counts them
//!   (an open or a click proves delivery, a click an open: errata E5), under an email
//!   campaign: the raw rows of a window's edge.
//! - Conversions and orders by their date and by when they were recorded, under a campaign,
//!   a campaign and a retailer, and a retailer.
//!
//! What they cost: an open now moves an indexed column, so the update that records it can no
//! longer stay on its heap page without touching indexes (deliveries and clicks already did,
//! through the spec's `idx_email_sends_status` and `idx_email_sends_dates`); README
//! "Performance" has the measured ingestion rate.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, columns or expressions).
const INDEXES: [(&str, &str, &[&str]); 18] = [
    ("idx_email_sends_campaign_opened", "email_sends", &["email_campaign_id", "opened_at", "id"]),
    ("idx_email_sends_email_retailer_opened", "email_sends", &["email_campaign_id", "retailer_id", "opened_at", "id"]),
    ("idx_email_sends_retailer_opened", "email_sends", &["retailer_id", "opened_at", "id"]),
    ("idx_email_sends_campaign_clicked", "email_sends", &["email_campaign_id", "clicked_at", "id"]),
    (
        "idx_email_sends_email_retailer_clicked",
        "email_sends",
        &["email_campaign_id", "retailer_id", "clicked_at", "id"],
    ),
    ("idx_email_sends_retailer_clicked", "email_sends", &["retailer_id", "clicked_at", "id"]),
    (
        "idx_email_sends_campaign_delivery_counted",
        "email_sends",
        &["email_campaign_id", "(COALESCE(delivered_at, opened_at, clicked_at))"],
    ),
    (
        "idx_email_sends_campaign_open_counted",
        "email_sends",
        &["email_campaign_id", "(COALESCE(opened_at, clicked_at))"],
    ),
    ("idx_crm_conversions_campaign_date", "crm_conversions", &["campaign_id", "conversion_date", "id"]),
    ("idx_crm_conversions_campaign_created", "crm_conversions", &["campaign_id", "created_at", "id"]),
    (
        "idx_crm_conversions_campaign_retailer_created",
        "crm_conversions",
        &["campaign_id", "retailer_id", "created_at", "id"],
    ),
    ("idx_crm_conversions_retailer_date", "crm_conversions", &["retailer_id", "conversion_date", "id"]),
    ("idx_crm_conversions_retailer_created", "crm_conversions", &["retailer_id", "created_at", "id"]),
    ("idx_ecommerce_orders_campaign_date", "ecommerce_orders", &["campaign_id", "order_date", "id"]),
    ("idx_ecommerce_orders_campaign_created", "ecommerce_orders", &["campaign_id", "created_at", "id"]),
    (
        "idx_ecommerce_orders_campaign_retailer_created",
        "ecommerce_orders",
        &["campaign_id", "retailer_id", "created_at", "id"],
    ),
    ("idx_ecommerce_orders_retailer_date", "ecommerce_orders", &["retailer_id", "order_date", "id"]),
    ("idx_ecommerce_orders_retailer_created", "ecommerce_orders", &["retailer_id", "created_at", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Written as SQL: both backends take the same statement, expressions included.
        for (name, table, columns) in INDEXES {
            let sql = format!("CREATE INDEX {name} ON {table} ({})", columns.join(", "));
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _, _) in INDEXES {
            manager.get_connection().execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
