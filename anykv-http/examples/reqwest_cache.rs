//! reqwest with an HTTP cache on any store of this family.
//!
//! ```text
//! cargo run -p anykv-http --example reqwest_cache                       # SQLite, a local page
//! cargo run -p anykv-http --example reqwest_cache -- STORE_URL [PAGE_URL]
//! ```
//!
//! STORE_URL is any URL `anykv::open_async` takes (`sqlite:///tmp/http.sqlite`,
//! `redis://127.0.0.1:6379/0`, … with the facade's feature for it; this example builds SQLite
//! only). Without PAGE_URL it serves a page itself on 127.0.0.1 that may be cached for a minute,
//! and counts how often it was really asked.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anykv_http::KvCacheManager;
use http_body_util::Full;
use http_cache_reqwest::{Cache, CacheMode, HttpCache, HttpCacheOptions};
use hyper::body::Bytes;
use reqwest_middleware::ClientBuilder;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let temp = tempfile::tempdir()?;
    let store_url = match args.next() {
        Some(url) => url,
        None => format!("sqlite://{}", temp.path().join("http.sqlite").display()),
    };
    let served = Arc::new(AtomicUsize::new(0));
    let page_url = match args.next() {
        Some(url) => url,
        None => serve_a_page(served.clone()).await?,
    };

    let manager = KvCacheManager::new(anykv::open_async(&store_url).await?);
    let client = ClientBuilder::new(reqwest::Client::builder().no_proxy().build()?)
        .with(Cache(HttpCache {
            mode: CacheMode::Default,
            manager: manager.clone(),
            options: HttpCacheOptions::default(),
        }))
        .build();

    for round in 1..=3 {
        let response = client.get(&page_url).send().await?;
        let cache = response.headers().get("x-cache").cloned();
        let body = response.bytes().await?;
        println!(
            "GET {page_url} #{round}: {} bytes, x-cache {cache:?}",
            body.len()
        );
    }
    println!("store {store_url}: {:?}", manager.stats());
    if served.load(Ordering::Relaxed) > 0 {
        println!(
            "the page was served {} time(s)",
            served.load(Ordering::Relaxed)
        );
    }
    Ok(())
}

/// Serves `max-age=60` pages on a free port of 127.0.0.1, counting them; returns the page's URL.
async fn serve_a_page(served: Arc<AtomicUsize>) -> Result<String, BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/page", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let served = served.clone();
            let page = hyper::service::service_fn(move |_request| {
                let n = served.fetch_add(1, Ordering::Relaxed) + 1;
                let response = hyper::Response::builder()
                    .header("cache-control", "max-age=60")
                    .body(Full::new(Bytes::from(format!("page, served {n} time(s)"))));
                async move { Ok::<_, Infallible>(response.unwrap_or_default()) }
            });
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, page)
                    .await;
            });
        }
    });
    Ok(url)
}
