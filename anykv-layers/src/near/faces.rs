//! Both faces of [`NearCache`], generated from the list of operations: the three reads it can
//! answer from memory are written out, every write invalidates what it touches, and the rest
//! is forwarded.

use anykv_core::layer::Operation;
use anykv_core::{AsyncKvStorage, BoxIter, BoxStream, Entry, KvStorage, Result};
use async_trait::async_trait;

use super::{merge, NearCache};

/// The keys an argument of each kind touches.
macro_rules! touched {
    (key $arg:ident $keys:ident) => {
        $keys.push($arg);
    };
    (keys $arg:ident $keys:ident) => {
        $keys.extend($arg.iter().copied());
    };
    (entries $arg:ident $keys:ident) => {
        $keys.extend($arg.iter().map(|entry| entry.key));
    };
    ($kind:ident $arg:ident $keys:ident) => {};
}

/// What a write does to the memory tier, before and after it runs: its keys are forgotten; a
/// write of the whole store (`clear`) forgets everything; `purge_expired` changes nothing
/// memory could serve (expired entries are never served).
macro_rules! invalidate {
    ($self:ident $variant:ident $keys:ident) => {
        if Operation::$variant.is_write() {
            if !$keys.is_empty() {
                $self.tier.invalidate(&$keys);
            } else if Operation::$variant != Operation::PurgeExpired {
                $self.tier.flush();
            }
        }
    };
}

/// The reads answered from memory, on the blocking face; nothing for other operations.
macro_rules! near_read_sync {
    (get_entry $self:ident $key:ident) => {
        return $self.entry_sync($key);
    };
    (get $self:ident $key:ident) => {
        return Ok($self.entry_sync($key)?.map(|entry| entry.value));
    };
    (get_many $self:ident $keys:ident) => {
        return $self.many_sync($keys);
    };
    ($name:ident $self:ident $($arg:ident)*) => {};
}

/// The reads answered from memory, on the async face; nothing for other operations.
macro_rules! near_read_async {
    (get_entry $self:ident $key:ident) => {
        return $self.entry_async($key).await;
    };
    (get $self:ident $key:ident) => {
        return Ok($self.entry_async($key).await?.map(|entry| entry.value));
    };
    (get_many $self:ident $keys:ident) => {
        return $self.many_async($keys).await;
    };
    ($name:ident $self:ident $($arg:ident)*) => {};
}

impl<S: KvStorage> NearCache<S> {
    fn entry_sync(&self, key: &str) -> Result<Option<Entry>> {
        if let Some(entry) = self.tier.lookup(key) {
            return Ok(Some(entry));
        }
        self.tier.missed();
        let ticket = self.tier.ticket();
        let found = self.inner.get_entry(key)?;
        if let Some(entry) = &found {
            self.tier.fill(key, entry, ticket);
        }
        Ok(found)
    }

    fn many_sync(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let (held, missing) = self.tier.lookup_many(keys);
        let fetched = if missing.is_empty() {
            Vec::new()
        } else {
            self.inner.get_many(&missing)?
        };
        Ok(merge(held, fetched))
    }
}

impl<S: AsyncKvStorage> NearCache<S> {
    async fn entry_async(&self, key: &str) -> Result<Option<Entry>> {
        if let Some(entry) = self.tier.lookup(key) {
            return Ok(Some(entry));
        }
        self.tier.missed();
        let ticket = self.tier.ticket();
        let found = self.inner.get_entry(key).await?;
        if let Some(entry) = &found {
            self.tier.fill(key, entry, ticket);
        }
        Ok(found)
    }

    async fn many_async(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let (held, missing) = self.tier.lookup_many(keys);
        let fetched = if missing.is_empty() {
            Vec::new()
        } else {
            self.inner.get_many(&missing).await?
        };
        Ok(merge(held, fetched))
    }
}

/// Implements both store traits for [`NearCache`] from the list of operations.
macro_rules! near_faces {
    (
        []
        calls {$(
            $(#[$doc:meta])*
            $variant:ident $name:ident ($($arg:ident : $ty:ty as $kind:ident),*) -> $out:ty
            [$($flag:ident)*];
        )*}
        listings {$(
            $(#[$list_doc:meta])*
            $list_variant:ident $list_name:ident ($($list_arg:ident : $list_ty:ty as $list_kind:ident),*)
            -> $item:ty [$($list_flag:ident)*];
        )*}
    ) => {
        impl<S: KvStorage> KvStorage for NearCache<S> {
            $(
                #[allow(unreachable_code, unused_mut, clippy::vec_init_then_push)]
                fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    near_read_sync!($name self $($arg)*);
                    let mut keys: Vec<&str> = Vec::new();
                    $(touched!($kind $arg keys);)*
                    invalidate!(self $variant keys);
                    let outcome = self.inner.$name($($arg),*);
                    invalidate!(self $variant keys);
                    outcome
                }
            )*

            $(
                fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxIter<'_, $item>> {
                    self.inner.$list_name($($list_arg),*)
                }
            )*
        }

        #[async_trait]
        impl<S: AsyncKvStorage> AsyncKvStorage for NearCache<S> {
            $(
                #[allow(unreachable_code, unused_mut, clippy::vec_init_then_push)]
                async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    near_read_async!($name self $($arg)*);
                    let mut keys: Vec<&str> = Vec::new();
                    $(touched!($kind $arg keys);)*
                    invalidate!(self $variant keys);
                    let outcome = self.inner.$name($($arg),*).await;
                    invalidate!(self $variant keys);
                    outcome
                }
            )*

            $(
                async fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxStream<'_, $item>> {
                    self.inner.$list_name($($list_arg),*).await
                }
            )*
        }
    };
}

anykv_core::kv_operations!(near_faces);
