//! Indexes that serve a page of sends in the order of their first open or first click as
//! one index range scan of the page's size, under an email campaign, an email campaign and
//! a retailer (a retailer's own, or the `retailerId` filter), and a retailer — the orderings
//! the schema offers besides send time (`m20251129_000004`, `m20261203_000001`).
//!
//! What they cost: an open now moves an indexed column, so the update that records it can
//! no longer stay on its heap page without touching indexes (clicks already did, through
//! the spec's `idx_email_sends_dates`); README "Performance" has the measured ingestion rate.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, columns) on `email_sends`.
const INDEXES: [(&str, &[&str]); 6] = [
    ("idx_email_sends_campaign_opened", &["email_campaign_id", "opened_at", "id"]),
    ("idx_email_sends_email_retailer_opened", &["email_campaign_id", "retailer_id", "opened_at", "id"]),
    ("idx_email_sends_retailer_opened", &["retailer_id", "opened_at", "id"]),
    ("idx_email_sends_campaign_clicked", &["email_campaign_id", "clicked_at", "id"]),
    ("idx_email_sends_email_retailer_clicked", &["email_campaign_id", "retailer_id", "clicked_at", "id"]),
    ("idx_email_sends_retailer_clicked", &["retailer_id", "clicked_at", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(Alias::new("email_sends"));
            for c in columns {
                index.col(Alias::new(*c));
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager.drop_index(Index::drop().name(name).table(Alias::new("email_sends")).to_owned()).await?;
        }
        Ok(())
    }
}
