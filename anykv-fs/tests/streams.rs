//! Values written from readers and read as readers, in both layouts: whole, bounded, atomic.

use std::io;
use std::time::{Duration, Instant};

use anykv_core::{Error, KvStorage};
use anykv_fs::{FsOptions, FsStorage, Layout};
use anykv_test_support::{Pattern, PatternCheck};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn stores(root: &std::path::Path, max: usize) -> anykv_core::Result<Vec<FsStorage>> {
    [Layout::Hashed, Layout::Readable]
        .into_iter()
        .map(|layout| {
            let namespace = format!("streams_{layout:?}");
            FsStorage::open(
                FsOptions::dir(root)
                    .namespace(namespace)
                    .layout(layout)
                    .max_value_len(max),
            )
        })
        .collect()
}

fn temp_files(store: &FsStorage) -> io::Result<Vec<String>> {
    Ok(std::fs::read_dir(store.dir())?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".tmp."))
        .collect())
}

/// A 24 MiB value written from a reader reads back whole through a reader, and through `get`.
#[test]
fn large_values_stream_in_and_out() -> TestResult {
    let root = tempfile::tempdir()?;
    let len = 24 << 20;
    for store in stores(root.path(), 32 << 20)? {
        let written = store.set_from_reader("big", &mut Pattern::new(len), None)?;
        assert_eq!(written, len);
        let mut reader = store
            .get_reader("big")?
            .ok_or("no reader for a stored value")?;
        assert_eq!(reader.len(), len);
        assert_eq!(reader.expires_at(), None);
        assert_eq!(PatternCheck::read_all(&mut reader)?, len);
        let whole = store.get("big")?.ok_or("get found nothing")?;
        assert_eq!(PatternCheck::read_all(&mut &whole[..])?, len);
        assert!(store.get_reader("absent")?.is_none());
    }
    Ok(())
}

/// A reader past the limit, or one that fails, leaves the entry as it was and no file behind.
#[test]
fn failed_streams_change_nothing() -> TestResult {
    let root = tempfile::tempdir()?;
    let max = 1 << 20;
    for store in stores(root.path(), max)? {
        store.set("kept", b"old", None)?;
        match store.set_from_reader("kept", &mut Pattern::new(2 << 20), None) {
            Err(Error::ValueTooLarge {
                len, max: limit, ..
            }) => {
                assert_eq!((len, limit), (max + 1, max));
            }
            other => return Err(format!("an over-long stream gave {other:?}").into()),
        }
        let mut failing = Pattern::new(4 << 20).failing_at(100 * 1024);
        let error = store
            .set_from_reader("kept", &mut failing, None)
            .err()
            .ok_or("a failing reader was stored")?;
        assert!(error.to_string().contains("source went away"), "{error}");
        assert_eq!(store.get("kept")?, Some(b"old".to_vec()));
        assert_eq!(temp_files(&store)?, Vec::<String>::new());
        let exactly = store.set_from_reader("exact", &mut Pattern::new(max as u64), None)?;
        assert_eq!(exactly, max as u64, "a value of exactly the limit is taken");
    }
    Ok(())
}

/// A reader keeps reading the version it opened while writes replace the entry; a streamed
/// value keeps its TTL and is gone for readers once expired.
#[test]
fn readers_see_one_version_and_expiry_holds() -> TestResult {
    let root = tempfile::tempdir()?;
    for store in stores(root.path(), 32 << 20)? {
        store.set_from_reader("v", &mut Pattern::new(3 << 20), None)?;
        let mut reader = store.get_reader("v")?.ok_or("no reader")?;
        store.set("v", b"replaced", None)?;
        assert_eq!(PatternCheck::read_all(&mut reader)?, 3 << 20);
        assert_eq!(store.get("v")?, Some(b"replaced".to_vec()));

        let ttl = Duration::from_millis(300);
        store.set_from_reader("brief", &mut Pattern::new(1000), Some(ttl))?;
        if let Some(reader) = store.get_reader("brief")? {
            assert!(reader.expires_at().is_some());
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while store.get_reader("brief")?.is_some() {
            assert!(
                Instant::now() < deadline,
                "the streamed entry never expired"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}
