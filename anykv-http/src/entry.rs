//! What one cached response is stored as: the response (status, version, URL, headers, body)
//! and its cache policy, serialized together by the manager's serializer.

use http_cache::HttpResponse;
use http_cache_semantics::CachePolicy;
use serde::{Deserialize, Serialize};

/// A stored response, borrowed for writing so the body is never copied.
#[derive(Serialize)]
pub(crate) struct StoredRef<'a> {
    pub(crate) response: &'a HttpResponse,
    pub(crate) policy: &'a CachePolicy,
}

/// A stored response, read back. Same fields in the same order as [`StoredRef`].
#[derive(Deserialize)]
pub(crate) struct Stored {
    pub(crate) response: HttpResponse,
    pub(crate) policy: CachePolicy,
}
