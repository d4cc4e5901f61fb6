//! `get_stale`: entries read even after they expired, while the store holds them.

use std::time::Duration;

use anykv_core::{AsyncKvStorage, Entry, KvStorage, Timestamp};

use crate::window::Window;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

const HOUR: Duration = Duration::from_secs(3600);

/// `get_stale` of a missing key is `None` and of a live entry is that entry; an expired entry
/// comes back with its value and its past expiry until `purge_expired` removes it on backends
/// that say they keep expired entries ([`Capabilities::stale_reads`](crate::Capabilities)),
/// and never with another value or a future expiry elsewhere; the async face agrees.
pub fn stale_reads_see_expired_entries_until_purged(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("stale");
    let store = backend.open(&namespace).ctx("open")?;
    let keeps_expired = backend.capabilities().stale_reads;
    ensure!(
        store.get_stale("missing").ctx("get_stale")?.is_none(),
        "get_stale of a missing key found something"
    );
    store.set("hour", b"an hour", Some(HOUR)).ctx("set")?;
    store.set("forever", b"for ever", None).ctx("set")?;
    for key in ["hour", "forever"] {
        let live = store.get_entry(key).ctx("get_entry")?;
        ensure!(live.is_some(), "{key:?} was not stored");
        let stale = store.get_stale(key).ctx("get_stale")?;
        ensure!(
            stale == live,
            "get_stale of the live entry {key:?} is {stale:?}, get_entry {live:?}"
        );
    }

    let short = backend.short_ttl();
    let (written, window) =
        Window::around(short, || store.set("short", b"short-lived", Some(short)));
    written.ctx("set")?;
    window.wait_until_gone();
    ensure!(
        store.get("short").ctx("get")?.is_none(),
        "an expired entry is still read by get"
    );
    let stale = store.get_stale("short").ctx("get_stale")?;
    expect_stale(stale.as_ref(), keeps_expired, "blocking")?;

    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    crate::runtime(2)?.block_on(async {
        let missing = async_store
            .get_stale("missing")
            .await
            .ctx("async get_stale")?;
        ensure!(
            missing.is_none(),
            "async get_stale of a missing key found something"
        );
        let live = async_store
            .get_stale("forever")
            .await
            .ctx("async get_stale")?;
        ensure!(
            live == Some(Entry::new(b"for ever".to_vec())),
            "async get_stale of a live entry: {live:?}"
        );
        let stale = async_store
            .get_stale("short")
            .await
            .ctx("async get_stale")?;
        expect_stale(stale.as_ref(), keeps_expired, "async")
    })?;

    store.purge_expired().ctx("purge_expired")?;
    let purged = store.get_stale("short").ctx("get_stale")?;
    ensure!(
        purged.is_none(),
        "get_stale after purge_expired still found {purged:?} ({})",
        super::PURGE_HINT
    );
    ensure!(
        store.get_stale("hour").ctx("get_stale")?.is_some(),
        "purge_expired removed a live entry"
    );
    store.clear().ctx("clear")
}

/// An expired entry read stale: its own value and a past expiry; required where the backend
/// keeps expired entries until a purge.
fn expect_stale(stale: Option<&Entry>, required: bool, face: &str) -> CheckResult {
    match stale {
        Some(entry) => {
            ensure!(
                entry.value == b"short-lived",
                "{face} get_stale of the expired entry returned another value: {entry:?}"
            );
            ensure!(
                entry.expires_at.is_some_and(|at| at <= Timestamp::now()),
                "{face} get_stale of the expired entry returned expiry {:?}, not a past one",
                entry.expires_at
            );
        }
        None => ensure!(
            !required,
            "{face} get_stale of an expired entry the store keeps until purged returned nothing"
        ),
    }
    Ok(())
}
