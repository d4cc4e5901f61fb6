//! `get_stale`: entries read even after they expired, while the store holds them.

use std::time::Duration;

use anykv_core::{AsyncKvStorage, Entry, KvStorage, Record, Scan, Timestamp};
use futures_util::TryStreamExt;

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

/// The records of a scan, by key, failing on a repeated key.
fn scanned(
    store: &dyn KvStorage,
    scan: Scan<'_>,
) -> Result<std::collections::BTreeMap<String, Record>, String> {
    let mut records = std::collections::BTreeMap::new();
    for record in store.scan(scan).ctx("scan")? {
        let record = record.ctx("scan")?;
        let key = record.key.clone();
        ensure!(
            records.insert(key.clone(), record).is_none(),
            "a scan listed {key:?} twice"
        );
    }
    Ok(records)
}

/// A scan asked for expired entries too lists the live ones as a plain scan does, and the
/// expired entries the store still holds with their own values and past expiries: where the
/// backend keeps them until purged ([`Capabilities::stale_reads`](crate::Capabilities)) until
/// `purge_expired`, and never after; a plain scan never lists them; with a prefix, only those
/// under it; the async face lists the same.
pub fn scans_list_expired_entries_when_asked(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("scan_expired");
    let store = backend.open(&namespace).ctx("open")?;
    let keeps_expired = backend.capabilities().stale_reads;
    store.set("hour", b"an hour", Some(HOUR)).ctx("set")?;
    store.set("forever", b"for ever", None).ctx("set")?;
    let short = backend.short_ttl();
    let (written, window) =
        Window::around(short, || store.set("short", b"short-lived", Some(short)));
    written.ctx("set")?;
    window.wait_until_gone();

    let live = scanned(store.as_ref(), Scan::with_values())?;
    ensure!(
        live.keys().eq(["forever", "hour"].iter()),
        "a plain scan after an expiry listed {:?}",
        live.keys().collect::<Vec<_>>()
    );
    let held = scanned(store.as_ref(), Scan::with_values().including_expired())?;
    for (key, record) in &live {
        ensure!(
            held.get(key) == Some(record),
            "a scan with expired entries listed the live {key:?} as {:?}",
            held.get(key)
        );
    }
    match held.get("short") {
        Some(record) => {
            ensure!(
                record.value.as_deref() == Some(&b"short-lived"[..])
                    && record.expires_at.is_some_and(|at| at <= Timestamp::now()),
                "the expired entry was listed as {record:?}"
            );
        }
        None => ensure!(
            !keeps_expired,
            "a scan with expired entries left out one the store keeps until purged"
        ),
    }
    ensure!(
        held.len() == live.len() + usize::from(held.contains_key("short")),
        "a scan with expired entries listed {:?}",
        held.keys().collect::<Vec<_>>()
    );
    let under = scanned(
        store.as_ref(),
        Scan::keys_only().prefix("sh").including_expired(),
    )?;
    ensure!(
        under.len() == usize::from(held.contains_key("short")),
        "a prefix scan with expired entries listed {:?}",
        under.keys().collect::<Vec<_>>()
    );

    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    let async_keys: Vec<String> = crate::runtime(2)?.block_on(async {
        async_store
            .scan(Scan::keys_only().including_expired())
            .await
            .ctx("async scan")?
            .map_ok(|record| record.key)
            .try_collect()
            .await
            .ctx("async scan")
    })?;
    let async_keys: std::collections::BTreeSet<String> = async_keys.into_iter().collect();
    if keeps_expired {
        ensure!(
            async_keys.iter().eq(held.keys()),
            "the async scan with expired entries listed {async_keys:?}"
        );
        store.purge_expired().ctx("purge_expired")?;
        let purged = scanned(store.as_ref(), Scan::keys_only().including_expired())?;
        ensure!(
            !purged.contains_key("short"),
            "a scan with expired entries still listed one after purge_expired ({})",
            super::PURGE_HINT
        );
    }
    store.clear().ctx("clear")
}
