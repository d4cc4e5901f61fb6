//! [`TracingLayer`]: a `tracing` span per operation.

use std::time::Instant;

use anykv_core::layer::{AsyncRun, Call, Layer, LayerFuture, Outcome};
use anykv_core::Result;
use tracing::field::{display, Empty};
use tracing::{Instrument, Span};

/// Opens a `DEBUG` span `anykv` around every operation, with the fields `backend`,
/// `operation`, `namespace`, `keys` (how many keys the call names), `bytes_in` (value bytes
/// written), and once it ends `bytes_out` (value bytes read), `hits` and `misses` (lookups),
/// `outcome` (`ok` or `error`), `error_kind`, `error` and `duration_us`. Keys and values are
/// never recorded. When no subscriber listens at that level, the layer only checks so and
/// runs the operation: no clock read, no allocation.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingLayer;

impl TracingLayer {
    /// A tracing layer.
    pub fn new() -> Self {
        TracingLayer
    }
}

fn span_for(call: &Call<'_>) -> Span {
    tracing::debug_span!(
        "anykv",
        backend = call.backend,
        operation = call.operation.name(),
        namespace = call.namespace.unwrap_or(""),
        keys = call.keys,
        bytes_in = call.bytes_in,
        bytes_out = Empty,
        hits = Empty,
        misses = Empty,
        outcome = Empty,
        error_kind = Empty,
        error = Empty,
        duration_us = Empty,
    )
}

fn record<T: Outcome>(span: &Span, result: &Result<T>, started: Instant) {
    span.record(
        "duration_us",
        u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    match result {
        Ok(outcome) => {
            span.record("outcome", "ok");
            span.record("bytes_out", outcome.bytes_out());
            if let Some((hits, misses)) = outcome.hits_and_misses() {
                span.record("hits", hits);
                span.record("misses", misses);
            }
        }
        Err(error) => {
            span.record("outcome", "error");
            span.record("error_kind", error.kind().label());
            span.record("error", display(error));
        }
    }
}

impl Layer for TracingLayer {
    fn call<T: Outcome>(&self, call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        let span = span_for(call);
        if span.is_disabled() {
            return run();
        }
        let started = Instant::now();
        let result = span.in_scope(run);
        record(&span, &result, started);
        result
    }

    fn call_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> LayerFuture<'a, T> {
        let span = span_for(call);
        if span.is_disabled() {
            return run();
        }
        Box::pin(async move {
            let started = Instant::now();
            let result = run().instrument(span.clone()).await;
            record(&span, &result, started);
            result
        })
    }
}
