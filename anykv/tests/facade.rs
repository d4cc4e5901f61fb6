//! The facade's modules reach the backend crates (run with `--features sqlite,fs,memo` or
//! `--all-features`, as the project's test script does).

use anykv::{KvStorage, MemoryDatabase, Store};

#[test]
fn the_core_is_at_the_root() -> anykv::Result<()> {
    let database = MemoryDatabase::new();
    let store = database.open("facade")?;
    store.set("k", b"v", None)?;
    assert_eq!(store.get("k")?, Some(b"v".to_vec()));
    assert_eq!(store.namespace_name(), Some("facade"));
    Ok(())
}

#[cfg(all(feature = "sqlite", feature = "fs"))]
#[test]
fn local_backends_are_reachable_through_their_modules() -> anykv::Result<()> {
    use anykv::fs::{FsOptions, FsStorage};
    use anykv::sqlite::{SqliteOptions, SqliteStorage};

    let stores: Vec<Box<dyn KvStorage>> = vec![
        Box::new(SqliteStorage::open(SqliteOptions::temp_dir())?),
        Box::new(FsStorage::open(FsOptions::temp_dir())?),
    ];
    for store in stores {
        store.set("k", b"v", None)?;
        assert_eq!(
            store.get("k")?,
            Some(b"v".to_vec()),
            "{}",
            store.backend_name()
        );
    }
    Ok(())
}

#[cfg(feature = "memo")]
#[test]
fn the_memo_is_reachable() -> Result<(), Box<dyn std::error::Error>> {
    use std::sync::Arc;
    use std::time::Duration;

    use anykv::memo::{Memo, MemoOptions};
    use anykv::MemoryStorage;

    let memo: Memo<u64> = Memo::new(
        Arc::new(MemoryStorage::new()),
        MemoOptions::new("facade", Duration::from_secs(60), Duration::from_secs(60)),
    );
    assert_eq!(memo.call(&3u64, || Ok::<_, std::io::Error>(9))?, 9);
    Ok(())
}

/// Layers wrap a store opened by URL, through the facade's `layers` module.
#[cfg(all(feature = "tracing", feature = "metrics", feature = "retry"))]
#[test]
fn layers_wrap_a_store_opened_by_url() -> anykv::Result<()> {
    use anykv::layer::WithLayer;
    use anykv::layers::{ConcurrencyLimitLayer, MetricsLayer, RetryLayer, TracingLayer};
    use anykv::KvStorage;
    let store = anykv::open("memory://layered")?
        .with_layer(RetryLayer::new())
        .with_layer(ConcurrencyLimitLayer::new(4))
        .with_layer(MetricsLayer::new())
        .with_layer(TracingLayer::new());
    store.set("k", b"v", None)?;
    assert_eq!(store.get("k")?, Some(b"v".to_vec()));
    assert_eq!(store.namespace_name(), Some("layered"));
    Ok(())
}
