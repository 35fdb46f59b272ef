//! Ingestion: the append-only email event log, the quarantine, idempotency keys, external
//! identities of conversions and orders, campaigns' UTM codes and sends' first human open.

use crate::columns::{created_now, enum_string, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const EVENT_TYPES: &[&str] =
    &["processed", "delivered", "deferred", "open", "click", "bounce", "dropped", "spamreport", "unsubscribe"];
const QUARANTINE_KINDS: &[&str] = &["email_event", "conversion", "order"];

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    UtmCode,
}

#[derive(DeriveIden)]
enum EmailSends {
    Table,
    Id,
    OpenedAt,
    HumanOpenedAt,
}

#[derive(DeriveIden)]
enum CrmConversions {
    Table,
    Source,
    ExternalId,
}

#[derive(DeriveIden)]
enum EcommerceOrders {
    Table,
    Source,
    ExternalId,
    SourceUpdatedAt,
}

#[derive(DeriveIden)]
enum EmailEvents {
    Table,
    Id,
    Provider,
    ProviderEventId,
    EmailSendId,
    EventType,
    OccurredAt,
    MachineOpen,
    Detail,
    Payload,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum QuarantinedItems {
    Table,
    Id,
    Source,
    Kind,
    ItemKey,
    Reason,
    Payload,
    ReceivedAt,
    Attempts,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Scope,
    Key,
    CreatedAt,
}

fn unique(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table).unique();
    for c in cols {
        stmt.col(c);
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        // SQLite takes one column per ALTER TABLE.
        let add = |table: DynIden, col: ColumnDef| Table::alter().table(table).add_column(col).to_owned();
        for alter in [
            add(Campaigns::Table.into_iden(), ColumnDef::new(Campaigns::UtmCode).string_len(100).null().to_owned()),
            add(
                EmailSends::Table.into_iden(),
                ColumnDef::new(EmailSends::HumanOpenedAt).timestamp_with_time_zone().null().to_owned(),
            ),
            add(
                CrmConversions::Table.into_iden(),
                ColumnDef::new(CrmConversions::Source).string_len(50).null().to_owned(),
            ),
            add(
                CrmConversions::Table.into_iden(),
                ColumnDef::new(CrmConversions::ExternalId).string_len(255).null().to_owned(),
            ),
            add(
                EcommerceOrders::Table.into_iden(),
                ColumnDef::new(EcommerceOrders::Source).string_len(50).null().to_owned(),
            ),
            add(
                EcommerceOrders::Table.into_iden(),
                ColumnDef::new(EcommerceOrders::ExternalId).string_len(255).null().to_owned(),
            ),
            add(
                EcommerceOrders::Table.into_iden(),
                ColumnDef::new(EcommerceOrders::SourceUpdatedAt).timestamp_with_time_zone().null().to_owned(),
            ),
        ] {
            manager.alter_table(alter).await?;
        }
        // Opens stored before machine opens were told apart count as human.
        manager
            .exec_stmt(
                Query::update()
                    .table(EmailSends::Table)
                    .value(EmailSends::HumanOpenedAt, Expr::col(EmailSends::OpenedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailEvents::Table)
                    .col(ColumnDef::new(EmailEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(EmailEvents::Provider).string_len(50).not_null())
                    .col(ColumnDef::new(EmailEvents::ProviderEventId).string_len(255).not_null())
                    .col(ColumnDef::new(EmailEvents::EmailSendId).uuid().not_null())
                    .col(enum_string(EmailEvents::EventType, 30, EVENT_TYPES).not_null())
                    .col(ColumnDef::new(EmailEvents::OccurredAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(EmailEvents::MachineOpen).boolean().not_null().default(false))
                    .col(ColumnDef::new(EmailEvents::Detail).text().null())
                    .col(ColumnDef::new(EmailEvents::Payload).text().not_null())
                    .col(created_now(EmailEvents::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_email_events_email_send")
                            .from(EmailEvents::Table, EmailEvents::EmailSendId)
                            .to(EmailSends::Table, EmailSends::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuarantinedItems::Table)
                    .col(uuid_pk(db, QuarantinedItems::Id))
                    .col(ColumnDef::new(QuarantinedItems::Source).string_len(50).not_null())
                    .col(enum_string(QuarantinedItems::Kind, 30, QUARANTINE_KINDS).not_null())
                    .col(ColumnDef::new(QuarantinedItems::ItemKey).string_len(255).not_null())
                    .col(ColumnDef::new(QuarantinedItems::Reason).text().not_null())
                    .col(ColumnDef::new(QuarantinedItems::Payload).text().not_null())
                    .col(created_now(QuarantinedItems::ReceivedAt))
                    .col(ColumnDef::new(QuarantinedItems::Attempts).integer().not_null().default(1))
                    .col(ColumnDef::new(QuarantinedItems::ResolvedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(ColumnDef::new(IdempotencyKeys::Scope).string_len(50).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Key).string_len(255).not_null())
                    .col(created_now(IdempotencyKeys::CreatedAt))
                    .primary_key(Index::create().col(IdempotencyKeys::Scope).col(IdempotencyKeys::Key))
                    .to_owned(),
            )
            .await?;

        for index in [
            unique("uq_campaigns_utm_code", Campaigns::Table, vec![Campaigns::UtmCode.into_iden()]),
            unique(
                "uq_email_events_provider_event",
                EmailEvents::Table,
                vec![EmailEvents::Provider.into_iden(), EmailEvents::ProviderEventId.into_iden()],
            ),
            Index::create()
                .name("idx_email_events_send_time")
                .table(EmailEvents::Table)
                .col(EmailEvents::EmailSendId)
                .col(EmailEvents::OccurredAt)
                .to_owned(),
            unique(
                "uq_crm_conversions_external",
                CrmConversions::Table,
                vec![CrmConversions::Source.into_iden(), CrmConversions::ExternalId.into_iden()],
            ),
            unique(
                "uq_ecommerce_orders_external",
                EcommerceOrders::Table,
                vec![EcommerceOrders::Source.into_iden(), EcommerceOrders::ExternalId.into_iden()],
            ),
            unique(
                "uq_quarantined_items_key",
                QuarantinedItems::Table,
                vec![
                    QuarantinedItems::Source.into_iden(),
                    QuarantinedItems::Kind.into_iden(),
                    QuarantinedItems::ItemKey.into_iden(),
                ],
            ),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("uq_campaigns_utm_code", Campaigns::Table.into_iden()),
            ("uq_crm_conversions_external", CrmConversions::Table.into_iden()),
            ("uq_ecommerce_orders_external", EcommerceOrders::Table.into_iden()),
        ] {
            manager.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        for table in
            [IdempotencyKeys::Table.into_iden(), QuarantinedItems::Table.into_iden(), EmailEvents::Table.into_iden()]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        let drop = |table: DynIden, col: DynIden| Table::alter().table(table).drop_column(col).to_owned();
        for alter in [
            drop(EcommerceOrders::Table.into_iden(), EcommerceOrders::SourceUpdatedAt.into_iden()),
            drop(EcommerceOrders::Table.into_iden(), EcommerceOrders::ExternalId.into_iden()),
            drop(EcommerceOrders::Table.into_iden(), EcommerceOrders::Source.into_iden()),
            drop(CrmConversions::Table.into_iden(), CrmConversions::ExternalId.into_iden()),
            drop(CrmConversions::Table.into_iden(), CrmConversions::Source.into_iden()),
            drop(EmailSends::Table.into_iden(), EmailSends::HumanOpenedAt.into_iden()),
            drop(Campaigns::Table.into_iden(), Campaigns::UtmCode.into_iden()),
        ] {
            manager.alter_table(alter).await?;
        }
        Ok(())
    }
}
