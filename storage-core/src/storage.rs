//! The byte-level [`KvStorage`] trait: a Python `MutableMapping` over `&str` keys and byte values.

use std::time::Duration;

use crate::entry::{Entry, Record, ScanMode, SetEntry};
use crate::error::Result;
use crate::limits::check_key;
use crate::sorted::{SortBy, SortedEntry, TopEntries};
use crate::time::{remaining_ttl, Timestamp};

/// A stream of scanned records, borrowed from the store.
pub type RecordIter<'a> = Box<dyn Iterator<Item = Result<Record>> + Send + 'a>;

/// A boxed iterator over a store's keys, values or items.
pub type BoxIter<'a, T> = Box<dyn Iterator<Item = Result<T>> + Send + 'a>;

/// How many entries [`KvStorage::update`] copies per bulk write.
pub const UPDATE_BATCH: usize = 256;

/// Read-and-compare-and-set rounds the default [`KvStorage::touch`] tries before it reports a
/// conflict (each lost round means another writer changed the entry).
pub const TOUCH_ATTEMPTS: usize = 64;

/// The error of a default `touch` that lost every round to other writers.
pub(crate) fn touch_contended(backend: &'static str) -> crate::Error {
    crate::Error::backend(
        backend,
        "touch",
        crate::ErrorKind::Conflict,
        format!("the entry changed under {TOUCH_ATTEMPTS} attempts in a row"),
    )
}

/// The expiry of an entry that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// The entry never expires.
    Never,
    /// The entry expires at this instant.
    At(Timestamp),
}

impl Expiry {
    /// From an optional expiry instant.
    pub fn from_option(at: Option<Timestamp>) -> Self {
        at.map_or(Expiry::Never, Expiry::At)
    }

    /// The remaining time to live, `None` if it never expires.
    pub fn ttl(self) -> Option<Duration> {
        match self {
            Expiry::Never => None,
            Expiry::At(at) => Some(at.remaining()),
        }
    }
}

/// A byte-level key-value store: `get`, `set`, `delete`, `contains`, `len`, `keys`, `values`,
/// `items`, `clear`, `pop`, `update` and bulk operations, with a per-key TTL.
///
/// Implementors provide eight methods ([`get_entry`](Self::get_entry), [`set`](Self::set),
/// [`set_if_absent`](Self::set_if_absent), [`compare_and_set`](Self::compare_and_set),
/// [`compare_and_delete`](Self::compare_and_delete), [`delete`](Self::delete),
/// [`scan`](Self::scan), [`clear`](Self::clear)); every other method has a default built on them, which a backend
/// overrides where it can do better (one round trip for a bulk call, an atomic `pop`, a `COUNT`
/// for `len`).
///
/// # Contract
/// Every implementation, checked by the `conformance` crate:
/// - keys of 0 to [`MAX_KEY_LEN`](crate::MAX_KEY_LEN) bytes work, longer ones fail with
///   [`Error::KeyTooLong`](crate::Error::KeyTooLong) (use [`check_key`]);
/// - values over [`max_value_len`](Self::max_value_len) fail with
///   [`Error::ValueTooLarge`](crate::Error::ValueTooLarge) and nothing is written;
/// - an entry whose expiry has passed is invisible to every read;
/// - TTLs are checked with [`crate::time::ttl_millis`] (zero is refused);
/// - `set_if_absent`, `compare_and_set` and `compare_and_delete` are atomic: of many concurrent
///   callers expecting the same state, exactly one wins.
pub trait KvStorage: Send + Sync {
    /// The backend's name, used in error messages (`"sqlite"`, `"memory"`, …).
    fn backend_name(&self) -> &'static str;

    /// The largest value this store accepts, in bytes.
    fn max_value_len(&self) -> usize {
        usize::MAX
    }

    /// The namespace this store holds, if it has one ([`Signed`](crate::Signed) binds its
    /// signatures to it).
    fn namespace_name(&self) -> Option<&str> {
        None
    }

    /// The live entry under `key` with its expiry, or `None`.
    fn get_entry(&self, key: &str) -> Result<Option<Entry>>;

    /// Stores `value` under `key`, replacing any entry, expiring after `ttl` if given.
    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()>;

    /// Stores `value` only if `key` has no live entry; returns whether it was stored. Atomic.
    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool>;

    /// Stores `value` (expiring after `ttl` if given) only if the live value under `key` is
    /// exactly `expected`, or, with `expected` `None`, only if `key` has no live entry. Returns
    /// whether it stored. Atomic: no write can come between the comparison and the store.
    ///
    /// An expired entry counts as absent, never as its old value.
    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool>;

    /// Deletes `key` only if its live value is exactly `expected`; returns whether it deleted.
    /// Atomic: a lock holder releases its own lock this way and never one taken after its own
    /// ran out.
    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool>;

    /// Deletes `key`; returns whether a live entry existed.
    fn delete(&self, key: &str) -> Result<bool>;

    /// Streams the live entries (order unspecified), in batches: never the whole store at once.
    fn scan(&self, mode: ScanMode) -> Result<RecordIter<'_>>;

    /// Removes every entry of this store's namespace, and nothing else.
    fn clear(&self) -> Result<()>;

    /// The value under `key`, or `None`.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_entry(key)?.map(|entry| entry.value))
    }

    /// Whether `key` has a live entry.
    fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.get_entry(key)?.is_some())
    }

    /// The expiry of `key`: `None` if there is no live entry.
    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        Ok(self
            .get_entry(key)?
            .map(|entry| Expiry::from_option(entry.expires_at)))
    }

    /// The entry of `key` even when it has expired, as long as the store still holds it: a
    /// stale read, for revalidation or for serving something when the source is down. Its
    /// [`expires_at`](Entry::expires_at) says whether it is live.
    ///
    /// Stores that keep expired entries until [`purge_expired`](Self::purge_expired) (memory,
    /// SQLite, files, the Redis hash store on servers without field expiry) return them until
    /// then; stores whose server removes expired entries (Redis keys, MongoDB's TTL monitor,
    /// DynamoDB's TTL) return them until it does, which may be at once. The default (for
    /// stores that cannot tell) returns only live entries, like
    /// [`get_entry`](Self::get_entry).
    fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        self.get_entry(key)
    }

    /// Gives the live entry of `key` a new TTL (`None`: no expiry) without changing its value;
    /// `false` if there is no live entry. Atomic: a write racing with it lands wholly before
    /// (and keeps the new TTL) or after.
    ///
    /// The default reads the entry and writes it back with
    /// [`compare_and_set`](Self::compare_and_set), retrying while other writers change it;
    /// backends that can change an expiry alone (memory, SQLite, Redis) override it.
    fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        // A TTL the store would refuse is refused whether or not there is an entry.
        crate::time::expiry_from_ttl(ttl, Timestamp::now())?;
        for _ in 0..TOUCH_ATTEMPTS {
            let Some(entry) = self.get_entry(key)? else {
                return Ok(false);
            };
            if self.compare_and_set(key, Some(&entry.value), &entry.value, ttl)? {
                return Ok(true);
            }
        }
        Err(touch_contended(self.backend_name()))
    }

    /// Removes `key` and returns its value, if it had one.
    ///
    /// The default reads then deletes; backends that can do it atomically override it.
    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let Some(entry) = self.get_entry(key)? else {
            return Ok(None);
        };
        Ok(self.delete(key)?.then_some(entry.value))
    }

    /// The number of live entries: as many as [`keys`](Self::keys) yields, entries it reports
    /// as unreadable included.
    fn len(&self) -> Result<usize> {
        let mut count = 0;
        for record in self.scan(ScanMode::KeysOnly)? {
            count += usize::from(is_entry(record)?);
        }
        Ok(count)
    }

    /// The entries this store holds, expired ones it has not removed yet included: at least
    /// [`len`](Self::len). Where expired entries linger (memory, SQLite and files until a purge,
    /// the Redis hash store without field expiry, MongoDB and DynamoDB until their TTL deletes
    /// them) this counts them too. The default (for stores that cannot tell) is `len()`.
    fn len_including_expired(&self) -> Result<usize> {
        self.len()
    }

    /// The bytes this store's entries take, as the backend counts them, or `None` where it
    /// cannot tell: memory, SQLite and Redis hash count keys and values (Redis with
    /// `MEMORY USAGE`, an estimate from sampled fields), files count the entry files' sizes.
    /// Expired entries not yet removed are included. The default is `None`.
    fn size(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// Up to `limit` live entries in order `by`: soonest expiry first (entries without expiry
    /// last), or largest value first; ties by key. Like requests-cache's `sorted()`, for
    /// choosing what to evict or refresh.
    ///
    /// The default reads the store once through [`scan`](Self::scan) (values too for
    /// [`SortBy::Size`]) and keeps only the best `limit` entries: memory grows with `limit`,
    /// never with the store. Unreadable entries are left out (`keys()` reports them). SQLite
    /// answers with one `ORDER BY … LIMIT` query.
    fn sorted(&self, by: SortBy, limit: usize) -> Result<Vec<SortedEntry>> {
        let mut top = TopEntries::new(by, limit);
        if limit > 0 {
            for item in self.scan(by.scan_mode())? {
                if let Some(record) = readable_record(item)? {
                    top.push(SortedEntry::of_record(record));
                }
            }
        }
        Ok(top.into_sorted())
    }

    /// Whether there is no live entry.
    fn is_empty(&self) -> Result<bool> {
        match self.scan(ScanMode::KeysOnly)?.next() {
            None => Ok(true),
            Some(record) => Ok(!is_entry(record)?),
        }
    }

    /// The keys of the live entries, streamed.
    fn keys(&self) -> Result<BoxIter<'_, String>> {
        Ok(Box::new(
            self.scan(ScanMode::KeysOnly)?
                .map(|record| record.map(|r| r.key)),
        ))
    }

    /// The values of the live entries, streamed.
    fn values(&self) -> Result<BoxIter<'_, Vec<u8>>> {
        Ok(Box::new(
            self.items()?.map(|item| item.map(|(_, value)| value)),
        ))
    }

    /// The `(key, value)` pairs of the live entries, streamed.
    fn items(&self) -> Result<BoxIter<'_, (String, Vec<u8>)>> {
        Ok(Box::new(self.scan(ScanMode::WithValues)?.map(|record| {
            record.map(|r| (r.key, r.value.unwrap_or_default()))
        })))
    }

    /// The values of `keys`, in the same order; `None` for missing keys.
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        keys.iter().map(|key| self.get(key)).collect()
    }

    /// Stores every `(key, value)` pair with the same `ttl`.
    fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        let entries: Vec<SetEntry<'_>> = entries
            .iter()
            .map(|(key, value)| SetEntry::new(key, value, ttl))
            .collect();
        self.set_entries(&entries)
    }

    /// Stores every entry, each with its own TTL. Every key and value is checked before anything
    /// is written.
    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.check_entries(entries)?;
        entries
            .iter()
            .try_for_each(|entry| self.set(entry.key, entry.value, entry.ttl))
    }

    /// Deletes every key; missing keys are not errors. Returns how many live entries were removed.
    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let mut deleted = 0;
        for key in keys {
            deleted += usize::from(self.delete(key)?);
        }
        Ok(deleted)
    }

    /// Copies every live entry of `other` into this store, each with its remaining TTL. Returns
    /// how many entries were copied.
    fn update(&self, other: &dyn KvStorage) -> Result<usize> {
        copy_entries(self, other)
    }

    /// Physically removes expired entries where the backend does not do it by itself; returns how
    /// many were removed. Reads never see expired entries either way.
    fn purge_expired(&self) -> Result<usize> {
        Ok(0)
    }

    /// Checks every key and value of a bulk write against this store's limits.
    fn check_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        crate::limits::check_entries(self.backend_name(), self.max_value_len(), entries)
    }
}

/// Whether a scanned item is an entry: a record, or the error of one entry the scan could not
/// read (which the scan reports in its place and goes past). Any other error is the store's own
/// failure, and is returned.
///
/// The rule of every scan of this crate family: a bad entry is listed once, as an error naming
/// it, and counted once; it never hides the entries after it.
pub fn is_entry(item: Result<Record>) -> Result<bool> {
    match item {
        Ok(_) => Ok(true),
        Err(error) if error.is_invalid_data() => Ok(true),
        Err(error) => Err(error),
    }
}

/// A scanned item as a record to use: `None` for a bad entry the scan reported (see
/// [`is_entry`]), to be skipped; the scan's own failure is returned.
pub fn readable_record(item: Result<Record>) -> Result<Option<Record>> {
    match item {
        Ok(record) => Ok(Some(record)),
        Err(error) if error.is_invalid_data() => Ok(None),
        Err(error) => Err(error),
    }
}

/// Implements [`KvStorage`] for the smart pointers by forwarding every method, overrides
/// included (from the list of operations).
macro_rules! forward_kv_storage {
    (
        [$pointer:ty]
        calls {$(
            $variant:ident $name:ident ($($arg:ident : $ty:ty as $kind:ident),*) -> $out:ty
            [$($flag:ident)*];
        )*}
        listings {$(
            $list_variant:ident $list_name:ident ($($list_arg:ident : $list_ty:ty as $list_kind:ident),*)
            -> $item:ty;
        )*}
    ) => {
        impl<T: KvStorage + ?Sized> KvStorage for $pointer {
            fn backend_name(&self) -> &'static str { (**self).backend_name() }
            fn max_value_len(&self) -> usize { (**self).max_value_len() }
            fn namespace_name(&self) -> Option<&str> { (**self).namespace_name() }
            fn update(&self, other: &dyn KvStorage) -> Result<usize> { (**self).update(other) }
            $(
                fn $name(&self, $($arg: $ty),*) -> Result<$out> { (**self).$name($($arg),*) }
            )*
            $(
                fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxIter<'_, $item>> {
                    (**self).$list_name($($list_arg),*)
                }
            )*
        }
    };
}

crate::kv_operations!(forward_kv_storage, &T);
crate::kv_operations!(forward_kv_storage, Box<T>);
crate::kv_operations!(forward_kv_storage, std::sync::Arc<T>);

/// The default [`KvStorage::update`]: copies the live entries of `other` into `target` with
/// their remaining TTLs, in batches through `target.set_entries`.
pub(crate) fn copy_entries<S: KvStorage + ?Sized>(
    target: &S,
    other: &dyn KvStorage,
) -> Result<usize> {
    let mut copied = 0;
    let mut batch: Vec<(String, Vec<u8>, Option<Duration>)> = Vec::with_capacity(UPDATE_BATCH);
    let mut flush = |batch: &mut Vec<(String, Vec<u8>, Option<Duration>)>| -> Result<()> {
        let entries: Vec<SetEntry<'_>> = batch
            .iter()
            .map(|(key, value, ttl)| SetEntry::new(key, value, *ttl))
            .collect();
        target.set_entries(&entries)?;
        copied += batch.len();
        batch.clear();
        Ok(())
    };
    for record in other.scan(ScanMode::WithValues)? {
        let record = record?;
        let Some(ttl) = remaining_ttl(record.expires_at, Timestamp::now()) else {
            continue;
        };
        batch.push((record.key, record.value.unwrap_or_default(), ttl));
        if batch.len() == UPDATE_BATCH {
            flush(&mut batch)?;
        }
    }
    flush(&mut batch)?;
    Ok(copied)
}
