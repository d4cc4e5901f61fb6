//! `keys()` read from the key index alone.
//!
//! A keyset page of `key, expires_at` visits the table row of every key (the primary key's
//! index holds only the key), which made `keys()` three times slower than one `SELECT key`.
//! Here pages come from the index alone, and the expired entries the table still holds are
//! found once, up front, through the partial index on `expires_at`, and left out. When there
//! are more of those than [`MAX_EXPIRED_HELD`], the listing falls back to the scan, which
//! filters in SQL, so memory stays bounded either way.

use std::collections::HashSet;

use anykv_core::{BoxIter, Error, Result, Timestamp};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params, Connection};

/// The most expired-but-held keys remembered to leave out of a listing.
pub(crate) const MAX_EXPIRED_HELD: usize = 4096;

/// Keys read per page of the index.
const PAGE: i64 = 1024;

/// The keys of entries expired but still held, to leave out of a listing: the keys this crate
/// writes (UTF-8 bytes as a BLOB) by their bytes, so that a listed key is looked up without a
/// copy, and keys of any other type (written by other tools) by their text.
#[derive(Default)]
pub(crate) struct ExpiredKeys {
    blobs: HashSet<Vec<u8>>,
    others: HashSet<String>,
}

/// The text of a key stored as anything but a BLOB.
fn other_text(value: &SqlValue) -> String {
    match value {
        SqlValue::Text(text) => text.clone(),
        SqlValue::Integer(n) => n.to_string(),
        SqlValue::Real(n) => n.to_string(),
        SqlValue::Blob(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        SqlValue::Null => String::new(),
    }
}

impl ExpiredKeys {
    fn insert(&mut self, key: SqlValue) {
        match key {
            SqlValue::Blob(bytes) => self.blobs.insert(bytes),
            other => self.others.insert(other_text(&other)),
        };
    }

    fn len(&self) -> usize {
        self.blobs.len() + self.others.len()
    }

    fn holds(&self, key: &PageKey, bytes: &[u8]) -> bool {
        match key {
            PageKey::Blob(range) => {
                !self.blobs.is_empty() && self.blobs.contains(&bytes[range.clone()])
            }
            PageKey::Other(value) => {
                !self.others.is_empty() && self.others.contains(&other_text(value))
            }
        }
    }
}

/// A key of a page: a BLOB's place in the page's buffer, or a value of another type.
enum PageKey {
    Blob(std::ops::Range<usize>),
    Other(SqlValue),
}

/// One page of keys in index order: the BLOB keys' bytes back to back in one buffer (one
/// allocation per page; each key is copied out as it is listed), so a key is checked against
/// the expired ones by its bytes, without a copy made for the lookup.
#[derive(Default)]
pub(crate) struct KeyPage {
    bytes: Vec<u8>,
    keys: Vec<PageKey>,
}

impl KeyPage {
    /// The key at `index` as stored.
    fn value(&self, index: usize) -> Option<SqlValue> {
        Some(match self.keys.get(index)? {
            PageKey::Blob(range) => SqlValue::Blob(self.bytes[range.clone()].to_vec()),
            PageKey::Other(value) => value.clone(),
        })
    }
}

/// The statements of a listing.
pub(crate) struct KeyListingSql {
    /// `?1` now, `?2` limit: keys of entries expired but still held.
    pub expired: String,
    /// `?1` limit: the first keys in index order.
    pub first: String,
    /// `?1` limit, `?2` cursor: the keys after the cursor in index order.
    pub next: String,
}

impl KeyListingSql {
    pub(crate) fn new(table: &str) -> Self {
        KeyListingSql {
            expired: format!(
                "SELECT key FROM {table} WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2"
            ),
            first: format!("SELECT key FROM {table} ORDER BY key LIMIT ?1"),
            next: format!("SELECT key FROM {table} WHERE key > ?2 ORDER BY key LIMIT ?1"),
        }
    }
}

/// The keys of entries expired at `now` and still held, when there are at most
/// [`MAX_EXPIRED_HELD`]; `None` when there are more.
pub(crate) fn expired_held(
    conn: &Connection,
    sql: &KeyListingSql,
    now: Timestamp,
) -> rusqlite::Result<Option<ExpiredKeys>> {
    let limit = i64::try_from(MAX_EXPIRED_HELD + 1).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(&sql.expired)?;
    let mut rows = stmt.query(params![now.as_millis(), limit])?;
    let mut expired = ExpiredKeys::default();
    while let Some(row) = rows.next()? {
        expired.insert(row.get(0)?);
        if expired.len() > MAX_EXPIRED_HELD {
            return Ok(None);
        }
    }
    Ok(Some(expired))
}

/// One page of keys after `after` (from the start when `None`), as stored.
pub(crate) fn key_page(
    conn: &Connection,
    sql: &KeyListingSql,
    after: Option<&SqlValue>,
) -> rusqlite::Result<KeyPage> {
    let mut stmt = match after {
        None => conn.prepare_cached(&sql.first)?,
        Some(_) => conn.prepare_cached(&sql.next)?,
    };
    let mut rows = match after {
        None => stmt.query(params![PAGE])?,
        Some(after) => stmt.query(params![PAGE, after])?,
    };
    let mut page = KeyPage::default();
    while let Some(row) = rows.next()? {
        match row.get_ref(0)? {
            ValueRef::Blob(bytes) => {
                let start = page.bytes.len();
                page.bytes.extend_from_slice(bytes);
                page.keys.push(PageKey::Blob(start..page.bytes.len()));
            }
            other => page.keys.push(PageKey::Other(other.into())),
        }
    }
    Ok(page)
}

/// Streams the keys of pages read by `fetch(after)`, leaving out `expired`; a key stored as
/// anything but UTF-8 bytes is an error naming it, in its place (see `scanned_key`).
pub(crate) fn listing<'a>(
    expired: ExpiredKeys,
    mut fetch: impl FnMut(Option<&SqlValue>) -> Result<KeyPage> + Send + 'a,
    to_key: fn(SqlValue) -> (String, Option<&'static str>),
) -> BoxIter<'a, String> {
    let mut after: Option<SqlValue> = None;
    let mut page = KeyPage::default();
    let mut next = 0;
    let mut done = false;
    Box::new(std::iter::from_fn(move || loop {
        if let Some(key) = page.keys.get(next) {
            next += 1;
            if expired.holds(key, &page.bytes) {
                continue;
            }
            let stored = page.value(next - 1)?;
            return Some(match to_key(stored) {
                (key, None) => Ok(key),
                (key, Some(reason)) => Err(Error::corrupt(&key, reason)),
            });
        }
        if done {
            return None;
        }
        match fetch(after.as_ref()) {
            Err(error) => {
                done = true;
                return Some(Err(error));
            }
            Ok(fetched) => {
                done = (fetched.keys.len() as i64) < PAGE;
                after = (fetched.keys.len().checked_sub(1)).and_then(|last| fetched.value(last));
                page = fetched;
                next = 0;
            }
        }
    }))
}
