//! The middleware's options as requests-cache / aiohttp-client-cache users set them, against a
//! real origin that counts requests, on memory and on a SQLite file: expiry by URL pattern and
//! for every URL (filling in or overriding the headers), never caching a pattern, ignored query
//! parameters, read-only mode, cacheable statuses, a per-response filter, and the operations on
//! cached responses by URL.

use std::time::Duration;

use anykv_http::{CacheMiddleware, ExpireAfter};
use reqwest_middleware::ClientWithMiddleware;

mod common;

use common::middleware::{caching_client, plain_client, stores, try_get};
use common::origin::Origin;

/// GETs `url`: status, `x-cache`, body.
async fn get(client: &ClientWithMiddleware, url: &str) -> (u16, String, String) {
    try_get(client, url, &[])
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// `host:port` of the origin, as URL patterns name it.
fn host(origin: &Origin) -> String {
    origin.url("").trim_start_matches("http://").to_owned()
}

#[test]
fn expiry_rules_by_pattern_and_for_every_url() {
    for (name, store, _dir) in stores() {
        anykv_test_support::runtime().block_on(async {
            let origin = Origin::start().await;
            let host = host(&origin);
            let cache = CacheMiddleware::new(store, plain_client())
                .expire_url(&format!("{host}/gen/forever"), ExpireAfter::Forever)
                .expire_url(
                    &format!("http://{host}/gen/*-never"),
                    ExpireAfter::DoNotCache,
                )
                .expire_after(ExpireAfter::After(Duration::from_secs(600)));
            let client = caching_client(cache.clone());
            // Filled in: no freshness in the headers, the default rule's 600 s.
            let filled = origin.url("/gen/filled?cc=");
            assert_eq!(
                get(&client, &filled).await,
                (200, "MISS".into(), "filled 1".into())
            );
            assert_eq!(
                get(&client, &filled).await,
                (200, "HIT".into(), "filled 1".into())
            );
            // Headers first: `max-age=0` wins over the default rule.
            let zero = origin.url("/gen/zero?cc=max-age%3D0");
            get(&client, &zero).await;
            assert_eq!(get(&client, &zero).await.2, "zero 2", "{name}");
            // A pattern that is never cached, whatever the headers say.
            let never = origin.url("/gen/page-never?cc=max-age%3D600");
            get(&client, &never).await;
            assert_eq!(get(&client, &never).await.2, "page-never 2", "{name}");
            assert!(!cache.contains_url(&never).await.unwrap_or(true), "{name}");
            // Forever: but only where the headers say nothing (headers first)...
            let forever = origin.url("/gen/forever?cc=");
            get(&client, &forever).await;
            assert_eq!(get(&client, &forever).await.1, "HIT", "{name}");
            // ...or over them when told so.
            let overriding = CacheMiddleware::new(cache.manager().store().clone(), plain_client())
                .expire_url(&format!("{host}/gen/forced"), ExpireAfter::Forever)
                .headers_first(false);
            let client = caching_client(overriding);
            let forced = origin.url("/gen/forced?cc=no-cache");
            get(&client, &forced).await;
            assert_eq!(
                get(&client, &forced).await,
                (200, "HIT".into(), "forced 1".into()),
                "{name}"
            );
            assert_eq!(origin.hits("/gen/forced"), 1, "{name}");
        });
    }
}

#[test]
fn ignored_parameters_share_one_response_and_are_not_stored() {
    for (name, store, _dir) in stores() {
        anykv_test_support::runtime().block_on(async {
            let origin = Origin::start().await;
            let cache =
                CacheMiddleware::new(store, plain_client()).ignored_parameters(["api_key", "ts"]);
            let client = caching_client(cache.clone());
            let first = origin.url("/gen/keyed?q=1&api_key=alice&ts=1");
            let second = origin.url("/gen/keyed?api_key=bob&q=1&ts=2");
            assert_eq!(get(&client, &first).await.2, "keyed 1");
            assert_eq!(
                get(&client, &second).await,
                (200, "HIT".into(), "keyed 1".into()),
                "{name}"
            );
            assert_eq!(origin.hits("/gen/keyed"), 1);
            let urls = cache.cached_urls().await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(urls, [origin.url("/gen/keyed?q=1")], "{name}");
            assert!(urls.iter().all(|url| !url.contains("alice")));
            // Another value of a parameter that counts is another response.
            assert_eq!(
                get(&client, &origin.url("/gen/keyed?q=2&api_key=alice"))
                    .await
                    .2,
                "keyed 2"
            );
        });
    }
}

#[test]
fn read_only_serves_what_is_stored_and_never_writes() {
    for (name, store, _dir) in stores() {
        anykv_test_support::runtime().block_on(async {
            let origin = Origin::start().await;
            let writer = caching_client(CacheMiddleware::new(store.clone(), plain_client()));
            let cached = origin.url("/gen/cached");
            get(&writer, &cached).await;
            let keys_before = store.len().await.unwrap_or_else(|e| panic!("{e}"));
            let reader = CacheMiddleware::new(store.clone(), plain_client()).read_only(true);
            let client = caching_client(reader.clone());
            assert_eq!(
                get(&client, &cached).await,
                (200, "HIT".into(), "cached 1".into()),
                "{name}"
            );
            let fresh = origin.url("/gen/uncached");
            assert_eq!(get(&client, &fresh).await.2, "uncached 1");
            assert_eq!(
                get(&client, &fresh).await.2,
                "uncached 2",
                "{name}: stored while read-only"
            );
            client
                .delete(&cached)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                reader.contains_url(&cached).await.unwrap_or(false),
                "{name}: removed"
            );
            assert_eq!(store.len().await.unwrap_or(0), keys_before, "{name}: wrote");
        });
    }
}

#[test]
fn statuses_and_the_filter_decide_what_is_stored() {
    for (name, store, _dir) in stores() {
        anykv_test_support::runtime().block_on(async {
            let origin = Origin::start().await;
            let cache = CacheMiddleware::new(store, plain_client())
                .cacheable_statuses(&[200])
                .filter(|response| !response.url().path().contains("private"));
            let client = caching_client(cache.clone());
            let missing = origin.url("/gen/missing?status=404&cc=max-age%3D600");
            assert_eq!(get(&client, &missing).await.0, 404);
            assert_eq!(
                get(&client, &missing).await.2,
                "missing 2",
                "{name}: a 404 was stored"
            );
            let private = origin.url("/gen/private");
            get(&client, &private).await;
            assert_eq!(
                get(&client, &private).await.2,
                "private 2",
                "{name}: filtered was stored"
            );
            let public = origin.url("/gen/public");
            get(&client, &public).await;
            assert_eq!(get(&client, &public).await.1, "HIT", "{name}");
            // The operations by URL.
            assert!(cache.contains_url(&public).await.unwrap_or(false));
            assert!(!cache.contains_url(&private).await.unwrap_or(true));
            assert!(cache.delete_url(&public).await.unwrap_or(false));
            assert!(!cache.contains_url(&public).await.unwrap_or(true));
            assert_eq!(get(&client, &public).await.2, "public 2", "{name}");
            assert!(cache.contains_url("not a url").await.is_err());
        });
    }
}

/// GETs `url` with one header: `x-cache` and body.
async fn get_with(
    client: &ClientWithMiddleware,
    url: &str,
    name: &str,
    value: &str,
) -> (String, String) {
    let (_, cache, body) = try_get(client, url, &[(name, value)])
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    (cache, body)
}

#[test]
fn matched_headers_key_responses_and_ignored_headers_are_not_stored() {
    for (name, store, _dir) in stores() {
        anykv_test_support::runtime().block_on(async {
            let origin = Origin::start().await;
            let cache = CacheMiddleware::new(store.clone(), plain_client())
                .matched_headers([http::header::ACCEPT_LANGUAGE]);
            let client = caching_client(cache);
            let page = origin.url("/gen/lang");
            assert_eq!(
                get_with(&client, &page, "accept-language", "fr").await.1,
                "lang 1"
            );
            assert_eq!(
                get_with(&client, &page, "accept-language", "en").await.1,
                "lang 2"
            );
            assert_eq!(
                get_with(&client, &page, "accept-language", "fr").await,
                ("HIT".into(), "lang 1".into()),
                "{name}"
            );
            // A shared cache does not store responses to authorized requests, unless the
            // header is ignored.
            let private = origin.url("/gen/authorized");
            let plain = caching_client(CacheMiddleware::new(store.clone(), plain_client()));
            get_with(&plain, &private, "authorization", "Bearer a").await;
            assert_eq!(
                get_with(&plain, &private, "authorization", "Bearer a")
                    .await
                    .1,
                "authorized 2"
            );
            let ignoring = caching_client(
                CacheMiddleware::new(store.clone(), plain_client())
                    .ignored_headers([http::header::AUTHORIZATION]),
            );
            get_with(&ignoring, &private, "authorization", "Bearer a").await;
            assert_eq!(
                get_with(&ignoring, &private, "authorization", "Bearer b").await,
                ("HIT".into(), "authorized 3".into()),
                "{name}"
            );
        });
    }
}

/// `reset_expiration` gives the stored responses a new freshness from now: a stale response
/// made fresh for an hour is served without the origin, one made stale at once is fetched
/// again, `Forever` keeps it fresh, `DoNotCache` removes it.
#[test]
fn reset_expiration_gives_stored_responses_a_new_freshness() {
    for (name, store, _dir) in stores() {
        anykv_test_support::runtime().block_on(async {
            let origin = Origin::start().await;
            let cache = CacheMiddleware::new(store, plain_client());
            let client = caching_client(cache.clone());
            let url = origin.url("/gen/reset?cc=max-age%3D0");
            assert_eq!(get(&client, &url).await.2, "reset 1", "{name}");
            assert_eq!(
                get(&client, &url).await.2,
                "reset 2",
                "{name}: stale, fetched again"
            );
            let reset = |expire| {
                let cache = cache.clone();
                async move {
                    cache
                        .reset_expiration(expire)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"))
                }
            };
            assert_eq!(
                reset(ExpireAfter::After(Duration::from_secs(3600))).await,
                1,
                "{name}"
            );
            assert_eq!(
                get(&client, &url).await,
                (200, "HIT".into(), "reset 2".into()),
                "{name}: fresh for an hour"
            );
            assert_eq!(origin.hits("/gen/reset"), 2, "{name}");
            reset(ExpireAfter::After(Duration::ZERO)).await;
            assert_eq!(get(&client, &url).await.2, "reset 3", "{name}: stale again");
            reset(ExpireAfter::Forever).await;
            assert_eq!(get(&client, &url).await.1, "HIT", "{name}: forever");
            assert_eq!(
                cache.cached_urls().await.unwrap_or_default().len(),
                1,
                "{name}"
            );
            assert_eq!(reset(ExpireAfter::DoNotCache).await, 1, "{name}");
            assert!(
                !cache.contains_url(&url).await.unwrap_or(true),
                "{name}: not removed"
            );
            assert_eq!(origin.hits("/gen/reset"), 3, "{name}");
        });
    }
}
