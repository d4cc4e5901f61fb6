//! [`SizeCaps`]: the most entries and bytes a local store (memory, SQLite, files) holds, and
//! which entries an eviction takes to bring it back under them.
//!
//! Every capped store evicts the same way: a write that leaves the store over a cap first drops
//! the expired entries, then the least recently used ones until the store is at 90 % of its caps
//! ([`SizeCaps::low_water`]), so the next eviction waits for a tenth of the cap's writes and its
//! cost (one pass over the store) is spread over them. The store decides what "recently used"
//! means (see each store's docs); this module picks the victims from its ordering.

use crate::{Result, StoreUrl};

/// The most entries and bytes (of keys and values) a store holds. `None` = no cap.
///
/// ```
/// use anykv_core::caps::{SizeCaps, Usage};
/// let caps = SizeCaps::default().with_max_entries(100);
/// assert!(caps.exceeded_by(Usage { entries: 101, bytes: 0 }));
/// assert_eq!(caps.low_water().max_entries, Some(90));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SizeCaps {
    /// The most entries, expired ones included until they are dropped.
    pub max_entries: Option<u64>,
    /// The most bytes of keys and values (what [`KvStorage::size`](crate::KvStorage::size)
    /// counts for the store).
    pub max_bytes: Option<u64>,
}

/// What a store holds: entries (expired ones included) and the bytes of their keys and values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Entries held.
    pub entries: u64,
    /// Bytes of their keys and values.
    pub bytes: u64,
}

impl Usage {
    /// The usage without one entry of `footprint` bytes.
    pub fn without(self, footprint: u64) -> Usage {
        Usage {
            entries: self.entries.saturating_sub(1),
            bytes: self.bytes.saturating_sub(footprint),
        }
    }
}

impl SizeCaps {
    /// Caps at most `max` entries.
    pub fn with_max_entries(mut self, max: u64) -> Self {
        self.max_entries = Some(max);
        self
    }

    /// Caps at most `max` bytes of keys and values.
    pub fn with_max_bytes(mut self, max: u64) -> Self {
        self.max_bytes = Some(max);
        self
    }

    /// The caps a store URL names with the parameters `max_entries` and `max_bytes`, taken
    /// from `url` (none when it names neither); a bad value is an error naming it.
    pub fn from_store_url(url: &mut StoreUrl) -> Result<SizeCaps> {
        let mut caps = SizeCaps::default();
        if let Some(max) = url.take_usize("max_entries")? {
            caps = caps.with_max_entries(max as u64);
        }
        if let Some(max) = url.take_usize("max_bytes")? {
            caps = caps.with_max_bytes(max as u64);
        }
        Ok(caps)
    }

    /// Whether any cap is set.
    pub fn is_set(self) -> bool {
        self.max_entries.is_some() || self.max_bytes.is_some()
    }

    /// Whether `usage` is over a cap.
    pub fn exceeded_by(self, usage: Usage) -> bool {
        self.max_entries.is_some_and(|max| usage.entries > max)
            || self.max_bytes.is_some_and(|max| usage.bytes > max)
    }

    /// The caps an eviction brings the store down to: 90 % of each.
    pub fn low_water(self) -> SizeCaps {
        SizeCaps {
            max_entries: self.max_entries.map(|max| max - max / 10),
            max_bytes: self.max_bytes.map(|max| max - max / 10),
        }
    }

    /// The largest value a store with these caps takes: `limit`, or less when the byte cap is
    /// lower (a value that alone passes the cap is refused, not stored and evicted).
    pub fn max_value_len(self, limit: usize) -> usize {
        self.max_bytes.map_or(limit, |max| {
            limit.min(usize::try_from(max).unwrap_or(usize::MAX))
        })
    }

    /// The entries to evict, from `candidates` (each with its footprint in bytes) given least
    /// recently used first, so that a store holding `usage` is within the
    /// [`low_water`](Self::low_water) caps; empty when it already is. Stops at the first
    /// candidate that is no longer needed, so `candidates` can be a lazy iterator.
    pub fn victims<K>(
        self,
        usage: Usage,
        candidates: impl IntoIterator<Item = (K, u64)>,
    ) -> Vec<K> {
        let low = self.low_water();
        let mut usage = usage;
        let mut victims = Vec::new();
        for (candidate, footprint) in candidates {
            if !low.exceeded_by(usage) {
                break;
            }
            usage = usage.without(footprint);
            victims.push(candidate);
        }
        victims
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn victims_are_taken_in_order_down_to_the_low_water_mark() {
        let caps = SizeCaps::default()
            .with_max_entries(10)
            .with_max_bytes(1000);
        let usage = Usage {
            entries: 11,
            bytes: 500,
        };
        let candidates = (0..11).map(|i| (i, 50));
        assert_eq!(caps.victims(usage, candidates), vec![0, 1]);
        let heavy = Usage {
            entries: 5,
            bytes: 1200,
        };
        // 1200 - 900 = 300 bytes to free: three of 100, then it stops.
        assert_eq!(caps.victims(heavy, (0..5).map(|i| (i, 100))), vec![0, 1, 2]);
        let within = Usage {
            entries: 9,
            bytes: 900,
        };
        assert!(caps.victims(within, [(0, 1)]).is_empty());
    }

    #[test]
    fn no_caps_never_exceeded_and_value_limit_follows_the_byte_cap() {
        let none = SizeCaps::default();
        assert!(!none.is_set());
        assert!(!none.exceeded_by(Usage {
            entries: u64::MAX,
            bytes: u64::MAX
        }));
        assert_eq!(none.max_value_len(7), 7);
        assert_eq!(SizeCaps::default().with_max_bytes(5).max_value_len(7), 5);
    }
}
