//! SQLite-only features: batches, vacuum, purge, shared files, the hard value limit, golden
//! format.

use anykv_core::{Error, KvStorage, KvStorageExt, SetEntry, Store};
use std::time::Duration;

use anykv_sqlite::{SqliteOptions, SqliteStorage};

fn open() -> SqliteStorage {
    SqliteStorage::open(SqliteOptions::temp_dir()).unwrap_or_else(|e| panic!("open: {e}"))
}

#[test]
fn batch_commits_on_ok_and_rolls_back_on_error() -> anykv_core::Result<()> {
    let store = open();
    store.batch(|b| {
        b.set("a", b"1", None)?;
        assert_eq!(b.get("a")?, Some(b"1".to_vec()));
        assert!(!b.set_if_absent("a", b"2", None)?);
        b.set("b", b"2", Some(Duration::from_secs(60)))
    })?;
    let failed: anykv_core::Result<()> = store.batch(|b| {
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
fn purge_removes_expired_rows_and_vacuum_runs() -> anykv_core::Result<()> {
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
fn namespaces_share_one_file_and_in_memory_databases() -> anykv_core::Result<()> {
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
fn hard_limit_comes_from_sqlite_and_options_lower_it() -> anykv_core::Result<()> {
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
fn frozen_format_golden() -> anykv_core::Result<()> {
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

/// A `:memory:` path (or a `file::memory:` URI) is one in-memory database, whole for every
/// thread: each pooled connection would otherwise open a private database of its own.
#[test]
fn memory_paths_are_one_database_for_every_thread() -> anykv_core::Result<()> {
    for path in [":memory:", "file::memory:"] {
        let store = SqliteStorage::open(SqliteOptions::path(path).pool_size(4))?;
        let failures: usize = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..16)
                .map(|t| {
                    let store = &store;
                    scope.spawn(move || {
                        (0..100)
                            .filter(|i| store.set(&format!("{t}/{i}"), b"v", None).is_err())
                            .count()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or(100)).sum()
        });
        assert_eq!(failures, 0, "{path}: {failures} of 1600 writes failed");
        assert_eq!(store.len()?, 1600, "{path}: writes lost");
    }
    Ok(())
}

fn size_on_disk(path: &std::path::Path) -> u64 {
    let wal = path.with_extension("sqlite-wal");
    [path.to_path_buf(), wal]
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum()
}

/// In WAL mode (the default) `vacuum()` shrinks the main file and the write-ahead log after most
/// entries are deleted.
#[test]
fn vacuum_shrinks_the_files_in_wal_mode() -> anykv_core::Result<()> {
    let dir = tempfile::tempdir().map_err(|e| Error::Config(e.to_string()))?;
    let path = dir.path().join("vacuum.sqlite");
    let store = SqliteStorage::open(SqliteOptions::path(&path))?;
    let value = vec![7u8; 2048];
    let keys: Vec<String> = (0..4000).map(|i| format!("k{i}")).collect();
    let entries: Vec<(&str, &[u8])> = keys.iter().map(|k| (k.as_str(), &value[..])).collect();
    store.set_many(&entries, None)?;
    store.vacuum()?;
    let full = size_on_disk(&path);
    assert!(full > 4000 * 2048, "the store holds {full} bytes on disk");
    let doomed: Vec<&str> = keys[..3600].iter().map(String::as_str).collect();
    assert_eq!(store.delete_many(&doomed)?, 3600);
    store.vacuum()?;
    let main = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let wal = std::fs::metadata(path.with_extension("sqlite-wal")).map_or(0, |m| m.len());
    assert!(
        main < full / 5,
        "after deleting 90% and vacuum the main file is {main} bytes of {full}"
    );
    assert!(wal < full / 20, "after vacuum the WAL file is {wal} bytes");
    assert_eq!(store.len()?, 400);
    Ok(())
}

/// A caller's panic inside a batch returns its connection to the pool (rolled back): more
/// panicking batches than the pool has connections, then normal operations still work.
#[test]
fn panicking_batches_do_not_lose_pool_connections() -> anykv_core::Result<()> {
    let dir = tempfile::tempdir().map_err(|e| Error::Config(e.to_string()))?;
    let store = SqliteStorage::open(SqliteOptions::path(dir.path().join("p.sqlite")).pool_size(2))?;
    for i in 0..6 {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.batch(|b| {
                b.set(&format!("half-done {i}"), b"x", None)?;
                panic!("caller code panics mid-batch");
                #[allow(unreachable_code)]
                Ok(())
            })
        }));
        assert!(outcome.is_err(), "the batch closure did not panic");
    }
    let (done, waited) = std::sync::mpsc::channel();
    let worker = {
        let store = store.clone();
        std::thread::spawn(move || {
            let outcome = store.set("after", b"1", None).and_then(|()| store.len());
            let _ = done.send(outcome);
        })
    };
    let outcome = waited
        .recv_timeout(Duration::from_secs(120))
        .unwrap_or_else(|_| panic!("a write after panicking batches never got a connection"));
    assert_eq!(
        outcome?, 1,
        "a panicking batch committed its half-done write"
    );
    worker.join().unwrap_or_else(|_| panic!("worker panicked"));
    Ok(())
}

/// A row another tool wrote with a TEXT key (as the `sqlite3` shell does) is reported once, as
/// an error naming it, and hides none of the 600 good entries from `keys`, `items` or `len`.
#[test]
fn a_text_key_written_by_another_tool_hides_nothing() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("shared.db");
    let store = SqliteStorage::open(SqliteOptions::path(&path).namespace("scan"))
        .map_err(|e| e.to_string())?;
    let good = anykv_test_support::write_good_entries(&store, 600).map_err(|e| e.to_string())?;
    let other_tool = rusqlite::Connection::open(&path).map_err(|e| e.to_string())?;
    other_tool
        .execute(
            "INSERT INTO kv_scan (key, value, expires_at) VALUES ('planted by sqlite3', X'00', NULL)",
            [],
        )
        .map_err(|e| e.to_string())?;
    anykv_test_support::assert_bad_entry_reported(&store, &good, "planted by sqlite3")
}

/// A write that waits past the busy timeout for another connection's lock fails with a
/// retryable "timed out" error and writes nothing; once the lock is gone the same call works.
#[test]
fn a_locked_database_times_out_retryably() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("locked.db");
    let store = SqliteStorage::open(
        SqliteOptions::path(&path)
            .namespace("locked")
            .busy_timeout(Duration::from_millis(200)),
    )?;
    let holder = rusqlite::Connection::open(&path)?;
    holder.execute_batch("BEGIN EXCLUSIVE")?;
    let error = store.set("k", b"v", None).err();
    assert!(
        error
            .as_ref()
            .is_some_and(|e| e.kind() == anykv_core::ErrorKind::TimedOut && e.is_retryable()),
        "{error:?}"
    );
    holder.execute_batch("ROLLBACK")?;
    store.set("k", b"v", None)?;
    assert_eq!(store.get("k")?, Some(b"v".to_vec()));
    Ok(())
}

/// `keys()` reads the key index alone and leaves out the expired entries the table still
/// holds: a few (remembered up front) and more than it remembers (then it falls back to the
/// scan, which filters in SQL). Live keys are listed once each, in order, around them.
#[test]
fn keys_leave_out_expired_entries_the_table_still_holds() -> anykv_core::Result<()> {
    for expired in [10usize, 5000] {
        let store = open();
        let live: Vec<String> = (0..1500).map(|i| format!("k{:05}", 2 * i)).collect();
        let gone: Vec<String> = (0..expired).map(|i| format!("k{:05}", 2 * i + 1)).collect();
        for chunk in gone.chunks(500) {
            let entries: Vec<(&str, &[u8])> =
                chunk.iter().map(|k| (k.as_str(), &b"x"[..])).collect();
            store.set_many(&entries, Some(Duration::from_millis(1)))?;
        }
        for chunk in live.chunks(500) {
            let entries: Vec<(&str, &[u8])> =
                chunk.iter().map(|k| (k.as_str(), &b"x"[..])).collect();
            store.set_many(&entries, None)?;
        }
        // Every expired entry's deadline was at most 1 ms after its write, which has returned.
        std::thread::sleep(Duration::from_millis(10));
        let listed = store.keys()?.collect::<anykv_core::Result<Vec<String>>>()?;
        assert_eq!(listed, live, "with {expired} expired entries held");
        assert_eq!(store.len()?, live.len());
    }
    Ok(())
}

/// A read-only store reads what another wrote, refuses every write as permission denied
/// naming the file (changing nothing), creates nothing (a namespace or a file it does not find
/// is "not found"), and refuses size caps and in-memory databases.
#[test]
fn read_only_stores_read_and_refuse_writes() -> anykv_core::Result<()> {
    use anykv_core::ErrorKind;
    let dir = tempfile::tempdir().map_err(|e| Error::Config(e.to_string()))?;
    let path = dir.path().join("shared.sqlite");
    let writer = SqliteStorage::open(SqliteOptions::path(&path).namespace("pages"))?;
    writer.set("home", b"<html>", Some(Duration::from_secs(3600)))?;
    writer.set("about", b"<p>", None)?;
    let url = |params: &str| format!("sqlite://{}?{params}", path.display());
    let reader = SqliteStorage::open(SqliteOptions::from_url(&url(
        "namespace=pages&read_only=true",
    ))?)?;
    assert_eq!(reader.get("home")?, Some(b"<html>".to_vec()));
    assert_eq!(reader.len()?, 2);
    assert_eq!(reader.keys()?.count(), 2);
    let refusals = [
        reader.set("home", b"changed", None).err(),
        reader
            .compare_and_set("home", Some(b"<html>"), b"x", None)
            .err(),
        reader.delete("about").err(),
        reader.clear().err(),
    ];
    for refused in refusals {
        let refused = refused.unwrap_or_else(|| panic!("a read-only store wrote"));
        assert_eq!(refused.kind(), ErrorKind::PermissionDenied, "{refused}");
        assert!(
            refused.to_string().contains(&path.display().to_string()),
            "{refused}"
        );
    }
    assert_eq!(writer.get("home")?, Some(b"<html>".to_vec()));
    assert_eq!(writer.len()?, 2);

    let missing = SqliteStorage::open(SqliteOptions::from_url(&url(
        "namespace=other&read_only=1",
    ))?)
    .err()
    .unwrap_or_else(|| panic!("a read-only store created a namespace"));
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    assert!(missing.to_string().contains("\"other\""), "{missing}");
    let absent = dir.path().join("absent.sqlite");
    let no_file = SqliteStorage::open(SqliteOptions::path(&absent).read_only(true))
        .err()
        .unwrap_or_else(|| panic!("a read-only store created a file"));
    assert_eq!(no_file.kind(), ErrorKind::NotFound, "{no_file}");
    assert!(!absent.exists());
    for refused in [
        SqliteOptions::in_memory().read_only(true),
        SqliteOptions::path(&path).read_only(true).max_entries(10),
    ] {
        let error = SqliteStorage::open(refused).err();
        assert!(matches!(error, Some(Error::Config(_))), "{error:?}");
    }
    Ok(())
}

/// `pragma.<name>=<value>` runs on every connection (here `max_page_count` caps the file, so a
/// large write fails as a limit); names and values that are not plain are refused at open.
#[test]
fn pragmas_by_url_apply_to_every_connection() -> anykv_core::Result<()> {
    use anykv_core::ErrorKind;
    let dir = tempfile::tempdir().map_err(|e| Error::Config(e.to_string()))?;
    let path = dir.path().join("capped.sqlite");
    let url = format!(
        "sqlite://{}?pragma.max_page_count=64&pragma.cache_size=-2000",
        path.display()
    );
    let store = SqliteStorage::open(SqliteOptions::from_url(&url)?)?;
    store.set("small", b"fits", None)?;
    let refused = store
        .set("large", &vec![7u8; 1 << 20], None)
        .err()
        .unwrap_or_else(|| panic!("a 1 MiB value fit in 64 pages"));
    assert_eq!(refused.kind(), ErrorKind::LimitExceeded, "{refused}");
    assert_eq!(store.get("small")?, Some(b"fits".to_vec()));
    for bad in [
        "pragma.cache-size=1",
        "pragma.cache_size=1;DROP",
        "pragma.x=a%20b",
    ] {
        let said = SqliteOptions::from_url(&format!("sqlite://{}?{bad}", path.display()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| panic!("{bad} was accepted"));
        assert!(said.contains("pragma"), "{bad}: {said}");
    }
    Ok(())
}

/// `vacuum_on_clear` gives a cleared namespace's space back to the file system, where a plain
/// `clear` leaves the file as large (its pages free for reuse); `size_of=file` makes `size()`
/// report the database's files on disk.
#[test]
fn clear_gives_the_space_back_when_asked_and_size_can_be_the_file() -> anykv_core::Result<()> {
    let dir = tempfile::tempdir().map_err(|e| anykv_core::Error::Config(e.to_string()))?;
    let value = vec![7u8; 4096];
    let fill = |store: &SqliteStorage| -> anykv_core::Result<()> {
        let keys: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
        let entries: Vec<SetEntry<'_>> = keys
            .iter()
            .map(|k| SetEntry::new(k, &value, None))
            .collect();
        store.set_entries(&entries)
    };
    for (vacuum, label) in [(false, "plain"), (true, "vacuum")] {
        let path = dir.path().join(format!("{label}.db"));
        let url = format!(
            "sqlite://{}?vacuum_on_clear={vacuum}&size_of=file",
            path.display()
        );
        let store = SqliteStorage::open(SqliteOptions::from_url(&url)?)?;
        fill(&store)?;
        let full = store.file_size()?.unwrap_or(0);
        assert!(full > 4_000_000, "{label}: {full} bytes for 4 MB of values");
        assert_eq!(
            store.size()?,
            Some(full),
            "{label}: size_of=file reports the files"
        );
        store.clear()?;
        let after = store.file_size()?.unwrap_or(0);
        if vacuum {
            assert!(
                after < 200_000,
                "vacuum_on_clear left {after} bytes of {full}"
            );
        } else {
            assert!(
                after >= 4_000_000,
                "a plain clear shrank the file to {after} bytes"
            );
        }
        assert_eq!(store.len()?, 0);
        store.set("after", b"v", None)?;
        assert_eq!(store.get("after")?, Some(b"v".to_vec()));
    }
    let entries = SqliteStorage::open(SqliteOptions::in_memory())?;
    entries.set("k", b"abc", None)?;
    assert_eq!(
        entries.size()?,
        Some(4),
        "the entries' keys and values by default"
    );
    assert_eq!(
        entries.file_size()?,
        None,
        "an in-memory database has no file"
    );
    let bad = SqliteOptions::from_url("sqlite::memory:?size_of=pages").err();
    assert!(bad.is_some_and(|e| e.to_string().contains("size_of")));
    Ok(())
}
