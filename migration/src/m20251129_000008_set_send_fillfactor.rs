//! On PostgreSQL, `email_sends` leaves 15% of each page free. A send is inserted once, then
//! updated by its events; an event that changes only columns no index covers (an open's
//! `opened_at` and `human_opened_at`, a later delivery time) can then rewrite the send on its
//! own page (a HOT update) instead of adding an entry to each of the table's seven indexes,
//! which at millions of sends are mostly outside the buffer cache. It holds for pages written
//! from now on. SQLite updates rows in place: there this migration does nothing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared("ALTER TABLE email_sends SET (fillfactor = 85)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared("ALTER TABLE email_sends RESET (fillfactor)").await?;
        Ok(())
    }
}
