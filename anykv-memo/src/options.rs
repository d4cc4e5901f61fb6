//! [`MemoOptions`]: the two TTLs, the retry duration, and what to do when there is no value.

use std::time::Duration;

/// How a [`Memo`](crate::Memo) caches.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MemoOptions {
    /// Prefix of every key of this cache (its "function name").
    pub name: String,
    /// After this, a value is stale: it is still returned, and one refresh runs in the background.
    pub refresh: Duration,
    /// After this, a value is gone (the entry's TTL).
    pub expire: Duration,
    /// Lifetime of the refresh lock: a refresher that crashed is replaced after it (default:
    /// `refresh`). A live refresher extends its lock every third of this lifetime however long
    /// it computes, so keep it well above a store round trip.
    pub retry: Option<Duration>,
    /// With no value: wait for the computation (`true`, the default) or return the default at
    /// once and compute in the background.
    pub wait: bool,
    /// `false` turns caching off: every call runs the function (for tests).
    pub enabled: bool,
    /// How long a caller waits for a value another caller is computing before it gives up as
    /// [`on_wait_timeout`](Self::on_wait_timeout) says (default: no limit).
    pub max_wait: Option<Duration>,
    /// What a caller does when [`max_wait`](Self::max_wait) runs out.
    pub on_wait_timeout: OnWaitTimeout,
    /// When the store fails (unreachable, timed out, a value it cannot decode): `false` (the
    /// default) returns [`MemoError::Storage`](crate::MemoError::Storage); `true` runs the
    /// function and returns its result uncached (counted as `store_failed`), as rediscache does
    /// when Redis is down. A value computed before the store failed is returned, not lost.
    pub fail_open: bool,
    /// Counters shared by every process using the store: this cache adds what it counted to
    /// counters kept in the store (`memo-stats:<name>:<event>`, by the store's atomic
    /// [`increment`](anykv_core::KvStorage::increment)) at most this often, during a call, and
    /// on [`flush_stats`](crate::Memo::flush_stats). `None` (the default): counters of this
    /// process only. Read with [`shared_stats`](crate::Memo::shared_stats) or `kvs stats`.
    pub shared_stats: Option<Duration>,
}

/// What a caller does when it has waited [`MemoOptions::max_wait`] for another caller's
/// computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnWaitTimeout {
    /// Compute the value itself (and store it), without the lock: the computation may run
    /// twice, the caller never waits longer.
    #[default]
    Compute,
    /// Return [`MemoError::WaitTimedOut`](crate::MemoError::WaitTimedOut).
    Fail,
}

impl MemoOptions {
    /// A cache named `name` (the key prefix) refreshing after `refresh` and expiring after
    /// `expire`.
    pub fn new(name: impl Into<String>, refresh: Duration, expire: Duration) -> Self {
        MemoOptions {
            name: name.into(),
            refresh,
            expire: expire.max(refresh),
            retry: None,
            wait: true,
            enabled: true,
            max_wait: None,
            on_wait_timeout: OnWaitTimeout::Compute,
            fail_open: false,
            shared_stats: None,
        }
    }

    /// The lock lifetime.
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Whether callers wait for a missing value.
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// Waits at most `max_wait` for another caller's computation, then does what `then` says.
    pub fn max_wait(mut self, max_wait: Duration, then: OnWaitTimeout) -> Self {
        self.max_wait = Some(max_wait);
        self.on_wait_timeout = then;
        self
    }

    /// Whether a store failure runs the function uncached instead of failing the call (see
    /// [`fail_open`](Self::fail_open)).
    pub fn fail_open(mut self, fail_open: bool) -> Self {
        self.fail_open = fail_open;
        self
    }

    /// Shares the counters across processes through the store, adding this process's counts
    /// at most every `every` (see [`shared_stats`](Self::shared_stats)).
    pub fn shared_stats(mut self, every: Duration) -> Self {
        self.shared_stats = Some(every);
        self
    }

    /// Turns caching on or off.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// The effective lock lifetime.
    pub(crate) fn lock_ttl(&self) -> Duration {
        self.retry
            .unwrap_or(self.refresh)
            .max(Duration::from_millis(1))
    }
}
