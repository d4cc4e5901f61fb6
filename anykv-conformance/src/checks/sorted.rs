//! `sorted`: the live entries that expire soonest, or the largest, up to a limit.

use std::time::Duration;

use anykv_core::{AsyncKvStorage, KvStorage, SortBy, SortedEntry};

use crate::window::Window;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

const MINUTE: Duration = Duration::from_secs(60);

fn keys(listing: &[SortedEntry]) -> Vec<&str> {
    listing.iter().map(|entry| entry.key.as_str()).collect()
}

/// `sorted(Expiry, n)` lists the live entries soonest expiry first (those without expiry
/// last), `sorted(Size, n)` the largest first with their sizes, `sorted(Key, n)` by key, each at
/// most `n`, expired entries never; each reversed order lists the same backwards; the async face
/// lists the same.
pub fn sorted_lists_soonest_expiry_or_largest_first(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("sorted");
    let store = backend.open(&namespace).ctx("open")?;
    let writes: [(&str, usize, Option<Duration>); 5] = [
        ("never", 50, None),
        ("in 60 min", 10, Some(60 * MINUTE)),
        ("in 120 min", 300, Some(120 * MINUTE)),
        ("in 180 min", 20, Some(180 * MINUTE)),
        ("in 30 min", 5, Some(30 * MINUTE)),
    ];
    for (key, len, ttl) in writes {
        store.set(key, &vec![1u8; len], ttl).ctx("set")?;
    }
    let short = backend.short_ttl();
    let (written, window) =
        Window::around(short, || store.set("expired", &[9u8; 999], Some(short)));
    written.ctx("set")?;
    window.wait_until_gone();

    let soonest = store.sorted(SortBy::Expiry, 3).ctx("sorted")?;
    ensure!(
        keys(&soonest) == ["in 30 min", "in 60 min", "in 120 min"],
        "sorted(Expiry, 3) listed {:?}",
        keys(&soonest)
    );
    let all = store.sorted(SortBy::Expiry, 100).ctx("sorted")?;
    ensure!(
        keys(&all)
            == [
                "in 30 min",
                "in 60 min",
                "in 120 min",
                "in 180 min",
                "never"
            ],
        "sorted(Expiry, 100) listed {:?}",
        keys(&all)
    );
    ensure!(
        all.windows(2)
            .all(|pair| match (pair[0].expires_at, pair[1].expires_at) {
                (Some(a), Some(b)) => a <= b,
                (_, None) => true,
                (None, Some(_)) => false,
            }),
        "sorted(Expiry) expiries out of order: {all:?}"
    );
    let largest = store.sorted(SortBy::Size, 2).ctx("sorted")?;
    let sized: Vec<(&str, Option<usize>)> = largest
        .iter()
        .map(|entry| (entry.key.as_str(), entry.size))
        .collect();
    ensure!(
        sized == [("in 120 min", Some(300)), ("never", Some(50))],
        "sorted(Size, 2) listed {sized:?}"
    );
    ensure!(
        store.sorted(SortBy::Size, 0).ctx("sorted")?.is_empty(),
        "sorted with limit 0 listed entries"
    );
    // Key order, and every order reversed: the same listing backwards.
    let by_key = store.sorted(SortBy::Key, 100).ctx("sorted")?;
    ensure!(
        keys(&by_key)
            == [
                "in 120 min",
                "in 180 min",
                "in 30 min",
                "in 60 min",
                "never"
            ],
        "sorted(Key) listed {:?}",
        keys(&by_key)
    );
    for by in [SortBy::Expiry, SortBy::Size, SortBy::Key] {
        let mut forward = store.sorted(by, 100).ctx("sorted")?;
        forward.reverse();
        let backward = store.sorted(by.reversed(), 2).ctx("sorted")?;
        ensure!(
            keys(&backward) == keys(&forward[..2]),
            "sorted({:?}, 2) listed {:?}, not the last two of {by:?} backwards",
            by.reversed(),
            keys(&backward)
        );
    }
    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    let async_largest = crate::runtime(2)?
        .block_on(async_store.sorted(SortBy::Size, 2))
        .ctx("async sorted")?;
    ensure!(
        async_largest == largest,
        "async sorted(Size, 2) listed {async_largest:?}, blocking {largest:?}"
    );
    store.clear().ctx("clear")
}
