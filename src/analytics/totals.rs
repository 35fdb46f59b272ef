//! Batched aggregate queries: one statement per batch of keys, grouped by the key, with
//! zero totals filled in for keys that have no rows.

use super::metrics::{EmailCounts, RevenueTotals};
use super::sql::{CLICKED, DELIVERED, OPENED, bounced, count_if, sum_cents};
use crate::auth::Scope;
use crate::services::visibility::own_rows;
use entity::Money;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, StatementBuilder};
use std::collections::HashMap;
use uuid::Uuid;

/// How email counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailGrouping {
    /// Per campaign, over all its email campaigns.
    Campaign,
    /// Per email campaign.
    EmailCampaign,
}

impl EmailGrouping {
    fn key_column(self) -> &'static str {
        match self {
            EmailGrouping::Campaign => "email_campaigns.campaign_id",
            EmailGrouping::EmailCampaign => "email_sends.email_campaign_id",
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct EmailCountsRow {
    key: Uuid,
    retailers: i64,
    sent: i64,
    delivered: i64,
    opened: i64,
    clicked: i64,
    bounced: i64,
}

fn key_filter(column: &str, keys: &[Uuid]) -> sea_orm::sea_query::SimpleExpr {
    Expr::cust(column.to_owned()).is_in(keys.iter().copied())
}

async fn fetch<R: FromQueryResult>(db: &impl ConnectionTrait, stmt: &impl StatementBuilder) -> Result<Vec<R>, DbErr> {
    let statement = db.get_database_backend().build(stmt);
    R::find_by_statement(statement).all(db).await
}

/// E5 counts of sends per key (a campaign or an email campaign).
pub async fn email_counts(
    db: &impl ConnectionTrait,
    scope: Scope,
    grouping: EmailGrouping,
    keys: &[Uuid],
) -> Result<HashMap<Uuid, EmailCounts>, DbErr> {
    let mut totals: HashMap<Uuid, EmailCounts> = keys.iter().map(|k| (*k, EmailCounts::default())).collect();
    if keys.is_empty() {
        return Ok(totals);
    }
    let key = grouping.key_column();
    let mut stmt: SelectStatement = Query::select()
        .expr_as(Expr::cust(key), Alias::new("key"))
        .expr_as(
            Expr::cust(
                "CAST(COUNT(DISTINCT CASE WHEN users.user_type = 'retailer' THEN email_sends.retailer_id END) AS BIGINT)",
            ),
            Alias::new("retailers"),
        )
        .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("sent"))
        .expr_as(Expr::cust(count_if(DELIVERED)), Alias::new("delivered"))
        .expr_as(Expr::cust(count_if(OPENED)), Alias::new("opened"))
        .expr_as(Expr::cust(count_if(CLICKED)), Alias::new("clicked"))
        .expr_as(Expr::cust(count_if(&bounced())), Alias::new("bounced"))
        .from(Alias::new("email_sends"))
        .inner_join(
            Alias::new("email_campaigns"),
            Expr::cust("email_campaigns.id = email_sends.email_campaign_id"),
        )
        .left_join(Alias::new("users"), Expr::cust("users.id = email_sends.retailer_id"))
        .and_where(key_filter(key, keys))
        .add_group_by([Expr::cust(key)])
        .to_owned();
    if let Some(own) = own_rows(scope, "email_sends.retailer_id") {
        stmt.and_where(own);
    }
    for row in fetch::<EmailCountsRow>(db, &stmt).await? {
        totals.insert(
            row.key,
            EmailCounts {
                retailers: row.retailers,
                sent: row.sent,
                delivered: row.delivered,
                opened: row.opened,
                clicked: row.clicked,
                bounced: row.bounced,
            },
        );
    }
    Ok(totals)
}

#[derive(Debug, FromQueryResult)]
struct ConversionRow {
    key: Uuid,
    cents: i64,
}

#[derive(Debug, FromQueryResult)]
struct OrderRow {
    key: Uuid,
    completed_cents: i64,
    pending_cents: i64,
}

/// Revenue per campaign (E6): conversions, completed orders and pending orders, each table
/// aggregated on its own (E1), summed as exact cents.
pub async fn revenue_by_campaign(
    db: &impl ConnectionTrait,
    scope: Scope,
    keys: &[Uuid],
) -> Result<HashMap<Uuid, RevenueTotals>, DbErr> {
    let mut totals: HashMap<Uuid, RevenueTotals> = keys.iter().map(|k| (*k, RevenueTotals::default())).collect();
    if keys.is_empty() {
        return Ok(totals);
    }
    let backend = db.get_database_backend();

    let mut conversions = Query::select()
        .expr_as(Expr::cust("crm_conversions.campaign_id"), Alias::new("key"))
        .expr_as(
            Expr::cust(sum_cents(
                backend,
                "crm_conversions.conversion_value",
                "crm_conversions.conversion_value IS NOT NULL",
            )),
            Alias::new("cents"),
        )
        .from(Alias::new("crm_conversions"))
        .and_where(key_filter("crm_conversions.campaign_id", keys))
        .add_group_by([Expr::cust("crm_conversions.campaign_id")])
        .to_owned();
    if let Some(own) = own_rows(scope, "crm_conversions.retailer_id") {
        conversions.and_where(own);
    }
    for row in fetch::<ConversionRow>(db, &conversions).await? {
        totals.entry(row.key).or_default().conversions = Money::from_cents(row.cents);
    }

    let mut orders = Query::select()
        .expr_as(Expr::cust("ecommerce_orders.campaign_id"), Alias::new("key"))
        .expr_as(
            Expr::cust(sum_cents(
                backend,
                "ecommerce_orders.order_value",
                "ecommerce_orders.order_status = 'completed'",
            )),
            Alias::new("completed_cents"),
        )
        .expr_as(
            Expr::cust(sum_cents(backend, "ecommerce_orders.order_value", "ecommerce_orders.order_status = 'pending'")),
            Alias::new("pending_cents"),
        )
        .from(Alias::new("ecommerce_orders"))
        .and_where(key_filter("ecommerce_orders.campaign_id", keys))
        .and_where(Expr::cust("ecommerce_orders.order_value IS NOT NULL"))
        .add_group_by([Expr::cust("ecommerce_orders.campaign_id")])
        .to_owned();
    if let Some(own) = own_rows(scope, "ecommerce_orders.retailer_id") {
        orders.and_where(own);
    }
    for row in fetch::<OrderRow>(db, &orders).await? {
        let entry = totals.entry(row.key).or_default();
        entry.orders = Money::from_cents(row.completed_cents);
        entry.pending = Money::from_cents(row.pending_cents);
    }
    Ok(totals)
}
