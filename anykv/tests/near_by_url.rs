//! `near=true` in a URL: the store answers reads from a memory tier shared by the handles of
//! that URL. Without a feed (SQLite) another writer is seen after the staleness bound, not
//! before; on standalone Redis the server's change reports reach it at once; handles of the
//! same URL share the tier (one handle's write is the other's next read); a bad value or the
//! parameter without the feature is refused at open.

#![cfg(feature = "near")]

use std::time::{Duration, Instant};

use anykv::{open, open_async, KvStorage, Result};

/// The longest a condition is waited for.
const DEADLINE: Duration = Duration::from_secs(60);

#[cfg(feature = "sqlite")]
#[test]
fn without_a_feed_another_writer_is_seen_after_the_bound() -> Result<()> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("near.db");
    let plain = open(&format!("sqlite://{}", file.display()))?;
    let near_url = format!(
        "sqlite://{}?near=true&near_max_staleness=1h",
        file.display()
    );
    let near = open(&near_url)?;
    let other_handle = open(&near_url)?;
    plain.set("k", b"v1", None)?;
    assert_eq!(near.get("k")?.as_deref(), Some(&b"v1"[..]));
    // Another writer the tier hears nothing of: within the bound, the held copy is served.
    plain.set("k", b"v2", None)?;
    assert_eq!(
        near.get("k")?.as_deref(),
        Some(&b"v1"[..]),
        "not served from memory"
    );
    // A write through any handle of the URL is seen by all of them at once.
    other_handle.set("k", b"v3", None)?;
    assert_eq!(near.get("k")?.as_deref(), Some(&b"v3"[..]));
    // The async face of the same URL shares the tier too.
    let runtime = anykv_test_support::runtime();
    runtime.block_on(async {
        let store = open_async(&near_url).await?;
        store.set("k", b"v4", None).await
    })?;
    assert_eq!(near.get("k")?.as_deref(), Some(&b"v4"[..]));
    Ok(())
}

#[cfg(feature = "redis")]
#[test]
fn on_redis_another_writer_is_seen_when_the_server_reports_it() -> Result<()> {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("near_url");
    let separator = if server.url().contains('?') { '&' } else { '?' };
    let plain_url = format!("{}{separator}namespace={namespace}", server.url());
    let plain = open(&plain_url)?;
    let near = open(&format!("{plain_url}&near=true&near_max_staleness=1h"))?;
    plain.set("k", b"v1", None)?;
    let started = Instant::now();
    // Until the feed tracks, the store is read each time; then v1 is held.
    assert_eq!(near.get("k")?.as_deref(), Some(&b"v1"[..]));
    plain.set("k", b"v2", None)?;
    while near.get("k")?.as_deref() != Some(&b"v2"[..]) {
        assert!(started.elapsed() < DEADLINE, "the write was never seen");
        std::thread::sleep(Duration::from_millis(1));
    }
    plain.clear()?;
    Ok(())
}

#[test]
fn bad_near_parameters_are_refused_at_open() {
    for url in [
        "memory://near?near=maybe",
        "memory://near?near_max_bytes=lots",
        "memory://near?near_max_entries=-1",
        "memory://near?near_max_staleness=5",
    ] {
        let error = open(url).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("near"), "{url}: {error}");
    }
    assert!(open("memory://near?near=true&near_max_bytes=1000000").is_ok());
}
