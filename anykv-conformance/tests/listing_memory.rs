//! Listing a large namespace streams: the memory a full `keys()` (and `len()`) takes does not
//! grow with the namespace. 50 000 entries with 200-byte keys hold 10 MB of keys; collecting
//! them would take more than that, so the listing must stay within [`MOST_GROWTH`] on every
//! backend this binary covers (MongoDB and DynamoDB are left out: writing 50 000 entries to the
//! emulators takes minutes). The allocator of this test binary counts the bytes it hands out.

#![cfg(all(
    feature = "memory",
    feature = "sqlite",
    feature = "fs",
    feature = "redis"
))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use anykv_conformance::backends::{Fs, Memory, Redis, RedisKind, Sqlite};
use anykv_conformance::Backend;
use anykv_core::{KvStorage, KvStorageExt};

/// Entries written to each store.
const ENTRIES: usize = 50_000;
/// Bytes of each key.
const KEY_LEN: usize = 200;
/// The most a listing may allocate above what was allocated before it: far less than the keys
/// (10 MB), enough for a page of them and the set of key hashes a Redis scan keeps to drop the
/// keys SCAN returns twice (8 bytes a key).
const MOST_GROWTH: usize = 4 << 20;

/// [`System`], counting the bytes allocated now and the most allocated since the last reset.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn grew(by: usize) {
        let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }

    fn shrank(by: usize) {
        CURRENT.fetch_sub(by, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed to `System` unchanged; only counters are updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let block = unsafe { System.alloc(layout) };
        if !block.is_null() {
            Self::grew(layout.size());
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(block, layout) };
        Self::shrank(layout.size());
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`, passed on.
        let moved = unsafe { System.realloc(block, layout, new_size) };
        if !moved.is_null() {
            Self::grew(new_size);
            Self::shrank(layout.size());
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most `work` allocated above what was allocated when it started, and its result.
fn growth_of<T>(work: impl FnOnce() -> T) -> (usize, T) {
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = work();
    (PEAK.load(Ordering::Relaxed).saturating_sub(before), result)
}

fn key(i: usize) -> String {
    format!("{i:0>width$}", width = KEY_LEN)
}

/// Fills a namespace of `backend`, then lists and counts it, checking the counts and how much
/// memory each took.
fn lists_in_bounded_memory(backend: &dyn Backend) {
    let name = backend.name();
    let store = backend
        .open(&anykv_test_support::unique_name("listing"))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let keys: Vec<String> = (0..ENTRIES).map(key).collect();
    for chunk in keys.chunks(1000) {
        let entries: Vec<(&str, &[u8])> = chunk.iter().map(|k| (k.as_str(), &b"v"[..])).collect();
        store
            .set_many(&entries, None)
            .unwrap_or_else(|e| panic!("{name}: set_many: {e}"));
    }
    drop(keys);
    let (keys_growth, listed) = growth_of(|| {
        store
            .keys()
            .and_then(|mut keys| keys.try_fold(0, |count, key| key.map(|_| count + 1)))
    });
    let listed = listed.unwrap_or_else(|e| panic!("{name}: keys: {e}"));
    let (len_growth, len) = growth_of(|| store.len());
    let len = len.unwrap_or_else(|e| panic!("{name}: len: {e}"));
    store
        .clear()
        .unwrap_or_else(|e| panic!("{name}: clear: {e}"));
    assert_eq!(
        (listed, len),
        (ENTRIES, ENTRIES),
        "{name}: keys listed, len"
    );
    eprintln!("{name}: keys peaked {keys_growth} bytes above the start, len {len_growth}");
    for (what, growth) in [("keys", keys_growth), ("len", len_growth)] {
        assert!(
            growth <= MOST_GROWTH,
            "{name}: {what} over {ENTRIES} entries allocated {growth} bytes at its peak, over \
             {MOST_GROWTH}: the listing does not stream"
        );
    }
}

/// One test, the backends one after the other: the counters are the whole process's, so
/// nothing else may allocate meanwhile.
#[test]
fn listings_stream_on_every_backend() {
    let redis = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let backends: [&dyn Backend; 5] = [
        &Memory::default(),
        &Sqlite::new(),
        &Fs::new(),
        &Redis::new(redis.url(), RedisKind::PerKey),
        &Redis::new(redis.url(), RedisKind::Hash),
    ];
    for backend in backends {
        lists_in_bounded_memory(backend);
    }
}
