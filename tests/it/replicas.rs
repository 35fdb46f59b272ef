//! Reads from a real PostgreSQL streaming replica (`.ci/replica` starts one, a second cluster
//! made with `pg_basebackup -R`; `TEST_REPLICA_URL` names it), on the real server: queries
//! read from the replica (counted by the replica's own statistics and by each connection),
//! mutations write to the primary, a writer reads its own write at once while the replica
//! is paused, a lagging replica is skipped and comes back, and once the replica goes away
//! reads keep answering from the primary; `/readyz` says each time.
//!
//! The replica goes away through a TCP proxy the test holds between the server and it: the
//! proxy closing every connection and the port is, to the server, the replica stopping, and
//! leaves the real replica running for the next run.

use crate::common::*;
use crate::webhooks::sample_campaign;
use campaign_performance::db;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// `TEST_REPLICA_URL`, or `None` (then the test is skipped, except where CI requires it).
fn replica_url() -> Option<String> {
    let url = std::env::var("TEST_REPLICA_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        let required = std::env::var("REQUIRE_TEST_REPLICA").is_ok_and(|v| !v.is_empty() && v != "0");
        assert!(!required, "TEST_REPLICA_URL is not set, and CI requires the replica test to run (.ci/replica)");
        eprintln!("TEST_REPLICA_URL is not set: replica test skipped");
    }
    url
}

/// A TCP proxy to `target` until `stop`.
struct Proxy {
    port: u16,
    tasks: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let held = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let connection = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                held.lock().unwrap().push(connection);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy { port, tasks }
    }

    /// Closes the port and every connection through it.
    fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// Resumes the replica's replay when dropped (also when the test fails), so the next run
/// finds it replaying.
struct ResumeOnDrop(String);

impl Drop for ResumeOnDrop {
    fn drop(&mut self) {
        let url = self.0.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(admin) = db::connect(&url, Duration::from_secs(5), None).await {
                    let _ = admin.execute_unprepared("SELECT pg_wal_replay_resume()").await;
                }
            });
        })
        .join();
    }
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> Option<i64> {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned())).await.ok()??;
    row.try_get_by_index::<i64>(0).ok()
}

/// Table scans (sequential and by index) of the schema's tables but `users`, as the
/// database's own statistics count them.
async fn scans(admin: &DatabaseConnection, schema: &str) -> i64 {
    let sql = format!(
        "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0)::bigint FROM pg_stat_user_tables \
         WHERE schemaname = '{schema}' AND relname <> 'users'"
    );
    scalar(admin, &sql).await.unwrap_or(0)
}

/// Waits (up to `within`) for `check` to hold; panics naming `what` otherwise.
async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn readiness(server: &str) -> Value {
    reqwest::get(format!("{server}/readyz")).await.unwrap().json().await.unwrap()
}

const NAME: &str = "query Name($id: UUID!) { campaign(id: $id) { name performance { totalEmailsSent } } }";
const RENAME: &str =
    "mutation Rename($id: UUID!, $name: String!) { updateCampaign(id: $id, input: { name: $name }) { name } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_read_the_replica_writes_the_primary_writers_see_their_writes_and_a_lost_replica_is_skipped() {
    let Some(replica_admin_url) = replica_url() else { return };
    let Some(db) = TestDb::postgres().await else {
        TestDb::skipped_without_postgres();
        return;
    };
    let schema = db.schema().expect("a PostgreSQL schema").to_owned();
    let replica_admin = db::connect(&replica_admin_url, Duration::from_secs(10), None).await.expect("the replica");
    assert_eq!(scalar(&replica_admin, "SELECT pg_is_in_recovery()::int::bigint").await, Some(1), "not a standby");
    let _resume = ResumeOnDrop(replica_admin_url.clone());
    replica_admin.execute_unprepared("SELECT pg_wal_replay_resume()").await.unwrap();

    let (brand, _, campaign) = sample_campaign(&db).await;
    let observer = retailer("Observer", entity::enums::Region::North)
        .user_type(entity::enums::UserType::Brand)
        .insert(&db.conn)
        .await;
    let in_schema = format!("SELECT count(*) FROM {schema}.campaigns");
    eventually("the replica replays the test's data", Duration::from_secs(20), || async {
        scalar(&replica_admin, &in_schema).await == Some(1)
    })
    .await;

    // Each connection counts its statements (the replicas monitor's position checks apart).
    let counter = |count: Arc<AtomicU64>| {
        move |info: &sea_orm::metric::Info<'_>| {
            if !info.statement.sql.contains("pg_lsn") {
                count.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    let (on_primary, on_replica) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut primary = db.conn.clone();
    primary.set_metric_callback(counter(on_primary.clone()));
    let target = url::Url::parse(&replica_admin_url).unwrap();
    let proxy = Proxy::start(format!("{}:{}", target.host_str().unwrap(), target.port().unwrap_or(5432))).await;
    let through_proxy = format!(
        "postgres://{}@127.0.0.1:{}{}?options=-c%20search_path%3D{schema}",
        target.username(),
        proxy.port,
        target.path()
    );
    let max_lag = Duration::from_secs(2);
    let replicas =
        db::replicas(&primary, &[through_proxy], max_lag, Duration::from_secs(5), None, counter(on_replica.clone()))
            .await
            .unwrap();
    let server = serve(test_state(&primary, Default::default()).with_replicas(replicas)).await;
    let ready = readiness(&server).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["replicas"][0]["usable"], true, "{ready}");
    let (token, watcher) = (token_for(brand.id), token_for(observer.id));
    let name_as = |token: String| {
        let server = server.clone();
        async move {
            let (status, body) = post_graphql(&server, Some(&token), NAME, json!({ "id": campaign })).await;
            assert_eq!(status, 200, "{body}");
            assert!(body.get("errors").is_none(), "{body}");
            body["data"]["campaign"]["name"].as_str().unwrap().to_owned()
        }
    };
    // Each caller's user is read once (from the primary: a deactivated user is refused at
    // once, never after a replica's lag).
    name_as(token.clone()).await;
    name_as(watcher.clone()).await;

    // Queries: every statement on the replica, none on the primary.
    let (primary_before, replica_before) = (on_primary.load(Ordering::SeqCst), on_replica.load(Ordering::SeqCst));
    let scans_before = scans(&replica_admin, &schema).await;
    for _ in 0..3 {
        assert_eq!(name_as(token.clone()).await, "AW25 Couture Launch");
    }
    assert_eq!(on_primary.load(Ordering::SeqCst) - primary_before, 0, "a query read from the primary");
    assert!(on_replica.load(Ordering::SeqCst) - replica_before >= 3, "the queries did not read from the replica");
    // The replica's own statistics count them (backends report them within a few seconds).
    eventually("the replica's statistics count the queries' scans", Duration::from_secs(20), || async {
        scans(&replica_admin, &schema).await > scans_before
    })
    .await;
    // The answer is the primary's (the replica is caught up).
    let direct = gql_as(&db.conn, &brand, NAME, json!({ "id": campaign })).await;
    let (_, over_http) = post_graphql(&server, Some(&token), NAME, json!({ "id": campaign })).await;
    assert_eq!(over_http["data"], direct);

    // A mutation: written on the primary (a replica refuses writes), nothing read on the replica.
    let replica_before = on_replica.load(Ordering::SeqCst);
    let (status, body) =
        post_graphql(&server, Some(&token), RENAME, json!({ "id": campaign, "name": "AW25 — first" })).await;
    assert_eq!(
        (status.as_u16(), body["data"]["updateCampaign"]["name"].clone()),
        (200, json!("AW25 — first")),
        "{body}"
    );
    assert_eq!(on_replica.load(Ordering::SeqCst) - replica_before, 0, "the mutation read from the replica");
    // Its writer reads it at once (the replica may not have it yet).
    assert_eq!(name_as(token.clone()).await, "AW25 — first");

    // With the replica's replay paused: the writer still reads their own write at once, from
    // the primary; another caller reads the replica, which does not have it yet.
    eventually("the replica replays the rename", Duration::from_secs(20), || async {
        name_as(watcher.clone()).await == "AW25 — first"
    })
    .await;
    replica_admin.execute_unprepared("SELECT pg_wal_replay_pause()").await.unwrap();
    let (status, body) =
        post_graphql(&server, Some(&token), RENAME, json!({ "id": campaign, "name": "AW25 — second" })).await;
    assert_eq!(status, 200, "{body}");
    let replica_before = on_replica.load(Ordering::SeqCst);
    assert_eq!(name_as(token.clone()).await, "AW25 — second", "the writer must read their own write");
    assert_eq!(on_replica.load(Ordering::SeqCst) - replica_before, 0, "the writer's read went to a replica without it");
    assert_eq!(
        name_as(watcher.clone()).await,
        "AW25 — first",
        "another caller reads the replica, within its lag bound"
    );
    assert!(on_replica.load(Ordering::SeqCst) > replica_before);

    // Past the lag bound the replica is skipped: readiness says so, everyone reads the primary.
    eventually("readiness reports the lagging replica skipped", Duration::from_secs(20), || async {
        let ready = readiness(&server).await;
        ready["replicas"][0]["usable"] == false
            && ready["replicas"][0]["problem"].as_str().is_some_and(|p| p.contains("lags"))
    })
    .await;
    assert_eq!(name_as(watcher.clone()).await, "AW25 — second");

    // Replay resumed, the replica catches up and serves reads again.
    replica_admin.execute_unprepared("SELECT pg_wal_replay_resume()").await.unwrap();
    eventually("readiness reports the replica in use again", Duration::from_secs(20), || async {
        readiness(&server).await["replicas"][0]["usable"] == true
    })
    .await;
    let replica_before = on_replica.load(Ordering::SeqCst);
    assert_eq!(name_as(watcher.clone()).await, "AW25 — second");
    assert!(on_replica.load(Ordering::SeqCst) > replica_before, "the replica is not read again");

    // The replica goes away: reads keep answering (the first one that meets the dead
    // connection runs again on the primary), readiness names the replica.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed =
        browser.post(format!("{server}/dashboard/sign-in")).form(&[("token", watcher.clone())]).send().await.unwrap();
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    proxy.stop();
    // The dashboard reads as queries do, and keeps answering too.
    let page = browser
        .get(format!("{server}/dashboard/brand-performance/campaigns/{campaign}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("AW25 — second"));
    for _ in 0..5 {
        assert_eq!(name_as(watcher.clone()).await, "AW25 — second");
        assert_eq!(name_as(token.clone()).await, "AW25 — second");
    }
    let ready = readiness(&server).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["replicas"][0]["usable"], false, "{ready}");
    let (status, body) = post_graphql(&server, Some(&token), RENAME, json!({ "id": campaign, "name": "AW25" })).await;
    assert_eq!((status.as_u16(), body["data"]["updateCampaign"]["name"].clone()), (200, json!("AW25")), "{body}");
    assert_eq!(name_as(watcher).await, "AW25");
}
