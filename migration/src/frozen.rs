//! Migrations kept as the text they ran: `frozen/<migration>.<backend>.<up|down>.sql`, one
//! statement after another, separated by a line `-- statement --`. Whatever changes in the
//! code later, these run the same statements on a new database as they did on the first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The separator of statements in a frozen file.
pub const SEPARATOR: &str = "\n-- statement --\n";

/// A frozen migration's texts.
pub struct Frozen {
    pub postgres_up: &'static str,
    pub postgres_down: &'static str,
    pub sqlite_up: &'static str,
    pub sqlite_down: &'static str,
}

impl Frozen {
    /// The statements of one way (`up` or not) on `backend`.
    pub fn statements(&self, backend: DbBackend, up: bool) -> impl Iterator<Item = &'static str> {
        let text = match (backend, up) {
            (DbBackend::Sqlite, true) => self.sqlite_up,
            (DbBackend::Sqlite, false) => self.sqlite_down,
            (_, true) => self.postgres_up,
            (_, false) => self.postgres_down,
        };
        text.split(SEPARATOR).map(str::trim_end).filter(|s| !s.is_empty())
    }

    pub async fn run(&self, manager: &SchemaManager<'_>, up: bool) -> Result<(), DbErr> {
        for sql in self.statements(manager.get_database_backend(), up) {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}

/// `impl MigrationTrait for Migration` running the frozen files named `$name` (the module
/// keeps its own `#[derive(DeriveMigrationName)]`, which names the migration after the file),
/// and `FROZEN`, their texts.
macro_rules! frozen_migration {
    ($name:literal) => {
        /// The statements this migration runs, as it ran them when it was written.
        pub const FROZEN: $crate::frozen::Frozen = $crate::frozen::Frozen {
            postgres_up: include_str!(concat!("frozen/", $name, ".postgres.up.sql")),
            postgres_down: include_str!(concat!("frozen/", $name, ".postgres.down.sql")),
            sqlite_up: include_str!(concat!("frozen/", $name, ".sqlite.up.sql")),
            sqlite_down: include_str!(concat!("frozen/", $name, ".sqlite.down.sql")),
        };

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                FROZEN.run(manager, true).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                FROZEN.run(manager, false).await
            }
        }
    };
}
pub(crate) use frozen_migration;
