//! Indexes that serve a page of an email's or a retailer's sends in send-time order (the
//! default) as one index range scan of the page's size, whatever the number of sends.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 2] =
    [("idx_email_sends_campaign_sent", "email_campaign_id"), ("idx_email_sends_retailer_sent", "retailer_id")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, parent) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new("email_sends"))
                        .col(Alias::new(parent))
                        .col(Alias::new("sent_at"))
                        .col(Alias::new("id"))
                        .to_owned(),
                )
                .await?;
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
