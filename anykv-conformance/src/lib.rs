#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anykv_core::caps::SizeCaps;
use anykv_core::{AsyncAdapter, AsyncKvStorage, KvStorage};

pub mod backends;
pub mod checks;
pub mod forwarding;
mod keys;
mod model;
mod slot;
mod window;

pub use checks::{run_all, Check, Verdict, CHECKS};
pub use keys::nasty_keys;
pub use model::{run_model, FaceKind, ModelRun};
pub use slot::{BackendSlot, IntoBackend};

/// What a check returns: `Err` holds a report of what differed.
pub type CheckResult = Result<(), String>;

/// What a backend can do, said out loud: every backend states each capability, so a check that
/// depends on one never passes silently because of a forgotten default. (Adding a capability is
/// a breaking change on purpose: every backend must then say whether it has it.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Entries, and their TTLs, survive dropping every store and opening the namespace again
    /// (a file, a server); `false` for in-process stores.
    pub persistent: bool,
    /// Who removes expired entries.
    pub expiry: ExpiryRemoval,
    /// [`get_stale`](anykv_core::KvStorage::get_stale) returns an expired entry until the
    /// store removes it ([`purge_expired`](anykv_core::KvStorage::purge_expired), or its own
    /// housekeeping): checked right after the entry expires; `false` for stores whose server
    /// may remove it at once, or that return only live entries (the trait's default).
    pub stale_reads: bool,
    /// [`Backend::open_capped`] opens stores with [`SizeCaps`] (a maximum of entries and bytes,
    /// enforced by evicting expired, then least recently used entries; see
    /// [`anykv_core::caps`]): the local stores (memory, SQLite, files).
    pub size_caps: bool,
}

/// Who removes expired entries physically (reads never see them either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryRemoval {
    /// Only [`purge_expired`](anykv_core::KvStorage::purge_expired): it removes every expired
    /// entry and counts exactly those (memory, SQLite, files).
    Purge,
    /// The server removes them on its own (Redis, a TTL index, DynamoDB TTL), so a purge may
    /// find fewer than have expired.
    Server,
}

/// A store under test: how to open its namespaces, and what the suite may expect of it.
pub trait Backend: Send + Sync {
    /// A name for reports, e.g. `"sqlite"`.
    fn name(&self) -> String;

    /// What this backend can do; checks that need a capability it lacks are skipped, and say so.
    fn capabilities(&self) -> Capabilities;

    /// Opens the store for `namespace`. Stores opened with the same namespace see the same
    /// entries; stores of different namespaces never see each other's.
    fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>>;

    /// Opens the async face of the store for `namespace`. The default wraps
    /// [`open`](Self::open) in an [`AsyncAdapter`]; backends with a native async face return it.
    fn open_async(&self, namespace: &str) -> anykv_core::Result<Arc<dyn AsyncKvStorage>> {
        Ok(Arc::new(AsyncAdapter::from_arc(self.open(namespace)?)))
    }

    /// A TTL long enough for a write to land before it runs out on a quiet machine, short enough
    /// to wait for. Checks never assume a speed: a slow call only makes the model accept both
    /// outcomes for entries whose expiry fell inside it, and explicit checks wait until an entry
    /// is certainly expired. A longer TTL makes slow backends' runs more decisive.
    fn short_ttl(&self) -> Duration {
        Duration::from_millis(150)
    }

    /// Opens the store for `namespace` with `caps`, for the checks that need
    /// [`Capabilities::size_caps`]. The default refuses: a backend that states the capability
    /// implements this.
    fn open_capped(
        &self,
        namespace: &str,
        caps: SizeCaps,
    ) -> anykv_core::Result<Arc<dyn KvStorage>> {
        let _ = (namespace, caps);
        Err(anykv_core::Error::Config(format!(
            "{} states Capabilities::size_caps but does not implement Backend::open_capped",
            self.name()
        )))
    }
}

/// A backend together with something that must live as long as it, such as the server it talks
/// to: `Guarded::new(Redis::new(url, kind), server)`.
pub struct Guarded<B> {
    backend: B,
    _guard: Box<dyn std::any::Any + Send + Sync>,
}

impl<B: Backend> Guarded<B> {
    /// Keeps `guard` alive as long as `backend`.
    pub fn new(backend: B, guard: impl std::any::Any + Send + Sync) -> Self {
        Guarded {
            backend,
            _guard: Box::new(guard),
        }
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }
}

impl<B: Backend> Backend for Guarded<B> {
    fn name(&self) -> String {
        self.backend.name()
    }
    fn capabilities(&self) -> Capabilities {
        self.backend.capabilities()
    }
    fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
        self.backend.open(namespace)
    }
    fn open_async(&self, namespace: &str) -> anykv_core::Result<Arc<dyn AsyncKvStorage>> {
        self.backend.open_async(namespace)
    }
    fn short_ttl(&self) -> Duration {
        self.backend.short_ttl()
    }
    fn open_capped(
        &self,
        namespace: &str,
        caps: SizeCaps,
    ) -> anykv_core::Result<Arc<dyn KvStorage>> {
        self.backend.open_capped(namespace, caps)
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

/// A multi-thread tokio runtime with `workers` threads, for driving async faces from a check.
pub(crate) fn runtime(workers: usize) -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))
}

/// Maps a storage result to a check result, naming the operation.
pub(crate) trait Context<T> {
    fn ctx(self, what: &str) -> Result<T, String>;
}

impl<T> Context<T> for anykv_core::Result<T> {
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
/// [`Backend`], or a `Result<Backend, String>` whose error says what is missing; evaluated once
/// per test binary), in a module named `name`. The tests are the entries of [`CHECKS`], from
/// the same list. When the backend cannot be built, one check says why in full and the others
/// fail at once with one line.
#[macro_export]
macro_rules! conformance_tests {
    ($name:ident, $backend:expr) => {
        $crate::__with_checks!(@tests [$name, $backend]);
    };
    (@emit_tests [$name:ident, $backend:expr] $($check:ident : $needs:ident),* $(,)?) => {
        #[cfg(test)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn backend() -> &'static dyn $crate::Backend {
                static BACKEND: $crate::BackendSlot = $crate::BackendSlot::new();
                BACKEND.get(stringify!($name), || $backend)
            }

            $(
                #[test]
                fn $check() {
                    if let Err(report) = $crate::checks::run_named_within(
                        backend(),
                        stringify!($check),
                        $crate::checks::check_time_bound(),
                    ) {
                        panic!("{report}");
                    }
                }
            )*
        }
    };
}
