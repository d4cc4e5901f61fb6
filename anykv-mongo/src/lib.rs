#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod config;
mod document;
mod error;
mod gridfs;
mod gridfs_bulk;
mod gridfs_files;
mod gridfs_streams;
mod json_values;
mod store;

pub use config::MongoOptions;
pub use document::MAX_VALUE_LEN;
pub use gridfs::GridFsStorage;
pub use gridfs_streams::GridFsValueReader;
pub use store::MongoStorage;
