//! HTTP response caching on every backend of this family: [`KvCacheManager`] is an
//! [`http_cache::CacheManager`], so `http-cache-reqwest`'s middleware caches reqwest responses
//! in memory, SQLite, files, Redis (and Cluster), MongoDB, GridFS, DynamoDB or any
//! [`AsyncKvStorage`](anykv_core::AsyncKvStorage) of your own, following the HTTP caching
//! rules (RFC 9111: `max-age`, `no-store`, `Vary`, revalidation with ETags) that http-cache
//! implements.
//!
//! ```no_run
//! use http_cache_reqwest::{Cache, CacheMode, HttpCache, HttpCacheOptions};
//! use reqwest_middleware::ClientBuilder;
//! use anykv_http::KvCacheManager;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! // Any store: here SQLite, opened by URL through the facade crate.
//! let store = anykv::open_async("sqlite:///var/cache/my-app/http.sqlite").await?;
//! let manager = KvCacheManager::new(store);
//! let client = ClientBuilder::new(reqwest::Client::new())
//!     .with(Cache(HttpCache {
//!         mode: CacheMode::Default,
//!         manager: manager.clone(),
//!         options: HttpCacheOptions::default(),
//!     }))
//!     .build();
//! let body = client.get("https://example.com/").send().await?.text().await?;
//! println!("{} bytes; cache so far: {:?}", body.len(), manager.stats());
//! # Ok(())
//! # }
//! ```
//!
//! This crate depends only on `http-cache` (without its own managers); bring
//! `http-cache-reqwest` 0.16 (or another http-cache middleware of the same http-cache version,
//! re-exported here as [`http_cache`]) for the client side.
#![deny(missing_docs)]

mod entry;
mod error;
mod key;
mod manager;
mod stats;

pub use error::{store_error, StoreFailed};
pub use http_cache;
pub use http_cache_semantics;
pub use key::{store_key, LONGEST_PLAIN_KEY};
pub use manager::{KvCacheManager, DEFAULT_GRACE};
pub use stats::ManagerStats;
