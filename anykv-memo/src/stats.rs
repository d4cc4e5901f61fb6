//! Per-cache counters, correct under concurrency.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a cache has done since it was made or last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoStats {
    /// Computations started by this cache (foreground or background).
    pub refresh: u64,
    /// Callers that waited for a missing value.
    pub wait: u64,
    /// Sleeps while waiting for a computation running elsewhere.
    pub sleep: u64,
    /// Computations that returned an error or panicked.
    pub failed: u64,
    /// Lookups that found no live value.
    pub missed: u64,
    /// Computations that stored a value.
    pub success: u64,
    /// Calls answered with the default because the value was missing and `wait` is off.
    pub default: u64,
    /// Callers that gave up waiting after `max_wait`.
    pub wait_timeout: u64,
    /// Calls answered with a fresh stored value.
    pub hit: u64,
    /// Calls answered with a stale stored value while it is refreshed.
    pub stale: u64,
    /// Store failures the cache went on without ([`MemoOptions::fail_open`](crate::MemoOptions::fail_open)):
    /// the function's result was returned uncached.
    pub store_failed: u64,
}

impl MemoStats {
    /// The share of calls answered from the cache (fresh or stale) among those that looked:
    /// `(hit + stale) / (hit + stale + missed)`; `None` before the first call.
    pub fn hit_ratio(&self) -> Option<f64> {
        let served = self.hit + self.stale;
        let looked = served + self.missed;
        (looked > 0).then(|| served as f64 / looked as f64)
    }
}

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// The cache's name, the `memo` label of its metrics.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    name: String,
    refresh: AtomicU64,
    wait: AtomicU64,
    sleep: AtomicU64,
    failed: AtomicU64,
    missed: AtomicU64,
    success: AtomicU64,
    default: AtomicU64,
    wait_timeout: AtomicU64,
    hit: AtomicU64,
    stale: AtomicU64,
    store_failed: AtomicU64,
}

/// One of the counters.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Refresh,
    Wait,
    Sleep,
    Failed,
    Missed,
    Success,
    Default,
    WaitTimeout,
    Hit,
    Stale,
    StoreFailed,
}

impl Counter {
    /// The `event` label of the counter's metric.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Counter::Refresh => "refresh",
            Counter::Wait => "wait",
            Counter::Sleep => "sleep",
            Counter::Failed => "failed",
            Counter::Missed => "missed",
            Counter::Success => "success",
            Counter::Default => "default",
            Counter::WaitTimeout => "wait_timeout",
            Counter::Hit => "hit",
            Counter::Stale => "stale",
            Counter::StoreFailed => "store_failed",
        }
    }
}

impl Counters {
    /// Zeroed counters of the cache `name`.
    pub(crate) fn named(name: &str) -> Self {
        Counters {
            name: name.to_owned(),
            ..Counters::default()
        }
    }

    fn cell(&self, counter: Counter) -> &AtomicU64 {
        match counter {
            Counter::Refresh => &self.refresh,
            Counter::Wait => &self.wait,
            Counter::Sleep => &self.sleep,
            Counter::Failed => &self.failed,
            Counter::Missed => &self.missed,
            Counter::Success => &self.success,
            Counter::Default => &self.default,
            Counter::WaitTimeout => &self.wait_timeout,
            Counter::Hit => &self.hit,
            Counter::Stale => &self.stale,
            Counter::StoreFailed => &self.store_failed,
        }
    }

    pub(crate) fn add(&self, counter: Counter) {
        self.cell(counter).fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        metrics::counter!(
            "kv_memo_events_total",
            "memo" => self.name.clone(),
            "event" => counter.as_str()
        )
        .increment(1);
    }

    pub(crate) fn snapshot(&self) -> MemoStats {
        let get = |counter| self.cell(counter).load(Ordering::Relaxed);
        MemoStats {
            refresh: get(Counter::Refresh),
            wait: get(Counter::Wait),
            sleep: get(Counter::Sleep),
            failed: get(Counter::Failed),
            missed: get(Counter::Missed),
            success: get(Counter::Success),
            default: get(Counter::Default),
            wait_timeout: get(Counter::WaitTimeout),
            hit: get(Counter::Hit),
            stale: get(Counter::Stale),
            store_failed: get(Counter::StoreFailed),
        }
    }

    pub(crate) fn reset(&self) {
        for counter in [
            Counter::Refresh,
            Counter::Wait,
            Counter::Sleep,
            Counter::Failed,
            Counter::Missed,
            Counter::Success,
            Counter::Default,
            Counter::WaitTimeout,
            Counter::Hit,
            Counter::Stale,
            Counter::StoreFailed,
        ] {
            self.cell(counter).store(0, Ordering::Relaxed);
        }
    }
}
