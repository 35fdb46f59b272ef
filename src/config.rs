//! The one place that reads flags and environment variables. Defaults are named constants.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where `serve` listens unless told otherwise.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8000";
/// The folder that holds the embedded SQLite database when `DATABASE_URL` is unset.
pub const DEFAULT_DATA_DIR: &str = "data";
/// The embedded database's file name inside the data folder.
pub const EMBEDDED_DB_FILE: &str = "campaign-performance.sqlite3";
/// How long `serve` waits for in-flight requests after SIGTERM/Ctrl-C.
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 30;
/// How long a connection attempt to the database may take before start-up fails.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 5;

/// Campaign performance analytics over GraphQL: email, CRM conversions, orders and ROI.
#[derive(Debug, Parser)]
#[command(name = "campaign-performance", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Log output format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `postgres://user@host/db` or `sqlite://path`. Unset: an embedded SQLite
    /// file in the data folder, created, migrated and filled with demo data on first start.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Folder for the embedded SQLite database (used when no database URL is given).
    #[arg(long, env = "DATA_DIR", default_value = DEFAULT_DATA_DIR, global = true)]
    pub data_dir: PathBuf,

    /// Seconds a connection attempt may take before the command fails.
    #[arg(long, env = "DATABASE_CONNECT_TIMEOUT", default_value_t = DEFAULT_CONNECT_TIMEOUT_SECS, global = true)]
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve GraphQL (POST /graphql), GraphiQL (GET /graphql), /healthz and /readyz. The default.
    Serve(ServeArgs),
    /// Apply, revert or list schema migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Load data into the database.
    Seed(SeedArgs),
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long = "bind", env = "BIND_ADDR", default_value = DEFAULT_BIND_ADDR)]
    pub bind_addr: String,

    /// Do not load the demo data into an empty embedded database.
    #[arg(long, env = "NO_DEMO")]
    pub no_demo: bool,

    /// Apply pending migrations on start (always done for the embedded database).
    #[arg(long, env = "AUTO_MIGRATE")]
    pub migrate: bool,

    /// Seconds to let in-flight requests finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: u64,
}

impl ServeArgs {
    /// `serve`'s arguments when no command is given: defaults and environment variables.
    pub fn from_env() -> ServeArgs {
        #[derive(Parser)]
        struct ServeOnly {
            #[command(flatten)]
            args: ServeArgs,
        }
        ServeOnly::parse_from(["campaign-performance"]).args
    }

    /// The bind address, or an error naming the bad value.
    pub fn socket_addr(&self) -> anyhow::Result<SocketAddr> {
        self.bind_addr.parse().map_err(|e| {
            anyhow::anyhow!("bad bind address {:?} (BIND_ADDR / --bind): {e}; expected host:port such as {DEFAULT_BIND_ADDR}", self.bind_addr)
        })
    }
}

#[derive(Debug, Clone, Copy, Subcommand, PartialEq, Eq)]
pub enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Revert every applied migration (drops all tables).
    Down,
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Load the spec's sample data set (Marco Bicego and three other campaigns).
    #[arg(long, required = true)]
    pub demo: bool,

    /// Load even when the database already holds data (adds to what is there).
    #[arg(long)]
    pub force: bool,
}
