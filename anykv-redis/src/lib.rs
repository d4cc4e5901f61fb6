//! Redis backend for [`anykv_core::KvStorage`] and [`anykv_core::AsyncKvStorage`]:
//! [`RedisStorage`] (one Redis key per entry) and [`RedisHashStorage`] (one hash per
//! namespace), on a standalone server or a Redis Cluster, with both faces native.
//!
//! ```no_run
//! use std::time::Duration;
//! use anykv_core::KvStorage;
//! use anykv_redis::{RedisOptions, RedisStorage};
//!
//! let store = RedisStorage::new(RedisOptions::from_url("redis://127.0.0.1:6379/0")?.namespace("pages"))?;
//! store.set("https://example.com/", b"<html>", Some(Duration::from_secs(60)))?;
//! # Ok::<(), anykv_core::Error>(())
//! ```
#![deny(missing_docs)]

mod config;
mod conn;
mod error;
mod hash;
mod hash_ops;
mod key_ops;
mod keys;
mod reply;
mod scan;
mod store;

pub use config::RedisOptions;
pub use hash::RedisHashStorage;
pub use store::{RedisStorage, MAX_VALUE_LEN};
