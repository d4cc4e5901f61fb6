//! TLS with a CA of one's own and client certificates, against a `redis-server` that trusts
//! only that CA and asks every client for a certificate (both made by `openssl` for the run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anykv_core::invalidation::Invalidation;
use anykv_core::{AsyncKvStorage, ErrorKind, KvStorage};
use anykv_redis::{RedisOptions, RedisStorage};
use anykv_test_support::{redis_tls, TlsFiles};

fn setup() -> (TlsFiles, anykv_test_support::TestServer) {
    let files = TlsFiles::generate().unwrap_or_else(|e| panic!("{e}"));
    let server = redis_tls(&files).unwrap_or_else(|e| panic!("{e}"));
    (files, server)
}

/// `url` with the TLS files as URL parameters (and a namespace).
fn url_with_files(server: &str, files: &TlsFiles, namespace: &str) -> String {
    format!(
        "{server}?namespace={namespace}&tls_ca_file={}&tls_cert_file={}&tls_key_file={}",
        files.path("ca.crt").display(),
        files.path("client.crt").display(),
        files.path("client.key").display()
    )
}

#[test]
fn stores_talk_tls_with_a_private_ca_and_a_client_certificate() -> anykv_core::Result<()> {
    let (files, server) = setup();
    let namespace = anykv_test_support::unique_name("tls");
    let store = RedisStorage::new(RedisOptions::from_url(&url_with_files(
        server.url(),
        &files,
        &namespace,
    ))?)?;
    KvStorage::set(&store, "k", b"over tls", Some(Duration::from_secs(60)))?;
    assert_eq!(KvStorage::get(&store, "k")?, Some(b"over tls".to_vec()));
    assert_eq!(KvStorage::increment(&store, "n", 2, None)?, 2);

    // The same from PEM bytes, on the async face.
    let pem = |name: &str| files.read(name).unwrap_or_else(|e| panic!("{e}"));
    let options = RedisOptions::from_url(&format!("{}?namespace={namespace}", server.url()))?
        .tls_ca(pem("ca.crt"))
        .tls_client_certificate(pem("client.crt"), pem("client.key"));
    let async_store = RedisStorage::new(options)?;
    let got = anykv_test_support::runtime().block_on(async {
        AsyncKvStorage::set(&async_store, "a", b"async over tls", None).await?;
        AsyncKvStorage::get(&async_store, "k").await
    })?;
    assert_eq!(got, Some(b"over tls".to_vec()));
    assert_eq!(
        KvStorage::get(&store, "a")?,
        Some(b"async over tls".to_vec())
    );
    Ok(())
}

#[test]
fn a_server_that_cannot_be_trusted_or_a_missing_certificate_is_an_error() -> anykv_core::Result<()>
{
    let (files, server) = setup();
    let path = |name: &str| files.path(name).display().to_string();
    let attempts = [
        (
            "the system's roots only",
            format!("{}?response_timeout=5s", server.url()),
        ),
        (
            "another CA",
            format!(
                "{}?tls_ca_file={}&tls_cert_file={}&tls_key_file={}",
                server.url(),
                path("other-ca.crt"),
                path("client.crt"),
                path("client.key")
            ),
        ),
        (
            "no client certificate",
            format!("{}?tls_ca_file={}", server.url(), path("ca.crt")),
        ),
    ];
    for (what, url) in attempts {
        let store = RedisStorage::new(RedisOptions::from_url(&url)?)?;
        let error = KvStorage::get(&store, "k").err();
        let Some(error) = error else {
            panic!("{what}: the store read over an untrusted or unauthenticated connection");
        };
        assert!(
            !error.to_string().contains("PRIVATE KEY"),
            "{what}: an error shows the key: {error}"
        );
        assert_ne!(error.kind(), ErrorKind::InvalidData, "{what}: {error}");
    }
    let plain = RedisOptions::from_url(&format!(
        "redis://127.0.0.1:1?tls_ca_file={}",
        path("ca.crt")
    ));
    assert!(plain.is_err_and(|e| e.kind() == ErrorKind::Config));
    let half = RedisOptions::from_url(&format!(
        "{}?tls_cert_file={}",
        server.url(),
        path("client.crt")
    ));
    assert!(half.is_err_and(|e| e.to_string().contains("tls_key_file")));
    let missing =
        RedisOptions::from_url(&format!("{}?tls_ca_file=/nonexistent/ca.crt", server.url()));
    assert!(missing.is_err_and(|e| e.to_string().contains("/nonexistent/ca.crt")));
    Ok(())
}

/// A store built on the application's own TLS client keeps its certificates, and the change
/// feed of a near cache connects with the store's certificates too.
#[test]
fn a_client_of_the_application_and_the_change_feed_keep_their_tls() -> anykv_core::Result<()> {
    let (files, server) = setup();
    let pem = |name: &str| files.read(name).unwrap_or_else(|e| panic!("{e}"));
    let client = redis::Client::build_with_tls(
        server.url(),
        redis::TlsCertificates {
            client_tls: Some(redis::ClientTlsConfig {
                client_cert: pem("client.crt"),
                client_key: pem("client.key"),
            }),
            root_cert: Some(pem("ca.crt")),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("tls_client");
    let store = RedisStorage::from_client(&client, &namespace)?;
    KvStorage::set(&store, "k", b"v", None)?;
    assert_eq!(KvStorage::get(&store, "k")?, Some(b"v".to_vec()));

    let feed_store = RedisStorage::new(RedisOptions::from_url(&url_with_files(
        server.url(),
        &files,
        &namespace,
    ))?)?;
    let tracking = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = tracking.clone();
    let _listener = feed_store.listen_for_changes(move |change| {
        if matches!(change, Invalidation::Tracking) {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    })?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tracking.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the change feed never tracked over TLS"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// A cluster whose nodes speak TLS only (clients and bus), each with its own port: both stores
/// reach every master with the private CA and the client certificate, on both faces; a scan
/// lists the keys of all three masters.
#[test]
fn clusters_talk_tls_too() -> anykv_core::Result<()> {
    let files = TlsFiles::generate().unwrap_or_else(|e| panic!("{e}"));
    let cluster = anykv_test_support::redis_tls_cluster(&files).unwrap_or_else(|e| panic!("{e}"));
    assert!(cluster.url().starts_with("rediss+cluster://"));
    let namespace = anykv_test_support::unique_name("tlscluster");
    let url = url_with_files(cluster.url(), &files, &namespace);
    let per_key = RedisStorage::new(RedisOptions::from_url(&url)?)?;
    let hash = anykv_redis::RedisHashStorage::new(RedisOptions::from_url(&url)?)?;
    let stores: [&dyn KvStorage; 2] = [&per_key, &hash];
    for store in stores {
        // Enough keys that every master holds some (slots are spread over three masters).
        for i in 0..60 {
            store.set(&format!("k{i}"), format!("v{i}").as_bytes(), None)?;
        }
        assert_eq!(store.get("k7")?, Some(b"v7".to_vec()));
        assert_eq!(store.increment("n", 5, None)?, 5);
        let keys: Vec<String> = store.keys()?.collect::<anykv_core::Result<_>>()?;
        assert_eq!(keys.len(), 61, "keys over TLS: {keys:?}");
        store.clear()?;
        assert_eq!(store.len()?, 0);
    }
    let got = anykv_test_support::runtime().block_on(async {
        AsyncKvStorage::set(&per_key, "async", b"over tls", None).await?;
        AsyncKvStorage::get(&per_key, "async").await
    })?;
    assert_eq!(got, Some(b"over tls".to_vec()));

    let without_certificate = format!(
        "{}?namespace={namespace}&tls_ca_file={}&response_timeout=5s",
        cluster.url(),
        files.path("ca.crt").display()
    );
    let refused = RedisStorage::new(RedisOptions::from_url(&without_certificate)?)
        .and_then(|store| KvStorage::get(&store, "async"));
    let error = refused
        .err()
        .unwrap_or_else(|| panic!("a client without a certificate got in"));
    assert!(error.is_retryable(), "{error}");
    Ok(())
}
