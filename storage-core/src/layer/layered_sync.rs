//! The blocking face of [`Layered`]: every method of [`KvStorage`] through [`Layer::call`].

use std::time::Duration;

use super::{Call, Layer, Layered, Operation, Outcome};
use crate::entry::{Entry, ScanMode, SetEntry};
use crate::error::Result;
use crate::sorted::{SortBy, SortedEntry};
use crate::storage::{BoxIter, Expiry, KvStorage, RecordIter};

impl<S: KvStorage, L: Layer> Layered<S, L> {
    fn describe<'a>(
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

impl<S: KvStorage, L: Layer> Layered<S, L> {
    /// Runs `run` through the layer; a failure names the namespace and key of the call.
    fn run<T: Outcome>(&self, call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        self.layer
            .call(call, run)
            .map_err(|error| error.with_context(call.namespace, call.key))
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
        let call = self.describe(Operation::GetEntry, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.get_entry(key))
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let ttl = self.layer.write_ttl(ttl);
        let call = self.describe(Operation::Set, Some(key), 1, value.len());
        self.run(&call, &mut || self.inner.set(key, value, ttl))
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let ttl = self.layer.write_ttl(ttl);
        let call = self.describe(Operation::SetIfAbsent, Some(key), 1, value.len());
        self.run(&call, &mut || self.inner.set_if_absent(key, value, ttl))
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let ttl = self.layer.write_ttl(ttl);
        let call = self.describe(Operation::CompareAndSet, Some(key), 1, value.len());
        self.run(&call, &mut || {
            self.inner.compare_and_set(key, expected, value, ttl)
        })
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        let call = self.describe(Operation::CompareAndDelete, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.compare_and_delete(key, expected))
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let call = self.describe(Operation::Delete, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.delete(key))
    }

    fn scan(&self, mode: ScanMode) -> Result<RecordIter<'_>> {
        let call = self.describe(Operation::Scan, None, 0, 0);
        self.run(&call, &mut || self.inner.scan(mode))
    }

    fn clear(&self) -> Result<()> {
        let call = self.describe(Operation::Clear, None, 0, 0);
        self.run(&call, &mut || self.inner.clear())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let call = self.describe(Operation::Get, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.get(key))
    }

    fn contains(&self, key: &str) -> Result<bool> {
        let call = self.describe(Operation::Contains, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.contains(key))
    }

    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        let call = self.describe(Operation::Expiry, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.expiry(key))
    }

    fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        let call = self.describe(Operation::GetStale, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.get_stale(key))
    }

    fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        let ttl = self.layer.write_ttl(ttl);
        let call = self.describe(Operation::Touch, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.touch(key, ttl))
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let call = self.describe(Operation::Pop, Some(key), 1, 0);
        self.run(&call, &mut || self.inner.pop(key))
    }

    fn len(&self) -> Result<usize> {
        let call = self.describe(Operation::Len, None, 0, 0);
        self.run(&call, &mut || self.inner.len())
    }

    fn len_including_expired(&self) -> Result<usize> {
        let call = self.describe(Operation::LenIncludingExpired, None, 0, 0);
        self.run(&call, &mut || self.inner.len_including_expired())
    }

    fn size(&self) -> Result<Option<u64>> {
        let call = self.describe(Operation::Size, None, 0, 0);
        self.run(&call, &mut || self.inner.size())
    }

    fn sorted(&self, by: SortBy, limit: usize) -> Result<Vec<SortedEntry>> {
        let call = self.describe(Operation::Sorted, None, 0, 0);
        self.run(&call, &mut || self.inner.sorted(by, limit))
    }

    fn is_empty(&self) -> Result<bool> {
        let call = self.describe(Operation::IsEmpty, None, 0, 0);
        self.run(&call, &mut || self.inner.is_empty())
    }

    fn keys(&self) -> Result<BoxIter<'_, String>> {
        let call = self.describe(Operation::Scan, None, 0, 0);
        self.run(&call, &mut || self.inner.keys())
    }

    fn values(&self) -> Result<BoxIter<'_, Vec<u8>>> {
        let call = self.describe(Operation::Scan, None, 0, 0);
        self.run(&call, &mut || self.inner.values())
    }

    fn items(&self) -> Result<BoxIter<'_, (String, Vec<u8>)>> {
        let call = self.describe(Operation::Scan, None, 0, 0);
        self.run(&call, &mut || self.inner.items())
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let call = self.describe(Operation::GetMany, None, keys.len(), 0);
        self.run(&call, &mut || self.inner.get_many(keys))
    }

    fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        let ttl = self.layer.write_ttl(ttl);
        let bytes = entries.iter().map(|(_, value)| value.len()).sum();
        let call = self.describe(Operation::SetMany, None, entries.len(), bytes);
        self.run(&call, &mut || self.inner.set_many(entries, ttl))
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        let rewritten = super::rewrite_ttls(&self.layer, entries);
        let entries = rewritten.as_deref().unwrap_or(entries);
        let bytes = entries.iter().map(|entry| entry.value.len()).sum();
        let call = self.describe(Operation::SetMany, None, entries.len(), bytes);
        self.run(&call, &mut || self.inner.set_entries(entries))
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        let call = self.describe(Operation::DeleteMany, None, keys.len(), 0);
        self.run(&call, &mut || self.inner.delete_many(keys))
    }

    fn update(&self, other: &dyn KvStorage) -> Result<usize> {
        if self.layer.write_ttl(None).is_some() {
            // The copied entries without expiry take this layer's TTL: copy through `self`.
            return crate::storage::copy_entries(self, other);
        }
        let call = self.describe(Operation::Update, None, 0, 0);
        self.run(&call, &mut || self.inner.update(other))
    }

    fn purge_expired(&self) -> Result<usize> {
        let call = self.describe(Operation::PurgeExpired, None, 0, 0);
        self.run(&call, &mut || self.inner.purge_expired())
    }
}
