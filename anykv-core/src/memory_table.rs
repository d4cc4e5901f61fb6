//! [`Table`]: the entries of one in-memory namespace, hashed for point operations and ordered
//! for scans, with optional caps on entries and bytes enforced by evicting the least recently
//! used entries.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::caps::{SizeCaps, Usage};
use crate::entry::{Entry, KeyRange};
use crate::time::Timestamp;

/// An entry and when it was last used, in writes to its table (a read marks it with the
/// table's current write count, under the read lock).
struct Slot {
    entry: Entry,
    used: AtomicU64,
}

/// Entries by key in a hash map (point reads and writes cost one hash lookup), with the keys
/// also in an ordered set so a scan can resume after any key. Each key is allocated once and
/// shared by both.
#[derive(Default)]
pub(crate) struct Table {
    entries: HashMap<Arc<str>, Slot>,
    order: BTreeSet<Arc<str>>,
    /// How many entries have an expiry: while none has, every entry is live and the count is
    /// the map's length.
    expiring: usize,
    /// Bytes of every held key and value.
    bytes: u64,
    /// Writes so far: the clock of [`Slot::used`].
    writes: AtomicU64,
    caps: SizeCaps,
    /// Entries evicted to keep within the caps (expired ones swept for it not counted).
    evicted: u64,
}

/// The bytes `key` and `entry` take in [`Table::bytes`].
fn footprint(key: &str, entry: &Entry) -> u64 {
    (key.len() + entry.value.len()) as u64
}

/// Whether `entry` is live now; the clock is read only for entries with an expiry.
pub(crate) fn is_live(entry: &Entry) -> bool {
    entry.expires_at.is_none_or(|at| !at.is_expired())
}

impl Table {
    /// The live entry under `key`, marked as used when the table has caps.
    pub(crate) fn live(&self, key: &str) -> Option<&Entry> {
        let slot = self.entries.get(key).filter(|slot| is_live(&slot.entry))?;
        if self.caps.is_set() {
            slot.used
                .store(self.writes.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        Some(&slot.entry)
    }

    /// How many entries are held, expired ones included.
    pub(crate) fn held_count(&self) -> usize {
        self.entries.len()
    }

    /// Bytes of the held keys and values.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Entries evicted so far to stay within the caps.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The caps.
    pub(crate) fn caps(&self) -> SizeCaps {
        self.caps
    }

    /// Sets the caps (evicting at once if the table is over them).
    pub(crate) fn set_caps(&mut self, caps: SizeCaps) {
        self.caps = caps;
        self.enforce_caps(None);
    }

    /// The entry under `key`, live or expired.
    pub(crate) fn held(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key).map(|slot| &slot.entry)
    }

    /// Stores `entry` under `key`, replacing any (without a new key allocation when it exists),
    /// then evicts what the caps require, never `key` itself.
    pub(crate) fn insert(&mut self, key: &str, entry: Entry) {
        let now = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        self.expiring += usize::from(entry.expires_at.is_some());
        self.bytes += footprint(key, &entry);
        match self.entries.get_mut(key) {
            Some(slot) => {
                let old = std::mem::replace(&mut slot.entry, entry);
                *slot.used.get_mut() = now;
                self.expiring -= usize::from(old.expires_at.is_some());
                self.bytes -= footprint(key, &old);
            }
            None => {
                let key: Arc<str> = Arc::from(key);
                self.order.insert(key.clone());
                let used = AtomicU64::new(now);
                self.entries.insert(key, Slot { entry, used });
            }
        }
        self.enforce_caps(Some(key));
    }

    /// Within the caps again: expired entries first, then the least recently used down to
    /// 90 % of the caps (one pass over the table per eviction round), sparing `keep`.
    fn enforce_caps(&mut self, keep: Option<&str>) {
        if !self.caps.exceeded_by(self.usage()) {
            return;
        }
        self.sweep(Timestamp::now());
        let mut by_age: Vec<(u64, Arc<str>, u64)> = self
            .entries
            .iter()
            .filter(|(key, _)| Some(&***key) != keep)
            .map(|(key, slot)| {
                let used = slot.used.load(Ordering::Relaxed);
                (used, key.clone(), footprint(key, &slot.entry))
            })
            .collect();
        by_age.sort_unstable();
        let candidates = by_age.into_iter().map(|(_, key, bytes)| (key, bytes));
        for key in self.caps.victims(self.usage(), candidates) {
            if self.remove(&key).is_some() {
                self.evicted += 1;
            }
        }
    }

    /// The entries and bytes held.
    fn usage(&self) -> Usage {
        Usage {
            entries: self.entries.len() as u64,
            bytes: self.bytes,
        }
    }

    /// Gives the live entry under `key` a new expiry; `false` if there is none.
    pub(crate) fn set_expiry(&mut self, key: &str, expires_at: Option<Timestamp>) -> bool {
        let Some(slot) = self
            .entries
            .get_mut(key)
            .filter(|slot| is_live(&slot.entry))
        else {
            return false;
        };
        self.expiring -= usize::from(slot.entry.expires_at.is_some());
        self.expiring += usize::from(expires_at.is_some());
        slot.entry.expires_at = expires_at;
        true
    }

    /// Removes `key`, returning its entry, live or not.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Entry> {
        let entry = self.entries.remove(key)?.entry;
        self.order.remove(key);
        self.expiring -= usize::from(entry.expires_at.is_some());
        self.bytes -= footprint(key, &entry);
        Some(entry)
    }

    /// Removes everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.expiring = 0;
        self.bytes = 0;
    }

    /// Removes the entries expired at `now`; returns how many.
    pub(crate) fn sweep(&mut self, now: Timestamp) -> usize {
        let before = self.entries.len();
        let order = &mut self.order;
        let bytes = &mut self.bytes;
        self.entries.retain(|key, slot| {
            let keep = !slot.entry.is_expired_at(now);
            if !keep {
                order.remove(key);
                *bytes -= footprint(key, &slot.entry);
            }
            keep
        });
        self.expiring = self
            .entries
            .values()
            .filter(|slot| slot.entry.expires_at.is_some())
            .count();
        before - self.entries.len()
    }

    /// The entries of `range` in key order after `after` (from the range's start with `None`).
    pub(crate) fn in_range<'a>(
        &'a self,
        range: &'a KeyRange,
        after: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a Arc<str>, &'a Entry)> + 'a {
        let start = match after {
            Some(after) if after >= range.start.as_str() => Bound::Excluded(after),
            _ => Bound::Included(range.start.as_str()),
        };
        let end = range
            .end
            .as_deref()
            .map_or(Bound::Unbounded, Bound::Excluded);
        self.order
            .range::<str, _>((start, end))
            .filter_map(|key| self.entries.get(key).map(|slot| (key, &slot.entry)))
    }

    /// How many entries are live at `now`: the map's length while no entry has an expiry.
    pub(crate) fn live_count(&self, now: Timestamp) -> usize {
        if self.expiring == 0 {
            return self.entries.len();
        }
        self.entries
            .values()
            .filter(|slot| !slot.entry.is_expired_at(now))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(expires_at: Option<Timestamp>) -> Entry {
        Entry {
            value: b"v".to_vec(),
            expires_at,
        }
    }

    #[test]
    fn live_count_follows_expiries_through_every_change() {
        let now = Timestamp::now();
        let past = Timestamp::from_millis(now.as_millis() - 1000);
        let mut table = Table::default();
        table.insert("a", entry(None));
        table.insert("b", entry(Some(past)));
        assert_eq!((table.expiring, table.live_count(now)), (1, 1));
        table.insert("b", entry(None));
        assert_eq!((table.expiring, table.live_count(now)), (0, 2));
        table.insert("c", entry(Some(past)));
        table.insert("c", entry(Some(past)));
        assert_eq!((table.expiring, table.live_count(now)), (1, 2));
        assert_eq!(table.sweep(now), 1);
        assert_eq!((table.expiring, table.live_count(now)), (0, 2));
        table.insert("d", entry(Some(past)));
        assert!(table.remove("d").is_some());
        assert_eq!(table.expiring, 0);
        let later = Timestamp::from_millis(now.as_millis() + 60_000);
        assert!(table.set_expiry("a", Some(later)));
        assert_eq!((table.expiring, table.live_count(now)), (1, 2));
        assert!(table.set_expiry("a", None));
        assert_eq!(table.expiring, 0);
        table.insert("e", entry(Some(past)));
        assert!(!table.set_expiry("e", None), "an expired entry was touched");
        assert!(table.remove("e").is_some());
        let everything = KeyRange::of_prefix("");
        let keys: Vec<String> = table
            .in_range(&everything, Some("a"))
            .map(|(key, _)| key.to_string())
            .collect();
        assert_eq!(keys, ["b"]);
        table.insert("ab", entry(None));
        table.insert("abc", entry(None));
        let under_a = KeyRange::of_prefix("a");
        let keys: Vec<String> = table
            .in_range(&under_a, None)
            .map(|(key, _)| key.to_string())
            .collect();
        assert_eq!(keys, ["a", "ab", "abc"]);
        let keys: Vec<String> = table
            .in_range(&under_a, Some("ab"))
            .map(|(key, _)| key.to_string())
            .collect();
        assert_eq!(keys, ["abc"]);
        table.remove("ab");
        table.remove("abc");
        table.clear();
        assert_eq!((table.expiring, table.live_count(now)), (0, 0));
    }

    #[test]
    fn bytes_follow_every_change() {
        let now = Timestamp::now();
        let past = Timestamp::from_millis(now.as_millis() - 1000);
        let sized = |len: usize, expires_at| Entry {
            value: vec![0; len],
            expires_at,
        };
        let mut table = Table::default();
        table.insert("ab", sized(10, None));
        assert_eq!(table.bytes(), 12);
        table.insert("ab", sized(3, None));
        assert_eq!(table.bytes(), 5, "a replaced value counts once");
        table.insert("c", sized(7, Some(past)));
        assert_eq!((table.bytes(), table.held_count()), (13, 2));
        assert_eq!(table.sweep(now), 1);
        assert_eq!((table.bytes(), table.held_count()), (5, 1));
        assert!(table.remove("ab").is_some());
        assert_eq!(table.bytes(), 0);
        table.insert("d", sized(4, None));
        table.clear();
        assert_eq!((table.bytes(), table.held_count()), (0, 0));
    }
}
