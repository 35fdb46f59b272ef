//! A WebSocket connection's credentials, checked again at every subscription, before every
//! push and every few seconds while the socket is open: a token expires, a user is
//! deactivated or changes role while a socket stays open for hours. With the caps on what one
//! connection and one user may hold open.

use super::{Caller, UserCache, Verifier, Viewer, authenticate};
use crate::error::AppError;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Subscriptions one connection may hold at once.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 16;
/// Subscriptions one user may hold at once, over all their connections.
pub const MAX_SUBSCRIPTIONS_PER_USER: usize = 64;
/// WebSocket connections one user may hold open.
pub const MAX_CONNECTIONS_PER_USER: usize = 8;
/// How often an open socket's credentials are checked: a socket whose token expired or whose
/// user was deactivated is closed within this long.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// What every user holds open, shared by a server's sockets.
#[derive(Clone, Default)]
pub struct Holdings(Arc<Mutex<HashMap<Uuid, (usize, usize)>>>);

impl Holdings {
    /// The WebSocket connections and subscriptions open now, over every user.
    pub fn totals(&self) -> (usize, usize) {
        let all = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        all.values().fold((0, 0), |(c, s), (connections, subscriptions)| (c + connections, s + subscriptions))
    }

    /// Takes one of `user`'s connections (`connection`) or subscriptions; `None` at the cap.
    fn take(&self, user: Uuid, connection: bool) -> Option<Held> {
        let mut all = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (connections, subscriptions) = all.entry(user).or_default();
        let (count, cap) = if connection {
            (connections, MAX_CONNECTIONS_PER_USER)
        } else {
            (subscriptions, MAX_SUBSCRIPTIONS_PER_USER)
        };
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(Held { holdings: self.clone(), user, connection, of_connection: None })
    }
}

/// One connection or subscription held; given back when dropped.
pub struct Held {
    holdings: Holdings,
    user: Uuid,
    connection: bool,
    /// The connection's own count, for a subscription.
    of_connection: Option<Arc<AtomicUsize>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut all = self.holdings.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(counts) = all.get_mut(&self.user) {
            if self.connection {
                counts.0 = counts.0.saturating_sub(1);
            } else {
                counts.1 = counts.1.saturating_sub(1);
            }
            if *counts == (0, 0) {
                all.remove(&self.user);
            }
        }
        if let Some(n) = &self.of_connection {
            n.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// One socket's credentials, as it sent them.
#[derive(Clone)]
pub struct Session {
    authorization: String,
    db: DatabaseConnection,
    users: UserCache,
    verifier: Arc<Verifier>,
    holdings: Holdings,
    user: Uuid,
    subscriptions: Arc<AtomicUsize>,
}

impl Session {
    /// Authenticates a socket's `connection_init` and takes one of the user's connections;
    /// the `Held` gives it back when the socket closes.
    pub async fn open(
        authorization: Option<String>,
        db: DatabaseConnection,
        users: UserCache,
        verifier: Arc<Verifier>,
        holdings: Holdings,
    ) -> Result<(Session, Caller, Held), AppError> {
        let authorization = authorization.ok_or(AppError::Unauthenticated)?;
        let caller = match authenticate(&db, &users, &verifier, Some(&authorization)).await? {
            Viewer::User(caller) => caller,
            Viewer::Anonymous => return Err(AppError::Unauthenticated),
        };
        let user = caller.user.id;
        let held = holdings.take(user, true).ok_or_else(|| {
            AppError::invalid(
                "connection_init",
                format!("at most {MAX_CONNECTIONS_PER_USER} open connections per user"),
            )
        })?;
        let session = Session { authorization, db, users, verifier, holdings, user, subscriptions: Arc::default() };
        Ok((session, caller, held))
    }

    /// The caller as of now: the token still valid, the user still active, with their
    /// current role and scope.
    pub async fn caller(&self) -> Result<Caller, AppError> {
        match authenticate(&self.db, &self.users, &self.verifier, Some(&self.authorization)).await? {
            Viewer::User(caller) if caller.user.id == self.user => Ok(caller),
            _ => Err(AppError::Unauthenticated),
        }
    }

    /// Takes one subscription of this connection and of its user; `BAD_USER_INPUT` at a cap.
    pub fn subscribe(&self) -> Result<Held, AppError> {
        if self.subscriptions.fetch_add(1, Ordering::Relaxed) >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
            self.subscriptions.fetch_sub(1, Ordering::Relaxed);
            return Err(AppError::invalid(
                "subscribe",
                format!("at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection"),
            ));
        }
        match self.holdings.take(self.user, false) {
            Some(mut held) => {
                held.of_connection = Some(self.subscriptions.clone());
                Ok(held)
            }
            None => {
                self.subscriptions.fetch_sub(1, Ordering::Relaxed);
                Err(AppError::invalid(
                    "subscribe",
                    format!("at most {MAX_SUBSCRIPTIONS_PER_USER} subscriptions per user"),
                ))
            }
        }
    }
}
