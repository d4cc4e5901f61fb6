//! `dynamodb://` URLs against the suite's DynamoDB (dynalite, or the endpoint of
//! `STORAGE_TEST_DYNAMO_ENDPOINT`). Alone in its test binary: it sets the AWS credential
//! variables a local endpoint needs (URLs never carry credentials) before any thread starts.

#![cfg(feature = "dynamo")]

use std::time::Duration;

use anykv::{open, open_async, KvStorage, Result};

#[test]
fn dynamodb_urls_open_on_both_faces() -> Result<()> {
    let server = anykv_test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("url_dynamo");
    let mut url =
        format!("dynamodb://kv_url_test?namespace={namespace}&create_table=true&timeout=30s");
    if server.url() != "aws" {
        url.push_str(&format!("&endpoint={}&region=us-east-1", server.url()));
        for (name, value) in [
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ] {
            if std::env::var_os(name).is_none() {
                std::env::set_var(name, value);
            }
        }
    }
    let store = open(&url)?;
    assert_eq!(store.namespace_name(), Some(namespace.as_str()));
    store.set("sync", b"written blocking", Some(Duration::from_secs(600)))?;
    assert!(store
        .get_entry("sync")?
        .is_some_and(|entry| entry.expires_at.is_some()));
    let runtime = anykv_test_support::runtime();
    let read = runtime.block_on(async {
        let async_store = open_async(&url).await?;
        async_store.set("async", b"written async", None).await?;
        async_store.get("sync").await
    })?;
    assert_eq!(read.as_deref(), Some(&b"written blocking"[..]));
    assert_eq!(store.get("async")?.as_deref(), Some(&b"written async"[..]));
    store.clear()?;
    Ok(())
}
