//! Indexes that keep a retailer's reads as cheap as the brand's whatever the history: a
//! retailer sees their own rows of a campaign, so each parent's page is read by (parent,
//! retailer, sort column, id), and which campaigns and emails a retailer may see is read from
//! `email_totals` by retailer instead of from their sends.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, columns).
const INDEXES: [(&str, &str, &[&str]); 4] = [
    ("idx_email_sends_email_retailer_sent", "email_sends", &["email_campaign_id", "retailer_id", "sent_at", "id"]),
    ("idx_email_totals_retailer", "email_totals", &["retailer_id", "email_campaign_id"]),
    (
        "idx_crm_conversions_campaign_retailer_date",
        "crm_conversions",
        &["campaign_id", "retailer_id", "conversion_date", "id"],
    ),
    (
        "idx_ecommerce_orders_campaign_retailer_date",
        "ecommerce_orders",
        &["campaign_id", "retailer_id", "order_date", "id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(Alias::new(table));
            for c in columns {
                index.col(Alias::new(*c));
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
