#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod entry;
mod error;
mod freshness;
mod key;
mod manager;
#[cfg(feature = "middleware")]
mod middleware;
mod stats;

pub use error::{store_error, StoreFailed};
#[cfg(feature = "middleware")]
pub use error::{OriginTimedOut, WaitTimedOut};
pub use http_cache;
pub use http_cache_semantics;
pub use key::{store_key, LONGEST_PLAIN_KEY};
pub use manager::{KvCacheManager, DEFAULT_GRACE};
#[cfg(feature = "middleware")]
pub use middleware::{
    CacheMiddleware, CacheStats, ExpireAfter, OnWaitTimeout, ResponseFilter, SharedStore,
    CACHE_STATUS_HEADER, DEFAULT_LEASE_TTL, DEFAULT_WAIT,
};
pub use stats::ManagerStats;
