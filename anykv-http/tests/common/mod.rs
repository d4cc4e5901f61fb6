//! What the tests share: the origin server and a client that caches through a manager.
#![allow(dead_code)] // Each test binary uses a part of what is shared here.

#[cfg(feature = "middleware")]
pub mod middleware;
pub mod origin;

use http_cache_reqwest::{Cache, CacheManager, CacheMode, HttpCache, HttpCacheOptions};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

/// A reqwest client (no proxy) whose responses go through `manager`.
pub fn client(manager: impl CacheManager) -> ClientWithMiddleware {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("cannot build a client: {e}"));
    ClientBuilder::new(client)
        .with(Cache(HttpCache {
            mode: CacheMode::Default,
            manager,
            options: HttpCacheOptions::default(),
        }))
        .build()
}

/// GETs `url` through `client` with `headers`: the status, the `x-cache` header and the body.
pub async fn fetch(
    client: &ClientWithMiddleware,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, String, Vec<u8>) {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e:?}"));
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("x-cache")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: body: {e}"));
    (status, cache, body.to_vec())
}
