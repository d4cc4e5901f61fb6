//! The core of a family of key-value storage crates: one trait, many backends.
//!
//! - [`KvStorage`]: a byte-level dict (Python's `MutableMapping`) with per-key TTL, bulk
//!   operations and streamed iteration; [`AsyncKvStorage`] is its async twin, and
//!   [`AsyncAdapter`] / [`BlockingAdapter`] bridge the two faces.
//! - [`Typed`]: typed values through a [`Serializer`] ([`Postcard`] by default, [`Json`], or your
//!   own), behind a versioned header.
//! - [`Signed`]: HMAC-SHA256 signed values with a salt and key rotation, a layer over any store.
//! - [`MemoryStorage`]: the in-process backend.
//! - [`Error`]: one error type for the whole family.
//!
//! Layers compose; here typed, signed values with a TTL:
//!
//! ```
//! use std::time::Duration;
//! use anykv_core::{MemoryStorage, Signed, Signer, Typed};
//!
//! let signer = Signer::single("sessions", "a long random secret")?;
//! let sessions: Typed<_, Vec<String>> = Typed::new(Signed::new(MemoryStorage::new(), signer));
//! sessions.set("user:1", &vec!["admin".to_owned()], Some(Duration::from_secs(60)))?;
//! assert_eq!(sessions.get("user:1")?, Some(vec!["admin".to_owned()]));
//! # Ok::<(), anykv_core::Error>(())
//! ```
#![deny(missing_docs)]

mod async_adapter;
mod async_storage;
mod blocking_adapter;
pub mod caps;
pub mod codec;
mod defaults;
mod entry;
mod error;
mod error_kind;
mod ext;
pub mod layer;
pub mod limits;
mod memory;
mod memory_table;
pub mod operations;
pub mod pagination;
pub mod signing;
mod sorted;
mod storage;
mod store_url;
pub mod time;
mod traits;
mod typed;
mod typed_async;

pub use async_adapter::AsyncAdapter;
pub use async_storage::BoxStream;
pub use async_trait::async_trait;
pub use blocking_adapter::{adapter_runtime, BlockingAdapter};
pub use codec::{Json, Postcard, Serializer};
pub use entry::{Entry, Record, ScanMode, SetEntry};
pub use error::{BoxError, Error, KeyDisplay, Result};
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

/// The traits a user of stores imports: `use anykv_core::prelude::*;`.
pub mod prelude {
    pub use crate::{AsyncKvStorage, AsyncKvStorageExt, KvStorage, KvStorageExt, Store};
}
