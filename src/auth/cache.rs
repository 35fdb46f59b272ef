//! The users that bearer tokens name, remembered so that a request does not wait for a
//! database round trip to learn who its caller is — without ever serving a change late:
//!
//! - On PostgreSQL a trigger announces every committed change to `users` on a channel
//!   (migration `m20251129_000007`), and this process listens: the user is forgotten as the
//!   change commits, in every server process on the database. Nothing is served from memory
//!   while the listener is not connected (at start, after a lost connection), and all is
//!   forgotten when it (re)connects, since changes in between were not heard.
//! - A change made through this process (`deactivateUser`, `updateUser`) is forgotten here
//!   at once too, before its response is sent, so its effect is immediate for this process.
//! - A read that overlaps a change is not remembered: every change bumps a generation, and a
//!   user read from the database is kept only if no change was heard since the read began.
//! - On SQLite (embedded: in-process reads, and other processes such as `import` may write
//!   the file, unheard) every request reads its user.

use crate::db::Heard;
use entity::users;
use entity::users::CHANGES_CHANNEL as CHANNEL;
use sea_orm::{DatabaseConnection, DbBackend, DbErr, EntityTrait};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// More users than this and the memory starts over (it refills as requests come).
const MAX_USERS: usize = 100_000;

#[derive(Clone)]
pub struct UserCache {
    inner: Arc<Inner>,
}

struct Inner {
    /// Served from only while `live`.
    memory: Mutex<Memory>,
    /// True while the listener is connected.
    live: AtomicBool,
    /// The listener, stopped when the last handle on the cache goes.
    listener: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct Memory {
    users: HashMap<Uuid, users::Model>,
    /// Bumped by every change heard or made.
    generation: u64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.listener.get_mut().ok().and_then(Option::take) {
            task.abort();
        }
    }
}

impl UserCache {
    /// A cache for `db`: on PostgreSQL it starts listening (a task of the current runtime);
    /// on SQLite it remembers nothing.
    pub fn new(db: &DatabaseConnection) -> Self {
        let cache = Self::reading_always();
        if db.get_database_backend() == DbBackend::Postgres {
            let task = tokio::spawn(listen(db.clone(), Arc::downgrade(&cache.inner)));
            *cache.inner.listener.lock().expect("listener lock") = Some(task);
        }
        cache
    }

    /// A cache that remembers nothing: every look-up reads the database.
    pub fn reading_always() -> Self {
        let inner = Inner { memory: Mutex::default(), live: AtomicBool::new(false), listener: Mutex::new(None) };
        UserCache { inner: Arc::new(inner) }
    }

    /// The user with this id, from memory or else from the database.
    pub async fn user(&self, db: &DatabaseConnection, id: Uuid) -> Result<Option<users::Model>, DbErr> {
        let live = || self.inner.live.load(Ordering::Acquire);
        let generation = {
            let memory = self.inner.memory();
            if live()
                && let Some(user) = memory.users.get(&id)
            {
                return Ok(Some(user.clone()));
            }
            memory.generation
        };
        let found = users::Entity::find_by_id(id).one(db).await?;
        if let Some(user) = &found {
            let mut memory = self.inner.memory();
            if live() && memory.generation == generation {
                if memory.users.len() >= MAX_USERS {
                    memory.users.clear();
                }
                memory.users.insert(id, user.clone());
            }
        }
        Ok(found)
    }

    /// Forgets one user (after this process changed them).
    pub fn forget(&self, id: Uuid) {
        self.inner.forget(Some(id));
    }
}

impl Inner {
    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        // A panic while holding the lock leaves nothing half-written worth refusing.
        self.memory.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets one user, or everyone.
    fn forget(&self, id: Option<Uuid>) {
        let mut memory = self.memory();
        memory.generation += 1;
        match id {
            Some(id) => {
                memory.users.remove(&id);
            }
            None => memory.users.clear(),
        }
    }
}

/// Forgets each user the channel names (everyone for a payload that names nobody), and
/// everyone whenever listening starts or stops.
async fn listen(db: DatabaseConnection, cache: Weak<Inner>) {
    crate::db::listen(db, CHANNEL, move |heard| {
        let Some(cache) = cache.upgrade() else { return };
        match heard {
            Heard::Listening => {
                cache.forget(None);
                cache.live.store(true, Ordering::Release);
            }
            Heard::Payload(payload) => cache.forget(Uuid::parse_str(payload).ok()),
            Heard::Lost => {
                cache.live.store(false, Ordering::Release);
                cache.forget(None);
            }
        }
    })
    .await
}
