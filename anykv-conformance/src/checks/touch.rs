//! `touch`: a new expiry for a live entry, the value untouched, on both faces.

use std::time::Duration;

use anykv_core::time::MAX_TTL;
use anykv_core::{AsyncKvStorage, Error, Expiry, KvStorage};

use crate::window::Window;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

const HOUR: Duration = Duration::from_secs(3600);

/// `touch` gives a live entry a new TTL, or none, and keeps its value; a missing or expired
/// entry stays missing (`false`); a TTL the store refuses changes nothing; the async face
/// agrees with the blocking one.
pub fn touch_changes_only_the_expiry(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("touch");
    let store = backend.open(&namespace).ctx("open")?;
    ensure!(
        !store.touch("missing", Some(HOUR)).ctx("touch")?,
        "touch of a missing key said true"
    );
    ensure!(
        !store.contains("missing").ctx("contains")?,
        "touch of a missing key created it"
    );

    store.set("k", b"value", None).ctx("set")?;
    ensure!(
        store.touch("k", Some(HOUR)).ctx("touch")?,
        "touch of a live entry said false"
    );
    expect_hour(store.as_ref(), "k")?;
    ensure!(
        store.get("k").ctx("get")? == Some(b"value".to_vec()),
        "touch changed the value"
    );
    ensure!(
        store.touch("k", None).ctx("touch")?,
        "touch to no expiry said false"
    );
    ensure!(
        store.expiry("k").ctx("expiry")? == Some(Expiry::Never),
        "touch(None) left an expiry"
    );

    for ttl in [Duration::ZERO, MAX_TTL + Duration::from_secs(1)] {
        let refused = store.touch("k", Some(ttl)).err();
        ensure!(
            matches!(refused, Some(Error::InvalidTtl { .. })),
            "touch with ttl {ttl:?}: expected InvalidTtl, got {refused:?}"
        );
    }
    ensure!(
        store.expiry("k").ctx("expiry")? == Some(Expiry::Never),
        "a refused touch changed the expiry"
    );

    // Shortened by touch, the entry expires; touch does not bring it back.
    let short = backend.short_ttl();
    let (touched, window) = Window::around(short, || store.touch("k", Some(short)));
    ensure!(
        touched.ctx("touch")?,
        "touch of an entry without expiry said false"
    );
    window.wait_until_gone();
    ensure!(
        store.get("k").ctx("get")?.is_none(),
        "the entry outlived the TTL touch gave it"
    );
    ensure!(
        !store.touch("k", None).ctx("touch")?,
        "touch of an expired entry said true"
    );
    ensure!(
        store.get("k").ctx("get")?.is_none(),
        "touch brought an expired entry back"
    );

    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    crate::runtime(2)?.block_on(async {
        store.set("a", b"async", Some(HOUR)).ctx("set")?;
        ensure!(
            async_store.touch("a", None).await.ctx("async touch")?,
            "async touch of a live entry said false"
        );
        ensure!(
            store.expiry("a").ctx("expiry")? == Some(Expiry::Never),
            "async touch(None) left an expiry"
        );
        ensure!(
            async_store
                .touch("a", Some(HOUR))
                .await
                .ctx("async touch")?,
            "async touch said false"
        );
        ensure!(
            AsyncKvStorage::get(async_store.as_ref(), "a")
                .await
                .ctx("async get")?
                == Some(b"async".to_vec()),
            "async touch changed the value"
        );
        ensure!(
            !async_store
                .touch("missing", None)
                .await
                .ctx("async touch")?,
            "async touch of a missing key said true"
        );
        Ok::<(), String>(())
    })?;
    expect_hour(store.as_ref(), "a")
}

fn expect_hour(store: &dyn KvStorage, key: &str) -> CheckResult {
    match store.expiry(key).ctx("expiry")?.and_then(Expiry::ttl) {
        Some(left) => ensure!(
            left <= HOUR && left > HOUR - Duration::from_secs(100),
            "remaining TTL after touching {key:?} to 1 h is {left:?}"
        ),
        None => return Err(format!("{key:?} has no expiry after touch to 1 h")),
    }
    Ok(())
}
