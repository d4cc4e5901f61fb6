//! GridFS files beyond one `set` at a time: bulk operations write, read and delete their files
//! in batches (the files are the GridFS specification's: the driver reads them, and they read
//! the driver's), values stream in from async readers and out through them, and nothing is
//! left behind by duplicates, large values, failed or over-long streams.

use std::time::Duration;

use anykv_core::{AsyncKvStorage, AsyncKvStorageExt, Error};
use anykv_mongo::{GridFsStorage, MongoOptions};
use anykv_test_support::{Pattern, PatternCheck, TestServer};
use futures_util::io::{AllowStdIo, AsyncReadExt};
use futures_util::TryStreamExt;
use mongodb::bson::doc;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const DATABASE: &str = "kv_gridfs_files";

/// The documents of the bucket `namespace`'s `files` and `chunks` collections.
async fn stored(
    server: &TestServer,
    namespace: &str,
) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let client = mongodb::Client::with_uri_str(server.url()).await?;
    let database = client.database(DATABASE);
    let count = |suffix: &str| {
        let collection =
            database.collection::<mongodb::bson::Document>(&format!("{namespace}.{suffix}"));
        async move { collection.count_documents(doc! {}).await }
    };
    Ok((count("files").await?, count("chunks").await?))
}

fn pattern(len: u64) -> Vec<u8> {
    let mut value = Vec::new();
    std::io::Read::read_to_end(&mut Pattern::new(len), &mut value).unwrap_or_default();
    value
}

#[test]
fn batches_of_files_are_gridfs_files() -> TestResult {
    let server = anykv_test_support::mongo()?;
    anykv_test_support::runtime().block_on(async {
        let namespace = "bulk";
        let store = store(&server, namespace, 32 << 20).await?;
        // Three chunks of 255 KiB (batched), nine (through the driver), empty, one key twice.
        let three_chunks = pattern(600 * 1024);
        let nine_chunks = pattern(2 << 20);
        let entries: [(&str, &[u8]); 7] = [
            ("three", &three_chunks),
            ("nine", &nine_chunks),
            ("empty", b""),
            ("twice", b"first"),
            ("twice", b"second"),
            // A large value, then a small one, of one key: the later wins.
            ("large then small", &nine_chunks),
            ("large then small", b"small"),
        ];
        store
            .set_many(&entries, Some(Duration::from_secs(3600)))
            .await?;
        // Read by the driver's download stream (get) and by the batch (get_many).
        for key in ["three", "nine"] {
            let value = store.get(key).await?.ok_or("a batched value is missing")?;
            let len = PatternCheck::read_all(&mut &value[..])?;
            assert!(len == 600 * 1024 || len == 2 << 20);
        }
        let got = store
            .get_many(&[
                "three",
                "nine",
                "empty",
                "twice",
                "absent",
                "large then small",
            ])
            .await?;
        assert_eq!(got[0].as_deref(), Some(&three_chunks[..]));
        assert_eq!(got[1].as_deref(), Some(&nine_chunks[..]));
        assert_eq!(got[2].as_deref(), Some(&b""[..]));
        assert_eq!(got[3].as_deref(), Some(&b"second"[..]));
        assert_eq!(got[4], None);
        assert_eq!(got[5].as_deref(), Some(&b"small"[..]));
        // Written by the driver, read by the batch.
        store.set("single", &three_chunks, None).await?;
        let got = store.get_many(&["single"]).await?;
        assert_eq!(got[0].as_deref(), Some(&three_chunks[..]));
        let items: Vec<(String, Vec<u8>)> = store.items().await?.try_collect().await?;
        assert_eq!(items.len(), 6);
        assert!(items.contains(&("nine".to_owned(), nine_chunks.clone())));

        // One file per key, the replaced one ("twice"'s first) gone.
        let (files, chunks) = stored(&server, namespace).await?;
        assert_eq!(files, 6, "files left behind");
        assert_eq!(chunks, 3 + 9 + 1 + 3 + 1, "chunks left behind");

        let deleted = store
            .delete_many(&[
                "three",
                "nine",
                "empty",
                "twice",
                "single",
                "absent",
                "large then small",
            ])
            .await?;
        assert_eq!(deleted, 6);
        assert_eq!(stored(&server, namespace).await?, (0, 0));
        Ok(())
    })
}

async fn store(
    server: &TestServer,
    namespace: &str,
    max: usize,
) -> anykv_core::Result<GridFsStorage> {
    let options = MongoOptions::new(server.url())
        .database(DATABASE)
        .namespace(namespace);
    let store = GridFsStorage::connect(options)
        .await?
        .with_max_value_len(max);
    store.clear().await?;
    Ok(store)
}

/// A 20 MiB value streams in from a reader and back out through one, with its length and TTL.
#[test]
fn large_values_stream_in_and_out() -> TestResult {
    let server = anykv_test_support::mongo()?;
    anykv_test_support::runtime().block_on(async {
        let store = store(&server, "streamed", 32 << 20).await?;
        let len = 20 << 20;
        let ttl = Some(Duration::from_secs(3600));
        let written = store
            .set_from_reader("big", AllowStdIo::new(Pattern::new(len)), ttl)
            .await?;
        assert_eq!(written, len);
        let mut reader = store.get_reader("big").await?.ok_or("no reader")?;
        assert_eq!(reader.len(), len);
        assert!(reader.expires_at().is_some());
        let mut check = PatternCheck::default();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            check.check(&buffer[..n])?;
        }
        assert_eq!(check.checked(), len);
        assert_eq!(store.get("big").await?.map(|v| v.len() as u64), Some(len));
        assert!(store.get_reader("absent").await?.is_none());
        Ok(())
    })
}

/// A reader past the limit, or one that fails, leaves the entry as it was and no file behind.
#[test]
fn failed_streams_change_nothing() -> TestResult {
    let server = anykv_test_support::mongo()?;
    anykv_test_support::runtime().block_on(async {
        let max = 1 << 20;
        let store = store(&server, "failed", max).await?;
        store.set("kept", b"old", None).await?;
        let files_before = stored(&server, "failed").await?;
        match store
            .set_from_reader("kept", AllowStdIo::new(Pattern::new(3 << 20)), None)
            .await
        {
            Err(Error::ValueTooLarge {
                len, max: limit, ..
            }) => {
                assert_eq!((len, limit), (max + 1, max));
            }
            other => return Err(format!("an over-long stream gave {other:?}").into()),
        }
        let failing = Pattern::new(4 << 20).failing_at(600 * 1024);
        let error = store
            .set_from_reader("kept", AllowStdIo::new(failing), None)
            .await
            .err()
            .ok_or("a failing reader was stored")?;
        assert!(error.to_string().contains("source went away"), "{error}");
        assert_eq!(store.get("kept").await?, Some(b"old".to_vec()));
        assert_eq!(stored(&server, "failed").await?, files_before);
        let exact = store
            .set_from_reader("exact", AllowStdIo::new(Pattern::new(max as u64)), None)
            .await?;
        assert_eq!(exact, max as u64, "a value of exactly the limit is taken");
        Ok(())
    })
}
