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
#[derive(Deserialize, Clone)]
pub(crate) struct Stored {
    pub(crate) response: HttpResponse,
    pub(crate) policy: CachePolicy,
}

/// A stored response as read, with a fingerprint of the entry's bytes: a caller that waits for
/// another's fetch knows the entry was rewritten when the fingerprint changes.
#[derive(Clone)]
pub(crate) struct Cached {
    pub(crate) stored: Stored,
    #[cfg_attr(not(feature = "middleware"), allow(dead_code))]
    pub(crate) fingerprint: u64,
}

impl Cached {
    /// `stored`, read from `bytes`.
    pub(crate) fn new(stored: Stored, bytes: &[u8]) -> Self {
        Cached {
            stored,
            fingerprint: fingerprint(bytes),
        }
    }
}

/// A 64-bit hash of an entry's bytes (fixed keys: equal bytes, equal prints in one process).
fn fingerprint(bytes: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}
