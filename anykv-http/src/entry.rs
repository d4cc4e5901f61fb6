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

/// A stored response as read, with a fingerprint of the fetch it came from: a caller that
/// waits for another's fetch knows the entry was rewritten when the fingerprint changes.
#[derive(Clone)]
pub(crate) struct Cached {
    pub(crate) stored: Stored,
    #[cfg_attr(not(feature = "middleware"), allow(dead_code))]
    pub(crate) fingerprint: u128,
}

impl Cached {
    /// `stored`, as read.
    pub(crate) fn new(stored: Stored) -> Self {
        let fingerprint = fingerprint(&stored.policy);
        Cached {
            stored,
            fingerprint,
        }
    }
}

/// A far-off instant every fingerprint is taken at.
const FAR_OFF: std::time::Duration = std::time::Duration::from_secs(1 << 40);

/// What tells one fetch from another in constant time, without hashing the body: every fetch
/// and every revalidation makes a policy with its own response time (to the nanosecond), and
/// the policy's age at a fixed instant is its `Age` header plus the time since then.
fn fingerprint(policy: &CachePolicy) -> u128 {
    policy.age(std::time::UNIX_EPOCH + FAR_OFF).as_nanos()
}

#[cfg(test)]
mod tests {
    use super::fingerprint;
    use http_cache_semantics::{CacheOptions, CachePolicy};
    use std::time::{Duration, SystemTime};

    fn policy(at: SystemTime, age: &str) -> CachePolicy {
        let request = http::Request::get("http://h/p")
            .body(())
            .unwrap_or_default();
        let response = http::Response::builder()
            .header("cache-control", "max-age=60")
            .header("age", age)
            .body(())
            .unwrap_or_default();
        CachePolicy::new_options(&request, &response, at, CacheOptions::default())
    }

    #[test]
    fn each_fetch_has_its_own_fingerprint_and_keeps_it_through_the_store() {
        let at = SystemTime::now();
        let first = policy(at, "0");
        assert_ne!(
            fingerprint(&first),
            fingerprint(&policy(at + Duration::from_nanos(1), "0"))
        );
        let bytes = postcard::to_allocvec(&first).unwrap_or_default();
        let read: CachePolicy = postcard::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fingerprint(&first), fingerprint(&read));
        assert_eq!(fingerprint(&first), fingerprint(&first.clone()));
    }
}
