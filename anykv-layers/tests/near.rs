//! [`NearCache`] over memory stores: the whole conformance suite on both faces (one tier per
//! namespace, shared by every handle as an application would), forwarding, the staleness bound
//! without a feed, expiry, read-your-writes, and the feed's messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anykv_conformance::forwarding::{check_forwarding, check_forwarding_async, SpyStore};
use anykv_conformance::{Backend, Capabilities, ExpiryRemoval};
use anykv_core::invalidation::Invalidation;
use anykv_core::layer::Operation;
use anykv_core::{AsyncAdapter, AsyncKvStorage, KvStorage, MemoryDatabase, MemoryStorage};
use anykv_layers::{NearCache, NearOptions, NearTier};

/// Memory namespaces behind near caches: one tier per namespace, shared by both faces.
#[derive(Default)]
struct NearMemory {
    database: MemoryDatabase,
    tiers: Mutex<HashMap<String, NearTier>>,
}

impl NearMemory {
    fn store(&self, namespace: &str) -> anykv_core::Result<MemoryStorage> {
        Ok(self.database.open(namespace)?.with_max_value_len(4 << 20))
    }

    fn tier(&self, namespace: &str) -> NearTier {
        let mut tiers = self.tiers.lock().unwrap_or_else(|e| e.into_inner());
        tiers
            .entry(namespace.to_owned())
            .or_insert_with(|| NearTier::new(NearOptions::default()))
            .clone()
    }
}

impl Backend for NearMemory {
    fn name(&self) -> String {
        "memory behind a near cache".into()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            persistent: false,
            expiry: ExpiryRemoval::Purge,
            stale_reads: true,
            size_caps: false,
        }
    }

    fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
        Ok(Arc::new(NearCache::new(
            self.store(namespace)?,
            self.tier(namespace),
        )))
    }

    fn open_async(&self, namespace: &str) -> anykv_core::Result<Arc<dyn AsyncKvStorage>> {
        Ok(Arc::new(NearCache::new(
            AsyncAdapter::new(self.store(namespace)?),
            self.tier(namespace),
        )))
    }
}

anykv_conformance::conformance_tests!(near_cache_over_memory, NearMemory::default());

#[test]
fn every_operation_reaches_the_store_but_reads_held_in_memory() {
    // Each operation is called right after a write, which empties the memory of its key: a
    // `get` is then read from the store with its expiry, as `get_entry`.
    let rerouted: &[(Operation, &[Operation])] = &[(Operation::Get, &[Operation::GetEntry])];
    let spy = Arc::new(SpyStore::new());
    let near = NearCache::new(spy.clone(), NearTier::new(NearOptions::default()));
    if let Err(report) = check_forwarding(&near, &spy, rerouted) {
        panic!("blocking: {report}");
    }
    let near = NearCache::new(spy.clone(), NearTier::new(NearOptions::default()));
    if let Err(report) = check_forwarding_async(&near, &spy, rerouted) {
        panic!("async: {report}");
    }
}

/// Two processes' views of one store: two near caches with tiers of their own.
fn two_processes(bound: Duration) -> (NearCache<MemoryStorage>, NearCache<MemoryStorage>) {
    let database = MemoryDatabase::default();
    let open = || {
        let store = database.open("shared").unwrap_or_else(|e| panic!("{e}"));
        NearCache::new(
            store,
            NearTier::new(NearOptions::default().max_staleness(bound)),
        )
    };
    (open(), open())
}

#[test]
fn without_a_feed_other_writers_are_seen_within_the_staleness_bound() -> anykv_core::Result<()> {
    let bound = Duration::from_millis(300);
    let (a, b) = two_processes(bound);
    a.set("k", b"old", None)?;
    assert_eq!(b.get("k")?.as_deref(), Some(&b"old"[..]));
    let filled = Instant::now();
    a.set("k", b"new", None)?;
    assert_eq!(
        a.get("k")?.as_deref(),
        Some(&b"new"[..]),
        "read your writes"
    );
    // B may serve its copy until the bound (plus a tick of its coarse clock: a few ms, 20 ms
    // allowed), never after it. The time is taken before each read: a read that began inside
    // the bound may still be answered from the copy, however long the machine then took.
    let tick = Duration::from_millis(20);
    loop {
        let asked_at = filled.elapsed();
        let seen = b.get("k")?;
        if seen.as_deref() == Some(&b"new"[..]) {
            break;
        }
        assert!(
            asked_at < bound + tick,
            "served {seen:?} to a read begun {asked_at:?} after the write, past the staleness \
             bound"
        );
    }
    assert!(b.stats().hits >= 1, "{:?}", b.stats());
    Ok(())
}

#[test]
fn held_entries_never_outlive_the_store_entry() -> anykv_core::Result<()> {
    let (a, b) = two_processes(Duration::from_secs(3600));
    a.set("short", b"v", Some(Duration::from_millis(200)))?;
    let read = b.get_entry("short")?;
    let expires_at = read
        .and_then(|entry| entry.expires_at)
        .unwrap_or_else(|| panic!("no expiry read back"));
    while !expires_at.is_expired() {
        // Held, but only while the store's entry is live.
        let _ = b.get("short")?;
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(b.get("short")?, None);
    assert_eq!(b.get_many(&["short"])?, vec![None]);
    Ok(())
}

#[test]
fn every_write_invalidates_what_it_touches() -> anykv_core::Result<()> {
    let store = NearCache::new(MemoryStorage::new(), NearTier::new(NearOptions::default()));
    let fill = |key: &str| store.get(key).map(drop);
    store.set("a", b"1", None)?;
    fill("a")?;
    assert!(store.compare_and_set("a", Some(b"1"), b"2", None)?);
    assert_eq!(store.get("a")?.as_deref(), Some(&b"2"[..]));
    assert!(store.touch("a", Some(Duration::from_secs(60)))?);
    assert!(store
        .get_entry("a")?
        .is_some_and(|e| e.expires_at.is_some()));
    assert_eq!(store.pop("a")?.as_deref(), Some(&b"2"[..]));
    assert_eq!(store.get("a")?, None);
    store.set_entries(&[anykv_core::SetEntry::new("b", b"1", None)])?;
    fill("b")?;
    store.delete_many(&["b"])?;
    assert_eq!(store.get_many(&["b"])?, vec![None]);
    store.set("c", b"1", None)?;
    fill("c")?;
    store.clear()?;
    assert_eq!(store.get("c")?, None);
    Ok(())
}

#[test]
fn a_fed_tier_serves_only_while_its_feed_tracks() -> anykv_core::Result<()> {
    let tier = NearTier::fed(NearOptions::default().max_staleness(Duration::from_secs(3600)));
    let store = NearCache::new(MemoryStorage::new(), tier.clone());
    store.set("k", b"v", None)?;
    store.get("k")?;
    store.get("k")?;
    assert_eq!(tier.stats().hits, 0, "served before the feed tracked");
    tier.apply(Invalidation::Tracking);
    store.get("k")?;
    store.get("k")?;
    assert_eq!(tier.stats().hits, 1);
    // Another process's write, reported by the feed.
    store.inner().set("k", b"w", None)?;
    tier.apply(Invalidation::Keys(vec!["k".to_owned()]));
    assert_eq!(store.get("k")?.as_deref(), Some(&b"w"[..]));
    tier.apply(Invalidation::Lost);
    store.inner().set("k", b"x", None)?;
    assert_eq!(
        store.get("k")?.as_deref(),
        Some(&b"x"[..]),
        "served while lost"
    );
    assert!(!tier.is_serving());
    assert_eq!(tier.stats().entries, 0);
    Ok(())
}

#[test]
fn the_tier_holds_no_more_entries_nor_bytes_than_its_bounds() -> anykv_core::Result<()> {
    let options = NearOptions::default().max_entries(100).max_bytes(1 << 20);
    let store = NearCache::new(MemoryStorage::new(), NearTier::new(options));
    for i in 0..1000 {
        let key = format!("k{i}");
        store.set(&key, b"small", None)?;
        store.get(&key)?;
    }
    let stats = store.stats();
    assert!(stats.fills >= 1000, "{stats:?}");
    assert!(stats.entries <= 100, "{stats:?}");
    let options = NearOptions::default().max_bytes(64 << 10);
    let store = NearCache::new(MemoryStorage::new(), NearTier::new(options));
    let value = vec![7u8; 1000];
    for i in 0..1000 {
        let key = format!("k{i}");
        store.set(&key, &value, None)?;
        store.get(&key)?;
    }
    let stats = store.stats();
    assert!(stats.bytes <= 64 << 10, "{stats:?}");
    assert!(stats.entries >= 10, "{stats:?}");
    Ok(())
}
