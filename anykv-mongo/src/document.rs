//! The stored document and the filters shared by both stores.
//!
//! `{ _id: <key as string>, v: <value as BSON binary>, e: <expiry as BSON Date, absent if none> }`
//!
//! With [`ValueForm::queryable_values`], `v` holds a JSON value or a BSON document as BSON
//! (see `queryable`), `h` the SHA-256 of its bytes, which compare-and-set matches on
//! (MongoDB's equality takes `1` and `1.0` for the same value, the store's byte semantics do
//! not), `n` their length, and `f: "bson"` when the bytes are a BSON document.

use anykv_core::pagination::Page;
use anykv_core::{Entry, Error, KeyRange, Record, Result, Timestamp};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, spec::BinarySubtype, Binary, Bson, DateTime, Document};
use mongodb::Collection;

use crate::error::mongo_error;
use crate::queryable::{self, Encoding};

/// BSON's document limit.
pub(crate) const MAX_DOCUMENT: usize = 16 * 1024 * 1024;
/// Room kept for the key (at most 1024 bytes), field names, and BSON framing.
const DOCUMENT_OVERHEAD: usize = 2048;
/// The largest value a [`MongoStorage`](crate::MongoStorage) document holds.
pub const MAX_VALUE_LEN: usize = MAX_DOCUMENT - DOCUMENT_OVERHEAD;

/// A value as the BSON binary it is stored as.
pub(crate) fn binary(value: &[u8]) -> Binary {
    Binary {
        subtype: BinarySubtype::Generic,
        bytes: value.to_vec(),
    }
}

/// How a store writes its values: BSON binary, or queryable BSON for JSON and BSON values.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ValueForm {
    /// Whether JSON and BSON values are kept as queryable BSON (see `queryable`).
    pub(crate) queryable_values: bool,
}

impl ValueForm {
    /// The fields that hold `value`: `v`, and for a value kept as BSON `h` and `n` (the length
    /// of its bytes, which `size` adds up).
    fn fields(self, value: &[u8]) -> Document {
        let queryable = self
            .queryable_values
            .then(|| queryable::queryable(value, MAX_VALUE_LEN))
            .flatten();
        match queryable {
            Some((bson, encoding)) => stored_fields(value, bson, encoding),
            None => doc! { "v": binary(value) },
        }
    }

    /// An entry's document.
    pub(crate) fn entry(self, key: &str, value: &[u8], expires_at: Option<Timestamp>) -> Document {
        let mut document = doc! { "_id": key };
        document.extend(self.fields(value));
        if let Some(at) = expires_at {
            document.insert("e", DateTime::from_millis(at.as_millis()));
        }
        document
    }
}

/// Matches the document of `key` whose value is exactly `expected`, in either form
/// whatever the store writes (a store without `queryable_values` may share the collection
/// with one that has it): as binary, or as BSON with `h` the bytes' hash (or without `h`,
/// when another tool changed `v` and removed it; then MongoDB's equality alone decides).
pub(crate) fn holding(key: &str, expected: &[u8]) -> Document {
    let as_binary = doc! { "v": binary(expected) };
    let Some((bson, encoding)) = queryable::queryable(expected, MAX_VALUE_LEN) else {
        let mut filter = doc! { "_id": key };
        filter.extend(as_binary);
        return filter;
    };
    let mut as_bson = stored_fields(expected, bson, encoding);
    if let Some(hash) = as_bson.remove("h") {
        as_bson.insert("h", doc! { "$in": [hash, Bson::Null] });
    }
    as_bson.remove("n");
    if encoding == Encoding::Json {
        as_bson.insert(ENCODING, doc! { "$exists": false });
    }
    doc! { "_id": key, "$and": [ { "$or": [ as_binary, as_bson ] } ] }
}

/// The field that marks a value kept as BSON whose bytes are a BSON document (absent: JSON).
const ENCODING: &str = "f";

/// The fields of `value` kept as `bson`: `v`, `h` (its bytes' hash), `n` (their length), and
/// `f: "bson"` when the bytes are a BSON document.
fn stored_fields(value: &[u8], bson: Bson, encoding: Encoding) -> Document {
    let mut fields = doc! {
        "v": bson,
        "h": anykv_core::limits::sha256_hex(value),
        "n": i64::try_from(value.len()).unwrap_or(i64::MAX),
    };
    if encoding == Encoding::Bson {
        fields.insert(ENCODING, "bson");
    }
    fields
}

/// The aggregation expression of a document's value length: the binary's size, or `n` for a
/// value kept as BSON (0 if another tool removed it).
pub(crate) fn value_len() -> Bson {
    Bson::from(doc! {
        "$cond": [
            { "$eq": [ { "$type": "$v" }, "binData" ] },
            { "$binarySize": "$v" },
            { "$ifNull": [ "$n", 0 ] },
        ]
    })
}

/// Matches documents that are live at `now`.
pub(crate) fn live(now: Timestamp) -> Document {
    doc! { "$or": [ { "e": { "$exists": false } }, { "e": { "$gt": DateTime::from_millis(now.as_millis()) } } ] }
}

/// Matches documents that have expired at `now`.
pub(crate) fn expired(now: Timestamp) -> Document {
    doc! { "e": { "$lte": DateTime::from_millis(now.as_millis()) } }
}

/// `filter` restricted to live documents.
pub(crate) fn and_live(mut filter: Document, now: Timestamp) -> Document {
    filter.extend(live(now));
    filter
}

/// The TTL of a whole store ([`MongoOptions::store_ttl`](crate::MongoOptions::store_ttl)),
/// shared by both MongoDB stores.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StoreTtl(Option<std::time::Duration>);

impl StoreTtl {
    /// The expiry of a write with `ttl` at `now`, within the store's TTL.
    pub(crate) fn expiry(
        self,
        ttl: Option<std::time::Duration>,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        capped_expiry(ttl, self.0, now)
    }

    /// Sets the store's TTL to `ttl`, bringing the documents of `collection` that would
    /// outlive it down to it first.
    pub(crate) async fn set(
        &mut self,
        collection: &Collection<Document>,
        ttl: std::time::Duration,
    ) -> Result<()> {
        cap_expiries(collection, ttl).await?;
        self.0 = Some(ttl);
        Ok(())
    }
}

/// The expiry of a write with `ttl` at `now` in a store whose entries live at most
/// `store_ttl`: the sooner of the two.
fn capped_expiry(
    ttl: Option<std::time::Duration>,
    store_ttl: Option<std::time::Duration>,
    now: Timestamp,
) -> Result<Option<Timestamp>> {
    let given = anykv_core::time::expiry_from_ttl(ttl, now)?;
    let cap = anykv_core::time::expiry_from_ttl(store_ttl, now)?;
    Ok(match (given, cap) {
        (Some(given), Some(cap)) => Some(given.min(cap)),
        (given, cap) => given.or(cap),
    })
}

/// Brings every document of `collection` that expires later than `store_ttl` from now (or
/// never) to expire then: a store-wide TTL covers what was written before it. Returns how many
/// documents it changed.
async fn cap_expiries(
    collection: &Collection<Document>,
    store_ttl: std::time::Duration,
) -> Result<u64> {
    let cap = capped_expiry(None, Some(store_ttl), Timestamp::now())?;
    let Some(cap) = cap else {
        return Ok(0);
    };
    let cap = DateTime::from_millis(cap.as_millis());
    let later = doc! { "$or": [ { "e": { "$exists": false } }, { "e": { "$gt": cap } } ] };
    let updated = collection
        .update_many(later, doc! { "$set": { "e": cap } })
        .await
        .map_err(mongo_error("store ttl"))?;
    Ok(updated.modified_count)
}

/// `filter` with the liveness condition, unless a scan lists the expired documents too.
pub(crate) fn scanned(filter: Document, expired_too: bool) -> Document {
    if expired_too {
        filter
    } else {
        and_live(filter, Timestamp::now())
    }
}

/// The key of a document.
pub(crate) fn key(document: &Document) -> Result<String> {
    match document.get("_id") {
        Some(Bson::String(key)) => Ok(key.clone()),
        other => Err(Error::corrupt(
            &format!("{other:?}"),
            "document _id is not a string",
        )),
    }
}

/// The expiry of a document.
pub(crate) fn expiry(document: &Document) -> Option<Timestamp> {
    match document.get("e") {
        Some(Bson::DateTime(at)) => Some(Timestamp::from_millis(at.timestamp_millis())),
        _ => None,
    }
}

/// The entry a document holds (expired or not).
pub(crate) fn entry_of(key: &str, mut document: Document) -> Result<Entry> {
    Ok(Entry {
        value: value(key, &mut document)?,
        expires_at: expiry(&document),
    })
}

/// The value of a document: the bytes of a binary `v`, else the JSON text (or, marked `f:
/// "bson"`, the BSON bytes) of the value kept.
pub(crate) fn value(key: &str, document: &mut Document) -> Result<Vec<u8>> {
    match document.remove("v") {
        Some(Bson::Binary(binary)) => Ok(binary.bytes),
        Some(other) => {
            let encoding = match document.get_str(ENCODING) {
                Ok("bson") => Encoding::Bson,
                _ => Encoding::Json,
            };
            queryable::bytes_of(key, &other, encoding)
        }
        None => Err(Error::corrupt(key, "document has no value field v")),
    }
}

/// The filter of a page of a scan over `range` after `after` (from the range's start when
/// `None`): a range on the indexed `_id`, which needs no escaping (MongoDB compares strings by
/// their UTF-8 bytes, the order of [`KeyRange`]).
pub(crate) fn page_filter(range: &KeyRange, after: Option<String>) -> Document {
    let mut bounds = Document::new();
    match after {
        Some(after) => {
            bounds.insert("$gt", after);
        }
        None if range.is_everything() => {}
        None => {
            bounds.insert("$gte", range.start.as_str());
        }
    }
    if let Some(end) = &range.end {
        bounds.insert("$lt", end.as_str());
    }
    if bounds.is_empty() {
        Document::new()
    } else {
        doc! { "_id": bounds }
    }
}

/// A page of scanned documents, each turned into a record by `record` or into the error naming
/// it; the next page starts after the last string `_id` (documents with another `_id` type sort
/// before every string, so they are all in the first page).
pub(crate) fn page(
    documents: Vec<Document>,
    mut record: impl FnMut(Document) -> Result<Record>,
) -> Page {
    let mut last_key = None;
    let entries = documents
        .into_iter()
        .map(|document| {
            if let Some(Bson::String(key)) = document.get("_id") {
                last_key = Some(key.clone());
            }
            record(document)
        })
        .collect();
    Page::new(entries, last_key)
}

/// A scanned document as a record.
pub(crate) fn record(mut document: Document, with_value: bool) -> Result<Record> {
    let expires_at = expiry(&document);
    Record::from_parts(key(&document)?, expires_at, with_value, |key| {
        value(key, &mut document)
    })
}

/// The sum of `expression` over every document of `collection`, in one `$group` aggregation
/// (0 for an empty collection).
pub(crate) async fn total(
    collection: &Collection<Document>,
    expression: Bson,
    operation: &'static str,
) -> Result<u64> {
    let pipeline = [doc! { "$group": { "_id": null, "total": { "$sum": expression } } }];
    let mut cursor = collection
        .aggregate(pipeline)
        .await
        .map_err(mongo_error(operation))?;
    let Some(group) = cursor.try_next().await.map_err(mongo_error(operation))? else {
        return Ok(0);
    };
    let total = match group.get("total") {
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Double(n)) => *n as i64,
        _ => 0,
    };
    Ok(u64::try_from(total).unwrap_or(0))
}
