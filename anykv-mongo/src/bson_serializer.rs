//! [`PlainBson`]: typed values as BSON documents, without the typed-value header.

use anykv_core::{BoxError, Serializer};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A BSON document and nothing else (no header): a `Typed` value over a
/// [`MongoStorage`](crate::MongoStorage) with
/// [`queryable_values`](crate::MongoOptions::queryable_values) is stored as the document
/// itself, with every BSON type (dates, object ids, 64-bit integers, binary) kept, and queried
/// by other tools. Values must serialize to a document (a struct or a map); anything else is a
/// `Serialize` error. As with [`PlainJson`](anykv_core::PlainJson), no header guards the bytes:
/// bytes that are not such a document fail to deserialize (a `Corrupt` error).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainBson;

impl Serializer for PlainBson {
    fn id(&self) -> u8 {
        4
    }

    fn serialize<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>, BoxError> {
        let document = mongodb::bson::to_document(value)?;
        Ok(mongodb::bson::to_vec(&document)?)
    }

    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError> {
        Ok(mongodb::bson::from_slice(bytes)?)
    }

    fn framed(&self) -> bool {
        false
    }
}
