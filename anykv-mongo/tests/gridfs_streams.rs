//! GridFS values written from async readers and read as async readers: whole, bounded, and a
//! failed upload leaves neither a changed entry nor a file behind.

use std::time::Duration;

use anykv_core::{AsyncKvStorage, Error};
use anykv_mongo::{GridFsStorage, MongoOptions};
use anykv_test_support::{Pattern, PatternCheck, TestServer};
use futures_util::io::{AllowStdIo, AsyncReadExt};
use mongodb::bson::doc;

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn store(
    server: &TestServer,
    namespace: &str,
    max: usize,
) -> anykv_core::Result<GridFsStorage> {
    let options = MongoOptions::new(server.url())
        .database("kv_gridfs_streams")
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
        let files_before = bucket_files(&server, "failed").await?;
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
        assert_eq!(bucket_files(&server, "failed").await?, files_before);
        let exact = store
            .set_from_reader("exact", AllowStdIo::new(Pattern::new(max as u64)), None)
            .await?;
        assert_eq!(exact, max as u64, "a value of exactly the limit is taken");
        Ok(())
    })
}

/// The files and chunks of the bucket `namespace`, counted straight from its collections.
async fn bucket_files(
    server: &TestServer,
    namespace: &str,
) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let client = mongodb::Client::with_uri_str(server.url()).await?;
    let database = client.database("kv_gridfs_streams");
    let count = |suffix: &str| {
        let collection =
            database.collection::<mongodb::bson::Document>(&format!("{namespace}.{suffix}"));
        async move { collection.count_documents(doc! {}).await }
    };
    Ok((count("files").await?, count("chunks").await?))
}
