//! How much a near cache holds and for how long.

use std::time::Duration;

/// The bounds of a [`NearTier`](super::NearTier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NearOptions {
    /// The most bytes held (keys, values and 64 bytes per entry), default 64 MiB; the least
    /// recently and least frequently used entries go first (quick_cache's CLOCK-Pro).
    pub max_bytes: u64,
    /// The most entries held, if bounded (default: only the bytes bound). Each entry then
    /// weighs at least `max_bytes / max_entries`.
    pub max_entries: Option<u64>,
    /// Values longer than this are never held (default 1 MiB).
    pub max_value_len: usize,
    /// The longest an entry is served from memory after it was read from the store (plus at
    /// most one tick of the coarse clock it is checked with: 4 ms on Linux), default one second: the bound on how late a change made by another process is seen when no
    /// invalidation feed reports it. With a feed ([`NearTier::fed`](super::NearTier::fed))
    /// changes are seen when the feed reports them, and this bound is a safety net.
    pub max_staleness: Duration,
}

impl Default for NearOptions {
    fn default() -> Self {
        NearOptions {
            max_bytes: 64 << 20,
            max_entries: None,
            max_value_len: 1 << 20,
            max_staleness: Duration::from_secs(1),
        }
    }
}

impl NearOptions {
    /// Holds up to `bytes`.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Holds at most `entries` entries.
    pub fn max_entries(mut self, entries: u64) -> Self {
        self.max_entries = Some(entries.max(1));
        self
    }

    /// Never holds values longer than `len`.
    pub fn max_value_len(mut self, len: usize) -> Self {
        self.max_value_len = len;
        self
    }

    /// Serves an entry from memory at most `bound` after reading it.
    pub fn max_staleness(mut self, bound: Duration) -> Self {
        self.max_staleness = bound;
        self
    }
}
