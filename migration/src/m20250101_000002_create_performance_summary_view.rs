//! `campaign_performance_summary`, corrected (errata E1, E2, E5, E6, E7).
//!
//! The spec's view joins sends, conversions and orders to the campaign in one FROM, so every
//! send repeats once per conversion and per order. Here each fact table is aggregated on its
//! own, per campaign, and the aggregates are joined. Delivered/opened follow E5 (an open or
//! click implies delivery, a click implies an open); revenue is conversions plus completed
//! orders, pending orders apart (E6); ROI is (revenue − spend) ÷ spend and the tier follows it
//! (E2). The API computes the same figures in Rust (`analytics`); this view serves SQL users.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `expr` (a money column) as a number of cents, exact on both backends.
fn cents(backend: DbBackend, expr: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("CAST(REPLACE({expr}, '.', '') AS INTEGER)"),
        _ => format!("({expr} * 100)"),
    }
}

/// A non-negative count of cents as a money value: NUMERIC on PostgreSQL, canonical text on SQLite.
fn money(backend: DbBackend, cents: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("printf('%d.%02d', ({cents}) / 100, ({cents}) % 100)"),
        _ => format!("CAST(({cents}) / 100 AS NUMERIC(14,2))"),
    }
}

pub fn view_sql(backend: DbBackend) -> String {
    let delivered = "(es.delivered_at IS NOT NULL OR es.status = 'delivered' \
                     OR es.opened_at IS NOT NULL OR es.clicked_at IS NOT NULL)";
    let opened = "(es.opened_at IS NOT NULL OR es.clicked_at IS NOT NULL)";
    let conv_cents = cents(backend, "conversion_value");
    let order_cents = cents(backend, "order_value");
    let spent_cents = cents(backend, "c.budget_spent");
    let revenue_cents = "(COALESCE(cv.conversion_cents, 0) + COALESCE(od.order_cents, 0))";
    let roi = format!("(({revenue_cents} - {spent_cents}) * 100.0 / {spent_cents})");
    let total_revenue = money(backend, revenue_cents);
    let pending_revenue = money(backend, "COALESCE(od.pending_cents, 0)");
    format!(
        "CREATE VIEW campaign_performance_summary AS
WITH email AS (
    SELECT ec.campaign_id,
           COUNT(DISTINCT CASE WHEN u.user_type = 'retailer' THEN es.retailer_id END) AS total_retailers,
           COUNT(es.id) AS total_emails_sent,
           SUM(CASE WHEN {delivered} THEN 1 ELSE 0 END) AS emails_delivered,
           SUM(CASE WHEN {opened} THEN 1 ELSE 0 END) AS emails_opened,
           SUM(CASE WHEN es.clicked_at IS NOT NULL THEN 1 ELSE 0 END) AS emails_clicked,
           SUM(CASE WHEN es.status IN ('bounced', 'failed') AND NOT {delivered} THEN 1 ELSE 0 END) AS emails_bounced
    FROM email_campaigns ec
    JOIN email_sends es ON es.email_campaign_id = ec.id
    LEFT JOIN users u ON u.id = es.retailer_id
    GROUP BY ec.campaign_id
), cv AS (
    SELECT campaign_id, SUM({conv_cents}) AS conversion_cents
    FROM crm_conversions
    WHERE conversion_value IS NOT NULL
    GROUP BY campaign_id
), od AS (
    SELECT campaign_id,
           SUM(CASE WHEN order_status = 'completed' THEN {order_cents} ELSE 0 END) AS order_cents,
           SUM(CASE WHEN order_status = 'pending' THEN {order_cents} ELSE 0 END) AS pending_cents
    FROM ecommerce_orders
    WHERE order_value IS NOT NULL
    GROUP BY campaign_id
)
SELECT
    c.id AS campaign_id,
    c.name AS campaign_name,
    c.status,
    c.start_date,
    c.end_date,
    c.budget_allocated,
    c.budget_spent,
    COALESCE(e.total_retailers, 0) AS total_retailers,
    COALESCE(e.total_emails_sent, 0) AS total_emails_sent,
    COALESCE(e.emails_delivered, 0) AS emails_delivered,
    COALESCE(e.emails_opened, 0) AS emails_opened,
    COALESCE(e.emails_clicked, 0) AS emails_clicked,
    COALESCE(e.emails_bounced, 0) AS emails_bounced,
    CASE WHEN COALESCE(e.emails_delivered, 0) > 0
         THEN ROUND(e.emails_opened * 100.0 / e.emails_delivered, 2) ELSE 0 END AS open_rate,
    CASE WHEN COALESCE(e.emails_delivered, 0) > 0
         THEN ROUND(e.emails_clicked * 100.0 / e.emails_delivered, 2) ELSE 0 END AS click_rate,
    {total_revenue} AS total_revenue,
    {pending_revenue} AS pending_revenue,
    CASE WHEN {spent_cents} > 0 THEN ROUND({roi}, 1) ELSE 0 END AS roi_percentage,
    CASE WHEN {spent_cents} > 0 THEN ROUND({revenue_cents} * 1.0 / {spent_cents}, 2) ELSE 0 END AS roas,
    CASE
        WHEN {spent_cents} > 0 AND {roi} >= 100 THEN 'High ROI'
        WHEN {spent_cents} > 0 AND {roi} >= 50 THEN 'Good ROI'
        ELSE 'Standard'
    END AS performance_tier,
    c.created_at,
    c.updated_at
FROM campaigns c
LEFT JOIN email e ON e.campaign_id = c.id
LEFT JOIN cv ON cv.campaign_id = c.id
LEFT JOIN od ON od.campaign_id = c.id"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = view_sql(manager.get_database_backend());
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP VIEW IF EXISTS campaign_performance_summary").await?;
        Ok(())
    }
}
