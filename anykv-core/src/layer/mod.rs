//! Layers: wrap any store in behaviour around each operation (tracing, metrics, retries,
//! timeouts, limits) without writing a store.
//!
//! A layer implements [`Layer`]: one hook for the blocking face, one for the async face, each
//! given the [`Call`] (operation, backend, namespace, key count, bytes written) and the
//! operation to run. [`Layered`] is the forwarding base: it implements every method of
//! [`KvStorage`](crate::KvStorage) and [`AsyncKvStorage`](crate::AsyncKvStorage) once, passing
//! each through the hook, so a new layer writes only what it changes. Layers stack:
//! `store.with_layer(a).with_layer(b)` runs `b` around `a` around the store.
//!
//! ```
//! use anykv_core::layer::{Call, Layer, Outcome, WithLayer};
//! use anykv_core::{KvStorage, MemoryStorage, Result};
//! use std::sync::atomic::{AtomicUsize, Ordering};
//!
//! /// Counts the operations that fail.
//! #[derive(Default)]
//! struct CountFailures(AtomicUsize);
//!
//! impl Layer for CountFailures {
//!     fn call<T: Outcome>(&self, _call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
//!         let result = run();
//!         if result.is_err() {
//!             self.0.fetch_add(1, Ordering::Relaxed);
//!         }
//!         result
//!     }
//! }
//!
//! let store = MemoryStorage::new().with_layer(CountFailures::default());
//! store.set("k", b"v", None)?;
//! assert!(store.set(&"k".repeat(2000), b"v", None).is_err());
//! assert_eq!(store.layer().0.load(Ordering::Relaxed), 1);
//! # Ok::<(), anykv_core::Error>(())
//! ```

mod layered_async;
mod layered_sync;
mod operation;

use std::future::Future;
use std::pin::Pin;

pub use operation::{Call, Operation, Outcome};

use crate::entry::SetEntry;
use crate::error::Result;
use crate::traits::{Store, StoreInfo};

/// The future an async hook runs and returns.
pub type LayerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// The operation an async hook runs: callable again (a retry runs it once per attempt).
pub type AsyncRun<'a, T> = &'a mut (dyn FnMut() -> LayerFuture<'a, T> + Send);

/// Behaviour around every operation of a store. Both hooks default to running the operation
/// as it is, so a layer overrides only the face it changes (and says in its docs what it does
/// on the other).
pub trait Layer: Send + Sync {
    /// Runs the blocking operation `run` described by `call`, with this layer's behaviour
    /// around it. `run` may be called again (a retry) or not at all (a refusal).
    fn call<T: Outcome>(&self, call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        let _ = call;
        run()
    }

    /// The async twin of [`call`](Self::call).
    fn call_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> LayerFuture<'a, T> {
        let _ = call;
        run()
    }

    /// The TTL a write through this layer uses, given the one its caller passed (`None`: no
    /// expiry): every `set`, conditional write, bulk write, `touch` and `update` asks. The
    /// identity by default; a layer that gives writes a default TTL fills in `None`.
    fn write_ttl(&self, ttl: Option<std::time::Duration>) -> Option<std::time::Duration> {
        ttl
    }
}

/// What [`Layered`] does to an argument of each kind before the call: a write's TTL becomes the
/// one the layer writes.
macro_rules! layered_prepare {
    (ttl $arg:ident $layer:expr) => {
        let $arg = $layer.write_ttl($arg);
    };
    (entries $arg:ident $layer:expr) => {
        let rewritten = $crate::layer::rewrite_ttls(&$layer, $arg);
        let $arg = rewritten.as_deref().unwrap_or($arg);
    };
    ($kind:ident $arg:ident $layer:expr) => {};
}
use layered_prepare;

/// What an argument of each kind tells the layer about the call.
macro_rules! layered_describe {
    (key $arg:ident $call:ident) => {
        $call.key = Some($arg);
        $call.keys = 1;
    };
    (value $arg:ident $call:ident) => {
        $call.bytes_in += $arg.len();
    };
    (keys $arg:ident $call:ident) => {
        $call.keys = $arg.len();
    };
    (pairs $arg:ident $call:ident) => {
        $call.keys = $arg.len();
        $call.bytes_in = $arg.iter().map(|(_, value)| value.len()).sum();
    };
    (entries $arg:ident $call:ident) => {
        $call.keys = $arg.len();
        $call.bytes_in = $arg.iter().map(|entry| entry.value.len()).sum();
    };
    ($kind:ident $arg:ident $call:ident) => {};
}
use layered_describe;

/// `entries` with each TTL as `layer` writes it, or `None` when the layer changes none.
pub(crate) fn rewrite_ttls<'a, L: Layer>(
    layer: &L,
    entries: &[SetEntry<'a>],
) -> Option<Vec<SetEntry<'a>>> {
    if entries
        .iter()
        .all(|entry| layer.write_ttl(entry.ttl) == entry.ttl)
    {
        return None;
    }
    Some(
        entries
            .iter()
            .map(|entry| SetEntry::new(entry.key, entry.value, layer.write_ttl(entry.ttl)))
            .collect(),
    )
}

/// The layer that changes nothing: under [`Layered`], every backend error of the store names
/// the namespace and the (truncated) key of its call ([`Error::with_context`](crate::Error::with_context)),
/// as every store opened through the `anykv` facade does.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContextLayer;

impl Layer for ContextLayer {}

/// A store with a layer around every operation; itself a store on the faces `S` has.
#[derive(Debug, Clone)]
pub struct Layered<S, L> {
    inner: S,
    layer: L,
}

impl<S, L: Layer> Layered<S, L> {
    /// `inner` with `layer` around each of its operations.
    pub fn new(inner: S, layer: L) -> Self {
        Layered { inner, layer }
    }

    /// The store underneath.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The layer (to read its counters, for instance).
    pub fn layer(&self) -> &L {
        &self.layer
    }
}

impl<S: Store, L: Layer> Store for Layered<S, L> {
    fn info(&self) -> StoreInfo<'_> {
        self.inner.info()
    }
}

/// `store.with_layer(layer)`: the layer around the store.
pub trait WithLayer: Sized {
    /// Wraps `self` in `layer`.
    fn with_layer<L: Layer>(self, layer: L) -> Layered<Self, L> {
        Layered::new(self, layer)
    }
}

impl<S: Sized> WithLayer for S {}
