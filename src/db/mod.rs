//! Connecting to the database: PostgreSQL by URL, or the embedded SQLite file; and the
//! PostgreSQL replicas that serve reads (`replicas`).

pub mod replicas;

use crate::config::{DatabaseArgs, EMBEDDED_DB_FILE};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    TransactionTrait,
};
use std::time::Duration;

/// Rows (or ids in an `IN` list) per statement: well under both backends' bound-parameter limits.
pub const CHUNK: usize = 1_000;

/// Where the data lives, as resolved from the configuration.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    /// True for the SQLite file in the data folder that the server manages by itself.
    pub embedded: bool,
}

impl Target {
    pub fn resolve(args: &DatabaseArgs) -> anyhow::Result<Target> {
        match &args.database_url {
            Some(url) if !url.trim().is_empty() => Ok(Target { url: url.trim().to_owned(), embedded: false }),
            _ => {
                std::fs::create_dir_all(&args.data_dir)
                    .with_context(|| format!("cannot create the data folder {} (DATA_DIR)", args.data_dir.display()))?;
                let path = args.data_dir.join(EMBEDDED_DB_FILE);
                Ok(Target { url: format!("sqlite://{}?mode=rwc", path.display()), embedded: true })
            }
        }
    }

    /// The URL without its password, for messages.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &creds[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens a pool to `url`, with SQLite set up for a server (WAL, foreign keys, busy timeout).
/// With `statement_timeout`, PostgreSQL cancels any statement that runs longer (a request
/// that times out does not leave its query running).
pub async fn connect(
    url: &str,
    connect_timeout: Duration,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<DatabaseConnection> {
    let opts = options(url, connect_timeout, statement_timeout)?;
    let db = tokio::time::timeout(connect_timeout + Duration::from_secs(1), Database::connect(opts))
        .await
        .map_err(|_| anyhow::anyhow!("timed out connecting to {}", redact(url)))?
        .with_context(|| format!("cannot connect to the database at {}", redact(url)))?;
    db.ping().await.with_context(|| format!("database at {} does not answer", redact(url)))?;
    Ok(db)
}

/// The pool's settings for `url` (see `connect`).
fn options(
    url: &str,
    connect_timeout: Duration,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<ConnectOptions> {
    let backend = if url.starts_with("sqlite:") {
        DbBackend::Sqlite
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        DbBackend::Postgres
    } else {
        anyhow::bail!("unsupported DATABASE_URL {:?}: expected postgres://… or sqlite://…", redact(url));
    };
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.connect_timeout(connect_timeout)
        .acquire_timeout(connect_timeout.max(Duration::from_secs(5)))
        .sqlx_logging(false)
        // A pooled connection is pinged before use only after a minute idle (one a server or a
        // firewall may have dropped), not on every acquire: a round trip per statement saved.
        .test_before_acquire_if_idle_for(Duration::from_secs(60));
    if backend == DbBackend::Sqlite {
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    } else {
        opts.max_connections(16);
        if let Some(t) = statement_timeout {
            opts.statement_timeout(t);
        }
    }
    Ok(opts)
}

/// Begins a transaction that will write. On SQLite it takes the write lock first (a write
/// that matches no row), waiting for it under the busy timeout: a transaction that read first
/// and then wrote could not wait (another writer may have changed what it read), and would
/// fail at once with "database is locked" under concurrent writers. On PostgreSQL, a plain
/// transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        txn.execute_unprepared("DELETE FROM idempotency_keys WHERE 1 = 0").await?;
    }
    Ok(txn)
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("applying migrations")
}

/// The migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let pending = Migrator::get_pending_migrations(db).await.context("reading migration status")?;
    Ok(pending.iter().map(|m| m.name().to_owned()).collect())
}

/// Refreshes the planner's statistics after a bulk load (`seed`, `generate`, `import`, the
/// demo data at start): queries are planned on the rows just written at once, not once
/// autovacuum (PostgreSQL) gets to them, or never (SQLite).
pub async fn analyze(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.execute_unprepared("ANALYZE").await.context("refreshing the planner's statistics")?;
    Ok(())
}

/// True when the database holds no campaigns and no users.
pub async fn is_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let users = entity::prelude::Users::find().count(db).await?;
    let campaigns = entity::prelude::Campaigns::find().count(db).await?;
    Ok(users == 0 && campaigns == 0)
}

/// Opens the replicas at `urls` (`DATABASE_READ_URLS`) and watches them: each counts its
/// statements with `on_statement` as the primary does.
pub async fn replicas(
    primary: &DatabaseConnection,
    urls: &[String],
    max_lag: Duration,
    connect_timeout: Duration,
    statement_timeout: Option<Duration>,
    on_statement: impl Fn(&sea_orm::metric::Info<'_>) + Clone + Send + Sync + 'static,
) -> anyhow::Result<replicas::Replicas> {
    let mut connections = Vec::new();
    for url in urls.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        anyhow::ensure!(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "DATABASE_READ_URLS: {:?} is not a PostgreSQL URL",
            redact(url)
        );
        // Opened lazily: a replica that is down at start is skipped until it answers, as one
        // that goes away later; the server starts either way.
        let mut opts = options(url, connect_timeout, statement_timeout)?;
        opts.connect_lazy(true).acquire_timeout(connect_timeout.min(Duration::from_secs(2)));
        let mut db = Database::connect(opts)
            .await
            .with_context(|| format!("read replica {} (DATABASE_READ_URLS)", redact(url)))?;
        db.set_metric_callback(on_statement.clone());
        connections.push((redact(url), db));
    }
    replicas::Replicas::watch(primary.clone(), connections, max_lag).await
}

/// Checks that the database answers a trivial query (for `/readyz`).
pub async fn ready(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// What a task listening on a PostgreSQL channel hears.
pub enum Heard<'a> {
    /// It listens now (at start and after every reconnection): anything before was missed.
    Listening,
    /// One notification's payload.
    Payload(&'a str),
    /// The connection is lost; it reconnects a second later.
    Lost,
}

/// Listens on `channel` for as long as the calling task runs, telling `on` what it hears.
pub async fn listen(db: DatabaseConnection, channel: &'static str, mut on: impl FnMut(Heard<'_>) + Send) {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = db.get_postgres_connection_pool().clone();
    loop {
        let result = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(channel).await?;
            on(Heard::Listening);
            // `try_recv`, not `recv`: `recv` reconnects by itself and says nothing of what it
            // missed meanwhile; here a lost connection ends this listener, and the next one
            // tells `on` it listens again.
            while let Some(notification) = listener.try_recv().await? {
                on(Heard::Payload(notification.payload()));
            }
            Ok::<(), sea_orm::sqlx::Error>(())
        }
        .await;
        on(Heard::Lost);
        if let Err(e) = result {
            tracing::warn!(error = %e, channel, "lost a database listener; reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(super::redact("postgres://app:s3cret@db:5432/x"), "postgres://app:***@db:5432/x");
        assert_eq!(super::redact("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(super::redact("sqlite://data/x.sqlite3"), "sqlite://data/x.sqlite3");
    }
}
