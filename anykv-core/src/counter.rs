//! The counters of [`increment`](crate::KvStorage::increment): how they are stored (decimal
//! ASCII, the rules of Redis's `INCRBY`) and added, in one place for every backend.

use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;

/// Rounds the default [`increment`](crate::KvStorage::increment) tries before it reports a
/// conflict: each lost round means another increment counted, so only a storm of writers on
/// one counter loses this many in a row.
pub(crate) const ATTEMPTS: usize = 1024;

/// The stored form of `value`: its decimal digits, with a `-` when negative.
pub fn encode(value: i64) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// The counter stored under `key`, read as Redis reads one: `0`, or an optional `-` then
/// digits without a leading zero, within `i64`. Anything else (spaces, `+`, `05`, `-0`,
/// other bytes) is an [`InvalidData`](ErrorKind::InvalidData) error naming the key.
pub fn decode(key: &str, stored: &[u8]) -> Result<i64> {
    let digits = stored.strip_prefix(b"-").unwrap_or(stored);
    let canonical = match digits {
        [b'0'] => digits.len() == stored.len(),
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    let parsed = std::str::from_utf8(stored)
        .ok()
        .filter(|_| canonical)
        .and_then(|text| text.parse::<i64>().ok());
    parsed.ok_or_else(|| {
        Error::corrupt(
            key,
            format!(
                "the value is not a counter (decimal ASCII within i64): {} bytes",
                stored.len()
            ),
        )
    })
}

/// `current + by`, or an [`InvalidInput`](ErrorKind::InvalidInput) error naming `key` when the
/// sum is outside `i64`.
pub fn add(backend: &'static str, key: &str, current: i64, by: i64) -> Result<i64> {
    current.checked_add(by).ok_or_else(|| {
        Error::backend(
            backend,
            "increment",
            ErrorKind::InvalidInput,
            format!("{current} + {by} is outside the range of a counter (i64)"),
        )
        .with_context(None, Some(key))
    })
}

/// The new value of the counter under `key` holding `stored` (`None`: no live entry, so 0)
/// after adding `by`.
pub fn next(backend: &'static str, key: &str, stored: Option<&[u8]>, by: i64) -> Result<i64> {
    let current = stored.map(|stored| decode(key, stored)).transpose()?;
    add(backend, key, current.unwrap_or(0), by)
}

/// What one round of the default [`increment`](crate::KvStorage::increment) writes.
pub(crate) struct Round {
    /// The counter's new value.
    pub value: i64,
    /// Its stored form.
    pub stored: Vec<u8>,
    /// The TTL to write it with: the new counter's, or a live one's remaining TTL.
    pub ttl: Option<std::time::Duration>,
}

/// One round of the default [`increment`](crate::KvStorage::increment), from the entry read;
/// `None` when the entry expired since it was read (read again).
pub(crate) fn round(
    backend: &'static str,
    key: &str,
    entry: Option<&crate::Entry>,
    by: i64,
    ttl: Option<std::time::Duration>,
) -> Result<Option<Round>> {
    let value = next(backend, key, entry.map(|e| e.value.as_slice()), by)?;
    let ttl = match entry {
        None => ttl,
        Some(entry) => {
            match crate::time::remaining_ttl(entry.expires_at, crate::Timestamp::now()) {
                Some(remaining) => remaining,
                None => return Ok(None),
            }
        }
    };
    Ok(Some(Round {
        value,
        stored: encode(value),
        ttl,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_read_as_redis_reads_them() {
        for (stored, expected) in [
            (&b"0"[..], Some(0)),
            (b"42", Some(42)),
            (b"-7", Some(-7)),
            (b"9223372036854775807", Some(i64::MAX)),
            (b"-9223372036854775808", Some(i64::MIN)),
            (b"9223372036854775808", None),
            (b"-0", None),
            (b"05", None),
            (b"+5", None),
            (b" 5", None),
            (b"5 ", None),
            (b"", None),
            (b"-", None),
            (b"1e3", None),
            (b"\xff", None),
        ] {
            let decoded = decode("k", stored).ok();
            assert_eq!(decoded, expected, "{stored:?}");
            if let Some(value) = expected {
                assert_eq!(encode(value), stored);
            }
        }
        assert!(decode("k", b"x").is_err_and(|e| e.is_invalid_data()));
    }

    #[test]
    fn sums_outside_i64_are_refused() {
        assert_eq!(next("t", "k", None, 5).ok(), Some(5));
        assert_eq!(next("t", "k", Some(b"-3"), 5).ok(), Some(2));
        let error = next("t", "k", Some(b"9223372036854775807"), 1).err();
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::InvalidInput));
    }
}
