//! The async face of [`Layered`]: every method of [`AsyncKvStorage`] through
//! [`Layer::call_async`]. `keys`, `values` and `items` are built on the layered `scan`.

use std::time::Duration;

use async_trait::async_trait;

use super::{Call, Layer, Layered, Operation};
use crate::async_storage::{AsyncKvStorage, BoxStream};
use crate::entry::{Entry, Record, ScanMode, SetEntry};
use crate::error::Result;
use crate::storage::Expiry;

impl<S: AsyncKvStorage, L: Layer> Layered<S, L> {
    fn describe_async(&self, operation: Operation, keys: usize, bytes_in: usize) -> Call<'_> {
        Call {
            operation,
            backend: self.inner.backend_name(),
            namespace: self.inner.namespace_name(),
            keys,
            bytes_in,
        }
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
        let call = self.describe_async(Operation::GetEntry, 1, 0);
        self.layer
            .call_async(&call, &mut || self.inner.get_entry(key))
            .await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let call = self.describe_async(Operation::Set, 1, value.len());
        self.layer
            .call_async(&call, &mut || self.inner.set(key, value, ttl))
            .await
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let call = self.describe_async(Operation::SetIfAbsent, 1, value.len());
        self.layer
            .call_async(&call, &mut || self.inner.set_if_absent(key, value, ttl))
            .await
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let call = self.describe_async(Operation::CompareAndSet, 1, value.len());
        self.layer
            .call_async(&call, &mut || {
                self.inner.compare_and_set(key, expected, value, ttl)
            })
            .await
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        let call = self.describe_async(Operation::CompareAndDelete, 1, 0);
        self.layer
            .call_async(&call, &mut || self.inner.compare_and_delete(key, expected))
            .await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let call = self.describe_async(Operation::Delete, 1, 0);
        self.layer
            .call_async(&call, &mut || self.inner.delete(key))
            .await
    }

    async fn scan(&self, mode: ScanMode) -> Result<BoxStream<'_, Record>> {
        let call = self.describe_async(Operation::Scan, 0, 0);
        self.layer
            .call_async(&call, &mut || self.inner.scan(mode))
            .await
    }

    async fn clear(&self) -> Result<()> {
        let call = self.describe_async(Operation::Clear, 0, 0);
        self.layer
            .call_async(&call, &mut || self.inner.clear())
            .await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let call = self.describe_async(Operation::Get, 1, 0);
        self.layer
            .call_async(&call, &mut || self.inner.get(key))
            .await
    }

    async fn contains(&self, key: &str) -> Result<bool> {
        let call = self.describe_async(Operation::Contains, 1, 0);
        self.layer
            .call_async(&call, &mut || self.inner.contains(key))
            .await
    }

    async fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        let call = self.describe_async(Operation::Expiry, 1, 0);
        self.layer
            .call_async(&call, &mut || self.inner.expiry(key))
            .await
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let call = self.describe_async(Operation::Pop, 1, 0);
        self.layer
            .call_async(&call, &mut || self.inner.pop(key))
            .await
    }

    async fn len(&self) -> Result<usize> {
        let call = self.describe_async(Operation::Len, 0, 0);
        self.layer.call_async(&call, &mut || self.inner.len()).await
    }

    async fn is_empty(&self) -> Result<bool> {
        let call = self.describe_async(Operation::IsEmpty, 0, 0);
        self.layer
            .call_async(&call, &mut || self.inner.is_empty())
            .await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let call = self.describe_async(Operation::GetMany, keys.len(), 0);
        self.layer
            .call_async(&call, &mut || self.inner.get_many(keys))
            .await
    }

    async fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        let bytes = entries.iter().map(|(_, value)| value.len()).sum();
        let call = self.describe_async(Operation::SetMany, entries.len(), bytes);
        self.layer
            .call_async(&call, &mut || self.inner.set_many(entries, ttl))
            .await
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        let bytes = entries.iter().map(|entry| entry.value.len()).sum();
        let call = self.describe_async(Operation::SetMany, entries.len(), bytes);
        self.layer
            .call_async(&call, &mut || self.inner.set_entries(entries))
            .await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        let call = self.describe_async(Operation::DeleteMany, keys.len(), 0);
        self.layer
            .call_async(&call, &mut || self.inner.delete_many(keys))
            .await
    }

    async fn update(&self, other: &dyn AsyncKvStorage) -> Result<usize> {
        let call = self.describe_async(Operation::Update, 0, 0);
        self.layer
            .call_async(&call, &mut || self.inner.update(other))
            .await
    }

    async fn purge_expired(&self) -> Result<usize> {
        let call = self.describe_async(Operation::PurgeExpired, 0, 0);
        self.layer
            .call_async(&call, &mut || self.inner.purge_expired())
            .await
    }
}
