//! SQLite backend for [`anykv_core::KvStorage`]: the embedded default.
//!
//! ```
//! use std::time::Duration;
//! use anykv_core::KvStorage;
//! use anykv_sqlite::{SqliteOptions, SqliteStorage};
//!
//! let store = SqliteStorage::open(SqliteOptions::temp_dir().namespace("responses"))?;
//! store.set("https://example.com/", b"<html>", Some(Duration::from_secs(300)))?;
//! assert!(store.contains("https://example.com/")?);
//! # Ok::<(), anykv_core::Error>(())
//! ```
//!
//! Safe for many threads (a pool of connections) and for several processes on one file (WAL,
//! a busy timeout, `BEGIN IMMEDIATE` for write transactions).
//!
//! # Size caps
//! [`SqliteOptions::max_entries`] / [`SqliteOptions::max_bytes`] bound a namespace's table.
//! Triggers keep a one-row usage table (entries, bytes of keys and values, a logical clock)
//! exact whoever writes, and stamp every written row's `used_at` with the next clock value.
//! Reads through a capped store are remembered in the process (up to 4096 distinct keys, then
//! written out at once) and stamped at the start of the next write, so a read counts from the
//! next write on, and reads in another process once that process writes: an approximate LRU.
//! A write that leaves the table over a cap deletes the expired rows, then the least recently
//! used ones down to 90 % of the caps, in the write's own transaction.
#![deny(missing_docs)]

mod batch;
mod caps;
mod config;
mod key_listing;
mod pool;
mod sql;
mod store;

pub use batch::SqliteBatch;
pub use config::{Location, SqliteOptions};
pub use store::SqliteStorage;
