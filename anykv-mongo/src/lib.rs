#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod bson_serializer;
mod config;
mod document;
mod error;
mod gridfs;
mod gridfs_bulk;
mod gridfs_files;
mod gridfs_streams;
mod queryable;
mod store;

pub use bson_serializer::PlainBson;
pub use config::MongoOptions;
pub use document::MAX_VALUE_LEN;
pub use gridfs::GridFsStorage;
pub use gridfs_streams::GridFsValueReader;
pub use store::MongoStorage;
