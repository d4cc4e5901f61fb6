//! `MemoryStorage` with caps on entries and bytes: expired entries go first, then the least
//! recently used; what was just read or written stays.

use std::time::{Duration, Instant};

use anykv_core::{Error, KvStorage, MemoryDatabase, MemoryStorage};

fn key(i: usize) -> String {
    format!("k{i:03}")
}

#[test]
fn an_entry_cap_evicts_the_least_recently_used() -> anykv_core::Result<()> {
    let store = MemoryStorage::new().with_max_entries(100);
    for i in 0..100 {
        store.set(&key(i), b"v", None)?;
    }
    assert_eq!(
        (store.len()?, store.evictions()),
        (100, 0),
        "at the cap, nothing evicted"
    );
    // The oldest ten writes are read again: now they are recent.
    for i in 0..10 {
        assert!(store.get(&key(i))?.is_some());
    }
    for i in 100..120 {
        store.set(&key(i), b"v", None)?;
    }
    let len = store.len()?;
    assert!((90..=100).contains(&len), "len {len} after eviction");
    assert!(store.evictions() >= 20, "{} evicted", store.evictions());
    for i in (0..10).chain(100..120) {
        assert!(
            store.contains(&key(i))?,
            "{} was used recently and is gone",
            key(i)
        );
    }
    assert!(
        !store.contains(&key(10))?,
        "the least recently used entry stayed"
    );
    Ok(())
}

#[test]
fn expired_entries_go_before_any_live_one() -> anykv_core::Result<()> {
    let store = MemoryStorage::new().with_max_entries(10);
    for i in 0..5 {
        store.set(&key(i), b"short", Some(Duration::from_millis(1)))?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while (0..5).any(|i| store.contains(&key(i)).unwrap_or(true)) {
        assert!(Instant::now() < deadline, "1 ms TTLs never passed");
        std::thread::sleep(Duration::from_millis(5));
    }
    for i in 5..11 {
        store.set(&key(i), b"live", None)?;
    }
    assert_eq!(store.evictions(), 0, "the expired entries made room");
    assert_eq!(store.len_including_expired()?, 6);
    Ok(())
}

#[test]
fn a_byte_cap_bounds_the_size_and_refuses_larger_values() -> anykv_core::Result<()> {
    let store = MemoryStorage::new().with_max_bytes(10_000);
    for i in 0..40 {
        store.set(&key(i), &[0u8; 996], None)?;
    }
    let size = store.size()?.unwrap_or(u64::MAX);
    assert!(size <= 10_000, "size {size} over the cap");
    assert!(store.contains(&key(39))?, "the last write stays");
    let refused = store.set("huge", &vec![0u8; 20_000], None);
    assert!(
        matches!(refused, Err(Error::ValueTooLarge { .. })),
        "{refused:?}"
    );
    Ok(())
}

#[test]
fn caps_are_shared_by_every_handle_of_a_namespace() -> anykv_core::Result<()> {
    let database = MemoryDatabase::new();
    let capped = database.open("pages")?.with_max_entries(5);
    let other = database.open("pages")?;
    for i in 0..8 {
        other.set(&key(i), b"v", None)?;
    }
    assert!(other.len()? <= 5, "a second handle wrote past the cap");
    assert!(capped.evictions() >= 3);
    Ok(())
}
