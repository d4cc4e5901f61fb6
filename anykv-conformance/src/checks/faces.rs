//! Typed and signed values on both faces: one format, so what one face writes the other reads.

use std::time::Duration;

use anykv_core::{AsyncTyped, Error, Expiry, KvStorage, Signed, Typed};
use futures_util::StreamExt;

use super::layers::{response, signer, Response};
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

/// `Typed` over `Signed` on the blocking face and `AsyncTyped` over `Signed::new_async` on the
/// async face of the same namespace read each other's values and TTLs, compare-and-set across
/// faces, and the async face refuses tampered bytes and values copied from another namespace.
pub fn typed_and_signed_agree_across_faces(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("faces");
    let sync_raw = backend.open(&namespace).ctx("open")?;
    let async_raw = backend.open_async(&namespace).ctx("open_async")?;
    let other_name = unique_namespace("faces_other");
    let other_raw = backend.open(&other_name).ctx("open")?;
    let keys = signer(&[("k1", "secret")])?;
    let blocking: Typed<_, Response> = Typed::new(Signed::new(sync_raw.clone(), keys.clone()));
    let asynchronous: AsyncTyped<_, Response> = AsyncTyped::new(Signed::new_async(async_raw, keys));
    let changed = Response {
        status: 304,
        ..response()
    };

    blocking
        .set("from_sync", &response(), Some(Duration::from_secs(600)))
        .ctx("blocking set")?;
    blocking
        .set("to_copy", &response(), None)
        .ctx("blocking set")?;
    let copied = sync_raw.get("to_copy").ctx("get")?.unwrap_or_default();
    other_raw.set("copied", &copied, None).ctx("set")?;
    let mut tampered = copied.clone();
    if let Some(last) = tampered.last_mut() {
        *last ^= 0x01;
    }
    sync_raw.set("tampered", &tampered, None).ctx("set")?;

    crate::runtime(2)?.block_on(async {
        ensure!(
            asynchronous.get("from_sync").await.ctx("async get")? == Some(response()),
            "the async face did not read what the blocking face wrote"
        );
        ensure!(
            matches!(
                asynchronous.expiry("from_sync").await.ctx("async expiry")?,
                Some(Expiry::At(_))
            ),
            "the async face lost the blocking face's TTL"
        );
        asynchronous
            .set("from_async", &response(), Some(Duration::from_secs(600)))
            .await
            .ctx("async set")?;
        asynchronous
            .set_many(&[("m1", response()), ("m2", response())], None)
            .await
            .ctx("async set_many")?;
        ensure!(
            asynchronous
                .compare_and_set("from_sync", Some(&response()), &changed, None)
                .await
                .ctx("async compare_and_set")?,
            "compare_and_set on the async face did not match the blocking face's value"
        );
        let error = asynchronous.get("tampered").await.err();
        ensure!(
            matches!(error, Some(Error::BadSignature { .. })),
            "tampered bytes on the async face: expected BadSignature, got {error:?}"
        );
        let mut good = 0;
        let mut bad = 0;
        let mut items = asynchronous.items().await.ctx("async items")?;
        while let Some(item) = items.next().await {
            match item {
                Ok(_) => good += 1,
                Err(error) if error.is_invalid_data() => bad += 1,
                Err(error) => return Err(format!("async items: {error}")),
            }
        }
        ensure!(
            (good, bad) == (5, 1),
            "async items: {good} good and {bad} bad, expected 5 and 1"
        );
        Ok(())
    })?;

    ensure!(
        blocking.get("from_async").ctx("blocking get")? == Some(response()),
        "the blocking face did not read what the async face wrote"
    );
    ensure!(
        matches!(
            blocking.expiry("from_async").ctx("expiry")?,
            Some(Expiry::At(_))
        ),
        "the blocking face lost the async face's TTL"
    );
    ensure!(
        blocking.get("from_sync").ctx("blocking get")? == Some(changed),
        "the async face's compare_and_set did not land"
    );
    ensure!(
        blocking.get_many(&["m1", "m2"]).ctx("get_many")? == vec![Some(response()); 2],
        "the async face's set_many"
    );
    let other_async = backend.open_async(&other_name).ctx("open_async")?;
    let other_signed = Signed::new_async(other_async, signer(&[("k1", "secret")])?);
    let error = crate::runtime(1)?.block_on(async {
        anykv_core::AsyncKvStorage::get(&other_signed, "copied")
            .await
            .err()
    });
    ensure!(
        matches!(error, Some(Error::BadSignature { .. })),
        "a value copied into another namespace, read on the async face: expected BadSignature, \
         got {error:?} ({})",
        super::NAMESPACE_HINT
    );
    other_raw.clear().ctx("clear")?;
    sync_raw.clear().ctx("clear")
}
