//! The forwarding check: a wrapper store (a layer, an adapter, a signing or typing layer, a
//! smart pointer) must pass each operation to the store underneath as that same operation, so
//! the backend's own implementation runs instead of the trait's generic default (a `keys()`
//! that became a full scan, say).
//!
//! [`SpyStore`] is an in-memory store, on both faces, that records which of its operations
//! were called. [`check_forwarding`] and [`check_forwarding_async`] call every operation once
//! through a wrapper around a spy and report each one that did not reach the spy as itself. Both
//! are generated from the one list of operations
//! ([`anykv_core::kv_operations`]), so a new operation is checked as soon as it is declared.
//!
//! ```
//! use std::sync::Arc;
//! use anykv_conformance::forwarding::{check_forwarding, SpyStore};
//! use anykv_core::layer::{ContextLayer, WithLayer};
//!
//! let spy = Arc::new(SpyStore::new());
//! let wrapped = spy.clone().with_layer(ContextLayer);
//! check_forwarding(&wrapped, &spy, &[]).unwrap();
//! ```

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anykv_core::layer::Operation;
use anykv_core::{
    AsyncKvStorage, BoxIter, BoxStream, KvStorage, MemoryStorage, Result, Scan, SetEntry, SortBy,
    Store, StoreInfo,
};
use futures_util::TryStreamExt;

use crate::CheckResult;

/// An in-memory store (both faces) that records every operation called on it, in order.
#[derive(Default)]
pub struct SpyStore {
    inner: MemoryStorage,
    log: Mutex<Vec<Operation>>,
}

impl SpyStore {
    /// An empty spy.
    pub fn new() -> Self {
        SpyStore::default()
    }

    /// The operations called since the last call, in order; the log starts again.
    pub fn take_log(&self) -> Vec<Operation> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn record(&self, operation: Operation) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(operation);
    }
}

impl Store for SpyStore {
    fn info(&self) -> StoreInfo<'_> {
        StoreInfo::new("spy").namespace("spy")
    }
}

/// A value of each kind of argument, for calling every operation once.
macro_rules! sample {
    (key) => {
        "k"
    };
    (value) => {
        &b"v"[..]
    };
    (expected) => {
        &b"v"[..]
    };
    (maybe_expected) => {
        Some(&b"v"[..])
    };
    (ttl) => {
        Some(Duration::from_secs(3600))
    };
    (keys) => {
        &["k", "j"][..]
    };
    (pairs) => {
        &[("k", &b"v"[..])][..]
    };
    (entries) => {
        &[SetEntry::new("k", b"v", None)][..]
    };
    (scan) => {
        Scan::with_values().prefix("k")
    };
    (plain) => {
        Sample::sample()
    };
}

/// A value of an argument of kind `plain`.
trait Sample {
    fn sample() -> Self;
}

impl Sample for i64 {
    fn sample() -> Self {
        1
    }
}

impl Sample for SortBy {
    fn sample() -> Self {
        SortBy::Expiry
    }
}

impl Sample for usize {
    fn sample() -> Self {
        5
    }
}

/// Where an operation called through a wrapper may legitimately arrive as other operations
/// (a signing layer reads `expiry` through `get_entry`, say): the operation, and what the spy
/// must see instead.
pub type Rerouted<'a> = &'a [(Operation, &'a [Operation])];

/// The operations the spy must see for `operation` called through the wrapper.
fn expected(operation: Operation, rerouted: Rerouted<'_>) -> Vec<Operation> {
    rerouted
        .iter()
        .find(|(from, _)| *from == operation)
        .map_or_else(|| vec![operation], |(_, to)| to.to_vec())
}

/// Compares what the spy saw for each operation with what it should have seen.
fn report(seen: Vec<(Operation, Vec<Operation>)>, rerouted: Rerouted<'_>) -> CheckResult {
    let failures: Vec<String> = seen
        .into_iter()
        .filter_map(|(operation, log)| {
            let missing: Vec<Operation> = expected(operation, rerouted)
                .into_iter()
                .filter(|wanted| !log.contains(wanted))
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "{} reached the store as {:?}, not as {:?}",
                    operation.name(),
                    log.iter().map(|op| op.name()).collect::<Vec<_>>(),
                    missing.iter().map(|op| op.name()).collect::<Vec<_>>()
                )
            })
        })
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// Implements both faces of [`SpyStore`] and the two checks from the list of operations.
macro_rules! spy_and_checks {
    (
        []
        calls {$(
            $(#[$doc:meta])*
            $variant:ident $name:ident ($($arg:ident : $ty:ty as $kind:ident),*) -> $out:ty
            [$($flag:ident)*];
        )*}
        listings {$(
            $(#[$list_doc:meta])*
            $list_variant:ident $list_name:ident ($($list_arg:ident : $list_ty:ty as $list_kind:ident),*)
            -> $item:ty [$($list_flag:ident)*];
        )*}
    ) => {
        impl KvStorage for SpyStore {
            $(
                fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    self.record(Operation::$variant);
                    self.inner.$name($($arg),*)
                }
            )*

            $(
                fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxIter<'_, $item>> {
                    self.record(Operation::$list_variant);
                    self.inner.$list_name($($list_arg),*)
                }
            )*
        }

        #[anykv_core::async_trait]
        impl AsyncKvStorage for SpyStore {
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    self.record(Operation::$variant);
                    self.inner.$name($($arg),*)
                }
            )*

            $(
                async fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxStream<'_, $item>> {
                    self.record(Operation::$list_variant);
                    let items = self.inner.$list_name($($list_arg),*)?;
                    Ok(Box::pin(futures_util::stream::iter(items)))
                }
            )*
        }

        /// Calls every operation of the blocking face once through `wrapper`, over a spy holding
        /// one entry written through the wrapper; fails naming each operation that did not
        /// reach `spy` as itself (or as `rerouted` says).
        pub fn check_forwarding(
            wrapper: &dyn KvStorage,
            spy: &SpyStore,
            rerouted: Rerouted<'_>,
        ) -> CheckResult {
            let mut seen = Vec::new();
            $(
                wrapper.set("k", b"v", None).map_err(|e| format!("set: {e}"))?;
                spy.take_log();
                let _ = wrapper.$name($(sample!($kind)),*);
                seen.push((Operation::$variant, spy.take_log()));
            )*
            $(
                wrapper.set("k", b"v", None).map_err(|e| format!("set: {e}"))?;
                spy.take_log();
                if let Ok(items) = wrapper.$list_name($(sample!($list_kind)),*) {
                    items.for_each(drop);
                }
                seen.push((Operation::$list_variant, spy.take_log()));
            )*
            report(seen, rerouted)
        }

        /// [`check_forwarding`] on the async face, run on a runtime of its own.
        pub fn check_forwarding_async(
            wrapper: &dyn AsyncKvStorage,
            spy: &SpyStore,
            rerouted: Rerouted<'_>,
        ) -> CheckResult {
            let runtime = crate::runtime(2)?;
            runtime.block_on(async {
                let mut seen = Vec::new();
                $(
                    wrapper.set("k", b"v", None).await.map_err(|e| format!("set: {e}"))?;
                    spy.take_log();
                    let _ = wrapper.$name($(sample!($kind)),*).await;
                    seen.push((Operation::$variant, spy.take_log()));
                )*
                $(
                    wrapper.set("k", b"v", None).await.map_err(|e| format!("set: {e}"))?;
                    spy.take_log();
                    if let Ok(items) = wrapper.$list_name($(sample!($list_kind)),*).await {
                        let _ = items.try_for_each(|_| async { Ok(()) }).await;
                    }
                    seen.push((Operation::$list_variant, spy.take_log()));
                )*
                report(seen, rerouted)
            })
        }
    };
}

anykv_core::kv_operations!(spy_and_checks);
