//! Per-caller rate limit (GCRA, via `governor`): by user for a verified token, by client
//! address otherwise; and a bound on how many requests one caller has in flight at once, so
//! that the work and memory one token holds stay bounded whatever the rate allows.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Whom a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    User(Uuid),
    Address(IpAddr),
    Unknown,
}

pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<RateKey>,
    clock: DefaultClock,
    checks: std::sync::atomic::AtomicU64,
    /// Requests each caller has in flight (callers with none are not kept).
    in_flight: Mutex<HashMap<RateKey, usize>>,
    max_in_flight: usize,
}

/// One request in flight, counted against its caller until dropped.
pub struct InFlight {
    limiter: Arc<RateLimiter>,
    key: RateKey,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut counts = self.limiter.counts();
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// Every this many checks, keys whose allowance is full again are forgotten, so the map does
/// not grow with every client ever seen.
const PRUNE_EVERY: u64 = 4096;

impl RateLimiter {
    /// `per_minute` requests a minute, in bursts of up to a tenth of that (at least 1), and
    /// at most `max_in_flight` at once (at least 1).
    pub fn new(per_minute: u32, max_in_flight: usize) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new((per_minute / 10).max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
            checks: Default::default(),
            in_flight: Mutex::default(),
            max_in_flight: max_in_flight.max(1),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<RateKey, usize>> {
        self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a request of `key` in flight until the guard drops, or `None` when `key`
    /// already has the most it may.
    pub fn enter(self: &Arc<Self>, key: RateKey) -> Option<InFlight> {
        let mut counts = self.counts();
        let n = counts.entry(key.clone()).or_insert(0);
        if *n >= self.max_in_flight {
            return None;
        }
        *n += 1;
        Some(InFlight { limiter: self.clone(), key })
    }

    /// `Ok` when `key` may make a request now; otherwise how long until it may.
    pub fn check(&self, key: &RateKey) -> Result<(), Duration> {
        if self.checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_holds_at_most_its_share_in_flight_and_gets_it_back() {
        let limiter = Arc::new(RateLimiter::new(600, 2));
        let key = RateKey::User(Uuid::nil());
        let (a, b) = (limiter.enter(key.clone()).unwrap(), limiter.enter(key.clone()).unwrap());
        assert!(limiter.enter(key.clone()).is_none());
        assert!(limiter.enter(RateKey::Unknown).is_some(), "another caller has its own share");
        drop(a);
        let c = limiter.enter(key.clone()).unwrap();
        drop((b, c));
        assert!(limiter.counts().is_empty(), "callers with nothing in flight are forgotten");
    }
}
