//! Stores opened by URL: the local schemes work on both faces, options reach the store, and
//! every mistake is an error that names it without showing a password.

use anykv::{open, open_async, KvStorage};

#[test]
fn memory_urls_name_process_wide_stores() -> anykv::Result<()> {
    let writer = open("memory://url_shared")?;
    writer.set("k", b"v", None)?;
    let reader = open("memory://url_shared")?;
    assert_eq!(reader.get("k")?, Some(b"v".to_vec()));
    assert_eq!(open("memory://url_other")?.get("k")?, None);
    let limited = open("memory://url_limited?max_value_len=4")?;
    assert!(limited.set("k", b"12345", None).is_err());
    Ok(())
}

/// `max_entries` / `max_bytes` reach every local store: 30 writes under a cap of 10 leave at
/// most 10 entries, the last one among them.
#[test]
fn size_caps_by_url_bound_every_local_store() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().display();
    let mut urls = vec!["memory://url_capped?max_entries=10&max_bytes=100000".to_owned()];
    if cfg!(feature = "sqlite") {
        urls.push(format!(
            "sqlite://{root}/capped.db?max_entries=10&max_bytes=100000"
        ));
    }
    if cfg!(feature = "fs") {
        urls.push(format!(
            "file://{root}/capped?max_entries=10&max_bytes=100000"
        ));
    }
    for url in &urls {
        let store = open(url)?;
        for i in 0..30 {
            store.set(&format!("k{i}"), b"v", None)?;
        }
        let len = store.len()?;
        assert!((1..=10).contains(&len), "{url}: {len} entries");
        assert!(store.contains("k29")?, "{url}: the last write was evicted");
        assert_eq!(store.max_value_len(), 100_000, "{url}");
    }
    Ok(())
}

#[cfg(all(feature = "sqlite", feature = "fs"))]
#[test]
fn local_files_open_by_url_on_both_faces() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().display();
    let urls = [
        format!("sqlite://{root}/cache.db?namespace=http&wal=false&busy_timeout=5s&pool_size=2"),
        format!("file://{root}/files?namespace=http&extension=bin&fsync=false"),
    ];
    for url in &urls {
        let store = open(url)?;
        store.set("k", b"v", None)?;
        assert_eq!(store.namespace_name(), Some("http"), "{url}");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let read = runtime.block_on(async { open_async(url).await?.get("k").await })?;
        assert_eq!(read, Some(b"v".to_vec()), "{url}");
    }
    assert!(dir.path().join("cache.db").exists());
    assert!(dir.path().join("files").join("http").is_dir());
    let memory = open("sqlite::memory:")?;
    memory.set("k", b"v", None)?;
    assert_eq!(memory.get("k")?, Some(b"v".to_vec()));
    Ok(())
}

#[cfg(feature = "sqlite")]
#[test]
fn mistakes_name_the_parameter_or_the_feature() {
    let message = |url: &str| open(url).err().map(|e| e.to_string()).unwrap_or_default();
    let unknown = message("sqlite:///tmp/x.db?walk=true");
    assert!(unknown.contains("\"walk\""), "{unknown}");
    let bad = message("sqlite:///tmp/x.db?busy_timeout=soon");
    assert!(bad.contains("busy_timeout"), "{bad}");
    let scheme = message("postgres://db/x");
    assert!(scheme.contains("unknown scheme"), "{scheme}");
    let secret = message("redis://user:hunter2@localhost:6379/0?namespace=x&pool=2");
    assert!(
        !secret.contains("hunter2") && secret.contains("***"),
        "{secret}"
    );
}
