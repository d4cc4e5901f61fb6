//! An origin storm: 1,000 concurrent requests for 10 expired URLs against an origin that takes
//! 100 ms, through `anykv_http::CacheMiddleware` (one fetch per URL, the others wait for it)
//! and through http-cache-reqwest over `KvCacheManager` (every caller that finds the response
//! stale fetches), both on the same Redis server. Printed as its own table: origin requests
//! and callers' latency (p50, p99).

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anykv_core::AsyncKvStorage;
use anykv_http::{CacheMiddleware, KvCacheManager};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest_middleware::ClientWithMiddleware;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const URLS: usize = 10;
const CALLERS: usize = 1000;
/// How long the origin takes to answer.
const ORIGIN_TIME: Duration = Duration::from_millis(100);

/// One way of caching, measured.
pub struct Storm {
    pub how: &'static str,
    pub origin_requests: usize,
    pub p50: Duration,
    pub p99: Duration,
}

/// Starts the origin on the current runtime: `max-age=1` answers after [`ORIGIN_TIME`],
/// counted in the returned counter.
async fn origin() -> Result<(String, Arc<AtomicUsize>), BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            let service = service_fn(move |_request| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(ORIGIN_TIME).await;
                    let response = hyper::Response::builder()
                        .header("cache-control", "max-age=1")
                        .body(Full::new(Bytes::from_static(b"the origin's answer")));
                    Ok::<_, Infallible>(response.unwrap_or_default())
                }
            });
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((format!("http://{address}"), served))
}

/// The storm through `client`: primes the URLs, waits until they are stale, then sends
/// [`CALLERS`] requests at once.
async fn storm(
    how: &'static str,
    client: ClientWithMiddleware,
    base: &str,
    served: &AtomicUsize,
) -> Result<Storm, BoxError> {
    let urls: Vec<String> = (0..URLS).map(|i| format!("{base}/{how}/{i}")).collect();
    for url in &urls {
        client.get(url).send().await?.bytes().await?;
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let before = served.load(Ordering::SeqCst);
    let callers: Vec<_> = (0..CALLERS)
        .map(|i| {
            let (client, url) = (client.clone(), urls[i % URLS].clone());
            tokio::spawn(async move {
                let started = Instant::now();
                client.get(&url).send().await?.bytes().await?;
                Ok::<_, BoxError>(started.elapsed())
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(CALLERS);
    for caller in callers {
        latencies.push(caller.await??);
    }
    latencies.sort();
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    Ok(Storm {
        how,
        origin_requests: served.load(Ordering::SeqCst) - before,
        p50: at(0.5),
        p99: at(0.99),
    })
}

/// Both storms on the Redis server at `redis_url`.
pub fn run(redis_url: &str) -> Result<Vec<Storm>, BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (base, served) = origin().await?;
        let plain = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(CALLERS)
            .build()?;
        let store: Arc<dyn AsyncKvStorage> = Arc::new(anykv_redis::RedisStorage::from_url(
            redis_url,
            "bench_storm",
        )?);
        store.clear().await?;
        let coalescing = reqwest_middleware::ClientBuilder::new(plain.clone())
            .with(CacheMiddleware::new(store.clone(), plain.clone()))
            .build();
        let uncoalesced = reqwest_middleware::ClientBuilder::new(plain)
            .with(http_cache_reqwest::Cache(http_cache_reqwest::HttpCache {
                mode: http_cache_reqwest::CacheMode::Default,
                manager: KvCacheManager::new(store.clone()),
                options: http_cache_reqwest::HttpCacheOptions::default(),
            }))
            .build();
        let results = vec![
            storm("coalescing", coalescing, &base, &served).await?,
            storm("no-coalescing", uncoalesced, &base, &served).await?,
        ];
        store.clear().await?;
        Ok(results)
    })
}

/// The storms as a Markdown section.
pub fn markdown(storms: &[Storm]) -> String {
    let mut out = format!(
        "\n## Origin storm\n\n{CALLERS} concurrent requests for {URLS} expired URLs (an origin \
         answering `max-age=1` after {} ms, the cache on Redis), `cargo run --release -p \
         anykv-bench storm`:\n\n| cache | origin requests | p50 latency | p99 latency |\n\
         |---|---:|---:|---:|\n",
        ORIGIN_TIME.as_millis()
    );
    for storm in storms {
        let how = match storm.how {
            "coalescing" => "`anykv_http::CacheMiddleware` (coalescing)",
            _ => "http-cache-reqwest over `KvCacheManager` (none)",
        };
        out.push_str(&format!(
            "| {how} | {} | {:.1} ms | {:.1} ms |\n",
            storm.origin_requests,
            storm.p50.as_secs_f64() * 1e3,
            storm.p99.as_secs_f64() * 1e3
        ));
    }
    out
}
