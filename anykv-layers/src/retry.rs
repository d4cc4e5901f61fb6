//! [`RetryLayer`]: retryable errors retried with exponential backoff.

use std::time::Duration;

use anykv_core::layer::{AsyncRun, Call, Layer, LayerFuture, Outcome};
use anykv_core::{Error, Result};
use backon::{BlockingRetryable, ExponentialBuilder, Retryable};

/// Retries an operation that failed with a retryable error ([`Error::is_retryable`]: the
/// store unavailable, timed out, a conflict) with exponential backoff and jitter, when the
/// operation is safe to run again
/// ([`Operation::is_safe_to_retry`](anykv_core::layer::Operation::is_safe_to_retry): reads,
/// plain writes, `clear`); conditional writes, deletes and `pop` are never repeated, since a
/// first attempt that landed before its reply was lost would make the retry answer wrongly.
///
/// Defaults: up to 4 retries, the first after 50 ms, doubling up to 2 s. The blocking face
/// sleeps its thread between attempts; the async face sleeps with tokio's timer.
#[derive(Debug, Clone, Copy)]
pub struct RetryLayer {
    backoff: ExponentialBuilder,
}

impl Default for RetryLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryLayer {
    /// The default policy.
    pub fn new() -> Self {
        RetryLayer {
            backoff: ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(50))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(4)
                .with_jitter(),
        }
    }

    /// Retries at most `times` times.
    pub fn max_retries(mut self, times: usize) -> Self {
        self.backoff = self.backoff.with_max_times(times);
        self
    }

    /// The first delay and the longest one.
    pub fn delays(mut self, first: Duration, longest: Duration) -> Self {
        self.backoff = self.backoff.with_min_delay(first).with_max_delay(longest);
        self
    }
}

fn worth_retrying(error: &Error) -> bool {
    error.is_retryable()
}

impl Layer for RetryLayer {
    fn call<T: Outcome>(&self, call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        if !call.operation.is_safe_to_retry() {
            return run();
        }
        (|| run())
            .retry(self.backoff)
            .sleep(std::thread::sleep)
            .when(worth_retrying)
            .call()
    }

    fn call_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> LayerFuture<'a, T> {
        if !call.operation.is_safe_to_retry() {
            return run();
        }
        Box::pin(
            (move || run())
                .retry(self.backoff)
                .sleep(tokio::time::sleep)
                .when(worth_retrying),
        )
    }
}
