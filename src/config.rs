//! The one place that reads flags and environment variables. Defaults are named constants.

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::{SocketAddr, ToSocketAddrs};
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
/// A read replica lagging more than this (ms) is skipped: reads see data at most this old.
pub const DEFAULT_READ_MAX_LAG_MS: u64 = 2_000;
/// Deepest selection nesting a query may have.
pub const DEFAULT_MAX_DEPTH: usize = 10;
/// Largest query cost: each field costs 1, and a paginated field multiplies the cost of its
/// children by its page size.
pub const DEFAULT_MAX_COMPLEXITY: usize = 50_000;
/// Most aliases one request may use.
pub const DEFAULT_MAX_ALIASES: usize = 50;
/// Most operations in one batched request; 0 turns batching off.
pub const DEFAULT_MAX_BATCH: usize = 0;
/// Largest request body, in bytes: room for a batch mutation of 10,000 items.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Largest webhook body, in bytes (a SendGrid batch of 1,000 events is about 0.6 MB).
pub const DEFAULT_MAX_WEBHOOK_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Longest a request may run; on PostgreSQL its statements are cancelled with it
/// (`statement_timeout`).
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Seconds to send a request's headers, and then its body.
pub const DEFAULT_READ_TIMEOUT_SECS: u64 = 10;
/// Requests per minute one token (or, without one, one client address) may make.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 600;
/// Requests one token (or, without one, one client address) may have running at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;
/// Extra time a request's data loads must stay quiet before a batch runs (milliseconds), on
/// top of its resolvers all waiting; none by default.
pub const DEFAULT_BATCH_WINDOW_MS: u64 = 0;
/// Lifetime of tokens printed at the demo start and minted by `token`.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 7 * 24 * 3600;

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
#[expect(clippy::large_enum_variant, reason = "parsed once at start; a box would only move 400 bytes to the heap")]
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
    /// Recount every rollup from the raw rows and list the differences (exit status 1 if any).
    Verify,
    /// Replace the rollups with a recount of the raw rows.
    RebuildRollups,
    /// Fill an empty database with a synthetic data set of any size (benchmarks, trials at scale).
    Generate(GenerateArgs),
    /// Load CSV files of the six tables (users.csv, campaigns.csv, …): every row is checked
    /// first, then all are written in one transaction, or none.
    Import(ImportArgs),
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema,
    /// Mint a bearer token for a user (by email), for development. Needs an HS256 secret.
    Token(TokenArgs),
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// How many email sends.
    #[arg(long)]
    pub sends: u64,
    /// Campaigns (three emails each); default one per 250,000 sends, at least 4.
    #[arg(long, default_value_t = 0)]
    pub campaigns: usize,
    /// Retailers; default one per 20,000 sends, between 15 and 500.
    #[arg(long, default_value_t = 0)]
    pub retailers: usize,
    /// Random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Folders holding the files, or the files: each named after its table (users.csv,
    /// campaigns.csv, email_campaigns.csv, email_sends.csv, crm_conversions.csv,
    /// ecommerce_orders.csv), with a header row of column names.
    #[arg(required = true, value_name = "DIR_OR_FILE")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The user's email address.
    #[arg(long)]
    pub email: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = DEFAULT_TOKEN_TTL_SECS)]
    pub ttl_secs: u64,
    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long = "bind", env = "BIND_ADDR", default_value = DEFAULT_BIND_ADDR)]
    pub bind_addr: String,

    /// Do not load the demo data into an empty embedded database.
    #[arg(long, env = "NO_DEMO", value_parser = BoolishValueParser::new())]
    pub no_demo: bool,

    /// Apply pending migrations on start (always done for the embedded database).
    #[arg(long, env = "AUTO_MIGRATE", value_parser = BoolishValueParser::new())]
    pub migrate: bool,

    /// Seconds to let in-flight requests finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: u64,

    #[command(flatten)]
    pub auth: AuthArgs,

    #[command(flatten)]
    pub limits: Limits,

    #[command(flatten)]
    pub webhooks: WebhookArgs,

    #[command(flatten)]
    pub tracking: TrackingArgs,

    #[command(flatten)]
    pub replicas: ReplicaArgs,

    /// Bearer token that `GET /metrics` asks for; unset, the metrics are not served.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// PostgreSQL streaming replicas that serve reads (`db::replicas`).
#[derive(Debug, Clone, Args, Default)]
pub struct ReplicaArgs {
    /// Read replicas of the PostgreSQL primary, comma-separated URLs. Queries and
    /// subscriptions read from them; mutations, webhooks and a caller's reads just after
    /// their own write read from the primary.
    #[arg(long = "database-read-urls", env = "DATABASE_READ_URLS", value_delimiter = ',', hide_env_values = true)]
    pub urls: Vec<String>,
    /// Milliseconds a replica may lag behind the primary before reads skip it.
    #[arg(long = "database-read-max-lag-ms", env = "DATABASE_READ_MAX_LAG_MS", default_value_t = DEFAULT_READ_MAX_LAG_MS)]
    pub max_lag_ms: u64,
}

/// First-party open and click tracking.
#[derive(Debug, Clone, Args, Default)]
pub struct TrackingArgs {
    /// Key signing tracking links (at least 32 bytes). Unset with the embedded database: a
    /// random key kept in the data folder; unset otherwise: tracking is off.
    #[arg(long, env = "TRACKING_KEY", hide_env_values = true)]
    pub tracking_key: Option<String>,
    /// Where recipients reach this server, as tracking links start
    /// (`https://track.example.com`). Unset: `http://` and the listen address.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// How webhook deliveries are verified.
#[derive(Debug, Clone, Args, Default)]
pub struct WebhookArgs {
    /// SendGrid's Event Webhook verification key (base64 public key from the SendGrid
    /// settings); set, every POST /webhooks/sendgrid must carry a valid signature.
    #[arg(long, env = "SENDGRID_WEBHOOK_VERIFICATION_KEY", hide_env_values = true)]
    pub sendgrid_verification_key: Option<String>,
    /// The Shopify app's client secret; set, every POST /webhooks/shopify/orders must carry a
    /// valid `X-Shopify-Hmac-Sha256`.
    #[arg(long, env = "SHOPIFY_WEBHOOK_SECRET", hide_env_values = true)]
    pub shopify_webhook_secret: Option<String>,
    /// `user:password` for Postmark's webhooks, put in the webhook URL Postmark calls
    /// (`https://user:password@host/webhooks/postmark`); set, every POST /webhooks/postmark
    /// must carry them as Basic authentication.
    #[arg(long, env = "POSTMARK_WEBHOOK_CREDENTIALS", hide_env_values = true)]
    pub postmark_webhook_credentials: Option<String>,
    /// Mailgun's HTTP webhook signing key; set, every POST /webhooks/mailgun must carry a
    /// valid signature, fresh and not seen before.
    #[arg(long, env = "MAILGUN_WEBHOOK_SIGNING_KEY", hide_env_values = true)]
    pub mailgun_webhook_signing_key: Option<String>,
    /// The ARNs (comma-separated) of the SNS topics SES publishes events to; set, every POST
    /// /webhooks/ses must be an SNS message of one of them, signed by SNS.
    #[arg(long, env = "SES_SNS_TOPIC_ARNS")]
    pub ses_sns_topic_arns: Option<String>,
    /// Accept unsigned posts on a webhook without its key (always so with the embedded
    /// database, for trying things out); otherwise such a webhook answers 503.
    #[arg(long, env = "ALLOW_UNSIGNED_WEBHOOKS", value_parser = BoolishValueParser::new())]
    pub allow_unsigned_webhooks: bool,
}

/// How bearer tokens are verified.
#[derive(Debug, Clone, Args, Default)]
pub struct AuthArgs {
    /// HS256 shared secret (at least 32 bytes). Unset with the embedded database: a random
    /// secret kept in the data folder.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// PEM public key verifying RS256 (RSA) or ES256 (P-256) tokens.
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<PathBuf>,
    /// JWKS file whose RS256/ES256 keys verify tokens (matched by `kid`).
    #[arg(long, env = "JWT_JWKS_FILE")]
    pub jwt_jwks_file: Option<PathBuf>,
    /// Required `iss` claim.
    #[arg(long, env = "JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Required `aud` claim.
    #[arg(long, env = "JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
}

/// Limits on what one request may cost. Each refusal has its own error code.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Deepest selection nesting (QUERY_TOO_COMPLEX above it).
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    /// Largest query cost; page sizes multiply their children's cost (QUERY_TOO_COMPLEX).
    #[arg(long, env = "MAX_QUERY_COMPLEXITY", default_value_t = DEFAULT_MAX_COMPLEXITY)]
    pub max_complexity: usize,
    /// Most aliases per request (QUERY_TOO_COMPLEX).
    #[arg(long, env = "MAX_QUERY_ALIASES", default_value_t = DEFAULT_MAX_ALIASES)]
    pub max_aliases: usize,
    /// Most operations per batched request; 0 (the default) turns batching off.
    #[arg(long, env = "MAX_BATCH_SIZE", default_value_t = DEFAULT_MAX_BATCH)]
    pub max_batch: usize,
    /// Largest request body in bytes (413 above it).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Largest webhook body in bytes (413 above it).
    #[arg(long, env = "MAX_WEBHOOK_BODY_BYTES", default_value_t = DEFAULT_MAX_WEBHOOK_BODY_BYTES)]
    pub max_webhook_body_bytes: usize,
    /// Seconds a request may run; on PostgreSQL its statements are cancelled with it.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: u64,
    /// Seconds a client may take to send a request's headers, and then its body: a
    /// connection that trickles them (slowloris) is closed, or answered 408.
    #[arg(long, env = "READ_TIMEOUT_SECS", default_value_t = DEFAULT_READ_TIMEOUT_SECS)]
    pub read_timeout_secs: u64,
    /// Requests per minute per token, or per client address without one (429 above it).
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = DEFAULT_RATE_LIMIT_PER_MINUTE)]
    pub rate_limit_per_minute: u32,
    /// Requests one token (or one client address without) may have running at once; more
    /// are refused with 429 until one ends. With the query limits, this bounds the work and
    /// memory one caller holds.
    #[arg(long, env = "MAX_REQUESTS_IN_FLIGHT", default_value_t = DEFAULT_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    /// A batch runs once the request's resolvers all wait; this adds milliseconds its loads
    /// must then stay quiet (0, the default, adds nothing).
    #[arg(long, env = "BATCH_WINDOW_MS", default_value_t = DEFAULT_BATCH_WINDOW_MS)]
    pub batch_window_ms: u64,
    /// Turn GraphQL introspection off (production); `schema.graphql` serves codegen.
    #[arg(long, env = "DISABLE_INTROSPECTION", value_parser = BoolishValueParser::new())]
    pub disable_introspection: bool,
    /// Origins allowed to call the API from a browser (comma-separated); none by default.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,
    /// Request headers those origins may send (comma-separated); by default the ones standard
    /// GraphQL clients send (authorization, content-type, x-request-id, Apollo's).
    #[arg(long, env = "CORS_ALLOWED_HEADERS", value_delimiter = ',', default_values_t = default_cors_headers())]
    pub cors_allowed_headers: Vec<String>,
}

/// The request headers browsers may send cross-origin unless configured otherwise: auth and
/// JSON, the request id, and what Apollo Client and Apollo's CSRF rule add.
pub fn default_cors_headers() -> Vec<String> {
    ["authorization", "content-type", "x-request-id", "apollo-require-preflight", "x-apollo-operation-name"]
        .map(String::from)
        .to_vec()
}

impl Limits {
    /// `read_timeout_secs` as a duration.
    pub fn read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.read_timeout_secs)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: DEFAULT_MAX_DEPTH,
            max_complexity: DEFAULT_MAX_COMPLEXITY,
            max_aliases: DEFAULT_MAX_ALIASES,
            max_batch: DEFAULT_MAX_BATCH,
            max_webhook_body_bytes: DEFAULT_MAX_WEBHOOK_BODY_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            read_timeout_secs: DEFAULT_READ_TIMEOUT_SECS,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            batch_window_ms: DEFAULT_BATCH_WINDOW_MS,
            disable_introspection: false,
            cors_allowed_origins: Vec::new(),
            cors_allowed_headers: default_cors_headers(),
        }
    }
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

    /// The bind address: an IP address or a host name (`localhost:8000`, resolved, its
    /// first address taken), with a port; or an error naming the bad value.
    pub fn socket_addr(&self) -> anyhow::Result<SocketAddr> {
        let bad = |why: String| {
            anyhow::anyhow!(
                "bad bind address {:?} (BIND_ADDR / --bind): {why}; expected host:port such as {DEFAULT_BIND_ADDR} or localhost:8000",
                self.bind_addr
            )
        };
        if let Ok(addr) = self.bind_addr.parse() {
            return Ok(addr);
        }
        let mut found = self.bind_addr.to_socket_addrs().map_err(|e| bad(e.to_string()))?;
        found.next().ok_or_else(|| bad("the host name has no address".into()))
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

    /// Load even when the database already holds data: replaces the demo's own rows (by their
    /// fixed ids) and keeps everything else.
    #[arg(long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> ServeArgs {
        match Cli::try_parse_from(std::iter::once("campaign-performance").chain(["serve"]).chain(args.iter().copied()))
            .unwrap()
            .command
        {
            Some(Command::Serve(args)) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bind_takes_an_address_or_a_host_name() {
        assert_eq!(serve(&[]).socket_addr().unwrap().to_string(), DEFAULT_BIND_ADDR);
        let local = serve(&["--bind", "localhost:8000"]).socket_addr().unwrap();
        assert!(local.ip().is_loopback() && local.port() == 8000, "{local}");
        let err = serve(&["--bind", "localhost"]).socket_addr().unwrap_err().to_string();
        assert!(err.contains("localhost") && err.contains("host:port"), "{err}");
    }

    #[test]
    #[expect(unsafe_code, reason = "setting an environment variable; only this test reads it in this binary")]
    fn switches_take_the_usual_spellings_of_yes_and_no() {
        // Only this test sets DISABLE_INTROSPECTION in this binary.
        for (value, expected) in [("1", true), ("yes", true), ("true", true), ("on", true), ("0", false), ("no", false)]
        {
            unsafe { std::env::set_var("DISABLE_INTROSPECTION", value) };
            assert_eq!(serve(&[]).limits.disable_introspection, expected, "{value}");
        }
        unsafe { std::env::remove_var("DISABLE_INTROSPECTION") };
        assert!(serve(&["--disable-introspection"]).limits.disable_introspection);
        assert!(!serve(&[]).limits.disable_introspection);
    }

    #[test]
    fn cors_headers_default_to_what_standard_clients_send_and_can_be_set() {
        assert!(serve(&[]).limits.cors_allowed_headers.contains(&"apollo-require-preflight".to_owned()));
        let set = serve(&["--cors-allowed-headers", "authorization,x-custom"]).limits.cors_allowed_headers;
        assert_eq!(set, ["authorization", "x-custom"]);
    }
}
