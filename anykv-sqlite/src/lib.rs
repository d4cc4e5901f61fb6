#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod batch;
mod caps;
mod config;
mod error;
mod key_listing;
mod sql;
mod store;

pub use batch::SqliteBatch;
pub use config::{Location, SqliteOptions};
pub use store::SqliteStorage;
