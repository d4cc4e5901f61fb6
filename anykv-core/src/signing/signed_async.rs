//! The async face of [`Signed`]: the same format and rules as the blocking face, so a value
//! signed by one face verifies on the other.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;

use super::signed::{earliest, Settled, Signed};
use super::signer::Signer;
use crate::async_storage::BoxStream;
use crate::entry::{Entry, Record, Scan, SetEntry};
use crate::error::Result;
use crate::limits::check_entry;
use crate::time::Timestamp;
use crate::traits::{AsyncKvStorage, Store};

impl<S: AsyncKvStorage> Signed<S> {
    /// The async face: signs values written to the async store `inner` with `signer`, bound to
    /// `inner`'s namespace; invalid entries are errors. Values are interchangeable with the
    /// blocking face's ([`Signed::new`]) over the same store.
    pub fn new_async(inner: S, signer: Signer) -> Self {
        let namespace = Store::namespace_name(&inner).map(str::to_owned);
        Self::bound(inner, signer, namespace)
    }

    /// The async twin of the blocking face's verification: the payload and signed expiry, a
    /// miss (deleting an invalid entry when the policy says so), or the error.
    async fn checked_async(
        &self,
        key: &str,
        value: Vec<u8>,
        already_deleted: bool,
    ) -> Result<Option<(Vec<u8>, Option<Timestamp>)>> {
        match self.settle(key, &value, false)? {
            Settled::Read(read) => Ok(read),
            Settled::DeleteAsMiss => {
                if !already_deleted {
                    self.inner().delete(key).await?;
                }
                Ok(None)
            }
        }
    }

    /// The signed bytes under `key` if they verify to `expected` (see the blocking face).
    async fn stored_as_async(&self, key: &str, expected: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(entry) = self.inner().get_entry(key).await? else {
            return Ok(None);
        };
        let checked = self.checked_async(key, entry.value.clone(), false).await?;
        let matches = checked.is_some_and(|(payload, _)| payload == expected);
        Ok(matches.then_some(entry.value))
    }

    fn check_async(&self, key: &str, value: &[u8]) -> Result<()> {
        check_entry(
            Store::backend_name(self),
            key,
            value,
            Store::max_value_len(self),
        )
    }
}

#[async_trait]
impl<S: AsyncKvStorage> AsyncKvStorage for Signed<S> {
    async fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        let Some(entry) = self.inner().get_entry(key).await? else {
            return Ok(None);
        };
        Ok(self
            .checked_async(key, entry.value, false)
            .await?
            .map(|(value, signed_expiry)| Entry {
                value,
                expires_at: earliest(signed_expiry, entry.expires_at),
            }))
    }

    async fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        let Some(entry) = self.inner().get_stale(key).await? else {
            return Ok(None);
        };
        match self.settle(key, &entry.value, true)? {
            Settled::Read(read) => Ok(read.map(|(value, signed_expiry)| Entry {
                value,
                expires_at: earliest(signed_expiry, entry.expires_at),
            })),
            Settled::DeleteAsMiss => self.inner().delete(key).await.map(|_| None),
        }
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.check_async(key, value)?;
        let signed = self.sign(key, value, ttl)?;
        self.inner().set(key, &signed, ttl).await
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.check_async(key, value)?;
        let signed = self.sign(key, value, ttl)?;
        self.inner().set_if_absent(key, &signed, ttl).await
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        self.check_async(key, value)?;
        let signed = self.sign(key, value, ttl)?;
        let Some(expected) = expected else {
            return self.inner().compare_and_set(key, None, &signed, ttl).await;
        };
        loop {
            let Some(stored) = self.stored_as_async(key, expected).await? else {
                return Ok(false);
            };
            if self
                .inner()
                .compare_and_set(key, Some(&stored), &signed, ttl)
                .await?
            {
                return Ok(true);
            }
        }
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        loop {
            let Some(stored) = self.stored_as_async(key, expected).await? else {
                return Ok(false);
            };
            if self.inner().compare_and_delete(key, &stored).await? {
                return Ok(true);
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        self.inner().delete(key).await
    }

    async fn scan(&self, scan: Scan<'_>) -> Result<BoxStream<'_, Record>> {
        let records = self.inner().scan(scan).await?;
        if !scan.values() {
            return Ok(records);
        }
        Ok(Box::pin(records.filter_map(move |record| async move {
            let record = match record {
                Ok(record) => record,
                Err(error) => return Some(Err(error)),
            };
            let value = record.value.unwrap_or_default();
            match self.checked_async(&record.key, value, false).await {
                Ok(Some((payload, signed_expiry))) => Some(Ok(Record {
                    value: Some(payload),
                    expires_at: earliest(signed_expiry, record.expires_at),
                    key: record.key,
                })),
                Ok(None) => None,
                Err(error) => Some(Err(error)),
            }
        })))
    }

    async fn clear(&self) -> Result<()> {
        self.inner().clear().await
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if !self.deletes_invalid() && AsyncKvStorage::get_entry(self, key).await?.is_none() {
            // Verified first, so an invalid entry is reported and kept, never popped and lost.
            return Ok(None);
        }
        match self.inner().pop(key).await? {
            Some(value) => Ok(self
                .checked_async(key, value, true)
                .await?
                .map(|(payload, _)| payload)),
            None => Ok(None),
        }
    }

    /// See the blocking face's `get`.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.inner().get(key).await? {
            Some(value) => Ok(self
                .checked_async(key, value, false)
                .await?
                .map(|(payload, _)| payload)),
            None => Ok(None),
        }
    }

    /// Verifies the value, as `get` does.
    async fn contains(&self, key: &str) -> Result<bool> {
        Ok(AsyncKvStorage::get(self, key).await?.is_some())
    }

    /// The store's own `keys`: a keys-only listing reads no value to verify.
    async fn keys(&self) -> Result<BoxStream<'_, String>> {
        self.inner().keys().await
    }

    async fn len(&self) -> Result<usize> {
        self.inner().len().await
    }

    async fn len_including_expired(&self) -> Result<usize> {
        self.inner().len_including_expired().await
    }

    async fn size(&self) -> Result<Option<u64>> {
        self.inner().size().await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let values = self.inner().get_many(keys).await?;
        let mut payloads = Vec::with_capacity(values.len());
        for (key, value) in keys.iter().zip(values) {
            payloads.push(match value {
                Some(value) => self
                    .checked_async(key, value, false)
                    .await?
                    .map(|(payload, _)| payload),
                None => None,
            });
        }
        Ok(payloads)
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        Store::check_entries(self, entries)?;
        let signed = self.sign_entries(entries)?;
        let entries: Vec<SetEntry<'_>> = entries
            .iter()
            .zip(&signed)
            .map(|(entry, value)| SetEntry::new(entry.key, value, entry.ttl))
            .collect();
        self.inner().set_entries(&entries).await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        self.inner().delete_many(keys).await
    }

    async fn purge_expired(&self) -> Result<usize> {
        self.inner().purge_expired().await
    }
}
