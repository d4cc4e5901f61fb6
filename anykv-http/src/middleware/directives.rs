//! What a stored response's `Cache-Control` allows once it is stale (RFC 5861, RFC 9111).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_cache_semantics::CachePolicy;

/// How long past its freshness a stale response may still be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct StaleWindows {
    /// Served at once while one background fetch revalidates it (`stale-while-revalidate`).
    pub(crate) while_revalidate: Duration,
    /// Served when the origin fails, times out or answers 5xx (`stale-if-error`).
    pub(crate) if_error: Duration,
}

impl StaleWindows {
    /// The windows of a response with `headers` (names in lower case, as stored): its own
    /// `stale-while-revalidate=N` / `stale-if-error=N`, else `defaults`; none at all when the
    /// response forbids serving it stale (`must-revalidate`, `no-cache`, `no-store`, and for a
    /// shared cache `proxy-revalidate` and `s-maxage`, which implies it).
    pub(crate) fn of(
        headers: &HashMap<String, String>,
        defaults: StaleWindows,
        shared: bool,
    ) -> StaleWindows {
        let cache_control = headers.get("cache-control").map_or("", String::as_str);
        let mut windows = defaults;
        for (name, value) in directives(cache_control) {
            let seconds = || {
                value
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(Duration::from_secs)
            };
            match name.as_str() {
                "must-revalidate" | "no-cache" | "no-store" => return StaleWindows::default(),
                "proxy-revalidate" | "s-maxage" if shared => return StaleWindows::default(),
                "stale-while-revalidate" => {
                    windows.while_revalidate = seconds().unwrap_or(defaults.while_revalidate)
                }
                "stale-if-error" => windows.if_error = seconds().unwrap_or(defaults.if_error),
                _ => {}
            }
        }
        windows
    }

    /// The longer window: how long past its freshness the response is worth keeping.
    pub(crate) fn longest(self) -> Duration {
        self.while_revalidate.max(self.if_error)
    }
}

/// The directives of a `Cache-Control` value: names in lower case, values unquoted.
fn directives(value: &str) -> impl Iterator<Item = (String, Option<&str>)> {
    value.split(',').filter_map(|directive| {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name, Some(value.trim().trim_matches('"'))),
            None => (directive, None),
        };
        let name = name.trim();
        (!name.is_empty()).then(|| (name.to_ascii_lowercase(), value))
    })
}

/// How long past its freshness lifetime the response of `policy` is at `now` (zero while it is
/// fresh).
///
/// The policy tells its age and, while fresh, its time to live; its freshness lifetime is the
/// age plus the time to live seen from before the response arrived (where its resident time is
/// zero). A response stale on arrival counts as stale since it arrived.
pub(crate) fn staleness(policy: &CachePolicy, now: SystemTime) -> Duration {
    let lifetime = policy
        .time_to_live(UNIX_EPOCH)
        .saturating_add(policy.age(UNIX_EPOCH));
    policy.age(now).saturating_sub(lifetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(cache_control: &str, shared: bool) -> StaleWindows {
        let headers = HashMap::from([("cache-control".to_owned(), cache_control.to_owned())]);
        let defaults = StaleWindows {
            while_revalidate: Duration::from_secs(7),
            if_error: Duration::from_secs(9),
        };
        StaleWindows::of(&headers, defaults, shared)
    }

    #[test]
    fn the_response_directives_win_over_the_defaults() {
        let found = windows(
            "max-age=60, Stale-While-Revalidate=30, stale-if-error=\"600\"",
            true,
        );
        assert_eq!(found.while_revalidate, Duration::from_secs(30));
        assert_eq!(found.if_error, Duration::from_secs(600));
        assert_eq!(found.longest(), Duration::from_secs(600));
    }

    #[test]
    fn the_defaults_fill_in_what_the_response_does_not_say() {
        let found = windows("max-age=60, stale-if-error=junk", true);
        assert_eq!(found.while_revalidate, Duration::from_secs(7));
        assert_eq!(found.if_error, Duration::from_secs(9));
    }

    #[test]
    fn a_response_that_must_be_revalidated_is_never_served_stale() {
        for forbidding in [
            "must-revalidate",
            "no-cache",
            "no-store",
            "proxy-revalidate",
        ] {
            let found = windows(
                &format!("max-age=60, stale-if-error=60, {forbidding}"),
                true,
            );
            assert_eq!(found, StaleWindows::default(), "{forbidding}");
        }
        assert_eq!(windows("s-maxage=5", true), StaleWindows::default());
        assert_eq!(
            windows("s-maxage=5", false).if_error,
            Duration::from_secs(9)
        );
    }
}
