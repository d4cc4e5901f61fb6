//! [`open`] and [`open_async`]: any store, named by a URL.

use anykv_core::layer::{ContextLayer, WithLayer};
use anykv_core::{AsyncAdapter, AsyncKvStorage, Error, KvStorage, MemoryDatabase, Result};

use crate::target::Target;

/// The environment variable [`open_default`] and [`open_default_async`] read.
pub const URL_VARIABLE: &str = "ANYKV_URL";

/// Opens the store `url` names, as a blocking store. The schemes, each behind its feature:
///
/// | URL | store | parameters |
/// |---|---|---|
/// | `memory://[name]` | the process-wide in-memory store `name` | `max_value_len`, `max_entries`, `max_bytes` |
/// | `sqlite:///abs/path.db`, `sqlite://rel/path.db`, `sqlite::memory:` | `SqliteStorage` | see `SqliteOptions::from_url` |
/// | `file:///abs/dir`, `file://rel/dir` | `FsStorage` | see `FsOptions::from_url` |
/// | `redis://`, `rediss://`, `redis+cluster://h1:p1,h2:p2`, `rediss+cluster://`, `redis+unix:///path.sock` | `RedisStorage`, or `RedisHashStorage` with `hash=true` | see `RedisOptions::from_url` |
/// | `mongodb://`, `mongodb+srv://` | `MongoStorage`, or `GridFsStorage` with `gridfs=true` | see `MongoOptions::from_url` |
/// | `dynamodb://table` | `DynamoStorage` | see `DynamoOptions::from_url` |
///
/// Every URL takes `namespace`. Errors of the store name its namespace and the (truncated)
/// key of the call ([`ContextLayer`]). The URL is checked whole before anything connects: an unknown
/// scheme, a scheme whose feature this build leaves out, an unknown parameter or a bad value is
/// an [`Error::Config`] naming it, with the password hidden. The async-only stores (MongoDB,
/// DynamoDB) run on a runtime of their own behind this blocking face.
pub fn open(url: &str) -> Result<Box<dyn KvStorage>> {
    let (target, near) = Target::parse(url)?;
    let feed = crate::near::feed_of(&target);
    let store: Box<dyn KvStorage> = match target {
        Target::Memory {
            name,
            namespace,
            max_value_len,
            caps,
        } => Box::new(open_memory(&name, &namespace, max_value_len, caps)?),
        #[cfg(feature = "sqlite")]
        Target::Sqlite(options) => Box::new(anykv_sqlite::SqliteStorage::open(options)?),
        #[cfg(feature = "fs")]
        Target::Fs(options) => Box::new(anykv_fs::FsStorage::open(options)?),
        #[cfg(feature = "redis")]
        Target::Redis { options, hash } => match hash {
            true => Box::new(anykv_redis::RedisHashStorage::new(options)?),
            false => Box::new(anykv_redis::RedisStorage::new(options)?),
        },
        #[cfg(feature = "mongo")]
        Target::Mongo { options, gridfs } => match gridfs {
            true => Box::new(anykv_mongo::GridFsStorage::open_blocking(options)?),
            false => Box::new(anykv_mongo::MongoStorage::open_blocking(options)?),
        },
        #[cfg(feature = "dynamo")]
        Target::Dynamo(options) => Box::new(anykv_dynamo::DynamoStorage::open_blocking(options)?),
    };
    let store = store.with_layer(ContextLayer);
    match near {
        None => Ok(Box::new(store)),
        Some(params) => crate::near::in_front(url, params, feed, store),
    }
}

/// Opens the store `url` names, as an async store: the same URLs as [`open`]. The network
/// stores connect on the caller's runtime; the local ones (memory, SQLite, fs) run their calls
/// on tokio's blocking pool through [`AsyncAdapter`].
pub async fn open_async(url: &str) -> Result<Box<dyn AsyncKvStorage>> {
    let (target, near) = Target::parse(url)?;
    let feed = crate::near::feed_of(&target);
    let store: Box<dyn AsyncKvStorage> = match target {
        Target::Memory {
            name,
            namespace,
            max_value_len,
            caps,
        } => Box::new(AsyncAdapter::new(open_memory(
            &name,
            &namespace,
            max_value_len,
            caps,
        )?)),
        #[cfg(feature = "sqlite")]
        Target::Sqlite(options) => Box::new(AsyncAdapter::new(anykv_sqlite::SqliteStorage::open(
            options,
        )?)),
        #[cfg(feature = "fs")]
        Target::Fs(options) => Box::new(AsyncAdapter::new(anykv_fs::FsStorage::open(options)?)),
        #[cfg(feature = "redis")]
        Target::Redis { options, hash } => match hash {
            true => Box::new(anykv_redis::RedisHashStorage::new(options)?),
            false => Box::new(anykv_redis::RedisStorage::new(options)?),
        },
        #[cfg(feature = "mongo")]
        Target::Mongo { options, gridfs } => match gridfs {
            true => Box::new(anykv_mongo::GridFsStorage::connect(options).await?),
            false => Box::new(anykv_mongo::MongoStorage::connect(options).await?),
        },
        #[cfg(feature = "dynamo")]
        Target::Dynamo(options) => Box::new(anykv_dynamo::DynamoStorage::connect(options).await?),
    };
    let store = store.with_layer(ContextLayer);
    match near {
        None => Ok(Box::new(store)),
        Some(params) => crate::near::in_front_async(url, params, feed, store),
    }
}

/// Opens the store named by the environment variable `ANYKV_URL`, as a blocking store.
pub fn open_default() -> Result<Box<dyn KvStorage>> {
    open(&default_url()?)
}

/// Opens the store named by the environment variable `ANYKV_URL`, as an async store.
pub async fn open_default_async() -> Result<Box<dyn AsyncKvStorage>> {
    open_async(&default_url()?).await
}

fn default_url() -> Result<String> {
    std::env::var(URL_VARIABLE).map_err(|_| {
        Error::Config(format!(
            "{URL_VARIABLE} is not set: set it to a store URL such as sqlite://cache.db (a file in the working directory)"
        ))
    })
}

/// The process-wide in-memory database behind `memory://` URLs: the same name opens the same
/// store everywhere in the process.
/// The process-wide memory database `name` (created on first use).
fn memory_database(name: &str) -> MemoryDatabase {
    static DATABASES: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, MemoryDatabase>>,
    > = std::sync::OnceLock::new();
    let databases = DATABASES.get_or_init(Default::default);
    let mut databases = databases
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    databases.entry(name.to_owned()).or_default().clone()
}

/// Opens `memory://NAME`; caps given in the URL apply to the named store, for every handle
/// (`SizeCaps::default()` leaves the store's caps as they are).
fn open_memory(
    name: &str,
    namespace: &str,
    max_value_len: Option<usize>,
    caps: anykv_core::caps::SizeCaps,
) -> Result<anykv_core::MemoryStorage> {
    let mut store = memory_database(name).open(namespace)?;
    if let Some(max) = max_value_len {
        store = store.with_max_value_len(max);
    }
    if caps.is_set() {
        store = store.with_caps(caps);
    }
    Ok(store)
}
