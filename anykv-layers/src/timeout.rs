//! [`TimeoutLayer`]: a deadline per operation on the async face.

use std::time::Duration;

use anykv_core::layer::{AsyncRun, Call, Layer, LayerFuture, Outcome};
use anykv_core::{Error, ErrorKind, Result};

/// Fails an async operation that takes longer than `timeout` with a retryable
/// [`ErrorKind::TimedOut`] error (the operation is dropped: a write may or may not have
/// landed, as with any lost reply). Needs a tokio runtime with its timer.
///
/// A blocking call cannot be abandoned safely, so on the blocking face this layer lets calls
/// run: bound them with the backend's own timeouts (SQLite's `busy_timeout`, Redis's
/// `response_timeout`, MongoDB's `serverSelectionTimeoutMS`, DynamoDB's `timeout`).
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    timeout: Duration,
}

impl TimeoutLayer {
    /// Async operations fail after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        TimeoutLayer { timeout }
    }
}

impl Layer for TimeoutLayer {
    fn call<T: Outcome>(&self, _call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        run()
    }

    fn call_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> LayerFuture<'a, T> {
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, run()).await {
                Ok(result) => result,
                Err(_) => Err(Error::backend(
                    call.backend,
                    call.operation.name(),
                    ErrorKind::TimedOut,
                    format!("no answer within {:?}", self.timeout),
                )),
            }
        })
    }
}
