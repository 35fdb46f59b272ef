//! Which campaigns' figures just moved, for live subscriptions. On SQLite (one process) the
//! news goes straight to this process's subscribers; on PostgreSQL it goes through
//! `NOTIFY`/`LISTEN`, so every server process on the database hears it, this one included.
//! Each notification carries the primary's WAL position after the change, so that a
//! subscription reading from a replica reads one that has replayed it (`db::replicas`).

use crate::db::Heard;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel.
pub const CHANNEL: &str = "campaign_performance_changes";
/// A notification's payload stays under PostgreSQL's 8,000-byte limit: ids per `NOTIFY`.
const IDS_PER_NOTIFY: usize = 200;

#[derive(Clone)]
pub struct Changes {
    db: DatabaseConnection,
    sender: broadcast::Sender<Uuid>,
    listening: Arc<OnceLock<()>>,
    /// The newest WAL position a change was announced at (0 on SQLite).
    announced: Arc<AtomicU64>,
}

impl Changes {
    pub fn new(db: DatabaseConnection) -> Self {
        let (sender, _) = broadcast::channel(4_096);
        Changes { db, sender, listening: Arc::new(OnceLock::new()), announced: Arc::default() }
    }

    /// Tells every subscriber (in every process) that these campaigns' figures moved.
    /// Failing to tell is logged, never an error: the data is stored either way.
    pub async fn announce(&self, campaigns: &BTreeSet<Uuid>) {
        if campaigns.is_empty() {
            return;
        }
        match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let ids: Vec<String> = campaigns.iter().map(Uuid::to_string).collect();
                for chunk in ids.chunks(IDS_PER_NOTIFY) {
                    let stmt = Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT pg_notify($1, $2 || ';' || (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint)",
                        [CHANNEL.into(), chunk.join(",").into()],
                    );
                    if let Err(e) = self.db.execute_raw(stmt).await {
                        tracing::warn!(error = %e, "could not notify subscribers");
                    }
                }
            }
            _ => {
                for id in campaigns {
                    let _ = self.sender.send(*id);
                }
            }
        }
    }

    /// News of moved campaigns. On PostgreSQL the first subscriber starts this process's listener.
    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        let receiver = self.sender.subscribe();
        if self.db.get_database_backend() == DbBackend::Postgres {
            self.listening.get_or_init(|| {
                tokio::spawn(listen(self.db.clone(), self.sender.clone(), self.announced.clone()));
            });
        }
        receiver
    }

    /// The newest WAL position heard with a change: reads after the news see at least this.
    pub fn announced(&self) -> crate::db::replicas::Lsn {
        self.announced.load(Ordering::Acquire)
    }
}

/// The news "any campaign may have moved": what was announced while no listener listened
/// (before the first one, or while one reconnects) was missed, so every subscriber reads its
/// figures again.
pub const ANY: Uuid = Uuid::nil();

/// Forwards the channel's notifications to this process's subscribers; each time it starts
/// listening (at start, and after a lost connection), tells them `ANY`.
async fn listen(db: DatabaseConnection, sender: broadcast::Sender<Uuid>, announced: Arc<AtomicU64>) {
    crate::db::listen(db, CHANNEL, |heard| match heard {
        Heard::Payload(payload) => {
            // `ids;position` (a payload without the position, from an older process, is ids).
            let (ids, at) = payload.split_once(';').unwrap_or((payload, ""));
            if let Ok(at) = at.parse::<u64>() {
                announced.fetch_max(at, Ordering::AcqRel);
            }
            for id in ids.split(',').filter_map(|s| Uuid::parse_str(s).ok()) {
                let _ = sender.send(id);
            }
        }
        Heard::Listening => {
            let _ = sender.send(ANY);
        }
        Heard::Lost => {}
    })
    .await
}
