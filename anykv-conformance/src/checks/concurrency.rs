//! Concurrency checks: many threads writing and reading at once.

use std::sync::Arc;

use anykv_core::KvStorage;

use super::fresh;
use crate::{ensure, Backend, CheckResult, Context};

const THREADS: usize = 8;
const WRITES_PER_THREAD: usize = 60;

/// Threads writing their own keys and reading everybody's at once lose no write and read no
/// torn value.
pub fn concurrent_writers_and_readers(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "threads")?;
    let value = |t: usize, i: usize| format!("value {t} {i} ").repeat(20).into_bytes();
    let outcomes: Vec<CheckResult> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let store: Arc<dyn KvStorage> = store.clone();
                scope.spawn(move || -> CheckResult {
                    for i in 0..WRITES_PER_THREAD {
                        let key = format!("t{t}/k{i}");
                        store.set(&key, &value(t, i), None).ctx("set")?;
                        ensure!(
                            store.get(&key).ctx("get")? == Some(value(t, i)),
                            "read-your-write failed for {key}"
                        );
                        let peer = format!("t{}/k{i}", (t + 1) % THREADS);
                        if let Some(seen) = store.get(&peer).ctx("get")? {
                            ensure!(
                                seen == value((t + 1) % THREADS, i),
                                "torn or foreign value under {peer}"
                            );
                        }
                        store.len().ctx("len")?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err("a worker thread panicked".into()))
            })
            .collect()
    });
    outcomes.into_iter().collect::<CheckResult>()?;
    let len = store.len().ctx("len")?;
    ensure!(
        len == THREADS * WRITES_PER_THREAD,
        "lost writes: len {len}, expected {}",
        THREADS * WRITES_PER_THREAD
    );
    store.clear().ctx("clear")
}
