//! [`Typed`]: values of one Rust type over any byte store, through a [`Serializer`].

use std::marker::PhantomData;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{decode, encode, Postcard, Serializer};
use crate::error::Result;
use crate::ext::KvStorageExt;
use crate::storage::{BoxIter, Expiry};
use crate::traits::KvStorage;

/// A store of `T` values over the byte store `S`, serialized with `C` (postcard by default).
///
/// Every value carries the codec header, so a value written by another serializer or another
/// program is refused with a typed error instead of being misread.
///
/// ```
/// use anykv_core::{MemoryStorage, Typed};
/// let users: Typed<_, (String, u32)> = Typed::new(MemoryStorage::new());
/// users.set("ada", &("Ada".to_owned(), 36), None)?;
/// assert_eq!(users.get("ada")?, Some(("Ada".to_owned(), 36)));
/// # Ok::<(), anykv_core::Error>(())
/// ```
pub struct Typed<S, T, C = Postcard> {
    store: S,
    serializer: C,
    _values: PhantomData<fn() -> T>,
}

impl<S: Clone, T, C: Clone> Clone for Typed<S, T, C> {
    fn clone(&self) -> Self {
        Typed {
            store: self.store.clone(),
            serializer: self.serializer.clone(),
            _values: PhantomData,
        }
    }
}

impl<S: KvStorage, T: Serialize + DeserializeOwned> Typed<S, T, Postcard> {
    /// Typed values over `store`, serialized with postcard.
    pub fn new(store: S) -> Self {
        Self::with_serializer(store, Postcard)
    }
}

impl<S: KvStorage, T: Serialize + DeserializeOwned, C: Serializer> Typed<S, T, C> {
    /// Typed values over `store`, serialized with `serializer`.
    pub fn with_serializer(store: S, serializer: C) -> Self {
        Typed {
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
    pub fn get(&self, key: &str) -> Result<Option<T>> {
        self.store
            .get(key)?
            .map(|bytes| self.decode(key, &bytes))
            .transpose()
    }

    /// The value under `key` and its expiry (`None`: never), even when it has expired, while
    /// the store still holds it: see [`KvStorage::get_stale`](crate::KvStorage::get_stale).
    pub fn get_stale(&self, key: &str) -> Result<Option<(T, Option<crate::Timestamp>)>> {
        self.store
            .get_stale(key)?
            .map(|entry| Ok((self.decode(key, &entry.value)?, entry.expires_at)))
            .transpose()
    }

    /// Stores `value` under `key`.
    pub fn set(&self, key: &str, value: &T, ttl: Option<Duration>) -> Result<()> {
        self.store.set(key, &encode(&self.serializer, value)?, ttl)
    }

    /// Stores `value` only if `key` has no live entry; returns whether it did.
    pub fn set_if_absent(&self, key: &str, value: &T, ttl: Option<Duration>) -> Result<bool> {
        self.store
            .set_if_absent(key, &encode(&self.serializer, value)?, ttl)
    }

    /// Stores `value` only if the live value under `key` encodes to the same bytes as
    /// `expected` (`None`: only if `key` has no live entry); returns whether it stored. Atomic.
    ///
    /// The comparison is of encoded bytes: use it with types whose encoding is canonical (a
    /// `HashMap` under [`Json`](crate::Json) is not: its field order varies).
    pub fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&T>,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let expected = expected
            .map(|expected| encode(&self.serializer, expected))
            .transpose()?;
        self.store.compare_and_set(
            key,
            expected.as_deref(),
            &encode(&self.serializer, value)?,
            ttl,
        )
    }

    /// Deletes `key` only if its live value encodes to the same bytes as `expected`; returns
    /// whether it deleted. Atomic.
    pub fn compare_and_delete(&self, key: &str, expected: &T) -> Result<bool> {
        self.store
            .compare_and_delete(key, &encode(&self.serializer, expected)?)
    }

    /// Deletes `key`; returns whether it existed.
    pub fn delete(&self, key: &str) -> Result<bool> {
        self.store.delete(key)
    }

    /// Removes `key` and returns its value. A value that does not decode (another serializer's,
    /// corrupt bytes) is refused with the error and left in the store: it is decoded first and
    /// removed with [`compare_and_delete`](KvStorage::compare_and_delete) of exactly the bytes
    /// decoded, so a value written in between is never removed unseen.
    pub fn pop(&self, key: &str) -> Result<Option<T>> {
        loop {
            let Some(entry) = self.store.get_entry(key)? else {
                return Ok(None);
            };
            let value = self.decode(key, &entry.value)?;
            if self.store.compare_and_delete(key, &entry.value)? {
                return Ok(Some(value));
            }
            // Replaced or removed since the read: read what is there now.
        }
    }

    /// Whether `key` has a live entry.
    pub fn contains(&self, key: &str) -> Result<bool> {
        self.store.contains(key)
    }

    /// The expiry of `key`, `None` if missing.
    pub fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        self.store.expiry(key)
    }

    /// Gives `key` a new TTL without rewriting its value; see [`KvStorage::touch`](crate::KvStorage::touch).
    pub fn touch(&self, key: &str, ttl: Option<std::time::Duration>) -> Result<bool> {
        self.store.touch(key, ttl)
    }

    /// The number of live entries.
    pub fn len(&self) -> Result<usize> {
        self.store.len()
    }

    /// Whether there is no live entry.
    pub fn is_empty(&self) -> Result<bool> {
        self.store.is_empty()
    }

    /// Removes every entry.
    pub fn clear(&self) -> Result<()> {
        self.store.clear()
    }

    /// The values of `keys`, in order.
    pub fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<T>>> {
        let values = self.store.get_many(keys)?;
        keys.iter()
            .zip(values)
            .map(|(key, bytes)| bytes.map(|b| self.decode(key, &b)).transpose())
            .collect()
    }

    /// Stores every `(key, value)` pair with the same TTL.
    pub fn set_many(&self, entries: &[(&str, T)], ttl: Option<Duration>) -> Result<()> {
        let encoded: Vec<Vec<u8>> = entries
            .iter()
            .map(|(_, value)| encode(&self.serializer, value))
            .collect::<Result<_>>()?;
        let pairs: Vec<(&str, &[u8])> = entries
            .iter()
            .zip(&encoded)
            .map(|((key, _), bytes)| (*key, bytes.as_slice()))
            .collect();
        self.store.set_many(&pairs, ttl)
    }

    /// Deletes every key; returns how many existed.
    pub fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        self.store.delete_many(keys)
    }

    /// The keys, streamed.
    pub fn keys(&self) -> Result<BoxIter<'_, String>> {
        self.store.keys()
    }

    /// The `(key, value)` pairs, streamed and decoded.
    pub fn items(&self) -> Result<impl Iterator<Item = Result<(String, T)>> + '_> {
        Ok(self.store.items()?.map(move |item| {
            let (key, bytes) = item?;
            let value = self.decode(&key, &bytes)?;
            Ok((key, value))
        }))
    }

    /// The values, streamed and decoded.
    pub fn values(&self) -> Result<impl Iterator<Item = Result<T>> + '_> {
        Ok(self.items()?.map(|item| item.map(|(_, value)| value)))
    }
}
