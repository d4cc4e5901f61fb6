//! The defaults of [`KvStorage`]'s provided methods.

use std::time::Duration;

use crate::entry::{Entry, Scan, SetEntry};
use crate::error::Result;
use crate::limits::check_key;
use crate::sorted::{SortBy, SortedEntry, TopEntries};
use crate::storage::{contended, is_entry, readable_record, BoxIter, Expiry, TOUCH_ATTEMPTS};
use crate::time::Timestamp;
use crate::traits::KvStorage;

pub(crate) fn get<S: KvStorage + ?Sized>(store: &S, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(store.get_entry(key)?.map(|entry| entry.value))
}

pub(crate) fn set_if_absent<S: KvStorage + ?Sized>(
    store: &S,
    key: &str,
    value: &[u8],
    ttl: Option<Duration>,
) -> Result<bool> {
    store.compare_and_set(key, None, value, ttl)
}

pub(crate) fn contains<S: KvStorage + ?Sized>(store: &S, key: &str) -> Result<bool> {
    Ok(store.get_entry(key)?.is_some())
}

pub(crate) fn expiry<S: KvStorage + ?Sized>(store: &S, key: &str) -> Result<Option<Expiry>> {
    Ok(store
        .get_entry(key)?
        .map(|entry| Expiry::from_option(entry.expires_at)))
}

pub(crate) fn get_stale<S: KvStorage + ?Sized>(store: &S, key: &str) -> Result<Option<Entry>> {
    store.get_entry(key)
}

pub(crate) fn touch<S: KvStorage + ?Sized>(
    store: &S,
    key: &str,
    ttl: Option<Duration>,
) -> Result<bool> {
    // A TTL the store would refuse is refused whether or not there is an entry.
    crate::time::expiry_from_ttl(ttl, Timestamp::now())?;
    for _ in 0..TOUCH_ATTEMPTS {
        let Some(entry) = store.get_entry(key)? else {
            return Ok(false);
        };
        if store.compare_and_set(key, Some(&entry.value), &entry.value, ttl)? {
            return Ok(true);
        }
    }
    Err(contended(store.backend_name(), "touch"))
}

pub(crate) fn increment<S: KvStorage + ?Sized>(
    store: &S,
    key: &str,
    by: i64,
    ttl: Option<Duration>,
) -> Result<i64> {
    crate::time::expiry_from_ttl(ttl, Timestamp::now())?;
    for _ in 0..crate::counter::ATTEMPTS {
        let entry = store.get_entry(key)?;
        let backend = store.backend_name();
        let Some(round) = crate::counter::round(backend, key, entry.as_ref(), by, ttl)? else {
            continue;
        };
        let expected = entry.as_ref().map(|entry| entry.value.as_slice());
        if store.compare_and_set(key, expected, &round.stored, round.ttl)? {
            return Ok(round.value);
        }
    }
    Err(contended(store.backend_name(), "increment"))
}

pub(crate) fn pop<S: KvStorage + ?Sized>(store: &S, key: &str) -> Result<Option<Vec<u8>>> {
    let Some(entry) = store.get_entry(key)? else {
        return Ok(None);
    };
    Ok(store.delete(key)?.then_some(entry.value))
}

pub(crate) fn len<S: KvStorage + ?Sized>(store: &S) -> Result<usize> {
    let mut count = 0;
    for record in store.scan(Scan::keys_only())? {
        count += usize::from(is_entry(record)?);
    }
    Ok(count)
}

pub(crate) fn len_including_expired<S: KvStorage + ?Sized>(store: &S) -> Result<usize> {
    store.len()
}

pub(crate) fn size<S: KvStorage + ?Sized>(_store: &S) -> Result<Option<u64>> {
    Ok(None)
}

pub(crate) fn sorted<S: KvStorage + ?Sized>(
    store: &S,
    by: SortBy,
    limit: usize,
) -> Result<Vec<SortedEntry>> {
    let mut top = TopEntries::new(by, limit);
    if limit > 0 {
        for item in store.scan(Scan::from(by.scan_mode()))? {
            if let Some(record) = readable_record(item)? {
                top.push(SortedEntry::of_record(record));
            }
        }
    }
    Ok(top.into_sorted())
}

pub(crate) fn get_many<S: KvStorage + ?Sized>(
    store: &S,
    keys: &[&str],
) -> Result<Vec<Option<Vec<u8>>>> {
    keys.iter().try_for_each(|key| check_key(key))?;
    keys.iter().map(|key| store.get(key)).collect()
}

pub(crate) fn set_entries<S: KvStorage + ?Sized>(
    store: &S,
    entries: &[SetEntry<'_>],
) -> Result<()> {
    store.check_entries(entries)?;
    entries
        .iter()
        .try_for_each(|entry| store.set(entry.key, entry.value, entry.ttl))
}

pub(crate) fn delete_many<S: KvStorage + ?Sized>(store: &S, keys: &[&str]) -> Result<usize> {
    keys.iter().try_for_each(|key| check_key(key))?;
    let mut deleted = 0;
    for key in keys {
        deleted += usize::from(store.delete(key)?);
    }
    Ok(deleted)
}

pub(crate) fn purge_expired<S: KvStorage + ?Sized>(_store: &S) -> Result<usize> {
    Ok(0)
}

pub(crate) fn keys<S: KvStorage + ?Sized>(store: &S) -> Result<BoxIter<'_, String>> {
    Ok(Box::new(
        store
            .scan(Scan::keys_only())?
            .map(|record| record.map(|r| r.key)),
    ))
}
