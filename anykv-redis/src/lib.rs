#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod changes;
mod config;
mod conn;
mod error;
mod hash;
mod hash_ops;
mod key_ops;
mod keys;
mod reply;
mod scan;
mod script;
mod sentinel;
mod store;

pub use changes::{ChangeListener, LISTENER_NAME, PING_EVERY};
pub use config::{RedisOptions, Sentinel, TlsPem};
pub use hash::RedisHashStorage;
pub use keys::escape_glob;
pub use store::{RedisStorage, MAX_VALUE_LEN};
