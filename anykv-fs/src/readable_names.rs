//! File names of the readable layout: the key itself, escaped so that every key has exactly one
//! name, safe on every common file system.
//!
//! - `a`-`z`, `0`-`9` and `- _ , + = @ ( ) [ ] { }` stay as they are, and `.` too except as the
//!   first or last character (no hidden files, no `.`/`..`, no name Windows would trim);
//! - an uppercase ASCII letter becomes `!` and the letter in lowercase (as Go's module cache
//!   writes them): `User` → `!user`, so names never differ only in case and a case-insensitive
//!   file system keeps every key apart;
//! - every other byte of the key's UTF-8 becomes `%` and two uppercase hex digits: `user:42` →
//!   `user%3A42`, `café` → `caf%C3%A9`, `a/b` → `a%2Fb`;
//! - a name Windows reserves for a device (`con`, `nul`, `com1`, … before the first `.`) gets its
//!   first letter escaped: `con` → `%63on`.
//!
//! A key whose name would pass 255 bytes with the extension, and the empty key, are named by the
//! first 160 bytes of their escaped form, `~` and the SHA-256 of the key (`~` is escaped in every
//! other name); their key is kept in the file's `user.anykv.key` attribute.
//!
//! A file whose name is not exactly what its key escapes to (`User.json`, `a%2fb.json`) is not an
//! entry: listing it would show a key that reads cannot reach.

use anykv_core::limits::sha256_hex;

/// The longest file name most file systems take, in bytes.
const MAX_NAME_LEN: usize = 255;
/// How much of the escaped key a long key's name keeps before its hash.
const LONG_NAME_PREFIX_LEN: usize = 160;
/// Separates a long key's name prefix from its hash.
const LONG_NAME_MARK: char = '~';
/// Length of the hash of a long key's name.
const HASH_HEX_LEN: usize = 64;

/// Names Windows reserves for devices, in any case and with any extension.
pub(crate) const RESERVED_NAMES: &[&str] = &[
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
    "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The punctuation a name keeps as it is.
const KEPT_PUNCTUATION: &[u8] = b"-_,+=@()[]{}";

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The file name of `key`, and whether the name spells the key (false: a long key, kept in the
/// file's attribute).
pub(crate) fn file_name(key: &str, extension: Option<&str>) -> (String, bool) {
    let escaped = escape(key);
    let ext_len = extension.map_or(0, |ext| ext.len() + 1);
    let spells_key = !key.is_empty() && escaped.len() + ext_len <= MAX_NAME_LEN;
    let mut name = if spells_key {
        escaped
    } else {
        let mut cut = escaped.len().min(LONG_NAME_PREFIX_LEN);
        // Never cut an escape (`%XX`, `!x`) in two.
        let splits_escape = |cut: usize| {
            let before = &escaped.as_bytes()[cut.saturating_sub(2)..cut];
            before.last() == Some(&b'!') || before.contains(&b'%')
        };
        while cut > 0 && splits_escape(cut) {
            cut -= 1;
        }
        format!(
            "{}{LONG_NAME_MARK}{}",
            &escaped[..cut],
            sha256_hex(key.as_bytes())
        )
    };
    if let Some(extension) = extension {
        name.push('.');
        name.push_str(extension);
    }
    (name, spells_key)
}

/// What the name of a file in a readable store's directory says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NameOf {
    /// The file of this key.
    Key(String),
    /// The file of a long key, which its attribute holds.
    LongKey,
    /// Not an entry file (a temporary file, the claim lock, a foreign file).
    NotAnEntry,
}

/// Reads a file name back.
pub(crate) fn parse(name: &str, extension: Option<&str>) -> NameOf {
    let stem = match extension {
        None => Some(name),
        Some(ext) => name
            .strip_suffix(ext)
            .and_then(|stem| stem.strip_suffix('.')),
    };
    let Some(stem) = stem else {
        return NameOf::NotAnEntry;
    };
    if let Some((_, hash)) = stem.rsplit_once(LONG_NAME_MARK) {
        let hashed = hash.len() == HASH_HEX_LEN
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        return if hashed {
            NameOf::LongKey
        } else {
            NameOf::NotAnEntry
        };
    }
    match unescape(stem) {
        Some(key) if file_name(&key, extension).0 == name => NameOf::Key(key),
        _ => NameOf::NotAnEntry,
    }
}

/// The escaped form of `key` (see the module docs).
fn escape(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = String::with_capacity(bytes.len() + 8);
    for (index, &byte) in bytes.iter().enumerate() {
        let edge = index == 0 || index + 1 == bytes.len();
        match byte {
            b'a'..=b'z' | b'0'..=b'9' => out.push(char::from(byte)),
            b'.' if !edge => out.push('.'),
            b'A'..=b'Z' => {
                out.push('!');
                out.push(char::from(byte.to_ascii_lowercase()));
            }
            _ if KEPT_PUNCTUATION.contains(&byte) => out.push(char::from(byte)),
            _ => push_escape(&mut out, byte),
        }
    }
    let device_name = out.split('.').next().unwrap_or_default();
    if RESERVED_NAMES.contains(&device_name) {
        let first = out.remove(0);
        let mut escaped = String::with_capacity(out.len() + 3);
        push_escape(&mut escaped, first as u8);
        escaped.push_str(&out);
        return escaped;
    }
    out
}

fn push_escape(out: &mut String, byte: u8) {
    out.push('%');
    out.push(char::from(UPPER_HEX[usize::from(byte >> 4)]));
    out.push(char::from(UPPER_HEX[usize::from(byte & 0x0f)]));
}

/// The key an escaped name stands for; `None` for a name no key escapes to.
fn unescape(stem: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(stem.len());
    let mut rest = stem.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'%' => {
                let [high, low, tail @ ..] = rest else {
                    return None;
                };
                let digit = |d: u8| UPPER_HEX.iter().position(|&h| h == d);
                let (high, low) = (digit(*high)?, digit(*low)?);
                bytes.push(u8::try_from(high * 16 + low).ok()?);
                rest = tail;
            }
            b'!' => {
                let (&letter, tail) = rest.split_first()?;
                if !letter.is_ascii_lowercase() {
                    return None;
                }
                bytes.push(letter.to_ascii_uppercase());
                rest = tail;
            }
            _ => bytes.push(byte),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(key: &str) -> String {
        file_name(key, Some("json")).0
    }

    #[test]
    fn plain_keys_read_as_they_are() {
        assert_eq!(name("user-42"), "user-42.json");
        assert_eq!(name("v1.2_(beta)"), "v1.2_(beta).json");
        assert_eq!(name("user:42"), "user%3A42.json");
        assert_eq!(name("User"), "!user.json");
        assert_eq!(name("café"), "caf%C3%A9.json");
        assert_eq!(name("../x"), "%2E.%2Fx.json");
        assert_eq!(name("end."), "end%2E.json");
        assert_eq!(name("con"), "%63on.json");
        assert_eq!(name("NUL.txt"), "!n!u!l.txt.json");
        assert_eq!(name("nul.txt"), "%6Eul.txt.json");
        assert_eq!(name("~"), "%7E.json");
    }

    #[test]
    fn names_read_back_to_their_keys() {
        for key in [
            "a",
            "User:42",
            "..",
            ".",
            "a/b\\c",
            "nul\0byte",
            "CON",
            "con",
            "lpt1.log",
            "%41",
            "!a",
            "~x",
            "日本語 key",
            "tab\there",
        ] {
            let (name, spells) = file_name(key, Some("json"));
            assert!(spells, "{key:?}");
            assert_eq!(parse(&name, Some("json")), NameOf::Key(key.to_owned()));
            assert_eq!(
                parse(&file_name(key, None).0, None),
                NameOf::Key(key.to_owned())
            );
            assert!(!name.contains(['/', '\\', '\0', ':', '*', '?', '"', '<', '>', '|', ' ']));
            assert!(!name.starts_with('.'));
        }
    }

    #[test]
    fn names_never_differ_only_in_case() {
        let keys = ["a", "A", "ab", "Ab", "aB", "AB", "%", "!a", "!A", "é", "É"];
        let mut folded: Vec<String> = keys.iter().map(|k| name(k).to_lowercase()).collect();
        folded.sort();
        folded.dedup();
        assert_eq!(folded.len(), keys.len());
    }

    #[test]
    fn long_and_empty_keys_are_named_by_their_hash() {
        for key in ["", &"k".repeat(1024), &"é".repeat(512), &"/".repeat(1024)] {
            let (name, spells) = file_name(key, Some("json"));
            assert!(!spells);
            assert!(name.len() <= MAX_NAME_LEN, "{}", name.len());
            assert_eq!(parse(&name, Some("json")), NameOf::LongKey);
            assert!(name.ends_with(&format!("~{}.json", sha256_hex(key.as_bytes()))));
        }
        let (name, _) = file_name(&"/".repeat(1024), Some("json"));
        assert!(name.starts_with("%2F%2F"));
        let fits = "k".repeat(MAX_NAME_LEN - 5);
        assert!(file_name(&fits, Some("json")).1);
        assert!(!file_name(&format!("{fits}k"), Some("json")).1);
    }

    #[test]
    fn other_names_are_not_entries() {
        for foreign in [
            "User.json",
            "a%2fb.json",
            "a%2Fb",
            "a%2.json",
            "!A.json",
            "con.json",
            ".tmp.1.2.3",
            ".claim.lock",
            "notes.txt",
            "x~short.json",
            "%FF.json",
        ] {
            assert_eq!(
                parse(foreign, Some("json")),
                NameOf::NotAnEntry,
                "{foreign}"
            );
        }
    }
}
