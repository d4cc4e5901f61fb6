#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod async_adapter;
mod async_storage;
mod blocking_adapter;
pub mod caps;
pub mod codec;
pub mod counter;
mod defaults;
mod entry;
mod error;
mod error_kind;
mod ext;
pub mod invalidation;
pub mod layer;
pub mod lease;
pub mod limits;
mod memory;
mod memory_table;
pub mod operations;
pub mod pagination;
pub mod pool;
pub mod signing;
mod sorted;
mod storage;
mod store_url;
pub mod time;
mod traits;
mod typed;
mod typed_async;
mod value_reader;

pub use async_adapter::AsyncAdapter;
pub use async_storage::BoxStream;
pub use async_trait::async_trait;
pub use blocking_adapter::{adapter_runtime, BlockingAdapter};
pub use codec::{Json, PlainJson, Postcard, Serializer};
pub use entry::{Entry, KeyRange, Record, Scan, ScanMode, SetEntry};
pub use error::{At, BoxError, Described, Error, KeyDisplay, Result};
pub use error_kind::ErrorKind;
pub use ext::{AsyncKvStorageExt, KvStorageExt};
pub use limits::{Namespace, MAX_KEY_LEN};
pub use memory::{MemoryDatabase, MemoryStorage};
pub use signing::{OnInvalid, Signed, Signer, SigningKey, Verified};
pub use sorted::{SortBy, SortedEntry, TopEntries};
pub use storage::{
    is_entry, readable_record, BoxIter, Expiry, RecordIter, TOUCH_ATTEMPTS, UPDATE_BATCH,
};
pub use store_url::{parse_duration, StoreUrl};
pub use time::Timestamp;
pub use traits::{AsyncKvStorage, KvStorage, Store, StoreInfo};
pub use typed::Typed;
pub use typed_async::AsyncTyped;
pub use value_reader::ValueReader;

/// The traits a user of stores imports: `use anykv_core::prelude::*;`.
pub mod prelude {
    pub use crate::{AsyncKvStorage, AsyncKvStorageExt, KvStorage, KvStorageExt, Store};
}
