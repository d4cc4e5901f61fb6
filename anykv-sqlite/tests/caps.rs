//! Size caps on SQLite beyond the conformance checks: the usage row stays exact whoever
//! writes, reads through `get_many` count as uses, evictions are counted, URLs set the caps.

use anykv_core::{KvStorage, KvStorageExt, SetEntry, Store};
use std::time::Duration;

use anykv_sqlite::{SqliteOptions, SqliteStorage};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn key(i: usize) -> String {
    format!("k{i:03}")
}

/// The usage a capped handle reads from its usage row equals what an uncapped handle counts
/// from the rows themselves, after every kind of write through both handles.
#[test]
fn the_usage_row_follows_every_write_from_any_handle() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("db.sqlite");
    let uncapped = SqliteStorage::open(SqliteOptions::path(&path).namespace("n"))?;
    uncapped.set("before", b"written before the caps", None)?;
    let capped = SqliteStorage::open(
        SqliteOptions::path(&path)
            .namespace("n")
            .max_entries(1_000_000),
    )?;
    let agree = |step: &str| -> TestResult {
        let (counted, held) = (uncapped.size()?, capped.size()?);
        assert_eq!(held, counted, "size after {step}");
        let (counted, held) = (
            uncapped.len_including_expired()?,
            capped.len_including_expired()?,
        );
        assert_eq!(held, counted, "len_including_expired after {step}");
        Ok(())
    };
    agree("opening")?;
    for (i, store) in [&uncapped, &capped].into_iter().enumerate() {
        store.set(&key(i), &vec![1u8; 100 + i], None)?;
        store.set(&key(i), &[2u8; 7], None)?;
        store.set_if_absent(&key(10 + i), b"abc", Some(Duration::from_millis(1)))?;
        store.compare_and_set(&key(i), Some(&[2u8; 7]), &[3u8; 5000], None)?;
        store.set_many(
            &[(key(20 + i).as_str(), &b"xy"[..]), ("shared", b"s")],
            None,
        )?;
        store.set_entries(&[SetEntry::new("entry", b"e", None)])?;
        agree("writes")?;
        store.delete(&key(20 + i))?;
        store.pop("shared")?;
        store.compare_and_delete("entry", b"e")?;
        agree("deletes")?;
    }
    std::thread::sleep(Duration::from_millis(5));
    capped.purge_expired()?;
    agree("purge_expired")?;
    capped.batch(|batch| {
        batch.set("in batch", b"1234", None)?;
        batch.delete(&key(0))?;
        Ok(())
    })?;
    agree("batch")?;
    uncapped.clear()?;
    agree("clear")?;
    assert_eq!(capped.size()?, Some(0));
    Ok(())
}

/// Keys read with `get_many` are used: they outlive older entries read by nobody.
#[test]
fn get_many_reads_keep_entries() -> TestResult {
    let store = SqliteStorage::open(SqliteOptions::in_memory().max_entries(50))?;
    for i in 0..50 {
        store.set(&key(i), b"v", None)?;
    }
    let found = store.get_many(&[&key(0), &key(1), &key(2), "missing"])?;
    assert_eq!(found.iter().filter(|v| v.is_some()).count(), 3);
    for i in 50..60 {
        store.set(&key(i), b"v", None)?;
    }
    for i in 0..3 {
        assert!(store.contains(&key(i))?, "{} was read and evicted", key(i));
    }
    assert!(
        !store.contains(&key(3))?,
        "the least recently used entry stayed"
    );
    assert!(store.evictions() >= 6, "{} evictions", store.evictions());
    assert!(store.len()? <= 50);
    Ok(())
}

/// More distinct keys read than are kept pending: the reads are stamped at once, and the
/// store still evicts in order.
#[test]
fn many_reads_are_stamped_without_a_write() -> TestResult {
    let store = SqliteStorage::open(SqliteOptions::temp_dir().max_entries(10_000))?;
    let keys: Vec<String> = (0..5000).map(key).collect();
    let entries: Vec<(&str, &[u8])> = keys.iter().map(|k| (k.as_str(), &b"v"[..])).collect();
    store.set_many(&entries, None)?;
    for k in keys.iter().rev() {
        assert!(store.get(k)?.is_some());
    }
    assert_eq!(store.len()?, 5000);
    Ok(())
}

/// `max_entries` and `max_bytes` in a URL cap the store; a value over the byte cap is refused.
#[test]
fn url_parameters_set_the_caps() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?max_entries=20&max_bytes=100000",
        dir.path().join("u.db").display()
    );
    let store = SqliteStorage::open(SqliteOptions::from_url(&url)?)?;
    assert_eq!(store.max_value_len(), 100_000);
    for i in 0..30 {
        store.set(&key(i), b"v", None)?;
    }
    assert!(store.len()? <= 20, "len {} over the cap", store.len()?);
    assert!(store.set("big", &[0u8; 100_001], None).is_err());
    let namespace = store.namespace("other")?;
    for i in 0..30 {
        namespace.set(&key(i), b"v", None)?;
    }
    assert!(namespace.len()? <= 20, "another namespace keeps the caps");
    Ok(())
}
