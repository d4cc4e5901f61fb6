//! What the tests of `CacheMiddleware` share: clients, the stores they run on, a GET.

use std::sync::Arc;

use anykv_core::{AsyncAdapter, AsyncKvStorage, MemoryStorage};
use anykv_http::{CacheMiddleware, CACHE_STATUS_HEADER};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

/// A reqwest client without proxies.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("cannot build a client: {e}"))
}

/// A plain client behind `cache`.
pub fn caching_client(cache: CacheMiddleware) -> ClientWithMiddleware {
    ClientBuilder::new(plain_client()).with(cache).build()
}

/// GETs `url` with `headers`: the status, the `x-cache` header and the body as text; the
/// error's text when the request failed.
pub async fn try_get(
    client: &ClientWithMiddleware,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, String, String), String> {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.map_err(|e| format!("{e:#}"))?;
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get(CACHE_STATUS_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, cache, body))
}

/// A store the tests run on, its name, and the directory that must outlive it.
pub type TestStore = (
    &'static str,
    Arc<dyn AsyncKvStorage>,
    Option<tempfile::TempDir>,
);

/// Memory, and a SQLite file in a directory of its own.
pub fn stores() -> Vec<TestStore> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sqlite = anykv_test_support::runtime()
        .block_on(anykv::open_async(&format!(
            "sqlite://{}",
            dir.path().join("http.sqlite").display()
        )))
        .unwrap_or_else(|e| panic!("cannot open SQLite: {e}"));
    vec![
        (
            "memory",
            Arc::new(AsyncAdapter::new(MemoryStorage::new())),
            None,
        ),
        ("sqlite", Arc::from(sqlite), Some(dir)),
    ]
}
