//! The network stores opened by URL against the suite's real servers: options and namespaces
//! reach the store, `hash=true` and `gridfs=true` pick the other layout, and what one face
//! writes the other reads, with its TTL.

#![cfg(any(feature = "redis", feature = "mongo"))]

use std::time::Duration;

use anykv::{open, open_async, KvStorage, Result};

/// `url` with `params` appended to its query.
fn with_params(url: &str, params: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{params}")
}

/// Writes through the blocking face of `url` and reads back through both faces; writes
/// through the async face and reads back through the blocking one.
fn both_faces_agree(url: &str, namespace: &str) -> Result<()> {
    let store = open(url)?;
    assert_eq!(store.namespace_name(), Some(namespace), "{url}");
    store.set("sync", b"written blocking", Some(Duration::from_secs(600)))?;
    let entry = store.get_entry("sync")?;
    assert!(
        entry.is_some_and(|entry| entry.expires_at.is_some()),
        "{url}: the TTL was lost"
    );
    let runtime = anykv_test_support::runtime();
    let read = runtime.block_on(async {
        let async_store = open_async(url).await?;
        async_store.set("async", b"written async", None).await?;
        async_store.get("sync").await
    })?;
    assert_eq!(read.as_deref(), Some(&b"written blocking"[..]), "{url}");
    assert_eq!(
        store.get("async")?.as_deref(),
        Some(&b"written async"[..]),
        "{url}"
    );
    let mut keys = store.keys()?.collect::<Result<Vec<_>>>()?;
    keys.sort();
    assert_eq!(keys, ["async", "sync"], "{url}");
    Ok(())
}

/// A store opened with `url` and one opened with `other_layout` under the same namespace
/// do not see each other's entries: the parameter picked another layout.
fn layouts_differ(url: &str, other_layout: &str) -> Result<()> {
    let store = open(url)?;
    let other = open(other_layout)?;
    store.set("layout", b"one", None)?;
    assert_eq!(
        other.get("layout")?,
        None,
        "{other_layout} saw {url}'s entry"
    );
    Ok(())
}

#[cfg(feature = "redis")]
#[test]
fn redis_urls_open_every_layout() -> Result<()> {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("url_redis");
    let per_key = with_params(
        server.url(),
        &format!("namespace={namespace}&response_timeout=5s&max_sync_connections=4"),
    );
    let hash = with_params(&per_key, "hash=true");
    both_faces_agree(&per_key, &namespace)?;
    both_faces_agree(&hash, &namespace)?;
    let fresh = anykv_test_support::unique_name("url_layout");
    layouts_differ(
        &with_params(server.url(), &format!("namespace={fresh}&hash=true")),
        &with_params(server.url(), &format!("namespace={fresh}")),
    )
}

#[cfg(feature = "redis")]
#[test]
fn redis_cluster_and_unix_socket_urls_open() -> Result<()> {
    let cluster = anykv_test_support::redis_cluster().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("url_cluster");
    both_faces_agree(
        &with_params(cluster.url(), &format!("namespace={namespace}")),
        &namespace,
    )?;
    both_faces_agree(
        &with_params(cluster.url(), &format!("namespace={namespace}&hash=true")),
        &namespace,
    )?;
    let unix = anykv_test_support::redis_unix().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("url_unix");
    both_faces_agree(
        &with_params(unix.url(), &format!("namespace={namespace}&db=2")),
        &namespace,
    )
}

#[cfg(feature = "mongo")]
#[test]
fn mongodb_urls_open_documents_and_gridfs() -> Result<()> {
    let server = anykv_test_support::mongo().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("url_mongo");
    let documents = with_params(
        server.url(),
        &format!("namespace={namespace}&database=kv_url_test&serverSelectionTimeoutMS=20000"),
    );
    let gridfs = with_params(&documents, "gridfs=true");
    both_faces_agree(&documents, &namespace)?;
    both_faces_agree(&gridfs, &namespace)?;
    let fresh = anykv_test_support::unique_name("url_layout");
    layouts_differ(
        &with_params(server.url(), &format!("namespace={fresh}&gridfs=true")),
        &with_params(server.url(), &format!("namespace={fresh}")),
    )?;
    // A parameter neither this crate nor the driver knows fails when the store connects.
    let unknown = open(&with_params(server.url(), "namespace=x&replicaSett=rs0"));
    assert!(unknown.is_err(), "an unknown driver option was accepted");
    Ok(())
}

/// Errors of a store opened by URL name the namespace and the key of the call, never the
/// password.
#[cfg(feature = "redis")]
#[test]
fn errors_name_namespace_and_key() {
    let port = anykv_test_support::free_port().unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "redis://user:hunter2@127.0.0.1:{port}/0?namespace=ctx&connect_timeout=500ms&response_timeout=1s"
    );
    let error = open(&url).and_then(|store| store.get("the-key"));
    let shown = error.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        shown.contains("in namespace \"ctx\" for key \"the-key\""),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains(&format!("127.0.0.1:{port}")),
        "no host: {shown}"
    );
}

/// A database number beyond the server's `databases` (16 here) is a configuration error at the
/// first call, on both faces, naming the server; not a retryable one.
#[cfg(feature = "redis")]
#[test]
fn a_database_beyond_the_servers_is_a_configuration_error() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let url = server.url();
    let authority = url.find("://").map_or(0, |at| at + 3);
    let base = match url[authority..].find(['/', '?']) {
        Some(end) => &url[..authority + end],
        None => url,
    };
    for layout in ["", "&hash=true"] {
        let url = format!("{base}/17?namespace=db17{layout}");
        let sync = open(&url).and_then(|store| store.set("k", b"v", None));
        let runtime = anykv_test_support::runtime();
        let nonblocking =
            runtime.block_on(async { open_async(&url).await?.set("k", b"v", None).await });
        for outcome in [sync, nonblocking] {
            let error = outcome
                .err()
                .unwrap_or_else(|| panic!("{url}: a write to database 17 of 16 succeeded"));
            assert_eq!(error.kind(), anykv::ErrorKind::Config, "{url}: {error}");
            assert!(
                error.to_string().contains("DB index is out of range"),
                "{url}: {error}"
            );
        }
    }
}
