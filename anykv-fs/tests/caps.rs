//! Size caps on files beyond the conformance checks: the usage this process follows stays
//! within the caps through overwrites and removals, evictions are counted, URLs set the caps.

use anykv_core::{KvStorage, Store};
use std::time::Duration;

use anykv_fs::{FsOptions, FsStorage};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn key(i: usize) -> String {
    format!("k{i:03}")
}

/// Overwrites with other sizes, deletes, pops and conditional writes move the usage the store
/// follows: after every write the directory holds at most the caps.
#[test]
fn every_kind_of_write_keeps_the_directory_within_the_caps() -> TestResult {
    let dir = tempfile::tempdir()?;
    const MAX_BYTES: u64 = 20_000;
    let store = FsStorage::open(
        FsOptions::dir(dir.path())
            .max_entries(40)
            .max_bytes(MAX_BYTES),
    )?;
    let within = |step: &str| -> TestResult {
        let held = store.len_including_expired()?;
        let size = store.size()?.unwrap_or(u64::MAX);
        assert!(held <= 40, "{held} entries after {step}");
        assert!(size <= MAX_BYTES, "{size} bytes after {step}");
        Ok(())
    };
    for round in 0..6 {
        for i in 0..30 {
            let len = 50 + (i * 37 + round * 101) % 900;
            store.set(&key(i + round * 7), &vec![b'x'; len], None)?;
            within("set")?;
        }
        store.delete(&key(round))?;
        store.pop(&key(round + 1))?;
        let current = store.get(&key(round + 2))?;
        if let Some(value) = current {
            store.compare_and_set(&key(round + 2), Some(&value), &[b'y'; 3000], None)?;
            within("compare_and_set")?;
        }
        store.set_if_absent(&format!("new{round}"), &[b'z'; 1500], None)?;
        within("set_if_absent")?;
        store.compare_and_delete(&format!("new{round}"), &[b'z'; 1500])?;
    }
    assert!(store.evictions() > 0, "nothing was evicted");
    store.clear()?;
    store.set("after clear", b"v", None)?;
    assert_eq!(store.len()?, 1);
    Ok(())
}

/// A file whose expiry hint has not passed is never opened by the pass; expired ones are
/// removed before any live entry, and not counted as evictions.
#[test]
fn expired_files_go_without_counting_as_evictions() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = FsStorage::open(FsOptions::dir(dir.path()).max_entries(10))?;
    for i in 0..10 {
        store.set(&key(i), b"short", Some(Duration::from_millis(1)))?;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while store.len()? > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "1 ms TTLs never passed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    store.set("live", b"v", None)?;
    assert_eq!(store.len_including_expired()?, 1);
    assert_eq!(store.evictions(), 0);
    Ok(())
}

/// `max_entries` and `max_bytes` in a URL cap the store; a value over the byte cap is refused.
#[test]
fn url_parameters_set_the_caps() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "file://{}?max_entries=20&max_bytes=100000",
        dir.path().display()
    );
    let store = FsStorage::open(FsOptions::from_url(&url)?)?;
    assert_eq!(store.max_value_len(), 100_000);
    assert_eq!(store.caps().max_entries, Some(20));
    for i in 0..30 {
        store.set(&key(i), b"v", None)?;
    }
    assert!(store.len()? <= 20, "len {} over the cap", store.len()?);
    assert!(store.set("big", &[0u8; 100_001], None).is_err());
    Ok(())
}
