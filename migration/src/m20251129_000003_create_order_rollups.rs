//! `order_rollups`: e-commerce orders and their value (exact cents) per campaign × retailer ×
//! status × attributed to email or not × 15-minute slot of the order date, kept exact by
//! triggers on `ecommerce_orders` like the email rollups, so a status change (an order
//! cancelled, a refund) moves its count and value from one status to another in the same
//! transaction. A missing campaign or retailer counts under the nil UUID.

use crate::rollup_sql::{Rollup, Source, cents, nil, slot};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const ROLLUP: Rollup = Rollup {
    source: "ecommerce_orders",
    counted: "campaign_id, retailer_id, order_value, order_date, order_status, attributed_to_email",
    table: "order_rollups",
    keys: &["campaign_id", "retailer_id", "order_status", "attributed_to_email", "slot"],
    key_types: &["UUID", "UUID", "VARCHAR(50)", "BOOLEAN", "BIGINT"],
    counts: &["n", "cents"],
    rows,
};

fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    let r = source.alias();
    format!(
        "SELECT COALESCE({r}.campaign_id, {nil}) AS campaign_id, COALESCE({r}.retailer_id, {nil}) AS retailer_id,
                {r}.order_status AS order_status, {r}.attributed_to_email AS attributed_to_email, {slot} AS slot,
                {sign}1 AS n, {sign}COALESCE({cents}, 0) AS cents
         {from}",
        nil = nil(backend),
        slot = slot(backend, &format!("{r}.order_date")),
        cents = cents(backend, &format!("{r}.order_value")),
        from = source.from(),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ROLLUP.install(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ROLLUP.remove(manager).await
    }
}
