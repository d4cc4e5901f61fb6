//! [`NearTier`]: the bounded memory of a near cache, shared by the stores in front of one
//! remote store (both faces, every handle of the process).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use anykv_core::invalidation::Invalidation;
use anykv_core::{Entry, Timestamp};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

use super::clock::Tick;
use super::options::NearOptions;
use super::stats::{Counter, Counters, NearStats};

/// The bytes an entry is counted for besides its key and value (the map's own bookkeeping).
const ENTRY_OVERHEAD: u64 = 64;

/// One entry held in memory (cloned out whole on a hit: the value is the caller's copy).
#[derive(Debug, Clone)]
struct Held {
    value: Vec<u8>,
    expires_at: Option<Timestamp>,
    /// The end of the staleness bound: after it the entry is read from the store again.
    valid_until: Tick,
}

/// Weighs entries by their bytes, and at least `least` each (which bounds their number).
#[derive(Debug, Clone, Copy)]
struct Bytes {
    least: u64,
}

impl Weighter<String, Held> for Bytes {
    fn weight(&self, key: &String, held: &Held) -> u64 {
        (ENTRY_OVERHEAD + key.len() as u64 + held.value.len() as u64).max(self.least)
    }
}

struct Shared {
    cache: Cache<String, Held, Bytes>,
    /// Moves on at every invalidation: a fill that saw another generation before its read
    /// from the store may hold an older value, and is dropped.
    generation: AtomicU64,
    /// Fills check and insert under its read side, invalidations bump and remove under its
    /// write side: an entry read before a write is never inserted after that write's
    /// invalidation, not even for a moment.
    gate: RwLock<()>,
    /// Whether entries may be served: always without a feed; with one, only while it tracks.
    serving: AtomicBool,
    options: NearOptions,
    counters: Counters,
}

/// The memory of a near cache: entries read from a remote store, each served until the first
/// of its own expiry, the staleness bound ([`NearOptions::max_staleness`]) and an invalidation.
///
/// Clones share the memory. Put one tier in front of every handle of the same remote store in
/// a process (both faces included), so that a write through any of them invalidates what the
/// others would serve: [`NearCache::new`](super::NearCache::new) takes the tier to use.
#[derive(Clone)]
pub struct NearTier(Arc<Shared>);

impl std::fmt::Debug for NearTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NearTier")
            .field("options", &self.0.options)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// A fill's ticket: the generation before the read from the store, `None` when the tier does
/// not serve (nothing is filled then).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket(Option<u64>);

impl NearTier {
    /// A tier whose entries are served until their staleness bound: changes by other
    /// processes are seen within [`max_staleness`](NearOptions::max_staleness).
    pub fn new(options: NearOptions) -> Self {
        Self::build(options, true)
    }

    /// A tier fed by the store's invalidations ([`apply`](Self::apply)): it serves nothing until
    /// the feed reports [`Invalidation::Tracking`], and nothing again from a
    /// [`Invalidation::Lost`] until the next `Tracking`.
    pub fn fed(options: NearOptions) -> Self {
        Self::build(options, false)
    }

    fn build(options: NearOptions, serving: bool) -> Self {
        let capacity = options.max_bytes.max(1);
        let least = options
            .max_entries
            .map_or(0, |entries| capacity / entries.max(1));
        let estimated = options
            .max_entries
            .unwrap_or(capacity / 1024)
            .clamp(16, 1 << 20);
        let estimated = usize::try_from(estimated).unwrap_or(1 << 20);
        NearTier(Arc::new(Shared {
            cache: Cache::with_weighter(estimated, capacity, Bytes { least }),
            generation: AtomicU64::new(0),
            gate: RwLock::new(()),
            serving: AtomicBool::new(serving),
            options,
            counters: Counters::default(),
        }))
    }

    /// Applies one message of the store's invalidation feed.
    pub fn apply(&self, invalidation: Invalidation) {
        match invalidation {
            Invalidation::Keys(keys) => {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                self.invalidate(&keys);
            }
            Invalidation::Everything => self.flush(),
            Invalidation::Tracking => self.flush_and_serve(true),
            Invalidation::Lost => {
                self.0.counters.add(Counter::FeedLost);
                self.flush_and_serve(false);
            }
            _ => self.flush(),
        }
    }

    /// Whether entries are served now.
    pub fn is_serving(&self) -> bool {
        self.0.serving.load(Ordering::SeqCst)
    }

    /// What the tier did so far.
    pub fn stats(&self) -> NearStats {
        self.0
            .counters
            .snapshot(self.0.cache.len(), self.0.cache.weight())
    }

    /// The live entry of `key` held in memory, if any.
    pub(crate) fn lookup(&self, key: &str) -> Option<Entry> {
        if !self.is_serving() {
            return None;
        }
        let held = self.0.cache.get(key)?;
        let expired = held.expires_at.is_some_and(Timestamp::is_expired);
        if expired || held.valid_until <= Tick::now() {
            self.0.cache.remove(key);
            return None;
        }
        self.0.counters.add(Counter::Hit);
        Some(Entry {
            value: held.value,
            expires_at: held.expires_at,
        })
    }

    /// [`lookup`](Self::lookup) of each of `keys`, and the keys not held (for the store).
    pub(crate) fn lookup_many<'k>(&self, keys: &[&'k str]) -> (Vec<Option<Entry>>, Vec<&'k str>) {
        let held: Vec<Option<Entry>> = keys.iter().map(|key| self.lookup(key)).collect();
        let missing = keys
            .iter()
            .zip(&held)
            .filter(|(_, held)| held.is_none())
            .map(|(key, _)| *key)
            .collect();
        (held, missing)
    }

    /// Counts a lookup the store answered.
    pub(crate) fn missed(&self) {
        self.0.counters.add(Counter::Miss);
    }

    /// Taken before reading `key` from the store, to [`fill`](Self::fill) with what it read.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(
            self.is_serving()
                .then(|| self.0.generation.load(Ordering::SeqCst)),
        )
    }

    /// Holds `entry`, read from the store under `ticket`, unless an invalidation came since.
    pub(crate) fn fill(&self, key: &str, entry: &Entry, ticket: Ticket) {
        let Some(generation) = ticket.0 else { return };
        if entry.value.len() > self.0.options.max_value_len {
            return;
        }
        let held = Held {
            value: entry.value.clone(),
            expires_at: entry.expires_at,
            valid_until: Tick::now().after(self.0.options.max_staleness),
        };
        let _fill = self.0.gate.read().unwrap_or_else(PoisonError::into_inner);
        if self.0.generation.load(Ordering::SeqCst) != generation || !self.is_serving() {
            self.0.counters.add(Counter::RacedFill);
            return;
        }
        self.0.cache.insert(key.to_owned(), held);
        self.0.counters.add(Counter::Fill);
    }

    /// Forgets `keys`.
    pub(crate) fn invalidate(&self, keys: &[&str]) {
        let _invalidation = self.0.gate.write().unwrap_or_else(PoisonError::into_inner);
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        for key in keys {
            self.0.cache.remove(*key);
        }
        self.0.counters.add(Counter::Invalidation);
    }

    /// Forgets every entry.
    pub(crate) fn flush(&self) {
        self.flush_then(None);
    }

    /// Forgets every entry and serves from now on or not.
    fn flush_and_serve(&self, serving: bool) {
        self.flush_then(Some(serving));
    }

    /// Forgets every entry, and sets whether entries are served if `serving` says so, with no
    /// fill in between.
    fn flush_then(&self, serving: Option<bool>) {
        let _invalidation = self.0.gate.write().unwrap_or_else(PoisonError::into_inner);
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        self.0.cache.clear();
        if let Some(serving) = serving {
            self.0.serving.store(serving, Ordering::SeqCst);
        }
        self.0.counters.add(Counter::Flush);
    }

    /// The staleness bound of the tier.
    pub fn max_staleness(&self) -> Duration {
        self.0.options.max_staleness
    }
}
