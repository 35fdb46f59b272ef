//! `verify_runs`: each `campaign-performance verify` run's outcome (how many rollup rows
//! differed from a recount of the raw rows, and when), so that a server's `/metrics` reports
//! the last one whichever process ran it.

use crate::columns::{created_now, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VerifyRuns {
    Table,
    Id,
    FinishedAt,
    Differences,
    DurationMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(VerifyRuns::Table)
                    .col(uuid_pk(backend, VerifyRuns::Id))
                    .col(created_now(VerifyRuns::FinishedAt))
                    .col(ColumnDef::new(VerifyRuns::Differences).big_integer().not_null())
                    .col(ColumnDef::new(VerifyRuns::DurationMs).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_verify_runs_finished_at")
                    .table(VerifyRuns::Table)
                    .col(VerifyRuns::FinishedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(VerifyRuns::Table).to_owned()).await
    }
}
