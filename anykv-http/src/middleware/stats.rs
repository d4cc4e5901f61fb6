//! Counters of what a middleware did.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a [`CacheMiddleware`](crate::CacheMiddleware) and its clones did since it was created.
/// The store's side (entries found, stored, unreadable) is in
/// [`ManagerStats`](crate::ManagerStats), through [`manager`](crate::CacheMiddleware::manager).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Requests answered by a fresh stored response.
    pub hits: u64,
    /// Requests the cache could not answer from the store at once (nothing stored, or stale
    /// outside stale-while-revalidate).
    pub misses: u64,
    /// Requests this process sent to the origin (revalidations and background refreshes too).
    pub origin_fetches: u64,
    /// Origin answers `304 Not Modified` that refreshed a stored response.
    pub revalidated: u64,
    /// Callers that found another caller (thread, process or host) fetching the URL and waited
    /// for its response instead of fetching.
    pub coalesced_waits: u64,
    /// Waiting callers answered by the response another caller fetched and stored.
    pub coalesced_hits: u64,
    /// Waiting callers that gave up after [`wait`](crate::CacheMiddleware::wait).
    pub wait_timeouts: u64,
    /// Stale responses served at once inside their stale-while-revalidate window.
    pub stale_while_revalidate: u64,
    /// Stale responses served because the origin failed, timed out or answered 5xx.
    pub stale_if_error: u64,
    /// Background revalidations this process ran (after serving a stale response).
    pub background_refreshes: u64,
    /// Background revalidations that failed (the origin or the store); the stale response
    /// stays until its window ends.
    pub refresh_failures: u64,
}

/// One counter of [`CacheStats`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Hit,
    Miss,
    OriginFetch,
    Revalidated,
    CoalescedWait,
    CoalescedHit,
    WaitTimeout,
    StaleWhileRevalidate,
    StaleIfError,
    BackgroundRefresh,
    RefreshFailure,
}

/// The live counters behind [`CacheStats`], indexed by [`Counter`].
#[derive(Debug, Default)]
pub(crate) struct Counters([AtomicU64; 11]);

impl Counters {
    /// Adds one to `counter`.
    pub(crate) fn add(&self, counter: Counter) {
        self.0[counter as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts now.
    pub(crate) fn snapshot(&self) -> CacheStats {
        let read = |counter: Counter| self.0[counter as usize].load(Ordering::Relaxed);
        CacheStats {
            hits: read(Counter::Hit),
            misses: read(Counter::Miss),
            origin_fetches: read(Counter::OriginFetch),
            revalidated: read(Counter::Revalidated),
            coalesced_waits: read(Counter::CoalescedWait),
            coalesced_hits: read(Counter::CoalescedHit),
            wait_timeouts: read(Counter::WaitTimeout),
            stale_while_revalidate: read(Counter::StaleWhileRevalidate),
            stale_if_error: read(Counter::StaleIfError),
            background_refreshes: read(Counter::BackgroundRefresh),
            refresh_failures: read(Counter::RefreshFailure),
        }
    }
}
