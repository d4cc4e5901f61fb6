//! SQLite backend for [`storage_core::KvStorage`]: the embedded default.
//!
//! ```
//! use std::time::Duration;
//! use storage_core::KvStorage;
//! use storage_sqlite::{SqliteOptions, SqliteStorage};
//!
//! let store = SqliteStorage::open(SqliteOptions::temp_dir().namespace("responses"))?;
//! store.set("https://example.com/", b"<html>", Some(Duration::from_secs(300)))?;
//! assert!(store.contains("https://example.com/")?);
//! # Ok::<(), storage_core::Error>(())
//! ```
//!
//! Safe for many threads (a pool of connections) and for several processes on one file (WAL,
//! a busy timeout, `BEGIN IMMEDIATE` for write transactions).
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
