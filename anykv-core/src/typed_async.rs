//! [`AsyncTyped`]: the async face of [`Typed`](crate::Typed), in the same format.

use std::marker::PhantomData;
use std::time::Duration;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::async_storage::BoxStream;
use crate::codec::{decode, encode, Postcard, Serializer};
use crate::error::Result;
use crate::ext::AsyncKvStorageExt;
use crate::storage::Expiry;
use crate::traits::AsyncKvStorage;

/// A store of `T` values over the async byte store `S`, serialized with `C` (postcard by
/// default): the async face of [`Typed`](crate::Typed), with the same bytes, so what one face
/// writes the other reads.
///
/// ```
/// # async fn demo() -> anykv_core::Result<()> {
/// use anykv_core::{AsyncAdapter, AsyncTyped, MemoryStorage};
/// let users: AsyncTyped<_, (String, u32)> = AsyncTyped::new(AsyncAdapter::new(MemoryStorage::new()));
/// users.set("ada", &("Ada".to_owned(), 36), None).await?;
/// assert_eq!(users.get("ada").await?, Some(("Ada".to_owned(), 36)));
/// # Ok(())
/// # }
/// ```
pub struct AsyncTyped<S, T, C = Postcard> {
    store: S,
    serializer: C,
    _values: PhantomData<fn() -> T>,
}

impl<S: Clone, T, C: Clone> Clone for AsyncTyped<S, T, C> {
    fn clone(&self) -> Self {
        AsyncTyped {
            store: self.store.clone(),
            serializer: self.serializer.clone(),
            _values: PhantomData,
        }
    }
}

impl<S: AsyncKvStorage, T: Serialize + DeserializeOwned + Send> AsyncTyped<S, T, Postcard> {
    /// Typed values over `store`, serialized with postcard.
    pub fn new(store: S) -> Self {
        Self::with_serializer(store, Postcard)
    }
}

impl<S, T, C> AsyncTyped<S, T, C>
where
    S: AsyncKvStorage,
    T: Serialize + DeserializeOwned + Send,
    C: Serializer,
{
    /// Typed values over `store`, serialized with `serializer`.
    pub fn with_serializer(store: S, serializer: C) -> Self {
        AsyncTyped {
            store,
            serializer,
            _values: PhantomData,
        }
    }

    /// The byte store underneath.
    pub fn store(&self) -> &S {
        &self.store
    }

    fn decode(&self, key: &str, bytes: &[u8]) -> Result<T> {
        decode(&self.serializer, key, bytes)
    }

    /// The value under `key`, or `None`.
    pub async fn get(&self, key: &str) -> Result<Option<T>> {
        self.store
            .get(key)
            .await?
            .map(|bytes| self.decode(key, &bytes))
            .transpose()
    }

    /// The value under `key` and its expiry (`None`: never), even when it has expired, while
    /// the store still holds it: see [`KvStorage::get_stale`](crate::KvStorage::get_stale).
    pub async fn get_stale(&self, key: &str) -> Result<Option<(T, Option<crate::Timestamp>)>> {
        self.store
            .get_stale(key)
            .await?
            .map(|entry| Ok((self.decode(key, &entry.value)?, entry.expires_at)))
            .transpose()
    }

    /// Stores `value` under `key`.
    pub async fn set(&self, key: &str, value: &T, ttl: Option<Duration>) -> Result<()> {
        let bytes = encode(&self.serializer, value)?;
        self.store.set(key, &bytes, ttl).await
    }

    /// Stores `value` only if `key` has no live entry; returns whether it did.
    pub async fn set_if_absent(&self, key: &str, value: &T, ttl: Option<Duration>) -> Result<bool> {
        let bytes = encode(&self.serializer, value)?;
        self.store.set_if_absent(key, &bytes, ttl).await
    }

    /// Stores `value` only if the live value under `key` encodes to the same bytes as
    /// `expected` (`None`: only if `key` has no live entry); returns whether it stored. Atomic;
    /// see [`Typed::compare_and_set`](crate::Typed::compare_and_set) on canonical encodings.
    pub async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&T>,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let expected = expected
            .map(|expected| encode(&self.serializer, expected))
            .transpose()?;
        let bytes = encode(&self.serializer, value)?;
        self.store
            .compare_and_set(key, expected.as_deref(), &bytes, ttl)
            .await
    }

    /// Deletes `key` only if its live value encodes to the same bytes as `expected`; returns
    /// whether it deleted. Atomic.
    pub async fn compare_and_delete(&self, key: &str, expected: &T) -> Result<bool> {
        let bytes = encode(&self.serializer, expected)?;
        self.store.compare_and_delete(key, &bytes).await
    }

    /// Deletes `key`; returns whether it existed.
    pub async fn delete(&self, key: &str) -> Result<bool> {
        self.store.delete(key).await
    }

    /// Removes `key` and returns its value; a value that does not decode is refused with the
    /// error and left in the store (decoded first, then removed with a compare-and-delete of
    /// exactly those bytes).
    pub async fn pop(&self, key: &str) -> Result<Option<T>> {
        loop {
            let Some(entry) = self.store.get_entry(key).await? else {
                return Ok(None);
            };
            let value = self.decode(key, &entry.value)?;
            if self.store.compare_and_delete(key, &entry.value).await? {
                return Ok(Some(value));
            }
        }
    }

    /// Whether `key` has a live entry.
    pub async fn contains(&self, key: &str) -> Result<bool> {
        self.store.contains(key).await
    }

    /// The expiry of `key`, `None` if missing.
    pub async fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        self.store.expiry(key).await
    }

    /// Gives `key` a new TTL without rewriting its value; see [`KvStorage::touch`](crate::KvStorage::touch).
    pub async fn touch(&self, key: &str, ttl: Option<std::time::Duration>) -> Result<bool> {
        self.store.touch(key, ttl).await
    }

    /// The number of live entries.
    pub async fn len(&self) -> Result<usize> {
        self.store.len().await
    }

    /// Whether there is no live entry.
    pub async fn is_empty(&self) -> Result<bool> {
        self.store.is_empty().await
    }

    /// Removes every entry.
    pub async fn clear(&self) -> Result<()> {
        self.store.clear().await
    }

    /// The values of `keys`, in order.
    pub async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<T>>> {
        let values = self.store.get_many(keys).await?;
        keys.iter()
            .zip(values)
            .map(|(key, bytes)| bytes.map(|b| self.decode(key, &b)).transpose())
            .collect()
    }

    /// Stores every `(key, value)` pair with the same TTL.
    pub async fn set_many(&self, entries: &[(&str, T)], ttl: Option<Duration>) -> Result<()> {
        let encoded: Vec<Vec<u8>> = entries
            .iter()
            .map(|(_, value)| encode(&self.serializer, value))
            .collect::<Result<_>>()?;
        let pairs: Vec<(&str, &[u8])> = entries
            .iter()
            .zip(&encoded)
            .map(|((key, _), bytes)| (*key, bytes.as_slice()))
            .collect();
        self.store.set_many(&pairs, ttl).await
    }

    /// Deletes every key; returns how many existed.
    pub async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        self.store.delete_many(keys).await
    }

    /// The keys, streamed.
    pub async fn keys(&self) -> Result<BoxStream<'_, String>> {
        self.store.keys().await
    }

    /// The `(key, value)` pairs, streamed and decoded.
    pub async fn items(&self) -> Result<BoxStream<'_, (String, T)>> {
        Ok(Box::pin(self.store.items().await?.map(move |item| {
            let (key, bytes) = item?;
            let value = self.decode(&key, &bytes)?;
            Ok((key, value))
        })))
    }

    /// The values, streamed and decoded.
    pub async fn values(&self) -> Result<BoxStream<'_, T>> {
        Ok(Box::pin(
            self.items().await?.map(|item| item.map(|(_, value)| value)),
        ))
    }
}
