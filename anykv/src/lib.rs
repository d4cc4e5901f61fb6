#![cfg_attr(feature = "sqlite", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "sqlite"),
    doc = "One key-value trait, many real backends: the facade (its README, with the quickstart \
           on SQLite, is these docs when the `sqlite` feature is on)."
)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use anykv_core::*;

mod near;
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
