//! The table's rows inside a connection or a transaction: the reads and writes of one entry
//! that the store and [`SqliteBatch`] share (the store runs them on a pooled connection, the
//! batch inside its transaction).

use std::time::Duration;

use anykv_core::limits::{check_entry, check_key};
use anykv_core::time::expiry_from_ttl;
use anykv_core::{Entry, Result, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::{db_error, BACKEND};
use crate::sql::Sql;

/// The operations available inside [`SqliteStorage::batch`](crate::SqliteStorage::batch); all
/// of them run in one transaction.
pub struct SqliteBatch<'a> {
    tx: &'a Transaction<'a>,
    sql: &'a Sql,
    max_value_len: usize,
}

impl<'a> SqliteBatch<'a> {
    /// The operations of the table of `sql` inside `tx`, refusing values over `max_value_len`.
    pub(crate) fn new(tx: &'a Transaction<'a>, sql: &'a Sql, max_value_len: usize) -> Self {
        SqliteBatch {
            tx,
            sql,
            max_value_len,
        }
    }

    /// The value under `key`, seeing this transaction's own writes.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let entry = read_entry(self.tx, self.sql, key).map_err(db_error("batch get"))?;
        Ok(entry.map(|e| e.value))
    }

    /// Stores `value` under `key`.
    pub fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_entry(BACKEND, key, value, self.max_value_len)?;
        write_entry(self.tx, &self.sql.set, key, value, ttl, false).map(drop)
    }

    /// Stores `value` if `key` has no live entry; returns whether it did.
    pub fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        check_entry(BACKEND, key, value, self.max_value_len)?;
        write_entry(self.tx, &self.sql.set_if_absent, key, value, ttl, true)
    }

    /// Deletes `key`; returns whether a live entry existed.
    pub fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        delete_entry(self.tx, self.sql, key).map_err(db_error("batch delete"))
    }
}

/// Writes one entry with the `set` or `set_if_absent` statement; returns whether a row changed.
pub(crate) fn write_entry(
    conn: &Connection,
    sql: &str,
    key: &str,
    value: &[u8],
    ttl: Option<Duration>,
    conditional: bool,
) -> Result<bool> {
    let operation = if conditional { "set_if_absent" } else { "set" };
    let mut stmt = conn.prepare_cached(sql).map_err(db_error(operation))?;
    execute_write(&mut stmt, key, value, ttl, Timestamp::now(), conditional)
}

/// Runs a prepared `set` or `set_if_absent` statement for one entry written at `now`.
pub(crate) fn execute_write(
    stmt: &mut rusqlite::Statement<'_>,
    key: &str,
    value: &[u8],
    ttl: Option<Duration>,
    now: Timestamp,
    conditional: bool,
) -> Result<bool> {
    let expires_at = expiry_from_ttl(ttl, now)?.map(Timestamp::as_millis);
    let operation = if conditional { "set_if_absent" } else { "set" };
    let changed = if conditional {
        stmt.execute(params![key.as_bytes(), value, expires_at, now.as_millis()])
    } else {
        stmt.execute(params![key.as_bytes(), value, expires_at])
    }
    .map_err(db_error(operation))?;
    Ok(changed > 0)
}

/// Reads one live entry.
pub(crate) fn read_entry(
    conn: &Connection,
    sql: &Sql,
    key: &str,
) -> rusqlite::Result<Option<Entry>> {
    let mut stmt = conn.prepare_cached(&sql.get)?;
    stmt.query_row(
        params![key.as_bytes(), Timestamp::now().as_millis()],
        entry_of_row,
    )
    .optional()
}

/// Reads one entry, live or expired (until purged).
pub(crate) fn read_held_entry(
    conn: &Connection,
    sql: &Sql,
    key: &str,
) -> rusqlite::Result<Option<Entry>> {
    let mut stmt = conn.prepare_cached(&sql.get_stale)?;
    stmt.query_row(params![key.as_bytes()], entry_of_row)
        .optional()
}

/// The entry of a row of `value, expires_at`.
fn entry_of_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        value: row.get(0)?,
        expires_at: row.get::<_, Option<i64>>(1)?.map(Timestamp::from_millis),
    })
}

/// Deletes one entry; returns whether it was live.
pub(crate) fn delete_entry(conn: &Connection, sql: &Sql, key: &str) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare_cached(&sql.delete)?;
    let live = stmt
        .query_row(
            params![key.as_bytes(), Timestamp::now().as_millis()],
            |row| row.get::<_, bool>(0),
        )
        .optional()?;
    Ok(live.unwrap_or(false))
}
