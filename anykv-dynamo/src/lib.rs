//! DynamoDB backend for [`anykv_core::AsyncKvStorage`]: [`DynamoStorage`], one table for many
//! namespaces, composite keys, exact expiry on top of DynamoDB's lazy TTL. The sync face is the
//! core's [`BlockingAdapter`](anykv_core::BlockingAdapter).
//!
//! ```no_run
//! # async fn demo() -> anykv_core::Result<()> {
//! use std::time::Duration;
//! use anykv_core::AsyncKvStorage;
//! use anykv_dynamo::{DynamoOptions, DynamoStorage};
//!
//! let options = DynamoOptions::new("kv_cache").region("eu-west-1").namespace("pages").create_table(true);
//! let store = DynamoStorage::connect(options).await?;
//! store.set("https://example.com/", b"<html>", Some(Duration::from_secs(60))).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod config;
mod error;
mod item;
mod store;
mod table;

pub use config::DynamoOptions;
pub use item::MAX_ITEM_SIZE;
pub use store::DynamoStorage;
