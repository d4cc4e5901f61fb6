//! [`KvStorageExt`] and [`AsyncKvStorageExt`]: conveniences every store gets, built on the
//! operations of the store traits. No store overrides them, so no wrapper forwards them.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;

use crate::async_storage::BoxStream;
use crate::entry::{ScanMode, SetEntry};
use crate::error::Result;
use crate::storage::{is_entry, BoxIter};
use crate::traits::{AsyncKvStorage, KvStorage};

/// Conveniences of every [`KvStorage`] (in the [`prelude`](crate::prelude)).
pub trait KvStorageExt: KvStorage {
    /// Whether there is no live entry (the first item of a keys-only scan).
    fn is_empty(&self) -> Result<bool> {
        match self.scan(ScanMode::KeysOnly)?.next() {
            None => Ok(true),
            Some(record) => Ok(!is_entry(record)?),
        }
    }

    /// The values of the live entries, streamed.
    fn values(&self) -> Result<BoxIter<'_, Vec<u8>>> {
        Ok(Box::new(
            self.scan(ScanMode::WithValues)?
                .map(|record| record.map(|r| r.value.unwrap_or_default())),
        ))
    }

    /// The `(key, value)` pairs of the live entries, streamed.
    fn items(&self) -> Result<BoxIter<'_, (String, Vec<u8>)>> {
        Ok(Box::new(self.scan(ScanMode::WithValues)?.map(|record| {
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
}

impl<S: KvStorage + ?Sized> KvStorageExt for S {}

/// Conveniences of every [`AsyncKvStorage`] (in the [`prelude`](crate::prelude)): those of
/// [`KvStorageExt`], async.
#[async_trait]
pub trait AsyncKvStorageExt: AsyncKvStorage {
    /// Whether there is no live entry (the first item of a keys-only scan).
    async fn is_empty(&self) -> Result<bool> {
        let mut records = self.scan(ScanMode::KeysOnly).await?;
        match records.try_next().await {
            Ok(None) => Ok(true),
            Ok(Some(_)) => Ok(false),
            Err(error) => Ok(!is_entry(Err(error))?),
        }
    }

    /// The values of the live entries, streamed.
    async fn values(&self) -> Result<BoxStream<'_, Vec<u8>>> {
        Ok(Box::pin(
            self.scan(ScanMode::WithValues)
                .await?
                .map_ok(|r| r.value.unwrap_or_default()),
        ))
    }

    /// The `(key, value)` pairs of the live entries, streamed.
    async fn items(&self) -> Result<BoxStream<'_, (String, Vec<u8>)>> {
        Ok(Box::pin(
            self.scan(ScanMode::WithValues)
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
}

impl<S: AsyncKvStorage + ?Sized> AsyncKvStorageExt for S {}
