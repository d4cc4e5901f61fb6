//! [`SqliteBatch`]: operations inside one explicit transaction.

use std::time::Duration;

use anykv_core::limits::check_key;
use anykv_core::Result;
use rusqlite::Transaction;

use crate::error::db_error;
use crate::store::{delete_entry, read_entry, write_entry, SqliteStorage};

/// The operations available inside [`SqliteStorage::batch`]; all of them run in one transaction.
pub struct SqliteBatch<'a> {
    tx: &'a Transaction<'a>,
    store: &'a SqliteStorage,
}

impl<'a> SqliteBatch<'a> {
    pub(crate) fn new(tx: &'a Transaction<'a>, store: &'a SqliteStorage) -> Self {
        SqliteBatch { tx, store }
    }

    /// The value under `key`, seeing this transaction's own writes.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let entry = read_entry(self.tx, self.store.sql(), key).map_err(db_error("batch get"))?;
        Ok(entry.map(|e| e.value))
    }

    /// Stores `value` under `key`.
    pub fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.store.check_write(key, value)?;
        write_entry(self.tx, &self.store.sql().set, key, value, ttl, false).map(drop)
    }

    /// Stores `value` if `key` has no live entry; returns whether it did.
    pub fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.store.check_write(key, value)?;
        write_entry(
            self.tx,
            &self.store.sql().set_if_absent,
            key,
            value,
            ttl,
            true,
        )
    }

    /// Deletes `key`; returns whether a live entry existed.
    pub fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        delete_entry(self.tx, self.store.sql(), key).map_err(db_error("batch delete"))
    }
}
