//! Item layout, key encoding and DynamoDB's item-size rules.
//!
//! `{ ns: S namespace, k: B encoded key, v: B value, e: N expiry ms, ttl: N expiry s }`
//!
//! The sort key is Binary, not String: DynamoDB refuses empty key attributes and caps sort keys
//! at 1024 bytes, so the empty key needs an encoding of its own that no other key can have, and
//! every 1024-byte key must stay 1024 bytes. As Binary, a key is its UTF-8 bytes and the empty
//! key is the single byte `0xFF`, which is not valid UTF-8 on its own: nothing else encodes to it.

use std::collections::HashMap;

use anykv_core::{Entry, Error, Record, Result, Timestamp};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

pub(crate) const NS: &str = "ns";
pub(crate) const KEY: &str = "k";
pub(crate) const VALUE: &str = "v";
pub(crate) const EXPIRY_MS: &str = "e";
pub(crate) const TTL: &str = "ttl";

/// DynamoDB's item size limit.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
/// Bytes counted for a number attribute's value (at most 38 significant digits: 20 bytes, +1).
const NUMBER_SIZE: usize = 21;
const EMPTY_KEY: u8 = 0xFF;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The sort key bytes of `key`.
pub(crate) fn encode_key(key: &str) -> Vec<u8> {
    if key.is_empty() {
        vec![EMPTY_KEY]
    } else {
        key.as_bytes().to_vec()
    }
}

/// The key of sort key bytes.
pub(crate) fn decode_key(bytes: &[u8]) -> Result<String> {
    if bytes == [EMPTY_KEY] {
        return Ok(String::new());
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
        Error::corrupt(&shown, "stored sort key is not UTF-8")
    })
}

/// The size DynamoDB counts for an item: attribute names plus values.
pub(crate) fn item_size(namespace: &str, key: &str, value_len: usize, expires: bool) -> usize {
    let base =
        NS.len() + namespace.len() + KEY.len() + encode_key(key).len() + VALUE.len() + value_len;
    if expires {
        base + EXPIRY_MS.len() + NUMBER_SIZE + TTL.len() + NUMBER_SIZE
    } else {
        base
    }
}

/// The largest value any key of `namespace` can hold (the value limit for the longest key).
pub(crate) fn max_value_len(namespace: &str) -> usize {
    MAX_ITEM_SIZE - item_size(namespace, &"k".repeat(anykv_core::MAX_KEY_LEN), 0, true)
}

/// The primary key of `key`.
pub(crate) fn primary_key(namespace: &str, key: &str) -> Item {
    HashMap::from([
        (NS.to_owned(), AttributeValue::S(namespace.to_owned())),
        (
            KEY.to_owned(),
            AttributeValue::B(Blob::new(encode_key(key))),
        ),
    ])
}

/// A whole item.
pub(crate) fn item(
    namespace: &str,
    key: &str,
    value: &[u8],
    expires_at: Option<Timestamp>,
) -> Item {
    let mut item = primary_key(namespace, key);
    item.insert(
        VALUE.to_owned(),
        AttributeValue::B(Blob::new(value.to_vec())),
    );
    if let Some(at) = expires_at {
        item.insert(
            EXPIRY_MS.to_owned(),
            AttributeValue::N(at.as_millis().to_string()),
        );
        item.insert(
            TTL.to_owned(),
            AttributeValue::N(at.as_secs_ceil().to_string()),
        );
    }
    item
}

/// The exact expiry of an item.
pub(crate) fn expiry(item: &Item) -> Option<Timestamp> {
    match item.get(EXPIRY_MS) {
        Some(AttributeValue::N(ms)) => ms.parse().ok().map(Timestamp::from_millis),
        _ => None,
    }
}

/// Whether an item is live at `now`.
pub(crate) fn is_live(item: &Item, now: Timestamp) -> bool {
    !expiry(item).is_some_and(|at| at.is_expired_at(now))
}

/// The key of an item.
pub(crate) fn key(item: &Item) -> Result<String> {
    match item.get(KEY) {
        Some(AttributeValue::B(bytes)) => decode_key(bytes.as_ref()),
        other => Err(Error::corrupt(
            "?",
            format!("item without a binary sort key: {other:?}"),
        )),
    }
}

/// The key a scan continues after: the item's key (lossily decoded if it is not UTF-8, so a
/// bad key still moves the scan on).
pub(crate) fn key_for_cursor(item: &Item) -> Option<String> {
    match item.get(KEY) {
        Some(AttributeValue::B(bytes)) if bytes.as_ref() == [EMPTY_KEY] => Some(String::new()),
        Some(AttributeValue::B(bytes)) => {
            Some(String::from_utf8_lossy(bytes.as_ref()).into_owned())
        }
        _ => None,
    }
}

/// The entry an item holds (expired or not).
pub(crate) fn entry_of(key: &str, mut item: Item) -> Result<Entry> {
    Ok(Entry {
        value: value(key, &mut item)?,
        expires_at: expiry(&item),
    })
}

/// The value of an item.
pub(crate) fn value(key: &str, item: &mut Item) -> Result<Vec<u8>> {
    match item.remove(VALUE) {
        Some(AttributeValue::B(bytes)) => Ok(bytes.into_inner()),
        _ => Err(Error::corrupt(key, "item without a binary value")),
    }
}

/// An item as a record.
pub(crate) fn record(mut item: Item, with_value: bool) -> Result<Record> {
    let expires_at = expiry(&item);
    Record::from_parts(key(&item)?, expires_at, with_value, |key| {
        value(key, &mut item)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_encodes_within_1024_bytes_and_back() -> Result<()> {
        for key in ["", "a", "\u{0}", "ÿ", &"k".repeat(1024), &"é".repeat(512)] {
            let encoded = encode_key(key);
            assert!(!encoded.is_empty() && encoded.len() <= 1024);
            assert_eq!(decode_key(&encoded)?, key);
        }
        assert_ne!(encode_key(""), encode_key("ÿ"));
        Ok(())
    }

    #[test]
    fn item_size_counts_names_and_values() {
        assert_eq!(item_size("ns", "key", 10, false), 2 + 2 + 1 + 3 + 1 + 10);
        assert!(max_value_len("default") < MAX_ITEM_SIZE - 1024);
    }

    /// Frozen format: items written by this version stay readable.
    #[test]
    fn frozen_format_golden() {
        let item = item("ns", "", b"v", Some(Timestamp::from_millis(1500)));
        assert_eq!(
            item.get(KEY),
            Some(&AttributeValue::B(Blob::new(vec![0xFF])))
        );
        assert_eq!(item.get(EXPIRY_MS), Some(&AttributeValue::N("1500".into())));
        assert_eq!(item.get(TTL), Some(&AttributeValue::N("2".into())));
    }
}
