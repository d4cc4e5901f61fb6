//! reqwest + http-cache-reqwest through a [`KvCacheManager`] on every backend of the family
//! (Redis standalone and Cluster, MongoDB documents and GridFS), against a real origin server
//! that counts its answers: `max-age` served from the cache, `no-store` never stored, ETag
//! revalidation answered 304 and refreshed, `Vary` respected, bodies of megabytes (or not cached
//! where the store cannot hold them), URLs longer than any key, and expiry through the store's
//! own TTL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anykv_conformance::backends::{Dynamo, Fs, Memory, Mongo, MongoKind, Redis, RedisKind, Sqlite};
use anykv_conformance::{Backend, Guarded};
use anykv_core::{AsyncKvStorage, Expiry, Timestamp};
use anykv_http::{store_key, KvCacheManager, LONGEST_PLAIN_KEY};
use http_cache_reqwest::CacheManager;
use reqwest_middleware::ClientWithMiddleware;

mod common;

use common::origin::{big_body, Origin};
use common::{client, fetch};

type Manager = KvCacheManager<Arc<dyn AsyncKvStorage>>;

/// The grace of the main manager: long enough to tell apart from the policy's 60 s.
const GRACE: Duration = Duration::from_secs(120);

/// The size of the large body: over the value limit of DynamoDB (400 KB), under the 4 MiB
/// of the suite's memory and SQLite stores.
const BIG: usize = 3 << 20;

fn run(backend: &dyn Backend) {
    let store = backend
        .open_async(&anykv_conformance::unique_namespace("http"))
        .unwrap_or_else(|e| panic!("{}: cannot open a store: {e}", backend.name()));
    let name = backend.name();
    anykv_test_support::runtime().block_on(every_behaviour(&name, store));
}

async fn every_behaviour(backend: &str, store: Arc<dyn AsyncKvStorage>) {
    let origin = Origin::start().await;
    let manager = KvCacheManager::new(store.clone()).grace(GRACE);
    let client = client(manager.clone());
    max_age_is_served_from_the_cache(backend, &origin, &client, &store).await;
    no_store_is_never_stored(backend, &origin, &client, &store).await;
    etag_revalidation_refreshes_the_entry(backend, &origin, &client, &manager).await;
    vary_keeps_variants_apart(backend, &origin, &client).await;
    large_bodies_are_cached_where_the_store_holds_them(backend, &origin, &client, &manager).await;
    urls_longer_than_any_key_are_cached(backend, &origin, &client, &store).await;
    entries_expire_through_the_store_ttl(backend, &origin, &store).await;
    store
        .clear()
        .await
        .unwrap_or_else(|e| panic!("{backend}: clear: {e}"));
}

fn key_of(url: &str) -> String {
    store_key(&format!("GET:{url}")).into_owned()
}

async fn expiry_of(backend: &str, store: &Arc<dyn AsyncKvStorage>, url: &str) -> Timestamp {
    match store.expiry(&key_of(url)).await {
        Ok(Some(Expiry::At(at))) => at,
        other => panic!("{backend}: {url} should be stored with a TTL, found {other:?}"),
    }
}

/// Asserts `at` lies in `[earliest + ttl - 2 s, latest + ttl + 1 s]`: the policy's age comes
/// from the `Date` header, whole seconds.
fn assert_expiry_within(
    backend: &str,
    what: &str,
    at: Timestamp,
    window: (Timestamp, Timestamp),
    ttl: Duration,
) {
    let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let low = window.0.as_millis() + ttl - 2000;
    let high = window.1.as_millis() + ttl + 1000;
    assert!(
        (low..=high).contains(&at.as_millis()),
        "{backend}: {what}: store expiry {} not within [{low}, {high}]",
        at.as_millis()
    );
}

async fn max_age_is_served_from_the_cache(
    backend: &str,
    origin: &Origin,
    client: &ClientWithMiddleware,
    store: &Arc<dyn AsyncKvStorage>,
) {
    let url = origin.url("/max-age");
    let before = Timestamp::now();
    let first = fetch(client, &url, &[]).await;
    let after = Timestamp::now();
    assert_eq!(
        first,
        (200, "MISS".into(), b"response 1".to_vec()),
        "{backend}: first GET"
    );
    let second = fetch(client, &url, &[]).await;
    assert_eq!(
        second,
        (200, "HIT".into(), b"response 1".to_vec()),
        "{backend}: second GET"
    );
    assert_eq!(
        origin.hits("/max-age"),
        1,
        "{backend}: the origin saw one request"
    );
    let at = expiry_of(backend, store, &url).await;
    assert_expiry_within(
        backend,
        "max-age=60 + grace",
        at,
        (before, after),
        Duration::from_secs(60) + GRACE,
    );
}

async fn no_store_is_never_stored(
    backend: &str,
    origin: &Origin,
    client: &ClientWithMiddleware,
    store: &Arc<dyn AsyncKvStorage>,
) {
    let url = origin.url("/no-store");
    assert_eq!(fetch(client, &url, &[]).await.2, b"response 1", "{backend}");
    assert_eq!(fetch(client, &url, &[]).await.2, b"response 2", "{backend}");
    assert_eq!(
        origin.hits("/no-store"),
        2,
        "{backend}: no-store went to the origin each time"
    );
    let stored = store.contains(&key_of(&url)).await;
    assert!(
        matches!(stored, Ok(false)),
        "{backend}: no-store must not be stored: {stored:?}"
    );
}

async fn etag_revalidation_refreshes_the_entry(
    backend: &str,
    origin: &Origin,
    client: &ClientWithMiddleware,
    manager: &Manager,
) {
    let url = origin.url("/etag");
    assert_eq!(
        fetch(client, &url, &[]).await.2,
        b"response 1",
        "{backend}: first GET"
    );
    for round in 1..=2 {
        let before = Timestamp::now();
        let (status, _, body) = fetch(client, &url, &[]).await;
        let after = Timestamp::now();
        assert_eq!(
            (status, body.as_slice()),
            (200, &b"response 1"[..]),
            "{backend}: revalidated GET {round}"
        );
        assert_eq!(origin.hits("/etag"), 1, "{backend}: one full answer");
        assert_eq!(
            origin.not_modified("/etag"),
            round,
            "{backend}: a 304 per revalidation"
        );
        let stored = manager
            .get(&format!("GET:{url}"))
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let Some((response, _)) = stored else {
            panic!("{backend}: the revalidated entry is gone");
        };
        assert_eq!(
            response.headers.get("x-revalidations").map(String::as_str),
            Some(round.to_string().as_str()),
            "{backend}: the stored entry carries the 304's headers"
        );
        let at = expiry_of(backend, manager.store(), &url).await;
        assert_expiry_within(
            backend,
            "no-cache: the grace, from the revalidation",
            at,
            (before, after),
            GRACE,
        );
    }
}

async fn vary_keeps_variants_apart(backend: &str, origin: &Origin, client: &ClientWithMiddleware) {
    let url = origin.url("/vary");
    let english = [("accept-language", "en")];
    let french = [("accept-language", "fr")];
    assert_eq!(fetch(client, &url, &english).await.2, b"en 1", "{backend}");
    assert_eq!(
        fetch(client, &url, &french).await.2,
        b"fr 2",
        "{backend}: another variant"
    );
    assert_eq!(
        fetch(client, &url, &french).await,
        (200, "HIT".into(), b"fr 2".to_vec()),
        "{backend}"
    );
    assert_eq!(
        fetch(client, &url, &english).await.2,
        b"en 3",
        "{backend}: the stored variant is fr"
    );
    assert_eq!(origin.hits("/vary"), 3, "{backend}");
}

async fn large_bodies_are_cached_where_the_store_holds_them(
    backend: &str,
    origin: &Origin,
    client: &ClientWithMiddleware,
    manager: &Manager,
) {
    let path = format!("/big/{BIG}");
    let url = origin.url(&path);
    let limit = manager.store().max_value_len();
    let before = manager.stats();
    let first = fetch(client, &url, &[]).await;
    assert_eq!(first.2.len(), BIG, "{backend}: the whole body arrives");
    assert!(first.2 == big_body(BIG, 1), "{backend}: the first body");
    let second = fetch(client, &url, &[]).await;
    let stored = manager.store().contains(&key_of(&url)).await;
    if limit > BIG + (64 << 10) {
        assert_eq!(
            second.1, "HIT",
            "{backend}: a {BIG}-byte body is cached (limit {limit})"
        );
        assert!(
            second.2 == big_body(BIG, 1),
            "{backend}: the cached body is the first one"
        );
        assert_eq!(origin.hits(&path), 1, "{backend}");
        assert!(matches!(stored, Ok(true)), "{backend}: {stored:?}");
    } else {
        assert!(
            limit < BIG,
            "{backend}: pick a body size away from the limit {limit}"
        );
        assert_eq!(
            second.1, "MISS",
            "{backend}: over the limit {limit}: not cached"
        );
        assert!(
            second.2 == big_body(BIG, 2),
            "{backend}: the second body comes from the origin"
        );
        assert_eq!(origin.hits(&path), 2, "{backend}");
        assert_eq!(
            manager.stats().too_large,
            before.too_large + 2,
            "{backend}: counted"
        );
        assert!(matches!(stored, Ok(false)), "{backend}: {stored:?}");
    }
}

async fn urls_longer_than_any_key_are_cached(
    backend: &str,
    origin: &Origin,
    client: &ClientWithMiddleware,
    store: &Arc<dyn AsyncKvStorage>,
) {
    let url = origin.url(&format!("/max-age?q={}", "long".repeat(500)));
    let hits = origin.hits("/max-age");
    assert_eq!(fetch(client, &url, &[]).await.1, "MISS", "{backend}");
    assert_eq!(
        fetch(client, &url, &[]).await.1,
        "HIT",
        "{backend}: a 2 KB URL is cached"
    );
    assert_eq!(origin.hits("/max-age"), hits + 1, "{backend}");
    let key = key_of(&url);
    assert!(
        key.len() > LONGEST_PLAIN_KEY,
        "{backend}: stored under a digest"
    );
    assert!(matches!(store.contains(&key).await, Ok(true)), "{backend}");
}

async fn entries_expire_through_the_store_ttl(
    backend: &str,
    origin: &Origin,
    store: &Arc<dyn AsyncKvStorage>,
) {
    let manager = KvCacheManager::new(store.clone()).grace(Duration::ZERO);
    let client = client(manager);
    let url = origin.url("/short");
    let before = Timestamp::now();
    assert_eq!(
        fetch(&client, &url, &[]).await.2,
        b"response 1",
        "{backend}"
    );
    let after = Timestamp::now();
    let at = expiry_of(backend, store, &url).await;
    assert_expiry_within(
        backend,
        "max-age=1, no grace",
        at,
        (before, after),
        Duration::from_secs(1),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(store.contains(&key_of(&url)).await, Ok(false)) {
        assert!(
            Instant::now() < deadline,
            "{backend}: the entry never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        fetch(&client, &url, &[]).await.2,
        b"response 2",
        "{backend}: fetched again"
    );
    assert_eq!(origin.hits("/short"), 2, "{backend}");
}

#[test]
fn memory() {
    run(&Memory::default());
}

#[test]
fn sqlite() {
    run(&Sqlite::new());
}

#[test]
fn fs() {
    run(&Fs::new());
}

fn redis(start: fn() -> Result<anykv_test_support::TestServer, String>, kind: RedisKind) {
    let server = start().unwrap_or_else(|e| panic!("{e}"));
    run(&Guarded::new(Redis::new(server.url(), kind), server));
}

#[test]
fn redis_per_key() {
    redis(anykv_test_support::redis, RedisKind::PerKey);
}

#[test]
fn redis_hash() {
    redis(anykv_test_support::redis, RedisKind::Hash);
}

#[test]
fn redis_cluster_per_key() {
    redis(anykv_test_support::redis_cluster, RedisKind::PerKey);
}

fn mongo(kind: MongoKind) {
    let server = anykv_test_support::mongo().unwrap_or_else(|e| panic!("{e}"));
    let backend = Mongo::new(server.url(), kind).unwrap_or_else(|e| panic!("{e}"));
    run(&Guarded::new(backend, server));
}

#[test]
fn mongo_documents() {
    mongo(MongoKind::Documents);
}

#[test]
fn mongo_gridfs() {
    mongo(MongoKind::GridFs);
}

#[test]
fn dynamo() {
    let server = anykv_test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    let backend = Dynamo::new(server.url()).unwrap_or_else(|e| panic!("{e}"));
    run(&Guarded::new(backend, server));
}
