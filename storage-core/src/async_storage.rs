//! [`AsyncKvStorage`], the async twin of [`KvStorage`](crate::KvStorage).

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use futures_core::Stream;
use futures_util::{StreamExt, TryStreamExt};

use crate::entry::{Entry, Record, ScanMode, SetEntry};
use crate::error::Result;
use crate::limits::check_key;
use crate::sorted::{SortBy, SortedEntry, TopEntries};
use crate::storage::{is_entry, Expiry, UPDATE_BATCH};
use crate::time::{remaining_ttl, Timestamp};

/// A boxed stream borrowed from a store.
pub type BoxStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'a>>;

/// The async twin of [`KvStorage`](crate::KvStorage): the same operations with the same
/// semantics, as `async fn`s and streams.
///
/// Implementors provide the same eight methods as for the sync trait; the rest have defaults.
/// A sync store becomes an async one with [`AsyncAdapter`](crate::AsyncAdapter), and back with
/// [`BlockingAdapter`](crate::BlockingAdapter).
#[async_trait]
pub trait AsyncKvStorage: Send + Sync {
    /// The backend's name, used in error messages.
    fn backend_name(&self) -> &'static str;

    /// The largest value this store accepts, in bytes.
    fn max_value_len(&self) -> usize {
        usize::MAX
    }

    /// The namespace this store holds, if it has one.
    fn namespace_name(&self) -> Option<&str> {
        None
    }

    /// The live entry under `key` with its expiry, or `None`.
    async fn get_entry(&self, key: &str) -> Result<Option<Entry>>;

    /// Stores `value` under `key`, replacing any entry, expiring after `ttl` if given.
    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()>;

    /// Stores `value` only if `key` has no live entry; returns whether it was stored. Atomic.
    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool>;

    /// Stores `value` only if the live value under `key` is exactly `expected` (`None`: only if
    /// there is no live entry); returns whether it stored. Atomic; see
    /// [`KvStorage::compare_and_set`](crate::KvStorage::compare_and_set).
    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool>;

    /// Deletes `key` only if its live value is exactly `expected`; returns whether it deleted.
    /// Atomic.
    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool>;

    /// Deletes `key`; returns whether a live entry existed.
    async fn delete(&self, key: &str) -> Result<bool>;

    /// Streams the live entries (order unspecified), in batches.
    async fn scan(&self, mode: ScanMode) -> Result<BoxStream<'_, Record>>;

    /// Removes every entry of this store's namespace, and nothing else.
    async fn clear(&self) -> Result<()>;

    /// The value under `key`, or `None`.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_entry(key).await?.map(|entry| entry.value))
    }

    /// Whether `key` has a live entry.
    async fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.get_entry(key).await?.is_some())
    }

    /// The expiry of `key`: `None` if there is no live entry.
    async fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        Ok(self
            .get_entry(key)
            .await?
            .map(|entry| Expiry::from_option(entry.expires_at)))
    }

    /// See [`KvStorage::get_stale`](crate::KvStorage::get_stale): the entry even when expired,
    /// while the store holds it; the default returns only live entries.
    async fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        self.get_entry(key).await
    }

    /// See [`KvStorage::touch`](crate::KvStorage::touch): the same contract and default.
    async fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        // A TTL the store would refuse is refused whether or not there is an entry.
        crate::time::expiry_from_ttl(ttl, crate::time::Timestamp::now())?;
        for _ in 0..crate::storage::TOUCH_ATTEMPTS {
            let Some(entry) = self.get_entry(key).await? else {
                return Ok(false);
            };
            if self
                .compare_and_set(key, Some(&entry.value), &entry.value, ttl)
                .await?
            {
                return Ok(true);
            }
        }
        Err(crate::storage::touch_contended(self.backend_name()))
    }

    /// Removes `key` and returns its value, if it had one.
    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let Some(entry) = self.get_entry(key).await? else {
            return Ok(None);
        };
        Ok(self.delete(key).await?.then_some(entry.value))
    }

    /// The number of live entries: as many as [`keys`](Self::keys) yields, entries it reports
    /// as unreadable included (see [`is_entry`]).
    async fn len(&self) -> Result<usize> {
        let mut records = self.scan(ScanMode::KeysOnly).await?;
        let mut count = 0;
        while let Some(record) = records.next().await {
            count += usize::from(is_entry(record)?);
        }
        Ok(count)
    }

    /// See [`KvStorage::len_including_expired`](crate::KvStorage::len_including_expired);
    /// the default is `len()`.
    async fn len_including_expired(&self) -> Result<usize> {
        self.len().await
    }

    /// See [`KvStorage::size`](crate::KvStorage::size); the default is `None`.
    async fn size(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// See [`KvStorage::sorted`](crate::KvStorage::sorted): the same order and default.
    async fn sorted(&self, by: SortBy, limit: usize) -> Result<Vec<SortedEntry>> {
        let mut top = TopEntries::new(by, limit);
        if limit > 0 {
            let mut items = self.scan(by.scan_mode()).await?;
            while let Some(item) = items.next().await {
                if let Some(record) = crate::storage::readable_record(item)? {
                    top.push(SortedEntry::of_record(record));
                }
            }
        }
        Ok(top.into_sorted())
    }

    /// Whether there is no live entry.
    async fn is_empty(&self) -> Result<bool> {
        match self.scan(ScanMode::KeysOnly).await?.next().await {
            None => Ok(true),
            Some(record) => Ok(!is_entry(record)?),
        }
    }

    /// The keys of the live entries, streamed.
    async fn keys(&self) -> Result<BoxStream<'_, String>> {
        scan_stream(self, ScanMode::KeysOnly, |record| record.key).await
    }

    /// The values of the live entries, streamed.
    async fn values(&self) -> Result<BoxStream<'_, Vec<u8>>> {
        scan_stream(self, ScanMode::WithValues, |record| {
            record.value.unwrap_or_default()
        })
        .await
    }

    /// The `(key, value)` pairs of the live entries, streamed.
    async fn items(&self) -> Result<BoxStream<'_, (String, Vec<u8>)>> {
        scan_stream(self, ScanMode::WithValues, |record| {
            (record.key, record.value.unwrap_or_default())
        })
        .await
    }

    /// The values of `keys`, in the same order; `None` for missing keys.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }

    /// Stores every `(key, value)` pair with the same `ttl`.
    async fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        let entries: Vec<SetEntry<'_>> = entries
            .iter()
            .map(|(key, value)| SetEntry::new(key, value, ttl))
            .collect();
        self.set_entries(&entries).await
    }

    /// Stores every entry, each with its own TTL; everything is checked before anything is written.
    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.check_entries(entries)?;
        for entry in entries {
            self.set(entry.key, entry.value, entry.ttl).await?;
        }
        Ok(())
    }

    /// Deletes every key; returns how many live entries were removed.
    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let mut deleted = 0;
        for key in keys {
            deleted += usize::from(self.delete(key).await?);
        }
        Ok(deleted)
    }

    /// Copies every live entry of `other` into this store with its remaining TTL.
    async fn update(&self, other: &dyn AsyncKvStorage) -> Result<usize> {
        copy_entries(self, other).await
    }

    /// Physically removes expired entries where the backend does not do it by itself.
    async fn purge_expired(&self) -> Result<usize> {
        Ok(0)
    }

    /// Checks every key and value of a bulk write against this store's limits.
    fn check_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        crate::limits::check_entries(self.backend_name(), self.max_value_len(), entries)
    }
}

/// The records of one scan of `store`, each mapped by `map`.
async fn scan_stream<'a, S, T, F>(store: &'a S, mode: ScanMode, map: F) -> Result<BoxStream<'a, T>>
where
    S: AsyncKvStorage + ?Sized,
    T: Send + 'a,
    F: Fn(Record) -> T + Send + Sync + 'a,
{
    Ok(Box::pin(store.scan(mode).await?.map_ok(map)))
}

/// Implements [`AsyncKvStorage`] for the smart pointers by forwarding every method, overrides
/// included (from the list of operations).
macro_rules! forward_async_kv_storage {
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
        #[async_trait]
        impl<T: AsyncKvStorage + ?Sized> AsyncKvStorage for $pointer {
            fn backend_name(&self) -> &'static str { (**self).backend_name() }
            fn max_value_len(&self) -> usize { (**self).max_value_len() }
            fn namespace_name(&self) -> Option<&str> { (**self).namespace_name() }
            async fn update(&self, other: &dyn AsyncKvStorage) -> Result<usize> {
                (**self).update(other).await
            }
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    (**self).$name($($arg),*).await
                }
            )*
            $(
                async fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxStream<'_, $item>> {
                    (**self).$list_name($($list_arg),*).await
                }
            )*
        }
    };
}

crate::kv_operations!(forward_async_kv_storage, &T);
crate::kv_operations!(forward_async_kv_storage, Box<T>);
crate::kv_operations!(forward_async_kv_storage, std::sync::Arc<T>);

/// The default [`AsyncKvStorage::update`]; see [`crate::storage::copy_entries`].
pub(crate) async fn copy_entries<S: AsyncKvStorage + ?Sized>(
    target: &S,
    other: &dyn AsyncKvStorage,
) -> Result<usize> {
    let mut records = other.scan(ScanMode::WithValues).await?;
    let mut copied = 0;
    let mut batch: Vec<(String, Vec<u8>, Option<Duration>)> = Vec::with_capacity(UPDATE_BATCH);
    loop {
        let next = records.next().await.transpose()?;
        let done = next.is_none();
        if let Some(record) = next {
            if let Some(ttl) = remaining_ttl(record.expires_at, Timestamp::now()) {
                batch.push((record.key, record.value.unwrap_or_default(), ttl));
            }
        }
        if batch.len() == UPDATE_BATCH || (done && !batch.is_empty()) {
            let entries: Vec<SetEntry<'_>> = batch
                .iter()
                .map(|(key, value, ttl)| SetEntry::new(key, value, *ttl))
                .collect();
            target.set_entries(&entries).await?;
            copied += batch.len();
            batch.clear();
        }
        if done {
            return Ok(copied);
        }
    }
}
