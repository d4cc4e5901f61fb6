//! MongoDB backend for [`anykv_core::AsyncKvStorage`]: [`MongoStorage`] (one document per
//! entry, a TTL index on a BSON Date) and [`GridFsStorage`] (one GridFS bucket per namespace,
//! for values of any size). The sync face is the core's
//! [`BlockingAdapter`](anykv_core::BlockingAdapter).
//!
//! ```no_run
//! # async fn demo() -> anykv_core::Result<()> {
//! use std::time::Duration;
//! use anykv_core::AsyncKvStorage;
//! use anykv_mongo::{MongoOptions, MongoStorage};
//!
//! let store = MongoStorage::connect(MongoOptions::new("mongodb://127.0.0.1:27017").namespace("pages")).await?;
//! store.set("https://example.com/", b"<html>", Some(Duration::from_secs(60))).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod config;
mod document;
mod error;
mod gridfs;
mod store;

pub use config::MongoOptions;
pub use document::MAX_VALUE_LEN;
pub use gridfs::GridFsStorage;
pub use store::MongoStorage;
