//! The raw drivers doing the same work as the stores: same schema, same statements, same
//! atomicity, none of the layer's checks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use rusqlite::{params, Connection, OptionalExtension};

pub type Error = Box<dyn std::error::Error>;

/// The operations the benchmark compares.
pub trait RawStore: Sync {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, anykv_core::Error>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), anykv_core::Error>;
    fn contains(&self, key: &str) -> Result<bool, anykv_core::Error>;
    fn delete(&self, key: &str) -> Result<bool, anykv_core::Error>;
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, anykv_core::Error>;
    fn set_many(&self, entries: &[(&str, &[u8])]) -> Result<(), anykv_core::Error>;

    /// Lists every key (read into `String`s, as the store's `keys()` yields them) and returns
    /// how many; `None` where the bench has no raw listing for this driver.
    fn keys(&self) -> Result<Option<usize>, anykv_core::Error> {
        Ok(None)
    }

    /// Counts the live entries the driver's cheapest way; `None` where not measured.
    fn len(&self) -> Result<Option<usize>, anykv_core::Error> {
        Ok(None)
    }

    /// The name and version of the server or library behind the driver, for the report.
    fn version(&self) -> Option<String> {
        None
    }
}

fn fail(e: impl std::error::Error + Send + Sync + 'static) -> anykv_core::Error {
    anykv_core::Error::backend("raw", "bench", anykv_core::ErrorKind::Other, e)
}

fn now_ms() -> i64 {
    anykv_core::Timestamp::now().as_millis()
}

/// rusqlite with a connection per thread (see [`crate::concurrency::slot`]), the store's
/// schema, pragmas and cached prepared statements.
pub struct RawSqlite {
    conns: Vec<Mutex<Connection>>,
    get: String,
    set: String,
    contains: String,
    delete: String,
    table: String,
}

impl RawSqlite {
    pub fn open(path: &Path, table: &str) -> Result<Self, Error> {
        let t = format!("\"kv_{table}\"");
        let open = || -> Result<Connection, Error> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(std::time::Duration::from_secs(30))?;
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
            conn.execute_batch("PRAGMA synchronous = NORMAL")?;
            conn.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {t} (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL, expires_at INTEGER);"
            ))?;
            Ok(conn)
        };
        let conns = (0..crate::concurrency::MAX_THREADS)
            .map(|_| open().map(Mutex::new))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(RawSqlite {
            conns,
            get: format!("SELECT value FROM {t} WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)"),
            set: format!("INSERT INTO {t} (key, value, expires_at) VALUES (?1, ?2, NULL) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"),
            contains: format!("SELECT 1 FROM {t} WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)"),
            delete: format!("DELETE FROM {t} WHERE key = ?1"),
            table: t,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conns[crate::concurrency::slot() % self.conns.len()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

impl RawStore for RawSqlite {
    fn version(&self) -> Option<String> {
        Some(format!("SQLite {}", rusqlite::version()))
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, anykv_core::Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&self.get).map_err(fail)?;
        stmt.query_row(params![key.as_bytes(), now_ms()], |r| r.get(0))
            .optional()
            .map_err(fail)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), anykv_core::Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&self.set).map_err(fail)?;
        stmt.execute(params![key.as_bytes(), value])
            .map(drop)
            .map_err(fail)
    }

    fn contains(&self, key: &str) -> Result<bool, anykv_core::Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&self.contains).map_err(fail)?;
        stmt.exists(params![key.as_bytes(), now_ms()]).map_err(fail)
    }

    fn delete(&self, key: &str) -> Result<bool, anykv_core::Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&self.delete).map_err(fail)?;
        stmt.execute(params![key.as_bytes()])
            .map(|n| n > 0)
            .map_err(fail)
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, anykv_core::Error> {
        let conn = self.conn();
        let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "SELECT key, value FROM {} WHERE key IN ({}) AND (expires_at IS NULL OR expires_at > ?{})",
            self.table,
            placeholders.join(","),
            keys.len() + 1
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(fail)?;
        let params = keys
            .iter()
            .map(|k| rusqlite::types::Value::Blob(k.as_bytes().to_vec()))
            .chain(std::iter::once(rusqlite::types::Value::Integer(now_ms())));
        let mut found = HashMap::new();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(fail)?;
        while let Some(row) = rows.next().map_err(fail)? {
            found.insert(
                row.get::<_, Vec<u8>>(0).map_err(fail)?,
                row.get::<_, Vec<u8>>(1).map_err(fail)?,
            );
        }
        Ok(keys
            .iter()
            .map(|k| found.get(k.as_bytes()).cloned())
            .collect())
    }

    fn set_many(&self, entries: &[(&str, &[u8])]) -> Result<(), anykv_core::Error> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        {
            let mut stmt = tx.prepare_cached(&self.set).map_err(fail)?;
            for (key, value) in entries {
                stmt.execute(params![key.as_bytes(), value]).map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    fn keys(&self) -> Result<Option<usize>, anykv_core::Error> {
        let conn = self.conn();
        let sql = format!(
            "SELECT key FROM {} WHERE expires_at IS NULL OR expires_at > ?1",
            self.table
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(fail)?;
        let mut rows = stmt.query(params![now_ms()]).map_err(fail)?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(fail)? {
            let key: Vec<u8> = row.get(0).map_err(fail)?;
            count += usize::from(String::from_utf8(key).is_ok());
        }
        Ok(Some(count))
    }

    fn len(&self) -> Result<Option<usize>, anykv_core::Error> {
        let conn = self.conn();
        let sql = format!(
            "SELECT count(*) FROM {} WHERE expires_at IS NULL OR expires_at > ?1",
            self.table
        );
        let count: i64 = conn
            .query_row(&sql, params![now_ms()], |row| row.get(0))
            .map_err(fail)?;
        Ok(Some(usize::try_from(count).unwrap_or(0)))
    }
}

/// Plain std::fs: one file per key, written to a temp file and renamed into place.
pub struct RawFs {
    dir: PathBuf,
}

impl RawFs {
    pub fn open(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir)?;
        Ok(RawFs {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(key.replace(':', "_"))
    }
}

impl RawStore for RawFs {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, anykv_core::Error> {
        match std::fs::read(self.path(key)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(fail(e)),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), anykv_core::Error> {
        // A temp name per thread: two threads may write the same key at once.
        let temp = self
            .dir
            .join(format!(".tmp.{}.{key}", crate::concurrency::slot()));
        std::fs::write(&temp, value).map_err(fail)?;
        std::fs::rename(&temp, self.path(key)).map_err(fail)
    }

    fn contains(&self, key: &str) -> Result<bool, anykv_core::Error> {
        self.path(key).try_exists().map_err(fail)
    }

    fn delete(&self, key: &str) -> Result<bool, anykv_core::Error> {
        match std::fs::remove_file(self.path(key)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(fail(e)),
        }
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, anykv_core::Error> {
        keys.iter().map(|k| self.get(k)).collect()
    }

    fn set_many(&self, entries: &[(&str, &[u8])]) -> Result<(), anykv_core::Error> {
        entries.iter().try_for_each(|(k, v)| self.set(k, v))
    }
}

/// A `RwLock<HashMap>`: the floor for an in-process store.
#[derive(Default)]
pub struct RawMemory {
    map: RwLock<HashMap<String, Vec<u8>>>,
}

impl RawStore for RawMemory {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, anykv_core::Error> {
        Ok(self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), anykv_core::Error> {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn contains(&self, key: &str) -> Result<bool, anykv_core::Error> {
        Ok(self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(key))
    }

    fn delete(&self, key: &str) -> Result<bool, anykv_core::Error> {
        Ok(self
            .map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key)
            .is_some())
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, anykv_core::Error> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        Ok(keys.iter().map(|k| map.get(*k).cloned()).collect())
    }

    fn set_many(&self, entries: &[(&str, &[u8])]) -> Result<(), anykv_core::Error> {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        for (k, v) in entries {
            map.insert((*k).to_owned(), v.to_vec());
        }
        Ok(())
    }

    fn keys(&self) -> Result<Option<usize>, anykv_core::Error> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        Ok(Some(map.keys().cloned().collect::<Vec<String>>().len()))
    }

    fn len(&self) -> Result<Option<usize>, anykv_core::Error> {
        Ok(Some(
            self.map.read().unwrap_or_else(|e| e.into_inner()).len(),
        ))
    }
}
