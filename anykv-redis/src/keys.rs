//! Key layout on the server: namespace prefixes, SCAN patterns, cluster hash slots.

use anykv_core::Namespace;

/// The Redis key of an entry of [`RedisStorage`](crate::RedisStorage): `kv:<namespace>:<key>`;
/// of a [`RedisHashStorage`](crate::RedisHashStorage) hash: `kvh:<namespace>`.
#[derive(Debug, Clone)]
pub(crate) struct KeyLayout {
    prefix: Vec<u8>,
    pattern: Vec<u8>,
}

impl KeyLayout {
    pub(crate) fn new(tag: &str, namespace: &Namespace) -> Self {
        let prefix = format!("{tag}:{}:", namespace.as_str()).into_bytes();
        let mut pattern = escape_glob(&prefix);
        pattern.push(b'*');
        KeyLayout { prefix, pattern }
    }

    /// The server key of `key`.
    pub(crate) fn server_key(&self, key: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.prefix.len() + key.len());
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(key.as_bytes());
        out
    }

    /// The entry key of a server key found by SCAN, if it belongs to this layout.
    pub(crate) fn entry_key(&self, server_key: &[u8]) -> Option<String> {
        let key = server_key.strip_prefix(self.prefix.as_slice())?;
        String::from_utf8(key.to_vec()).ok()
    }

    /// Whether a server key found by SCAN belongs to this layout (its entry key may still not
    /// be UTF-8).
    pub(crate) fn owns(&self, server_key: &[u8]) -> bool {
        server_key.starts_with(&self.prefix)
    }

    /// [`entry_key`](Self::entry_key) of an owned server key, reusing its buffer.
    pub(crate) fn entry_key_of_owned(&self, mut server_key: Vec<u8>) -> Option<String> {
        if !self.owns(&server_key) {
            return None;
        }
        server_key.drain(..self.prefix.len());
        String::from_utf8(server_key).ok()
    }

    /// The `SCAN MATCH` pattern that matches this namespace's keys starting with `prefix`
    /// (every key with `""`) and no other's.
    pub(crate) fn pattern(&self, prefix: &str) -> std::borrow::Cow<'_, [u8]> {
        if prefix.is_empty() {
            return std::borrow::Cow::Borrowed(&self.pattern);
        }
        let mut pattern = escape_glob(&self.server_key(prefix));
        pattern.push(b'*');
        std::borrow::Cow::Owned(pattern)
    }

    /// The prefix itself, as a whole key (the hash of a hash store).
    pub(crate) fn prefix_key(&self) -> Vec<u8> {
        self.prefix[..self.prefix.len() - 1].to_vec()
    }
}

/// Escapes the glob characters `* ? [ ] \` so a `SCAN MATCH` pattern matches them literally.
pub fn escape_glob(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 4);
    for &b in text {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// The cluster hash slot of a server key (CRC16/XMODEM mod 16384, honouring `{hash tags}`).
pub(crate) fn slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) % 16384
}

fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis() {
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"{user1000}.following"), slot(b"{user1000}.followers"));
        assert_eq!(slot(b"foo{}{bar}"), slot(b"foo{}{bar}"));
        assert_eq!(slot(b"{}foo"), crc16(b"{}foo") % 16384);
    }

    #[test]
    fn patterns_never_match_other_namespaces() -> anykv_core::Result<()> {
        let layout = KeyLayout::new("kv", &Namespace::new("ns")?);
        assert_eq!(&*layout.pattern(""), b"kv:ns:*");
        assert_eq!(&*layout.pattern("a*[?]\\"), b"kv:ns:a\\*\\[\\?\\]\\\\*");
        assert_eq!(
            layout.entry_key(&layout.server_key("a*b")),
            Some("a*b".to_owned())
        );
        assert_eq!(layout.entry_key(b"kv:ns2:x"), None);
        assert_eq!(escape_glob(b"a*?[]\\"), b"a\\*\\?\\[\\]\\\\");
        Ok(())
    }
}
