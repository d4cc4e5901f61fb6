//! Size caps ([`anykv_core::caps`]): a capped store evicts expired entries first, then the
//! least recently used ones, and never grows past its caps.

use anykv_core::{Error, KvStorage, KvStorageExt};
use std::time::Duration;

use anykv_core::caps::SizeCaps;

use crate::window::Window;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

fn key(i: usize) -> String {
    format!("k{i:03}")
}

/// With a cap of 100 entries: 100 writes evict nothing; after ten of the oldest are read, the
/// store is listed (`keys`, `items`: not uses) and 20 more are written, the store holds 90–100
/// entries, the ten read and the 20 new ones among them, and the oldest entry that was neither
/// read nor rewritten is gone.
pub fn size_caps_evict_least_recently_used_first(backend: &dyn Backend) -> CheckResult {
    let caps = SizeCaps::default().with_max_entries(100);
    let store = backend
        .open_capped(&unique_namespace("caps_lru"), caps)
        .ctx("open_capped")?;
    for i in 0..100 {
        store.set(&key(i), b"v", None).ctx("set")?;
    }
    let len = store.len().ctx("len")?;
    ensure!(
        len == 100,
        "len is {len} after 100 writes under a cap of 100"
    );
    for i in 0..10 {
        ensure!(
            store.get(&key(i)).ctx("get")?.is_some(),
            "{} is missing before any eviction",
            key(i)
        );
    }
    // Listing the store is not a use: it must not make the other 90 entries recent.
    let listed = store.keys().ctx("keys")?.count();
    let items = store.items().ctx("items")?.count();
    ensure!(
        listed == 100 && items == 100,
        "keys() listed {listed}, items() {items} of 100 entries"
    );
    for i in 100..120 {
        store.set(&key(i), b"v", None).ctx("set")?;
    }
    let len = store.len().ctx("len")?;
    ensure!(
        (90..=100).contains(&len),
        "len is {len} after 120 writes under a cap of 100 (eviction goes down to 90 %)"
    );
    for i in (0..10).chain(100..120) {
        ensure!(
            store.contains(&key(i)).ctx("contains")?,
            "{} was read or written recently and was evicted",
            key(i)
        );
    }
    ensure!(
        !store.contains(&key(10)).ctx("contains")?,
        "{} is the least recently used entry and stayed",
        key(10)
    );
    Ok(())
}

/// With a cap of 10 entries holding 4 old live entries and 5 expired ones, the writes that pass
/// the cap drop the expired entries and keep every live one, old or new.
pub fn size_caps_drop_expired_entries_first(backend: &dyn Backend) -> CheckResult {
    let caps = SizeCaps::default().with_max_entries(10);
    let store = backend
        .open_capped(&unique_namespace("caps_expired"), caps)
        .ctx("open_capped")?;
    for i in 0..4 {
        store.set(&key(i), b"old", None).ctx("set")?;
    }
    let short = backend.short_ttl();
    let (written, window) = Window::around(short, || {
        (4..9).try_for_each(|i| store.set(&key(i), b"short", Some(short)))
    });
    written.ctx("set")?;
    window.wait_until_gone();
    for i in 9..15 {
        store.set(&key(i), b"new", None).ctx("set")?;
    }
    for i in (0..4).chain(9..15) {
        ensure!(
            store.contains(&key(i)).ctx("contains")?,
            "{} is live and was evicted while expired entries were held",
            key(i)
        );
    }
    let held = store.len_including_expired().ctx("len_including_expired")?;
    ensure!(
        held <= 10,
        "the store holds {held} entries under a cap of 10"
    );
    Ok(())
}

/// With a cap of 10 000 bytes, 40 writes of 1000 bytes keep [`size`](KvStorage::size) (where
/// the store tells it) within the cap after each write, the newest entry stays, and a value
/// larger than the cap is refused with `ValueTooLarge`, leaving the store as it was.
pub fn size_caps_bound_bytes_and_refuse_larger_values(backend: &dyn Backend) -> CheckResult {
    const CAP: u64 = 10_000;
    let caps = SizeCaps::default().with_max_bytes(CAP);
    let store = backend
        .open_capped(&unique_namespace("caps_bytes"), caps)
        .ctx("open_capped")?;
    ensure!(
        store.max_value_len() <= CAP as usize,
        "max_value_len is {} under a byte cap of {CAP}",
        store.max_value_len()
    );
    for i in 0..40 {
        store.set(&key(i), &[7u8; 996], None).ctx("set")?;
        if let Some(size) = store.size().ctx("size")? {
            ensure!(
                size <= CAP,
                "size is {size} after write {i}, over the cap {CAP}"
            );
        }
        ensure!(
            store.contains(&key(i)).ctx("contains")?,
            "{} was just written and is gone",
            key(i)
        );
    }
    let len = store.len().ctx("len")?;
    ensure!(
        (5..=10).contains(&len),
        "len is {len}: 10 entries of 1000 bytes fit a cap of {CAP}, eviction leaves 90 %"
    );
    let refused = store.set("huge", &vec![0u8; 2 * CAP as usize], None);
    ensure!(
        matches!(refused, Err(Error::ValueTooLarge { .. })),
        "a value twice the byte cap gave {refused:?}, not ValueTooLarge"
    );
    let after = store.len().ctx("len")?;
    ensure!(
        after == len,
        "the refused write changed len from {len} to {after}"
    );
    Ok(())
}

/// A capped store opened over a namespace that already holds 30 entries (written without
/// caps) counts them: its first write brings it within a cap of 20.
pub fn size_caps_count_entries_already_held(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("caps_held");
    let uncapped = backend.open(&namespace).ctx("open")?;
    for i in 0..30 {
        uncapped.set(&key(i), b"v", None).ctx("set")?;
    }
    let capped = backend
        .open_capped(&namespace, SizeCaps::default().with_max_entries(20))
        .ctx("open_capped")?;
    capped
        .set("new", b"v", Some(Duration::from_secs(3600)))
        .ctx("set")?;
    let len = capped.len().ctx("len")?;
    ensure!(
        len <= 20,
        "len is {len} after a write under a cap of 20 over 30 held entries"
    );
    ensure!(
        capped.contains("new").ctx("contains")?,
        "the write that passed the cap was evicted"
    );
    Ok(())
}
