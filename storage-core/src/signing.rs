//! HMAC-SHA256 signed values with a salt and key rotation, as a layer over any byte store.
//!
//! A signed value is stored as:
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | magic `0x53` (`'S'`) |
//! | 1 | format version, 1 |
//! | 1 | length `n` of the key id (1-255) |
//! | n | key id (UTF-8) |
//! | 32 | HMAC-SHA256 tag |
//! | rest | the payload |
//!
//! The tag covers the entry's key and the payload, so a valid value copied under another key
//! does not verify. The HMAC key is derived from the secret and the salt, so one secret serves
//! several purposes without its signatures being interchangeable.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::entry::{Entry, Record, ScanMode, SetEntry};
use crate::error::{Error, KeyDisplay, Result};
use crate::limits::check_entry;
use crate::storage::{KvStorage, RecordIter};

type HmacSha256 = Hmac<Sha256>;

const MAGIC: u8 = 0x53;
const VERSION: u8 = 1;
const TAG_LEN: usize = 32;
const DERIVATION_LABEL: &[u8] = b"storage-core/signing/v1";

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

impl Signer {
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
        3 + self.keys[0].0.len() + TAG_LEN
    }

    /// Signs `payload` stored under `key` with the newest key.
    pub fn sign(&self, key: &str, payload: &[u8]) -> Vec<u8> {
        let (id, mac) = &self.keys[0];
        let tag = tag(mac, key, payload);
        let mut out = Vec::with_capacity(self.overhead() + payload.len());
        out.extend_from_slice(&[MAGIC, VERSION, id.len() as u8]);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&tag);
        out.extend_from_slice(payload);
        out
    }

    /// Checks the signature of `signed` (stored under `key`) in constant time and returns the
    /// payload.
    pub fn verify<'a>(&self, key: &str, signed: &'a [u8]) -> Result<&'a [u8]> {
        let unsigned = || Error::Unsigned {
            key: KeyDisplay::new(key),
        };
        let [magic, version, id_len, rest @ ..] = signed else {
            return Err(unsigned());
        };
        if *magic != MAGIC || *version != VERSION || *id_len == 0 {
            return Err(unsigned());
        }
        let id_len = usize::from(*id_len);
        if rest.len() < id_len + TAG_LEN {
            return Err(unsigned());
        }
        let (id, rest) = rest.split_at(id_len);
        let (stored_tag, payload) = rest.split_at(TAG_LEN);
        let Some((_, mac)) = self.keys.iter().find(|(known, _)| known.as_bytes() == id) else {
            return Err(Error::UnknownSigningKey {
                key: KeyDisplay::new(key),
                key_id: String::from_utf8_lossy(id).chars().take(64).collect(),
            });
        };
        let mut mac = mac.clone();
        feed(&mut mac, key, payload);
        mac.verify_slice(stored_tag)
            .map_err(|_| Error::BadSignature {
                key: KeyDisplay::new(key),
            })?;
        Ok(payload)
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of every length, so this cannot fail; fall back to an empty-keyed MAC
    // rather than panic if the crate ever changed that.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()))
}

fn feed(mac: &mut HmacSha256, key: &str, payload: &[u8]) {
    mac.update(&(key.len() as u64).to_be_bytes());
    mac.update(key.as_bytes());
    mac.update(payload);
}

fn tag(mac: &HmacSha256, key: &str, payload: &[u8]) -> [u8; TAG_LEN] {
    let mut mac = mac.clone();
    feed(&mut mac, key, payload);
    mac.finalize().into_bytes().into()
}

/// What a [`Signed`] store does with an entry that fails verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnInvalid {
    /// Return the typed error ([`Error::BadSignature`], [`Error::Unsigned`],
    /// [`Error::UnknownSigningKey`]) and leave the entry alone. The default.
    #[default]
    Error,
    /// Delete the entry and behave as if it were missing.
    DeleteAsMiss,
}

/// A byte store whose values are signed on write and verified on read; itself a [`KvStorage`],
/// so it composes: `Typed` over `Signed` over any backend.
///
/// Keys-only reads (`keys`, `len`, `contains`' fast paths of some backends) do not read values,
/// so they cannot verify them; `get`, `contains`, `pop`, `get_many`, `values` and `items` do.
#[derive(Debug, Clone)]
pub struct Signed<S> {
    inner: S,
    signer: Signer,
    on_invalid: OnInvalid,
}

impl<S: KvStorage> Signed<S> {
    /// Signs values written to `inner` with `signer`; invalid entries are errors.
    pub fn new(inner: S, signer: Signer) -> Self {
        Signed {
            inner,
            signer,
            on_invalid: OnInvalid::Error,
        }
    }

    /// Chooses what happens to entries that fail verification.
    pub fn on_invalid(mut self, policy: OnInvalid) -> Self {
        self.on_invalid = policy;
        self
    }

    /// The store underneath.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Verifies `value`: `Ok(Some(payload))`, `Ok(None)` if the policy turned it into a miss
    /// (and deleted it), or the error.
    fn checked(&self, key: &str, value: Vec<u8>, already_deleted: bool) -> Result<Option<Vec<u8>>> {
        match self.signer.verify(key, &value) {
            Ok(payload) => Ok(Some(payload.to_vec())),
            Err(error) => match self.on_invalid {
                OnInvalid::Error => Err(error),
                OnInvalid::DeleteAsMiss => {
                    if !already_deleted {
                        self.inner.delete(key)?;
                    }
                    Ok(None)
                }
            },
        }
    }

    /// The signed bytes stored under `key` if they verify to `expected`: what the conditional
    /// operations compare underneath (the same payload may be stored under another key id).
    /// A conditional write retries when those bytes change before it lands, so it fails only
    /// when the payload itself differs.
    fn stored_as(&self, key: &str, expected: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(entry) = self.inner.get_entry(key)? else {
            return Ok(None);
        };
        let payload = self.checked(key, entry.value.clone(), false)?;
        Ok((payload.as_deref() == Some(expected)).then_some(entry.value))
    }

    fn check(&self, key: &str, value: &[u8]) -> Result<()> {
        check_entry(self.backend_name(), key, value, self.max_value_len())
    }
}

impl<S: KvStorage> KvStorage for Signed<S> {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    fn max_value_len(&self) -> usize {
        self.inner
            .max_value_len()
            .saturating_sub(self.signer.overhead())
    }

    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        let Some(entry) = self.inner.get_entry(key)? else {
            return Ok(None);
        };
        Ok(self.checked(key, entry.value, false)?.map(|value| Entry {
            value,
            expires_at: entry.expires_at,
        }))
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.check(key, value)?;
        self.inner.set(key, &self.signer.sign(key, value), ttl)
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.check(key, value)?;
        self.inner
            .set_if_absent(key, &self.signer.sign(key, value), ttl)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        self.check(key, value)?;
        let signed = self.signer.sign(key, value);
        let Some(expected) = expected else {
            return self.inner.compare_and_set(key, None, &signed, ttl);
        };
        loop {
            let Some(stored) = self.stored_as(key, expected)? else {
                return Ok(false);
            };
            if self
                .inner
                .compare_and_set(key, Some(&stored), &signed, ttl)?
            {
                return Ok(true);
            }
        }
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        loop {
            let Some(stored) = self.stored_as(key, expected)? else {
                return Ok(false);
            };
            if self.inner.compare_and_delete(key, &stored)? {
                return Ok(true);
            }
        }
    }

    fn delete(&self, key: &str) -> Result<bool> {
        self.inner.delete(key)
    }

    fn scan(&self, mode: ScanMode) -> Result<RecordIter<'_>> {
        let records = self.inner.scan(mode)?;
        if !mode.values() {
            return Ok(records);
        }
        Ok(Box::new(records.filter_map(move |record| {
            let record = match record {
                Ok(record) => record,
                Err(error) => return Some(Err(error)),
            };
            let value = record.value.unwrap_or_default();
            match self.checked(&record.key, value, false) {
                Ok(Some(payload)) => Some(Ok(Record {
                    value: Some(payload),
                    ..record
                })),
                Ok(None) => None,
                Err(error) => Some(Err(error)),
            }
        })))
    }

    fn clear(&self) -> Result<()> {
        self.inner.clear()
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if self.on_invalid == OnInvalid::Error && self.get_entry(key)?.is_none() {
            // Verified first, so an invalid entry is reported and kept, never popped and lost.
            return Ok(None);
        }
        match self.inner.pop(key)? {
            Some(value) => self.checked(key, value, true),
            None => Ok(None),
        }
    }

    fn len(&self) -> Result<usize> {
        self.inner.len()
    }

    fn is_empty(&self) -> Result<bool> {
        self.inner.is_empty()
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let values = self.inner.get_many(keys)?;
        keys.iter()
            .zip(values)
            .map(|(key, value)| match value {
                Some(value) => self.checked(key, value, false),
                None => Ok(None),
            })
            .collect()
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.check_entries(entries)?;
        let signed: Vec<Vec<u8>> = entries
            .iter()
            .map(|entry| self.signer.sign(entry.key, entry.value))
            .collect();
        let entries: Vec<SetEntry<'_>> = entries
            .iter()
            .zip(&signed)
            .map(|(entry, value)| SetEntry::new(entry.key, value, entry.ttl))
            .collect();
        self.inner.set_entries(&entries)
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        self.inner.delete_many(keys)
    }

    fn purge_expired(&self) -> Result<usize> {
        self.inner.purge_expired()
    }
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
        for foreign in [&b""[..], b"S", b"S\x01\x02k1", b"plain value"] {
            assert!(matches!(
                signer.verify("key", foreign),
                Err(Error::Unsigned { .. })
            ));
        }
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

    /// Frozen format: a value signed by this version stays verifiable by every later one.
    #[test]
    fn frozen_format_golden() {
        let signer = signer(&[("k1", "secret")]);
        let signed = signer.sign("key", b"v");
        assert_eq!(&signed[..5], &[MAGIC, VERSION, 2, b'k', b'1']);
        // Computed independently: HMAC(HMAC(secret, label || salt), u64be(len key) || key || value).
        let golden_tag = "5ea54445deeefc970d4c4452a8a8cdf7bf185c1c676c2e897a15dfed30b42f6c";
        let actual: String = signed[5..37].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(actual, golden_tag);
        assert_eq!(&signed[37..], b"v");
        assert_eq!(signer.verify("key", &signed).ok(), Some(&b"v"[..]));
    }
}
