//! The stored record, keys, and how a lookup is classified.

use std::time::Duration;

use anykv_core::limits::sha256_hex;
use anykv_core::{codec, Error, Result, Serializer, Timestamp, MAX_KEY_LEN};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A cached result and when it was computed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Cached<T> {
    pub value: T,
    pub computed_at_ms: i64,
}

/// What a lookup found.
pub(crate) enum Lookup<T> {
    /// Younger than the refresh duration.
    Fresh(T),
    /// Older than the refresh duration, not expired.
    Stale(T),
    /// Nothing live.
    Missing,
}

pub(crate) fn classify<T>(
    cached: Option<Cached<T>>,
    refresh: Duration,
    now: Timestamp,
) -> Lookup<T> {
    match cached {
        None => Lookup::Missing,
        Some(cached) => {
            let age = now.as_millis().saturating_sub(cached.computed_at_ms);
            if u128::try_from(age).unwrap_or(0) < refresh.as_millis() {
                Lookup::Fresh(cached.value)
            } else {
                Lookup::Stale(cached.value)
            }
        }
    }
}

pub(crate) fn encode<T: Serialize, C: Serializer>(serializer: &C, value: &T) -> Result<Vec<u8>> {
    let cached = Cached {
        value,
        computed_at_ms: Timestamp::now().as_millis(),
    };
    codec::encode(serializer, &cached)
}

pub(crate) fn decode<T: DeserializeOwned, C: Serializer>(
    serializer: &C,
    key: &str,
    bytes: Option<Vec<u8>>,
) -> Result<Option<Cached<T>>> {
    bytes
        .map(|bytes| codec::decode(serializer, key, &bytes))
        .transpose()
}

/// The key of a call: `<name>:<arguments as JSON>`, or `<name>:#<sha256>` when that is longer
/// than the key limit.
pub(crate) fn call_key<A: Serialize + ?Sized>(name: &str, args: &A) -> Result<String> {
    let json = serde_json::to_string(args).map_err(|e| Error::Serialize(Box::new(e)))?;
    let key = format!("{name}:{json}");
    if key.len() + LOCK_PREFIX.len() <= MAX_KEY_LEN {
        return Ok(key);
    }
    Ok(format!("{name}:#{}", sha256_hex(json.as_bytes())))
}

/// The prefix every value key of the cache `name` starts with (keys of caches whose names
/// extend it, `name:x`, too: [`is_call_key_of`] tells them apart).
pub(crate) fn call_prefix(name: &str) -> String {
    format!("{name}:")
}

/// Whether `key` is a value key [`call_key`] makes for the cache `name`: the name, `:`, then
/// the arguments' JSON or `#` and their hash. `a:1:[2]` is a key of the cache `a:1`, never of
/// `a` (`1:[2]` is no JSON).
pub(crate) fn is_call_key_of(name: &str, key: &str) -> bool {
    let Some(rest) = key.strip_prefix(&call_prefix(name)) else {
        return false;
    };
    match rest.strip_prefix('#') {
        Some(hash) => hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        None => serde_json::from_str::<serde::de::IgnoredAny>(rest).is_ok(),
    }
}

const LOCK_PREFIX: &str = "lock:";

/// The key of the refresh lock of `key`.
pub(crate) fn lock_key(key: &str) -> String {
    format!("{LOCK_PREFIX}{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_keys_belong_to_their_cache_only() -> Result<()> {
        let key = call_key("a", &(1, "x"))?;
        assert!(is_call_key_of("a", &key));
        let extended = call_key("a:1", &[2])?;
        assert_eq!(extended, "a:1:[2]");
        assert!(!is_call_key_of("a", &extended));
        assert!(is_call_key_of("a:1", &extended));
        let long = call_key("a", &"x".repeat(2000))?;
        assert!(long.starts_with("a:#") && is_call_key_of("a", &long));
        assert!(!is_call_key_of("a", "a:#nothex"));
        assert!(!is_call_key_of("a", "lock:a:1"));
        Ok(())
    }
}
