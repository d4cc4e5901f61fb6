//! Counters of a near tier.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a [`NearTier`](super::NearTier) did since it was created, and what it holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NearStats {
    /// Reads answered from memory.
    pub hits: u64,
    /// Reads the store answered.
    pub misses: u64,
    /// Entries put in memory after a read from the store.
    pub fills: u64,
    /// Reads from the store not put in memory because an invalidation came during the read.
    pub raced_fills: u64,
    /// Invalidations of keys (local writes and the feed's reports).
    pub invalidations: u64,
    /// Times the whole memory was dropped (clear, the feed's `Everything`, `Tracking`, `Lost`).
    pub flushes: u64,
    /// Times the invalidation feed was lost.
    pub feed_lost: u64,
    /// Entries held now.
    pub entries: u64,
    /// Bytes held now (as weighed: keys, values and 64 bytes per entry).
    pub bytes: u64,
}

/// One counter of [`NearStats`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Hit,
    Miss,
    Fill,
    RacedFill,
    Invalidation,
    Flush,
    FeedLost,
}

#[derive(Debug, Default)]
pub(crate) struct Counters([AtomicU64; 7]);

impl Counters {
    pub(crate) fn add(&self, counter: Counter) {
        self.0[counter as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, entries: usize, bytes: u64) -> NearStats {
        let read = |counter: Counter| self.0[counter as usize].load(Ordering::Relaxed);
        NearStats {
            hits: read(Counter::Hit),
            misses: read(Counter::Miss),
            fills: read(Counter::Fill),
            raced_fills: read(Counter::RacedFill),
            invalidations: read(Counter::Invalidation),
            flushes: read(Counter::Flush),
            feed_lost: read(Counter::FeedLost),
            entries: entries as u64,
            bytes,
        }
    }
}
