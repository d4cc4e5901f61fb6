//! [`CacheMiddleware`]: a reqwest middleware that answers GET requests from any store and
//! protects the origin.

mod coalesce;
mod directives;
mod fetch;
mod options;
mod origin;
mod reset;
mod response;
mod rules;
mod stats;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anykv_core::lease::Lease;
use anykv_core::{AsyncKvStorage, Postcard, Serializer};
use http::{Extensions, Method};
use http_cache_semantics::BeforeRequest;
use reqwest::{Request, Response};
use reqwest_middleware::{Error, Middleware, Next, Result};

use crate::entry::Cached;
use crate::key::store_key;
use crate::manager::KvCacheManager;
use coalesce::lease_key;
use directives::staleness;
use origin::Origin;
use response::{readable_status, respond_stored, stale_headers};
use stats::{Counter, Counters};

pub use options::{OnWaitTimeout, DEFAULT_LEASE_TTL, DEFAULT_WAIT};
pub use response::CACHE_STATUS_HEADER;
pub use rules::ExpireAfter;
pub use stats::CacheStats;

/// The store every middleware keeps its responses in.
pub type SharedStore = Arc<dyn AsyncKvStorage>;

/// A reqwest middleware caching GET responses in any [`AsyncKvStorage`] (memory, SQLite,
/// files, Redis, MongoDB, DynamoDB, or a store of your own) by the rules of HTTP caching
/// (RFC 9111, through `http-cache-semantics`), and protecting the origin:
///
/// - **One fetch per URL at a time, across threads, processes and hosts.** A caller that
///   cannot answer from the store takes the URL's [lease](anykv_core::lease) (an entry in the
///   same store, taken by an atomic conditional write, kept alive by a heartbeat) and fetches;
///   the others wait up to [`wait`](Self::wait) and get its response from the store, then fetch
///   their own ([`OnWaitTimeout`]). A fetcher that dies stops renewing its lease; the next
///   caller takes over after [`lease_ttl`](Self::lease_ttl). Responses that cannot be stored
///   (`no-store`, too large) are not waited for: the callers that came meanwhile fetch their own.
/// - **stale-while-revalidate** (RFC 5861): a stale response inside its window (the
///   response's `stale-while-revalidate=N`, else [`stale_while_revalidate`](Self::stale_while_revalidate))
///   is served at once, and one background request (under the same lease, so one for all
///   processes) revalidates it.
/// - **stale-if-error** (RFC 5861): when the origin fails, times out
///   ([`origin_timeout`](Self::origin_timeout)) or answers 5xx, a stale response inside its
///   window (`stale-if-error=N`, else [`stale_if_error`](Self::stale_if_error)) is served, with
///   its `Age`. Responses with `must-revalidate`, `no-cache` (and in a shared cache
///   `proxy-revalidate` or `s-maxage`) are never served stale.
///
/// Responses stay in the store past their freshness for the longer of the two windows and the
/// manager's [`grace`](KvCacheManager::grace). The `x-cache` header says how a response was
/// answered: `HIT`, `MISS`, `STALE` or `REVALIDATED`. Entries are those of [`KvCacheManager`]
/// (both can share a store). Other methods pass through; a successful `POST`, `PUT`, `PATCH`
/// or `DELETE` removes the stored response of its URL.
///
/// ```no_run
/// use std::time::Duration;
/// use anykv_core::{AsyncAdapter, MemoryStorage};
/// use anykv_http::CacheMiddleware;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = reqwest::Client::new();
/// let cache = CacheMiddleware::new(AsyncAdapter::new(MemoryStorage::new()), client.clone())
///     .stale_while_revalidate(Duration::from_secs(60))
///     .stale_if_error(Duration::from_secs(3600));
/// let client = reqwest_middleware::ClientBuilder::new(client).with(cache).build();
/// let body = client.get("https://example.com/").send().await?.text().await?;
/// # Ok(()) }
/// ```
///
/// Clones share the store, the options and the [`stats`](Self::stats).
pub struct CacheMiddleware<C = Postcard> {
    manager: KvCacheManager<SharedStore, C>,
    refresh_client: reqwest::Client,
    options: options::Options,
    rules: Arc<rules::Rules>,
    filter: Option<ResponseFilter>,
    counters: Arc<Counters>,
}

/// Decides per response whether it may be stored ([`CacheMiddleware::filter`]).
pub type ResponseFilter = Arc<dyn Fn(&Response) -> bool + Send + Sync>;

impl<C: Clone> Clone for CacheMiddleware<C> {
    fn clone(&self) -> Self {
        CacheMiddleware {
            manager: self.manager.clone(),
            refresh_client: self.refresh_client.clone(),
            options: self.options,
            rules: self.rules.clone(),
            filter: self.filter.clone(),
            counters: self.counters.clone(),
        }
    }
}

impl<C> std::fmt::Debug for CacheMiddleware<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheMiddleware")
            .field("options", &self.options)
            .field("stats", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}

impl CacheMiddleware {
    /// A middleware keeping responses in `store`; background revalidations are sent with
    /// `client` (usually the client the middleware wraps: they run after the caller has its
    /// answer, outside its middleware chain).
    pub fn new(store: impl AsyncKvStorage + 'static, client: reqwest::Client) -> Self {
        let store: SharedStore = Arc::new(store);
        CacheMiddleware::with_manager(KvCacheManager::new(store), client)
    }
}

impl<C: Serializer + Clone + 'static> CacheMiddleware<C> {
    /// A middleware over `manager` (its store, serializer, grace, cap and store-error rule).
    pub fn with_manager(manager: KvCacheManager<SharedStore, C>, client: reqwest::Client) -> Self {
        CacheMiddleware {
            manager,
            refresh_client: client,
            options: options::Options::default(),
            rules: Arc::default(),
            filter: None,
            counters: Arc::default(),
        }
    }

    /// How long responses are kept when no [`expire_url`](Self::expire_url) rule matches
    /// (default [`ExpireAfter::Headers`]). With [`headers_first`](Self::headers_first) (the
    /// default) `After` and `Forever` only fill in for responses that do not say how long they
    /// are fresh; `DoNotCache` always applies.
    pub fn expire_after(mut self, expire: ExpireAfter) -> Self {
        Arc::make_mut(&mut self.rules).default = expire;
        self
    }

    /// How long responses of URLs matching `pattern` are kept: `host[:port]/path` (the scheme
    /// may be given and is ignored) matching any URL it is a prefix of, `*` matching any run of
    /// characters (`*.example.com`, `example.com/*/static`). Rules are tried in the order they
    /// were added; the first match wins.
    pub fn expire_url(mut self, pattern: &str, expire: ExpireAfter) -> Self {
        Arc::make_mut(&mut self.rules)
            .urls
            .push(rules::UrlRule::new(pattern, expire));
        self
    }

    /// Whether a response's own freshness (`max-age`, `s-maxage`, `Expires`, `no-cache`,
    /// `no-store`) wins over the expiry rules (default `true`); `false` makes the rules
    /// override the headers, as requests-cache's `expire_after` does.
    pub fn headers_first(mut self, first: bool) -> Self {
        Arc::make_mut(&mut self.rules).headers_first = first;
        self
    }

    /// Query parameters left out of the cache key and of the stored request and URL (an
    /// `api_key`, a timestamp): requests differing only in them share one response.
    pub fn ignored_parameters<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> Self {
        Arc::make_mut(&mut self.rules)
            .ignored_parameters
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Serves what is stored and never writes (no responses, no leases, no removals):
    /// anything not answerable from the store goes to the origin uncached.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.options.read_only = read_only;
        self
    }

    /// Stores only responses with these statuses (default: every status the caching rules
    /// allow).
    pub fn cacheable_statuses(mut self, statuses: &[u16]) -> Self {
        self.options.cacheable_statuses = Some(options::Statuses::new(statuses));
        self
    }

    /// Stores a response only if `filter` says so (after the caching rules and the statuses).
    pub fn filter(mut self, filter: impl Fn(&Response) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Some(Arc::new(filter));
        self
    }

    /// Request headers left out of the stored request (an `Authorization`, a tracing id): a
    /// shared cache then stores responses to requests that carried them, and `Vary` does not
    /// tell requests apart by them.
    pub fn ignored_headers<I: IntoIterator<Item = http::HeaderName>>(mut self, names: I) -> Self {
        Arc::make_mut(&mut self.rules).ignored_headers.extend(names);
        self
    }

    /// Request headers whose values are part of the cache key (an opt-in `Vary`): requests
    /// differing in them get responses of their own. The operations by URL
    /// ([`contains_url`](Self::contains_url), …) then name the requests without them.
    pub fn matched_headers<I: IntoIterator<Item = http::HeaderName>>(mut self, names: I) -> Self {
        Arc::make_mut(&mut self.rules).matched_headers.extend(names);
        self
    }

    /// The store key of the response to a GET of `url` with `headers`.
    fn key_of(&self, url: &reqwest::Url, headers: &http::HeaderMap) -> String {
        store_key(&self.rules.cache_key(url, headers)).into_owned()
    }

    /// The store key of the response to a GET of `url` without headers.
    fn key_of_url(&self, url: &str) -> anykv_core::Result<String> {
        Ok(self.key_of(&parse_url(url)?, &http::HeaderMap::new()))
    }

    /// Whether a response for `url` is stored (fresh or not).
    pub async fn contains_url(&self, url: &str) -> anykv_core::Result<bool> {
        self.store().contains(&self.key_of_url(url)?).await
    }

    /// Removes the stored response of `url`; whether there was one.
    pub async fn delete_url(&self, url: &str) -> anykv_core::Result<bool> {
        self.store().delete(&self.key_of_url(url)?).await
    }

    /// The URLs with a stored response (as stored: without ignored parameters), in no order.
    /// Reads each entry whose key is a digest (URLs longer than a key).
    pub async fn cached_urls(&self) -> anykv_core::Result<Vec<String>> {
        use anykv_core::AsyncKvStorageExt;
        use futures_util::TryStreamExt;
        let keys: Vec<String> = self
            .store()
            .keys_with_prefix("GET:")
            .await?
            .try_collect()
            .await?;
        let mut urls = Vec::new();
        let matched = !self.rules.matched_headers.is_empty();
        for key in &keys {
            if key.len() <= crate::LONGEST_PLAIN_KEY && !matched {
                urls.push(key["GET:".len()..].to_owned());
            } else if let Ok(Some(cached)) = self.manager.read(key).await {
                urls.push(cached.stored.response.url.to_string());
            }
        }
        Ok(urls)
    }

    /// How long a caller waits for another caller's fetch of the same URL (default 30 s).
    pub fn wait(mut self, wait: Duration) -> Self {
        self.options.wait = wait;
        self
    }

    /// What a caller does when [`wait`](Self::wait) runs out (default: fetch itself).
    pub fn on_wait_timeout(mut self, then: OnWaitTimeout) -> Self {
        self.options.on_wait_timeout = then;
        self
    }

    /// How long a fetch's lease lives without its fetcher renewing it (default 10 s): the
    /// longest a crashed fetcher delays the others. The fetcher renews it every third of it.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.options.lease_ttl = ttl;
        self
    }

    /// The stale-while-revalidate window of responses that do not set their own (default
    /// zero: off).
    pub fn stale_while_revalidate(mut self, window: Duration) -> Self {
        self.options.stale_while_revalidate = window;
        self
    }

    /// The stale-if-error window of responses that do not set their own (default zero: off).
    pub fn stale_if_error(mut self, window: Duration) -> Self {
        self.options.stale_if_error = window;
        self
    }

    /// Gives up on the origin after `timeout` (then stale-if-error applies); `None` (the
    /// default) leaves it to the client's own timeouts.
    pub fn origin_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.options.origin_timeout = timeout;
        self
    }

    /// The caching rules of `http-cache-semantics` (default: a shared cache, which does not
    /// store `private` responses; set `shared: false` for a cache used by one user only).
    pub fn policy_options(mut self, options: http_cache_semantics::CacheOptions) -> Self {
        self.options.policy = options;
        self
    }

    /// The manager: its store and its [`stats`](KvCacheManager::stats).
    pub fn manager(&self) -> &KvCacheManager<SharedStore, C> {
        &self.manager
    }

    /// What this middleware and its clones did so far (in this process).
    pub fn stats(&self) -> CacheStats {
        self.counters.snapshot()
    }

    /// What the policy sees of `request`: its URL without the ignored parameters, its headers
    /// without the ignored ones.
    fn request_head(&self, request: &Request) -> http::Request<()> {
        let mut head = response::request_head(request, &self.rules.normalized(request.url()));
        *head.headers_mut() = self.rules.kept_headers(request.headers());
        head
    }

    /// The store.
    fn store(&self) -> &SharedStore {
        self.manager.store()
    }

    /// The stored response of `key`, if it can be served (a damaged status reads as none).
    async fn lookup(&self, key: &str) -> Result<Option<Cached>> {
        let found = self.manager.read(key).await.map_err(Error::middleware)?;
        Ok(found.filter(|cached| readable_status(&cached.stored.response).is_some()))
    }

    /// Answers a GET request.
    async fn get(&self, request: Request, origin: Origin<'_>) -> Result<Response> {
        if self.rules.expiry_of(request.url()) == ExpireAfter::DoNotCache {
            self.counters.add(Counter::Miss);
            self.counters.add(Counter::OriginFetch);
            return origin.send(request, self.options.origin_timeout).await;
        }
        let key = self.key_of(request.url(), request.headers());
        let Some(cached) = self.lookup(&key).await? else {
            self.counters.add(Counter::Miss);
            if self.options.read_only {
                return self.fetch(request, &key, None, origin).await.0;
            }
            return self.fetch_once(request, &key, None, origin).await;
        };
        let now = SystemTime::now();
        let head = self.request_head(&request);
        let policy = &cached.stored.policy;
        match policy.before_request(&head, now) {
            BeforeRequest::Fresh(parts) => {
                self.counters.add(Counter::Hit);
                Ok(respond_stored(
                    &cached.stored.response,
                    parts.headers,
                    "HIT",
                ))
            }
            BeforeRequest::Stale { matches: true, .. }
                if !self.options.read_only
                    && staleness(policy, now)
                        <= self.windows(&cached.stored.response).while_revalidate =>
            {
                self.counters.add(Counter::StaleWhileRevalidate);
                let headers = stale_headers(&cached.stored.response, policy, now);
                let answer = respond_stored(&cached.stored.response, headers, "STALE");
                self.revalidate_in_background(&request, key, cached);
                Ok(answer)
            }
            BeforeRequest::Stale { .. } => {
                self.counters.add(Counter::Miss);
                if self.options.read_only {
                    return self.fetch(request, &key, Some(&cached), origin).await.0;
                }
                self.fetch_once(request, &key, Some(cached), origin).await
            }
        }
    }

    /// Revalidates `cached` from a task of the current runtime, unless another caller (in any
    /// process) is already fetching it.
    fn revalidate_in_background(&self, request: &Request, key: String, cached: Cached) {
        let (Some(request), Ok(runtime)) =
            (request.try_clone(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let this = self.clone();
        drop(runtime.spawn(async move {
            let lease = Lease::new(&lease_key(&key), this.options.lease_ttl);
            if !matches!(lease.acquire_async(this.store().as_ref()).await, Ok(true)) {
                return;
            }
            let origin = Origin::Client(this.refresh_client.clone());
            let (answer, fetched) = this
                .fetch_holding(&lease, request, &key, Some(&cached), origin)
                .await;
            if fetched != fetch::Fetched::ByAnother {
                this.counters.add(Counter::BackgroundRefresh);
            }
            if let Err(error) = &answer {
                log::warn!("http cache: background revalidation failed: {error}");
            }
            if answer.is_err() || fetched == fetch::Fetched::Failed {
                this.counters.add(Counter::RefreshFailure);
            }
        }));
    }

    /// Passes a request of another method on; a successful unsafe one removes the stored
    /// response of its URL (RFC 9111 §4.4).
    async fn pass(&self, request: Request, origin: Origin<'_>) -> Result<Response> {
        let unsafe_method = !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        let key = self.key_of(request.url(), &http::HeaderMap::new());
        let response = origin.send(request, self.options.origin_timeout).await?;
        let status = response.status();
        let succeeded = status.is_success() || status.is_redirection();
        if unsafe_method && succeeded && !self.options.read_only {
            self.manager.forget(&key).await.map_err(Error::middleware)?;
        }
        Ok(response)
    }
}

#[anykv_core::async_trait]
impl<C: Serializer + Clone + 'static> Middleware for CacheMiddleware<C> {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        let origin = Origin::Chain { next, extensions };
        if request.method() == Method::GET {
            self.get(request, origin).await
        } else {
            self.pass(request, origin).await
        }
    }
}

/// `url` parsed, or a configuration error naming it.
fn parse_url(url: &str) -> anykv_core::Result<reqwest::Url> {
    reqwest::Url::parse(url)
        .map_err(|error| anykv_core::Error::Config(format!("http cache: bad URL {url:?}: {error}")))
}
