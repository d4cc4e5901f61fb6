//! [`SigningKey`] and [`Signer`]: the signature format (see the module docs) and its checks.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, KeyDisplay, Result};
use crate::time::Timestamp;

type HmacSha256 = Hmac<Sha256>;

const MAGIC: u8 = 0x53;
/// The version written: binds a context and the expiry.
const VERSION: u8 = 2;
/// The first version: binds the key and the payload only. Still verified.
const VERSION_1: u8 = 1;
const TAG_LEN: usize = 32;
const EXPIRY_LEN: usize = 8;
/// The expiry field of a value that never expires.
const NO_EXPIRY: i64 = i64::MIN;
/// Frozen: the crate was named storage-core when this format was made.
const DERIVATION_LABEL: &[u8] = b"storage-core/signing/v1";
/// Starts every version 2 tag input. Version 1 inputs start with the key's length as a
/// big-endian u64 of at most 1024, whose first byte is 0: no version 1 tag can pass for a
/// version 2 one, nor the reverse.
const V2_DOMAIN: &[u8] = b"\xffsigned-v2";

/// A secret and the id under which values signed with it are recognised.
#[derive(Clone)]
pub struct SigningKey {
    id: String,
    secret: Vec<u8>,
}

impl SigningKey {
    /// A key with `id` (1-255 bytes) and a non-empty `secret`.
    pub fn new(id: impl Into<String>, secret: impl Into<Vec<u8>>) -> Result<Self> {
        let (id, secret) = (id.into(), secret.into());
        if id.is_empty() || id.len() > 255 {
            return Err(Error::Config(
                "a signing key id must be 1 to 255 bytes".into(),
            ));
        }
        if secret.is_empty() {
            return Err(Error::Config("a signing secret must not be empty".into()));
        }
        Ok(SigningKey { id, secret })
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A value whose signature checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified<'a> {
    /// The payload.
    pub payload: &'a [u8],
    /// The expiry the value was signed with (`None`: never expires, or a version 1 value,
    /// which carries none).
    pub expires_at: Option<Timestamp>,
}

/// Signs with the newest key and verifies with any configured one.
#[derive(Clone)]
pub struct Signer {
    /// `(key id, HMAC keyed with the derived key)`, newest first.
    keys: Vec<(String, HmacSha256)>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Signer").field("key_ids", &ids).finish()
    }
}

/// The parts of a stored signed value.
struct Parts<'a> {
    version: u8,
    id: &'a [u8],
    tag: &'a [u8],
    expiry: Option<i64>,
    payload: &'a [u8],
}

fn parse(signed: &[u8]) -> Option<Parts<'_>> {
    let [magic, version, id_len, rest @ ..] = signed else {
        return None;
    };
    if *magic != MAGIC || !matches!(*version, VERSION | VERSION_1) || *id_len == 0 {
        return None;
    }
    let id_len = usize::from(*id_len);
    let expiry_len = if *version == VERSION { EXPIRY_LEN } else { 0 };
    if rest.len() < id_len + TAG_LEN + expiry_len {
        return None;
    }
    let (id, rest) = rest.split_at(id_len);
    let (tag, rest) = rest.split_at(TAG_LEN);
    let (expiry, payload) = rest.split_at(expiry_len);
    let expiry = <[u8; EXPIRY_LEN]>::try_from(expiry)
        .ok()
        .map(i64::from_be_bytes);
    Some(Parts {
        version: *version,
        id,
        tag,
        expiry,
        payload,
    })
}

impl Signer {
    /// Whether `value` has the layout of a signed value (magic byte, version, key id, tag,
    /// expiry), whatever key signed it; no signature is checked. Tools use it to spot signed
    /// entries, e.g. before copying them where their binding no longer holds.
    pub fn looks_signed(value: &[u8]) -> bool {
        parse(value).is_some()
    }

    /// A signer for `salt` with `keys`, newest first: the first signs, all verify.
    pub fn new(salt: impl AsRef<[u8]>, keys: impl IntoIterator<Item = SigningKey>) -> Result<Self> {
        let mut derived: Vec<(String, HmacSha256)> = Vec::new();
        for key in keys {
            if derived.iter().any(|(id, _)| *id == key.id) {
                return Err(Error::Config(format!(
                    "duplicate signing key id {:?}",
                    key.id
                )));
            }
            let mut derive = new_mac(&key.secret);
            derive.update(DERIVATION_LABEL);
            derive.update(salt.as_ref());
            let derived_key = derive.finalize().into_bytes();
            derived.push((key.id, new_mac(&derived_key)));
        }
        if derived.is_empty() {
            return Err(Error::Config("a signer needs at least one key".into()));
        }
        Ok(Signer { keys: derived })
    }

    /// A signer with one key, id `"default"`.
    pub fn single(salt: impl AsRef<[u8]>, secret: impl Into<Vec<u8>>) -> Result<Self> {
        Self::new(salt, [SigningKey::new("default", secret)?])
    }

    /// Bytes added to each value by [`sign`](Self::sign).
    pub fn overhead(&self) -> usize {
        3 + self.keys[0].0.len() + TAG_LEN + EXPIRY_LEN
    }

    /// Signs `payload` stored under `key`, with no context and no expiry.
    pub fn sign(&self, key: &str, payload: &[u8]) -> Vec<u8> {
        self.sign_bound(b"", key, None, payload)
    }

    /// Signs `payload` stored under `key` in `context` (e.g. the namespace), expiring at
    /// `expires_at`, with the newest key.
    pub fn sign_bound(
        &self,
        context: &[u8],
        key: &str,
        expires_at: Option<Timestamp>,
        payload: &[u8],
    ) -> Vec<u8> {
        let (id, mac) = &self.keys[0];
        let expiry = expires_at.map_or(NO_EXPIRY, Timestamp::as_millis);
        let mut mac = mac.clone();
        feed_v2(&mut mac, context, key, expiry, payload);
        let tag: [u8; TAG_LEN] = mac.finalize().into_bytes().into();
        let mut out = Vec::with_capacity(self.overhead() + payload.len());
        // A key id is 1 to 255 bytes (checked by `SigningKey::new`).
        out.extend_from_slice(&[MAGIC, VERSION, u8::try_from(id.len()).unwrap_or(u8::MAX)]);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&tag);
        out.extend_from_slice(&expiry.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// Checks the signature of `signed` (stored under `key`, with no context) in constant time
    /// and returns the payload. The expiry it was signed with is not checked: see
    /// [`verify_bound`](Self::verify_bound).
    pub fn verify<'a>(&self, key: &str, signed: &'a [u8]) -> Result<&'a [u8]> {
        Ok(self.verify_bound(b"", key, signed)?.payload)
    }

    /// Checks the signature of `signed`, stored under `key` in `context`, in constant time.
    /// Version 1 values bind no context and carry no expiry.
    pub fn verify_bound<'a>(
        &self,
        context: &[u8],
        key: &str,
        signed: &'a [u8],
    ) -> Result<Verified<'a>> {
        let Some(parts) = parse(signed) else {
            return Err(Error::Unsigned {
                key: KeyDisplay::new(key),
            });
        };
        let Some((_, mac)) = self
            .keys
            .iter()
            .find(|(known, _)| known.as_bytes() == parts.id)
        else {
            return Err(Error::UnknownSigningKey {
                key: KeyDisplay::new(key),
                key_id: String::from_utf8_lossy(parts.id).chars().take(64).collect(),
            });
        };
        let mut mac = mac.clone();
        match parts.expiry {
            Some(expiry) if parts.version == VERSION => {
                feed_v2(&mut mac, context, key, expiry, parts.payload)
            }
            _ => feed_v1(&mut mac, key, parts.payload),
        }
        mac.verify_slice(parts.tag)
            .map_err(|_| Error::BadSignature {
                key: KeyDisplay::new(key),
            })?;
        Ok(Verified {
            payload: parts.payload,
            expires_at: parts
                .expiry
                .filter(|expiry| *expiry != NO_EXPIRY)
                .map(Timestamp::from_millis),
        })
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of every length, so this cannot fail; fall back to an empty-keyed MAC
    // rather than panic if the crate ever changed that.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()))
}

fn feed_bytes(mac: &mut HmacSha256, bytes: &[u8]) {
    mac.update(&(bytes.len() as u64).to_be_bytes());
    mac.update(bytes);
}

fn feed_v1(mac: &mut HmacSha256, key: &str, payload: &[u8]) {
    feed_bytes(mac, key.as_bytes());
    mac.update(payload);
}

fn feed_v2(mac: &mut HmacSha256, context: &[u8], key: &str, expiry: i64, payload: &[u8]) {
    mac.update(V2_DOMAIN);
    feed_bytes(mac, context);
    feed_bytes(mac, key.as_bytes());
    mac.update(&expiry.to_be_bytes());
    mac.update(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(keys: &[(&str, &str)]) -> Signer {
        let keys = keys
            .iter()
            .filter_map(|(id, secret)| SigningKey::new(*id, *secret).ok());
        Signer::new("salt", keys).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
            .collect()
    }

    #[test]
    fn rotation_signs_with_newest_and_verifies_with_any() {
        let old = signer(&[("k1", "old secret")]);
        let rotated = signer(&[("k2", "new secret"), ("k1", "old secret")]);
        let signed_by_old = old.sign("key", b"payload");
        assert_eq!(
            rotated.verify("key", &signed_by_old).ok(),
            Some(&b"payload"[..])
        );
        let signed_by_new = rotated.sign("key", b"payload");
        assert!(matches!(
            old.verify("key", &signed_by_new),
            Err(Error::UnknownSigningKey { .. })
        ));
    }

    #[test]
    fn tampering_and_foreign_data_are_refused() {
        let signer = signer(&[("k1", "secret")]);
        let mut signed = signer.sign("key", b"payload");
        assert!(matches!(
            signer.verify("other key", &signed),
            Err(Error::BadSignature { .. })
        ));
        let last = signed.len() - 1;
        signed[last] ^= 1;
        assert!(matches!(
            signer.verify("key", &signed),
            Err(Error::BadSignature { .. })
        ));
        for foreign in [
            &b""[..],
            b"S",
            b"S\x02\x02k1",
            b"S\x07\x02k1",
            b"plain value",
        ] {
            assert!(matches!(
                signer.verify("key", foreign),
                Err(Error::Unsigned { .. })
            ));
        }
    }

    #[test]
    fn context_and_expiry_are_bound() {
        let signer = signer(&[("k1", "secret")]);
        let at = Some(Timestamp::from_millis(1_000_000));
        let signed = signer.sign_bound(b"ns a", "key", at, b"v");
        let verified = signer.verify_bound(b"ns a", "key", &signed);
        assert_eq!(verified.ok().and_then(|v| v.expires_at), at);
        assert!(matches!(
            signer.verify_bound(b"ns b", "key", &signed),
            Err(Error::BadSignature { .. })
        ));
        // Pushing the expiry back (or removing it) breaks the signature.
        let mut edited = signed.clone();
        let expiry_at = 3 + 2 + TAG_LEN;
        edited[expiry_at..expiry_at + EXPIRY_LEN].copy_from_slice(&NO_EXPIRY.to_be_bytes());
        assert!(matches!(
            signer.verify_bound(b"ns a", "key", &edited),
            Err(Error::BadSignature { .. })
        ));
    }

    #[test]
    fn salt_separates_signatures() {
        let a = Signer::single("salt a", "secret").unwrap_or_else(|e| panic!("{e}"));
        let b = Signer::single("salt b", "secret").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            b.verify("k", &a.sign("k", b"v")),
            Err(Error::BadSignature { .. })
        ));
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let key = SigningKey::new("id", "hunter2").unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{key:?}").contains("hunter2"));
    }

    /// Frozen format, version 2. Tags computed independently (Python's hmac):
    /// HMAC(HMAC(secret, label || salt), 0xff "signed-v2" || u64be(len context) || context ||
    /// u64be(len key) || key || i64be(expiry) || value).
    #[test]
    fn frozen_format_golden() {
        let signer = signer(&[("k1", "secret")]);
        let at = Some(Timestamp::from_millis(0x1234));
        let signed = signer.sign_bound(b"ns", "key", at, b"v");
        assert_eq!(&signed[..5], &[MAGIC, 2, 2, b'k', b'1']);
        assert_eq!(
            hex(&signed[5..37]),
            "4a4f754ac6b2fbaade374e3d3736b6a8e61a202f8f99b8890dfac353fb7895eb"
        );
        assert_eq!(&signed[37..45], &0x1234i64.to_be_bytes());
        assert_eq!(&signed[45..], b"v");
        let unbound = signer.sign("key", b"v");
        assert_eq!(
            hex(&unbound[5..37]),
            "75d0f03f87e38b5f6b5191193c04c4e7a8b4c46b8f3b0b24786048823a4b24e4"
        );
        assert_eq!(&unbound[37..45], &NO_EXPIRY.to_be_bytes());
    }

    /// Version 1 values, written before version 2, still verify (with no expiry).
    #[test]
    fn version_1_values_still_verify() {
        let signer = signer(&[("k1", "secret")]);
        let mut v1 = vec![MAGIC, VERSION_1, 2, b'k', b'1'];
        v1.extend(unhex(
            "5ea54445deeefc970d4c4452a8a8cdf7bf185c1c676c2e897a15dfed30b42f6c",
        ));
        v1.extend_from_slice(b"v");
        let verified = signer.verify_bound(b"any context", "key", &v1);
        assert_eq!(
            verified.ok(),
            Some(Verified {
                payload: b"v",
                expires_at: None
            })
        );
        assert!(signer.verify("other key", &v1).is_err());
    }
}
