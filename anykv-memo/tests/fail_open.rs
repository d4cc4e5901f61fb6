//! `MemoOptions::fail_open`: when the store fails, the function's result is returned uncached
//! (counted) instead of a storage error, on both faces, whether the store fails before the
//! computation (unreachable) or after it (refusing the write).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anykv_core::layer::{AsyncRun, Call, Layer, LayerFuture, Operation, Outcome, WithLayer};
use anykv_core::{AsyncKvStorage, Error, ErrorKind, KvStorage, MemoryStorage, Result};
use anykv_memo::{AsyncMemo, Memo, MemoError, MemoOptions};
use anykv_redis::RedisStorage;

fn options(fail_open: bool) -> MemoOptions {
    MemoOptions::new(
        "fail_open",
        Duration::from_secs(60),
        Duration::from_secs(600),
    )
    .fail_open(fail_open)
}

/// A Redis store on a port nothing listens on.
fn unreachable() -> RedisStorage {
    let port = anykv_test_support::free_port().unwrap_or_else(|e| panic!("{e}"));
    RedisStorage::from_url(
        &format!("redis://127.0.0.1:{port}/0?connect_timeout=300ms&response_timeout=300ms"),
        "fail_open",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Refuses every plain `set` (the memo's write of a value), as a full or broken store would.
struct RefuseWrites;

impl Layer for RefuseWrites {
    fn call<T: Outcome>(&self, call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        if call.operation == Operation::Set {
            return Err(Error::backend(
                "test",
                "set",
                ErrorKind::Unavailable,
                "refused",
            ));
        }
        run()
    }

    fn call_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> LayerFuture<'a, T> {
        if call.operation == Operation::Set {
            return Box::pin(async {
                Err(Error::backend(
                    "test",
                    "set",
                    ErrorKind::Unavailable,
                    "refused",
                ))
            });
        }
        run()
    }
}

#[test]
fn an_unreachable_store_fails_the_call_unless_the_cache_fails_open() {
    let calls = Arc::new(AtomicUsize::new(0));
    let compute = |calls: &Arc<AtomicUsize>| {
        let calls = calls.clone();
        move || Ok::<_, std::io::Error>(calls.fetch_add(1, Ordering::SeqCst) + 1)
    };
    let closed: Memo<usize> = Memo::new(Arc::new(unreachable()), options(false));
    match closed.call(&"k", compute(&calls)) {
        Err(MemoError::Storage(error)) => assert!(error.is_retryable(), "{error}"),
        other => panic!("expected a storage error, got {other:?}"),
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the function ran although the call failed"
    );

    let open: Memo<usize> = Memo::new(Arc::new(unreachable()), options(true));
    assert_eq!(open.call(&"k", compute(&calls)).ok(), Some(1));
    assert_eq!(
        open.call(&"k", compute(&calls)).ok(),
        Some(2),
        "nothing was cached"
    );
    assert_eq!(open.stats().store_failed, 2);

    let runtime = anykv_test_support::runtime();
    runtime.block_on(async {
        let store: Arc<dyn AsyncKvStorage> = Arc::new(unreachable());
        let open: AsyncMemo<usize> = AsyncMemo::new(store, options(true));
        let calls = calls.clone();
        let got = open
            .call(&"k", move || async move {
                Ok::<_, std::io::Error>(calls.fetch_add(1, Ordering::SeqCst) + 1)
            })
            .await;
        assert_eq!(got.ok(), Some(3));
        assert_eq!(open.stats().store_failed, 1);
        let store: Arc<dyn AsyncKvStorage> = Arc::new(unreachable());
        let closed: AsyncMemo<usize> = AsyncMemo::new(store, options(false));
        let got = closed
            .call(&"k", || async { Ok::<_, std::io::Error>(0) })
            .await;
        assert!(matches!(got, Err(MemoError::Storage(_))), "{got:?}");
    });
}

#[test]
fn a_value_computed_before_the_store_failed_is_returned_when_failing_open() {
    let store: Arc<dyn KvStorage> = Arc::new(MemoryStorage::new().with_layer(RefuseWrites));
    let open: Memo<u32> = Memo::new(store.clone(), options(true));
    assert_eq!(open.call(&"k", || Ok::<_, std::io::Error>(7)).ok(), Some(7));
    assert_eq!(open.stats().store_failed, 1);
    assert_eq!(open.stats().success, 1);
    let closed: Memo<u32> = Memo::new(store, options(false));
    let got = closed.call(&"k", || Ok::<_, std::io::Error>(7));
    assert!(matches!(got, Err(MemoError::Storage(_))), "{got:?}");

    let runtime = anykv_test_support::runtime();
    runtime.block_on(async {
        let store: Arc<dyn AsyncKvStorage> =
            Arc::new(anykv_core::AsyncAdapter::new(MemoryStorage::new()).with_layer(RefuseWrites));
        let open: AsyncMemo<u32> = AsyncMemo::new(store, options(true));
        let got = open
            .call(&"k", || async { Ok::<_, std::io::Error>(8) })
            .await;
        assert_eq!(got.ok(), Some(8));
        assert_eq!(open.stats().store_failed, 1);
    });
}
