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
    source: anykv_core::Error,
}

impl StoreFailed {
    /// `action` ("read", "store", "remove", "serialize") of the entry `key` failed with `source`.
    pub(crate) fn new(action: &'static str, key: &str, source: anykv_core::Error) -> Self {
        StoreFailed {
            action,
            key: key.to_owned(),
            source,
        }
    }

    /// The store's error.
    pub fn store_error(&self) -> &anykv_core::Error {
        &self.source
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
        Some(&self.source)
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
