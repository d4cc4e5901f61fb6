//! The blocking face of [`Layered`]: every method of [`KvStorage`] through [`Layer::call`].

use std::time::Duration;

use super::{Call, Layer, Layered, Operation};
use crate::entry::{Entry, ScanMode, SetEntry};
use crate::error::Result;
use crate::storage::{BoxIter, Expiry, KvStorage, RecordIter};

impl<S: KvStorage, L: Layer> Layered<S, L> {
    fn describe(&self, operation: Operation, keys: usize, bytes_in: usize) -> Call<'_> {
        Call {
            operation,
            backend: self.inner.backend_name(),
            namespace: self.inner.namespace_name(),
            keys,
            bytes_in,
        }
    }
}

impl<S: KvStorage, L: Layer> KvStorage for Layered<S, L> {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    fn max_value_len(&self) -> usize {
        self.inner.max_value_len()
    }

    fn namespace_name(&self) -> Option<&str> {
        self.inner.namespace_name()
    }

    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        let call = self.describe(Operation::GetEntry, 1, 0);
        self.layer.call(&call, &mut || self.inner.get_entry(key))
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let call = self.describe(Operation::Set, 1, value.len());
        self.layer
            .call(&call, &mut || self.inner.set(key, value, ttl))
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let call = self.describe(Operation::SetIfAbsent, 1, value.len());
        self.layer
            .call(&call, &mut || self.inner.set_if_absent(key, value, ttl))
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let call = self.describe(Operation::CompareAndSet, 1, value.len());
        self.layer.call(&call, &mut || {
            self.inner.compare_and_set(key, expected, value, ttl)
        })
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        let call = self.describe(Operation::CompareAndDelete, 1, 0);
        self.layer
            .call(&call, &mut || self.inner.compare_and_delete(key, expected))
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let call = self.describe(Operation::Delete, 1, 0);
        self.layer.call(&call, &mut || self.inner.delete(key))
    }

    fn scan(&self, mode: ScanMode) -> Result<RecordIter<'_>> {
        let call = self.describe(Operation::Scan, 0, 0);
        self.layer.call(&call, &mut || self.inner.scan(mode))
    }

    fn clear(&self) -> Result<()> {
        let call = self.describe(Operation::Clear, 0, 0);
        self.layer.call(&call, &mut || self.inner.clear())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let call = self.describe(Operation::Get, 1, 0);
        self.layer.call(&call, &mut || self.inner.get(key))
    }

    fn contains(&self, key: &str) -> Result<bool> {
        let call = self.describe(Operation::Contains, 1, 0);
        self.layer.call(&call, &mut || self.inner.contains(key))
    }

    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        let call = self.describe(Operation::Expiry, 1, 0);
        self.layer.call(&call, &mut || self.inner.expiry(key))
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let call = self.describe(Operation::Pop, 1, 0);
        self.layer.call(&call, &mut || self.inner.pop(key))
    }

    fn len(&self) -> Result<usize> {
        let call = self.describe(Operation::Len, 0, 0);
        self.layer.call(&call, &mut || self.inner.len())
    }

    fn is_empty(&self) -> Result<bool> {
        let call = self.describe(Operation::IsEmpty, 0, 0);
        self.layer.call(&call, &mut || self.inner.is_empty())
    }

    fn keys(&self) -> Result<BoxIter<'_, String>> {
        let call = self.describe(Operation::Scan, 0, 0);
        self.layer.call(&call, &mut || self.inner.keys())
    }

    fn values(&self) -> Result<BoxIter<'_, Vec<u8>>> {
        let call = self.describe(Operation::Scan, 0, 0);
        self.layer.call(&call, &mut || self.inner.values())
    }

    fn items(&self) -> Result<BoxIter<'_, (String, Vec<u8>)>> {
        let call = self.describe(Operation::Scan, 0, 0);
        self.layer.call(&call, &mut || self.inner.items())
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let call = self.describe(Operation::GetMany, keys.len(), 0);
        self.layer.call(&call, &mut || self.inner.get_many(keys))
    }

    fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        let bytes = entries.iter().map(|(_, value)| value.len()).sum();
        let call = self.describe(Operation::SetMany, entries.len(), bytes);
        self.layer
            .call(&call, &mut || self.inner.set_many(entries, ttl))
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        let bytes = entries.iter().map(|entry| entry.value.len()).sum();
        let call = self.describe(Operation::SetMany, entries.len(), bytes);
        self.layer
            .call(&call, &mut || self.inner.set_entries(entries))
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        let call = self.describe(Operation::DeleteMany, keys.len(), 0);
        self.layer.call(&call, &mut || self.inner.delete_many(keys))
    }

    fn update(&self, other: &dyn KvStorage) -> Result<usize> {
        let call = self.describe(Operation::Update, 0, 0);
        self.layer.call(&call, &mut || self.inner.update(other))
    }

    fn purge_expired(&self) -> Result<usize> {
        let call = self.describe(Operation::PurgeExpired, 0, 0);
        self.layer.call(&call, &mut || self.inner.purge_expired())
    }
}
