//! One key-value trait, many real backends. This facade re-exports the core
//! ([`KvStorage`], [`AsyncKvStorage`], [`Typed`], [`Signed`], [`MemoryStorage`], the errors)
//! at its root and each backend crate behind a cargo feature, so an application depends on one
//! crate and builds only the drivers it names:
//!
//! ```toml
//! [dependencies]
//! anykv = { version = "0.1", features = ["sqlite"] }
//! ```
//!
//! | feature | module | stores |
//! |---|---|---|
//! | `memory` (default) | the root | [`MemoryStorage`], [`MemoryDatabase`] |
//! | `sqlite` | `sqlite` | `SqliteStorage` |
//! | `fs` | `fs` | `FsStorage` |
//! | `redis` (`redis-tls` for `rediss://`) | `redis` | `RedisStorage`, `RedisHashStorage` |
//! | `mongo` (`mongo-srv` for `mongodb+srv://`) | `mongo` | `MongoStorage`, `GridFsStorage` |
//! | `dynamo` | `dynamo` | `DynamoStorage` |
//! | `memo` | `memo` | `Memo`, `AsyncMemo`, `memoize!` |
//! | `layers`, `tracing`, `metrics`, `retry` | `layers` | `TimeoutLayer`, `ConcurrencyLimitLayer`, `TracingLayer`, `MetricsLayer`, `RetryLayer` (over any store, with [`layer::WithLayer`]) |
//! | `all` | every module | every store |
//!
//! The backend crates stay usable on their own. [`open`] and [`open_async`] open a store named
//! by a URL (`memory://cache`, `sqlite:///var/cache/app.db?namespace=http`,
//! `redis+cluster://h1:7000,h2:7000?namespace=pages`, `mongodb://db/app?gridfs=true`,
//! `dynamodb://kv_cache?region=eu-west-1`; the table at [`open`] lists them all);
//! [`open_default`] reads the URL from `ANYKV_URL`.
//!
//! ```
//! use anykv::{KvStorage, MemoryStorage, Typed};
//!
//! let store = MemoryStorage::new();
//! let typed: Typed<_, Vec<u32>> = Typed::new(store);
//! typed.set("primes", &vec![2, 3, 5], None)?;
//! assert_eq!(typed.get("primes")?, Some(vec![2, 3, 5]));
//! # Ok::<(), anykv::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use anykv_core::*;

mod open;
mod target;

pub use open::{open, open_async, open_default, open_default_async, URL_VARIABLE};

/// SQLite: one table per namespace in one file (feature `sqlite`).
#[cfg(feature = "sqlite")]
pub mod sqlite {
    pub use anykv_sqlite::*;
}

/// One file per key under a directory per namespace (feature `fs`).
#[cfg(feature = "fs")]
pub mod fs {
    pub use anykv_fs::*;
}

/// Redis and Redis Cluster, a key or a hash field per entry (feature `redis`).
#[cfg(feature = "redis")]
pub mod redis {
    pub use anykv_redis::*;
}

/// MongoDB documents and GridFS (feature `mongo`).
#[cfg(feature = "mongo")]
pub mod mongo {
    pub use anykv_mongo::*;
}

/// DynamoDB, one item per entry (feature `dynamo`).
#[cfg(feature = "dynamo")]
pub mod dynamo {
    pub use anykv_dynamo::*;
}

/// Layers over any store: tracing, metrics, retries, timeouts, a concurrency limit (features
/// `layers`, `tracing`, `metrics`, `retry`); write your own with [`layer::Layer`].
#[cfg(feature = "layers")]
pub mod layers {
    pub use anykv_layers::*;
}

/// The function-result cache over any store (feature `memo`).
#[cfg(feature = "memo")]
pub mod memo {
    pub use anykv_memo::*;
}
