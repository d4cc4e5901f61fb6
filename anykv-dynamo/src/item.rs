//! Item layout, key encoding and DynamoDB's item-size rules.
//!
//! `{ ns: S namespace, k: B encoded key, v: B value, e: N expiry ms, ttl: N expiry s }` (the
//! default [`AttributeNames`])
//!
//! The sort key is Binary, not String: DynamoDB refuses empty key attributes and caps sort keys
//! at 1024 bytes, so the empty key needs an encoding of its own that no other key can have, and
//! every 1024-byte key must stay 1024 bytes. As Binary, a key is its UTF-8 bytes and the empty
//! key is the single byte `0xFF`, which is not valid UTF-8 on its own: nothing else encodes to it.

use std::collections::HashMap;

use anykv_core::{Entry, Error, Record, Result, Timestamp};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

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

/// The names of an item's attributes: `ns`, `k`, `v`, `e` and `ttl` by default, or those of a
/// table made elsewhere ([`DynamoOptions::attribute_names`](crate::DynamoOptions::attribute_names)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttributeNames {
    /// The partition key (S): the namespace.
    pub namespace: String,
    /// The sort key (B): the entry's key.
    pub key: String,
    /// The value (B).
    pub value: String,
    /// The exact expiry (N, milliseconds since the epoch), which reads filter on.
    pub expires_at: String,
    /// The expiry in epoch seconds (N), the attribute DynamoDB's own TTL deletes by.
    pub ttl: String,
}

impl Default for AttributeNames {
    fn default() -> Self {
        AttributeNames::new("ns", "k", "v", "e", "ttl")
    }
}

impl AttributeNames {
    /// The names of the partition key, the sort key, the value, the exact expiry and the TTL
    /// attribute.
    pub fn new(
        namespace: impl Into<String>,
        key: impl Into<String>,
        value: impl Into<String>,
        expires_at: impl Into<String>,
        ttl: impl Into<String>,
    ) -> Self {
        AttributeNames {
            namespace: namespace.into(),
            key: key.into(),
            value: value.into(),
            expires_at: expires_at.into(),
            ttl: ttl.into(),
        }
    }

    /// The five names, in the order of [`new`](Self::new).
    fn all(&self) -> [&str; 5] {
        [
            &self.namespace,
            &self.key,
            &self.value,
            &self.expires_at,
            &self.ttl,
        ]
    }

    /// Refuses names DynamoDB refuses (empty, over 255 bytes) and two attributes of one name.
    pub(crate) fn check(&self) -> Result<()> {
        let all = self.all();
        for (i, name) in all.iter().enumerate() {
            if name.is_empty() || name.len() > 255 {
                return Err(Error::Config(format!(
                    "DynamoDB attribute name {name:?}: 1 to 255 bytes"
                )));
            }
            if all[..i].contains(name) {
                return Err(Error::Config(format!(
                    "DynamoDB attribute name {name:?} is given to two attributes"
                )));
            }
        }
        Ok(())
    }
}

/// How one namespace's entries are items: the attribute names and the namespace.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) names: AttributeNames,
    pub(crate) namespace: String,
}

impl Layout {
    /// The placeholders (`#ns`, `#k`, `#v`, `#e`, `#ttl`) the `expressions` use, with their
    /// attribute names (DynamoDB refuses unused ones).
    pub(crate) fn placeholders(&self, expressions: &[&str]) -> HashMap<String, String> {
        ["#ns", "#k", "#v", "#e", "#ttl"]
            .into_iter()
            .zip(self.names.all())
            .filter(|(placeholder, _)| expressions.iter().any(|e| e.contains(placeholder)))
            .map(|(placeholder, name)| (placeholder.to_owned(), name.to_owned()))
            .collect()
    }

    /// The size DynamoDB counts for an item: attribute names plus values.
    pub(crate) fn item_size(&self, key: &str, value_len: usize, expires: bool) -> usize {
        let names = &self.names;
        let base = names.namespace.len()
            + self.namespace.len()
            + names.key.len()
            + encode_key(key).len()
            + names.value.len()
            + value_len;
        if expires {
            base + names.expires_at.len() + NUMBER_SIZE + names.ttl.len() + NUMBER_SIZE
        } else {
            base
        }
    }

    /// The largest value any key can hold (the value limit for the longest key).
    pub(crate) fn max_value_len(&self) -> usize {
        MAX_ITEM_SIZE.saturating_sub(self.item_size(&"k".repeat(anykv_core::MAX_KEY_LEN), 0, true))
    }

    /// The primary key of `key`.
    pub(crate) fn primary_key(&self, key: &str) -> Item {
        HashMap::from([
            (
                self.names.namespace.clone(),
                AttributeValue::S(self.namespace.clone()),
            ),
            (
                self.names.key.clone(),
                AttributeValue::B(Blob::new(encode_key(key))),
            ),
        ])
    }

    /// A whole item.
    pub(crate) fn item(&self, key: &str, value: &[u8], expires_at: Option<Timestamp>) -> Item {
        let mut item = self.primary_key(key);
        item.insert(
            self.names.value.clone(),
            AttributeValue::B(Blob::new(value.to_vec())),
        );
        if let Some(at) = expires_at {
            item.insert(
                self.names.expires_at.clone(),
                AttributeValue::N(at.as_millis().to_string()),
            );
            item.insert(
                self.names.ttl.clone(),
                AttributeValue::N(at.as_secs_ceil().to_string()),
            );
        }
        item
    }

    /// The exact expiry of an item.
    pub(crate) fn expiry(&self, item: &Item) -> Option<Timestamp> {
        match item.get(&self.names.expires_at) {
            Some(AttributeValue::N(ms)) => ms.parse().ok().map(Timestamp::from_millis),
            _ => None,
        }
    }

    /// Whether an item is live at `now`.
    pub(crate) fn is_live(&self, item: &Item, now: Timestamp) -> bool {
        !self.expiry(item).is_some_and(|at| at.is_expired_at(now))
    }

    /// The key of an item.
    pub(crate) fn key(&self, item: &Item) -> Result<String> {
        match item.get(&self.names.key) {
            Some(AttributeValue::B(bytes)) => decode_key(bytes.as_ref()),
            other => Err(Error::corrupt(
                "?",
                format!("item without a binary sort key: {other:?}"),
            )),
        }
    }

    /// The key a scan continues after: the item's key (lossily decoded if it is not UTF-8, so
    /// a bad key still moves the scan on).
    pub(crate) fn key_for_cursor(&self, item: &Item) -> Option<String> {
        match item.get(&self.names.key) {
            Some(AttributeValue::B(bytes)) if bytes.as_ref() == [EMPTY_KEY] => Some(String::new()),
            Some(AttributeValue::B(bytes)) => {
                Some(String::from_utf8_lossy(bytes.as_ref()).into_owned())
            }
            _ => None,
        }
    }

    /// The entry an item holds (expired or not).
    pub(crate) fn entry_of(&self, key: &str, mut item: Item) -> Result<Entry> {
        Ok(Entry {
            value: self.value(key, &mut item)?,
            expires_at: self.expiry(&item),
        })
    }

    /// The value of an item.
    pub(crate) fn value(&self, key: &str, item: &mut Item) -> Result<Vec<u8>> {
        match item.remove(&self.names.value) {
            Some(AttributeValue::B(bytes)) => Ok(bytes.into_inner()),
            _ => Err(Error::corrupt(key, "item without a binary value")),
        }
    }

    /// An item as a record.
    pub(crate) fn record(&self, mut item: Item, with_value: bool) -> Result<Record> {
        let expires_at = self.expiry(&item);
        Record::from_parts(self.key(&item)?, expires_at, with_value, |key| {
            self.value(key, &mut item)
        })
    }
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

    fn layout(namespace: &str) -> Layout {
        Layout {
            names: AttributeNames::default(),
            namespace: namespace.to_owned(),
        }
    }

    #[test]
    fn item_size_counts_names_and_values() {
        assert_eq!(
            layout("ns").item_size("key", 10, false),
            2 + 2 + 1 + 3 + 1 + 10
        );
        assert!(layout("default").max_value_len() < MAX_ITEM_SIZE - 1024);
    }

    /// Frozen format: items written by this version stay readable.
    #[test]
    fn frozen_format_golden() {
        let item = layout("ns").item("", b"v", Some(Timestamp::from_millis(1500)));
        assert_eq!(
            item.get("k"),
            Some(&AttributeValue::B(Blob::new(vec![0xFF])))
        );
        assert_eq!(item.get("ns"), Some(&AttributeValue::S("ns".into())));
        assert_eq!(item.get("e"), Some(&AttributeValue::N("1500".into())));
        assert_eq!(item.get("ttl"), Some(&AttributeValue::N("2".into())));
    }

    #[test]
    fn names_are_checked_and_used() {
        assert!(AttributeNames::default().check().is_ok());
        assert!(AttributeNames::new("pk", "sk", "v", "e", "sk")
            .check()
            .is_err());
        assert!(AttributeNames::new("", "sk", "v", "e", "t")
            .check()
            .is_err());
        let custom = Layout {
            names: AttributeNames::new("pk", "sk", "body", "exp_ms", "expires"),
            namespace: "n".into(),
        };
        let item = custom.item("a", b"v", Some(Timestamp::from_millis(1500)));
        let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["body", "exp_ms", "expires", "pk", "sk"]);
        let placeholders = custom.placeholders(&["#k = :k AND #e > :now"]);
        assert_eq!(placeholders.get("#k").map(String::as_str), Some("sk"));
        assert_eq!(placeholders.get("#e").map(String::as_str), Some("exp_ms"));
        assert_eq!(placeholders.len(), 2);
    }
}
