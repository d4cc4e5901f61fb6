//! `increment`: counters stored as Redis stores them, created with a TTL and keeping it, bad
//! values and overflows refused without a change, and racing increments all counted.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anykv_core::{ErrorKind, KvStorage};

use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

/// Threads racing on one counter, and the increments each makes.
const THREADS: usize = 4;
const EACH: usize = 25;
const HOUR: Duration = Duration::from_secs(3600);

/// A counter starts from 0 (or from a decimal value `set` wrote) and is stored as decimal
/// ASCII; a new counter gets the TTL, a live one keeps its own; an expired one starts again; a
/// value that is not a counter is an `InvalidData` error and a sum outside `i64` an
/// `InvalidInput` one, both leaving the entry; racing increments on both faces all count.
pub fn increment_counts_every_call(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("counter");
    let store = backend.open(&namespace).ctx("open")?;
    ensure!(
        store.increment("c", 5, Some(HOUR)).ctx("increment")? == 5,
        "a new counter did not start from 0"
    );
    let first = store.get_entry("c").ctx("get_entry")?;
    ensure!(
        first
            .as_ref()
            .is_some_and(|e| e.value == b"5" && e.expires_at.is_some()),
        "a new counter is stored as {first:?}, not b\"5\" with its TTL"
    );
    ensure!(
        store.increment("c", -7, None).ctx("increment")? == -2,
        "5 - 7 is not -2"
    );
    let second = store.get_entry("c").ctx("get_entry")?;
    ensure!(
        second.as_ref().is_some_and(|e| e.value == b"-2"
            && e.expires_at.is_some()
            && e.expires_at == first.as_ref().and_then(|f| f.expires_at)),
        "an increment changed the counter's expiry or form: {second:?}"
    );
    store.set("s", b"10", None).ctx("set")?;
    ensure!(
        store.increment("s", 1, None).ctx("increment")? == 11,
        "a counter set to b\"10\" did not count on from 10"
    );

    for (key, stored, by, kind) in [
        ("text", &b"ten"[..], 1, ErrorKind::InvalidData),
        ("padded", b" 1", 1, ErrorKind::InvalidData),
        ("plus", b"+1", 1, ErrorKind::InvalidData),
        ("max", b"9223372036854775807", 1, ErrorKind::InvalidInput),
        ("min", b"-9223372036854775808", -1, ErrorKind::InvalidInput),
    ] {
        store.set(key, stored, None).ctx("set")?;
        let result = store.increment(key, by, None);
        ensure!(
            result.as_ref().is_err_and(|e| e.kind() == kind),
            "increment of {stored:?} by {by} gave {result:?}, not a {kind:?} error"
        );
        ensure!(
            store.get(key).ctx("get")?.as_deref() == Some(stored),
            "a refused increment changed {key:?}"
        );
    }

    // An expired counter starts again from 0, without the old TTL.
    let short = backend.short_ttl();
    store.increment("e", 41, Some(short)).ctx("increment")?;
    let written = Instant::now();
    std::thread::sleep(
        (written + short + Duration::from_millis(50)).saturating_duration_since(Instant::now()),
    );
    ensure!(
        store.increment("e", 1, None).ctx("increment")? == 1,
        "an expired counter did not start again"
    );
    ensure!(
        store
            .get_entry("e")
            .ctx("get_entry")?
            .is_some_and(|e| e.expires_at.is_none()),
        "a counter created again kept the expired one's TTL"
    );

    let barrier = Barrier::new(THREADS);
    let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (store, barrier): (Arc<dyn KvStorage>, _) = (store.clone(), &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    for _ in 0..EACH {
                        store.increment("raced", 1, None).ctx("increment")?;
                    }
                    Ok(())
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|r| r.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    let total = store.get("raced").ctx("get")?;
    let want = (THREADS * EACH).to_string().into_bytes();
    ensure!(
        total.as_deref() == Some(want.as_slice()),
        "{THREADS} threads x {EACH} increments left {total:?}"
    );

    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    let after = crate::runtime(2)?.block_on(async {
        let tasks: Vec<_> = (0..THREADS)
            .map(|_| {
                let store = async_store.clone();
                tokio::spawn(async move {
                    for _ in 0..EACH {
                        store.increment("raced", 1, None).await?;
                    }
                    anykv_core::Result::Ok(())
                })
            })
            .collect();
        for task in tasks {
            task.await
                .map_err(|e| format!("a task failed: {e}"))?
                .ctx("async increment")?;
        }
        async_store
            .increment("raced", 0, None)
            .await
            .ctx("async increment")
    })?;
    ensure!(
        after == i64::try_from(2 * THREADS * EACH).unwrap_or(i64::MAX),
        "after the async tasks' increments the counter is {after}"
    );
    store.clear().ctx("clear")
}
