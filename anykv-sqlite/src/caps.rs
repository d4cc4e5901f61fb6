//! Size caps on a table ([`SqliteOptions::max_entries`](crate::SqliteOptions::max_entries) /
//! [`max_bytes`](crate::SqliteOptions::max_bytes)): usage kept by triggers, recency by a
//! logical clock, eviction inside the write transaction that passes a cap.
//!
//! A capped store installs, once per table (idempotent, in one transaction):
//! - a column `used_at` (added to tables created without it; rows that predate it count as the
//!   least recently used),
//! - a one-row table `"kv_<ns>#usage"` with the table's entries, bytes (keys + values) and a
//!   clock, filled from the table's rows,
//! - triggers that keep it exact on every insert, value update and delete, whoever writes
//!   (other handles without caps, other processes), and stamp each written row's `used_at`
//!   with the next clock value.
//!
//! Reads are recorded in the process (up to [`MAX_PENDING_READS`] distinct keys, then written
//! out) and stamped at the start of the next write through a capped handle. A write that leaves
//! the table over a cap then deletes the expired rows, and if it is still over, the least
//! recently used rows down to 90 % of the caps ([`SizeCaps::victims`]), never the key it wrote;
//! all in its own transaction, so a failed write evicts nothing. Approximate LRU: reads count
//! from the next write on, and reads through another process count only once that process
//! writes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anykv_core::caps::{SizeCaps, Usage};
use anykv_core::{Namespace, Result, Timestamp};
use rusqlite::{params, Connection};

use crate::error::db_error;

/// Distinct keys read since the last write kept in memory; at this many they are stamped at once.
pub(crate) const MAX_PENDING_READS: usize = 4096;

/// The statements of a capped table.
struct CapsSql {
    /// `?1`: the table's name, unquoted: whether it has the `used_at` column.
    has_used_at: String,
    add_used_at: String,
    install: String,
    usage: String,
    /// `?1` stamps to reserve; returns the last one.
    reserve: String,
    /// `?1` key, `?2` stamp.
    stamp: String,
    /// `?1` a key to spare (or NULL): every other row's key and footprint, least recently used
    /// first.
    candidates: String,
    /// `?1` key.
    evict: String,
    table_name: String,
}

impl CapsSql {
    fn new(namespace: &Namespace) -> Self {
        let table_name = crate::sql::table_name(namespace);
        let t = format!("\"{table_name}\"");
        // `#` is not a namespace character: these names never meet another namespace's.
        let usage = format!("\"{table_name}#usage\"");
        let trigger = |event: &str| format!("\"{table_name}#on_{event}\"");
        let stamp_new = format!(
            "UPDATE {t} SET used_at = (SELECT clock FROM {usage}) WHERE rowid = NEW.rowid;"
        );
        CapsSql {
            has_used_at: "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = 'used_at'".into(),
            add_used_at: format!("ALTER TABLE {t} ADD COLUMN used_at INTEGER NOT NULL DEFAULT 0"),
            install: format!(
                "CREATE TABLE IF NOT EXISTS {usage} (
                     id INTEGER PRIMARY KEY CHECK (id = 0),
                     entries INTEGER NOT NULL, bytes INTEGER NOT NULL, clock INTEGER NOT NULL);
                 INSERT OR IGNORE INTO {usage}
                     SELECT 0, COUNT(*), COALESCE(SUM(LENGTH(key) + LENGTH(value)), 0),
                            COALESCE(MAX(used_at), 0)
                     FROM {t};
                 CREATE TRIGGER IF NOT EXISTS {insert} AFTER INSERT ON {t} BEGIN
                     UPDATE {usage} SET entries = entries + 1,
                         bytes = bytes + LENGTH(NEW.key) + LENGTH(NEW.value), clock = clock + 1;
                     {stamp_new}
                 END;
                 CREATE TRIGGER IF NOT EXISTS {update} AFTER UPDATE OF value ON {t} BEGIN
                     UPDATE {usage} SET bytes = bytes + LENGTH(NEW.value) - LENGTH(OLD.value),
                         clock = clock + 1;
                     {stamp_new}
                 END;
                 CREATE TRIGGER IF NOT EXISTS {delete} AFTER DELETE ON {t} BEGIN
                     UPDATE {usage} SET entries = entries - 1,
                         bytes = bytes - LENGTH(OLD.key) - LENGTH(OLD.value);
                 END;",
                insert = trigger("insert"),
                update = trigger("update"),
                delete = trigger("delete"),
            ),
            usage: format!("SELECT entries, bytes FROM {usage}"),
            reserve: format!("UPDATE {usage} SET clock = clock + ?1 RETURNING clock"),
            stamp: format!("UPDATE {t} SET used_at = ?2 WHERE key = ?1"),
            candidates: format!(
                "SELECT key, LENGTH(key) + LENGTH(value) FROM {t} WHERE key IS NOT ?1
                 ORDER BY used_at, key"
            ),
            evict: format!("DELETE FROM {t} WHERE key = ?1"),
            table_name,
        }
    }
}

/// The caps of one store (and its clones), the reads not yet stamped, the evictions so far.
pub(crate) struct Capped {
    caps: SizeCaps,
    sql: CapsSql,
    /// Keys read since the last stamping, with the order of their latest read.
    pending_reads: Mutex<PendingReads>,
    evicted: AtomicU64,
}

#[derive(Default)]
struct PendingReads {
    keys: HashMap<String, u64>,
    next: u64,
}

impl Capped {
    /// The caps of a table; [`install`](Self::install) prepares the table for them.
    pub(crate) fn new(namespace: &Namespace, caps: SizeCaps) -> Self {
        Capped {
            caps,
            sql: CapsSql::new(namespace),
            pending_reads: Mutex::new(PendingReads::default()),
            evicted: AtomicU64::new(0),
        }
    }

    /// Adds the `used_at` column, the usage table and the triggers, where missing.
    pub(crate) fn install(&self, tx: &Connection) -> rusqlite::Result<()> {
        let has_used_at: i64 =
            tx.query_row(&self.sql.has_used_at, [&self.sql.table_name], |row| {
                row.get(0)
            })?;
        if has_used_at == 0 {
            tx.execute_batch(&self.sql.add_used_at)?;
        }
        tx.execute_batch(&self.sql.install)
    }

    /// Entries evicted through this store so far.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Records a read of `key`; `true` when enough reads are pending to stamp them now.
    pub(crate) fn record_read(&self, key: &str) -> bool {
        let mut pending = self.pending_reads.lock().unwrap_or_else(|e| e.into_inner());
        pending.next += 1;
        let order = pending.next;
        match pending.keys.get_mut(key) {
            Some(seen) => *seen = order,
            None => {
                pending.keys.insert(key.to_owned(), order);
            }
        }
        pending.keys.len() >= MAX_PENDING_READS
    }

    /// The entries and bytes the table holds, from the usage table.
    pub(crate) fn usage(&self, conn: &Connection) -> rusqlite::Result<Usage> {
        conn.prepare_cached(&self.sql.usage)?.query_row([], |row| {
            Ok(Usage {
                entries: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                bytes: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
            })
        })
    }

    /// Stamps the pending reads as used, in the order they were read, after every earlier write.
    pub(crate) fn stamp_reads(&self, tx: &Connection) -> Result<()> {
        let reads = {
            let mut pending = self.pending_reads.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *pending).keys
        };
        if reads.is_empty() {
            return Ok(());
        }
        let mut reads: Vec<(u64, String)> = reads.into_iter().map(|(k, o)| (o, k)).collect();
        reads.sort_unstable();
        let count = i64::try_from(reads.len()).unwrap_or(i64::MAX);
        let stamped = (|| {
            let last: i64 = tx
                .prepare_cached(&self.sql.reserve)?
                .query_row([count], |row| row.get(0))?;
            let mut stamp = tx.prepare_cached(&self.sql.stamp)?;
            for (at, (_, key)) in (last - count + 1..).zip(&reads) {
                stamp.execute(params![key.as_bytes(), at])?;
            }
            Ok(())
        })();
        stamped.map_err(db_error("stamp reads"))
    }

    /// Brings the table within its caps after a write: expired rows first (with `purge`, the
    /// table's statement deleting them at `?1` = now), then the least recently used, sparing
    /// `keep`.
    pub(crate) fn enforce(&self, tx: &Connection, purge: &str, keep: Option<&str>) -> Result<()> {
        let enforced = (|| {
            if !self.caps.exceeded_by(self.usage(tx)?) {
                return Ok(0);
            }
            tx.prepare_cached(purge)?
                .execute([Timestamp::now().as_millis()])?;
            let usage = self.usage(tx)?;
            let victims = {
                let mut candidates = tx.prepare_cached(&self.sql.candidates)?;
                let mut rows = candidates.query([keep.map(str::as_bytes)])?;
                let mut failed = None;
                let rows = std::iter::from_fn(|| match rows.next() {
                    Ok(Some(row)) => {
                        let key = row.get::<_, rusqlite::types::Value>(0);
                        let bytes = row.get::<_, i64>(1);
                        match (key, bytes) {
                            (Ok(key), Ok(bytes)) => Some((key, u64::try_from(bytes).unwrap_or(0))),
                            (Err(e), _) | (_, Err(e)) => {
                                failed = Some(e);
                                None
                            }
                        }
                    }
                    Ok(None) => None,
                    Err(e) => {
                        failed = Some(e);
                        None
                    }
                });
                let victims = self.caps.victims(usage, rows);
                if let Some(error) = failed {
                    return Err(error);
                }
                victims
            };
            let mut evict = tx.prepare_cached(&self.sql.evict)?;
            let mut evicted = 0;
            for key in &victims {
                evicted += evict.execute([key])?;
            }
            Ok(evicted as u64)
        })();
        let evicted = enforced.map_err(db_error("evict"))?;
        self.evicted.fetch_add(evicted, Ordering::Relaxed);
        Ok(())
    }

    /// The caps.
    pub(crate) fn caps(&self) -> SizeCaps {
        self.caps
    }
}
