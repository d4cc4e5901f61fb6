//! The store key of a cache key.
//!
//! http-cache's keys are `METHOD:URL` and URLs have no length limit, while every store of this
//! family takes keys up to [`MAX_KEY_LEN`](anykv_core::MAX_KEY_LEN) bytes. Keys up to
//! [`LONGEST_PLAIN_KEY`] bytes are stored as they are; longer ones keep a readable prefix and end
//! in the SHA-256 of the whole key, which makes them longer than any plain key, so the two kinds
//! never meet.

use anykv_core::limits::sha256_hex;
use std::borrow::Cow;

/// The longest cache key stored as it is, in bytes.
pub const LONGEST_PLAIN_KEY: usize = 960;

/// How much of a long key is kept in front of its digest, in bytes (less when a character
/// would be cut).
const KEPT_PREFIX: usize = 896;

/// Separates a long key's kept prefix from its digest.
const DIGEST_MARK: &str = "#sha256:";

/// The key under which the response of `cache_key` is stored.
pub fn store_key(cache_key: &str) -> Cow<'_, str> {
    if cache_key.len() <= LONGEST_PLAIN_KEY {
        return Cow::Borrowed(cache_key);
    }
    // A char is at most 4 bytes, so this stops at KEPT_PREFIX - 3 at the lowest.
    let mut end = KEPT_PREFIX;
    while !cache_key.is_char_boundary(end) {
        end -= 1;
    }
    let digest = sha256_hex(cache_key.as_bytes());
    Cow::Owned(format!("{}{DIGEST_MARK}{digest}", &cache_key[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_up_to_the_limit_are_kept_as_they_are() {
        let key = format!(
            "GET:http://example.com/{}",
            "a".repeat(LONGEST_PLAIN_KEY - 23)
        );
        assert_eq!(key.len(), LONGEST_PLAIN_KEY);
        assert_eq!(store_key(&key), key.as_str());
    }

    #[test]
    fn longer_keys_end_in_a_digest_of_the_whole_key_and_fit_every_store() {
        let base = format!("GET:http://example.com/?q={}", "é".repeat(600));
        let first = store_key(&format!("{base}1")).into_owned();
        let second = store_key(&format!("{base}2")).into_owned();
        assert_ne!(first, second, "keys differing past the prefix stay apart");
        for key in [&first, &second] {
            assert!(
                key.len() > LONGEST_PLAIN_KEY,
                "never the length of a plain key"
            );
            assert!(key.len() <= anykv_core::MAX_KEY_LEN);
            assert!(key.starts_with("GET:http://example.com/?q=é"));
            assert!(key.contains(DIGEST_MARK));
        }
        assert_eq!(store_key(&format!("{base}1")), first.as_str(), "stable");
    }
}
