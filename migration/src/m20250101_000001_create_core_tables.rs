//! The spec's six tables, foreign keys, defaults and indexes, plus CHECK constraints for
//! every enumerated column and for non-negative money and counts.

use crate::columns::{created_now, enum_string, money, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const USER_TYPES: &[&str] = &["retailer", "brand", "admin"];
const REGIONS: &[&str] = &["East", "West", "Central", "North", "South"];
const CAMPAIGN_STATUSES: &[&str] = &["draft", "active", "paused", "completed"];
const SEND_STATUSES: &[&str] = &["sent", "delivered", "bounced", "failed"];
const CONVERSION_TYPES: &[&str] = &["sale", "lead", "signup", "demo_request"];
const PRODUCT_CATEGORIES: &[&str] = &["Necklaces", "Bracelets", "Earrings", "Rings"];
const ORDER_STATUSES: &[&str] = &["completed", "pending", "cancelled", "refunded"];

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    UserType,
    Region,
    CreatedAt,
    UpdatedAt,
    IsActive,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    Description,
    Status,
    StartDate,
    EndDate,
    BudgetAllocated,
    BudgetSpent,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EmailCampaigns {
    Table,
    Id,
    CampaignId,
    Subject,
    Content,
    SenderEmail,
    SenderName,
    SentAt,
    TotalRecipients,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EmailSends {
    Table,
    Id,
    EmailCampaignId,
    RetailerId,
    RecipientEmail,
    RecipientName,
    SentAt,
    DeliveredAt,
    OpenedAt,
    ClickedAt,
    Status,
    BounceReason,
}

#[derive(DeriveIden)]
enum CrmConversions {
    Table,
    Id,
    CampaignId,
    RetailerId,
    EmailSendId,
    ConversionType,
    ConversionValue,
    ConversionDate,
    ProductCategory,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EcommerceOrders {
    Table,
    Id,
    CampaignId,
    RetailerId,
    OrderValue,
    OrderDate,
    ProductCount,
    OrderStatus,
    AttributedToEmail,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(on_delete).to_owned()
}

/// (index name, table, columns) for every index: the spec's, then those the foreign keys
/// and per-campaign aggregates need.
fn indexes() -> Vec<IndexCreateStatement> {
    let idx = |name: &str, table: DynIden, cols: Vec<DynIden>| {
        let mut stmt = Index::create();
        stmt.name(name).table(table);
        for c in cols {
            stmt.col(c);
        }
        stmt.to_owned()
    };
    vec![
        // The spec's indexes.
        idx("idx_users_user_type", Users::Table.into_iden(), vec![Users::UserType.into_iden()]),
        idx("idx_users_region", Users::Table.into_iden(), vec![Users::Region.into_iden()]),
        idx("idx_campaigns_status", Campaigns::Table.into_iden(), vec![Campaigns::Status.into_iden()]),
        idx(
            "idx_campaigns_dates",
            Campaigns::Table.into_iden(),
            vec![Campaigns::StartDate.into_iden(), Campaigns::EndDate.into_iden()],
        ),
        idx("idx_email_sends_campaign", EmailSends::Table.into_iden(), vec![EmailSends::EmailCampaignId.into_iden()]),
        idx("idx_email_sends_retailer", EmailSends::Table.into_iden(), vec![EmailSends::RetailerId.into_iden()]),
        idx("idx_email_sends_status", EmailSends::Table.into_iden(), vec![EmailSends::Status.into_iden()]),
        idx(
            "idx_email_sends_dates",
            EmailSends::Table.into_iden(),
            vec![EmailSends::SentAt.into_iden(), EmailSends::ClickedAt.into_iden()],
        ),
        idx(
            "idx_crm_conversions_campaign",
            CrmConversions::Table.into_iden(),
            vec![CrmConversions::CampaignId.into_iden()],
        ),
        idx(
            "idx_ecommerce_orders_campaign",
            EcommerceOrders::Table.into_iden(),
            vec![EcommerceOrders::CampaignId.into_iden()],
        ),
        // Beyond the spec: every foreign key that the spec left unindexed.
        idx("idx_campaigns_created_by", Campaigns::Table.into_iden(), vec![Campaigns::CreatedBy.into_iden()]),
        idx(
            "idx_email_campaigns_campaign",
            EmailCampaigns::Table.into_iden(),
            vec![EmailCampaigns::CampaignId.into_iden()],
        ),
        idx(
            "idx_crm_conversions_retailer",
            CrmConversions::Table.into_iden(),
            vec![CrmConversions::RetailerId.into_iden()],
        ),
        idx(
            "idx_crm_conversions_email_send",
            CrmConversions::Table.into_iden(),
            vec![CrmConversions::EmailSendId.into_iden()],
        ),
        idx(
            "idx_ecommerce_orders_retailer",
            EcommerceOrders::Table.into_iden(),
            vec![EcommerceOrders::RetailerId.into_iden()],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid_pk(db, Users::Id))
                    .col(ColumnDef::new(Users::Email).string_len(255).not_null().unique_key())
                    .col(ColumnDef::new(Users::Name).string_len(255).not_null())
                    .col(enum_string(Users::UserType, 50, USER_TYPES).not_null().default("retailer"))
                    .col(enum_string(Users::Region, 50, REGIONS).null())
                    .col(created_now(Users::CreatedAt))
                    .col(created_now(Users::UpdatedAt))
                    .col(ColumnDef::new(Users::IsActive).boolean().not_null().default(true))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(uuid_pk(db, Campaigns::Id))
                    .col(ColumnDef::new(Campaigns::Name).string_len(255).not_null())
                    .col(ColumnDef::new(Campaigns::Description).text().null())
                    .col(enum_string(Campaigns::Status, 50, CAMPAIGN_STATUSES).not_null().default("draft"))
                    .col(ColumnDef::new(Campaigns::StartDate).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Campaigns::EndDate).timestamp_with_time_zone().null())
                    .col(money(db, Campaigns::BudgetAllocated).null())
                    .col(money(db, Campaigns::BudgetSpent).not_null().default(match db {
                        sea_orm_migration::sea_orm::DbBackend::Sqlite => Expr::val("0.00"),
                        _ => Expr::val(0),
                    }))
                    .col(ColumnDef::new(Campaigns::CreatedBy).uuid().null())
                    .col(created_now(Campaigns::CreatedAt))
                    .col(created_now(Campaigns::UpdatedAt))
                    .check(Expr::cust("end_date IS NULL OR start_date IS NULL OR end_date >= start_date"))
                    .foreign_key(&mut fk(
                        "fk_campaigns_created_by",
                        (Campaigns::Table, Campaigns::CreatedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailCampaigns::Table)
                    .col(uuid_pk(db, EmailCampaigns::Id))
                    .col(ColumnDef::new(EmailCampaigns::CampaignId).uuid().null())
                    .col(ColumnDef::new(EmailCampaigns::Subject).string_len(500).not_null())
                    .col(ColumnDef::new(EmailCampaigns::Content).text().null())
                    .col(ColumnDef::new(EmailCampaigns::SenderEmail).string_len(255).not_null())
                    .col(ColumnDef::new(EmailCampaigns::SenderName).string_len(255).null())
                    .col(ColumnDef::new(EmailCampaigns::SentAt).timestamp_with_time_zone().null())
                    .col(
                        ColumnDef::new(EmailCampaigns::TotalRecipients)
                            .integer()
                            .not_null()
                            .default(0)
                            .check(Expr::col(EmailCampaigns::TotalRecipients).gte(0)),
                    )
                    .col(created_now(EmailCampaigns::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_email_campaigns_campaign",
                        (EmailCampaigns::Table, EmailCampaigns::CampaignId),
                        (Campaigns::Table, Campaigns::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailSends::Table)
                    .col(uuid_pk(db, EmailSends::Id))
                    .col(ColumnDef::new(EmailSends::EmailCampaignId).uuid().null())
                    .col(ColumnDef::new(EmailSends::RetailerId).uuid().null())
                    .col(ColumnDef::new(EmailSends::RecipientEmail).string_len(255).not_null())
                    .col(ColumnDef::new(EmailSends::RecipientName).string_len(255).null())
                    .col(created_now(EmailSends::SentAt))
                    .col(ColumnDef::new(EmailSends::DeliveredAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(EmailSends::OpenedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(EmailSends::ClickedAt).timestamp_with_time_zone().null())
                    .col(enum_string(EmailSends::Status, 50, SEND_STATUSES).not_null().default("sent"))
                    .col(ColumnDef::new(EmailSends::BounceReason).text().null())
                    .foreign_key(&mut fk(
                        "fk_email_sends_email_campaign",
                        (EmailSends::Table, EmailSends::EmailCampaignId),
                        (EmailCampaigns::Table, EmailCampaigns::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_email_sends_retailer",
                        (EmailSends::Table, EmailSends::RetailerId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CrmConversions::Table)
                    .col(uuid_pk(db, CrmConversions::Id))
                    .col(ColumnDef::new(CrmConversions::CampaignId).uuid().null())
                    .col(ColumnDef::new(CrmConversions::RetailerId).uuid().null())
                    .col(ColumnDef::new(CrmConversions::EmailSendId).uuid().null())
                    .col(enum_string(CrmConversions::ConversionType, 50, CONVERSION_TYPES).null())
                    .col(money(db, CrmConversions::ConversionValue).null())
                    .col(created_now(CrmConversions::ConversionDate))
                    .col(enum_string(CrmConversions::ProductCategory, 100, PRODUCT_CATEGORIES).null())
                    .col(created_now(CrmConversions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_crm_conversions_campaign",
                        (CrmConversions::Table, CrmConversions::CampaignId),
                        (Campaigns::Table, Campaigns::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        "fk_crm_conversions_retailer",
                        (CrmConversions::Table, CrmConversions::RetailerId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        "fk_crm_conversions_email_send",
                        (CrmConversions::Table, CrmConversions::EmailSendId),
                        (EmailSends::Table, EmailSends::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EcommerceOrders::Table)
                    .col(uuid_pk(db, EcommerceOrders::Id))
                    .col(ColumnDef::new(EcommerceOrders::CampaignId).uuid().null())
                    .col(ColumnDef::new(EcommerceOrders::RetailerId).uuid().null())
                    .col(money(db, EcommerceOrders::OrderValue).null())
                    .col(created_now(EcommerceOrders::OrderDate))
                    .col(
                        ColumnDef::new(EcommerceOrders::ProductCount)
                            .integer()
                            .not_null()
                            .default(1)
                            .check(Expr::col(EcommerceOrders::ProductCount).gte(0)),
                    )
                    .col(enum_string(EcommerceOrders::OrderStatus, 50, ORDER_STATUSES).not_null().default("completed"))
                    .col(ColumnDef::new(EcommerceOrders::AttributedToEmail).boolean().not_null().default(false))
                    .col(created_now(EcommerceOrders::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_ecommerce_orders_campaign",
                        (EcommerceOrders::Table, EcommerceOrders::CampaignId),
                        (Campaigns::Table, Campaigns::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        "fk_ecommerce_orders_retailer",
                        (EcommerceOrders::Table, EcommerceOrders::RetailerId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;

        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes; children first for the foreign keys.
        for table in [
            EcommerceOrders::Table.into_iden(),
            CrmConversions::Table.into_iden(),
            EmailSends::Table.into_iden(),
            EmailCampaigns::Table.into_iden(),
            Campaigns::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
