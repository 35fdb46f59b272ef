//! Streaming replicas of the PostgreSQL primary that serve reads (`DATABASE_READ_URLS`).
//!
//! Positions are WAL positions (LSNs, as bytes). A monitor asks the primary for its position
//! and each replica for the position it has replayed every `POLL`. A replica's lag is how
//! long ago the primary last stood at a position the replica has not yet replayed: it has
//! everything the primary had at `now - lag`. A replica is usable while it answers, is in
//! recovery and lags at most `max_lag`; reads go round-robin to the usable ones, the primary
//! when none is.
//!
//! Read-your-writes: after a caller's mutation the primary's position is remembered for that
//! caller, and that caller's reads go only to a replica that has replayed it (else to the
//! primary). The memory is per process and lasts `max_lag` and a little (past that, every
//! usable replica has the write). Subscriptions' reads likewise need the position each
//! change was announced at (`ingest::changes`).

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How often the monitor reads the positions.
pub const POLL: Duration = Duration::from_millis(250);
/// How long one position check may take before the replica counts as gone.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);
/// The primary's position: where its next WAL record goes (at or past every commit so far).
const PRIMARY_POSITION: &str = "pg_current_wal_insert_lsn()";
/// Callers whose writes are remembered at most (the oldest are forgotten first beyond it).
const MAX_WRITERS: usize = 100_000;

/// A WAL position, in bytes from the start (PostgreSQL's `pg_lsn` minus `'0/0'`).
pub type Lsn = u64;

/// One replica as the monitor last saw it.
pub struct Replica {
    /// Its URL without the password, for logs and readiness.
    pub name: String,
    pub db: DatabaseConnection,
    replayed: AtomicU64,
    usable: AtomicBool,
    /// Milliseconds; `u64::MAX` when unknown (never reached, or behind every remembered sample).
    lag_ms: AtomicU64,
    problem: Mutex<Option<String>>,
}

/// A replica's state, for readiness and metrics.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaStatus {
    pub name: String,
    pub usable: bool,
    /// Seconds behind the primary; absent when not known.
    pub lag_seconds: Option<f64>,
    pub problem: Option<String>,
}

/// The primary and its replicas (none: every read goes to the primary).
#[derive(Clone)]
pub struct Replicas {
    inner: Arc<Inner>,
}

struct Inner {
    primary: DatabaseConnection,
    replicas: Vec<Replica>,
    max_lag: Duration,
    next: AtomicUsize,
    /// The primary's position at recent polls, oldest first.
    samples: Mutex<VecDeque<(Instant, Lsn)>>,
    /// Each recent writer's position after their last write, and when.
    writes: Mutex<HashMap<Uuid, (Lsn, Instant)>>,
}

impl Replicas {
    /// No replicas: every read goes to `primary`.
    pub fn none(primary: DatabaseConnection) -> Replicas {
        Replicas::with(primary, Vec::new(), Duration::ZERO)
    }

    fn with(primary: DatabaseConnection, replicas: Vec<Replica>, max_lag: Duration) -> Replicas {
        Replicas {
            inner: Arc::new(Inner {
                primary,
                replicas,
                max_lag,
                next: AtomicUsize::new(0),
                samples: Mutex::new(VecDeque::new()),
                writes: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The primary's replicas at `connections` (name, connection), read while they lag at
    /// most `max_lag`. Checks them once before returning, then every `POLL` for as long as
    /// the returned value (or a clone) lives.
    pub async fn watch(
        primary: DatabaseConnection,
        connections: Vec<(String, DatabaseConnection)>,
        max_lag: Duration,
    ) -> anyhow::Result<Replicas> {
        if connections.is_empty() {
            return Ok(Replicas::none(primary));
        }
        anyhow::ensure!(
            primary.get_database_backend() == DbBackend::Postgres,
            "read replicas (DATABASE_READ_URLS) need a PostgreSQL primary (DATABASE_URL)"
        );
        let replicas = connections
            .into_iter()
            .map(|(name, db)| Replica {
                name,
                db,
                replayed: AtomicU64::new(0),
                usable: AtomicBool::new(false),
                lag_ms: AtomicU64::new(u64::MAX),
                problem: Mutex::new(Some("not checked yet".into())),
            })
            .collect();
        let replicas = Replicas::with(primary, replicas, max_lag);
        replicas.check().await;
        // Two checks a poll apart: the first gives the replicas a sample of the primary to be
        // measured against.
        tokio::time::sleep(POLL).await;
        replicas.check().await;
        let weak = Arc::downgrade(&replicas.inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                let Some(inner) = weak.upgrade() else { return };
                Replicas { inner }.check().await;
            }
        });
        Ok(replicas)
    }

    pub fn primary(&self) -> &DatabaseConnection {
        &self.inner.primary
    }

    pub fn replicas(&self) -> &[Replica] {
        &self.inner.replicas
    }

    pub fn is_empty(&self) -> bool {
        self.inner.replicas.is_empty()
    }

    /// A usable replica that has replayed `at_least` (round-robin among them), or `None`: read
    /// from the primary.
    pub fn pick(&self, at_least: Lsn) -> Option<usize> {
        let replicas = &self.inner.replicas;
        if replicas.is_empty() {
            return None;
        }
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        (0..replicas.len()).map(|i| (start + i) % replicas.len()).find(|&i| {
            let r = &replicas[i];
            r.usable.load(Ordering::Acquire) && r.replayed.load(Ordering::Acquire) >= at_least
        })
    }

    /// The position `caller`'s reads must see: their last write's, while it is recent.
    pub fn written_by(&self, caller: Option<Uuid>) -> Lsn {
        let Some(caller) = caller.filter(|_| !self.is_empty()) else { return 0 };
        let writes = self.inner.writes.lock().unwrap_or_else(PoisonError::into_inner);
        writes.get(&caller).filter(|(_, at)| at.elapsed() <= self.remember_for()).map_or(0, |(lsn, _)| *lsn)
    }

    /// Remembers that `caller` just wrote: their reads must see the primary as it is now.
    /// Nothing to do without replicas.
    pub async fn remember_write(&self, caller: Uuid) {
        if self.is_empty() {
            return;
        }
        match position(&self.inner.primary, PRIMARY_POSITION).await {
            Ok(Some(lsn)) => {
                let mut writes = self.inner.writes.lock().unwrap_or_else(PoisonError::into_inner);
                if writes.len() >= MAX_WRITERS {
                    let keep = self.remember_for();
                    writes.retain(|_, (_, at)| at.elapsed() <= keep);
                    if writes.len() >= MAX_WRITERS {
                        writes.clear();
                    }
                }
                writes.insert(caller, (lsn, Instant::now()));
            }
            // Not knowing the position, the caller reads from the primary for a while.
            _ => {
                let mut writes = self.inner.writes.lock().unwrap_or_else(PoisonError::into_inner);
                writes.insert(caller, (Lsn::MAX, Instant::now()));
            }
        }
    }

    /// Checks replica `index` now (after a failed read): false, and marked unusable until
    /// the monitor sees it well again, when it does not answer.
    pub async fn recheck(&self, index: usize) -> bool {
        let replica = &self.inner.replicas[index];
        let answers =
            matches!(tokio::time::timeout(CHECK_TIMEOUT, replica.db.execute_unprepared("SELECT 1")).await, Ok(Ok(_)));
        if !answers {
            replica.usable.store(false, Ordering::Release);
            replica.set_problem(Some("does not answer".into()));
            tracing::warn!(replica = %replica.name, "a read replica stopped answering; reading elsewhere");
        }
        answers
    }

    pub fn status(&self) -> Vec<ReplicaStatus> {
        self.inner
            .replicas
            .iter()
            .map(|r| {
                let lag_ms = r.lag_ms.load(Ordering::Acquire);
                ReplicaStatus {
                    name: r.name.clone(),
                    usable: r.usable.load(Ordering::Acquire),
                    lag_seconds: (lag_ms != u64::MAX).then(|| lag_ms as f64 / 1000.0),
                    problem: r.problem.lock().unwrap_or_else(PoisonError::into_inner).clone(),
                }
            })
            .collect()
    }

    fn remember_for(&self) -> Duration {
        self.inner.max_lag + 2 * POLL
    }

    /// One poll: the primary's position, then each replica's, side by side.
    async fn check(&self) {
        let inner = &self.inner;
        let now = Instant::now();
        match position(&inner.primary, PRIMARY_POSITION).await {
            Ok(Some(lsn)) => {
                let mut samples = inner.samples.lock().unwrap_or_else(PoisonError::into_inner);
                samples.push_back((now, lsn));
                let keep = inner.max_lag + Duration::from_secs(2);
                while samples.len() > 1 && samples.front().is_some_and(|(at, _)| now.duration_since(*at) > keep) {
                    samples.pop_front();
                }
            }
            // Without the primary's position no lag can be measured: the replicas keep their
            // state until it answers again.
            _ => return,
        }
        let replayed = async_graphql::futures_util::future::join_all(inner.replicas.iter().map(|r| async move {
            let asked = "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() END";
            tokio::time::timeout(CHECK_TIMEOUT, position(&r.db, asked)).await
        }))
        .await;
        let samples = inner.samples.lock().unwrap_or_else(PoisonError::into_inner).clone();
        writers_forget(inner, self.remember_for());
        for (replica, result) in inner.replicas.iter().zip(replayed) {
            let (usable, lag, problem) = match result {
                Err(_) => (false, None, Some("does not answer within 1 s".to_owned())),
                Ok(Err(e)) => (false, None, Some(format!("does not answer: {}", short(&e.to_string())))),
                Ok(Ok(None)) => (false, None, Some("is not in recovery (not a replica)".to_owned())),
                Ok(Ok(Some(lsn))) => {
                    replica.replayed.store(lsn, Ordering::Release);
                    let lag = lag_of(&samples, lsn, now);
                    match lag {
                        Some(lag) if lag <= inner.max_lag => (true, Some(lag), None),
                        _ => (false, lag, Some(format!("lags more than {} ms", inner.max_lag.as_millis()))),
                    }
                }
            };
            let was = replica.usable.swap(usable, Ordering::AcqRel);
            replica.lag_ms.store(lag.map_or(u64::MAX, |l| l.as_millis() as u64), Ordering::Release);
            if was != usable {
                match &problem {
                    Some(p) => tracing::warn!(replica = %replica.name, problem = %p, "read replica skipped"),
                    None => tracing::info!(replica = %replica.name, "read replica in use"),
                }
            }
            replica.set_problem(problem);
        }
    }
}

impl Replica {
    fn set_problem(&self, problem: Option<String>) {
        *self.problem.lock().unwrap_or_else(PoisonError::into_inner) = problem;
    }
}

/// Forgets writes older than `keep`: every usable replica has them.
fn writers_forget(inner: &Inner, keep: Duration) {
    inner.writes.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, (_, at)| at.elapsed() <= keep);
}

/// How far behind a replica that has replayed `replayed` is, from the primary's `samples`:
/// the time since the newest sample it has fully replayed (`None` when it has replayed none
/// of those remembered).
fn lag_of(samples: &VecDeque<(Instant, Lsn)>, replayed: Lsn, now: Instant) -> Option<Duration> {
    samples.iter().rev().find(|(_, lsn)| *lsn <= replayed).map(|(at, _)| now.duration_since(*at))
}

/// The first line of an error, bounded, for readiness (no SQL is involved: a connection error).
fn short(text: &str) -> String {
    text.lines().next().unwrap_or_default().chars().take(200).collect()
}

/// A position the connection reports (`what`: an expression of type `pg_lsn`), or `None`
/// when it is NULL.
async fn position(db: &DatabaseConnection, what: &str) -> Result<Option<Lsn>, sea_orm::DbErr> {
    let sql = format!("SELECT ({what} - '0/0'::pg_lsn)::bigint AS lsn");
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(row.and_then(|r| r.try_get::<Option<i64>>("", "lsn").ok().flatten()).map(|v| v.max(0) as Lsn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_time_since_the_newest_sample_fully_replayed() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let samples: VecDeque<_> = [(at(0), 100), (at(250), 100), (at(500), 180), (at(750), 300)].into();
        let now = at(1000);
        assert_eq!(lag_of(&samples, 300, now), Some(Duration::from_millis(250)));
        assert_eq!(lag_of(&samples, 299, now), Some(Duration::from_millis(500)));
        assert_eq!(lag_of(&samples, 100, now), Some(Duration::from_millis(750)));
        assert_eq!(lag_of(&samples, 99, now), None);
        assert_eq!(lag_of(&samples, 400, now), Some(Duration::from_millis(250)));
    }
}
