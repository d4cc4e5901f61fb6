//! Each layer doing its job on real stores: spans and metrics recorded, retryable failures of
//! a locked SQLite database retried, slow async calls timed out, concurrency bounded.

use anykv_core::{
    AsyncAdapter, AsyncKvStorage, AsyncKvStorageExt, ErrorKind, KvStorage, KvStorageExt,
    MemoryStorage, Result,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anykv_core::layer::{Call, Layer, Outcome, WithLayer};
use anykv_layers::{
    ConcurrencyLimitLayer, DefaultTtlLayer, MetricsLayer, RetryLayer, TimeoutLayer, TracingLayer,
};
use anykv_sqlite::{SqliteOptions, SqliteStorage};

/// How long a test waits for something that must happen before calling it a failure.
const DEADLINE: Duration = Duration::from_secs(60);

fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A SQLite store whose writes wait `busy` for a lock, and a connection holding that lock.
fn locked_sqlite(busy: Duration) -> (tempfile::TempDir, SqliteStorage, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("locked.db");
    let store = SqliteStorage::open(
        SqliteOptions::path(&path)
            .namespace("locked")
            .busy_timeout(busy),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let holder = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
    holder
        .execute_batch("BEGIN EXCLUSIVE")
        .unwrap_or_else(|e| panic!("{e}"));
    (dir, store, holder)
}

/// Counts the attempts that reach the store underneath.
#[derive(Default)]
struct CountAttempts(AtomicUsize);

impl Layer for CountAttempts {
    fn call<T: Outcome>(&self, _: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        self.0.fetch_add(1, Ordering::SeqCst);
        run()
    }
}

#[test]
fn retries_outlast_a_locked_database_but_never_repeat_conditional_writes() {
    let (_dir, store, holder) = locked_sqlite(Duration::from_millis(20));
    let store = Arc::new(
        store.with_layer(CountAttempts::default()).with_layer(
            RetryLayer::new()
                .max_retries(10_000)
                .delays(Duration::from_millis(5), Duration::from_millis(50)),
        ),
    );
    // A conditional write is not safe to repeat: it fails once, as the store said.
    let error = store.compare_and_set("k", None, b"v", None).err();
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::TimedOut));
    assert_eq!(store.inner().layer().0.load(Ordering::SeqCst), 1);

    let writer = {
        let store = store.clone();
        std::thread::spawn(move || store.set("k", b"v", None))
    };
    wait_until("a second attempt", || {
        store.inner().layer().0.load(Ordering::SeqCst) >= 3
    });
    holder
        .execute_batch("ROLLBACK")
        .unwrap_or_else(|e| panic!("{e}"));
    let written = writer
        .join()
        .unwrap_or_else(|_| panic!("the writer panicked"));
    assert!(written.is_ok(), "{written:?}");
    assert_eq!(store.get("k").ok().flatten(), Some(b"v".to_vec()));
}

#[test]
fn async_calls_past_the_timeout_fail_as_timed_out() {
    let (_dir, store, holder) = locked_sqlite(Duration::from_secs(300));
    let store = AsyncAdapter::new(store).with_layer(TimeoutLayer::new(Duration::from_millis(200)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let error = runtime.block_on(store.set("k", b"v", None)).err();
    let shown = error.as_ref().map(ToString::to_string).unwrap_or_default();
    assert_eq!(
        error.map(|e| e.kind()),
        Some(ErrorKind::TimedOut),
        "{shown}"
    );
    assert!(shown.contains("no answer within 200ms"), "{shown}");
    holder
        .execute_batch("ROLLBACK")
        .unwrap_or_else(|e| panic!("{e}"));
    runtime
        .block_on(store.set("k", b"v", None))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Holds every call until released, recording how many are inside at once.
#[derive(Default)]
struct Gate {
    inside: AtomicUsize,
    most: AtomicUsize,
    open: AtomicBool,
}

/// The gate as a layer.
struct GateLayer(Arc<Gate>);

impl Layer for GateLayer {
    fn call<T: Outcome>(&self, _: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        let gate = &self.0;
        let now = gate.inside.fetch_add(1, Ordering::SeqCst) + 1;
        gate.most.fetch_max(now, Ordering::SeqCst);
        while !gate.open.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let result = run();
        gate.inside.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

#[test]
fn at_most_the_limit_runs_at_once() {
    let gate = Arc::new(Gate::default());
    let store = Arc::new(
        MemoryStorage::new()
            .with_layer(GateLayer(gate.clone()))
            .with_layer(ConcurrencyLimitLayer::new(2)),
    );
    let workers: Vec<_> = (0..6)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || store.set(&format!("k{i}"), b"v", None))
        })
        .collect();
    wait_until("two calls inside", || {
        gate.inside.load(Ordering::SeqCst) == 2
    });
    // Four callers are waiting; none may get in while the first two are held.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(gate.inside.load(Ordering::SeqCst), 2);
    assert_eq!(store.layer().available(), 0);
    gate.open.store(true, Ordering::SeqCst);
    for worker in workers {
        let result = worker
            .join()
            .unwrap_or_else(|_| panic!("a worker panicked"));
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(gate.most.load(Ordering::SeqCst), 2);
    assert_eq!(store.len().ok(), Some(6));
}

/// Span fields as recorded, one map per closed span.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<BTreeMap<String, String>>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
}

impl<S> tracing_subscriber::Layer<S> for Spans
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attributes: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = BTreeMap::new();
        attributes.record(&mut Fields(&mut fields));
        if let Some(span) = context.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Some(span) = context.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<BTreeMap<String, String>>() {
                values.record(&mut Fields(fields));
            }
        }
    }

    fn on_close(&self, id: tracing::span::Id, context: tracing_subscriber::layer::Context<'_, S>) {
        if let Some(span) = context.span(&id) {
            if let Some(fields) = span.extensions_mut().remove::<BTreeMap<String, String>>() {
                if let Ok(mut spans) = self.0.lock() {
                    spans.push(fields);
                }
            }
        }
    }
}

#[test]
fn spans_describe_each_operation() {
    use tracing_subscriber::layer::SubscriberExt;
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let store = MemoryStorage::new().with_layer(TracingLayer::new());
    tracing::subscriber::with_default(subscriber, || {
        store
            .set("k", b"12345", None)
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = store.get("k");
        let _ = store.get("missing");
        let _ = store.set(&"k".repeat(2000), b"v", None);
    });
    let spans = spans.0.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(spans.len(), 4, "{spans:?}");
    let field = |i: usize, name: &str| spans[i].get(name).cloned().unwrap_or_default();
    assert_eq!(
        (
            field(0, "operation"),
            field(0, "bytes_in"),
            field(0, "outcome")
        ),
        ("set".into(), "5".into(), "ok".into())
    );
    assert_eq!(
        (field(1, "hits"), field(1, "bytes_out")),
        ("1".into(), "5".into())
    );
    assert_eq!(
        (field(2, "misses"), field(2, "backend")),
        ("1".into(), "memory".into())
    );
    assert_eq!(
        (field(3, "outcome"), field(3, "error_kind")),
        ("error".into(), "limit_exceeded".into())
    );
    assert!(field(0, "duration_us").parse::<u64>().is_ok(), "{spans:?}");
    assert!(
        spans
            .iter()
            .all(|span| !span.values().any(|v| v.contains("12345"))),
        "a value was recorded"
    );
}

#[test]
fn metrics_count_operations_errors_bytes_and_hits() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let store = MemoryStorage::new().with_layer(MetricsLayer::new());
    metrics::with_local_recorder(&recorder, || {
        store
            .set("k", b"12345", None)
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = store.get("k");
        let _ = store.get_many(&["k", "x", "y"]);
        let _ = store.set(&"k".repeat(2000), b"v", None);
    });
    let mut counters: BTreeMap<String, u64> = BTreeMap::new();
    let mut histograms = 0;
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let (_, key) = key.into_parts();
        let mut labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        match value {
            DebugValue::Counter(count) => {
                counters.insert(name, count);
            }
            DebugValue::Histogram(samples) => histograms += samples.len(),
            DebugValue::Gauge(_) => {}
        }
    }
    let count = |name: &str| counters.get(name).copied().unwrap_or(0);
    assert_eq!(
        count("kv_storage_operations_total{backend=memory,operation=set,outcome=ok}"),
        1,
        "{counters:?}"
    );
    assert_eq!(
        count("kv_storage_operations_total{backend=memory,operation=set,outcome=error}"),
        1,
        "{counters:?}"
    );
    assert_eq!(
        count("kv_storage_errors_total{backend=memory,kind=limit_exceeded,operation=set}"),
        1,
        "{counters:?}"
    );
    assert_eq!(
        count("kv_storage_bytes_written_total{backend=memory,operation=set}"),
        5,
        "{counters:?}"
    );
    assert_eq!(
        count("kv_storage_bytes_read_total{backend=memory,operation=get_many}"),
        5,
        "{counters:?}"
    );
    assert_eq!(
        count("kv_storage_hits_total{backend=memory,operation=get_many}"),
        1,
        "{counters:?}"
    );
    assert_eq!(
        count("kv_storage_misses_total{backend=memory,operation=get_many}"),
        2,
        "{counters:?}"
    );
    assert_eq!(
        count("kv_storage_hits_total{backend=memory,operation=get}"),
        1,
        "{counters:?}"
    );
    assert_eq!(histograms, 4);
}

#[test]
fn layers_work_on_the_async_face_too() {
    let store = Arc::new(
        AsyncAdapter::new(MemoryStorage::new())
            .with_layer(RetryLayer::new())
            .with_layer(ConcurrencyLimitLayer::new(1))
            .with_layer(MetricsLayer::new())
            .with_layer(TracingLayer::new()),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.set(&format!("k{i}"), b"v", None).await })
            })
            .collect();
        for task in tasks {
            let result = task.await.unwrap_or_else(|e| panic!("{e}"));
            assert!(result.is_ok(), "{result:?}");
        }
        assert_eq!(store.len().await.ok(), Some(16));
    });
}

/// The remaining TTL of `key`, `None` without expiry (or entry).
fn remaining(store: &dyn KvStorage, key: &str) -> Result<Option<Duration>> {
    Ok(store.expiry(key)?.and_then(anykv_core::Expiry::ttl))
}

/// Every write that passes no TTL gets the layer's, on both faces: set, the conditional writes,
/// set_many, set_entries, touch and the entries update copies; a TTL the caller passes wins.
#[test]
fn a_default_ttl_fills_in_every_write_without_one() -> Result<()> {
    let hour = Duration::from_secs(3600);
    let minute = Duration::from_secs(60);
    let store = MemoryStorage::new().with_layer(DefaultTtlLayer::new(hour)?);
    store.set("set", b"v", None)?;
    store.set("given", b"v", Some(minute))?;
    store.set_if_absent("absent", b"v", None)?;
    store.set("swapped", b"v", Some(minute))?;
    assert!(store.compare_and_set("swapped", Some(b"v"), b"w", None)?);
    store.set_many(&[("many", b"v")], None)?;
    store.set_entries(&[
        anykv_core::SetEntry::new("entries", b"v", None),
        anykv_core::SetEntry::new("entries given", b"v", Some(minute)),
    ])?;
    store.inner().set("plain", b"v", None)?;
    assert_eq!(
        remaining(&store, "plain")?,
        None,
        "the store underneath is untouched"
    );
    assert!(store.touch("plain", None)?);
    let source = MemoryStorage::new();
    source.set("copied", b"v", None)?;
    source.set("copied given", b"v", Some(minute))?;
    assert_eq!(store.update(&source)?, 2);
    let near_hour = |left: Option<Duration>| left.is_some_and(|l| l <= hour && l > hour - minute);
    for key in [
        "set", "absent", "swapped", "many", "entries", "plain", "copied",
    ] {
        assert!(
            near_hour(remaining(&store, key)?),
            "{key}: {:?}",
            remaining(&store, key)?
        );
    }
    for key in ["given", "entries given", "copied given"] {
        let left = remaining(&store, key)?;
        assert!(left.is_some_and(|l| l <= minute), "{key}: {left:?}");
    }
    assert!(DefaultTtlLayer::new(Duration::ZERO).is_err());

    let async_store =
        AsyncAdapter::new(MemoryStorage::new()).with_layer(DefaultTtlLayer::new(hour)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anykv_core::Error::Config(e.to_string()))?;
    runtime.block_on(async {
        AsyncKvStorage::set(&async_store, "a", b"v", None).await?;
        AsyncKvStorageExt::set_many(&async_store, &[("b", b"v")], None).await?;
        let source = AsyncAdapter::new(MemoryStorage::new());
        AsyncKvStorage::set(&source, "c", b"v", None).await?;
        AsyncKvStorageExt::update(&async_store, &source).await?;
        for key in ["a", "b", "c"] {
            let left = AsyncKvStorage::expiry(&async_store, key)
                .await?
                .and_then(anykv_core::Expiry::ttl);
            assert!(near_hour(left), "async {key}: {left:?}");
        }
        Ok(())
    })
}
