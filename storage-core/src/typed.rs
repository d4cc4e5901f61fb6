//! [`Typed`]: values of one Rust type over any byte store, through a [`Serializer`].

use std::marker::PhantomData;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{decode, encode, Postcard, Serializer};
use crate::error::Result;
use crate::storage::{BoxIter, Expiry, KvStorage};

/// A store of `T` values over the byte store `S`, serialized with `C` (postcard by default).
///
/// Every value carries the codec header, so a value written by another serializer or another
/// program is refused with a typed error instead of being misread.
///
/// ```
/// use storage_core::{MemoryStorage, Typed};
/// let users: Typed<_, (String, u32)> = Typed::new(MemoryStorage::new());
/// users.set("ada", &("Ada".to_owned(), 36), None)?;
/// assert_eq!(users.get("ada")?, Some(("Ada".to_owned(), 36)));
/// # Ok::<(), storage_core::Error>(())
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

    /// Stores `value` under `key`.
    pub fn set(&self, key: &str, value: &T, ttl: Option<Duration>) -> Result<()> {
        self.store.set(key, &encode(&self.serializer, value)?, ttl)
    }

    /// Stores `value` only if `key` has no live entry; returns whether it did.
    pub fn set_if_absent(&self, key: &str, value: &T, ttl: Option<Duration>) -> Result<bool> {
        self.store
            .set_if_absent(key, &encode(&self.serializer, value)?, ttl)
    }

    /// Deletes `key`; returns whether it existed.
    pub fn delete(&self, key: &str) -> Result<bool> {
        self.store.delete(key)
    }

    /// Removes `key` and returns its value. A value that does not decode (another serializer's,
    /// corrupt bytes) is refused with the error and left in the store: it is decoded before it
    /// is removed. Should another writer replace it between the read and the removal with bytes
    /// that do not decode, those are put back (without their TTL, which `pop` cannot see) and
    /// the error returned.
    pub fn pop(&self, key: &str) -> Result<Option<T>> {
        let Some(entry) = self.store.get_entry(key)? else {
            return Ok(None);
        };
        let value = self.decode(key, &entry.value)?;
        match self.store.pop(key)? {
            None => Ok(None),
            Some(bytes) if bytes == entry.value => Ok(Some(value)),
            Some(bytes) => self.decode(key, &bytes).map(Some).inspect_err(|_| {
                let _ = self.store.set_if_absent(key, &bytes, None);
            }),
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
