//! Concurrency checks: many threads at once; `set_if_absent` races have one winner.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use storage_core::KvStorage;

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

/// Of many threads calling `set_if_absent` on one key at once, exactly one wins and its value is
/// the one stored; also when the key holds an expired entry.
pub fn set_if_absent_has_one_winner(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "sia_race")?;
    const CONTENDERS: usize = 12;
    for round in 0..8 {
        let key = format!("lock:{round}");
        if round % 2 == 1 {
            store
                .set(&key, b"expired holder", Some(Duration::from_millis(1)))
                .ctx("set")?;
            std::thread::sleep(Duration::from_millis(15));
        }
        let barrier = Barrier::new(CONTENDERS);
        let results: Vec<storage_core::Result<bool>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..CONTENDERS)
                .map(|c| {
                    let (store, barrier, key) = (store.clone(), &barrier, &key);
                    scope.spawn(move || {
                        barrier.wait();
                        store.set_if_absent(
                            key,
                            format!("winner {c}").as_bytes(),
                            Some(Duration::from_secs(60)),
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(storage_core::Error::Config(
                            "a contender thread panicked".into(),
                        ))
                    })
                })
                .collect()
        });
        let mut winners = Vec::new();
        for (c, result) in results.into_iter().enumerate() {
            if result.ctx("set_if_absent")? {
                winners.push(c);
            }
        }
        ensure!(
            winners.len() == 1,
            "round {round}: {} winners ({winners:?}), expected exactly one",
            winners.len()
        );
        let stored = store.get(&key).ctx("get")?;
        let expected = format!("winner {}", winners[0]).into_bytes();
        ensure!(
            stored == Some(expected),
            "round {round}: stored value is not the winner's"
        );
    }
    store.clear().ctx("clear")
}
