//! `queryable_values`: JSON values kept as BSON that other tools query, every read byte-exact.

use std::time::Duration;

use anykv_core::{AsyncKvStorage, AsyncTyped, PlainJson, SetEntry};
use anykv_mongo::{MongoOptions, MongoStorage};
use mongodb::bson::{doc, Bson, Document};
use serde_json::{json, Value};

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn queryable_store(
    server: &anykv_test_support::TestServer,
    namespace: &str,
) -> anykv_core::Result<MongoStorage> {
    let options = MongoOptions::new(server.url())
        .database("kv_queryable_values")
        .namespace(namespace)
        .queryable_values(true);
    let store = MongoStorage::connect(options).await?;
    store.clear().await?;
    Ok(store)
}

async fn raw(store: &MongoStorage, key: &str) -> Result<Document, Box<dyn std::error::Error>> {
    Ok(store
        .collection()
        .find_one(doc! { "_id": key })
        .await?
        .ok_or_else(|| format!("no document for {key}"))?)
}

/// JSON values written through `PlainJson` are BSON documents, arrays and scalars that a query
/// on their fields finds; other values stay binary; every read returns the bytes written.
#[test]
fn json_values_are_queryable_documents() -> TestResult {
    let server = anykv_test_support::mongo()?;
    anykv_test_support::runtime().block_on(async {
        let store = queryable_store(&server, "people").await?;
        let people = AsyncTyped::<_, Value, _>::with_serializer(store.clone(), PlainJson);
        let ada = json!({"name": "Ada", "langs": ["en", "fr"], "born": 1815, "score": 9.5});
        let alan = json!({"name": "Alan", "langs": ["en"], "born": 1912, "score": 8.0});
        people.set("p:ada", &ada, None).await?;
        people
            .set("p:alan", &alan, Some(Duration::from_secs(3600)))
            .await?;
        store.set("spaced", b"{ \"name\": \"Ada\" }", None).await?;
        store.set("bytes", b"\x00\xffnot json", None).await?;

        assert!(matches!(
            raw(&store, "p:ada").await?.get("v"),
            Some(Bson::Document(_))
        ));
        assert!(matches!(
            raw(&store, "spaced").await?.get("v"),
            Some(Bson::Binary(_))
        ));
        assert!(matches!(
            raw(&store, "bytes").await?.get("v"),
            Some(Bson::Binary(_))
        ));

        let mut born_before_1900 = Vec::new();
        let mut cursor = store
            .collection()
            .find(doc! { "v.born": { "$lt": 1900 }, "v.langs": "fr" })
            .await?;
        while cursor.advance().await? {
            born_before_1900.push(cursor.current().get_str("_id")?.to_owned());
        }
        assert_eq!(born_before_1900, ["p:ada"]);

        assert_eq!(people.get("p:ada").await?, Some(ada.clone()));
        assert_eq!(people.get("p:alan").await?, Some(alan));
        assert_eq!(
            store.get("spaced").await?.as_deref(),
            Some(&b"{ \"name\": \"Ada\" }"[..])
        );
        assert_eq!(
            store.get("bytes").await?.as_deref(),
            Some(&b"\x00\xffnot json"[..])
        );

        let many = [
            SetEntry::new("m:1", br#"{"n":1}"#, None),
            SetEntry::new("m:2", b"[true,null]", None),
        ];
        store.set_entries(&many).await?;
        assert!(matches!(
            raw(&store, "m:2").await?.get("v"),
            Some(Bson::Array(_))
        ));
        let got = store.get_many(&["m:1", "m:2"]).await?;
        assert_eq!(
            got,
            [Some(br#"{"n":1}"#.to_vec()), Some(b"[true,null]".to_vec())]
        );
        Ok(())
    })
}

/// Compare-and-set compares bytes, not MongoDB's equality (for which `1` and `1.0` are one
/// value); counters are BSON integers and count exactly.
#[test]
fn conditional_writes_compare_bytes() -> TestResult {
    let server = anykv_test_support::mongo()?;
    anykv_test_support::runtime().block_on(async {
        let store = queryable_store(&server, "conditions").await?;
        store.set("n", b"1", None).await?;
        assert!(!store.compare_and_set("n", Some(b"1.0"), b"2", None).await?);
        assert!(!store.compare_and_delete("n", b"1.0").await?);
        assert!(store.compare_and_set("n", Some(b"1"), b"2.0", None).await?);
        assert!(!store.compare_and_delete("n", b"2").await?);
        assert_eq!(store.get("n").await?.as_deref(), Some(&b"2.0"[..]));
        assert!(store.compare_and_delete("n", b"2.0").await?);

        for _ in 0..5 {
            store.increment("hits", 3, None).await?;
        }
        let counter = raw(&store, "hits").await?;
        assert!(
            matches!(counter.get("v"), Some(Bson::Int32(15) | Bson::Int64(15))),
            "the counter is not a BSON integer: {counter:?}"
        );
        assert_eq!(store.get("hits").await?.as_deref(), Some(&b"15"[..]));
        Ok(())
    })
}

/// `queryable_values=true` in a URL turns it on; it is off by default.
#[test]
fn urls_turn_queryable_values_on() -> anykv_core::Result<()> {
    assert!(
        MongoOptions::from_url("mongodb://127.0.0.1/app?queryable_values=true")?.queryable_values
    );
    assert!(!MongoOptions::from_url("mongodb://127.0.0.1/app")?.queryable_values);
    assert!(MongoOptions::from_url("mongodb://127.0.0.1/app?queryable_values=maybe").is_err());
    Ok(())
}

/// A document another tool changed in place (and whose `h` it removed) is read as its new JSON
/// and compared by MongoDB's equality; `set` gives it its hash back.
#[test]
fn documents_changed_by_other_tools_are_read_and_compared() -> TestResult {
    let server = anykv_test_support::mongo()?;
    anykv_test_support::runtime().block_on(async {
        let store = queryable_store(&server, "edited").await?;
        store.set("doc", br#"{"n":1,"tags":["a"]}"#, None).await?;
        store
            .collection()
            .update_one(
                doc! { "_id": "doc" },
                doc! { "$set": { "v.n": 2 }, "$unset": { "h": "" } },
            )
            .await?;
        let edited = store
            .get("doc")
            .await?
            .ok_or("the edited document is gone")?;
        assert_eq!(
            serde_json::from_slice::<Value>(&edited)?,
            json!({"n": 2, "tags": ["a"]})
        );
        assert!(
            store
                .compare_and_set("doc", Some(&edited), b"[]", None)
                .await?
        );
        assert!(raw(&store, "doc").await?.contains_key("h"));
        Ok(())
    })
}

/// A store without `queryable_values` on the same collection reads the documents a store with it
/// wrote, and compares them by their bytes too.
#[test]
fn stores_without_the_option_read_and_compare_documents() -> TestResult {
    let server = anykv_test_support::mongo()?;
    anykv_test_support::runtime().block_on(async {
        let with = queryable_store(&server, "mixed").await?;
        let without = with.clone().with_queryable_values(false);
        with.set("doc", br#"{"n":1}"#, None).await?;
        without.set("bin", br#"{"n":1}"#, None).await?;
        assert!(matches!(
            raw(&with, "doc").await?.get("v"),
            Some(Bson::Document(_))
        ));
        assert!(matches!(
            raw(&with, "bin").await?.get("v"),
            Some(Bson::Binary(_))
        ));
        for store in [&with, &without] {
            assert_eq!(store.get("doc").await?.as_deref(), Some(&br#"{"n":1}"#[..]));
            assert_eq!(store.get("bin").await?.as_deref(), Some(&br#"{"n":1}"#[..]));
        }
        assert!(!without.compare_and_delete("doc", br#"{"n":1.0}"#).await?);
        assert!(
            without
                .compare_and_set("doc", Some(br#"{"n":1}"#), b"2", None)
                .await?
        );
        assert!(with.compare_and_delete("bin", br#"{"n":1}"#).await?);
        Ok(())
    })
}

/// A person as the application types it, dates and 64-bit integers included.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Person {
    name: String,
    born: mongodb::bson::DateTime,
    visits: i64,
    tags: Vec<String>,
}

/// Values written through `PlainBson` are BSON documents with every BSON type kept, queried by
/// other tools, read back byte for byte and compared by their bytes.
#[test]
fn bson_values_are_documents_too() -> TestResult {
    let server = anykv_test_support::mongo()?;
    anykv_test_support::runtime().block_on(async {
        let store = queryable_store(&server, "bson").await?;
        let people =
            AsyncTyped::<_, Person, _>::with_serializer(store.clone(), anykv_mongo::PlainBson);
        let ada = Person {
            name: "Ada".into(),
            born: mongodb::bson::DateTime::from_millis(-4_792_320_000_000),
            visits: 1 << 40,
            tags: vec!["math".into()],
        };
        people.set("ada", &ada, None).await?;
        let stored = raw(&store, "ada").await?;
        let value = stored.get_document("v")?;
        assert!(
            matches!(value.get("born"), Some(Bson::DateTime(_))),
            "{stored:?}"
        );
        assert_eq!(value.get("visits"), Some(&Bson::Int64(1 << 40)));
        let found = store
            .collection()
            .find_one(doc! { "v.born": { "$lt": mongodb::bson::DateTime::from_millis(0) } })
            .await?
            .ok_or("the query found nothing")?;
        assert_eq!(found.get_str("_id")?, "ada");
        assert_eq!(people.get("ada").await?, Some(ada.clone()));

        let bytes = mongodb::bson::to_vec(&mongodb::bson::to_document(&ada)?)?;
        assert_eq!(store.get("ada").await?, Some(bytes.clone()));
        assert!(
            store
                .compare_and_set("ada", Some(&bytes), b"replaced", None)
                .await?
        );
        assert!(!store.compare_and_delete("ada", &bytes).await?);
        Ok(())
    })
}
