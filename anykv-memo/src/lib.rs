//! A function-result cache with two TTLs over any [`KvStorage`](anykv_core::KvStorage): the
//! Rust counterpart of Python's `rediscache`, for every backend of this family and typed values.
//!
//! - **refresh**: after it a value is stale: returned at once, and one refresh runs in the
//!   background (stale-while-revalidate);
//! - **expire**: after it the value is gone;
//! - **single flight**: a refresh takes a lock entry holding its own random token (with
//!   `compare_and_set`), extends it while it computes (a heartbeat every third of the **retry**
//!   duration) and releases only its own lock (`compare_and_delete`), so across threads and
//!   processes sharing the store one computation runs at a time however slow it is, and a
//!   crashed refresher is replaced after `retry`;
//! - waiters wait without limit, or at most **max_wait**, then compute themselves or fail, as
//!   [`OnWaitTimeout`] says;
//! - a **missing** value is waited for (one computation shared by every waiter) or answered with a
//!   default while it is computed in the background;
//! - **failures** (errors, panics) are counted, never cached, and the stale value keeps being
//!   served until it expires;
//! - **stats** per cache, a **bypass**, an `enabled` switch, any [`Serializer`](anykv_core::Serializer)
//!   and any layer (e.g. [`Signed`](anykv_core::Signed)) underneath.
//!
//! [`Memo`] is the blocking face (background refreshes on threads), [`AsyncMemo`] the async one
//! (tokio tasks); [`Memoized`] wraps a function and [`memoize!`] defines one, like the Python
//! decorator.
#![deny(missing_docs)]

mod async_memo;
mod cache;
mod cached;
mod core;
mod error;
mod lock;
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
pub use stats::MemoStats;

/// What [`memoize!`] expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use anykv_core::Result;
}
