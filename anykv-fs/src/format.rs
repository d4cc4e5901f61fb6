//! The file format: a header with the key and expiry, then the value.
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | magic `0x46` (`'F'`) |
//! | 1 | format version, 1 |
//! | 8 | expiry, ms since the Unix epoch, little-endian `i64`; `i64::MIN` for none |
//! | 2 | key length `n`, little-endian `u16` |
//! | n | the key (UTF-8) |
//! | rest | the value |

use std::io::Read;

use anykv_core::{Error, Result, Timestamp};

const MAGIC: u8 = 0x46;
const VERSION: u8 = 1;
const NO_EXPIRY: i64 = i64::MIN;
/// Length of the fixed part of the header.
pub(crate) const FIXED_HEADER_LEN: usize = 12;

/// A parsed header.
pub(crate) struct Header {
    pub key: String,
    pub expires_at: Option<Timestamp>,
}

/// The header followed by `value`.
pub(crate) fn encode(key: &str, expires_at: Option<Timestamp>, value: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(FIXED_HEADER_LEN + key.len() + value.len());
    bytes.extend_from_slice(&[MAGIC, VERSION]);
    bytes.extend_from_slice(
        &expires_at
            .map_or(NO_EXPIRY, Timestamp::as_millis)
            .to_le_bytes(),
    );
    // Keys are at most 1024 bytes, checked before any write.
    bytes.extend_from_slice(&(key.len() as u16).to_le_bytes());
    bytes.extend_from_slice(key.as_bytes());
    bytes.extend_from_slice(value);
    bytes
}

/// Reads the header from `reader`, leaving it at the start of the value. Errors name the entry
/// (`key`, when the reader knows it) and its `file`.
pub(crate) fn read_header(reader: &mut impl Read, key: Option<&str>, file: &str) -> Result<Header> {
    let corrupt = |reason: &str| {
        Error::corrupt(
            key.unwrap_or("(unknown key)"),
            format!("file {file}: {reason}"),
        )
    };
    let mut fixed = [0u8; FIXED_HEADER_LEN];
    reader
        .read_exact(&mut fixed)
        .map_err(|_| corrupt("shorter than the header"))?;
    let [magic, version, e0, e1, e2, e3, e4, e5, e6, e7, k0, k1] = fixed;
    if magic != MAGIC {
        return Err(corrupt("not an anykv-fs file (bad magic byte)"));
    }
    if version != VERSION {
        return Err(corrupt("unsupported format version"));
    }
    let expiry = i64::from_le_bytes([e0, e1, e2, e3, e4, e5, e6, e7]);
    let key_len = usize::from(u16::from_le_bytes([k0, k1]));
    if key_len > anykv_core::MAX_KEY_LEN {
        return Err(corrupt("key length over the limit"));
    }
    let mut key = vec![0u8; key_len];
    reader
        .read_exact(&mut key)
        .map_err(|_| corrupt("truncated key"))?;
    let key = String::from_utf8(key).map_err(|_| corrupt("key is not UTF-8"))?;
    Ok(Header {
        key,
        expires_at: (expiry != NO_EXPIRY).then_some(Timestamp::from_millis(expiry)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let bytes = encode("k", Some(Timestamp::from_millis(42)), b"value");
        let mut reader = &bytes[..];
        let header = read_header(&mut reader, None, "f");
        let header = header.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header.key, "k");
        assert_eq!(header.expires_at, Some(Timestamp::from_millis(42)));
        assert_eq!(reader, b"value");
    }

    #[test]
    fn truncated_files_are_corrupt() {
        let bytes = encode("key", None, b"v");
        for len in 0..FIXED_HEADER_LEN + 3 {
            assert!(matches!(
                read_header(&mut &bytes[..len], None, "f"),
                Err(Error::Corrupt { .. })
            ));
        }
    }

    /// Frozen format: files written by this version stay readable by every later one.
    #[test]
    fn frozen_format_golden() {
        let golden: &[u8] = &[0x46, 1, 42, 0, 0, 0, 0, 0, 0, 0, 1, 0, b'k', b'v'];
        assert_eq!(encode("k", Some(Timestamp::from_millis(42)), b"v"), golden);
        let no_expiry = encode("k", None, b"");
        assert_eq!(&no_expiry[2..10], &i64::MIN.to_le_bytes());
    }
}
