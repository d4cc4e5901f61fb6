//! SQLite-only features: batches, vacuum, purge, shared files, the hard value limit, golden
//! format.

use std::time::Duration;

use storage_core::{Error, KvStorage};
use storage_sqlite::{SqliteOptions, SqliteStorage};

fn open() -> SqliteStorage {
    SqliteStorage::open(SqliteOptions::temp_dir()).unwrap_or_else(|e| panic!("open: {e}"))
}

#[test]
fn batch_commits_on_ok_and_rolls_back_on_error() -> storage_core::Result<()> {
    let store = open();
    store.batch(|b| {
        b.set("a", b"1", None)?;
        assert_eq!(b.get("a")?, Some(b"1".to_vec()));
        assert!(!b.set_if_absent("a", b"2", None)?);
        b.set("b", b"2", Some(Duration::from_secs(60)))
    })?;
    let failed: storage_core::Result<()> = store.batch(|b| {
        b.set("c", b"3", None)?;
        assert!(b.delete("a")?);
        Err(Error::Config("abort".into()))
    });
    assert!(failed.is_err());
    assert_eq!(
        store.get("a")?,
        Some(b"1".to_vec()),
        "rolled-back delete took effect"
    );
    assert!(!store.contains("c")?, "rolled-back write took effect");
    Ok(())
}

#[test]
fn purge_removes_expired_rows_and_vacuum_runs() -> storage_core::Result<()> {
    let store = open();
    store.set("gone", b"x", Some(Duration::from_millis(1)))?;
    store.set("kept", b"x", None)?;
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(store.purge_expired()?, 1);
    assert_eq!(store.purge_expired()?, 0);
    store.vacuum()?;
    assert_eq!(store.len()?, 1);
    Ok(())
}

#[test]
fn namespaces_share_one_file_and_in_memory_databases() -> storage_core::Result<()> {
    let memory = SqliteStorage::open(SqliteOptions::in_memory())?;
    let other = memory.namespace("other")?;
    memory.set("k", b"default", None)?;
    other.set("k", b"other", None)?;
    assert_eq!(memory.get("k")?, Some(b"default".to_vec()));
    assert_eq!(other.get("k")?, Some(b"other".to_vec()));
    assert!(matches!(
        memory.namespace("x\"; DROP TABLE"),
        Err(Error::InvalidNamespace { .. })
    ));
    Ok(())
}

#[test]
fn hard_limit_comes_from_sqlite_and_options_lower_it() -> storage_core::Result<()> {
    let store = open();
    assert!(
        store.max_value_len() > 900_000_000,
        "SQLite's default limit is 1e9 bytes"
    );
    let small = SqliteStorage::open(SqliteOptions::in_memory().max_value_len(10))?;
    let error = small.set("k", &[0; 11], None).err();
    assert!(
        matches!(
            error,
            Some(Error::ValueTooLarge {
                max: 10,
                backend: "sqlite",
                ..
            })
        ),
        "{error:?}"
    );
    Ok(())
}

/// Frozen format: a database written with this schema stays readable.
#[test]
fn frozen_format_golden() -> storage_core::Result<()> {
    let dir = tempfile::tempdir().map_err(|e| Error::Config(e.to_string()))?;
    let path = dir.path().join("golden.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).map_err(|e| Error::Config(e.to_string()))?;
        conn.execute_batch(
            "CREATE TABLE \"kv_default\" (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL, expires_at INTEGER);
             INSERT INTO \"kv_default\" VALUES (X'6B6579', X'76616C7565', NULL);
             INSERT INTO \"kv_default\" VALUES (X'', X'', 32503680000000);
             INSERT INTO \"kv_default\" VALUES (X'6F6C64', X'00', 1000);",
        )
        .map_err(|e| Error::Config(e.to_string()))?;
    }
    let store = SqliteStorage::open_path(&path)?;
    assert_eq!(store.get("key")?, Some(b"value".to_vec()));
    assert_eq!(store.get("")?, Some(Vec::new()));
    assert_eq!(store.get("old")?, None, "expired in 1970");
    assert_eq!(store.len()?, 2);
    Ok(())
}
