//! On PostgreSQL, every committed change to `users` is announced on a channel (the user's id;
//! an empty payload for `TRUNCATE`), so that every server process on the database can drop
//! what it remembers of that user at once (`auth::UserCache`). SQLite has no channels: there
//! the server reads the user on every request and this migration does nothing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel (frozen here; the server listens on `entity::users::CHANGES_CHANNEL`, which a
/// test checks is the same).
pub const CHANNEL: &str = "campaign_performance_users";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE FUNCTION users_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                   PERFORM pg_notify('{CHANNEL}', COALESCE(NEW.id::text, OLD.id::text, ''));
                   RETURN NULL;
                 END $$;
                 CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE ON users
                   FOR EACH ROW EXECUTE FUNCTION users_notify();
                 CREATE TRIGGER users_notify_truncate AFTER TRUNCATE ON users
                   FOR EACH STATEMENT EXECUTE FUNCTION users_notify();"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "DROP TRIGGER IF EXISTS users_notify_truncate ON users;
                 DROP TRIGGER IF EXISTS users_notify ON users;
                 DROP FUNCTION IF EXISTS users_notify();",
            )
            .await?;
        Ok(())
    }
}
