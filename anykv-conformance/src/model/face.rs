//! The two faces a sequence can drive: the blocking [`KvStorage`] and the async
//! [`AsyncKvStorage`], behind one set of calls so that one model checks both.

use anykv_core::{AsyncKvStorage, AsyncKvStorageExt, Expiry, KvStorage, KvStorageExt, Result};
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;

use super::state::Ns;

/// The calls a sequence makes, on the main or the other namespace.
pub(crate) trait Face {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    fn contains(&self, key: &str) -> Result<bool>;
    fn expiry(&self, key: &str) -> Result<Option<Expiry>>;
    fn set(&self, ns: Ns, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()>;
    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool>;
    fn delete(&self, key: &str) -> Result<bool>;
    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>>;
    fn len(&self) -> Result<usize>;
    fn is_empty(&self) -> Result<bool>;
    fn keys(&self) -> Result<Vec<String>>;
    fn values(&self) -> Result<Vec<Vec<u8>>>;
    fn items(&self) -> Result<Vec<(String, Vec<u8>)>>;
    fn clear(&self, ns: Ns) -> Result<()>;
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>>;
    fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()>;
    fn delete_many(&self, keys: &[&str]) -> Result<usize>;
    fn update_from_other(&self) -> Result<usize>;
    fn purge_expired(&self) -> Result<usize>;
}

/// The blocking face.
pub(crate) struct SyncFace {
    pub(crate) main: Arc<dyn KvStorage>,
    pub(crate) other: Arc<dyn KvStorage>,
}

impl SyncFace {
    fn store(&self, ns: Ns) -> &dyn KvStorage {
        match ns {
            Ns::Main => self.main.as_ref(),
            Ns::Other => self.other.as_ref(),
        }
    }
}

impl Face for SyncFace {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.main.get(key)
    }
    fn contains(&self, key: &str) -> Result<bool> {
        self.main.contains(key)
    }
    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        self.main.expiry(key)
    }
    fn set(&self, ns: Ns, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.store(ns).set(key, value, ttl)
    }
    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.main.set_if_absent(key, value, ttl)
    }
    fn delete(&self, key: &str) -> Result<bool> {
        self.main.delete(key)
    }
    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.main.pop(key)
    }
    fn len(&self) -> Result<usize> {
        self.main.len()
    }
    fn is_empty(&self) -> Result<bool> {
        self.main.is_empty()
    }
    fn keys(&self) -> Result<Vec<String>> {
        self.main.keys()?.collect()
    }
    fn values(&self) -> Result<Vec<Vec<u8>>> {
        self.main.values()?.collect()
    }
    fn items(&self) -> Result<Vec<(String, Vec<u8>)>> {
        self.main.items()?.collect()
    }
    fn clear(&self, ns: Ns) -> Result<()> {
        self.store(ns).clear()
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        self.main.get_many(keys)
    }
    fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        self.main.set_many(entries, ttl)
    }
    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        self.main.delete_many(keys)
    }
    fn update_from_other(&self) -> Result<usize> {
        self.main.update(self.other.as_ref())
    }
    fn purge_expired(&self) -> Result<usize> {
        self.main.purge_expired()
    }
}

/// The async face, driven to completion on a runtime of its own.
pub(crate) struct AsyncFace {
    pub(crate) main: Arc<dyn AsyncKvStorage>,
    pub(crate) other: Arc<dyn AsyncKvStorage>,
    pub(crate) runtime: tokio::runtime::Runtime,
}

impl AsyncFace {
    fn store(&self, ns: Ns) -> &dyn AsyncKvStorage {
        match ns {
            Ns::Main => self.main.as_ref(),
            Ns::Other => self.other.as_ref(),
        }
    }
}

impl Face for AsyncFace {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.runtime.block_on(self.main.get(key))
    }
    fn contains(&self, key: &str) -> Result<bool> {
        self.runtime.block_on(self.main.contains(key))
    }
    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        self.runtime.block_on(self.main.expiry(key))
    }
    fn set(&self, ns: Ns, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.runtime.block_on(self.store(ns).set(key, value, ttl))
    }
    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.runtime
            .block_on(self.main.set_if_absent(key, value, ttl))
    }
    fn delete(&self, key: &str) -> Result<bool> {
        self.runtime.block_on(self.main.delete(key))
    }
    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.runtime.block_on(self.main.pop(key))
    }
    fn len(&self) -> Result<usize> {
        self.runtime.block_on(self.main.len())
    }
    fn is_empty(&self) -> Result<bool> {
        self.runtime.block_on(self.main.is_empty())
    }
    fn keys(&self) -> Result<Vec<String>> {
        self.runtime
            .block_on(async { self.main.keys().await?.try_collect().await })
    }
    fn values(&self) -> Result<Vec<Vec<u8>>> {
        self.runtime
            .block_on(async { self.main.values().await?.try_collect().await })
    }
    fn items(&self) -> Result<Vec<(String, Vec<u8>)>> {
        self.runtime
            .block_on(async { self.main.items().await?.try_collect().await })
    }
    fn clear(&self, ns: Ns) -> Result<()> {
        self.runtime.block_on(self.store(ns).clear())
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        self.runtime.block_on(self.main.get_many(keys))
    }
    fn set_many(&self, entries: &[(&str, &[u8])], ttl: Option<Duration>) -> Result<()> {
        self.runtime.block_on(self.main.set_many(entries, ttl))
    }
    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        self.runtime.block_on(self.main.delete_many(keys))
    }
    fn update_from_other(&self) -> Result<usize> {
        self.runtime.block_on(self.main.update(self.other.as_ref()))
    }
    fn purge_expired(&self) -> Result<usize> {
        self.runtime.block_on(self.main.purge_expired())
    }
}
