//! Sorted listings: the live entries that expire soonest, or the largest, up to a limit.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::entry::{Record, ScanMode};
use crate::time::Timestamp;

/// The order of [`KvStorage::sorted`](crate::KvStorage::sorted); each has its exact reverse
/// ([`reversed`](Self::reversed)), as requests-cache's `sorted(key, reversed=True)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Soonest expiry first; entries without expiry last; ties by key.
    Expiry,
    /// Largest value first; ties by key.
    Size,
    /// By key (in the order of their UTF-8 bytes).
    Key,
    /// [`Expiry`](Self::Expiry) reversed: entries without expiry first, then the latest expiry;
    /// ties by key, descending.
    LatestExpiry,
    /// [`Size`](Self::Size) reversed: smallest value first; ties by key, descending.
    Smallest,
    /// [`Key`](Self::Key) reversed.
    KeyDescending,
}

impl SortBy {
    /// What a scan for this order must read.
    pub fn scan_mode(self) -> ScanMode {
        match self {
            SortBy::Size | SortBy::Smallest => ScanMode::WithValues,
            _ => ScanMode::KeysOnly,
        }
    }

    /// The same order, backwards.
    pub fn reversed(self) -> Self {
        match self {
            SortBy::Expiry => SortBy::LatestExpiry,
            SortBy::Size => SortBy::Smallest,
            SortBy::Key => SortBy::KeyDescending,
            SortBy::LatestExpiry => SortBy::Expiry,
            SortBy::Smallest => SortBy::Size,
            SortBy::KeyDescending => SortBy::Key,
        }
    }

    /// Whether this is the reverse of [`Expiry`](Self::Expiry), [`Size`](Self::Size) or
    /// [`Key`](Self::Key).
    pub fn is_reversed(self) -> bool {
        matches!(
            self,
            SortBy::LatestExpiry | SortBy::Smallest | SortBy::KeyDescending
        )
    }
}

/// One entry of a sorted listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SortedEntry {
    /// The key.
    pub key: String,
    /// When it expires (`None`: never).
    pub expires_at: Option<Timestamp>,
    /// The value's length in bytes, where the listing read it ([`SortBy::Size`] always does).
    pub size: Option<usize>,
}

impl SortedEntry {
    /// An entry of a listing.
    pub fn new(key: String, expires_at: Option<Timestamp>, size: Option<usize>) -> Self {
        SortedEntry {
            key,
            expires_at,
            size,
        }
    }

    /// The entry a scanned record lists.
    pub fn of_record(record: Record) -> Self {
        let size = record.value.as_ref().map(Vec::len);
        SortedEntry::new(record.key, record.expires_at, size)
    }

    /// The entry's place in the forward order of `by` (reversed orders compare it backwards).
    fn rank(&self, by: SortBy) -> (i64, Reverse<usize>, &str) {
        let forward = if by.is_reversed() { by.reversed() } else { by };
        match forward {
            SortBy::Expiry => (
                self.expires_at.map_or(i64::MAX, Timestamp::as_millis),
                Reverse(0),
                &self.key,
            ),
            SortBy::Size => (0, Reverse(self.size.unwrap_or(0)), &self.key),
            _ => (0, Reverse(0), &self.key),
        }
    }

    /// How this entry and `other` compare in the order `by`.
    fn compare(&self, other: &Self, by: SortBy) -> Ordering {
        let forward = self.rank(by).cmp(&other.rank(by));
        if by.is_reversed() {
            forward.reverse()
        } else {
            forward
        }
    }
}

/// An entry in a [`TopEntries`] heap: ordered so the worst kept entry is on top.
struct Ranked(SortBy, SortedEntry);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.1.compare(&other.1, self.0)
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// The best `limit` entries of a stream in one pass, in `O(limit)` memory: how the default
/// [`sorted`](crate::KvStorage::sorted) lists any store.
pub struct TopEntries {
    by: SortBy,
    limit: usize,
    heap: BinaryHeap<Ranked>,
}

impl TopEntries {
    /// Keeps the first `limit` entries in order `by`.
    pub fn new(by: SortBy, limit: usize) -> Self {
        TopEntries {
            by,
            limit,
            heap: BinaryHeap::with_capacity(limit.min(4096) + 1),
        }
    }

    /// Considers `entry`.
    pub fn push(&mut self, entry: SortedEntry) {
        if self.limit == 0 {
            return;
        }
        self.heap.push(Ranked(self.by, entry));
        if self.heap.len() > self.limit {
            self.heap.pop();
        }
    }

    /// The kept entries, best first.
    pub fn into_sorted(self) -> Vec<SortedEntry> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Ranked(_, entry)| entry)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, expires_at: Option<i64>, size: usize) -> SortedEntry {
        SortedEntry::new(
            key.into(),
            expires_at.map(Timestamp::from_millis),
            Some(size),
        )
    }

    #[test]
    fn keeps_the_best_entries_in_order() {
        let entries = [
            entry("a", Some(30), 1),
            entry("b", None, 50),
            entry("c", Some(10), 5),
            entry("d", Some(20), 50),
            entry("e", Some(10), 2),
        ];
        let mut soonest = TopEntries::new(SortBy::Expiry, 3);
        let mut largest = TopEntries::new(SortBy::Size, 3);
        for e in &entries {
            soonest.push(e.clone());
            largest.push(e.clone());
        }
        let keys = |list: Vec<SortedEntry>| list.into_iter().map(|e| e.key).collect::<Vec<_>>();
        assert_eq!(keys(soonest.into_sorted()), ["c", "e", "d"]);
        assert_eq!(keys(largest.into_sorted()), ["b", "d", "c"]);
        let mut none = TopEntries::new(SortBy::Expiry, 0);
        none.push(entry("a", None, 1));
        assert!(none.into_sorted().is_empty());
        let mut all = TopEntries::new(SortBy::Expiry, 10);
        entries.iter().for_each(|e| all.push(e.clone()));
        assert_eq!(
            keys(all.into_sorted()),
            ["c", "e", "d", "a", "b"],
            "never-expiring last"
        );
        for by in [SortBy::Expiry, SortBy::Size, SortBy::Key] {
            let sorted = |by: SortBy, limit: usize| {
                let mut top = TopEntries::new(by, limit);
                entries.iter().for_each(|e| top.push(e.clone()));
                keys(top.into_sorted())
            };
            let mut backwards = sorted(by, 10);
            backwards.reverse();
            assert_eq!(sorted(by.reversed(), 10), backwards, "{by:?} reversed");
            assert_eq!(
                sorted(by.reversed(), 2),
                backwards[..2],
                "{by:?} reversed, limited"
            );
            assert_eq!(by.reversed().reversed(), by);
        }
        assert_eq!(
            keys({
                let mut top = TopEntries::new(SortBy::Key, 10);
                entries.iter().for_each(|e| top.push(e.clone()));
                top.into_sorted()
            }),
            ["a", "b", "c", "d", "e"]
        );
    }
}
