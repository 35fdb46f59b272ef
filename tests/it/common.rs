//! Test harness: a fresh, migrated database per test on SQLite (always) and PostgreSQL
//! (when `TEST_DATABASE_URL` is set), fixture builders and a `gql` helper.

use campaign_performance::auth::{Caller, Minter, Verifier, Viewer};
use campaign_performance::config::Limits;
use campaign_performance::db;
use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::enums::*;
use entity::{Money, campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends, users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend};
use serde_json::Value;
use std::time::Duration as StdDuration;
use uuid::Uuid;

/// Runs the test body once per backend: `<name>::sqlite` always, `<name>::postgres` when
/// `TEST_DATABASE_URL` is set. Without it that test passes after saying it was skipped, except
/// in CI (`CI` or `REQUIRE_TEST_DATABASE` set, as `.ci/run` does), where it fails.
/// The calling module imports the harness (`use crate::common::*`), which the test module
/// takes from it with everything else it names.
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $db = TestDb::sqlite().await;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($db) = TestDb::postgres().await else {
                    TestDb::skipped_without_postgres();
                    return;
                };
                $body
            }
        }
    };
}

/// A migrated database that exists for one test and is removed afterwards, even when the
/// test panics: a SQLite file in a temporary folder, or a PostgreSQL schema of its own.
pub struct TestDb {
    pub conn: DatabaseConnection,
    pub url: String,
    pg_schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl std::ops::Deref for TestDb {
    type Target = DatabaseConnection;
    fn deref(&self) -> &DatabaseConnection {
        &self.conn
    }
}

const CONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(10);

impl TestDb {
    /// Says that a PostgreSQL variant was skipped; in CI, where PostgreSQL must run, fails.
    pub fn skipped_without_postgres() {
        let required = ["CI", "REQUIRE_TEST_DATABASE"]
            .iter()
            .any(|name| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false"));
        assert!(!required, "TEST_DATABASE_URL is not set, and CI requires the PostgreSQL variant to run");
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant skipped");
    }

    pub async fn sqlite() -> TestDb {
        Self::sqlite_unmigrated().await.migrated().await
    }

    pub async fn sqlite_unmigrated() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.sqlite3").display());
        let conn = db::connect(&url, CONNECT_TIMEOUT, None).await.expect("open SQLite");
        TestDb { conn, url, pg_schema: None, _dir: Some(dir) }
    }

    /// None when `TEST_DATABASE_URL` is unset; panics when it is set but unusable.
    pub async fn postgres() -> Option<TestDb> {
        Some(Self::postgres_unmigrated().await?.migrated().await)
    }

    pub async fn postgres_unmigrated() -> Option<TestDb> {
        let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let schema = format!("t_{}", Uuid::new_v4().simple());
        let admin = db::connect(&admin_url, CONNECT_TIMEOUT, None)
            .await
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unusable: {e:#}"));
        admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("create test schema");
        admin.close().await.ok();
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema}");
        let conn = db::connect(&url, CONNECT_TIMEOUT, None).await.expect("connect to the test schema");
        Some(TestDb { conn, url, pg_schema: Some((admin_url, schema)), _dir: None })
    }

    async fn migrated(self) -> TestDb {
        db::migrate_up(&self.conn).await.expect("migrations apply");
        self
    }

    /// The PostgreSQL schema the test's tables live in (`None` on SQLite).
    pub fn schema(&self) -> Option<&str> {
        self.pg_schema.as_ref().map(|(_, schema)| schema.as_str())
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, schema)) = self.pg_schema.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a separate thread with its own runtime can
        // block on the clean-up without stalling it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = db::connect(&admin_url, CONNECT_TIMEOUT, None).await {
                    let _ = admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
                    admin.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// A brand user that is not stored: sees everything, for tests about figures rather than
/// about who may see them.
pub fn brand_caller() -> users::Model {
    let now = at(2025, 1, 1, 0);
    users::Model {
        id: Uuid::new_v4(),
        email: "tester@brand.example".into(),
        name: "Tester".into(),
        user_type: UserType::Brand,
        region: None,
        created_at: now,
        updated_at: now,
        is_active: true,
    }
}

/// Runs a GraphQL query as a brand user against the in-process schema; panics on errors.
pub async fn gql(db: &DatabaseConnection, query: &str, variables: Value) -> Value {
    gql_as(db, &brand_caller(), query, variables).await
}

/// The names of an enum's values, read from the schema.
pub async fn enum_values(db: &DatabaseConnection, name: &str) -> Vec<String> {
    let q = "query($n: String!) { __type(name: $n) { enumValues { name } } }";
    let data = gql(db, q, serde_json::json!({ "n": name })).await;
    data["__type"]["enumValues"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
}

/// Runs a GraphQL query as `user`; panics on errors.
pub async fn gql_as(db: &DatabaseConnection, user: &users::Model, query: &str, variables: Value) -> Value {
    let response = gql_response_as(db, Some(user), query, variables).await;
    assert!(response["errors"].is_null(), "GraphQL errors: {:#}", response["errors"]);
    response["data"].clone()
}

/// Runs a GraphQL query as a brand user and returns the whole response (data and errors).
pub async fn gql_response(db: &DatabaseConnection, query: &str, variables: Value) -> Value {
    gql_response_as(db, Some(&brand_caller()), query, variables).await
}

/// Runs a GraphQL query as `user` (or anonymously) and returns the whole response.
pub async fn gql_response_as(
    db: &DatabaseConnection,
    user: Option<&users::Model>,
    query: &str,
    variables: Value,
) -> Value {
    gql_with_window(db, user, query, variables, StdDuration::from_millis(Limits::default().batch_window_ms)).await
}

/// Runs a GraphQL query with a given batching window (see `loaders::Batched`).
pub async fn gql_with_window(
    db: &DatabaseConnection,
    user: Option<&users::Model>,
    query: &str,
    variables: Value,
    window: StdDuration,
) -> Value {
    let sources = campaign_performance::loaders::Sources::primary_only(db);
    let api = campaign_performance::graphql::build_api(
        db.clone(),
        sources.clone(),
        campaign_performance::ingest::Changes::new(db.clone()),
        campaign_performance::ingest::Appliers::new(db),
        campaign_performance::auth::UserCache::reading_always(),
        &Limits::default(),
    );
    let request = async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables));
    let viewer = match user {
        Some(u) => Viewer::User(Caller { user: u.clone() }),
        None => Viewer::Anonymous,
    };
    let request = campaign_performance::graphql::prepare_request(request, &sources.primary(), viewer, window);
    let response = async_graphql::Executor::execute(&api, request).await;
    serde_json::to_value(&response).expect("response serializes")
}

/// The HS256 secret of test servers.
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret!";

/// The server's shared state for tests: the test secret and the given limits.
pub fn test_state(db: &DatabaseConnection, limits: Limits) -> campaign_performance::AppState {
    let verifier = Verifier::new(None, None).with_secret(TEST_SECRET.as_bytes());
    campaign_performance::AppState::new(db.clone(), verifier, limits)
        .with_webhooks(campaign_performance::ingest::Webhooks::unsigned())
}

/// A valid token for `user` under the test secret.
pub fn token_for(user: Uuid) -> String {
    Minter::new(TEST_SECRET.as_bytes(), None, None).mint(user, 3600)
}

/// Serves the app on a loopback port (with client addresses, as `serve` does); returns its
/// base URL.
pub async fn serve(state: campaign_performance::AppState) -> String {
    let read_timeout = state.limits.read_timeout();
    let app = campaign_performance::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(campaign_performance::http::serve(listener, app, read_timeout, std::future::pending()));
    format!("http://{addr}")
}

pub fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap()
}

pub fn money(text: &str) -> Money {
    text.parse().unwrap()
}

// ---- fixture builders: sensible defaults, override what the test is about ----

pub struct UserBuilder(users::ActiveModel);

pub fn retailer(name: &str, region: Region) -> UserBuilder {
    let now = at(2025, 1, 1, 0);
    UserBuilder(users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(format!("{}-{}@retailer.example", name.to_lowercase().replace(' ', "-"), Uuid::new_v4().simple())),
        name: Set(name.to_owned()),
        user_type: Set(UserType::Retailer),
        region: Set(Some(region)),
        created_at: Set(now),
        updated_at: Set(now),
        is_active: Set(true),
    })
}

impl UserBuilder {
    pub fn user_type(mut self, t: UserType) -> Self {
        self.0.user_type = Set(t);
        self
    }
    pub fn active(mut self, active: bool) -> Self {
        self.0.is_active = Set(active);
        self
    }
    pub async fn insert(self, db: &impl ConnectionTrait) -> users::Model {
        self.0.insert(db).await.expect("insert user")
    }
}

pub struct CampaignBuilder(campaigns::ActiveModel);

pub fn campaign(name: &str) -> CampaignBuilder {
    let now = at(2025, 1, 1, 0);
    CampaignBuilder(campaigns::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        description: Set(None),
        status: Set(CampaignStatus::Active),
        start_date: Set(Some(at(2025, 1, 10, 0))),
        end_date: Set(Some(at(2025, 2, 10, 0))),
        budget_allocated: Set(Some(money("10000.00"))),
        budget_spent: Set(money("1000.00")),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        utm_code: Set(None),
    })
}

impl CampaignBuilder {
    pub fn status(mut self, s: CampaignStatus) -> Self {
        self.0.status = Set(s);
        self
    }
    pub fn spent(mut self, m: &str) -> Self {
        self.0.budget_spent = Set(money(m));
        self
    }
    pub fn allocated(mut self, m: Option<&str>) -> Self {
        self.0.budget_allocated = Set(m.map(money));
        self
    }
    pub fn dates(mut self, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> Self {
        self.0.start_date = Set(start);
        self.0.end_date = Set(end);
        self
    }
    pub fn created_at(mut self, t: DateTime<Utc>) -> Self {
        self.0.created_at = Set(t);
        self
    }
    pub fn created_by(mut self, user: &users::Model) -> Self {
        self.0.created_by = Set(Some(user.id));
        self
    }
    pub async fn insert(self, db: &impl ConnectionTrait) -> campaigns::Model {
        self.0.insert(db).await.expect("insert campaign")
    }
}

pub async fn email_campaign(
    db: &impl ConnectionTrait,
    campaign: &campaigns::Model,
    subject: &str,
) -> email_campaigns::Model {
    email_campaigns::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(Some(campaign.id)),
        subject: Set(subject.to_owned()),
        content: Set(None),
        sender_email: Set("brand@example.com".to_owned()),
        sender_name: Set(None),
        sent_at: Set(Some(at(2025, 1, 14, 15))),
        total_recipients: Set(0),
        created_at: Set(at(2025, 1, 12, 0)),
    }
    .insert(db)
    .await
    .expect("insert email campaign")
}

/// What happened to one send.
#[derive(Clone, Copy, Debug, Default)]
pub struct SendOutcome {
    pub status: Option<SendStatus>,
    pub delivered: bool,
    pub opened: bool,
    pub clicked: bool,
}

pub async fn send(
    db: &impl ConnectionTrait,
    email: &email_campaigns::Model,
    retailer: &users::Model,
    outcome: SendOutcome,
) -> email_sends::Model {
    let sent = at(2025, 1, 14, 15);
    let status = outcome.status.unwrap_or(if outcome.delivered { SendStatus::Delivered } else { SendStatus::Sent });
    email_sends::ActiveModel {
        id: Set(Uuid::new_v4()),
        email_campaign_id: Set(Some(email.id)),
        retailer_id: Set(Some(retailer.id)),
        recipient_email: Set(format!("r{}@example.com", Uuid::new_v4().simple())),
        recipient_name: Set(None),
        sent_at: Set(sent),
        delivered_at: Set(outcome.delivered.then(|| sent + Duration::minutes(1))),
        opened_at: Set(outcome.opened.then(|| sent + Duration::hours(1))),
        clicked_at: Set(outcome.clicked.then(|| sent + Duration::hours(2))),
        status: Set(status),
        bounce_reason: Set(None),
        human_opened_at: Set(outcome.opened.then(|| sent + Duration::hours(1))),
    }
    .insert(db)
    .await
    .expect("insert send")
}

pub async fn conversion(
    db: &impl ConnectionTrait,
    campaign: &campaigns::Model,
    retailer: &users::Model,
    value: &str,
) -> crm_conversions::Model {
    crm_conversions::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(Some(campaign.id)),
        retailer_id: Set(Some(retailer.id)),
        email_send_id: Set(None),
        conversion_type: Set(Some(ConversionType::Sale)),
        conversion_value: Set(Some(money(value))),
        conversion_date: Set(at(2025, 1, 20, 0)),
        product_category: Set(Some(ProductCategory::Rings)),
        created_at: Set(at(2025, 1, 20, 0)),
        source: Set(None),
        external_id: Set(None),
    }
    .insert(db)
    .await
    .expect("insert conversion")
}

pub async fn order(
    db: &impl ConnectionTrait,
    campaign: &campaigns::Model,
    retailer: &users::Model,
    value: &str,
    status: OrderStatus,
) -> ecommerce_orders::Model {
    ecommerce_orders::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(Some(campaign.id)),
        retailer_id: Set(Some(retailer.id)),
        order_value: Set(Some(money(value))),
        order_date: Set(at(2025, 1, 21, 0)),
        product_count: Set(1),
        order_status: Set(status),
        attributed_to_email: Set(true),
        created_at: Set(at(2025, 1, 21, 0)),
        source: Set(None),
        external_id: Set(None),
        source_updated_at: Set(None),
    }
    .insert(db)
    .await
    .expect("insert order")
}

/// Posts a GraphQL request to the real server at `base`, with a bearer token if given: the
/// status and the JSON body (null when the body is not JSON).
pub async fn post_graphql(
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (reqwest::StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The `extensions.code` of a response's first error (`<none>` without one).
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}
