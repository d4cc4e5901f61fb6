//! [`KvCacheManager`]: http-cache's [`CacheManager`] over any [`AsyncKvStorage`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anykv_core::limits::check_value;
use anykv_core::time::MAX_TTL;
use anykv_core::{codec, AsyncKvStorage, Error, ErrorKind, Postcard, Serializer};
use http_cache::{CacheManager, HttpResponse};
use http_cache_semantics::CachePolicy;

use crate::entry::{Cached, Stored, StoredRef};
use crate::error::StoreFailed;
use crate::key::store_key;
use crate::stats::{Counters, ManagerStats};

/// How long a stale response is kept by default for revalidation: one hour.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// An http-cache [`CacheManager`] that keeps responses in any [`AsyncKvStorage`]: memory,
/// SQLite, files, Redis (and Cluster), MongoDB, GridFS, DynamoDB, or a store of your own, with
/// any layer in between ([`Signed`](anykv_core::Signed) to detect tampering, namespaces to
/// share one database).
///
/// - Each response is stored as one entry: the response and its cache policy, serialized by the
///   manager's [`Serializer`] ([`Postcard`] unless [`serializer`](Self::serializer) says
///   otherwise) behind the codec's header.
/// - The entry's TTL in the store is the policy's time to stale plus a
///   [`grace`](Self::grace) period (an hour by default) during which the stale response is
///   still there to be revalidated with `If-None-Match` / `If-Modified-Since`; after it the
///   store expires the entry by itself. [`max_ttl`](Self::max_ttl) caps it.
/// - A response larger than the store takes ([`max_value_len`](anykv_core::Store::max_value_len),
///   e.g. 400 KB on DynamoDB) is not cached, any older entry for it is removed, a warning is
///   logged through the `log` crate, and the response reaches the caller as it is.
/// - An entry that cannot be read back (corrupt, tampered with under `Signed`, written by
///   another serializer) is a miss, logged; the next response replaces it.
/// - Any other store error (a lost connection, a timeout) is returned to the middleware as a
///   [`StoreFailed`], which fails the request ([`store_error`](crate::store_error) finds the
///   [`anykv_core::Error`] inside), unless
///   [`bypass_store_errors`](Self::bypass_store_errors) is on: then it is logged and the
///   request goes on as if nothing was cached.
/// - Keys longer than [`LONGEST_PLAIN_KEY`](crate::LONGEST_PLAIN_KEY) bytes are stored under a
///   digest, so any URL can be cached on any backend.
///
/// Clones share the store and the [`stats`](Self::stats).
#[derive(Debug)]
pub struct KvCacheManager<S, C = Postcard> {
    store: Arc<S>,
    serializer: C,
    grace: Duration,
    max_ttl: Duration,
    bypass_store_errors: bool,
    counters: Arc<Counters>,
}

impl<S, C: Clone> Clone for KvCacheManager<S, C> {
    fn clone(&self) -> Self {
        KvCacheManager {
            store: self.store.clone(),
            serializer: self.serializer.clone(),
            grace: self.grace,
            max_ttl: self.max_ttl,
            bypass_store_errors: self.bypass_store_errors,
            counters: self.counters.clone(),
        }
    }
}

impl<S: AsyncKvStorage> KvCacheManager<S> {
    /// A manager storing responses in `store` with postcard, an hour of grace and no cap.
    pub fn new(store: S) -> Self {
        KvCacheManager {
            store: Arc::new(store),
            serializer: Postcard,
            grace: DEFAULT_GRACE,
            max_ttl: MAX_TTL,
            bypass_store_errors: false,
            counters: Arc::default(),
        }
    }
}

impl<S: AsyncKvStorage, C: Serializer> KvCacheManager<S, C> {
    /// Serializes entries with `serializer` instead (e.g. [`Json`](anykv_core::Json) for
    /// entries other tools can read). Entries written by another serializer read as misses.
    pub fn serializer<D: Serializer>(self, serializer: D) -> KvCacheManager<S, D> {
        KvCacheManager {
            store: self.store,
            serializer,
            grace: self.grace,
            max_ttl: self.max_ttl,
            bypass_store_errors: self.bypass_store_errors,
            counters: self.counters,
        }
    }

    /// How long a response is kept past its time to stale, for revalidation (default an hour).
    /// Zero keeps a response only while it is fresh; one that is stale on arrival (e.g.
    /// `no-cache`) is then not stored at all.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The longest a response is kept in the store, whatever its headers say (default: the
    /// longest TTL stores take, 100 years).
    pub fn max_ttl(mut self, max_ttl: Duration) -> Self {
        self.max_ttl = max_ttl.min(MAX_TTL);
        self
    }

    /// When on, a store that fails (unreachable, timing out) does not fail the request: the
    /// error is logged and counted, a lookup is a miss and a write is skipped. Off by default.
    pub fn bypass_store_errors(mut self, bypass: bool) -> Self {
        self.bypass_store_errors = bypass;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// What this manager and its clones did so far.
    pub fn stats(&self) -> ManagerStats {
        self.counters.snapshot()
    }

    /// The TTL in the store of a response with `policy` stored at `now`; `None` when it would
    /// be kept for no time at all.
    pub fn store_ttl(&self, policy: &CachePolicy, now: SystemTime) -> Option<Duration> {
        self.ttl_past_stale(policy, now, Duration::ZERO)
    }

    /// [`store_ttl`](Self::store_ttl) keeping the response `window` past its time to stale
    /// when that is longer than the grace.
    fn ttl_past_stale(
        &self,
        policy: &CachePolicy,
        now: SystemTime,
        window: Duration,
    ) -> Option<Duration> {
        let ttl = policy
            .time_to_live(now)
            .saturating_add(self.grace.max(window))
            .min(self.max_ttl);
        // Stores count TTLs in whole milliseconds.
        (ttl >= Duration::from_millis(1)).then_some(ttl)
    }

    /// Stores a response fetched elsewhere (another cache's: `kvs import requests-cache`) as
    /// if this cache had fetched it for `request` at `response_time`: fresh until
    /// `fresh_until` when given (else as its headers say), kept as long as a fetched response
    /// would be. `false` when it was not stored: already stale past the grace, or not
    /// storable by HTTP's rules.
    pub async fn import(
        &self,
        request: &http::Request<()>,
        response: &HttpResponse,
        response_time: SystemTime,
        fresh_until: Option<SystemTime>,
    ) -> Result<bool, StoreFailed> {
        let cache_key = format!("{}:{}", request.method(), request.uri());
        let key = store_key(&cache_key);
        let mut headers = http::HeaderMap::with_capacity(response.headers.len());
        for (name, value) in &response.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        if let Some(until) = fresh_until {
            let fresh_for = until.duration_since(response_time).unwrap_or_default();
            headers = crate::freshness::with_max_age(&headers, fresh_for);
        }
        let mut head = http::Response::new(());
        *head.status_mut() =
            http::StatusCode::from_u16(response.status).unwrap_or(http::StatusCode::OK);
        *head.headers_mut() = headers;
        let options = http_cache_semantics::CacheOptions {
            shared: false,
            ..Default::default()
        };
        let policy = CachePolicy::new_options(request, &head, response_time, options);
        if !policy.is_storable() {
            return Ok(false);
        }
        self.store_response(&key, response, &policy, Duration::ZERO)
            .await
    }

    /// Passes `error` on, or logs and counts it when store errors are bypassed.
    pub(crate) fn failed(
        &self,
        action: &'static str,
        key: &str,
        error: Error,
    ) -> Result<(), StoreFailed> {
        let failure = StoreFailed::new(action, key, error);
        if !self.bypass_store_errors {
            return Err(failure);
        }
        Counters::count(&self.counters.bypassed_errors);
        log::warn!("{failure}; going on without the cache");
        Ok(())
    }

    /// Removes the entry of `key`.
    pub(crate) async fn forget(&self, key: &str) -> Result<(), StoreFailed> {
        match self.store.delete(key).await {
            Ok(_) => Ok(()),
            Err(error) => self.failed("remove", key, error),
        }
    }

    /// Stores the serialized response `bytes` under `key`, or leaves it out (and the older
    /// entry with it) when the store cannot take it. `true` when it was stored.
    async fn write(&self, key: &str, bytes: &[u8], ttl: Duration) -> Result<bool, StoreFailed> {
        let checked = check_value(
            self.store.backend_name(),
            key,
            bytes,
            self.store.max_value_len(),
        );
        let refused = match checked {
            Err(too_large) => too_large,
            Ok(()) => match self.store.set(key, bytes, Some(ttl)).await {
                Ok(()) => {
                    Counters::count(&self.counters.stored);
                    return Ok(true);
                }
                Err(error @ Error::ValueTooLarge { .. }) => error,
                Err(error) => return self.failed("store", key, error).map(|()| false),
            },
        };
        Counters::count(&self.counters.too_large);
        log::warn!("http cache: response not cached: {refused}");
        self.forget(key).await.map(|()| false)
    }

    /// The entry stored under the store key `key`, if there is a readable one, with the
    /// fingerprint of its fetch (to tell a rewritten entry from the one read before).
    pub(crate) async fn read(&self, key: &str) -> Result<Option<Cached>, StoreFailed> {
        let read = self.store.get(key).await.and_then(|bytes| {
            bytes
                .map(|bytes| {
                    let stored = codec::decode::<C, Stored>(&self.serializer, key, &bytes)?;
                    Ok(Cached::new(stored))
                })
                .transpose()
        });
        match read {
            Ok(Some(cached)) => {
                Counters::count(&self.counters.found);
                Ok(Some(cached))
            }
            Ok(None) => {
                Counters::count(&self.counters.missed);
                Ok(None)
            }
            Err(error) if error.kind() == ErrorKind::InvalidData => {
                Counters::count(&self.counters.unreadable);
                Counters::count(&self.counters.missed);
                log::warn!("http cache: unreadable entry treated as missing: {error}");
                Ok(None)
            }
            Err(error) => self.failed("read", key, error).map(|()| None),
        }
    }

    /// Stores `response` with `policy` under the store key `key`, kept `window` past its time
    /// to stale (or the grace, whichever is longer), or removes the older entry when it would
    /// be kept for no time. `true` when it was stored.
    pub(crate) async fn store_response(
        &self,
        key: &str,
        response: &HttpResponse,
        policy: &CachePolicy,
        window: Duration,
    ) -> Result<bool, StoreFailed> {
        let Some(ttl) = self.ttl_past_stale(policy, SystemTime::now(), window) else {
            self.forget(key).await?;
            return Ok(false);
        };
        let stored = StoredRef { response, policy };
        let bytes = codec::encode(&self.serializer, &stored)
            .map_err(|error| StoreFailed::new("serialize", key, error))?;
        self.write(key, &bytes, ttl).await
    }
}

#[anykv_core::async_trait]
impl<S, C> CacheManager for KvCacheManager<S, C>
where
    S: AsyncKvStorage + 'static,
    C: Serializer + 'static,
{
    async fn get(
        &self,
        cache_key: &str,
    ) -> http_cache::Result<Option<(HttpResponse, CachePolicy)>> {
        let found = self.read(&store_key(cache_key)).await?;
        Ok(found.map(|cached| (cached.stored.response, cached.stored.policy)))
    }

    async fn put(
        &self,
        cache_key: String,
        response: HttpResponse,
        policy: CachePolicy,
    ) -> http_cache::Result<HttpResponse> {
        let key = store_key(&cache_key);
        self.store_response(&key, &response, &policy, Duration::ZERO)
            .await?;
        Ok(response)
    }

    async fn delete(&self, cache_key: &str) -> http_cache::Result<()> {
        Ok(self.forget(&store_key(cache_key)).await?)
    }
}
