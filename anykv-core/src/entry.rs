//! The records that cross the trait boundary.

use std::time::Duration;

use crate::time::Timestamp;

/// A stored value with its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The value bytes.
    pub value: Vec<u8>,
    /// When the entry expires; `None` if it never does.
    pub expires_at: Option<Timestamp>,
}

impl Entry {
    /// An entry that never expires.
    pub fn new(value: Vec<u8>) -> Self {
        Entry {
            value,
            expires_at: None,
        }
    }

    /// Whether the entry has expired at `now`.
    pub fn is_expired_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at.is_expired_at(now))
    }
}

/// One entry met while scanning a store: always its key and expiry, its value when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The key.
    pub key: String,
    /// The value, when the scan was asked to include values.
    pub value: Option<Vec<u8>>,
    /// When the entry expires; `None` if it never does.
    pub expires_at: Option<Timestamp>,
}

impl Record {
    /// A record of a stored item: `value` extracts the value (only called when `with_value`).
    pub fn from_parts(
        key: String,
        expires_at: Option<crate::Timestamp>,
        with_value: bool,
        value: impl FnOnce(&str) -> crate::Result<Vec<u8>>,
    ) -> crate::Result<Self> {
        let value = if with_value { Some(value(&key)?) } else { None };
        Ok(Record {
            key,
            value,
            expires_at,
        })
    }
}

/// What a scan returns for each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanMode {
    /// Keys and expiries only: values are not read.
    KeysOnly,
    /// Keys, expiries and values.
    WithValues,
}

impl ScanMode {
    /// Whether values are wanted.
    pub fn values(self) -> bool {
        matches!(self, ScanMode::WithValues)
    }
}

/// One write of a bulk set: key, value and that entry's own TTL.
#[derive(Debug, Clone, Copy)]
pub struct SetEntry<'a> {
    /// The key.
    pub key: &'a str,
    /// The value bytes.
    pub value: &'a [u8],
    /// The TTL; `None` for no expiry.
    pub ttl: Option<Duration>,
}

impl<'a> SetEntry<'a> {
    /// A write of `value` under `key` with `ttl`.
    pub fn new(key: &'a str, value: &'a [u8], ttl: Option<Duration>) -> Self {
        SetEntry { key, value, ttl }
    }
}
