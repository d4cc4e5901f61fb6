//! File-system backend for [`anykv_core::KvStorage`]: one file per key.
//!
//! ```
//! use anykv_core::KvStorage;
//! use anykv_fs::{FsOptions, FsStorage};
//!
//! let store = FsStorage::open(FsOptions::temp_dir().namespace("thumbnails").extension("bin"))?;
//! store.set("../../etc/passwd", b"harmless", None)?;
//! assert!(store.path_for("../../etc/passwd")?.starts_with(store.dir()));
//! # Ok::<(), anykv_core::Error>(())
//! ```
//!
//! # Size caps
//! [`FsOptions::max_entries`] / [`FsOptions::max_bytes`] bound a namespace directory. Recency is
//! each entry file's access time: writes set it, reads through a capped store set it explicitly
//! (so `noatime` mounts work), and every entry file is opened with `O_NOATIME` on Linux, so
//! that listing the store does not make every entry recent (and no read of any store makes the
//! kernel write the file's inode). The usage
//! is counted by a pass over the directory on the first capped write and at each eviction, and
//! followed from this process's own writes in between; writes by other processes count from
//! the next pass, so with several writing processes the directory can pass a cap by what they
//! wrote since (an approximate cap). A pass over a cap removes the expired files, then the least
//! recently used down to 90 % of the caps, each under the claim lock and only if it was not
//! rewritten since the pass saw it.
#![deny(missing_docs)]

mod caps;
mod config;
mod format;
mod keys;
mod staged;
mod store;
mod sys;

pub use config::{FsOptions, Root, DEFAULT_MAX_VALUE_LEN};
pub use store::{FsStorage, ABANDONED_TEMP_AGE};
