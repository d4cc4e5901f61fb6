//! [`ConcurrencyLimitLayer`]: at most N operations in flight.

use std::sync::Arc;

use anykv_core::layer::{AsyncRun, Call, Layer, LayerFuture, Outcome};
use anykv_core::{Error, ErrorKind, Result};
use tokio::sync::Semaphore;

/// Lets at most `limit` operations run at once, on both faces together; the others wait their
/// turn (first come, first served). A listing holds its slot only while it is opened, not
/// while it is read. Clones share the limit.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimitLayer {
    permits: Arc<Semaphore>,
}

impl ConcurrencyLimitLayer {
    /// At most `limit` operations at once (at least 1).
    pub fn new(limit: usize) -> Self {
        ConcurrencyLimitLayer {
            permits: Arc::new(Semaphore::new(limit.clamp(1, Semaphore::MAX_PERMITS))),
        }
    }

    /// How many more operations could start now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

fn closed(call: &Call<'_>) -> Error {
    Error::backend(
        call.backend,
        call.operation.name(),
        ErrorKind::Unavailable,
        "the concurrency limit was closed",
    )
}

impl Layer for ConcurrencyLimitLayer {
    fn call<T: Outcome>(&self, call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        // The semaphore's future needs no runtime: a blocking caller waits on it in place.
        let _permit =
            futures_executor::block_on(self.permits.acquire()).map_err(|_| closed(call))?;
        run()
    }

    fn call_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> LayerFuture<'a, T> {
        Box::pin(async move {
            let _permit = self.permits.acquire().await.map_err(|_| closed(call))?;
            run().await
        })
    }
}
