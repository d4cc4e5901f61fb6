//! The conformance suite: proof that a [`KvStorage`] behaves like every other one.
//!
//! It runs model-based property tests (random sequences of every operation, compared step by
//! step with an in-memory model, shrunk to a minimal failing sequence) and explicit checks (TTL
//! seen through every read, namespace isolation, persistence, concurrency, `set_if_absent`
//! races, limits, corrupt and tampered data through the codec and signing layers, the async
//! face).
//!
//! To run it on a store of your own, implement [`Backend`] and use the macro:
//!
//! ```
//! use std::sync::Arc;
//! use storage_core::{KvStorage, MemoryDatabase};
//!
//! struct MyBackend(MemoryDatabase);
//!
//! impl conformance::Backend for MyBackend {
//!     fn name(&self) -> String { "my-store".into() }
//!     fn open(&self, namespace: &str) -> storage_core::Result<Arc<dyn KvStorage>> {
//!         Ok(Arc::new(self.0.open(namespace)?))
//!     }
//! }
//!
//! // In a test file: one #[test] per check.
//! conformance::conformance_tests!(my_store, MyBackend(MemoryDatabase::new()));
//! # fn main() {}
//! ```
//!
//! or call [`run_all`] from one test.
#![deny(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use storage_core::{AsyncAdapter, AsyncKvStorage, KvStorage};

pub mod backends;
pub mod checks;
mod keys;
mod model;
pub mod servers;

pub use checks::{run_all, Check, CHECKS};
pub use keys::nasty_keys;

/// What a check returns: `Err` holds a report of what differed.
pub type CheckResult = Result<(), String>;

/// A store under test: how to open its namespaces, and what the suite may expect of it.
pub trait Backend: Send + Sync {
    /// A name for reports, e.g. `"sqlite"`.
    fn name(&self) -> String;

    /// Opens the store for `namespace`. Stores opened with the same namespace see the same
    /// entries; stores of different namespaces never see each other's.
    fn open(&self, namespace: &str) -> storage_core::Result<Arc<dyn KvStorage>>;

    /// Opens the async face of the store for `namespace`. The default wraps
    /// [`open`](Self::open) in an [`AsyncAdapter`]; backends with a native async face return it.
    fn open_async(&self, namespace: &str) -> storage_core::Result<Arc<dyn AsyncKvStorage>> {
        Ok(Arc::new(AsyncAdapter::from_arc(self.open(namespace)?)))
    }

    /// Whether entries survive dropping every store and opening again (checked when `true`).
    fn persistent(&self) -> bool {
        false
    }

    /// A TTL that is long compared to one operation and short enough to wait for; the model
    /// waits it out to see entries expire. Raise it for slow backends.
    fn short_ttl(&self) -> Duration {
        Duration::from_millis(150)
    }
}

/// A namespace name no other check of this process uses, derived from `label`.
pub fn unique_namespace(label: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(32)
        .collect();
    format!("{label}_{}_{n}", std::process::id())
}

/// Maps a storage result to a check result, naming the operation.
pub(crate) trait Context<T> {
    fn ctx(self, what: &str) -> Result<T, String>;
}

impl<T> Context<T> for storage_core::Result<T> {
    fn ctx(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: unexpected error: {e}"))
    }
}

/// Fails the check with a formatted message unless `cond` holds.
#[macro_export]
#[doc(hidden)]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Generates one `#[test]` per check of the suite for `backend` (an expression building a
/// [`Backend`], evaluated once per test binary), in a module named `name`.
#[macro_export]
macro_rules! conformance_tests {
    ($name:ident, $backend:expr) => {
        #[cfg(test)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn backend() -> &'static dyn $crate::Backend {
                static BACKEND: std::sync::OnceLock<Box<dyn $crate::Backend>> =
                    std::sync::OnceLock::new();
                BACKEND.get_or_init(|| Box::new($backend)).as_ref()
            }

            fn run(check: fn(&dyn $crate::Backend) -> $crate::CheckResult) {
                if let Err(report) = check(backend()) {
                    panic!("{} failed conformance:\n{report}", backend().name());
                }
            }

            #[test]
            fn model_based() {
                run($crate::checks::model_based)
            }
            #[test]
            fn ttl_hides_expired_entries_from_every_read() {
                run($crate::checks::ttl_hides_expired_entries_from_every_read)
            }
            #[test]
            fn invalid_ttls_are_refused() {
                run($crate::checks::invalid_ttls_are_refused)
            }
            #[test]
            fn namespaces_are_isolated() {
                run($crate::checks::namespaces_are_isolated)
            }
            #[test]
            fn entries_persist_across_reopen() {
                run($crate::checks::entries_persist_across_reopen)
            }
            #[test]
            fn concurrent_writers_and_readers() {
                run($crate::checks::concurrent_writers_and_readers)
            }
            #[test]
            fn set_if_absent_has_one_winner() {
                run($crate::checks::set_if_absent_has_one_winner)
            }
            #[test]
            fn every_key_up_to_the_limit_works() {
                run($crate::checks::every_key_up_to_the_limit_works)
            }
            #[test]
            fn long_keys_are_refused() {
                run($crate::checks::long_keys_are_refused)
            }
            #[test]
            fn values_over_the_limit_are_refused() {
                run($crate::checks::values_over_the_limit_are_refused)
            }
            #[test]
            fn bulk_operations() {
                run($crate::checks::bulk_operations)
            }
            #[test]
            fn large_bulk_operations() {
                run($crate::checks::large_bulk_operations)
            }
            #[test]
            fn update_copies_remaining_ttl() {
                run($crate::checks::update_copies_remaining_ttl)
            }
            #[test]
            fn iteration_streams_many_entries() {
                run($crate::checks::iteration_streams_many_entries)
            }
            #[test]
            fn corrupt_bytes_through_codec() {
                run($crate::checks::corrupt_bytes_through_codec)
            }
            #[test]
            fn tampered_bytes_through_signing() {
                run($crate::checks::tampered_bytes_through_signing)
            }
            #[test]
            fn typed_over_signed_round_trip() {
                run($crate::checks::typed_over_signed_round_trip)
            }
            #[test]
            fn async_face() {
                run($crate::checks::async_face)
            }
            #[test]
            fn async_face_concurrent_tasks() {
                run($crate::checks::async_face_concurrent_tasks)
            }
            #[test]
            fn stores_work_as_trait_objects() {
                run($crate::checks::stores_work_as_trait_objects)
            }
        }
    };
}
