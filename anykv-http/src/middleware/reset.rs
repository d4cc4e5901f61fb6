//! [`CacheMiddleware::reset_expiration`]: new freshness for every stored response.

use std::time::SystemTime;

use anykv_core::{AsyncKvStorageExt, Serializer};
use futures_util::TryStreamExt;
use http::header::{AGE, DATE};
use http::{HeaderMap, HeaderName, HeaderValue};
use http_cache_semantics::CachePolicy;

use super::response::{head_of, readable_status, stored_headers};
use super::rules::{with_expiry, ExpireAfter};
use super::CacheMiddleware;

impl<C: Serializer + Clone + 'static> CacheMiddleware<C> {
    /// Gives every stored response a new freshness counted from now, as requests-cache's
    /// `reset_expiration`: `After(d)` makes each fresh for `d`, `Forever` for as long as a
    /// store keeps anything, `Headers` for what its own headers said when it was fetched,
    /// `DoNotCache` removes them. The responses keep their bodies and headers; their stale
    /// windows and store TTLs follow the new freshness. Returns how many responses it changed
    /// (unreadable entries are left as they are).
    pub async fn reset_expiration(&self, expire: ExpireAfter) -> anykv_core::Result<usize> {
        let store = self.store();
        let keys: Vec<String> = store.keys_with_prefix("GET:").await?.try_collect().await?;
        let mut reset = 0;
        for key in keys {
            let Ok(Some(cached)) = self.manager.read(&key).await else {
                continue;
            };
            if expire == ExpireAfter::DoNotCache {
                reset += usize::from(store.delete(&key).await?);
                continue;
            }
            let stored = cached.stored;
            let Some(status) = readable_status(&stored.response) else {
                continue;
            };
            let now = SystemTime::now();
            let mut headers = stored_headers(&stored.response);
            headers.remove(AGE);
            if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
                headers.insert(DATE, date);
            }
            let mut request = http::Request::get(stored.response.url.as_str())
                .body(())
                .map_err(|e| anykv_core::Error::Config(e.to_string()))?;
            *request.headers_mut() = request_headers(&stored.policy);
            let response = head_of(status, with_expiry(&headers, expire));
            let policy = CachePolicy::new_options(&request, &response, now, self.options.policy);
            if !policy.is_storable() {
                continue;
            }
            let window = self.windows(&stored.response).longest();
            let stored_again = self
                .manager
                .store_response(&key, &stored.response, &policy, window)
                .await
                .map_err(|failure| failure.into_store_error())?;
            reset += usize::from(stored_again);
        }
        Ok(reset)
    }
}

/// The request headers a stored policy was made with (what its `Vary` compares), read from
/// its serialized form: `CachePolicy` has no accessor for them. Empty if they cannot be read.
fn request_headers(policy: &CachePolicy) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Ok(serialized) = serde_json::to_value(policy) else {
        return headers;
    };
    let Some(request) = serialized.get("req").and_then(|req| req.as_object()) else {
        return headers;
    };
    for (name, values) in request {
        let values: Vec<&str> = match values {
            serde_json::Value::String(value) => vec![value],
            serde_json::Value::Array(values) => values.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in values {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.append(name.clone(), value);
            }
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_headers_of_a_policy_are_read_back() {
        let request = http::Request::get("http://h/p")
            .header("accept-language", "fr")
            .header("x-many", "a")
            .header("x-many", "b")
            .body(())
            .unwrap_or_default();
        let response = http::Response::builder()
            .header("cache-control", "max-age=60")
            .header("vary", "accept-language")
            .body(())
            .unwrap_or_default();
        let policy = CachePolicy::new(&request, &response);
        let headers = request_headers(&policy);
        assert_eq!(
            headers.get("accept-language").map(|v| v.as_bytes()),
            Some(&b"fr"[..])
        );
        let many: Vec<&[u8]> = headers
            .get_all("x-many")
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        assert_eq!(many, [&b"a"[..], b"b"]);
    }
}
