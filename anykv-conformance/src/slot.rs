//! [`BackendSlot`]: the backend of one `conformance_tests!` module, built once per test binary,
//! and the one clear failure when it cannot be built (a server missing).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::Backend;

/// What a `conformance_tests!` backend expression may give: a [`Backend`], or a
/// `Result<Backend, String>` whose error says why it could not be built (and how to get what is
/// missing).
pub trait IntoBackend {
    /// The backend, or why it could not be built.
    fn into_backend(self) -> Result<Box<dyn Backend>, String>;
}

impl<B: Backend + 'static> IntoBackend for B {
    fn into_backend(self) -> Result<Box<dyn Backend>, String> {
        Ok(Box::new(self))
    }
}

impl<B: Backend + 'static> IntoBackend for Result<B, String> {
    fn into_backend(self) -> Result<Box<dyn Backend>, String> {
        self.map(|backend| Box::new(backend) as Box<dyn Backend>)
    }
}

/// The backend of one module of checks, built on first use. When it cannot be built, the first
/// check to ask reports why in full, and every other check of the module fails at once with one
/// line pointing at that report, instead of trying again (and printing it again) each time.
#[doc(hidden)]
pub struct BackendSlot {
    built: OnceLock<Result<Box<dyn Backend>, String>>,
    reported: AtomicBool,
}

impl BackendSlot {
    /// An empty slot, for a `static`.
    pub const fn new() -> Self {
        BackendSlot {
            built: OnceLock::new(),
            reported: AtomicBool::new(false),
        }
    }

    /// The backend of module `module`, built by `build` the first time; panics (failing the
    /// calling check) when it could not be built.
    pub fn get<T: IntoBackend>(
        &'static self,
        module: &str,
        build: impl FnOnce() -> T,
    ) -> &'static dyn Backend {
        let built = self.built.get_or_init(|| {
            std::panic::catch_unwind(AssertUnwindSafe(|| build().into_backend()))
                .unwrap_or_else(|panic| Err(panic_message(panic.as_ref())))
        });
        match built {
            Ok(backend) => backend.as_ref(),
            Err(why) if !self.reported.swap(true, Ordering::SeqCst) => {
                panic!("{module}: the backend could not be built, so its checks fail: {why}")
            }
            Err(why) => {
                let first_sentence = why.split(". ").next().unwrap_or_default();
                panic!("{module}: no backend: {first_sentence} (reported in full by one check)")
            }
        }
    }
}

impl Default for BackendSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// The text of a panic's payload.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
        .unwrap_or_else(|| "the backend's constructor panicked".to_owned())
}
