//! The async face of [`Layered`]: every method of [`AsyncKvStorage`] through
//! [`Layer::call_async`]. `keys`, `values` and `items` are built on the layered `scan`.

use std::time::Duration;

use async_trait::async_trait;

use super::{AsyncRun, Call, Layer, Layered, Operation, Outcome};
use crate::async_storage::{AsyncKvStorage, BoxStream};
use crate::entry::{Entry, Record, ScanMode, SetEntry};
use crate::error::Result;
use crate::sorted::{SortBy, SortedEntry};
use crate::storage::Expiry;

impl<S: AsyncKvStorage, L: Layer> Layered<S, L> {
    fn describe_async<'a>(
        &'a self,
        operation: Operation,
        key: Option<&'a str>,
        keys: usize,
        bytes_in: usize,
    ) -> Call<'a> {
        Call {
            operation,
            key,
            backend: self.inner.backend_name(),
            namespace: self.inner.namespace_name(),
            keys,
            bytes_in,
        }
    }
}

impl<S: AsyncKvStorage, L: Layer> Layered<S, L> {
    /// Runs `run` through the layer; a failure names the namespace and key of the call.
    async fn run_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> Result<T> {
        self.layer
            .call_async(call, run)
            .await
            .map_err(|error| error.with_context(call.namespace, call.key))
    }
}

#[async_trait]
impl<S: AsyncKvStorage, L: Layer> AsyncKvStorage for Layered<S, L> {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    fn max_value_len(&self) -> usize {
        self.inner.max_value_len()
    }

    fn namespace_name(&self) -> Option<&str> {
        self.inner.namespace_name()
    }

    async fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        let call = self.describe_async(Operation::GetEntry, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.get_entry(key))
            .await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let ttl = self.layer.write_ttl(ttl);
        let call = self.describe_async(Operation::Set, Some(key), 1, value.len());
        self.run_async(&call, &mut || self.inner.set(key, value, ttl))
            .await
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let ttl = self.layer.write_ttl(ttl);
        let call = self.describe_async(Operation::SetIfAbsent, Some(key), 1, value.len());
        self.run_async(&call, &mut || self.inner.set_if_absent(key, value, ttl))
            .await
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let ttl = self.layer.write_ttl(ttl);
        let call = self.describe_async(Operation::CompareAndSet, Some(key), 1, value.len());
        self.run_async(&call, &mut || {
            self.inner.compare_and_set(key, expected, value, ttl)
        })
        .await
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        let call = self.describe_async(Operation::CompareAndDelete, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.compare_and_delete(key, expected))
            .await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let call = self.describe_async(Operation::Delete, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.delete(key)).await
    }

    async fn scan(&self, mode: ScanMode) -> Result<BoxStream<'_, Record>> {
        let call = self.describe_async(Operation::Scan, None, 0, 0);
        self.run_async(&call, &mut || self.inner.scan(mode)).await
    }

    async fn clear(&self) -> Result<()> {
        let call = self.describe_async(Operation::Clear, None, 0, 0);
        self.run_async(&call, &mut || self.inner.clear()).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let call = self.describe_async(Operation::Get, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.get(key)).await
    }

    async fn contains(&self, key: &str) -> Result<bool> {
        let call = self.describe_async(Operation::Contains, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.contains(key))
            .await
    }

    async fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        let call = self.describe_async(Operation::Expiry, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.expiry(key)).await
    }

    async fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        let call = self.describe_async(Operation::GetStale, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.get_stale(key))
            .await
    }

    async fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        let ttl = self.layer.write_ttl(ttl);
        let call = self.describe_async(Operation::Touch, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.touch(key, ttl))
            .await
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let call = self.describe_async(Operation::Pop, Some(key), 1, 0);
        self.run_async(&call, &mut || self.inner.pop(key)).await
    }

    async fn len(&self) -> Result<usize> {
        let call = self.describe_async(Operation::Len, None, 0, 0);
        self.run_async(&call, &mut || self.inner.len()).await
    }

    async fn len_including_expired(&self) -> Result<usize> {
        let call = self.describe_async(Operation::LenIncludingExpired, None, 0, 0);
        self.run_async(&call, &mut || self.inner.len_including_expired())
            .await
    }

    async fn size(&self) -> Result<Option<u64>> {
        let call = self.describe_async(Operation::Size, None, 0, 0);
        self.run_async(&call, &mut || self.inner.size()).await
    }

    async fn sorted(&self, by: SortBy, limit: usize) -> Result<Vec<SortedEntry>> {
        let call = self.describe_async(Operation::Sorted, None, 0, 0);
        self.run_async(&call, &mut || self.inner.sorted(by, limit))
            .await
    }

    async fn is_empty(&self) -> Result<bool> {
        let call = self.describe_async(Operation::IsEmpty, None, 0, 0);
        self.run_async(&call, &mut || self.inner.is_empty()).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let call = self.describe_async(Operation::GetMany, None, keys.len(), 0);
        self.run_async(&call, &mut || self.inner.get_many(keys))
            .await
    }

    async fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        let ttl = self.layer.write_ttl(ttl);
        let bytes = entries.iter().map(|(_, value)| value.len()).sum();
        let call = self.describe_async(Operation::SetMany, None, entries.len(), bytes);
        self.run_async(&call, &mut || self.inner.set_many(entries, ttl))
            .await
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        let rewritten = super::rewrite_ttls(&self.layer, entries);
        let entries = rewritten.as_deref().unwrap_or(entries);
        let bytes = entries.iter().map(|entry| entry.value.len()).sum();
        let call = self.describe_async(Operation::SetMany, None, entries.len(), bytes);
        self.run_async(&call, &mut || self.inner.set_entries(entries))
            .await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        let call = self.describe_async(Operation::DeleteMany, None, keys.len(), 0);
        self.run_async(&call, &mut || self.inner.delete_many(keys))
            .await
    }

    async fn update(&self, other: &dyn AsyncKvStorage) -> Result<usize> {
        if self.layer.write_ttl(None).is_some() {
            // The copied entries without expiry take this layer's TTL: copy through `self`.
            return crate::async_storage::copy_entries(self, other).await;
        }
        let call = self.describe_async(Operation::Update, None, 0, 0);
        self.run_async(&call, &mut || self.inner.update(other))
            .await
    }

    async fn purge_expired(&self) -> Result<usize> {
        let call = self.describe_async(Operation::PurgeExpired, None, 0, 0);
        self.run_async(&call, &mut || self.inner.purge_expired())
            .await
    }
}
