//! [`SqliteStorage`]: the [`KvStorage`] implementation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anykv_core::caps::SizeCaps;
use anykv_core::limits::{check_entry, check_key};
use anykv_core::pagination::{paginate_pages, Page, DEFAULT_PAGE_SIZE};
use anykv_core::time::expiry_from_ttl;
use anykv_core::{
    At, BoxIter, Entry, Error, ErrorKind, Expiry, KeyRange, KvStorage, Namespace, Record,
    RecordIter, Result, Scan, SetEntry, SortBy, SortedEntry, Store, StoreInfo, Timestamp,
};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use crate::caps::Capped;
use crate::config::{Location, SizeOf, SqliteOptions};
use crate::connection::{connect, is_memory_path, retry_busy};
use crate::error::{db_error, BACKEND};
use crate::key_listing;
use crate::sql::{Lower, PageBounds, Sql, MAX_IN_PARAMS};
use crate::transaction::{
    delete_entry, execute_write, read_entry, read_held_entry, write_entry, SqliteBatch,
};
use anykv_core::pool::Pool;

/// Room kept in a row for the key and the expiry column when computing the value limit.
const ROW_OVERHEAD: usize = anykv_core::MAX_KEY_LEN + 64;

/// One database file (or in-memory database) and its connections, shared by its stores.
struct Database {
    pool: Pool<Connection>,
    path: Option<PathBuf>,
    /// Opened read-only: tables are looked for, never created.
    read_only: bool,
    /// `clear()` ends with a `VACUUM`.
    vacuum_on_clear: bool,
    /// What `size()` reports.
    size_of: SizeOf,
    hard_max_value: usize,
    /// Keeps a temporary directory alive as long as a store uses it.
    _temp_dir: Option<tempfile::TempDir>,
}

impl Database {
    /// Runs `work` with a connection of the pool; its errors name the database file.
    fn with<R>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<R>,
    ) -> Result<R> {
        self.pool
            .with(operation, work)
            .map_err(|error| match &self.path {
                Some(path) => error.at(path.display().to_string()),
                None => error,
            })
    }
}

/// A [`KvStorage`] in one table of a SQLite database.
///
/// Each namespace is a table `kv_<namespace>` with columns `key BLOB PRIMARY KEY`,
/// `value BLOB`, `expires_at INTEGER` (ms since the Unix epoch) and a partial index on
/// `expires_at`. Several stores share one file: open them with [`SqliteOptions`] naming the same
/// path, or call [`namespace`](Self::namespace) on an open store to share its connections.
///
/// Every operation is one statement (`get`, `set`, `set_if_absent` as an upsert with a
/// condition, `compare_and_set` / `compare_and_delete` as an `UPDATE` / `DELETE` whose `WHERE`
/// compares the value, `delete`/`pop` with `RETURNING`, `len` as `COUNT(*)`); bulk calls run in one
/// transaction with `IN (…)` lists of up to 500 keys; scans read pages of 256 rows by key.
/// Statements are prepared once per connection and cached.
#[derive(Clone)]
pub struct SqliteStorage {
    db: Arc<Database>,
    sql: Arc<Sql>,
    namespace: Namespace,
    max_value_len: usize,
    /// The size caps, when the store has any.
    capped: Option<Arc<Capped>>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database and the namespace's table.
    pub fn open(options: SqliteOptions) -> Result<Self> {
        let namespace = Namespace::new(options.namespace.as_str())?;
        options.check_pragmas()?;
        if options.read_only {
            if !matches!(options.location, Location::Path(_) | Location::CacheDir(_)) {
                return Err(Error::Config(
                    "read_only needs a database file another store has written".into(),
                ));
            }
            if options.caps.is_set() {
                return Err(Error::Config(
                    "read_only and size caps do not go together: a read-only store evicts nothing"
                        .into(),
                ));
            }
        }
        let (path, temp_dir) = match &options.location {
            Location::Memory => (None, None),
            Location::Path(path) => (Some(path.clone()), None),
            Location::CacheDir(app) => (Some(SqliteOptions::cache_file(app)?), None),
            Location::TempDir => {
                let dir = tempfile::tempdir()
                    .map_err(|e| Error::backend(BACKEND, "open", ErrorKind::of_io(&e), e))?;
                (Some(dir.path().join("storage.sqlite")), Some(dir))
            }
        };
        if let Some(parent) = path.as_deref().and_then(Path::parent) {
            if !parent.as_os_str().is_empty() && !options.read_only {
                std::fs::create_dir_all(parent).map_err(|e| {
                    let kind = ErrorKind::of_io(&e);
                    Error::backend(
                        BACKEND,
                        "open",
                        kind,
                        At::new(parent.display().to_string(), e),
                    )
                })?;
            }
        }
        // Every connection to `:memory:` (or a `mode=memory` URI) opens a database of its own:
        // such a path gets one connection, as `in_memory()` does, never a half-shared store.
        let in_memory = path.as_deref().is_none_or(is_memory_path);
        let pool_size = if in_memory { 1 } else { options.pool_size };
        let open = {
            let (path, options) = (path.clone(), options.clone());
            move || connect(path.as_deref(), &options)
        };
        let place = path.as_deref().map(|path| path.display().to_string());
        let name_path = |error: Error| match &place {
            Some(place) => error.at(place.clone()),
            None => error,
        };
        let first = open().map_err(name_path)?;
        let hard_max_value = first
            .limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH)
            .map_err(db_error("open"))
            .map(usize::try_from)?
            .unwrap_or(0)
            .saturating_sub(ROW_OVERHEAD);
        // A caller waits for a connection as long as SQLite waits for a lock: one timeout rule.
        let pool = Pool::new(BACKEND, pool_size, options.busy_timeout, open)
            .with_first(first)
            .with_recycle(|conn: &mut Connection| {
                // A transaction left open (an error or a panic) is never handed on.
                conn.is_autocommit() || conn.execute_batch("ROLLBACK").is_ok()
            });
        let db = Arc::new(Database {
            pool,
            path,
            read_only: options.read_only,
            vacuum_on_clear: options.vacuum_on_clear,
            size_of: options.size_of,
            hard_max_value,
            _temp_dir: temp_dir,
        });
        let max_value_len = options
            .max_value_len
            .map_or(hard_max_value, |max| max.min(hard_max_value));
        Self::with_table(db, namespace, max_value_len, options.caps)
    }

    /// Opens the default namespace of the database file at `path`.
    pub fn open_path(path: impl Into<PathBuf>) -> Result<Self> {
        Self::open(SqliteOptions::path(path))
    }

    fn with_table(
        db: Arc<Database>,
        namespace: Namespace,
        max_value_len: usize,
        caps: SizeCaps,
    ) -> Result<Self> {
        let sql = Arc::new(Sql::new(&namespace));
        if db.read_only {
            let found = db.with("open", |conn| {
                conn.query_row(&sql.table_exists, [], |row| row.get::<_, bool>(0))
                    .map_err(db_error("open"))
            })?;
            if !found {
                let error = Error::backend(
                    BACKEND,
                    "open",
                    ErrorKind::NotFound,
                    format!(
                        "no namespace {:?} in this database (opened read-only: nothing is created)",
                        namespace.as_str()
                    ),
                );
                return Err(match &db.path {
                    Some(path) => error.at(path.display().to_string()),
                    None => error,
                });
            }
        } else {
            db.with("create table", |conn| {
                retry_busy(|| conn.execute_batch(&sql.create)).map_err(db_error("create table"))
            })?;
        }
        let capped = caps
            .is_set()
            .then(|| Arc::new(Capped::new(&namespace, caps)));
        let store = SqliteStorage {
            db,
            sql,
            namespace,
            max_value_len: caps.max_value_len(max_value_len),
            capped,
        };
        if let Some(capped) = &store.capped {
            store.write_transaction("install size caps", |tx| {
                capped.install(tx).map_err(db_error("install size caps"))
            })?;
        }
        Ok(store)
    }

    /// Another namespace (table) of the same database, sharing this store's connections.
    pub fn namespace(&self, namespace: &str) -> Result<Self> {
        Self::with_table(
            self.db.clone(),
            Namespace::new(namespace)?,
            self.max_value_len,
            self.capped.as_ref().map(|c| c.caps()).unwrap_or_default(),
        )
    }

    /// How many entries writes through this store (and its clones) evicted to keep within its
    /// caps ([`SqliteOptions::max_entries`], [`SqliteOptions::max_bytes`]); expired entries
    /// removed for it are not counted.
    pub fn evictions(&self) -> u64 {
        self.capped.as_ref().map_or(0, |capped| capped.evicted())
    }

    /// This store's namespace.
    pub fn namespace_name(&self) -> &str {
        self.namespace.as_str()
    }

    /// The database file, `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        self.db.path.as_deref()
    }

    /// Runs `work` in one write transaction (`BEGIN IMMEDIATE`): committed if it returns `Ok`,
    /// rolled back otherwise. Like requests-cache's `bulk_commit`, for many writes at once.
    ///
    /// ```
    /// use anykv_sqlite::{SqliteOptions, SqliteStorage};
    /// let store = SqliteStorage::open(SqliteOptions::in_memory())?;
    /// store.batch(|batch| {
    ///     for i in 0..100 {
    ///         batch.set(&format!("k{i}"), b"v", None)?;
    ///     }
    ///     Ok(())
    /// })?;
    /// # Ok::<(), anykv_core::Error>(())
    /// ```
    pub fn batch<R>(&self, work: impl FnOnce(&SqliteBatch<'_>) -> Result<R>) -> Result<R> {
        self.capped_write_transaction("batch", None, |tx| {
            work(&SqliteBatch::new(tx, &self.sql, self.max_value_len))
        })
    }

    /// Rebuilds the database file to reclaim free space (`VACUUM`), and truncates the write-ahead
    /// log before and after, so that the main file and the `-wal` file both shrink. (`clear()`
    /// deletes rows and leaves their pages free for reuse; the file shrinks only on `vacuum()`.)
    pub fn vacuum(&self) -> Result<()> {
        self.db.with("vacuum", |conn| {
            conn.execute_batch(
                "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
            )
            .map_err(db_error("vacuum"))
        })
    }

    /// The bytes the database takes on disk: its file and, when they exist, its `-wal` and
    /// `-shm` files (every namespace, and SQLite's free pages); `None` for an in-memory
    /// database.
    pub fn file_size(&self) -> Result<Option<u64>> {
        let Some(path) = self.db.path.as_deref().filter(|path| !is_memory_path(path)) else {
            return Ok(None);
        };
        let mut total = 0;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::metadata(&file) {
                Ok(meta) => total += meta.len(),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    let kind = ErrorKind::of_io(&error);
                    let place = PathBuf::from(file).display().to_string();
                    return Err(Error::backend(BACKEND, "size", kind, At::new(place, error)));
                }
            }
        }
        Ok(Some(total))
    }

    fn check_write(&self, key: &str, value: &[u8]) -> Result<()> {
        check_entry(BACKEND, key, value, self.max_value_len)
    }

    fn write_transaction<R>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<R>,
    ) -> Result<R> {
        self.db.with(operation, |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db_error(operation))?;
            let result = work(&tx)?;
            tx.commit().map_err(db_error(operation))?;
            Ok(result)
        })
    }

    /// Runs a write: as it is without caps; with caps, in a write transaction that first stamps
    /// the pending reads and then brings the table within its caps, sparing `keep`.
    fn write<R>(
        &self,
        operation: &'static str,
        keep: Option<&str>,
        work: impl FnOnce(&Connection) -> Result<R>,
    ) -> Result<R> {
        match self.capped {
            None => self.db.with(operation, |conn| work(conn)),
            Some(_) => self.capped_write_transaction(operation, keep, |tx| work(tx)),
        }
    }

    /// [`write_transaction`](Self::write_transaction), stamping pending reads first and
    /// enforcing the caps last when the store has any.
    fn capped_write_transaction<R>(
        &self,
        operation: &'static str,
        keep: Option<&str>,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<R>,
    ) -> Result<R> {
        self.write_transaction(operation, |tx| {
            if let Some(capped) = &self.capped {
                capped.stamp_reads(tx)?;
            }
            let result = work(tx)?;
            if let Some(capped) = &self.capped {
                capped.enforce(tx, &self.sql.purge, keep)?;
            }
            Ok(result)
        })
    }

    /// Records that `key` was read, for the caps' recency (no-op without caps).
    fn used(&self, key: &str) -> Result<()> {
        match &self.capped {
            Some(capped) if capped.record_read(key) => {
                self.write_transaction("stamp reads", |tx| capped.stamp_reads(tx))
            }
            _ => Ok(()),
        }
    }

    fn read<R>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R> {
        self.db
            .with(operation, |conn| work(conn).map_err(db_error(operation)))
    }

    fn page(
        &self,
        with_values: bool,
        expired_too: bool,
        range: &KeyRange,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page> {
        // Every row is live "after the beginning of time": expired rows are listed too.
        let now = if expired_too {
            i64::MIN
        } else {
            Timestamp::now().as_millis()
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (lower, low) = match after {
            Some(after) => (Lower::Exclusive, after),
            None if range.is_everything() => (Lower::None, ""),
            None => (Lower::Inclusive, range.start.as_str()),
        };
        let high = range.end.as_deref();
        let bounds = PageBounds {
            lower,
            upper: high.is_some(),
        };
        // Read as SQLite stored them: a row written by other tools (a TEXT key or value) is
        // reported as a bad entry in its place, never a failed page.
        let rows = self.read("scan", |conn| {
            let mut rows = Vec::new();
            let mut push = |row: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
                rows.push((
                    row.get::<_, SqlValue>(0)?,
                    row.get::<_, SqlValue>(1)?,
                    row.get::<_, SqlValue>(2)?,
                ));
                Ok(())
            };
            let mut stmt = conn.prepare_cached(self.sql.page(bounds, with_values))?;
            let mut cursor = match (lower, high) {
                (Lower::None, None) => stmt.query(params![now, limit])?,
                (Lower::None, Some(high)) => {
                    stmt.query(params![now, limit, low.as_bytes(), high.as_bytes()])?
                }
                (_, None) => stmt.query(params![now, limit, low.as_bytes()])?,
                (_, Some(high)) => {
                    stmt.query(params![now, limit, low.as_bytes(), high.as_bytes()])?
                }
            };
            while let Some(row) = cursor.next()? {
                push(row)?;
            }
            Ok(rows)
        })?;
        // The cursor is the last key as stored, copied once per page.
        let last_key = rows.last().map(|(key, _, _)| scanned_key(key.clone()).0);
        let entries = rows
            .into_iter()
            .map(|(key, value, expires_at)| {
                let (key, bad_key) = scanned_key(key);
                record_from_row(key, bad_key, value, expires_at, with_values)
            })
            .collect();
        Ok(Page::new(entries, last_key))
    }
}

/// A scanned key as text, and why it is bad if it is: keys are stored as BLOBs of UTF-8, and a
/// row with any other key (a TEXT key, as the `sqlite3` shell writes) cannot be reached by
/// `get`.
fn scanned_key(key: SqlValue) -> (String, Option<&'static str>) {
    match key {
        SqlValue::Blob(bytes) => match String::from_utf8(bytes) {
            Ok(key) => (key, None),
            Err(e) => (
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                Some("stored key is not UTF-8"),
            ),
        },
        SqlValue::Text(key) => (
            key,
            Some("key stored as TEXT, not BLOB: get cannot reach it"),
        ),
        SqlValue::Integer(n) => (n.to_string(), Some("key stored as INTEGER, not BLOB")),
        SqlValue::Real(n) => (n.to_string(), Some("key stored as REAL, not BLOB")),
        SqlValue::Null => (String::new(), Some("NULL key")),
    }
}

/// One scanned row as a record, or the error naming its entry.
fn record_from_row(
    key: String,
    bad_key: Option<&'static str>,
    value: SqlValue,
    expires_at: SqlValue,
    with_value: bool,
) -> Result<Record> {
    if let Some(reason) = bad_key {
        return Err(Error::corrupt(&key, reason));
    }
    let expires_at = match expires_at {
        SqlValue::Null => None,
        SqlValue::Integer(at) => Some(Timestamp::from_millis(at)),
        _ => return Err(Error::corrupt(&key, "expires_at is not an INTEGER")),
    };
    let value = match (with_value, value) {
        (false, _) => None,
        (true, SqlValue::Blob(value)) => Some(value),
        (true, _) => return Err(Error::corrupt(&key, "value is not a BLOB")),
    };
    Ok(Record {
        key,
        value,
        expires_at,
    })
}

impl Store for SqliteStorage {
    fn info(&self) -> StoreInfo<'_> {
        StoreInfo::new(BACKEND)
            .max_value_len(self.max_value_len)
            .namespace(self.namespace.as_str())
    }
}

impl KvStorage for SqliteStorage {
    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        let entry = self.read("get", |conn| read_entry(conn, &self.sql, key))?;
        if entry.is_some() {
            self.used(key)?;
        }
        Ok(entry)
    }

    fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        let entry = self.read("get_stale", |conn| read_held_entry(conn, &self.sql, key))?;
        if entry.is_some() {
            self.used(key)?;
        }
        Ok(entry)
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.check_write(key, value)?;
        self.write("set", Some(key), |conn| {
            write_entry(conn, &self.sql.set, key, value, ttl, false).map(drop)
        })
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.check_write(key, value)?;
        self.write("set_if_absent", Some(key), |conn| {
            write_entry(conn, &self.sql.set_if_absent, key, value, ttl, true)
        })
    }

    fn increment(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64> {
        check_key(key)?;
        let created_expiry = expiry_from_ttl(ttl, Timestamp::now())?;
        // Read and write in one write transaction: no other writer comes between them.
        let add = |conn: &Connection| -> Result<i64> {
            let live = read_entry(conn, &self.sql, key).map_err(db_error("increment"))?;
            let stored = live.as_ref().map(|entry| entry.value.as_slice());
            let value = anykv_core::counter::next(BACKEND, key, stored, by)?;
            let expires_at = live.map_or(created_expiry, |entry| entry.expires_at);
            conn.prepare_cached(&self.sql.set)
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        key.as_bytes(),
                        anykv_core::counter::encode(value),
                        expires_at.map(Timestamp::as_millis)
                    ])
                })
                .map_err(db_error("increment"))?;
            Ok(value)
        };
        match self.capped {
            None => self.write_transaction("increment", |tx| add(tx)),
            Some(_) => self.write("increment", Some(key), add),
        }
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let Some(expected) = expected else {
            return self.set_if_absent(key, value, ttl);
        };
        self.check_write(key, value)?;
        let now = Timestamp::now();
        let expires_at = expiry_from_ttl(ttl, now)?.map(Timestamp::as_millis);
        let changed = self.write("compare_and_set", Some(key), |conn| {
            conn.prepare_cached(&self.sql.set_if_value)
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        key.as_bytes(),
                        value,
                        expires_at,
                        now.as_millis(),
                        expected
                    ])
                })
                .map_err(db_error("compare_and_set"))
        })?;
        Ok(changed > 0)
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let changed = self.read("compare_and_delete", |conn| {
            conn.prepare_cached(&self.sql.delete_if_value)?
                .execute(params![
                    key.as_bytes(),
                    expected,
                    Timestamp::now().as_millis()
                ])
        })?;
        Ok(changed > 0)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        self.read("delete", |conn| delete_entry(conn, &self.sql, key))
    }

    fn scan(&self, scan: Scan<'_>) -> Result<RecordIter<'_>> {
        let range = scan.key_range();
        let (with_values, expired_too) = (scan.values(), scan.lists_expired());
        Ok(paginate_pages(DEFAULT_PAGE_SIZE, move |after, limit| {
            self.page(with_values, expired_too, &range, after, limit)
        }))
    }

    fn keys(&self) -> Result<BoxIter<'_, String>> {
        let sql = &self.sql.key_listing;
        let expired = self.read("keys", |conn| {
            key_listing::expired_held(conn, sql, Timestamp::now())
        })?;
        // Too many expired entries held to remember: the scan filters them in SQL.
        let Some(expired) = expired else {
            let records = KvStorage::scan(self, Scan::keys_only())?;
            return Ok(Box::new(records.map(|record| record.map(|r| r.key))));
        };
        let fetch = move |after: Option<&SqlValue>| {
            self.read("keys", |conn| key_listing::key_page(conn, sql, after))
        };
        Ok(key_listing::listing(expired, fetch, scanned_key))
    }

    fn clear(&self) -> Result<()> {
        self.read("clear", |conn| conn.execute(&self.sql.clear, []).map(drop))?;
        if self.db.vacuum_on_clear {
            self.vacuum()?;
        }
        Ok(())
    }

    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        check_key(key)?;
        let found = self.read("expiry", |conn| {
            let mut stmt = conn.prepare_cached(&self.sql.expiry)?;
            stmt.query_row(
                params![key.as_bytes(), Timestamp::now().as_millis()],
                |row| row.get::<_, Option<i64>>(0),
            )
            .optional()
        })?;
        if found.is_some() {
            self.used(key)?;
        }
        Ok(found.map(|at| Expiry::from_option(at.map(Timestamp::from_millis))))
    }

    fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.expiry(key)?.is_some())
    }

    fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        check_key(key)?;
        let now = Timestamp::now();
        let expires_at = expiry_from_ttl(ttl, now)?.map(Timestamp::as_millis);
        let changed = self.read("touch", |conn| {
            conn.prepare_cached(&self.sql.touch)?.execute(params![
                key.as_bytes(),
                expires_at,
                now.as_millis()
            ])
        })?;
        Ok(changed > 0)
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let popped = self.read("pop", |conn| {
            let mut stmt = conn.prepare_cached(&self.sql.pop)?;
            stmt.query_row(
                params![key.as_bytes(), Timestamp::now().as_millis()],
                |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, bool>(1)?)),
            )
            .optional()
        })?;
        Ok(popped.and_then(|(value, live)| live.then_some(value)))
    }

    fn len(&self) -> Result<usize> {
        let count = self.read("len", |conn| {
            let mut stmt = conn.prepare_cached(&self.sql.count)?;
            stmt.query_row(params![Timestamp::now().as_millis()], |row| {
                row.get::<_, i64>(0)
            })
        })?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// One `ORDER BY … LIMIT` query (SQLite keeps only the best `limit` rows while it sorts).
    fn sorted(&self, by: SortBy, limit: usize) -> Result<Vec<SortedEntry>> {
        let sql = self.sql.sorted(by);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let now = Timestamp::now().as_millis();
        let rows = self.read("sorted", |conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map(params![now, limit], |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0).ok(),
                    row.get::<_, Option<i64>>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        // Keys that are not UTF-8 (written by other tools) are left out, as scans report them.
        Ok(rows
            .into_iter()
            .filter_map(|(key, expires_at, len)| {
                let key = String::from_utf8(key?).ok()?;
                Some(SortedEntry::new(
                    key,
                    expires_at.map(Timestamp::from_millis),
                    usize::try_from(len).ok(),
                ))
            })
            .collect())
    }

    fn len_including_expired(&self) -> Result<usize> {
        if let Some(capped) = &self.capped {
            let usage = self.read("len_including_expired", |conn| capped.usage(conn))?;
            return Ok(usize::try_from(usage.entries).unwrap_or(usize::MAX));
        }
        let count = self.read("len_including_expired", |conn| {
            conn.prepare_cached(&self.sql.count_held)?
                .query_row([], |row| row.get::<_, i64>(0))
        })?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Bytes of the keys and values the table holds (one pass over it, or the usage row of a
    /// capped table); the database file is larger by its pages' overhead and free pages.
    fn size(&self) -> Result<Option<u64>> {
        if self.db.size_of == SizeOf::File {
            return self.file_size();
        }
        if let Some(capped) = &self.capped {
            let usage = self.read("size", |conn| capped.usage(conn))?;
            return Ok(Some(usage.bytes));
        }
        let bytes = self.read("size", |conn| {
            conn.prepare_cached(&self.sql.bytes)?
                .query_row([], |row| row.get::<_, i64>(0))
        })?;
        Ok(Some(u64::try_from(bytes).unwrap_or(0)))
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let now = Timestamp::now().as_millis();
        let found = self.read("get_many", |conn| {
            let tx = conn.unchecked_transaction()?;
            let mut found = std::collections::HashMap::with_capacity(keys.len());
            for chunk in keys.chunks(MAX_IN_PARAMS) {
                let mut stmt = tx.prepare_cached(&self.sql.get_in(chunk.len()))?;
                let params = chunk
                    .iter()
                    .map(|key| rusqlite::types::Value::Blob(key.as_bytes().to_vec()))
                    .chain(std::iter::once(rusqlite::types::Value::Integer(now)));
                let mut rows = stmt.query(params_from_iter(params))?;
                while let Some(row) = rows.next()? {
                    found.insert(row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?);
                }
            }
            tx.commit()?;
            Ok(found)
        })?;
        if self.capped.is_some() {
            for key in keys.iter().filter(|key| found.contains_key(key.as_bytes())) {
                self.used(key)?;
            }
        }
        Ok(keys
            .iter()
            .map(|key| found.get(key.as_bytes()).cloned())
            .collect())
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.check_entries(entries)?;
        self.capped_write_transaction("set_many", None, |tx| {
            let mut stmt = tx
                .prepare_cached(&self.sql.set)
                .map_err(db_error("set_many"))?;
            let now = Timestamp::now();
            entries.iter().try_for_each(|e| {
                execute_write(&mut stmt, e.key, e.value, e.ttl, now, false).map(drop)
            })
        })
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let now = Timestamp::now().as_millis();
        self.write_transaction("delete_many", |tx| {
            let mut deleted = 0;
            for chunk in keys.chunks(MAX_IN_PARAMS) {
                let mut stmt = tx
                    .prepare_cached(&self.sql.delete_in(chunk.len()))
                    .map_err(db_error("delete_many"))?;
                let params = chunk
                    .iter()
                    .map(|key| rusqlite::types::Value::Blob(key.as_bytes().to_vec()))
                    .chain(std::iter::once(rusqlite::types::Value::Integer(now)));
                let mut rows = stmt
                    .query(params_from_iter(params))
                    .map_err(db_error("delete_many"))?;
                while let Some(row) = rows.next().map_err(db_error("delete_many"))? {
                    deleted += usize::from(row.get::<_, bool>(0).map_err(db_error("delete_many"))?);
                }
            }
            Ok(deleted)
        })
    }

    fn purge_expired(&self) -> Result<usize> {
        self.read("purge_expired", |conn| {
            conn.prepare_cached(&self.sql.purge)?
                .execute(params![Timestamp::now().as_millis()])
        })
    }
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.db.path)
            .field("namespace", &self.namespace.as_str())
            .field("max_value_len", &self.max_value_len)
            .field("hard_max_value_len", &self.db.hard_max_value)
            .field("caps", &self.capped.as_ref().map(|c| c.caps()))
            .finish()
    }
}
