//! What the manager does beyond a backend's plain reads and writes: signed entries and
//! tampering, responses larger than the store takes, serializers, a store that goes away, and
//! the TTL it gives entries.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anykv_core::{
    AsyncAdapter, AsyncKvStorage, AsyncKvStorageExt, Error, ErrorKind, Json, MemoryStorage, Signed,
    Signer, SigningKey,
};
use anykv_http::{store_error, KvCacheManager, ManagerStats};
use http_cache::{CacheManager, HttpResponse, HttpVersion};
use http_cache_semantics::CachePolicy;

mod common;

use common::origin::Origin;
use common::{client, fetch};

fn memory() -> Arc<dyn AsyncKvStorage> {
    Arc::new(AsyncAdapter::new(MemoryStorage::new()))
}

/// A response of `body` with `cache_control`, and its policy.
fn response(body: &[u8], cache_control: &str) -> (HttpResponse, CachePolicy) {
    let url = "http://origin.test/page";
    let request = http::Request::get(url)
        .body(())
        .unwrap_or_else(|e| panic!("{e}"));
    let parts = http::Response::builder()
        .status(200)
        .header("cache-control", cache_control)
        .body(())
        .unwrap_or_else(|e| panic!("{e}"));
    let policy = CachePolicy::new(&request, &parts);
    let response = HttpResponse {
        body: body.to_vec(),
        headers: [("cache-control".to_owned(), cache_control.to_owned())].into(),
        status: 200,
        url: url.parse().unwrap_or_else(|e| panic!("{e}")),
        version: HttpVersion::Http11,
    };
    (response, policy)
}

fn runtime() -> tokio::runtime::Runtime {
    anykv_test_support::runtime()
}

#[test]
fn signed_entries_are_served_and_tampered_ones_are_misses() {
    runtime().block_on(async {
        let inner = memory();
        let key = SigningKey::new("k1", b"a secret of the test".to_vec())
            .unwrap_or_else(|e| panic!("{e}"));
        let signer = Signer::new("http", [key]).unwrap_or_else(|e| panic!("{e}"));
        let signed = Signed::new_async(inner.clone(), signer);
        let manager = KvCacheManager::new(signed);
        let origin = Origin::start().await;
        let client = client(manager.clone());
        let url = origin.url("/max-age");
        assert_eq!(fetch(&client, &url, &[]).await.1, "MISS");
        assert_eq!(
            fetch(&client, &url, &[]).await,
            (200, "HIT".into(), b"response 1".to_vec())
        );

        let key = format!("GET:{url}");
        let mut bytes = inner
            .get(&key)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("stored"));
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        inner
            .set(&key, &bytes, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        assert_eq!(
            fetch(&client, &url, &[]).await,
            (200, "MISS".into(), b"response 2".to_vec()),
            "a tampered entry is a miss"
        );
        assert_eq!(
            fetch(&client, &url, &[]).await,
            (200, "HIT".into(), b"response 2".to_vec()),
            "and is replaced"
        );
        let stats = manager.stats();
        assert_eq!(
            (stats.unreadable, stats.found, stats.stored),
            (1, 2, 2),
            "{stats:?}"
        );
        assert_eq!(origin.hits("/max-age"), 2);
    });
}

#[test]
fn a_response_over_the_value_limit_reaches_the_caller_and_drops_the_older_entry() {
    runtime().block_on(async {
        let store = MemoryStorage::new().with_max_value_len(64 << 10);
        let manager = KvCacheManager::new(AsyncAdapter::new(store));
        let key = "GET:http://origin.test/page";
        let (small, policy) = response(b"small", "max-age=60");
        manager
            .put(key.into(), small, policy)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            manager.get(key).await.ok().flatten().is_some(),
            "the small response is cached"
        );

        let big_body = vec![7u8; 100 << 10];
        let (big, policy) = response(&big_body, "max-age=60");
        let returned = manager
            .put(key.into(), big, policy)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(returned.body, big_body, "the response comes back whole");
        assert!(
            manager.get(key).await.ok().flatten().is_none(),
            "no older response is served instead"
        );
        assert_eq!(manager.stats().too_large, 1);
        assert!(manager.store().is_empty().await.unwrap_or(false));
    });
}

#[test]
fn entries_of_another_serializer_are_misses_and_json_entries_are_readable() {
    runtime().block_on(async {
        let store = memory();
        let json = KvCacheManager::new(store.clone()).serializer(Json);
        let postcard = KvCacheManager::new(store.clone());
        let key = "GET:http://origin.test/page";
        let (page, policy) = response(b"hello", "max-age=60");
        json.put(key.into(), page, policy)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let read = json
            .get(key)
            .await
            .ok()
            .flatten()
            .map(|(response, _)| response.body);
        assert_eq!(read.as_deref(), Some(&b"hello"[..]));
        let raw = store.get(key).await.ok().flatten().unwrap_or_default();
        assert!(serde_json_like(&raw[3..]), "JSON after the codec header");
        assert!(
            postcard.get(key).await.ok().flatten().is_none(),
            "another serializer's entry"
        );
        assert_eq!(postcard.stats().unreadable, 1);
    });
}

fn serde_json_like(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'{') && bytes.last() == Some(&b'}')
}

#[test]
fn the_store_ttl_is_time_to_stale_plus_grace_capped_by_max_ttl() {
    let now = SystemTime::now();
    let (_, fresh) = response(b"", "max-age=60");
    let (_, stale) = response(b"", "no-cache");
    let manager = KvCacheManager::new(memory());
    let hour = Duration::from_secs(3600);
    let ttl = manager.store_ttl(&fresh, now);
    assert!(
        ttl.is_some_and(
            |ttl| ttl > hour + Duration::from_secs(58) && ttl <= hour + Duration::from_secs(60)
        ),
        "{ttl:?}"
    );
    assert_eq!(
        manager.store_ttl(&stale, now),
        Some(hour),
        "stale on arrival: the grace"
    );
    let manager = manager.grace(Duration::ZERO);
    assert_eq!(
        manager.store_ttl(&stale, now),
        None,
        "no grace: a stale response is not kept"
    );
    let manager = manager.grace(hour).max_ttl(Duration::from_secs(10));
    assert_eq!(
        manager.store_ttl(&fresh, now),
        Some(Duration::from_secs(10))
    );
}

#[test]
fn no_grace_leaves_stale_responses_out_of_the_store() {
    runtime().block_on(async {
        let manager = KvCacheManager::new(memory()).grace(Duration::ZERO);
        let origin = Origin::start().await;
        let client = client(manager.clone());
        let url = origin.url("/etag");
        assert_eq!(fetch(&client, &url, &[]).await.2, b"response 1");
        assert_eq!(
            fetch(&client, &url, &[]).await.2,
            b"response 2",
            "nothing to revalidate"
        );
        assert_eq!(origin.not_modified("/etag"), 0);
        assert!(manager.store().is_empty().await.unwrap_or(false));
        assert_eq!(manager.stats().stored, 0);
    });
}

/// A Redis store whose server has stopped: every call fails with a connection error.
fn unreachable_redis() -> anykv_redis::RedisStorage {
    let mut server = anykv_test_support::start_redis(None).unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "redis://127.0.0.1:{}/0?connect_timeout=5s&response_timeout=5s",
        server.port
    );
    let store = anykv_redis::RedisStorage::from_url(&url, &anykv_test_support::unique_name("http"))
        .unwrap_or_else(|e| panic!("{e}"));
    server.stop();
    store
}

#[test]
fn a_failing_store_fails_the_request_with_its_error_unless_bypassed() {
    let store = Arc::new(unreachable_redis());
    runtime().block_on(async {
        let origin = Origin::start().await;
        let url = origin.url("/max-age");

        let strict = client(KvCacheManager::new(store.clone()));
        let error = match strict.get(&url).send().await {
            Ok(response) => {
                panic!("a request through an unreachable store succeeded: {response:?}")
            }
            Err(error) => error,
        };
        let kind = match &error {
            reqwest_middleware::Error::Middleware(error) => store_error(&**error).map(Error::kind),
            reqwest_middleware::Error::Reqwest(_) => None,
        };
        assert_eq!(
            kind,
            Some(ErrorKind::Unavailable),
            "the store's error is inside: {error:?}"
        );

        let bypassing = KvCacheManager::new(store.clone()).bypass_store_errors(true);
        let lenient = client(bypassing.clone());
        assert_eq!(fetch(&lenient, &url, &[]).await.2, b"response 1");
        assert_eq!(
            fetch(&lenient, &url, &[]).await.2,
            b"response 2",
            "nothing was cached"
        );
        let stats: ManagerStats = bypassing.stats();
        assert!(
            stats.bypassed_errors >= 4,
            "each read and write failed: {stats:?}"
        );
        assert_eq!((stats.found, stats.stored), (0, 0));
    });
}
