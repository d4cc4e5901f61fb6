//! The defaults of [`AsyncKvStorage`]'s provided methods: those of the blocking face, awaited.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};

use crate::async_storage::BoxStream;
use crate::entry::{Entry, Scan, SetEntry};
use crate::error::Result;
use crate::limits::check_key;
use crate::sorted::{SortBy, SortedEntry, TopEntries};
use crate::storage::{contended, is_entry, readable_record, Expiry, TOUCH_ATTEMPTS};
use crate::time::Timestamp;
use crate::traits::AsyncKvStorage;

pub(crate) async fn get<S: AsyncKvStorage + ?Sized>(
    store: &S,
    key: &str,
) -> Result<Option<Vec<u8>>> {
    Ok(store.get_entry(key).await?.map(|entry| entry.value))
}

pub(crate) async fn set_if_absent<S: AsyncKvStorage + ?Sized>(
    store: &S,
    key: &str,
    value: &[u8],
    ttl: Option<Duration>,
) -> Result<bool> {
    store.compare_and_set(key, None, value, ttl).await
}

pub(crate) async fn contains<S: AsyncKvStorage + ?Sized>(store: &S, key: &str) -> Result<bool> {
    Ok(store.get_entry(key).await?.is_some())
}

pub(crate) async fn expiry<S: AsyncKvStorage + ?Sized>(
    store: &S,
    key: &str,
) -> Result<Option<Expiry>> {
    Ok(store
        .get_entry(key)
        .await?
        .map(|entry| Expiry::from_option(entry.expires_at)))
}

pub(crate) async fn get_stale<S: AsyncKvStorage + ?Sized>(
    store: &S,
    key: &str,
) -> Result<Option<Entry>> {
    store.get_entry(key).await
}

pub(crate) async fn touch<S: AsyncKvStorage + ?Sized>(
    store: &S,
    key: &str,
    ttl: Option<Duration>,
) -> Result<bool> {
    // A TTL the store would refuse is refused whether or not there is an entry.
    crate::time::expiry_from_ttl(ttl, Timestamp::now())?;
    for _ in 0..TOUCH_ATTEMPTS {
        let Some(entry) = store.get_entry(key).await? else {
            return Ok(false);
        };
        if store
            .compare_and_set(key, Some(&entry.value), &entry.value, ttl)
            .await?
        {
            return Ok(true);
        }
    }
    Err(contended(store.backend_name(), "touch"))
}

pub(crate) async fn increment<S: AsyncKvStorage + ?Sized>(
    store: &S,
    key: &str,
    by: i64,
    ttl: Option<Duration>,
) -> Result<i64> {
    crate::time::expiry_from_ttl(ttl, Timestamp::now())?;
    for _ in 0..crate::counter::ATTEMPTS {
        let entry = store.get_entry(key).await?;
        let backend = store.backend_name();
        let Some(round) = crate::counter::round(backend, key, entry.as_ref(), by, ttl)? else {
            continue;
        };
        let expected = entry.as_ref().map(|entry| entry.value.as_slice());
        if store
            .compare_and_set(key, expected, &round.stored, round.ttl)
            .await?
        {
            return Ok(round.value);
        }
    }
    Err(contended(store.backend_name(), "increment"))
}

pub(crate) async fn pop<S: AsyncKvStorage + ?Sized>(
    store: &S,
    key: &str,
) -> Result<Option<Vec<u8>>> {
    let Some(entry) = store.get_entry(key).await? else {
        return Ok(None);
    };
    Ok(store.delete(key).await?.then_some(entry.value))
}

pub(crate) async fn len<S: AsyncKvStorage + ?Sized>(store: &S) -> Result<usize> {
    let mut records = store.scan(Scan::keys_only()).await?;
    let mut count = 0;
    while let Some(record) = records.next().await {
        count += usize::from(is_entry(record)?);
    }
    Ok(count)
}

pub(crate) async fn len_including_expired<S: AsyncKvStorage + ?Sized>(store: &S) -> Result<usize> {
    store.len().await
}

pub(crate) async fn size<S: AsyncKvStorage + ?Sized>(_store: &S) -> Result<Option<u64>> {
    Ok(None)
}

pub(crate) async fn sorted<S: AsyncKvStorage + ?Sized>(
    store: &S,
    by: SortBy,
    limit: usize,
) -> Result<Vec<SortedEntry>> {
    let mut top = TopEntries::new(by, limit);
    if limit > 0 {
        let mut items = store.scan(Scan::from(by.scan_mode())).await?;
        while let Some(item) = items.next().await {
            if let Some(record) = readable_record(item)? {
                top.push(SortedEntry::of_record(record));
            }
        }
    }
    Ok(top.into_sorted())
}

pub(crate) async fn get_many<S: AsyncKvStorage + ?Sized>(
    store: &S,
    keys: &[&str],
) -> Result<Vec<Option<Vec<u8>>>> {
    keys.iter().try_for_each(|key| check_key(key))?;
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        values.push(store.get(key).await?);
    }
    Ok(values)
}

pub(crate) async fn set_entries<S: AsyncKvStorage + ?Sized>(
    store: &S,
    entries: &[SetEntry<'_>],
) -> Result<()> {
    store.check_entries(entries)?;
    for entry in entries {
        store.set(entry.key, entry.value, entry.ttl).await?;
    }
    Ok(())
}

pub(crate) async fn delete_many<S: AsyncKvStorage + ?Sized>(
    store: &S,
    keys: &[&str],
) -> Result<usize> {
    keys.iter().try_for_each(|key| check_key(key))?;
    let mut deleted = 0;
    for key in keys {
        deleted += usize::from(store.delete(key).await?);
    }
    Ok(deleted)
}

pub(crate) async fn purge_expired<S: AsyncKvStorage + ?Sized>(_store: &S) -> Result<usize> {
    Ok(0)
}

pub(crate) async fn keys<S: AsyncKvStorage + ?Sized>(store: &S) -> Result<BoxStream<'_, String>> {
    Ok(Box::pin(
        store
            .scan(Scan::keys_only())
            .await?
            .map_ok(|record| record.key),
    ))
}
