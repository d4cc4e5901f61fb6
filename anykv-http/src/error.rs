//! The error a manager fails a request with, and finding the store's error inside it.

use std::error::Error as StdError;
use std::fmt;

/// A store operation of a [`KvCacheManager`](crate::KvCacheManager) that failed; its
/// [`source`](StdError::source) is the store's [`anykv_core::Error`].
///
/// Middlewares box it (http-cache-reqwest then wraps the box in an `anyhow::Error` whose
/// downcasts do not reach inside); [`store_error`] finds the store's error from any of them.
#[derive(Debug)]
pub struct StoreFailed {
    action: &'static str,
    key: String,
    source: Box<anykv_core::Error>,
}

impl StoreFailed {
    /// `action` ("read", "store", "remove", "serialize") of the entry `key` failed with `source`.
    pub(crate) fn new(action: &'static str, key: &str, source: anykv_core::Error) -> Self {
        StoreFailed {
            action,
            key: key.to_owned(),
            source: Box::new(source),
        }
    }

    /// The store's error.
    pub fn store_error(&self) -> &anykv_core::Error {
        &self.source
    }

    /// The store's error itself.
    #[cfg_attr(not(feature = "middleware"), allow(dead_code))]
    pub(crate) fn into_store_error(self) -> anykv_core::Error {
        *self.source
    }
}

impl fmt::Display for StoreFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = anykv_core::KeyDisplay::new(&self.key);
        write!(
            f,
            "http cache: cannot {} {key}: {}",
            self.action, self.source
        )
    }
}

impl StdError for StoreFailed {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// The [`anykv_core::Error`] that failed a request, if a store error did: `error` itself or
/// any of its sources.
///
/// With http-cache-reqwest a request fails with
/// `reqwest_middleware::Error::Middleware(error)`; pass `&**error`:
///
/// ```
/// use anykv_http::store_error;
///
/// fn why(error: &reqwest_middleware::Error) -> Option<anykv_core::ErrorKind> {
///     match error {
///         reqwest_middleware::Error::Middleware(error) => store_error(&**error).map(|e| e.kind()),
///         reqwest_middleware::Error::Reqwest(_) => None,
///     }
/// }
/// ```
pub fn store_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a anykv_core::Error> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<anykv_core::Error>() {
            return Some(found);
        }
        next = error.source();
    }
    None
}

/// The URL an error names: scheme, host, port and path, never the query (which may carry
/// credentials such as an `api_key`).
#[cfg(feature = "middleware")]
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The origin did not answer within the middleware's
/// [`origin_timeout`](crate::CacheMiddleware::origin_timeout) (and no stale response could be
/// served instead).
#[cfg(feature = "middleware")]
#[derive(Debug, Clone)]
pub struct OriginTimedOut {
    url: String,
    after: std::time::Duration,
}

#[cfg(feature = "middleware")]
impl OriginTimedOut {
    pub(crate) fn new(url: String, after: std::time::Duration) -> Self {
        OriginTimedOut { url, after }
    }

    /// How long the origin was given.
    pub fn after(&self) -> std::time::Duration {
        self.after
    }
}

#[cfg(feature = "middleware")]
impl fmt::Display for OriginTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "http cache: the origin did not answer {} within {:?}",
            without_query(&self.url),
            self.after
        )
    }
}

#[cfg(feature = "middleware")]
impl StdError for OriginTimedOut {}

/// A caller waited [`wait`](crate::CacheMiddleware::wait) for another caller's fetch of the
/// same URL, and was told to fail rather than fetch
/// ([`OnWaitTimeout::Fail`](crate::OnWaitTimeout::Fail)).
#[cfg(feature = "middleware")]
#[derive(Debug, Clone)]
pub struct WaitTimedOut {
    url: String,
    waited: std::time::Duration,
}

#[cfg(feature = "middleware")]
impl WaitTimedOut {
    pub(crate) fn new(url: String, waited: std::time::Duration) -> Self {
        WaitTimedOut { url, waited }
    }

    /// How long the caller waited.
    pub fn waited(&self) -> std::time::Duration {
        self.waited
    }
}

#[cfg(feature = "middleware")]
impl fmt::Display for WaitTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "http cache: waited {:?} for another caller's fetch of {}",
            self.waited,
            without_query(&self.url)
        )
    }
}

#[cfg(feature = "middleware")]
impl StdError for WaitTimedOut {}
