#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod caps;
mod config;
mod connection;
mod error;
mod key_listing;
mod sql;
mod store;
mod transaction;

pub use config::{Location, SizeOf, SqliteOptions};
pub use store::SqliteStorage;
pub use transaction::SqliteBatch;
