//! What a user decides beyond the headers, as requests-cache and aiohttp-client-cache users do:
//! expiry per URL pattern (`urls_expire_after`) or for every URL (`expire_after`), and the
//! query parameters left out of the cache key (`ignored_parameters`).

use std::time::Duration;

use anykv_core::time::MAX_TTL;
use http::header::{HeaderMap, CACHE_CONTROL, EXPIRES};
use reqwest::Url;

/// How long responses are kept, besides what their headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpireAfter {
    /// As the response's headers say (the default).
    Headers,
    /// Never stored (always fetched).
    DoNotCache,
    /// Fresh for this long.
    After(Duration),
    /// Fresh for as long as a store keeps anything (100 years).
    Forever,
}

/// A URL pattern and the expiry of the responses it matches.
#[derive(Debug, Clone)]
pub(crate) struct UrlRule {
    /// `host/path` with `*` matching any run of characters; matches URLs it is a prefix of.
    pattern: String,
    expire: ExpireAfter,
}

impl UrlRule {
    pub(crate) fn new(pattern: &str, expire: ExpireAfter) -> Self {
        let pattern = pattern
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_owned();
        UrlRule { pattern, expire }
    }
}

/// The expiry rules of a middleware.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub(crate) default: ExpireAfter,
    pub(crate) urls: Vec<UrlRule>,
    /// Whether the response's own freshness (`max-age`, `s-maxage`, `Expires`, `no-cache`,
    /// `no-store`) wins over the rules (`After` and `Forever` then only fill in).
    pub(crate) headers_first: bool,
    pub(crate) ignored_parameters: Vec<String>,
    /// Request headers left out of the stored request (lower case).
    pub(crate) ignored_headers: Vec<http::HeaderName>,
    /// Request headers whose values are part of the cache key.
    pub(crate) matched_headers: Vec<http::HeaderName>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            default: ExpireAfter::Headers,
            urls: Vec::new(),
            headers_first: true,
            ignored_parameters: Vec::new(),
            ignored_headers: Vec::new(),
            matched_headers: Vec::new(),
        }
    }
}

impl Rules {
    /// The expiry for `url`: the first URL rule matching it, else the default.
    pub(crate) fn expiry_of(&self, url: &Url) -> ExpireAfter {
        if self.urls.is_empty() {
            return self.default;
        }
        let target = format!(
            "{}{}",
            url.host_str().unwrap_or(""),
            url.port()
                .map(|port| format!(":{port}"))
                .unwrap_or_default()
        ) + url.path();
        self.urls
            .iter()
            .find(|rule| glob_prefix(&rule.pattern, &target))
            .map_or(self.default, |rule| rule.expire)
    }

    /// The headers the policy is computed from for a response with `headers` under `expire`:
    /// the same, or with a `Cache-Control: max-age` of the rule's (keeping the response's
    /// `stale-*` directives) when the rule applies.
    pub(crate) fn policy_headers(&self, headers: &HeaderMap, expire: ExpireAfter) -> HeaderMap {
        if self.headers_first && has_freshness(headers) {
            return headers.clone();
        }
        with_expiry(headers, expire)
    }

    /// `url` without the ignored query parameters (the others in their order).
    pub(crate) fn normalized(&self, url: &Url) -> Url {
        if self.ignored_parameters.is_empty() || url.query().is_none() {
            return url.clone();
        }
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| {
                !self
                    .ignored_parameters
                    .iter()
                    .any(|ignored| ignored == name)
            })
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let mut normalized = url.clone();
        if kept.is_empty() {
            normalized.set_query(None);
        } else {
            normalized.query_pairs_mut().clear().extend_pairs(kept);
        }
        normalized
    }
}

impl Rules {
    /// The cache key of a GET of `url` with `headers`: `GET:<url without ignored parameters>`,
    /// then each matched header as `|name=value` (absent ones as `|name`).
    pub(crate) fn cache_key(&self, url: &Url, headers: &HeaderMap) -> String {
        let mut key = format!("GET:{}", self.normalized(url));
        for name in &self.matched_headers {
            key.push('|');
            key.push_str(name.as_str());
            let values: Vec<&str> = headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect();
            if !values.is_empty() {
                key.push('=');
                key.push_str(&values.join(","));
            }
        }
        key
    }

    /// `headers` without the ignored ones.
    pub(crate) fn kept_headers(&self, headers: &HeaderMap) -> HeaderMap {
        let mut kept = headers.clone();
        for name in &self.ignored_headers {
            kept.remove(name);
        }
        kept
    }
}

/// `headers` with the freshness `expire` gives: as they are for [`ExpireAfter::Headers`] and
/// [`ExpireAfter::DoNotCache`], else with a `Cache-Control: max-age` of its own (keeping the
/// response's `stale-*` directives) in place of their freshness.
pub(crate) fn with_expiry(headers: &HeaderMap, expire: ExpireAfter) -> HeaderMap {
    match expire {
        ExpireAfter::Headers | ExpireAfter::DoNotCache => headers.clone(),
        ExpireAfter::After(fresh_for) => crate::freshness::with_max_age(headers, fresh_for),
        ExpireAfter::Forever => crate::freshness::with_max_age(headers, MAX_TTL),
    }
}

/// Whether the response says how long it is fresh (or that it is not).
fn has_freshness(headers: &HeaderMap) -> bool {
    let explicit = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_ascii_lowercase())
        .any(|directive| {
            directive.starts_with("max-age")
                || directive.starts_with("s-maxage")
                || directive == "no-cache"
                || directive == "no-store"
        });
    explicit || headers.contains_key(EXPIRES)
}

/// Whether `pattern` (with `*` for any run of characters) matches a prefix of `text`.
fn glob_prefix(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return true;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in parts {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn patterns_match_host_and_path_prefixes_with_stars() {
        assert!(glob_prefix(
            "api.example.com/v1",
            "api.example.com/v1/users"
        ));
        assert!(glob_prefix("*.example.com", "cdn.example.com/a.png"));
        assert!(glob_prefix(
            "example.com/*/static",
            "example.com/app/static/x.js"
        ));
        assert!(!glob_prefix("example.com/v2", "example.com/v1/users"));
        assert!(!glob_prefix("*.example.com", "example.org/"));
        let rules = Rules {
            urls: vec![
                UrlRule::new("https://example.com/static", ExpireAfter::Forever),
                UrlRule::new("example.com/private", ExpireAfter::DoNotCache),
                UrlRule::new(
                    "127.0.0.1:8080/slow",
                    ExpireAfter::After(Duration::from_secs(5)),
                ),
            ],
            default: ExpireAfter::After(Duration::from_secs(60)),
            ..Rules::default()
        };
        assert_eq!(
            rules.expiry_of(&url("http://example.com/static/a.css")),
            ExpireAfter::Forever
        );
        assert_eq!(
            rules.expiry_of(&url("http://example.com/private/me")),
            ExpireAfter::DoNotCache
        );
        assert_eq!(
            rules.expiry_of(&url("http://127.0.0.1:8080/slow?x=1")),
            ExpireAfter::After(Duration::from_secs(5))
        );
        assert_eq!(
            rules.expiry_of(&url("http://example.com/other")),
            ExpireAfter::After(Duration::from_secs(60))
        );
    }

    #[test]
    fn rules_fill_in_or_override_the_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("max-age=5, stale-if-error=60"),
        );
        let five_minutes = ExpireAfter::After(Duration::from_secs(300));
        let mut rules = Rules::default();
        assert_eq!(
            rules.policy_headers(&headers, five_minutes),
            headers,
            "headers first"
        );
        rules.headers_first = false;
        let rewritten = rules.policy_headers(&headers, five_minutes);
        assert_eq!(
            rewritten.get(CACHE_CONTROL).and_then(|v| v.to_str().ok()),
            Some("max-age=300, stale-if-error=60")
        );
        let bare = HeaderMap::new();
        rules.headers_first = true;
        let filled = rules.policy_headers(&bare, five_minutes);
        assert_eq!(
            filled.get(CACHE_CONTROL).and_then(|v| v.to_str().ok()),
            Some("max-age=300")
        );
    }

    #[test]
    fn ignored_parameters_leave_the_key() {
        let rules = Rules {
            ignored_parameters: vec!["api_key".into(), "ts".into()],
            ..Rules::default()
        };
        assert_eq!(
            rules
                .normalized(&url("http://h/p?q=1&api_key=secret&page=2&ts=9"))
                .as_str(),
            "http://h/p?q=1&page=2"
        );
        assert_eq!(
            rules.normalized(&url("http://h/p?api_key=secret")).as_str(),
            "http://h/p"
        );
        assert_eq!(
            rules.normalized(&url("http://h/p?q=1")).as_str(),
            "http://h/p?q=1"
        );
    }

    #[test]
    fn matched_headers_are_part_of_the_key_and_ignored_ones_leave_the_request() {
        let rules = Rules {
            matched_headers: vec![http::header::ACCEPT_LANGUAGE],
            ignored_headers: vec![http::header::AUTHORIZATION],
            ..Rules::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr"),
        );
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer x"),
        );
        let page = url("http://h/p");
        assert_eq!(
            rules.cache_key(&page, &headers),
            "GET:http://h/p|accept-language=fr"
        );
        assert_eq!(
            rules.cache_key(&page, &HeaderMap::new()),
            "GET:http://h/p|accept-language"
        );
        let kept = rules.kept_headers(&headers);
        assert!(!kept.contains_key(http::header::AUTHORIZATION));
        assert!(kept.contains_key(http::header::ACCEPT_LANGUAGE));
    }
}
