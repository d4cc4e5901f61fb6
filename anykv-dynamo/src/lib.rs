#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
mod config;
mod error;
mod item;
mod store;
mod table;

pub use config::DynamoOptions;
pub use item::{AttributeNames, MAX_ITEM_SIZE};
pub use store::DynamoStorage;
