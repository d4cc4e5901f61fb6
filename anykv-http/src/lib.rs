#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod entry;
mod error;
mod key;
mod manager;
mod stats;

pub use error::{store_error, StoreFailed};
pub use http_cache;
pub use http_cache_semantics;
pub use key::{store_key, LONGEST_PLAIN_KEY};
pub use manager::{KvCacheManager, DEFAULT_GRACE};
pub use stats::ManagerStats;
