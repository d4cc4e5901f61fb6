//! [`NearCache`]: a bounded in-process memory in front of any store, invalidated across
//! processes.

mod clock;
mod faces;
mod options;
mod stats;
mod tier;

use std::any::Any;
use std::sync::Arc;

use anykv_core::{Entry, Store, StoreInfo};

pub use options::NearOptions;
pub use stats::NearStats;
pub use tier::NearTier;

/// A store in front of another that answers reads (`get`, `get_entry`, `get_many`) from a
/// bounded memory tier ([`NearTier`]) when it can, on both faces.
///
/// - An entry is served from memory until the first of: its own expiry (never a moment past
///   the remote entry's), the staleness bound ([`NearOptions::max_staleness`]), and an
///   invalidation.
/// - Every write through this store (or any store sharing its tier) invalidates the keys it
///   touches before and after it runs, and a read from the remote store is only kept if no
///   invalidation came while it ran: a process always reads its own writes.
/// - Writes by other processes: with a feed ([`NearTier::fed`], e.g. Redis's client-side
///   caching through `anykv_redis::RedisStorage::listen_for_changes`) they are seen as soon as
///   the server reports them, and nothing is served while the feed is down; without one, they
///   are seen within the staleness bound.
/// - Everything else (listings, counts, conditional writes, stale reads) goes to the store.
///
/// ```
/// use std::time::Duration;
/// use anykv_core::{KvStorage, MemoryStorage};
/// use anykv_layers::{NearCache, NearOptions, NearTier};
///
/// let tier = NearTier::new(NearOptions::default().max_staleness(Duration::from_millis(500)));
/// let store = NearCache::new(MemoryStorage::new(), tier.clone());
/// store.set("k", b"v", None)?;
/// assert_eq!(store.get("k")?.as_deref(), Some(&b"v"[..])); // read from the store, kept
/// assert_eq!(store.get("k")?.as_deref(), Some(&b"v"[..])); // from memory
/// assert_eq!(tier.stats().hits, 1);
/// # Ok::<(), anykv_core::Error>(())
/// ```
pub struct NearCache<S> {
    inner: S,
    tier: NearTier,
    /// What keeps the tier's feed alive (a listener task), dropped with the last handle.
    feed: Option<Arc<dyn Any + Send + Sync>>,
}

impl<S> NearCache<S> {
    /// `inner` with reads answered from `tier` when they can be.
    pub fn new(inner: S, tier: NearTier) -> Self {
        NearCache {
            inner,
            tier,
            feed: None,
        }
    }

    /// Keeps `feed` (the listener of the tier's invalidations) alive as long as this store.
    pub fn keeping_feed(mut self, feed: Arc<dyn Any + Send + Sync>) -> Self {
        self.feed = Some(feed);
        self
    }

    /// The memory tier.
    pub fn tier(&self) -> &NearTier {
        &self.tier
    }

    /// The store behind.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// What the memory tier did so far.
    pub fn stats(&self) -> NearStats {
        self.tier.stats()
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for NearCache<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NearCache")
            .field("inner", &self.inner)
            .field("tier", &self.tier)
            .finish_non_exhaustive()
    }
}

impl<S: Store> Store for NearCache<S> {
    fn info(&self) -> StoreInfo<'_> {
        self.inner.info()
    }
}

/// The values of `keys`: those held in memory from `held`, the others from `fetched` (the
/// store's answer for the missing ones, in order).
fn merge(held: Vec<Option<Entry>>, fetched: Vec<Option<Vec<u8>>>) -> Vec<Option<Vec<u8>>> {
    let mut fetched = fetched.into_iter();
    held.into_iter()
        .map(|held| match held {
            Some(entry) => Some(entry.value),
            None => fetched.next().flatten(),
        })
        .collect()
}
