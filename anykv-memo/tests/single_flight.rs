//! The single-flight lock under slow computations: a computation many times longer than the
//! lock's lifetime keeps its lock (never two running at once), only its owner releases it, and
//! waiters give up after `max_wait` as the options say. On memory, SQLite and Redis, both faces.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anykv_core::{AsyncAdapter, AsyncKvStorage, MemoryStorage};
use anykv_memo::{AsyncMemo, Memo, MemoError, MemoOptions, OnWaitTimeout};
use anykv_redis::RedisStorage;
use common::{redis, stores};

type Failure = std::io::Error;

/// The lock's lifetime in these tests.
const LOCK_TTL: Duration = Duration::from_millis(600);
/// How long a slow computation runs: six lock lifetimes.
const SLOW: Duration = Duration::from_millis(3600);
/// Callers in each test.
const CALLERS: usize = 8;

fn options(name: &str, refresh: Duration) -> MemoOptions {
    MemoOptions::new(name, refresh, Duration::from_secs(600)).retry(LOCK_TTL)
}

/// Counts computations and how many ran at once.
#[derive(Default)]
struct Overlap {
    running: AtomicUsize,
    most: AtomicUsize,
    started: AtomicUsize,
}

impl Overlap {
    fn enter(&self) -> u64 {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        self.started.fetch_add(1, Ordering::SeqCst) as u64 + 1
    }

    fn leave(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }

    fn assert_one_at_a_time(&self, backend: &str, computations: usize) {
        assert_eq!(
            self.most.load(Ordering::SeqCst),
            1,
            "{backend}: two computations ran at once"
        );
        assert_eq!(
            self.started.load(Ordering::SeqCst),
            computations,
            "{backend}: wrong number of computations"
        );
    }
}

/// A computation that takes [`SLOW`] and returns its number.
fn slow(overlap: &Arc<Overlap>) -> impl FnOnce() -> Result<u64, Failure> + Send + 'static {
    let overlap = overlap.clone();
    move || {
        let number = overlap.enter();
        std::thread::sleep(SLOW);
        overlap.leave();
        Ok(number)
    }
}

/// Callers arrive all along a computation six times longer than the lock's lifetime, on a
/// missing value: one computation, every caller gets its value.
#[test]
fn a_slow_computation_keeps_its_lock_while_callers_wait() {
    for (backend, store) in stores("slow_wait") {
        let memo: Memo<u64> = Memo::new(store, options("slow_wait", Duration::from_secs(600)));
        let overlap = Arc::new(Overlap::default());
        let results: Vec<Option<u64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..CALLERS)
                .map(|caller| {
                    let (memo, overlap) = (memo.clone(), overlap.clone());
                    scope.spawn(move || {
                        // Arrivals spread over the computation, past several lock lifetimes.
                        std::thread::sleep(LOCK_TTL / 2 * caller as u32);
                        memo.call(&"k", slow(&overlap)).ok()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(None))
                .collect()
        });
        overlap.assert_one_at_a_time(backend, 1);
        assert!(
            results.iter().all(|r| *r == Some(1)),
            "{backend}: {results:?}"
        );
    }
}

/// A stale value's background refresh six times longer than the lock's lifetime, with calls
/// all along: one refresh, the stale value served meanwhile, the new one after.
#[test]
fn a_slow_background_refresh_keeps_its_lock() {
    for (backend, store) in stores("slow_refresh") {
        let refresh = Duration::from_millis(100);
        let memo: Memo<u64> = Memo::new(store, options("slow_refresh", refresh));
        memo.call(&"k", || Ok::<_, Failure>(0))
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        std::thread::sleep(refresh * 2);
        let overlap = Arc::new(Overlap::default());
        let started = Instant::now();
        while started.elapsed() < SLOW {
            let served = memo
                .call(&"k", slow(&overlap))
                .unwrap_or_else(|e| panic!("{backend}: {e}"));
            assert!(served <= 1, "{backend}: served {served}");
            std::thread::sleep(Duration::from_millis(40));
        }
        let deadline = Instant::now() + SLOW * 10;
        while overlap.running.load(Ordering::SeqCst) > 0 || memo.stats().success < 2 {
            assert!(
                Instant::now() < deadline,
                "{backend}: the refresh never finished"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        overlap.assert_one_at_a_time(backend, 1);
    }
}

/// A waiter gives up after `max_wait`: with `Fail` it gets `WaitTimedOut` long before the
/// computation ends; with `Compute` it computes the value itself.
#[test]
fn waiters_give_up_after_max_wait() {
    for (backend, store) in stores("max_wait") {
        for then in [OnWaitTimeout::Fail, OnWaitTimeout::Compute] {
            let max_wait = Duration::from_millis(200);
            let memo: Memo<u64> = Memo::new(
                store.clone(),
                options(&format!("max_wait_{then:?}"), Duration::from_secs(600))
                    .max_wait(max_wait, then),
            );
            let overlap = Arc::new(Overlap::default());
            std::thread::scope(|scope| {
                let (first, f) = (memo.clone(), slow(&overlap));
                let computing = scope.spawn(move || first.call(&"k", f).ok());
                let deadline = Instant::now() + Duration::from_secs(30);
                while overlap.running.load(Ordering::SeqCst) == 0 {
                    assert!(Instant::now() < deadline, "{backend}: never started");
                    std::thread::sleep(Duration::from_millis(5));
                }
                let asked = Instant::now();
                let outcome = memo.call(&"k", || Ok::<_, Failure>(7));
                let waited = asked.elapsed();
                let still_running = overlap.running.load(Ordering::SeqCst) == 1;
                match then {
                    OnWaitTimeout::Fail => assert!(
                        matches!(outcome, Err(MemoError::WaitTimedOut(w)) if w >= max_wait),
                        "{backend}: {outcome:?}"
                    ),
                    _ => assert_eq!(outcome.ok(), Some(7), "{backend}"),
                }
                assert!(waited >= max_wait, "{backend}: gave up after {waited:?}");
                assert!(
                    still_running,
                    "{backend}: the waiter did not give up before the computation ended"
                );
                assert_eq!(memo.stats().wait_timeout, 1, "{backend}");
                assert_eq!(computing.join().ok().flatten(), Some(1), "{backend}");
            });
        }
    }
}

/// The async face: tasks arriving all along a slow computation share it.
#[test]
fn the_async_face_keeps_a_slow_computations_lock() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let namespace = anykv_test_support::unique_name("async_slow");
        let redis: Arc<dyn AsyncKvStorage> = Arc::new(
            RedisStorage::from_url(redis().url(), &namespace).unwrap_or_else(|e| panic!("{e}")),
        );
        let memory: Arc<dyn AsyncKvStorage> = Arc::new(AsyncAdapter::new(MemoryStorage::new()));
        for (backend, store) in [("redis", redis), ("memory", memory)] {
            let memo: AsyncMemo<u64> =
                AsyncMemo::new(store, options("async_slow", Duration::from_secs(600)));
            let overlap = Arc::new(Overlap::default());
            let callers: Vec<_> = (0..CALLERS)
                .map(|caller| {
                    let (memo, overlap) = (memo.clone(), overlap.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(LOCK_TTL / 2 * caller as u32).await;
                        let compute = move || async move {
                            let number = overlap.enter();
                            tokio::time::sleep(SLOW).await;
                            overlap.leave();
                            Ok::<_, Failure>(number)
                        };
                        memo.call(&"k", compute).await.ok()
                    })
                })
                .collect();
            for caller in callers {
                assert_eq!(caller.await.ok().flatten(), Some(1), "{backend}");
            }
            overlap.assert_one_at_a_time(backend, 1);
        }
    });
}
