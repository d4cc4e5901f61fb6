//! Serializers and the versioned header that guards typed values.
//!
//! Every typed value is stored as a 3-byte header followed by the serialized bytes:
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | magic `0x4B` (`'K'`) |
//! | 1 | format version, [`FORMAT_VERSION`] |
//! | 2 | serializer id: 1 postcard, 2 JSON, 128-255 user-defined |
//!
//! so bytes written by one serializer are never silently read by another. A serializer whose
//! [`framed`](Serializer::framed) is false ([`PlainJson`]) writes its bytes alone, for stores
//! other tools read (the files store's readable layout, MongoDB's documents); its id is never
//! written (3 is [`PlainJson`]'s, 4 `anykv_mongo::PlainBson`'s).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{BoxError, Error, Result};

/// First byte of every typed value.
pub const MAGIC: u8 = 0x4B;
/// The header format this version writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Length of the header in bytes.
pub const HEADER_LEN: usize = 3;

/// Turns values into bytes and back. Implement it to plug in a format of your own; give it an
/// [`id`](Serializer::id) from 128 to 255 (1 to 127 are reserved for this crate).
pub trait Serializer: Send + Sync {
    /// The id written into every value's header.
    fn id(&self) -> u8;

    /// Serializes `value`.
    fn serialize<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>, BoxError>;

    /// Deserializes `bytes` (without the header).
    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError>;

    /// Whether values carry the header (true unless overridden). Without it, bytes that are not
    /// this serializer's fail to deserialize (a `Corrupt` error) instead of being recognised by
    /// their header.
    fn framed(&self) -> bool {
        true
    }
}

/// [postcard](https://docs.rs/postcard): compact and fast, the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postcard;

impl Serializer for Postcard {
    fn id(&self) -> u8 {
        1
    }

    fn serialize<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>, BoxError> {
        Ok(postcard::to_allocvec(value)?)
    }

    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError> {
        Ok(postcard::from_bytes(bytes)?)
    }
}

/// JSON via serde_json: readable by other tools.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Serializer for Json {
    fn id(&self) -> u8 {
        2
    }

    fn serialize<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>, BoxError> {
        Ok(serde_json::to_vec(value)?)
    }

    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// JSON text and nothing else (no header): a value is stored as `serde_json` writes it, so a
/// file of the readable files layout is a JSON document and a MongoDB store can keep it as a
/// queryable one. What the header would guard is left to the JSON parser: bytes that are not
/// JSON of the expected shape are a `Corrupt` error.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainJson;

impl Serializer for PlainJson {
    fn id(&self) -> u8 {
        3
    }

    fn serialize<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>, BoxError> {
        Ok(serde_json::to_vec(value)?)
    }

    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    fn framed(&self) -> bool {
        false
    }
}

/// Serializes `value` with `serializer` and prefixes the header (unless the serializer is not
/// [`framed`](Serializer::framed)).
pub fn encode<C: Serializer, T: Serialize + ?Sized>(serializer: &C, value: &T) -> Result<Vec<u8>> {
    let body = serializer.serialize(value).map_err(Error::Serialize)?;
    if !serializer.framed() {
        return Ok(body);
    }
    let mut bytes = Vec::with_capacity(HEADER_LEN + body.len());
    bytes.extend_from_slice(&[MAGIC, FORMAT_VERSION, serializer.id()]);
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// Checks the header of `bytes` (stored under `key`) and deserializes the rest with `serializer`.
pub fn decode<C: Serializer, T: DeserializeOwned>(
    serializer: &C,
    key: &str,
    bytes: &[u8],
) -> Result<T> {
    if !serializer.framed() {
        return serializer
            .deserialize(bytes)
            .map_err(|e| Error::corrupt(key, format!("cannot deserialize: {e}")));
    }
    let Some((header, body)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(Error::corrupt(key, "shorter than the codec header"));
    };
    let [magic, version, id] = *header;
    if magic != MAGIC {
        return Err(Error::corrupt(key, "not a typed value (bad magic byte)"));
    }
    if version != FORMAT_VERSION {
        return Err(Error::corrupt(
            key,
            format!("unsupported format version {version} (this build reads {FORMAT_VERSION})"),
        ));
    }
    if id != serializer.id() {
        return Err(Error::SerializerMismatch {
            key: crate::error::KeyDisplay::new(key),
            expected: serializer.id(),
            found: id,
        });
    }
    serializer
        .deserialize(body)
        .map_err(|e| Error::corrupt(key, format!("cannot deserialize: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_both_serializers() {
        let value = (7u32, "seven".to_owned(), vec![1u8, 2]);
        for bytes in [encode(&Postcard, &value), encode(&Json, &value)] {
            let bytes = bytes.unwrap_or_default();
            let back: Result<(u32, String, Vec<u8>)> = if bytes[2] == 1 {
                decode(&Postcard, "k", &bytes)
            } else {
                decode(&Json, "k", &bytes)
            };
            assert_eq!(back.ok(), Some(value.clone()));
        }
    }

    #[test]
    fn foreign_serializer_is_refused() {
        let bytes = encode(&Json, &5u32).unwrap_or_default();
        let err = decode::<_, u32>(&Postcard, "k", &bytes).err();
        assert!(matches!(
            err,
            Some(Error::SerializerMismatch {
                expected: 1,
                found: 2,
                ..
            })
        ));
    }

    #[test]
    fn garbage_is_corrupt_not_a_panic() {
        for bytes in [
            &b""[..],
            b"K",
            b"xx\x01abc",
            b"K\x09\x01",
            b"K\x01\x01\xff\xff\xff\xff\xff",
        ] {
            let err = decode::<_, String>(&Postcard, "k", bytes).err();
            assert!(
                matches!(err, Some(Error::Corrupt { .. })),
                "{bytes:?}: {err:?}"
            );
        }
    }

    #[test]
    fn plain_json_is_the_json_alone() {
        let value = (7u8, "seven".to_owned());
        assert_eq!(
            encode(&PlainJson, &value).ok().as_deref(),
            Some(&b"[7,\"seven\"]"[..])
        );
        assert_eq!(
            decode::<_, (u8, String)>(&PlainJson, "k", b"[7,\"seven\"]").ok(),
            Some(value)
        );
        for bytes in [&b""[..], b"K\x01\x02[7,\"seven\"]", b"{\"a\":1}"] {
            let err = decode::<_, (u8, String)>(&PlainJson, "k", bytes).err();
            assert!(matches!(err, Some(Error::Corrupt { .. })), "{bytes:?}");
        }
    }

    /// Frozen format: bytes written by this version must stay readable by every later one.
    #[test]
    fn frozen_format_golden() {
        let golden_postcard: &[u8] = &[0x4B, 1, 1, 7, 5, b's', b'e', b'v', b'e', b'n'];
        let golden_json: &[u8] = b"K\x01\x02[7,\"seven\"]";
        let value = (7u8, "seven".to_owned());
        assert_eq!(
            encode(&Postcard, &value).ok().as_deref(),
            Some(golden_postcard)
        );
        assert_eq!(encode(&Json, &value).ok().as_deref(), Some(golden_json));
        assert_eq!(
            decode::<_, (u8, String)>(&Postcard, "k", golden_postcard).ok(),
            Some(value.clone())
        );
        assert_eq!(
            decode::<_, (u8, String)>(&Json, "k", golden_json).ok(),
            Some(value)
        );
    }
}
