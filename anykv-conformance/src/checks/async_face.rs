//! Async face checks, and both faces as shared trait objects.

use anykv_core::{AsyncKvStorage, AsyncKvStorageExt, BlockingAdapter, Error, Expiry, KvStorage};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;

use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

/// Every operation through the async face, and the sync face of the same namespace agrees.
pub fn async_face(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("async");
    let store = backend.open_async(&namespace).ctx("open_async")?;
    let other = backend
        .open_async(&unique_namespace("async_other"))
        .ctx("open_async")?;
    let sync = backend.open(&namespace).ctx("open")?;
    crate::runtime(2)?.block_on(async {
        store.set("a", b"1", None).await.ctx("set")?;
        store
            .set("ttl", b"2", Some(Duration::from_secs(60)))
            .await
            .ctx("set")?;
        ensure!(
            store.get("a").await.ctx("get")? == Some(b"1".to_vec()),
            "async get"
        );
        ensure!(
            store.contains("ttl").await.ctx("contains")?,
            "async contains"
        );
        ensure!(
            matches!(
                store.expiry("ttl").await.ctx("expiry")?,
                Some(Expiry::At(_))
            ),
            "async expiry"
        );
        ensure!(
            !store
                .set_if_absent("a", b"x", None)
                .await
                .ctx("set_if_absent")?,
            "async set_if_absent over a live key"
        );
        ensure!(
            store
                .set_if_absent("b", b"3", None)
                .await
                .ctx("set_if_absent")?,
            "async set_if_absent on a free key"
        );
        ensure!(store.len().await.ctx("len")? == 3, "async len");
        let keys: BTreeSet<String> = store
            .keys()
            .await
            .ctx("keys")?
            .try_collect()
            .await
            .ctx("keys")?;
        ensure!(
            keys == BTreeSet::from(["a".into(), "b".into(), "ttl".into()]),
            "async keys: {keys:?}"
        );
        let items: Vec<(String, Vec<u8>)> = store
            .items()
            .await
            .ctx("items")?
            .try_collect()
            .await
            .ctx("items")?;
        ensure!(items.len() == 3, "async items");
        let values: Vec<Vec<u8>> = store
            .values()
            .await
            .ctx("values")?
            .try_collect()
            .await
            .ctx("values")?;
        ensure!(values.len() == 3, "async values");
        store
            .set_many(&[("c", b"4"), ("d", b"5")], None)
            .await
            .ctx("set_many")?;
        ensure!(
            store.get_many(&["c", "x", "d"]).await.ctx("get_many")?
                == vec![Some(b"4".to_vec()), None, Some(b"5".to_vec())],
            "async get_many"
        );
        ensure!(
            store
                .delete_many(&["c", "d", "x"])
                .await
                .ctx("delete_many")?
                == 2,
            "async delete_many"
        );
        ensure!(
            store.pop("b").await.ctx("pop")? == Some(b"3".to_vec()),
            "async pop"
        );
        ensure!(store.delete("ttl").await.ctx("delete")?, "async delete");
        ensure!(
            sync.get("a").ctx("sync get")? == Some(b"1".to_vec()),
            "the sync face does not see async writes"
        );
        other.set("o", b"6", None).await.ctx("set")?;
        ensure!(
            store.update(other.as_ref()).await.ctx("update")? == 1,
            "async update"
        );
        ensure!(!store.is_empty().await.ctx("is_empty")?, "async is_empty");
        store.purge_expired().await.ctx("purge_expired")?;
        let error = store.set(&"k".repeat(1025), b"v", None).await.err();
        ensure!(
            matches!(error, Some(Error::KeyTooLong { .. })),
            "async face must refuse long keys: {error:?}"
        );
        store.clear().await.ctx("clear")?;
        other.clear().await.ctx("clear")?;
        ensure!(store.is_empty().await.ctx("is_empty")?, "async clear");
        Ok(())
    })
}

/// Many tasks share one async store: one `set_if_absent` winner, no lost writes.
pub fn async_face_concurrent_tasks(backend: &dyn Backend) -> CheckResult {
    let store = backend
        .open_async(&unique_namespace("async_tasks"))
        .ctx("open_async")?;
    crate::runtime(2)?.block_on(async {
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store.set(&format!("task:{i}"), b"v", None).await?;
                    store
                        .set_if_absent("lock", format!("{i}").as_bytes(), None)
                        .await
                })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            let won = task
                .await
                .map_err(|e| format!("task failed: {e}"))?
                .ctx("set_if_absent")?;
            winners += usize::from(won);
        }
        ensure!(winners == 1, "{winners} tasks won set_if_absent");
        ensure!(store.len().await.ctx("len")? == 25, "lost async writes");
        store.clear().await.ctx("clear")
    })
}

/// Both faces work as `Box<dyn …>` and `Arc<dyn …>` shared by threads and tasks; the async
/// face driven from a plain thread works; a blocking call inside a current-thread runtime gets
/// a typed error, not a panic.
pub fn stores_work_as_trait_objects(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("dyn");
    let boxed: Box<dyn KvStorage> = Box::new(backend.open(&namespace).ctx("open")?);
    boxed.set("boxed", b"1", None).ctx("set")?;
    let shared: Arc<dyn KvStorage> = backend.open(&namespace).ctx("open")?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| shared.get("boxed"))
            .join()
            .unwrap_or(Ok(None))
    })
    .ctx("get from another thread")?
    .ok_or("a store shared with another thread does not see the entry")?;

    let async_store: Arc<dyn AsyncKvStorage> = backend.open_async(&namespace).ctx("open_async")?;
    let blocking = BlockingAdapter::from_arc(async_store.clone()).ctx("blocking adapter")?;
    ensure!(
        blocking.get("boxed").ctx("blocking get")? == Some(b"1".to_vec()),
        "the async face driven from a plain thread"
    );
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let misuse = current_thread.block_on(async { blocking.get("boxed") });
    ensure!(
        matches!(misuse, Err(Error::BlockingInAsyncContext)),
        "a blocking call inside a runtime must fail with BlockingInAsyncContext, got {misuse:?}"
    );
    crate::runtime(2)?.block_on(async {
        let task = tokio::spawn(async move { async_store.get("boxed").await });
        let got = task
            .await
            .map_err(|e| format!("task failed: {e}"))?
            .ctx("get in a task")?;
        ensure!(
            got == Some(b"1".to_vec()),
            "Arc<dyn AsyncKvStorage> in a spawned task"
        );
        Ok(())
    })?;
    boxed.clear().ctx("clear")
}
