//! [`KvStorageExt`] and [`AsyncKvStorageExt`]: conveniences every store gets, built on the
//! operations of the store traits. No store overrides them, so no wrapper forwards them.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};

use crate::async_storage::BoxStream;
use crate::entry::{Scan, SetEntry};
use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;
use crate::storage::{is_entry, readable_record, BoxIter, UPDATE_BATCH};
use crate::traits::{AsyncKvStorage, KvStorage};

/// Rounds of [`KvStorageExt::setdefault`] and [`KvStorageExt::popitem`] before they give up:
/// each round lost only to another writer, so this many in a row is a store under a storm.
const MOST_ATTEMPTS: usize = 64;

/// The error of a convenience that lost [`MOST_ATTEMPTS`] rounds in a row.
fn kept_losing(backend: &'static str, operation: &'static str) -> Error {
    Error::backend(
        backend,
        operation,
        ErrorKind::Conflict,
        format!("lost to other writers {MOST_ATTEMPTS} times in a row"),
    )
}

/// The keys a prefix deletion collects between two bulk deletes, and what it deleted so far.
#[derive(Default)]
struct DeleteBatch {
    keys: Vec<String>,
    deleted: usize,
}

impl DeleteBatch {
    /// Takes the scan's next item (`None`: the scan is `done`); returns the keys to delete now:
    /// a full batch, or what is left at the end.
    fn take(
        &mut self,
        next: Option<Result<crate::Record>>,
        chosen: &(dyn for<'k> Fn(&'k str) -> bool + Sync),
        done: bool,
    ) -> Result<Option<Vec<String>>> {
        if let Some(record) = next.map(readable_record).transpose()?.flatten() {
            if chosen(&record.key) {
                self.keys.push(record.key);
            }
        }
        let full = self.keys.len() >= UPDATE_BATCH || (done && !self.keys.is_empty());
        Ok(full.then(|| std::mem::take(&mut self.keys)))
    }
}

/// Conveniences of every [`KvStorage`] (in the [`prelude`](crate::prelude)).
pub trait KvStorageExt: KvStorage {
    /// Whether there is no live entry (the first item of a keys-only scan).
    fn is_empty(&self) -> Result<bool> {
        match self.scan(Scan::keys_only())?.next() {
            None => Ok(true),
            Some(record) => Ok(!is_entry(record)?),
        }
    }

    /// The values of the live entries, streamed.
    fn values(&self) -> Result<BoxIter<'_, Vec<u8>>> {
        Ok(Box::new(
            self.scan(Scan::with_values())?
                .map(|record| record.map(|r| r.value.unwrap_or_default())),
        ))
    }

    /// The `(key, value)` pairs of the live entries, streamed.
    fn items(&self) -> Result<BoxIter<'_, (String, Vec<u8>)>> {
        Ok(Box::new(self.scan(Scan::with_values())?.map(|record| {
            record.map(|r| (r.key, r.value.unwrap_or_default()))
        })))
    }

    /// Stores every `(key, value)` pair with the same `ttl` (one
    /// [`set_entries`](KvStorage::set_entries)).
    fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        let entries: Vec<SetEntry<'_>> = entries
            .iter()
            .map(|(key, value)| SetEntry::new(key, value, ttl))
            .collect();
        self.set_entries(&entries)
    }

    /// Copies every live entry of `other` into this store, each with its remaining TTL, in
    /// batches of [`UPDATE_BATCH`](crate::UPDATE_BATCH) through
    /// [`set_entries`](KvStorage::set_entries). Returns how many entries were copied.
    fn update(&self, other: &dyn KvStorage) -> Result<usize> {
        crate::storage::copy_entries(self, other)
    }

    /// The value of `key` after the call, as Python's `dict.setdefault`: the live value if there
    /// is one (left as it is), else `default`, stored with `ttl`. Atomic: of callers racing on a
    /// missing key, one stores its default and all get the value stored. Built on
    /// [`compare_and_set`](KvStorage::compare_and_set) from nothing and [`get`](KvStorage::get).
    fn setdefault(&self, key: &str, default: &[u8], ttl: Option<Duration>) -> Result<Vec<u8>> {
        for _ in 0..MOST_ATTEMPTS {
            if self.compare_and_set(key, None, default, ttl)? {
                return Ok(default.to_vec());
            }
            // Held: read it; gone again since (deleted, expired): try again.
            if let Some(value) = self.get(key)? {
                return Ok(value);
            }
        }
        Err(kept_losing(self.backend_name(), "setdefault"))
    }

    /// The keys of the live entries starting with `prefix`, streamed: a keys-only
    /// [`scan`](KvStorage::scan) of the prefix, which the backend pushes down (see
    /// [`Scan`](crate::Scan)). No character of `prefix` is a wildcard.
    fn keys_with_prefix<'s>(&'s self, prefix: &str) -> Result<BoxIter<'s, String>> {
        Ok(Box::new(
            self.scan(Scan::keys_only().prefix(prefix))?
                .map(|record| record.map(|r| r.key)),
        ))
    }

    /// Deletes every live entry whose key starts with `prefix` and returns how many it deleted:
    /// the keys of a prefix scan (pushed down by the backend), deleted in batches of
    /// [`UPDATE_BATCH`](crate::UPDATE_BATCH) by [`delete_many`](KvStorage::delete_many). Memory
    /// grows with the batch, never with the store. Entries written under the prefix while it
    /// runs may stay; entries the scan reports as unreadable are left (their keys cannot be
    /// named). The empty prefix deletes every entry ([`clear`](KvStorage::clear) is one call).
    fn delete_prefix(&self, prefix: &str) -> Result<usize> {
        self.delete_prefix_where(prefix, &|_| true)
    }

    /// [`delete_prefix`](Self::delete_prefix) of the keys `chosen` accepts only.
    fn delete_prefix_where(
        &self,
        prefix: &str,
        chosen: &(dyn for<'k> Fn(&'k str) -> bool + Sync),
    ) -> Result<usize> {
        let mut batch = DeleteBatch::default();
        let mut records = self.scan(Scan::keys_only().prefix(prefix))?;
        loop {
            let next = records.next();
            let done = next.is_none();
            if let Some(keys) = batch.take(next, chosen, done)? {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                batch.deleted += self.delete_many(&keys)?;
            }
            if done {
                return Ok(batch.deleted);
            }
        }
    }

    /// Removes and returns some live entry, as Python's `dict.popitem` (which one is not
    /// specified: the first a keys-only scan lists); `None` when the store is empty. An entry
    /// another caller removes first is skipped, so racing callers never get the same one.
    fn popitem(&self) -> Result<Option<(String, Vec<u8>)>> {
        for _ in 0..MOST_ATTEMPTS {
            let Some(key) = self.keys()?.next().transpose()? else {
                return Ok(None);
            };
            if let Some(value) = self.pop(&key)? {
                return Ok(Some((key, value)));
            }
        }
        Err(kept_losing(self.backend_name(), "popitem"))
    }
}

impl<S: KvStorage + ?Sized> KvStorageExt for S {}

/// Conveniences of every [`AsyncKvStorage`] (in the [`prelude`](crate::prelude)): those of
/// [`KvStorageExt`], async.
#[async_trait]
pub trait AsyncKvStorageExt: AsyncKvStorage {
    /// Whether there is no live entry (the first item of a keys-only scan).
    async fn is_empty(&self) -> Result<bool> {
        let mut records = self.scan(Scan::keys_only()).await?;
        match records.try_next().await {
            Ok(None) => Ok(true),
            Ok(Some(_)) => Ok(false),
            Err(error) => Ok(!is_entry(Err(error))?),
        }
    }

    /// The values of the live entries, streamed.
    async fn values(&self) -> Result<BoxStream<'_, Vec<u8>>> {
        Ok(Box::pin(
            self.scan(Scan::with_values())
                .await?
                .map_ok(|r| r.value.unwrap_or_default()),
        ))
    }

    /// The `(key, value)` pairs of the live entries, streamed.
    async fn items(&self) -> Result<BoxStream<'_, (String, Vec<u8>)>> {
        Ok(Box::pin(
            self.scan(Scan::with_values())
                .await?
                .map_ok(|r| (r.key, r.value.unwrap_or_default())),
        ))
    }

    /// Stores every `(key, value)` pair with the same `ttl` (one
    /// [`set_entries`](AsyncKvStorage::set_entries)).
    async fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        let entries: Vec<SetEntry<'_>> = entries
            .iter()
            .map(|(key, value)| SetEntry::new(key, value, ttl))
            .collect();
        self.set_entries(&entries).await
    }

    /// Copies every live entry of `other` into this store with its remaining TTL; see
    /// [`KvStorageExt::update`].
    async fn update(&self, other: &dyn AsyncKvStorage) -> Result<usize> {
        crate::async_storage::copy_entries(self, other).await
    }

    /// [`KvStorageExt::setdefault`], async.
    async fn setdefault(
        &self,
        key: &str,
        default: &[u8],
        ttl: Option<Duration>,
    ) -> Result<Vec<u8>> {
        for _ in 0..MOST_ATTEMPTS {
            if self.compare_and_set(key, None, default, ttl).await? {
                return Ok(default.to_vec());
            }
            if let Some(value) = self.get(key).await? {
                return Ok(value);
            }
        }
        Err(kept_losing(self.backend_name(), "setdefault"))
    }

    /// [`KvStorageExt::keys_with_prefix`], async.
    async fn keys_with_prefix<'s>(&'s self, prefix: &str) -> Result<BoxStream<'s, String>> {
        Ok(Box::pin(
            self.scan(Scan::keys_only().prefix(prefix))
                .await?
                .map_ok(|r| r.key),
        ))
    }

    /// [`KvStorageExt::delete_prefix`], async.
    async fn delete_prefix(&self, prefix: &str) -> Result<usize> {
        self.delete_prefix_where(prefix, &|_| true).await
    }

    /// [`KvStorageExt::delete_prefix_where`], async.
    async fn delete_prefix_where(
        &self,
        prefix: &str,
        chosen: &(dyn for<'k> Fn(&'k str) -> bool + Sync),
    ) -> Result<usize> {
        let mut batch = DeleteBatch::default();
        let mut records = self.scan(Scan::keys_only().prefix(prefix)).await?;
        loop {
            let next = records.next().await;
            let done = next.is_none();
            if let Some(keys) = batch.take(next, chosen, done)? {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                batch.deleted += self.delete_many(&keys).await?;
            }
            if done {
                return Ok(batch.deleted);
            }
        }
    }

    /// [`KvStorageExt::popitem`], async.
    async fn popitem(&self) -> Result<Option<(String, Vec<u8>)>> {
        for _ in 0..MOST_ATTEMPTS {
            let first = self.keys().await?.try_next().await?;
            let Some(key) = first else {
                return Ok(None);
            };
            if let Some(value) = self.pop(&key).await? {
                return Ok(Some((key, value)));
            }
        }
        Err(kept_losing(self.backend_name(), "popitem"))
    }
}

impl<S: AsyncKvStorage + ?Sized> AsyncKvStorageExt for S {}
