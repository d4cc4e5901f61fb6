//! Key to file name encoding.
//!
//! A file's name is the lowercase hex SHA-256 of its key (64 characters), plus the optional
//! extension. Whatever the key holds (`..`, `/`, `\`, NUL, `CON`, case variants, 1024 bytes),
//! the name is 64 characters of `[0-9a-f]`: it cannot leave the directory, is not a reserved
//! name on any system, and cannot collide with another key's name on a case-insensitive file
//! system. The key itself is stored in the file's header, so scans recover it, and reads check
//! it, so even a hash collision could not return another key's value.

use anykv_core::limits::sha256_hex;

/// Length of the hash part of a file name.
pub(crate) const HASH_HEX_LEN: usize = 64;

/// The file name of `key`.
pub(crate) fn file_name(key: &str, extension: Option<&str>) -> String {
    let mut name = sha256_hex(key.as_bytes());
    if let Some(extension) = extension {
        name.reserve(1 + extension.len());
        name.push('.');
        name.push_str(extension);
    }
    name
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `name` is the name of an entry file (and not a temp file or a foreign file).
pub(crate) fn is_entry_file(name: &str, extension: Option<&str>) -> bool {
    let (hash, rest) = name.split_at(name.len().min(HASH_HEX_LEN));
    let hash_ok = hash.len() == HASH_HEX_LEN && hash.bytes().all(|b| HEX.contains(&b));
    let ext_ok = match extension {
        None => rest.is_empty(),
        Some(ext) => rest.strip_prefix('.') == Some(ext),
    };
    hash_ok && ext_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_keys_become_plain_hex_names() {
        for key in [
            "",
            "..",
            "../../etc/passwd",
            "a/b",
            "a\\b",
            "nul\0byte",
            "CON",
            "con",
            "Con",
            &"x".repeat(1024),
        ] {
            let name = file_name(key, Some("bin"));
            assert!(is_entry_file(&name, Some("bin")), "{name}");
            assert!(!name.contains(['/', '\\', '\0']));
            assert_eq!(name.len(), HASH_HEX_LEN + 4);
        }
        assert_ne!(file_name("CON", None), file_name("con", None));
    }

    #[test]
    fn temp_and_foreign_files_are_not_entries() {
        assert!(!is_entry_file(".tmp.1.2.3", None));
        assert!(!is_entry_file("notes.txt", None));
        assert!(!is_entry_file(&file_name("k", Some("bin")), None));
        assert!(!is_entry_file(&file_name("k", None), Some("bin")));
    }

    /// Frozen format: file names written by this version are found by every later one.
    #[test]
    fn frozen_format_golden() {
        assert_eq!(
            file_name("key", Some("bin")),
            "2c70e12b7a0646f92279f427c7b38e7334d8e5389cff167a1dc30e73f826b683.bin"
        );
    }
}
