//! The commands: serve, migrate, seed, generate, import, verify, rebuild-rollups, schema, token.

use crate::auth::Minter;
use crate::auth::keys::{self, AuthKeys};
use crate::config::{
    AuthArgs, Cli, Command, DEFAULT_TOKEN_TTL_SECS, DatabaseArgs, GenerateArgs, ImportArgs, MigrateAction, SeedArgs,
    ServeArgs, TokenArgs, TrackingArgs,
};
use crate::db::{self, Target};
use crate::ingest::{Tracking, TrackingKey, Webhooks};
use crate::services::users;
use crate::{AppState, demo};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or_else(|| Command::Serve(ServeArgs::from_env())) {
        Command::Serve(args) => serve(&cli.database, args).await,
        Command::Migrate { action } => migrate(&cli.database, action.unwrap_or(MigrateAction::Up)).await,
        Command::Seed(args) => seed(&cli.database, args).await,
        Command::Generate(args) => generate(&cli.database, args).await,
        Command::Import(args) => import(&cli.database, args).await,
        Command::Verify => verify(&cli.database).await,
        Command::RebuildRollups => {
            let (target, db) = open(&cli.database).await?;
            let started = std::time::Instant::now();
            let rows = crate::analytics::rollups::rebuild(&db).await.context("rebuilding the rollups")?;
            println!("rebuilt the rollups of {}: {rows} rows in {:.1?}", target.redacted(), started.elapsed());
            Ok(())
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Token(args) => token(&cli.database, args).await,
    }
}

async fn open(args: &DatabaseArgs) -> anyhow::Result<(Target, DatabaseConnection)> {
    open_with(args, None).await
}

async fn open_with(
    args: &DatabaseArgs,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<(Target, DatabaseConnection)> {
    let target = Target::resolve(args)?;
    let db = db::connect(&target.url, Duration::from_secs(args.connect_timeout_secs), statement_timeout).await?;
    Ok((target, db))
}

/// The token keys for `target`: configured ones, or the embedded database's own secret.
fn auth_keys(args: &AuthArgs, database: &DatabaseArgs, target: &Target) -> anyhow::Result<AuthKeys> {
    keys::resolve(args, target.embedded.then_some(database.data_dir.as_path()))
}

/// File in the data folder holding the embedded database's tracking key.
const TRACKING_KEY_FILE: &str = "tracking-key";

/// Tracking as configured: `TRACKING_KEY` (or the embedded database's own key) and the
/// address links start with.
fn tracking(args: &TrackingArgs, database: &DatabaseArgs, target: &Target, addr: &str) -> anyhow::Result<Tracking> {
    let key = match (&args.tracking_key, target.embedded) {
        (Some(key), _) => {
            Some(TrackingKey::new(key.trim().as_bytes()).map_err(|e| anyhow::anyhow!("TRACKING_KEY: {e}"))?)
        }
        (None, true) => {
            let secret = keys::embedded_secret(&database.data_dir, TRACKING_KEY_FILE)?;
            Some(TrackingKey::new(&secret).map_err(anyhow::Error::msg)?)
        }
        (None, false) => None,
    };
    let public_url = match &args.public_url {
        Some(url) => {
            let parsed = url::Url::parse(url.trim()).with_context(|| format!("PUBLIC_URL {url:?} is not a URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
                anyhow::bail!("PUBLIC_URL {url:?} must be an http or https address without a query");
            }
            url.trim().trim_end_matches('/').to_owned()
        }
        None => format!("http://{addr}"),
    };
    Ok(Tracking { key, public_url })
}

async fn serve(database: &DatabaseArgs, args: ServeArgs) -> anyhow::Result<()> {
    // Check what needs no database first, so a typo fails at once.
    let addr = args.socket_addr()?;
    let target = Target::resolve(database)?;
    let auth = auth_keys(&args.auth, database, &target)?;
    let statement_timeout = Duration::from_secs(args.limits.request_timeout_secs);
    let (target, db) = open_with(database, Some(statement_timeout)).await?;
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
        demo::load(&db, false).await.context("loading the demo data")?;
        db::analyze(&db).await?;
    }

    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let banner = demo_tokens(&db, auth.minter.as_ref(), target.embedded).await?;
    let webhooks = Webhooks::from_args(&args.webhooks, target.embedded).map_err(anyhow::Error::msg)?;
    let unkeyed = webhooks.unkeyed();
    if !unkeyed.is_empty() && webhooks.allow_unsigned {
        let missing = unkeyed.join(", ");
        tracing::warn!("a webhook without its key accepts unsigned posts: set {missing} in production");
    }
    let tracking = tracking(&args.tracking, database, &target, &addr.to_string())?;
    if tracking.key.is_none() {
        tracing::info!("first-party tracking is off: set TRACKING_KEY (and PUBLIC_URL) to turn it on");
    }
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let mut measured = db.clone();
    measured.set_metric_callback(metrics.sql_callback());
    let replicas = db::replicas(
        &measured,
        &args.replicas.urls,
        Duration::from_millis(args.replicas.max_lag_ms),
        Duration::from_secs(database.connect_timeout_secs),
        Some(statement_timeout),
        metrics.sql_callback(),
    )
    .await?;
    for replica in replicas.status() {
        let state = if replica.usable { "in use".to_owned() } else { replica.problem.unwrap_or_default() };
        println!("  Replica:   {} ({state})", replica.name);
    }
    let state = AppState::measured(measured, auth.verifier, args.limits.clone(), metrics)
        .with_replicas(replicas)
        .with_webhooks(webhooks)
        .with_metrics_token(args.metrics_token.clone());
    let app = crate::app(state.with_tracking(tracking));
    println!("campaign-performance is serving {}", target.redacted());
    println!("  Dashboard: http://{addr}/dashboard/brand-performance/campaigns   (sign in with a token below)");
    println!("  GraphiQL:  http://{addr}/graphql   (POST GraphQL to the same URL)");
    println!(
        "  Webhooks:  http://{addr}/webhooks/{{sendgrid,postmark,mailgun,ses}}   http://{addr}/webhooks/shopify/orders"
    );
    println!("  Live:      ws://{addr}/graphql/ws   (graphql-ws subscriptions)");
    println!("  Health:    http://{addr}/healthz   Ready: http://{addr}/readyz");
    println!("{banner}");
    tracing::info!(%addr, "listening");

    let shutdown = Arc::new(Notify::new());
    let signalled = shutdown.clone();
    let server = crate::http::serve(listener, app, args.limits.read_timeout(), async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        signalled.notify_one();
    });
    let grace = Duration::from_secs(args.shutdown_grace_secs);
    tokio::select! {
        () = server => {}
        _ = async { shutdown.notified().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "grace period over; exiting with requests still in flight");
        }
    }
    db.close().await.ok();
    Ok(())
}

/// How to authenticate, for the start-up banner: on the embedded database, ready tokens for
/// the demo's brand user and one retailer.
async fn demo_tokens(db: &DatabaseConnection, minter: Option<&Minter>, embedded: bool) -> anyhow::Result<String> {
    let mut lines = vec![
        "  Authentication: every request needs `Authorization: Bearer <token>`; in GraphiQL put".to_owned(),
        r#"  {"Authorization": "Bearer <token>"} in the Headers pane. `campaign-performance token --email <email>` mints one."#
            .to_owned(),
    ];
    if let (Some(minter), true) = (minter, embedded) {
        for (who, email) in [("brand user", demo::BRAND_EMAIL), ("retailer Cartier Rodeo Drive", demo::RETAILER_EMAIL)]
        {
            if let Some(user) = users::find_by_email(db, email).await? {
                lines.push(format!("  Token for the {who} ({email}), valid 7 days:"));
                lines.push(format!("    {}", minter.mint(user.id, DEFAULT_TOKEN_TTL_SECS)));
            }
        }
    }
    Ok(lines.join("\n"))
}

async fn token(database: &DatabaseArgs, args: TokenArgs) -> anyhow::Result<()> {
    let (target, db) = open(database).await?;
    let auth = auth_keys(&args.auth, database, &target)?;
    let minter = auth.minter.context(
        "minting needs an HS256 secret (JWT_SECRET); with only public keys, tokens come from your identity provider",
    )?;
    let user =
        users::find_by_email(&db, &args.email).await?.with_context(|| format!("no user with email {}", args.email))?;
    if !user.is_active {
        anyhow::bail!("user {} is deactivated; its tokens would be refused", args.email);
    }
    println!("{}", minter.mint(user.id, args.ttl_secs));
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
            println!("applied {} migration(s) to {}", pending.len(), target.redacted());
        }
        MigrateAction::Down => {
            Migrator::down(&db, None).await.context("reverting migrations")?;
            println!("reverted every migration of {}", target.redacted());
        }
        MigrateAction::Status => {
            let applied = Migrator::get_applied_migrations(&db).await.context("reading migration status")?;
            let pending = Migrator::get_pending_migrations(&db).await.context("reading migration status")?;
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
    let data = demo::load(&db, !empty).await.context("loading the demo data")?;
    db::analyze(&db).await?;
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

async fn generate(database: &DatabaseArgs, args: GenerateArgs) -> anyhow::Result<()> {
    let (target, db) = open(database).await?;
    if target.embedded {
        db::migrate_up(&db).await?;
    }
    if !db::is_empty(&db).await? {
        anyhow::bail!(
            "the database at {} already holds data; generate into an empty one (a new DATA_DIR or DATABASE_URL)",
            target.redacted()
        );
    }
    let plan = crate::generate::Plan {
        sends: args.sends,
        campaigns: args.campaigns,
        retailers: args.retailers,
        seed: args.seed,
    };
    let started = std::time::Instant::now();
    let made = crate::generate::generate(&db, &plan, |n| {
        if n % 1_000_000 == 0 && n > 0 {
            eprintln!("  {n} sends written ({:.0?})", started.elapsed());
        }
    })
    .await
    .context("generating data")?;
    db::analyze(&db).await?;
    println!(
        "generated into {} in {:.1?}: {} retailers, {} campaigns, {} email campaigns, {} sends, {} conversions, {} orders",
        target.redacted(),
        started.elapsed(),
        made.retailers,
        made.campaigns,
        made.email_campaigns,
        made.sends,
        made.conversions,
        made.orders
    );
    Ok(())
}

async fn import(database: &DatabaseArgs, args: ImportArgs) -> anyhow::Result<()> {
    use crate::import::{ImportError, MAX_PRINTED};
    let (target, db) = open(database).await?;
    if target.embedded {
        db::migrate_up(&db).await?;
    }
    match crate::import::import(&db, &args.paths).await {
        Ok(done) => {
            db::analyze(&db).await?;
            println!("imported {} rows into {} in {:.1?}:", done.total(), target.redacted(), done.elapsed);
            for (table, rows) in done.per_table() {
                println!("  {:<16} {rows:>10}", table.name());
            }
            Ok(())
        }
        Err(ImportError::Invalid(problems)) => {
            for p in problems.iter().take(MAX_PRINTED) {
                eprintln!("{p}");
            }
            if problems.len() > MAX_PRINTED {
                eprintln!("… and {} more", problems.len() - MAX_PRINTED);
            }
            anyhow::bail!(
                "{} problem(s) in the CSV files; nothing was imported into {}",
                problems.len(),
                target.redacted()
            )
        }
        Err(e) => Err(e).with_context(|| format!("importing into {}", target.redacted())),
    }
}

async fn verify(database: &DatabaseArgs) -> anyhow::Result<()> {
    let (target, db) = open(database).await?;
    let started = std::time::Instant::now();
    let differences = crate::analytics::rollups::verify(&db).await.context("verifying the rollups")?;
    // Kept for every server's `/metrics` (`verify_last_differences`).
    let run = entity::verify_runs::ActiveModel {
        id: sea_orm::ActiveValue::Set(uuid::Uuid::new_v4()),
        finished_at: sea_orm::ActiveValue::Set(chrono::Utc::now()),
        differences: sea_orm::ActiveValue::Set(differences.len() as i64),
        duration_ms: sea_orm::ActiveValue::Set(started.elapsed().as_millis() as i64),
    };
    sea_orm::ActiveModelTrait::insert(run, &db).await.context("recording the verify run")?;
    for d in differences.iter().take(20) {
        println!("{} {}: stored {:?}, recounted {:?}", d.table, d.key, d.stored, d.recounted);
    }
    if !differences.is_empty() {
        anyhow::bail!(
            "{} rollup row(s) of {} differ from the raw rows; `rebuild-rollups` replaces them",
            differences.len(),
            target.redacted()
        );
    }
    println!("the rollups of {} equal a recount of the raw rows ({:.1?})", target.redacted(), started.elapsed());
    Ok(())
}
