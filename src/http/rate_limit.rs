//! Per-caller rate limit (GCRA, via `governor`): by user for a verified token, by client
//! address otherwise.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
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
}

/// Every this many checks, keys whose allowance is full again are forgotten, so the map does
/// not grow with every client ever seen.
const PRUNE_EVERY: u64 = 4096;

impl RateLimiter {
    /// `per_minute` requests a minute, in bursts of up to a tenth of that (at least 1).
    pub fn per_minute(per_minute: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new((per_minute / 10).max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
            checks: Default::default(),
        }
    }

    /// `Ok` when `key` may make a request now; otherwise how long until it may.
    pub fn check(&self, key: &RateKey) -> Result<(), Duration> {
        if self.checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}
