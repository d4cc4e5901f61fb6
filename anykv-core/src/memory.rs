//! [`MemoryStorage`], the in-process backend.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::caps::SizeCaps;
use crate::entry::{Entry, Record, Scan, SetEntry};
use crate::error::Result;
use crate::limits::{check_entry, check_key, Namespace};
use crate::memory_table::{is_live, Table};
use crate::pagination::{paginate, DEFAULT_PAGE_SIZE};
use crate::storage::{Expiry, RecordIter};
use crate::time::{expiry_from_ttl, Timestamp};
use crate::traits::{KvStorage, Store, StoreInfo};

/// Writes between two opportunistic sweeps of expired entries.
const SWEEP_EVERY: u64 = 1024;

/// A set of in-memory namespaces, shared by the [`MemoryStorage`]s opened from it, like one
/// database file holds several tables. Cloning it shares the same data.
#[derive(Clone, Default)]
pub struct MemoryDatabase {
    tables: Arc<Mutex<HashMap<Namespace, Arc<RwLock<Table>>>>>,
}

impl MemoryDatabase {
    /// An empty database.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store for `namespace`, created empty on first use.
    pub fn open(&self, namespace: &str) -> Result<MemoryStorage> {
        let namespace = Namespace::new(namespace)?;
        let namespace_name = namespace.clone();
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        let table = tables.entry(namespace).or_default().clone();
        Ok(MemoryStorage {
            table,
            max_value_len: usize::MAX,
            writes: Arc::new(AtomicU64::new(0)),
            namespace: Some(namespace_name),
        })
    }
}

/// An in-process store: a hash map (with the keys also in an ordered set, for scans that
/// resume after any key) behind a read-write lock; reads of entries without a TTL do not read
/// the clock. Expired entries are invisible at
/// once and swept out every 1024 writes or by [`purge_expired`](KvStorage::purge_expired).
///
/// ```
/// use anykv_core::{KvStorage, MemoryStorage};
/// let store = MemoryStorage::new();
/// store.set("k", b"v", None)?;
/// assert_eq!(store.get("k")?, Some(b"v".to_vec()));
/// # Ok::<(), anykv_core::Error>(())
/// ```
#[derive(Clone)]
pub struct MemoryStorage {
    table: Arc<RwLock<Table>>,
    max_value_len: usize,
    writes: Arc<AtomicU64>,
    /// The namespace of a [`MemoryDatabase`] this store was opened in.
    namespace: Option<Namespace>,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStorage {
    /// A new, empty store of its own.
    pub fn new() -> Self {
        MemoryStorage {
            table: Arc::default(),
            max_value_len: usize::MAX,
            writes: Arc::new(AtomicU64::new(0)),
            namespace: None,
        }
    }

    /// Refuses values over `max` bytes (default: no limit besides memory).
    pub fn with_max_value_len(mut self, max: usize) -> Self {
        let caps = self.read().caps();
        self.max_value_len = caps.max_value_len(max);
        self
    }

    /// Holds at most `max` entries (in this store's namespace): a write that would pass it
    /// first drops expired entries, then the least recently used ones (read or written) down to
    /// 90 % of the cap. Approximate LRU: recency is counted in writes, so entries read between
    /// the same two writes tie. Shared by every handle of the namespace.
    pub fn with_max_entries(self, max: usize) -> Self {
        self.change_caps(|caps| caps.with_max_entries(max as u64));
        self
    }

    /// Holds at most `max` bytes of keys and values, evicting as
    /// [`with_max_entries`](Self::with_max_entries) does; a value larger than `max` is refused.
    pub fn with_max_bytes(mut self, max: u64) -> Self {
        self.change_caps(|caps| caps.with_max_bytes(max));
        let caps = self.read().caps();
        self.max_value_len = caps.max_value_len(self.max_value_len);
        self
    }

    /// Applies `caps` (both of them; see [`with_max_entries`](Self::with_max_entries) and
    /// [`with_max_bytes`](Self::with_max_bytes)); [`SizeCaps::default`] removes them.
    pub fn with_caps(mut self, caps: SizeCaps) -> Self {
        self.change_caps(|_| caps);
        self.max_value_len = caps.max_value_len(self.max_value_len);
        self
    }

    /// Changes the caps of this store's table (evicting at once if it is over them).
    fn change_caps(&self, change: impl FnOnce(SizeCaps) -> SizeCaps) {
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        let caps = change(table.caps());
        table.set_caps(caps);
    }

    /// How many entries were evicted to keep within the caps (expired entries not counted).
    pub fn evictions(&self) -> u64 {
        self.read().evicted()
    }

    fn read(&self) -> RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Table> {
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        if self.writes.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            table.sweep(Timestamp::now());
        }
        table
    }
}

/// A new entry; the clock is read only for a TTL.
fn new_entry(value: &[u8], ttl: Option<Duration>) -> Result<Entry> {
    let expires_at = match ttl {
        None => None,
        Some(_) => expiry_from_ttl(ttl, Timestamp::now())?,
    };
    Ok(Entry {
        value: value.to_vec(),
        expires_at,
    })
}

impl Store for MemoryStorage {
    fn info(&self) -> StoreInfo<'_> {
        let info = StoreInfo::new("memory").max_value_len(self.max_value_len);
        match &self.namespace {
            Some(namespace) => info.namespace(namespace.as_str()),
            None => info,
        }
    }
}

impl KvStorage for MemoryStorage {
    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        Ok(self.read().live(key).cloned())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        Ok(self.read().live(key).map(|entry| entry.value.clone()))
    }

    fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.expiry(key)?.is_some())
    }

    /// Reads the expiry without copying the value.
    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        check_key(key)?;
        Ok(self
            .read()
            .live(key)
            .map(|entry| Expiry::from_option(entry.expires_at)))
    }

    fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        Ok(self.read().held(key).cloned())
    }

    fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        check_key(key)?;
        let expires_at = expiry_from_ttl(ttl, Timestamp::now())?;
        Ok(self.write().set_expiry(key, expires_at))
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_entry(self.backend_name(), key, value, self.max_value_len)?;
        let entry = new_entry(value, ttl)?;
        self.write().insert(key, entry);
        Ok(())
    }

    fn increment(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64> {
        check_key(key)?;
        let created_expiry = expiry_from_ttl(ttl, Timestamp::now())?;
        let mut table = self.write();
        let live = table.live(key);
        let stored = live.map(|entry| entry.value.as_slice());
        let value = crate::counter::next(self.backend_name(), key, stored, by)?;
        let expires_at = live.map_or(created_expiry, |entry| entry.expires_at);
        let entry = Entry {
            value: crate::counter::encode(value),
            expires_at,
        };
        table.insert(key, entry);
        Ok(value)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        check_entry(self.backend_name(), key, value, self.max_value_len)?;
        let entry = new_entry(value, ttl)?;
        let mut table = self.write();
        if table.live(key).map(|entry| entry.value.as_slice()) != expected {
            return Ok(false);
        }
        table.insert(key, entry);
        Ok(true)
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let mut table = self.write();
        let matches = table.live(key).is_some_and(|entry| entry.value == expected);
        if matches {
            table.remove(key);
        }
        Ok(matches)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        let removed = self.write().remove(key);
        Ok(removed.is_some_and(|entry| is_live(&entry)))
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let removed = self.write().remove(key);
        Ok(removed.filter(is_live).map(|entry| entry.value))
    }

    fn scan(&self, scan: Scan<'_>) -> Result<RecordIter<'_>> {
        let range = scan.key_range();
        let with_values = scan.values();
        let scan = scan.prefix("");
        Ok(paginate(DEFAULT_PAGE_SIZE, move |after, limit| {
            let now = Timestamp::now();
            let table = self.read();
            Ok(table
                .in_range(&range, after)
                .filter(|(_, entry)| scan.lists_expiry(entry.expires_at, now))
                .take(limit)
                .map(|(key, entry)| Record {
                    key: key.to_string(),
                    value: with_values.then(|| entry.value.clone()),
                    expires_at: entry.expires_at,
                })
                .collect())
        }))
    }

    fn clear(&self) -> Result<()> {
        self.write().clear();
        Ok(())
    }

    fn len(&self) -> Result<usize> {
        Ok(self.read().live_count(Timestamp::now()))
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let table = self.read();
        Ok(keys
            .iter()
            .map(|key| table.live(key).map(|entry| entry.value.clone()))
            .collect())
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.check_entries(entries)?;
        let built: Vec<(&str, Entry)> = entries
            .iter()
            .map(|e| Ok((e.key, new_entry(e.value, e.ttl)?)))
            .collect::<Result<_>>()?;
        let mut table = self.write();
        for (key, entry) in built {
            table.insert(key, entry);
        }
        Ok(())
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let now = Timestamp::now();
        let mut table = self.write();
        Ok(keys
            .iter()
            .filter_map(|key| table.remove(key))
            .filter(|e| !e.is_expired_at(now))
            .count())
    }

    fn len_including_expired(&self) -> Result<usize> {
        Ok(self.read().held_count())
    }

    fn size(&self) -> Result<Option<u64>> {
        Ok(Some(self.read().bytes()))
    }

    fn purge_expired(&self) -> Result<usize> {
        Ok(self
            .table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .sweep(Timestamp::now()))
    }
}
