//! Rewriting a response's freshness: the headers a cache policy is computed from when a rule
//! (the middleware's expiry rules, `reset_expiration`, an import) decides how long it is fresh.

use std::time::Duration;

use http::header::{CACHE_CONTROL, EXPIRES, PRAGMA};
use http::{HeaderMap, HeaderValue};

/// `headers` fresh for `fresh_for`: a `Cache-Control: max-age` of its own in place of their
/// freshness (`Expires`, `Pragma` and the other `Cache-Control` directives go), keeping the
/// response's `stale-*` directives.
pub(crate) fn with_max_age(headers: &HeaderMap, fresh_for: Duration) -> HeaderMap {
    let mut rewritten = headers.clone();
    let kept: Vec<String> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|directive| directive.to_ascii_lowercase().starts_with("stale-"))
        .map(str::to_owned)
        .collect();
    let mut cache_control = format!("max-age={}", fresh_for.as_secs());
    for directive in kept {
        cache_control.push_str(", ");
        cache_control.push_str(&directive);
    }
    rewritten.remove(EXPIRES);
    rewritten.remove(PRAGMA);
    if let Ok(value) = HeaderValue::from_str(&cache_control) {
        rewritten.insert(CACHE_CONTROL, value);
    }
    rewritten
}
