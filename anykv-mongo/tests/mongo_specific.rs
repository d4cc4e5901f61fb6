//! MongoDB-only behaviour: GridFS with large values and concurrent replacement, the TTL index
//! and its Date field, the document limit enforced before sending.

use std::sync::Arc;
use std::time::Duration;

use anykv_core::{AsyncKvStorage, Error, KvStorage};
use anykv_mongo::{GridFsStorage, MongoOptions, MongoStorage, MAX_VALUE_LEN};
use anykv_test_support::TestServer;
use mongodb::bson::{doc, Bson, Document};

fn server() -> TestServer {
    anykv_test_support::mongo().unwrap_or_else(|e| panic!("{e}"))
}

fn options(server: &TestServer, namespace: &str) -> MongoOptions {
    MongoOptions::new(server.url())
        .database("kv_mongo_specific")
        .namespace(namespace)
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn gridfs_holds_values_of_20_mb_and_more() {
    let server = server();
    let rt = anykv_test_support::runtime();
    rt.block_on(async {
        let store = GridFsStorage::connect(options(&server, "big"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for (key, len) in [
            ("twenty", 20 * 1024 * 1024),
            ("twenty-five", 25 * 1024 * 1024 + 7),
        ] {
            let value = pattern(len, len as u8);
            store
                .set(key, &value, Some(Duration::from_secs(600)))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let back = store.get(key).await.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                back.as_deref() == Some(value.as_slice()),
                "{key}: value of {len} bytes did not round-trip"
            );
        }
        assert_eq!(store.len().await.unwrap_or_default(), 2);
        store.clear().await.unwrap_or_else(|e| panic!("{e}"));
    });
}

/// Writers keep replacing one key with whole values of one byte each; readers must always see
/// exactly one whole version, never none, two, or a mix; the end state is one whole value.
#[test]
fn gridfs_replacement_is_atomic_for_readers_and_writers() {
    let server = server();
    let rt = anykv_test_support::runtime();
    rt.block_on(async {
        let store = Arc::new(
            GridFsStorage::connect(options(&server, "replace"))
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
        const LEN: usize = 600 * 1024;
        store
            .set("k", &vec![0u8; LEN], None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let writers: Vec<_> = (1..=3u8)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    for round in 0..6u8 {
                        let byte = w * 16 + round;
                        store.set("k", &vec![byte; LEN], None).await?;
                    }
                    Ok::<_, Error>(())
                })
            })
            .collect();
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    for _ in 0..15 {
                        let value = store
                            .get("k")
                            .await?
                            .ok_or_else(|| Error::Config("a reader saw no version".into()))?;
                        assert_eq!(value.len(), LEN, "a reader saw a partial value");
                        assert!(
                            value.iter().all(|b| *b == value[0]),
                            "a reader saw a mix of versions"
                        );
                    }
                    Ok::<_, Error>(())
                })
            })
            .collect();
        for task in writers.into_iter().chain(readers) {
            task.await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let last = store
            .get("k")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
        assert!(
            last.len() == LEN && last.iter().all(|b| *b == last[0]),
            "the end state is not one whole value"
        );
        // Versions a non-atomic findAndModify failed to hand back are collected as orphans.
        let collector = GridFsStorage::connect(options(&server, "replace"))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .with_orphan_grace(Duration::ZERO);
        collector
            .purge_expired()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            collector.get("k").await.ok().flatten(),
            Some(last),
            "purging orphans touched the live value"
        );
        let client = mongodb::Client::with_uri_str(server.url())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let files = client
            .database("kv_mongo_specific")
            .collection::<Document>("replace.files")
            .count_documents(doc! {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(files, 1, "replaced versions were left behind");
        store.clear().await.unwrap_or_else(|e| panic!("{e}"));
    });
}

#[test]
fn expiry_is_a_bson_date_with_a_ttl_index() {
    let server = server();
    let rt = anykv_test_support::runtime();
    rt.block_on(async {
        let store = MongoStorage::connect(options(&server, "ttl_index"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .set("k", b"v", Some(Duration::from_secs(60)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let raw = store
            .collection()
            .find_one(doc! { "_id": "k" })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(
                raw.as_ref().and_then(|d| d.get("e")),
                Some(Bson::DateTime(_))
            ),
            "expiry is not a Date: {raw:?}"
        );
        let mut indexes = store
            .collection()
            .list_indexes()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut ttl = None;
        while let Some(index) = futures_util::TryStreamExt::try_next(&mut indexes)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
        {
            if index.keys.contains_key("e") {
                ttl = index.options.and_then(|o| o.expire_after);
            }
        }
        assert_eq!(
            ttl,
            Some(Duration::ZERO),
            "no TTL index with expireAfterSeconds 0 on e"
        );
        store.clear().await.unwrap_or_else(|e| panic!("{e}"));
    });
}

/// The 16 MB limit: the typed error names it and nothing is written.
#[test]
fn oversized_documents_are_refused_with_the_limit_and_nothing_written() {
    let server = server();
    let store =
        MongoStorage::open_blocking(options(&server, "limit")).unwrap_or_else(|e| panic!("{e}"));
    let error = KvStorage::set(&store, "k", &vec![0; MAX_VALUE_LEN + 1], None).err();
    assert!(
        matches!(error, Some(Error::ValueTooLarge { max, .. }) if max == MAX_VALUE_LEN),
        "{error:?}"
    );
    assert_eq!(KvStorage::len(&store).unwrap_or(1), 0);
}

/// `url` with its database path set to `database` (`mongodb://host/db?options`).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map_or(0, |at| at + 3);
    let hosts_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |at| scheme_end + at);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{database}{query}", &base[..hosts_end])
}

/// The database named in the connection string is the one used; the option overrides it.
#[test]
fn the_connection_strings_database_is_used() {
    let server = server();
    let rt = anykv_test_support::runtime();
    rt.block_on(async {
        let url = with_database(server.url(), "kv_from_uri");
        let from_uri = MongoStorage::connect(MongoOptions::new(&url).namespace("uri_db"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        from_uri
            .set("k", b"v", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let overridden = MongoStorage::connect(
            MongoOptions::new(&url)
                .database("kv_from_option")
                .namespace("uri_db"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        overridden
            .set("k", b"v", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let client = mongodb::Client::with_uri_str(server.url())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for database in ["kv_from_uri", "kv_from_option"] {
            let count = client
                .database(database)
                .collection::<Document>("uri_db")
                .count_documents(doc! {})
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(count, 1, "database {database} holds {count} entries");
        }
        from_uri.clear().await.unwrap_or_else(|e| panic!("{e}"));
        overridden.clear().await.unwrap_or_else(|e| panic!("{e}"));
    });
}

/// A document another client wrote with a string value (not binary) among 600 good ones is
/// reported once, naming its key, and hides nothing from `keys`, `items` or `len`; so is a
/// GridFS pointer without a file id.
#[test]
fn one_bad_document_hides_no_good_one() {
    let server = server();
    let namespace = anykv_test_support::unique_name("bad_doc");
    let store =
        MongoStorage::open_blocking(options(&server, &namespace)).unwrap_or_else(|e| panic!("{e}"));
    let good =
        anykv_test_support::write_good_entries(&store, 600).unwrap_or_else(|e| panic!("{e}"));
    // No value at all (a `v` of another BSON type is a JSON value, see queryable_values).
    let planted = doc! { "_id": "planted by hand", "value": "not where a value goes" };
    store
        .block_on(async { store.inner().collection().insert_one(planted).await })
        .and_then(|inserted| inserted.map_err(|e| Error::Config(e.to_string())))
        .unwrap_or_else(|e| panic!("{e}"));
    anykv_test_support::assert_bad_entry_reported(&store, &good, "planted by hand")
        .unwrap_or_else(|e| panic!("{e}"));
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));

    let gridfs = GridFsStorage::open_blocking(options(&server, &namespace))
        .unwrap_or_else(|e| panic!("{e}"));
    let good =
        anykv_test_support::write_good_entries(&gridfs, 300).unwrap_or_else(|e| panic!("{e}"));
    let client = mongodb::Client::with_uri_str(server.url());
    let planted = doc! { "_id": "pointer without a file", "n": 1i64 };
    gridfs
        .block_on(async {
            let client = client.await?;
            client
                .database("kv_mongo_specific")
                .collection::<Document>(&format!("{namespace}.keys"))
                .insert_one(planted)
                .await
        })
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    anykv_test_support::assert_bad_entry_reported(&gridfs, &good, "pointer without a file")
        .unwrap_or_else(|e| panic!("{e}"));
    KvStorage::clear(&gridfs).unwrap_or_else(|e| panic!("{e}"));
}

/// The remaining TTL of `key`, in whole minutes (`None`: no live entry or no expiry).
async fn minutes_left(store: &dyn AsyncKvStorage, key: &str) -> Option<u64> {
    let expiry = store.expiry(key).await.unwrap_or_else(|e| panic!("{e}"))?;
    expiry.ttl().map(|left| left.as_secs().div_ceil(60))
}

/// A store-wide TTL caps every write's expiry (a shorter one stays), and on opening brings the
/// entries written before it down to it; on both MongoDB stores; a short one hides entries
/// once it runs out.
#[test]
fn a_store_wide_ttl_covers_new_and_earlier_entries() {
    let server = server();
    anykv_test_support::runtime().block_on(async {
        let namespace = anykv_test_support::unique_name("store_ttl");
        let plain = MongoStorage::connect(options(&server, &namespace))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let gridfs = GridFsStorage::connect(options(&server, &format!("{namespace}_fs")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let hour = Duration::from_secs(3600);
        let stores: [(&str, Arc<dyn AsyncKvStorage>); 2] =
            [("documents", Arc::new(plain)), ("gridfs", Arc::new(gridfs))];
        for (name, store) in &stores {
            store
                .set("forever", b"v", None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            store
                .set("ten hours", b"v", Some(10 * hour))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            store
                .set("a minute", b"v", Some(Duration::from_secs(60)))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                minutes_left(store.as_ref(), "forever").await,
                None,
                "{name}"
            );
        }
        let capped = options(&server, &namespace).store_ttl(hour);
        let capped_fs = options(&server, &format!("{namespace}_fs")).store_ttl(hour);
        let reopened: [(&str, Arc<dyn AsyncKvStorage>); 2] = [
            (
                "documents",
                Arc::new(
                    MongoStorage::connect(capped)
                        .await
                        .unwrap_or_else(|e| panic!("{e}")),
                ),
            ),
            (
                "gridfs",
                Arc::new(
                    GridFsStorage::connect(capped_fs)
                        .await
                        .unwrap_or_else(|e| panic!("{e}")),
                ),
            ),
        ];
        for (name, store) in &reopened {
            for key in ["forever", "ten hours"] {
                assert_eq!(
                    minutes_left(store.as_ref(), key).await,
                    Some(60),
                    "{name}: {key}"
                );
            }
            assert_eq!(
                minutes_left(store.as_ref(), "a minute").await,
                Some(1),
                "{name}"
            );
            store
                .set("new", b"v", None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                minutes_left(store.as_ref(), "new").await,
                Some(60),
                "{name}"
            );
            store
                .set("brief", b"v", Some(Duration::from_secs(30)))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                minutes_left(store.as_ref(), "brief").await,
                Some(1),
                "{name}"
            );
            assert!(
                store.touch("forever", None).await.unwrap_or(false),
                "{name}"
            );
            assert_eq!(
                minutes_left(store.as_ref(), "forever").await,
                Some(60),
                "{name}: touch"
            );
        }

        let short = MongoStorage::connect(
            options(&server, &format!("{namespace}_short")).store_ttl(Duration::from_millis(200)),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        short
            .set("k", b"v", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while AsyncKvStorage::get(&short, "k")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the store-wide TTL never ran out"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let parsed = MongoOptions::from_url("mongodb://127.0.0.1/db?store_ttl=1h&namespace=n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.store_ttl, Some(Duration::from_secs(3600)));
}
