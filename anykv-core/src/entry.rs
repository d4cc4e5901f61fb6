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

/// What a scan visits and reads: the live entries whose keys start with a prefix (every entry
/// with the empty prefix, the default), with or without their values.
///
/// ```
/// use anykv_core::{Scan, ScanMode};
///
/// let scan = Scan::keys_only().prefix("user:");
/// assert_eq!(scan.mode(), ScanMode::KeysOnly);
/// assert!(scan.matches("user:7") && !scan.matches("users"));
/// assert_eq!(Scan::from(ScanMode::WithValues), Scan::with_values());
/// ```
///
/// Backends push the prefix down where they can (a key range on SQLite, MongoDB and memory,
/// `SCAN MATCH` on Redis, `begins_with` on DynamoDB); [`KeyRange`] turns a prefix into the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan<'a> {
    mode: ScanMode,
    prefix: &'a str,
    expired: bool,
}

impl Scan<'static> {
    /// Every entry's key and expiry.
    pub fn keys_only() -> Self {
        Scan::from(ScanMode::KeysOnly)
    }

    /// Every entry's key, expiry and value.
    pub fn with_values() -> Self {
        Scan::from(ScanMode::WithValues)
    }
}

impl<'a> Scan<'a> {
    /// The same scan, of the entries whose keys start with `prefix` only. The prefix is matched
    /// as it is: no character is a wildcard.
    pub fn prefix<'b>(self, prefix: &'b str) -> Scan<'b> {
        Scan {
            mode: self.mode,
            prefix,
            expired: self.expired,
        }
    }

    /// The same scan, listing the expired entries the store still holds too (each with its
    /// past [`expires_at`](Record::expires_at)), as requests-cache's `filter(expired=True)`:
    /// the stores that keep expired entries until [`purge_expired`](crate::KvStorage::purge_expired)
    /// (memory, SQLite, files, the Redis hash store on servers without field expiry, GridFS)
    /// list them until then; stores whose server removes them (Redis keys, MongoDB's TTL
    /// monitor, DynamoDB's TTL) until it does, which may be at once. Stores that cannot tell
    /// list live entries only.
    pub fn including_expired(self) -> Self {
        Scan {
            expired: true,
            ..self
        }
    }

    /// Whether expired entries still held are listed too.
    pub fn lists_expired(self) -> bool {
        self.expired
    }

    /// Whether an entry expiring at `expires_at` is one this scan lists at `now`.
    pub fn lists_expiry(self, expires_at: Option<Timestamp>, now: Timestamp) -> bool {
        self.expired || !expires_at.is_some_and(|at| at.is_expired_at(now))
    }

    /// What the scan reads of each entry.
    pub fn mode(self) -> ScanMode {
        self.mode
    }

    /// Whether values are wanted.
    pub fn values(self) -> bool {
        self.mode.values()
    }

    /// The prefix every listed key starts with (empty: every key).
    pub fn key_prefix(self) -> &'a str {
        self.prefix
    }

    /// Whether `key` is one this scan lists.
    pub fn matches(self, key: &str) -> bool {
        key.starts_with(self.prefix)
    }

    /// The keys this scan visits, as a range.
    pub fn key_range(self) -> KeyRange {
        KeyRange::of_prefix(self.prefix)
    }
}

impl From<ScanMode> for Scan<'static> {
    fn from(mode: ScanMode) -> Self {
        Scan {
            mode,
            prefix: "",
            expired: false,
        }
    }
}

/// The keys starting with a prefix, as a range in the order of their UTF-8 bytes (the order of
/// SQLite BLOBs, MongoDB strings, DynamoDB strings and Rust's `str`): from [`start`](Self::start)
/// (inclusive) to [`end`](Self::end) (exclusive), the first string after every key with the
/// prefix, or to the last key when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    /// The prefix: the smallest key in the range.
    pub start: String,
    /// The smallest string greater than every key with the prefix; `None` when no string is
    /// (the empty prefix, or one of only `char::MAX`).
    pub end: Option<String>,
}

impl KeyRange {
    /// The range of the keys starting with `prefix`.
    pub fn of_prefix(prefix: &str) -> Self {
        let mut end: Vec<char> = prefix.chars().collect();
        let end = loop {
            let Some(last) = end.pop() else {
                break None;
            };
            if let Some(next) = next_char(last) {
                end.push(next);
                break Some(end.into_iter().collect());
            }
        };
        KeyRange {
            start: prefix.to_owned(),
            end,
        }
    }

    /// Whether the range is every key.
    pub fn is_everything(&self) -> bool {
        self.start.is_empty()
    }

    /// Whether `key` is in the range.
    pub fn contains(&self, key: &str) -> bool {
        key.starts_with(&self.start)
    }
}

/// The next Unicode scalar value after `c`, skipping the surrogates; `None` after `char::MAX`.
fn next_char(c: char) -> Option<char> {
    match c {
        '\u{D7FF}' => Some('\u{E000}'),
        char::MAX => None,
        c => char::from_u32(u32::from(c) + 1),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_range_holds_exactly_the_keys_with_the_prefix() {
        let range = KeyRange::of_prefix("ab");
        assert_eq!(range.end.as_deref(), Some("ac"));
        let range = KeyRange::of_prefix("a\u{D7FF}");
        assert_eq!(range.end.as_deref(), Some("a\u{E000}"));
        let range = KeyRange::of_prefix("a\u{10FFFF}");
        assert_eq!(range.end.as_deref(), Some("b"));
        assert_eq!(KeyRange::of_prefix("").end, None);
        assert_eq!(KeyRange::of_prefix("\u{10FFFF}").end, None);
        let keys = [
            "a",
            "ab",
            "ab\u{0}",
            "ab\u{10FFFF}x",
            "abc",
            "ac",
            "b",
            "a\u{7f}",
            "ab\u{80}",
        ];
        let range = KeyRange::of_prefix("ab");
        for key in keys {
            let end = range.end.as_deref().unwrap_or_default();
            let in_range = key >= range.start.as_str() && key < end;
            assert_eq!(in_range, key.starts_with("ab"), "{key:?}");
            // UTF-8 byte order is the same order.
            assert_eq!(
                key.as_bytes() >= range.start.as_bytes() && key.as_bytes() < end.as_bytes(),
                in_range
            );
        }
    }
}
