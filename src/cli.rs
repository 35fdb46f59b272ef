//! The commands: serve, migrate, seed, schema.

use crate::config::{Cli, Command, DatabaseArgs, MigrateAction, SeedArgs, ServeArgs};
use crate::db::{self, Target};
use crate::{AppState, demo};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeArgs::from_env()))
    {
        Command::Serve(args) => serve(&cli.database, args).await,
        Command::Migrate { action } => {
            migrate(&cli.database, action.unwrap_or(MigrateAction::Up)).await
        }
        Command::Seed(args) => seed(&cli.database, args).await,
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
    }
}

async fn open(args: &DatabaseArgs) -> anyhow::Result<(Target, DatabaseConnection)> {
    let target = Target::resolve(args)?;
    let db = db::connect(&target.url, Duration::from_secs(args.connect_timeout_secs)).await?;
    Ok((target, db))
}

async fn serve(database: &DatabaseArgs, args: ServeArgs) -> anyhow::Result<()> {
    // Check what needs no database first, so a typo fails at once.
    let addr = args.socket_addr()?;
    let (target, db) = open(database).await?;
    if target.embedded || args.migrate {
        db::migrate_up(&db).await?;
    } else {
        let pending = db::pending_migrations(&db).await?;
        if !pending.is_empty() {
            anyhow::bail!(
                "the database at {} has {} pending migration(s) ({}); run `campaign-performance migrate up` or start with --migrate",
                target.redacted(),
                pending.len(),
                pending.join(", ")
            );
        }
    }
    if target.embedded && !args.no_demo && db::is_empty(&db).await? {
        tracing::info!("empty embedded database: loading the demo data");
        demo::load(&db, false)
            .await
            .context("loading the demo data")?;
    }

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let app = crate::app(AppState::new(db.clone()));
    println!("campaign-performance is serving {}", target.redacted());
    println!("  GraphiQL:  http://{addr}/graphql   (POST GraphQL to the same URL)");
    println!("  Health:    http://{addr}/healthz   Ready: http://{addr}/readyz");
    println!("  Authentication: none yet; every caller sees all data. Bind to loopback only.");
    tracing::info!(%addr, "listening");

    let shutdown = Arc::new(Notify::new());
    let signalled = shutdown.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        signalled.notify_one();
    });
    let grace = Duration::from_secs(args.shutdown_grace_secs);
    tokio::select! {
        result = server => result.context("server failed")?,
        _ = async { shutdown.notified().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "grace period over; exiting with requests still in flight");
        }
    }
    db.close().await.ok();
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

async fn migrate(database: &DatabaseArgs, action: MigrateAction) -> anyhow::Result<()> {
    let (target, db) = open(database).await?;
    match action {
        MigrateAction::Up => {
            let pending = db::pending_migrations(&db).await?;
            db::migrate_up(&db).await?;
            println!(
                "applied {} migration(s) to {}",
                pending.len(),
                target.redacted()
            );
        }
        MigrateAction::Down => {
            Migrator::down(&db, None)
                .await
                .context("reverting migrations")?;
            println!("reverted every migration of {}", target.redacted());
        }
        MigrateAction::Status => {
            let applied = Migrator::get_applied_migrations(&db)
                .await
                .context("reading migration status")?;
            let pending = Migrator::get_pending_migrations(&db)
                .await
                .context("reading migration status")?;
            for m in &applied {
                println!("applied  {}", m.name());
            }
            for m in &pending {
                println!("pending  {}", m.name());
            }
        }
    }
    Ok(())
}

async fn seed(database: &DatabaseArgs, args: SeedArgs) -> anyhow::Result<()> {
    debug_assert!(args.demo);
    let (target, db) = open(database).await?;
    if target.embedded {
        db::migrate_up(&db).await?;
    }
    let empty = db::is_empty(&db).await?;
    if !empty && !args.force {
        anyhow::bail!(
            "the database at {} already holds data; `seed --demo --force` replaces the demo's own rows and keeps the rest",
            target.redacted()
        );
    }
    let data = demo::load(&db, !empty)
        .await
        .context("loading the demo data")?;
    println!(
        "loaded the demo data into {}: {} users, {} campaigns, {} email campaigns, {} sends, {} conversions, {} orders",
        target.redacted(),
        data.users.len(),
        data.campaigns.len(),
        data.email_campaigns.len(),
        data.sends.len(),
        data.conversions.len(),
        data.orders.len()
    );
    Ok(())
}
