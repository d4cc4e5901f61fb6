//! [`MetricsLayer`]: counters and histograms through the `metrics` facade.

use std::time::Instant;

use anykv_core::layer::{AsyncRun, Call, Layer, LayerFuture, Outcome};
use anykv_core::Result;
use metrics::{counter, histogram};

/// Records, through whatever `metrics` recorder the application installed (Prometheus,
/// StatsD, …), labelled with `backend` and `operation`:
///
/// | metric | kind | what |
/// |---|---|---|
/// | `kv_storage_operations_total` | counter | operations run (label `outcome`: `ok`, `error`) |
/// | `kv_storage_errors_total` | counter | failed operations (label `kind`: `unavailable`, `timed_out`, …: [`ErrorKind::label`](anykv_core::ErrorKind::label)) |
/// | `kv_storage_operation_duration_seconds` | histogram | latency |
/// | `kv_storage_bytes_written_total` | counter | value bytes written |
/// | `kv_storage_bytes_read_total` | counter | value bytes read |
/// | `kv_storage_hits_total`, `kv_storage_misses_total` | counter | keys found and missed by lookups |
///
/// Namespaces are not a label (they can be many); put one store per namespace behind its own
/// layer if you need them apart. Without a recorder, each call costs a few atomic loads.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsLayer;

impl MetricsLayer {
    /// A metrics layer.
    pub fn new() -> Self {
        MetricsLayer
    }
}

fn record<T: Outcome>(call: &Call<'_>, result: &Result<T>, started: Instant) {
    let backend = call.backend;
    let operation = call.operation.name();
    histogram!("kv_storage_operation_duration_seconds", "backend" => backend, "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    match result {
        Ok(outcome) => {
            counter!("kv_storage_operations_total", "backend" => backend, "operation" => operation, "outcome" => "ok")
                .increment(1);
            if call.bytes_in > 0 {
                counter!("kv_storage_bytes_written_total", "backend" => backend, "operation" => operation)
                    .increment(call.bytes_in as u64);
            }
            let read = outcome.bytes_out();
            if read > 0 {
                counter!("kv_storage_bytes_read_total", "backend" => backend, "operation" => operation)
                    .increment(read as u64);
            }
            if let Some((hits, misses)) = outcome.hits_and_misses() {
                counter!("kv_storage_hits_total", "backend" => backend, "operation" => operation)
                    .increment(hits as u64);
                counter!("kv_storage_misses_total", "backend" => backend, "operation" => operation)
                    .increment(misses as u64);
            }
        }
        Err(error) => {
            counter!("kv_storage_operations_total", "backend" => backend, "operation" => operation, "outcome" => "error")
                .increment(1);
            counter!("kv_storage_errors_total", "backend" => backend, "operation" => operation, "kind" => error.kind().label())
                .increment(1);
        }
    }
}

impl Layer for MetricsLayer {
    fn call<T: Outcome>(&self, call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let result = run();
        record(call, &result, started);
        result
    }

    fn call_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> LayerFuture<'a, T> {
        Box::pin(async move {
            let started = Instant::now();
            let result = run().await;
            record(call, &result, started);
            result
        })
    }
}
