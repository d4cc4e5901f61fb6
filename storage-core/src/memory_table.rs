//! [`Table`]: the entries of one in-memory namespace, hashed for point operations and ordered
//! for scans.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use crate::entry::Entry;
use crate::time::Timestamp;

/// Entries by key in a hash map (point reads and writes cost one hash lookup), with the keys
/// also in an ordered set so a scan can resume after any key. Each key is allocated once and
/// shared by both.
#[derive(Default)]
pub(crate) struct Table {
    entries: HashMap<Arc<str>, Entry>,
    order: BTreeSet<Arc<str>>,
}

/// Whether `entry` is live now; the clock is read only for entries with an expiry.
pub(crate) fn is_live(entry: &Entry) -> bool {
    entry.expires_at.is_none_or(|at| !at.is_expired())
}

impl Table {
    /// The live entry under `key`.
    pub(crate) fn live(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key).filter(|entry| is_live(entry))
    }

    /// Stores `entry` under `key`, replacing any (without a new key allocation when it exists).
    pub(crate) fn insert(&mut self, key: &str, entry: Entry) {
        match self.entries.get_mut(key) {
            Some(slot) => *slot = entry,
            None => {
                let key: Arc<str> = Arc::from(key);
                self.order.insert(key.clone());
                self.entries.insert(key, entry);
            }
        }
    }

    /// Removes `key`, returning its entry, live or not.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.order.remove(key);
        Some(entry)
    }

    /// Removes everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    /// Removes the entries expired at `now`; returns how many.
    pub(crate) fn sweep(&mut self, now: Timestamp) -> usize {
        let before = self.entries.len();
        let order = &mut self.order;
        self.entries.retain(|key, entry| {
            let keep = !entry.is_expired_at(now);
            if !keep {
                order.remove(key);
            }
            keep
        });
        before - self.entries.len()
    }

    /// The entries in key order after `after` (from the start with `None`).
    pub(crate) fn after<'a>(
        &'a self,
        after: Option<&str>,
    ) -> impl Iterator<Item = (&'a Arc<str>, &'a Entry)> + 'a {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.order
            .range::<str, _>((start, Bound::Unbounded))
            .filter_map(|key| self.entries.get(key).map(|entry| (key, entry)))
    }

    /// Every entry, in no particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }
}
