//! `conversion_rollups`: CRM conversions and their value (exact cents) per campaign ×
//! retailer × product category × conversion type × linked to a send or not × 15-minute slot
//! of the conversion date, kept exact by triggers on `crm_conversions` like the email
//! rollups. A missing campaign or retailer counts under the nil UUID, a missing category or
//! type under `''` (both columns only hold values from fixed lists, never empty).

use crate::rollup_sql::{Rollup, Source, cents, nil, slot};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const ROLLUP: Rollup = Rollup {
    source: "crm_conversions",
    counted: "campaign_id, retailer_id, email_send_id, conversion_type, conversion_value, conversion_date, product_category",
    table: "conversion_rollups",
    keys: &["campaign_id", "retailer_id", "product_category", "conversion_type", "linked", "slot"],
    key_types: &["UUID", "UUID", "VARCHAR(100)", "VARCHAR(50)", "INTEGER", "BIGINT"],
    counts: &["n", "cents"],
    rows,
};

fn rows(backend: DbBackend, source: Source<'_>, sign: &str) -> String {
    let r = source.alias();
    format!(
        "SELECT COALESCE({r}.campaign_id, {nil}) AS campaign_id, COALESCE({r}.retailer_id, {nil}) AS retailer_id,
                COALESCE({r}.product_category, '') AS product_category,
                COALESCE({r}.conversion_type, '') AS conversion_type,
                CASE WHEN {r}.email_send_id IS NULL THEN 0 ELSE 1 END AS linked, {slot} AS slot,
                {sign}1 AS n, {sign}COALESCE({cents}, 0) AS cents
         {from}",
        nil = nil(backend),
        slot = slot(backend, &format!("{r}.conversion_date")),
        cents = cents(backend, &format!("{r}.conversion_value")),
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
