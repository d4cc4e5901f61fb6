//! How a [`CacheMiddleware`](super::CacheMiddleware) protects the origin.

use std::time::Duration;

/// What a caller does when another caller's fetch of the same URL has not been stored within
/// [`wait`](super::CacheMiddleware::wait).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnWaitTimeout {
    /// Fetch from the origin itself (counted as a wait timeout). The default: a slow origin
    /// delays callers, it never fails them.
    #[default]
    Fetch,
    /// Fail the request with [`WaitTimedOut`](crate::WaitTimedOut).
    Fail,
}

/// The middleware's settings; see the setters of [`CacheMiddleware`](super::CacheMiddleware).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) wait: Duration,
    pub(crate) on_wait_timeout: OnWaitTimeout,
    pub(crate) lease_ttl: Duration,
    pub(crate) stale_while_revalidate: Duration,
    pub(crate) stale_if_error: Duration,
    pub(crate) origin_timeout: Option<Duration>,
    pub(crate) policy: http_cache_semantics::CacheOptions,
    pub(crate) read_only: bool,
    pub(crate) cacheable_statuses: Option<Statuses>,
}

/// A set of HTTP statuses (100-999), a bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Statuses([u64; 16]);

impl Statuses {
    pub(crate) fn new(statuses: &[u16]) -> Self {
        let mut bits = [0u64; 16];
        for &status in statuses.iter().filter(|status| **status < 1024) {
            bits[usize::from(status / 64)] |= 1 << (status % 64);
        }
        Statuses(bits)
    }

    pub(crate) fn contains(self, status: u16) -> bool {
        status < 1024 && self.0[usize::from(status / 64)] & (1 << (status % 64)) != 0
    }
}

/// How long a caller waits for another's fetch by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// How long the lease of a fetch outlives a fetcher that stopped renewing it (crashed) by
/// default.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(10);

/// The first pause of a waiting caller between two looks at the store; it doubles up to
/// [`LONGEST_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(5);

/// The longest pause of a waiting caller between two looks at the store.
const LONGEST_POLL: Duration = Duration::from_millis(200);

impl Default for Options {
    fn default() -> Self {
        Options {
            wait: DEFAULT_WAIT,
            on_wait_timeout: OnWaitTimeout::Fetch,
            lease_ttl: DEFAULT_LEASE_TTL,
            stale_while_revalidate: Duration::ZERO,
            stale_if_error: Duration::ZERO,
            origin_timeout: None,
            policy: http_cache_semantics::CacheOptions::default(),
            read_only: false,
            cacheable_statuses: None,
        }
    }
}

/// The pause before a waiting caller's `polls`-th look at the store.
pub(crate) fn poll_interval(polls: u32) -> Duration {
    FIRST_POLL
        .saturating_mul(1 << polls.min(16))
        .min(LONGEST_POLL)
}
