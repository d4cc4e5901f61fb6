//! Counters of what a manager did.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a [`KvCacheManager`](crate::KvCacheManager) and its clones did since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManagerStats {
    /// Lookups that found a stored response (fresh or to be revalidated: the middleware decides).
    pub found: u64,
    /// Lookups that found nothing (or only an unreadable entry).
    pub missed: u64,
    /// Responses written to the store, revalidated ones included.
    pub stored: u64,
    /// Responses not cached because they were larger than the store takes.
    pub too_large: u64,
    /// Entries that could not be read back (corrupt, tampered with, another format) and were
    /// treated as missing.
    pub unreadable: u64,
    /// Store errors passed over because the manager was told to
    /// ([`bypass_store_errors`](crate::KvCacheManager::bypass_store_errors)).
    pub bypassed_errors: u64,
}

/// The live counters behind [`ManagerStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) found: AtomicU64,
    pub(crate) missed: AtomicU64,
    pub(crate) stored: AtomicU64,
    pub(crate) too_large: AtomicU64,
    pub(crate) unreadable: AtomicU64,
    pub(crate) bypassed_errors: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`.
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts now.
    pub(crate) fn snapshot(&self) -> ManagerStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ManagerStats {
            found: read(&self.found),
            missed: read(&self.missed),
            stored: read(&self.stored),
            too_large: read(&self.too_large),
            unreadable: read(&self.unreadable),
            bypassed_errors: read(&self.bypassed_errors),
        }
    }
}
