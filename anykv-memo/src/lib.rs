#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod async_memo;
mod cache;
mod cached;
mod core;
mod error;
mod macros;
mod memo;
mod memoized;
mod options;
mod stats;

pub use async_memo::AsyncMemo;
pub use cache::MemoCache;
pub use error::MemoError;
pub use memo::Memo;
pub use memoized::Memoized;
pub use options::{MemoOptions, OnWaitTimeout};
pub use stats::{MemoStats, SHARED_PREFIX};

/// What [`memoize!`] expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use anykv_core::Result;
}
