//! [`MemoryStorage`], the in-process backend.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::entry::{Entry, Record, ScanMode, SetEntry};
use crate::error::Result;
use crate::limits::{check_entry, check_key, Namespace};
use crate::pagination::{paginate, DEFAULT_PAGE_SIZE};
use crate::storage::{Expiry, KvStorage, RecordIter};
use crate::time::{expiry_from_ttl, Timestamp};

type Table = BTreeMap<String, Entry>;

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

/// An in-process store: a sorted map behind a read-write lock. Expired entries are invisible at
/// once and swept out every 1024 writes or by [`purge_expired`](KvStorage::purge_expired).
///
/// ```
/// use storage_core::{KvStorage, MemoryStorage};
/// let store = MemoryStorage::new();
/// store.set("k", b"v", None)?;
/// assert_eq!(store.get("k")?, Some(b"v".to_vec()));
/// # Ok::<(), storage_core::Error>(())
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
        self.max_value_len = max;
        self
    }

    fn read(&self) -> RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Table> {
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        if self.writes.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            sweep(&mut table, Timestamp::now());
        }
        table
    }

    fn live(table: &Table, key: &str, now: Timestamp) -> Option<Entry> {
        table.get(key).filter(|e| !e.is_expired_at(now)).cloned()
    }
}

fn sweep(table: &mut Table, now: Timestamp) -> usize {
    let before = table.len();
    table.retain(|_, entry| !entry.is_expired_at(now));
    before - table.len()
}

fn new_entry(value: &[u8], ttl: Option<Duration>, now: Timestamp) -> Result<Entry> {
    Ok(Entry {
        value: value.to_vec(),
        expires_at: expiry_from_ttl(ttl, now)?,
    })
}

impl KvStorage for MemoryStorage {
    fn backend_name(&self) -> &'static str {
        "memory"
    }

    fn max_value_len(&self) -> usize {
        self.max_value_len
    }

    fn namespace_name(&self) -> Option<&str> {
        self.namespace.as_ref().map(Namespace::as_str)
    }

    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        Ok(Self::live(&self.read(), key, Timestamp::now()))
    }

    fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.expiry(key)?.is_some())
    }

    /// Reads the expiry without copying the value.
    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        check_key(key)?;
        let now = Timestamp::now();
        Ok(self
            .read()
            .get(key)
            .filter(|entry| !entry.is_expired_at(now))
            .map(|entry| Expiry::from_option(entry.expires_at)))
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_entry(self.backend_name(), key, value, self.max_value_len)?;
        let entry = new_entry(value, ttl, Timestamp::now())?;
        self.write().insert(key.to_owned(), entry);
        Ok(())
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.compare_and_set(key, None, value, ttl)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        check_entry(self.backend_name(), key, value, self.max_value_len)?;
        let now = Timestamp::now();
        let entry = new_entry(value, ttl, now)?;
        let mut table = self.write();
        let current = table.get(key).filter(|entry| !entry.is_expired_at(now));
        if current.map(|entry| entry.value.as_slice()) != expected {
            return Ok(false);
        }
        table.insert(key.to_owned(), entry);
        Ok(true)
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let now = Timestamp::now();
        let mut table = self.write();
        let matches = table
            .get(key)
            .is_some_and(|entry| !entry.is_expired_at(now) && entry.value == expected);
        if matches {
            table.remove(key);
        }
        Ok(matches)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        let removed = self.write().remove(key);
        Ok(removed.is_some_and(|e| !e.is_expired_at(Timestamp::now())))
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let removed = self.write().remove(key);
        Ok(removed
            .filter(|e| !e.is_expired_at(Timestamp::now()))
            .map(|e| e.value))
    }

    fn scan(&self, mode: ScanMode) -> Result<RecordIter<'_>> {
        Ok(paginate(DEFAULT_PAGE_SIZE, move |after, limit| {
            let now = Timestamp::now();
            let table = self.read();
            let start = after.map_or(Bound::Unbounded, Bound::Excluded);
            Ok(table
                .range::<str, _>((start, Bound::Unbounded))
                .filter(|(_, entry)| !entry.is_expired_at(now))
                .take(limit)
                .map(|(key, entry)| Record {
                    key: key.clone(),
                    value: mode.values().then(|| entry.value.clone()),
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
        let now = Timestamp::now();
        Ok(self
            .read()
            .values()
            .filter(|e| !e.is_expired_at(now))
            .count())
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let now = Timestamp::now();
        let table = self.read();
        Ok(keys
            .iter()
            .map(|key| Self::live(&table, key, now).map(|e| e.value))
            .collect())
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.check_entries(entries)?;
        let now = Timestamp::now();
        let built: Vec<(String, Entry)> = entries
            .iter()
            .map(|e| Ok((e.key.to_owned(), new_entry(e.value, e.ttl, now)?)))
            .collect::<Result<_>>()?;
        self.write().extend(built);
        Ok(())
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let now = Timestamp::now();
        let mut table = self.write();
        Ok(keys
            .iter()
            .filter_map(|key| table.remove(*key))
            .filter(|e| !e.is_expired_at(now))
            .count())
    }

    fn purge_expired(&self) -> Result<usize> {
        Ok(sweep(
            &mut self.table.write().unwrap_or_else(|e| e.into_inner()),
            Timestamp::now(),
        ))
    }
}
