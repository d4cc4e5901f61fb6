//! `len_including_expired` and `size`: what the store holds, expired entries included.

use std::time::Duration;

use anykv_core::{AsyncKvStorage, KvStorage};

use crate::window::Window;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

const HOUR: Duration = Duration::from_secs(3600);
const VALUE_LEN: usize = 10 << 10;
const WRITES: usize = 20;

/// `len_including_expired` is never below `len` nor above what was written; it counts exactly
/// the expired entries held until `purge_expired` where the backend keeps them
/// ([`Capabilities::stale_reads`](crate::Capabilities)); `size`, where the store tells it,
/// grows by about the bytes written (within a factor of 2, for servers' sampled estimates) and falls back after `clear`; the async face agrees.
pub fn counts_include_expired_entries_and_sizes_follow_writes(
    backend: &dyn Backend,
) -> CheckResult {
    let namespace = unique_namespace("counts");
    let store = backend.open(&namespace).ctx("open")?;
    let keeps_expired = backend.capabilities().stale_reads;
    store.set("forever", b"1", None).ctx("set")?;
    store.set("hour", b"2", Some(HOUR)).ctx("set")?;
    let short = backend.short_ttl();
    let (written, window) = Window::around(short, || {
        ["s1", "s2", "s3"]
            .iter()
            .try_for_each(|key| store.set(key, b"3", Some(short)))
    });
    written.ctx("set")?;
    window.wait_until_gone();
    let live = store.len().ctx("len")?;
    let held = store.len_including_expired().ctx("len_including_expired")?;
    ensure!(live == 2, "len is {live} with 2 live entries");
    ensure!(
        (2..=5).contains(&held),
        "len_including_expired is {held}: 2 live and 3 expired entries were written"
    );
    if keeps_expired {
        ensure!(
            held == 5,
            "len_including_expired is {held}; the store holds 5 entries"
        );
    }
    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    let runtime = crate::runtime(2)?;
    let async_held = runtime
        .block_on(async_store.len_including_expired())
        .ctx("async len_including_expired")?;
    ensure!(
        async_held == held || !keeps_expired,
        "async len_including_expired is {async_held}, blocking {held}"
    );
    store.purge_expired().ctx("purge_expired")?;
    let purged = store.len_including_expired().ctx("len_including_expired")?;
    ensure!(
        purged == 2 || (!keeps_expired && (2..=held).contains(&purged)),
        "len_including_expired is {purged} after purge_expired, with 2 live entries"
    );

    let before = store.size().ctx("size")?;
    let value = vec![7u8; VALUE_LEN];
    for i in 0..WRITES {
        store.set(&format!("big {i}"), &value, None).ctx("set")?;
    }
    let after = store.size().ctx("size")?;
    let async_size = runtime.block_on(async_store.size()).ctx("async size")?;
    ensure!(
        after.is_some() == async_size.is_some(),
        "size is {after:?} on the blocking face, {async_size:?} on the async one"
    );
    let written = (WRITES * VALUE_LEN) as u64;
    if let (Some(before), Some(after)) = (before, after) {
        ensure!(
            after >= before + written / 2 && after <= before + written * 4,
            "size went from {before} to {after} after writing {written} bytes of values"
        );
    }
    store.clear().ctx("clear")?;
    if let (Some(before), Some(cleared)) = (before, store.size().ctx("size")?) {
        ensure!(
            cleared <= before + written / 10,
            "size is {cleared} after clear, {before} before the writes"
        );
    }
    ensure!(
        store.len_including_expired().ctx("len_including_expired")? == 0,
        "len_including_expired is not 0 after clear"
    );
    Ok(())
}
