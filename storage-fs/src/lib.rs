//! File-system backend for [`storage_core::KvStorage`]: one file per key.
//!
//! ```
//! use storage_core::KvStorage;
//! use storage_fs::{FsOptions, FsStorage};
//!
//! let store = FsStorage::open(FsOptions::temp_dir().namespace("thumbnails").extension("bin"))?;
//! store.set("../../etc/passwd", b"harmless", None)?;
//! assert!(store.path_for("../../etc/passwd")?.starts_with(store.dir()));
//! # Ok::<(), storage_core::Error>(())
//! ```
#![deny(missing_docs)]

mod caps;
mod config;
mod format;
mod keys;
mod staged;
mod store;

pub use config::{FsOptions, Root, DEFAULT_MAX_VALUE_LEN};
pub use store::{FsStorage, ABANDONED_TEMP_AGE};
