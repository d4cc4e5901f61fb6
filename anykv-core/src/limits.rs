//! The limits every backend enforces identically: key length, value size and namespace names.

use crate::error::{Error, KeyDisplay, Result};

/// The longest key, in UTF-8 bytes, that every backend accepts. Longer keys are refused with
/// [`Error::KeyTooLong`] everywhere; every key from 0 to this many bytes works everywhere.
pub const MAX_KEY_LEN: usize = 1024;

/// The longest namespace name.
pub const MAX_NAMESPACE_LEN: usize = 64;

/// The lowercase hex SHA-256 of `data` (64 characters of `[0-9a-f]`): what the family puts in
/// place of a key that is too long or unsafe to keep as it is (the files store's names, the
/// HTTP cache's and the memo's long keys).
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(data) {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xF)]));
    }
    hex
}

/// Refuses keys over [`MAX_KEY_LEN`].
pub fn check_key(key: &str) -> Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLong {
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    Ok(())
}

/// Refuses a value longer than `max` bytes with an error that names the limit and the backend.
pub fn check_value(backend: &'static str, key: &str, value: &[u8], max: usize) -> Result<()> {
    check_value_len(backend, key, value.len(), max)
}

/// Refuses a value of `len` bytes over `max` (for a value written from a stream, `len` is how
/// much was read when it passed `max`).
pub fn check_value_len(backend: &'static str, key: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(Error::ValueTooLarge {
            backend,
            key: KeyDisplay::new(key),
            len,
            max,
        });
    }
    Ok(())
}

/// Checks a key and its value together, as every write does before touching the backend.
pub fn check_entry(backend: &'static str, key: &str, value: &[u8], max_value: usize) -> Result<()> {
    check_key(key)?;
    check_value(backend, key, value, max_value)
}

/// Checks every key, value and TTL of a bulk write before anything is written.
pub fn check_entries(
    backend: &'static str,
    max_value: usize,
    entries: &[crate::SetEntry<'_>],
) -> Result<()> {
    entries.iter().try_for_each(|entry| {
        check_entry(backend, entry.key, entry.value, max_value)?;
        entry.ttl.map(crate::time::ttl_millis).transpose().map(drop)
    })
}

/// A checked namespace (scope) name: 1 to 64 characters from `A-Z a-z 0-9 _ -`, not starting
/// with `-`.
///
/// These names become SQL table names, directory names, key prefixes and collection names, so
/// they are restricted to characters that are safe, unquoted, in all of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(String);

impl Namespace {
    /// The namespace used when none is given.
    pub const DEFAULT: &'static str = "default";

    /// Checks `name`.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let refuse = |reason| {
            Err(Error::InvalidNamespace {
                name: name.chars().take(80).collect(),
                reason,
            })
        };
        if name.is_empty() {
            return refuse("empty");
        }
        if name.len() > MAX_NAMESPACE_LEN {
            return refuse("longer than 64 bytes");
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return refuse("only ASCII letters, digits, '_' and '-' are allowed");
        }
        if name.starts_with('-') {
            return refuse("must not start with '-'");
        }
        Ok(Namespace(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, encoded so that names differing only in case stay different where case is
    /// ignored (SQLite identifiers, file names on macOS and Windows): each uppercase letter
    /// becomes `~` and its lowercase (`Ab` → `~ab`, `aB` → `a~b`). A name without uppercase
    /// letters is unchanged, so existing lowercase names keep their tables and directories.
    pub fn case_folded(&self) -> std::borrow::Cow<'_, str> {
        if !self.0.bytes().any(|b| b.is_ascii_uppercase()) {
            return std::borrow::Cow::Borrowed(&self.0);
        }
        let mut folded = String::with_capacity(self.0.len() * 2);
        for c in self.0.chars() {
            if c.is_ascii_uppercase() {
                folded.push('~');
                folded.push(c.to_ascii_lowercase());
            } else {
                folded.push(c);
            }
        }
        std::borrow::Cow::Owned(folded)
    }
}

impl Default for Namespace {
    fn default() -> Self {
        Namespace(Self::DEFAULT.to_owned())
    }
}

impl std::fmt::Display for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Namespace {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_the_standard_digest() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn keys_up_to_the_limit_pass() {
        assert!(check_key("").is_ok());
        assert!(check_key(&"x".repeat(MAX_KEY_LEN)).is_ok());
        assert!(matches!(
            check_key(&"x".repeat(MAX_KEY_LEN + 1)),
            Err(Error::KeyTooLong {
                len: 1025,
                max: 1024
            })
        ));
    }

    #[test]
    fn value_error_names_the_limit() {
        let err = check_value("test", "k", &[0; 11], 10).err();
        assert!(matches!(
            err,
            Some(Error::ValueTooLarge {
                len: 11,
                max: 10,
                ..
            })
        ));
        assert!(check_value("test", "k", &[0; 10], 10).is_ok());
    }

    #[test]
    fn namespaces_are_restricted_to_safe_characters() {
        assert!(Namespace::new("http_cache-2").is_ok());
        let folded = |name: &str| Namespace::new(name).map(|n| n.case_folded().into_owned());
        assert_eq!(folded("http_cache").ok().as_deref(), Some("http_cache"));
        assert_eq!(folded("Ab").ok().as_deref(), Some("~ab"));
        assert_eq!(folded("aB").ok().as_deref(), Some("a~b"));
        assert_ne!(folded("Ab").ok(), folded("ab").ok());
        for bad in [
            "",
            "a b",
            "a;drop",
            "x\"y",
            "../up",
            "-flag",
            "ü",
            &"n".repeat(65),
        ] {
            assert!(Namespace::new(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
