//! Values kept as queryable BSON ([`MongoOptions::queryable_values`](crate::MongoOptions::queryable_values)):
//! a value that is JSON, or a BSON document, and reads back to exactly the same bytes, is
//! stored as the BSON it stands for (a document, array, string, number, boolean or null),
//! which other tools query (`{"v.name": "Ada"}`), index and aggregate. Every other value stays
//! BSON binary.
//!
//! "Exactly the same bytes" is what keeps the store byte-exact: `serde_json` writes the BSON
//! back, and only a value equal to that text is converted, so a read returns what was written.
//! JSON as `serde_json` writes it (the [`PlainJson`](anykv_core::PlainJson) serializer) always
//! qualifies, unless it has a field name MongoDB treats specially (starting with `$`, holding a
//! `.` or NUL), an integer past `i64`, or is too large as BSON; text with spaces or `1e3`
//! style numbers is kept as binary. A BSON document (the [`PlainBson`](crate::PlainBson)
//! serializer's) qualifies under the same field-name rules when `bson` writes it back alike.

use anykv_core::{Error, Result};
use mongodb::bson::{Bson, Document};

/// How many times its JSON's size a value's BSON can take, at most (see `as_bson`).
const BSON_GROWTH: usize = 16;

/// What a queryable value's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// JSON text.
    Json,
    /// A BSON document's bytes.
    Bson,
}

/// The BSON a value is kept as, and what its bytes are, when it qualifies (see the module
/// docs); `max_len` bounds the BSON's size.
pub(crate) fn queryable(value: &[u8], max_len: usize) -> Option<(Bson, Encoding)> {
    match as_bson(value, max_len) {
        Some(bson) => Some((bson, Encoding::Json)),
        None => {
            as_document(value, max_len).map(|document| (Bson::Document(document), Encoding::Bson))
        }
    }
}

/// The bytes a stored value stands for, in `encoding`.
pub(crate) fn bytes_of(key: &str, bson: &Bson, encoding: Encoding) -> Result<Vec<u8>> {
    match (encoding, bson) {
        (Encoding::Json, bson) => to_json(key, bson),
        (Encoding::Bson, Bson::Document(document)) => mongodb::bson::to_vec(document)
            .map_err(|error| Error::corrupt(key, format!("document value is not BSON: {error}"))),
        (Encoding::Bson, other) => Err(Error::corrupt(
            key,
            format!(
                "a BSON value that is not a document: {:?}",
                other.element_type()
            ),
        )),
    }
}

/// The document a value is, when it is a BSON document that `bson` writes back byte for byte.
fn as_document(value: &[u8], max_len: usize) -> Option<Document> {
    if value.len() > max_len {
        return None;
    }
    let document = Document::from_reader(&mut &value[..]).ok()?;
    if !fields_are_plain(&document) {
        return None;
    }
    let written = mongodb::bson::to_vec(&document).ok()?;
    (written == value).then_some(document)
}

/// The BSON a JSON value is kept as, when it qualifies; `max_len` bounds the BSON's size.
fn as_bson(value: &[u8], max_len: usize) -> Option<Bson> {
    // Cheap refusals first: JSON text starts with one of these, after no whitespace.
    if !matches!(
        value.first(),
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    ) {
        return None;
    }
    let bson: Bson = serde_json::from_slice(value).ok()?;
    if !field_names_are_plain(&bson) {
        return None;
    }
    let written = serde_json::to_vec(&bson).ok()?;
    if written != value {
        return None;
    }
    // BSON takes well under 16 times the JSON's bytes (the worst, an array of one-digit
    // numbers: 2 bytes of JSON, a type byte, an index and an integer in BSON), so only a large
    // value is measured.
    if value.len().saturating_mul(BSON_GROWTH) > max_len {
        let size = mongodb::bson::to_vec(&Document::from_iter([("v".to_owned(), bson.clone())]));
        size.ok().filter(|bytes| bytes.len() <= max_len)?;
    }
    Some(bson)
}

/// The value a stored BSON stands for: its JSON text (for a document another tool changed, its
/// relaxed extended JSON: `{"$date": …}` for a date).
pub(crate) fn to_json(key: &str, bson: &Bson) -> Result<Vec<u8>> {
    serde_json::to_vec(bson)
        .map_err(|error| Error::corrupt(key, format!("document value is not JSON: {error}")))
}

/// Whether every field name in `bson` is one MongoDB stores and queries plainly.
fn field_names_are_plain(bson: &Bson) -> bool {
    match bson {
        Bson::Document(document) => fields_are_plain(document),
        Bson::Array(items) => items.iter().all(field_names_are_plain),
        _ => true,
    }
}

/// Whether every field name in `document` is one MongoDB stores and queries plainly.
fn fields_are_plain(document: &Document) -> bool {
    document.iter().all(|(name, value)| {
        !name.starts_with('$') && !name.contains(['.', '\0']) && field_names_are_plain(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 16 << 20;

    #[test]
    fn json_as_serde_writes_it_becomes_bson_and_reads_back_the_same() {
        for json in [
            &br#"{"name":"Ada","langs":["en","fr"],"age":36,"score":1.5,"ok":true,"none":null}"#[..],
            b"[1,2,3]",
            b"\"text\"",
            b"-7",
            b"1.0",
            b"true",
            b"null",
            br#"{"b":1,"a":2}"#,
            br#"{"nested":{"deeper":[{"x":-0.0}]}}"#,
            // Extended JSON that reads back as written: kept as its BSON type.
            br#"{"$oid":"0123456789abcdef01234567"}"#,
        ] {
            let bson = as_bson(json, MAX);
            let bson =
                bson.unwrap_or_else(|| panic!("{} not converted", String::from_utf8_lossy(json)));
            assert_eq!(to_json("k", &bson).ok().as_deref(), Some(json));
        }
    }

    #[test]
    fn other_values_stay_binary() {
        for value in [
            &b"{ \"spaced\": 1 }"[..],
            b"1e3",
            b"18446744073709551615",
            br#"{"$set":1}"#,
            br#"{"a.b":1}"#,
            br#"{"$numberLong":"5"}"#,
            b"\x00\x01binary",
            b"",
            b"not json",
            b"[1,2",
        ] {
            assert!(as_bson(value, MAX).is_none(), "{value:?}");
        }
        assert!(as_bson(b"[1,2,3]", 10).is_none(), "over the size bound");
    }

    #[test]
    fn bson_documents_are_kept_as_documents() {
        let document = mongodb::bson::doc! { "name": "Ada", "born": 1815_i32, "tags": ["x"] };
        let bytes = mongodb::bson::to_vec(&document).unwrap_or_default();
        let (bson, encoding) = queryable(&bytes, MAX).unwrap_or((Bson::Null, Encoding::Json));
        assert_eq!(encoding, Encoding::Bson);
        assert_eq!(bytes_of("k", &bson, encoding).ok(), Some(bytes));
        let dollar =
            mongodb::bson::to_vec(&mongodb::bson::doc! { "$set": 1_i32 }).unwrap_or_default();
        assert!(queryable(&dollar, MAX).is_none());
        assert_eq!(queryable(b"[1]", MAX).map(|(_, e)| e), Some(Encoding::Json));
    }
}
