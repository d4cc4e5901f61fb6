//! Per-cache counters, correct under concurrency, and their shared copies in the store
//! ([`MemoOptions::shared_stats`](crate::MemoOptions::shared_stats)).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// The live counters, and (with [`MemoOptions::shared_stats`](crate::MemoOptions::shared_stats))
/// what they counted since the last flush to the store.
#[derive(Debug)]
pub(crate) struct Counters {
    /// The cache's name, the `memo` label of its metrics and the key of its shared counters.
    name: String,
    counts: [AtomicU64; COUNTERS],
    /// Counted but not yet added to the shared counters.
    pending: [AtomicU64; COUNTERS],
    /// How often the pending counts go to the store; `None`: never (not shared).
    flush_every: Option<Duration>,
    /// When the pending counts last went to the store (or the counters were made).
    last_flush: Mutex<Instant>,
}

/// How many counters there are.
const COUNTERS: usize = Counter::ALL.len();

/// The prefix of the keys of every cache's shared counters: `memo-stats:<name>:<event>`.
pub const SHARED_PREFIX: &str = "memo-stats:";

/// One of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Every counter, in the order of their cells.
    pub(crate) const ALL: [Counter; 11] = [
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
    ];

    /// The `event` label of the counter's metric, and the last part of its shared key.
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

    fn index(self) -> usize {
        self as usize
    }
}

impl MemoStats {
    /// Statistics from a value per counter, in the order of [`Counter::ALL`].
    fn from_values(values: [u64; COUNTERS]) -> Self {
        let [refresh, wait, sleep, failed, missed, success, default, wait_timeout, hit, stale, store_failed] =
            values;
        MemoStats {
            refresh,
            wait,
            sleep,
            failed,
            missed,
            success,
            default,
            wait_timeout,
            hit,
            stale,
            store_failed,
        }
    }

    /// The statistics of the cache `name` from the values of [`shared_keys`] read from a store
    /// (a missing key counts 0; a value that is not a counter is an error naming it).
    pub(crate) fn from_shared(
        keys: &[String],
        values: Vec<Option<Vec<u8>>>,
    ) -> anykv_core::Result<Self> {
        let mut counts = [0u64; COUNTERS];
        for ((count, key), value) in counts.iter_mut().zip(keys).zip(values) {
            if let Some(value) = value {
                let n = anykv_core::counter::decode(key, &value)?;
                *count = u64::try_from(n).unwrap_or(0);
            }
        }
        Ok(MemoStats::from_values(counts))
    }

    /// The counters of every cache whose shared counters a listing of the store found:
    /// `(name, statistics)` for each key of [`SHARED_PREFIX`] and its value, in name order.
    /// Keys of another form and values that are not counters are skipped.
    pub fn of_shared_entries(
        entries: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Vec<(String, MemoStats)> {
        let mut by_name: std::collections::BTreeMap<String, [u64; COUNTERS]> =
            std::collections::BTreeMap::new();
        for (key, value) in entries {
            let Some(rest) = key.strip_prefix(SHARED_PREFIX) else {
                continue;
            };
            let Some((name, event)) = rest.rsplit_once(':') else {
                continue;
            };
            let Some(counter) = Counter::ALL.iter().find(|c| c.as_str() == event) else {
                continue;
            };
            let Ok(n) = anykv_core::counter::decode(&key, &value) else {
                continue;
            };
            by_name.entry(name.to_owned()).or_default()[counter.index()] =
                u64::try_from(n).unwrap_or(0);
        }
        by_name
            .into_iter()
            .map(|(name, counts)| (name, MemoStats::from_values(counts)))
            .collect()
    }
}

/// The keys of the shared counters of the cache `name`, in the order of [`Counter::ALL`].
pub(crate) fn shared_keys(name: &str) -> Vec<String> {
    Counter::ALL
        .iter()
        .map(|counter| format!("{SHARED_PREFIX}{name}:{}", counter.as_str()))
        .collect()
}

impl Counters {
    /// Zeroed counters of the cache `name`, flushed to the store every `flush_every` if given.
    pub(crate) fn named(name: &str, flush_every: Option<Duration>) -> Self {
        Counters {
            name: name.to_owned(),
            counts: Default::default(),
            pending: Default::default(),
            flush_every,
            last_flush: Mutex::new(Instant::now()),
        }
    }

    pub(crate) fn add(&self, counter: Counter) {
        self.counts[counter.index()].fetch_add(1, Ordering::Relaxed);
        if self.flush_every.is_some() {
            self.pending[counter.index()].fetch_add(1, Ordering::Relaxed);
        }
        #[cfg(feature = "metrics")]
        metrics::counter!(
            "kv_memo_events_total",
            "memo" => self.name.clone(),
            "event" => counter.as_str()
        )
        .increment(1);
    }

    pub(crate) fn snapshot(&self) -> MemoStats {
        MemoStats::from_values(std::array::from_fn(|i| {
            self.counts[i].load(Ordering::Relaxed)
        }))
    }

    /// Zeroes this process's counters (the shared ones are left as they are).
    pub(crate) fn reset(&self) {
        for count in &self.counts {
            count.store(0, Ordering::Relaxed);
        }
    }

    /// Whether the pending counts are due for the store: shared, and `flush_every` passed since
    /// the last flush. Claims the flush (one caller at a time gets `true`).
    pub(crate) fn flush_due(&self) -> bool {
        let Some(every) = self.flush_every else {
            return false;
        };
        let Ok(mut last) = self.last_flush.try_lock() else {
            return false;
        };
        if last.elapsed() < every {
            return false;
        }
        *last = Instant::now();
        true
    }

    /// Takes the pending counts: `(shared key, count)` of each counter that counted.
    pub(crate) fn take_pending(&self) -> Vec<(String, Counter, u64)> {
        let keys = shared_keys(&self.name);
        Counter::ALL
            .iter()
            .zip(keys)
            .filter_map(|(counter, key)| {
                let taken = self.pending[counter.index()].swap(0, Ordering::Relaxed);
                (taken > 0).then_some((key, *counter, taken))
            })
            .collect()
    }

    /// Gives back counts that could not be added to the store, for the next flush.
    pub(crate) fn restore_pending(&self, counter: Counter, count: u64) {
        self.pending[counter.index()].fetch_add(count, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_keep_their_order_and_names() {
        for (i, counter) in Counter::ALL.iter().enumerate() {
            assert_eq!(counter.index(), i);
        }
        let counters = Counters::named("f", Some(Duration::from_secs(3600)));
        counters.add(Counter::Hit);
        counters.add(Counter::Hit);
        counters.add(Counter::Missed);
        assert_eq!(counters.snapshot().hit, 2);
        let pending = counters.take_pending();
        let pending: Vec<(String, u64)> = pending.into_iter().map(|(k, _, n)| (k, n)).collect();
        assert_eq!(
            pending,
            [
                ("memo-stats:f:missed".to_owned(), 1),
                ("memo-stats:f:hit".to_owned(), 2)
            ]
        );
        assert!(counters.take_pending().is_empty());
        let listed = MemoStats::of_shared_entries([
            ("memo-stats:a:b:hit".to_owned(), b"3".to_vec()),
            ("memo-stats:a:b:missed".to_owned(), b"1".to_vec()),
            ("memo-stats:x:unknown".to_owned(), b"1".to_vec()),
            ("memo-stats:y:hit".to_owned(), b"bad".to_vec()),
        ]);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].0, "a:b");
        assert_eq!((listed[0].1.hit, listed[0].1.missed), (3, 1));
    }
}
