//! Every behaviour of the cache on real backends: memory, SQLite and Redis.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anykv_core::{
    AsyncAdapter, AsyncKvStorage, Error, KvStorage, KvStorageExt, MemoryStorage, Signed, Signer,
};
use anykv_memo::{AsyncMemo, Memo, MemoError, MemoOptions, MemoStats, Memoized};
use anykv_redis::RedisStorage;

mod common;

use common::{redis, stores};

type Failure = std::io::Error;

fn options(name: &str, refresh_ms: u64, expire_ms: u64) -> MemoOptions {
    MemoOptions::new(
        name,
        Duration::from_millis(refresh_ms),
        Duration::from_millis(expire_ms),
    )
}

/// A function that counts its calls and returns the call number.
fn counting(calls: &Arc<AtomicUsize>) -> impl FnOnce() -> Result<u64, Failure> + Send + 'static {
    let calls = calls.clone();
    move || Ok(calls.fetch_add(1, Ordering::SeqCst) as u64 + 1)
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn fresh_stale_and_expired_paths_with_exact_counts() {
    for (backend, store) in stores("paths") {
        let memo: Memo<u64> = Memo::new(store, options("paths", 300, 900));
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            memo.call(&"k", counting(&calls)).ok(),
            Some(1),
            "{backend}: missing value is computed"
        );
        assert_eq!(
            memo.call(&"k", counting(&calls)).ok(),
            Some(1),
            "{backend}: fresh value is served"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "{backend}: a fresh hit computed"
        );
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(
            memo.call(&"k", counting(&calls)).ok(),
            Some(1),
            "{backend}: stale value is served"
        );
        wait_until("the background refresh", Duration::from_secs(3), || {
            memo.stats().success == 2
        });
        assert_eq!(
            memo.call(&"k", counting(&calls)).ok(),
            Some(2),
            "{backend}: refreshed value"
        );
        std::thread::sleep(Duration::from_millis(1000));
        assert_eq!(
            memo.call(&"k", counting(&calls)).ok(),
            Some(3),
            "{backend}: expired value is recomputed"
        );
        let stats = memo.stats();
        let counts = (
            stats.refresh,
            stats.wait,
            stats.missed,
            stats.success,
            stats.failed,
            stats.default,
        );
        assert_eq!(counts, (3, 2, 2, 3, 0, 0), "{backend}: {stats:?}");
        assert_eq!((stats.hit, stats.stale), (2, 1), "{backend}: {stats:?}");
        assert_eq!(stats.hit_ratio(), Some(0.6), "{backend}: {stats:?}");
        memo.reset_stats();
        assert_eq!(memo.stats(), MemoStats::default(), "{backend}: reset");
    }
}

#[test]
fn a_stale_read_returns_at_once_while_the_refresh_runs() {
    for (backend, store) in stores("stale_fast") {
        let memo: Memo<String> = Memo::new(store, options("slow", 200, 60_000));
        memo.call(&1, || Ok::<_, Failure>("old".to_owned()))
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        std::thread::sleep(Duration::from_millis(250));
        let started = Instant::now();
        let slow = || {
            std::thread::sleep(Duration::from_millis(600));
            Ok::<_, Failure>("new".to_owned())
        };
        assert_eq!(
            memo.call(&1, slow).ok().as_deref(),
            Some("old"),
            "{backend}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "{backend}: a stale read waited {:?}",
            started.elapsed()
        );
        wait_until("the refresh", Duration::from_secs(5), || {
            memo.stats().success == 2
        });
        let now = memo.call(&1, || Ok::<_, Failure>("unused".to_owned()));
        assert_eq!(now.ok().as_deref(), Some("new"), "{backend}");
    }
}

#[test]
fn failures_and_panics_are_counted_and_never_poison_the_cache() {
    for (backend, store) in stores("failures") {
        let memo: Memo<u64> = Memo::new(
            store,
            options("flaky", 100, 60_000).retry(Duration::from_millis(100)),
        );
        memo.call(&"k", || Ok::<_, Failure>(7))
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        std::thread::sleep(Duration::from_millis(150));
        let failing = || Err::<u64, _>(Failure::other("backend down"));
        assert_eq!(
            memo.call(&"k", failing).ok(),
            Some(7),
            "{backend}: stale value while failing"
        );
        wait_until("the failed refresh", Duration::from_secs(3), || {
            memo.stats().failed == 1
        });
        std::thread::sleep(Duration::from_millis(150));
        let panicking = || -> Result<u64, Failure> { panic!("refresh exploded") };
        assert_eq!(
            memo.call(&"k", panicking).ok(),
            Some(7),
            "{backend}: stale value while panicking"
        );
        wait_until("the panicked refresh", Duration::from_secs(3), || {
            memo.stats().failed == 2
        });
        assert_eq!(
            memo.call(&"k", || Ok::<_, Failure>(0)).ok(),
            Some(7),
            "{backend}: a failure was cached"
        );
        let error = memo
            .call(&"missing", || Err::<u64, _>(Failure::other("boom")))
            .err();
        assert!(
            matches!(error, Some(MemoError::Function(_))),
            "{backend}: {error:?}"
        );
        let error = memo
            .call(&"missing", || -> Result<u64, Failure> { panic!("boom") })
            .err();
        assert!(
            matches!(error, Some(MemoError::Panicked(ref m)) if m == "boom"),
            "{backend}: {error:?}"
        );
        assert_eq!(
            memo.call(&"missing", || Ok::<_, Failure>(9)).ok(),
            Some(9),
            "{backend}: retried after failures"
        );
    }
}

#[test]
fn concurrent_waiters_on_a_missing_key_share_one_computation() {
    for (backend, store) in stores("waiters") {
        let memo: Memo<u64> = Memo::new(store, options("shared", 60_000, 60_000));
        let calls = Arc::new(AtomicUsize::new(0));
        let barrier = Barrier::new(8);
        let results: Vec<Option<u64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (memo, calls, barrier) = (memo.clone(), calls.clone(), &barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        memo.call(&"k", move || {
                            std::thread::sleep(Duration::from_millis(300));
                            Ok::<_, Failure>(calls.fetch_add(1, Ordering::SeqCst) as u64 + 41)
                        })
                        .ok()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(None))
                .collect()
        });
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "{backend}: waiters computed more than once"
        );
        assert!(
            results.iter().all(|r| *r == Some(41)),
            "{backend}: {results:?}"
        );
        let stats = memo.stats();
        assert_eq!(
            (stats.refresh, stats.wait, stats.missed),
            (1, 8, 8),
            "{backend}: {stats:?}"
        );
        assert!(stats.sleep > 0, "{backend}: waiters never slept");
    }
}

#[test]
fn without_waiting_a_missing_key_gets_the_default_at_once() {
    for (backend, store) in stores("default") {
        let memo: Memo<u64> =
            Memo::new(store, options("no_wait", 60_000, 60_000).wait(false)).default_value(0);
        let started = Instant::now();
        let slow = || {
            std::thread::sleep(Duration::from_millis(300));
            Ok::<_, Failure>(5)
        };
        assert_eq!(memo.call(&"k", slow).ok(), Some(0), "{backend}");
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{backend}: waited {:?}",
            started.elapsed()
        );
        wait_until("the background computation", Duration::from_secs(3), || {
            memo.stats().success == 1
        });
        assert_eq!(
            memo.call(&"k", || Ok::<_, Failure>(6)).ok(),
            Some(5),
            "{backend}"
        );
        assert_eq!(memo.stats().default, 1, "{backend}");
        let bare: Memo<u64> = Memo::new(
            Arc::new(MemoryStorage::new()),
            options("bare", 1000, 1000).wait(false),
        );
        assert!(matches!(
            bare.call(&"k", || Ok::<_, Failure>(1)),
            Err(MemoError::NoDefault)
        ));
    }
}

#[test]
fn bypass_and_the_enabled_switch_skip_the_cache() {
    let store: Arc<dyn KvStorage> = Arc::new(MemoryStorage::new());
    let memo: Memo<u64> = Memo::new(store.clone(), options("off", 60_000, 60_000).enabled(false));
    let calls = Arc::new(AtomicUsize::new(0));
    assert_eq!(memo.call(&"k", counting(&calls)).ok(), Some(1));
    assert_eq!(memo.call(&"k", counting(&calls)).ok(), Some(2));
    assert!(
        store.is_empty().unwrap_or(false),
        "a disabled cache wrote to the store"
    );
    let on: Memo<u64> = Memo::new(store.clone(), options("on", 60_000, 60_000));
    on.call(&"k", counting(&calls))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        on.bypass(counting(&calls)).ok(),
        Some(4),
        "bypass runs the function"
    );
    assert_eq!(
        on.call(&"k", counting(&calls)).ok(),
        Some(3),
        "bypass must not touch the cache"
    );
    assert!(on.invalidate(&"k").unwrap_or(false));
    assert_eq!(
        on.call(&"k", counting(&calls)).ok(),
        Some(5),
        "invalidate forgets"
    );
}

#[test]
fn signed_values_and_the_memoized_wrapper() {
    let raw: Arc<dyn KvStorage> = Arc::new(MemoryStorage::new());
    let signer = Signer::single("memo", "secret").unwrap_or_else(|e| panic!("{e}"));
    let signed: Arc<dyn KvStorage> = Arc::new(Signed::new(raw.clone(), signer));
    let memo: Memo<Vec<String>> = Memo::new(signed, options("signed", 60_000, 60_000));
    let words = Memoized::new(memo, |n: usize| Ok::<_, Failure>(vec!["w".repeat(n)]));
    assert_eq!(words.call(3).ok(), Some(vec!["www".to_owned()]));
    assert_eq!(words.call(3).ok(), Some(vec!["www".to_owned()]));
    assert_eq!(words.memo().stats().refresh, 1);
    let key = collect_value_key(&raw);
    let mut bytes = raw.get(&key).ok().flatten().unwrap_or_default();
    if let Some(last) = bytes.last_mut() {
        *last ^= 1;
    }
    raw.set(&key, &bytes, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let error = words.call(3).err();
    assert!(
        matches!(error, Some(MemoError::Storage(Error::BadSignature { .. }))),
        "{error:?}"
    );
}

fn collect_value_key(store: &Arc<dyn KvStorage>) -> String {
    let keys: Vec<String> = store
        .keys()
        .map(|k| k.filter_map(Result::ok).collect())
        .unwrap_or_default();
    keys.into_iter()
        .find(|k| !k.starts_with("lock:"))
        .unwrap_or_default()
}

#[test]
fn the_async_face_behaves_the_same() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let runtime = runtime.unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let namespace = anykv_test_support::unique_name("async_memo");
        let redis: Arc<dyn AsyncKvStorage> = Arc::new(RedisStorage::from_url(redis().url(), &namespace).unwrap_or_else(|e| panic!("{e}")));
        let memory: Arc<dyn AsyncKvStorage> = Arc::new(AsyncAdapter::new(MemoryStorage::new()));
        for (backend, store) in [("redis", redis), ("memory", memory)] {
            let memo: AsyncMemo<u64> = AsyncMemo::new(store, options("async", 200, 60_000));
            let calls = Arc::new(AtomicUsize::new(0));
            let call = |calls: &Arc<AtomicUsize>| {
                let calls = calls.clone();
                move || async move { Ok::<_, Failure>(calls.fetch_add(1, Ordering::SeqCst) as u64 + 1) }
            };
            let waiters: Vec<_> = (0..6)
                .map(|_| {
                    let (memo, f) = (memo.clone(), call(&calls));
                    tokio::spawn(async move { memo.call(&"k", f).await.ok() })
                })
                .collect();
            for waiter in waiters {
                assert_eq!(waiter.await.ok().flatten(), Some(1), "{backend}");
            }
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{backend}: async waiters computed twice");
            tokio::time::sleep(Duration::from_millis(250)).await;
            assert_eq!(memo.call(&"k", call(&calls)).await.ok(), Some(1), "{backend}: stale served");
            let deadline = Instant::now() + Duration::from_secs(3);
            while memo.stats().success < 2 {
                assert!(Instant::now() < deadline, "{backend}: no async background refresh");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(memo.call(&"k", call(&calls)).await.ok(), Some(2), "{backend}");
            let exploding = || async {
                if true {
                    panic!("async boom");
                }
                Ok::<u64, Failure>(0)
            };
            let error = memo.call(&"panics", exploding).await.err();
            assert!(matches!(error, Some(MemoError::Panicked(_))), "{backend}: {error:?}");
        }
    });
}

/// On the async face too: statistics flushed to the store add up across caches sharing it,
/// and `forget_all` removes every value of one cache (not those of a cache whose name extends
/// its own).
#[test]
fn the_async_face_shares_stats_and_forgets_all() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let runtime = runtime.unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let namespace = anykv_test_support::unique_name("async_shared");
        let redis: Arc<dyn AsyncKvStorage> = Arc::new(
            RedisStorage::from_url(redis().url(), &namespace).unwrap_or_else(|e| panic!("{e}")),
        );
        let memory: Arc<dyn AsyncKvStorage> = Arc::new(AsyncAdapter::new(MemoryStorage::new()));
        for (backend, store) in [("redis", redis), ("memory", memory)] {
            let shared = |name: &str| -> AsyncMemo<u64> {
                AsyncMemo::new(
                    store.clone(),
                    options(name, 60_000, 120_000).shared_stats(Duration::from_secs(3600)),
                )
            };
            let (first, second) = (shared("sq"), shared("sq"));
            for n in 0..4u64 {
                for memo in [&first, &second] {
                    let got = memo
                        .call(&n, move || async move { Ok::<_, Failure>(n * n) })
                        .await
                        .ok();
                    assert_eq!(got, Some(n * n), "{backend}");
                }
            }
            // Nothing shared before a flush (the interval is an hour).
            let before = first
                .shared_stats()
                .await
                .unwrap_or_else(|e| panic!("{backend}: {e}"));
            assert_eq!(before, MemoStats::default(), "{backend}");
            first
                .flush_stats()
                .await
                .unwrap_or_else(|e| panic!("{backend}: {e}"));
            second
                .flush_stats()
                .await
                .unwrap_or_else(|e| panic!("{backend}: {e}"));
            second
                .flush_stats()
                .await
                .unwrap_or_else(|e| panic!("{backend}: {e}"));
            let after = first
                .shared_stats()
                .await
                .unwrap_or_else(|e| panic!("{backend}: {e}"));
            let local = (first.stats(), second.stats());
            assert_eq!(after.hit, local.0.hit + local.1.hit, "{backend}: {after:?}");
            assert_eq!(
                after.missed,
                local.0.missed + local.1.missed,
                "{backend}: {after:?}"
            );
            assert_eq!(after.hit + after.missed, 8, "{backend}: {after:?}");

            let extended: AsyncMemo<u64> =
                AsyncMemo::new(store.clone(), options("sq:1", 60_000, 120_000));
            assert_eq!(
                extended
                    .call(&"a", || async { Ok::<_, Failure>(7) })
                    .await
                    .ok(),
                Some(7)
            );
            let forgotten = first
                .forget_all()
                .await
                .unwrap_or_else(|e| panic!("{backend}: {e}"));
            assert_eq!(forgotten, 4, "{backend}");
            let again = first
                .call(&2u64, || async { Ok::<_, Failure>(0) })
                .await
                .ok();
            assert_eq!(again, Some(0), "{backend}: a forgotten value was served");
            let kept = extended
                .call(&"a", || async { Ok::<_, Failure>(0) })
                .await
                .ok();
            assert_eq!(kept, Some(7), "{backend}: forget_all reached another cache");
        }
    });
}
