//! [`Signed`]: the signing layer over any [`KvStorage`].

use std::time::Duration;

use super::signer::Signer;
use crate::entry::{Entry, Record, Scan, SetEntry};
use crate::error::Result;
use crate::limits::check_entry;
use crate::storage::RecordIter;
use crate::time::{expiry_from_ttl, Timestamp};
use crate::traits::{KvStorage, Store, StoreInfo};

/// What a [`Signed`] store does with an entry that fails verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnInvalid {
    /// Return the typed error ([`Error::BadSignature`](crate::Error::BadSignature), [`Error::Unsigned`](crate::Error::Unsigned),
    /// [`Error::UnknownSigningKey`](crate::Error::UnknownSigningKey)) and leave the entry alone. The default.
    #[default]
    Error,
    /// Delete the entry and behave as if it were missing.
    DeleteAsMiss,
}

/// A byte store whose values are signed on write and verified on read; itself a [`KvStorage`],
/// so it composes: `Typed` over `Signed` over any backend.
///
/// Every value is signed with its key, its expiry and a context: the namespace of the store
/// underneath ([`Store::namespace_name`]), or what [`bind_to`](Signed::bind_to) sets. A value
/// copied into another namespace fails verification, and a value whose stored expiry was pushed
/// back or removed is still gone at the expiry it was signed with.
///
/// Keys-only reads (`keys`, `len`, `contains`' fast paths of some backends) do not read values,
/// so they cannot verify them (nor see an expiry that only the signature holds); `get`,
/// `contains`, `pop`, `get_many`, `values` and `items` do.
#[derive(Debug, Clone)]
pub struct Signed<S> {
    inner: S,
    signer: Signer,
    on_invalid: OnInvalid,
    context: Vec<u8>,
}

/// What verifying one stored value found.
pub(super) enum Verdict {
    /// The signature holds and the signed expiry has not passed: the payload and that expiry.
    Valid(Vec<u8>, Option<Timestamp>),
    /// The signature holds but the signed expiry has passed: a miss.
    Expired,
    /// The value fails verification: what [`OnInvalid`] decides about.
    Invalid(crate::Error),
}

/// A read settled by [`Signed::settle`].
pub(super) enum Settled {
    /// The payload and its signed expiry, or a miss.
    Read(Option<(Vec<u8>, Option<Timestamp>)>),
    /// An invalid entry the policy deletes and reads as a miss.
    DeleteAsMiss,
}

impl<S: KvStorage> Signed<S> {
    /// Signs values written to `inner` with `signer`, bound to `inner`'s namespace; invalid
    /// entries are errors.
    pub fn new(inner: S, signer: Signer) -> Self {
        let namespace = inner.namespace_name().map(str::to_owned);
        Self::bound(inner, signer, namespace)
    }
}

impl<S> Signed<S> {
    /// A signing layer over `inner` bound to `namespace` (none: an empty context).
    pub(super) fn bound(inner: S, signer: Signer, namespace: Option<String>) -> Self {
        Signed {
            inner,
            signer,
            on_invalid: OnInvalid::Error,
            context: namespace.map(String::into_bytes).unwrap_or_default(),
        }
    }

    /// Binds signatures to `context` instead of the namespace (e.g. when the store underneath
    /// has no namespace of its own, or values move between namespaces on purpose).
    pub fn bind_to(mut self, context: impl Into<Vec<u8>>) -> Self {
        self.context = context.into();
        self
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

    /// Signs `value` for `key`, expiring after `ttl` from now.
    pub(super) fn sign(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<Vec<u8>> {
        let expires_at = expiry_from_ttl(ttl, Timestamp::now())?;
        Ok(self
            .signer
            .sign_bound(&self.context, key, expires_at, value))
    }

    /// Verifies the stored `value` of `key`; with `stale`, a value whose signed expiry has
    /// passed is valid too.
    pub(super) fn verdict(&self, key: &str, value: &[u8], stale: bool) -> Verdict {
        match self.signer.verify_bound(&self.context, key, value) {
            Ok(verified) if !stale && verified.expires_at.is_some_and(|at| at.is_expired()) => {
                Verdict::Expired
            }
            Ok(verified) => Verdict::Valid(verified.payload.to_vec(), verified.expires_at),
            Err(error) => Verdict::Invalid(error),
        }
    }

    /// Whether an invalid entry is deleted and read as a miss (else it is an error).
    pub(super) fn deletes_invalid(&self) -> bool {
        self.on_invalid == OnInvalid::DeleteAsMiss
    }

    /// What a read of the stored `value` of `key` comes to under the policy: the payload and
    /// signed expiry (or a miss; with `stale`, expired ones are read too), the error, or an
    /// invalid entry to delete as a miss.
    pub(super) fn settle(&self, key: &str, value: &[u8], stale: bool) -> Result<Settled> {
        match self.verdict(key, value, stale) {
            Verdict::Valid(payload, expiry) => Ok(Settled::Read(Some((payload, expiry)))),
            Verdict::Expired => Ok(Settled::Read(None)),
            Verdict::Invalid(error) if !self.deletes_invalid() => Err(error),
            Verdict::Invalid(_) => Ok(Settled::DeleteAsMiss),
        }
    }

    /// The largest payload: the store's limit less the signature's overhead.
    pub(super) fn payload_limit(&self, store_limit: usize) -> usize {
        store_limit.saturating_sub(self.signer.overhead())
    }

    /// Signs every entry of a bulk write.
    pub(super) fn sign_entries(&self, entries: &[SetEntry<'_>]) -> Result<Vec<Vec<u8>>> {
        entries
            .iter()
            .map(|entry| self.sign(entry.key, entry.value, entry.ttl))
            .collect()
    }
}

impl<S: KvStorage> Signed<S> {
    /// Verifies `value`: `Ok(Some((payload, signed expiry)))`, `Ok(None)` if its signed expiry
    /// has passed or the policy turned it into a miss (and deleted it), or the error.
    fn checked(
        &self,
        key: &str,
        value: Vec<u8>,
        already_deleted: bool,
    ) -> Result<Option<(Vec<u8>, Option<Timestamp>)>> {
        match self.settle(key, &value, false)? {
            Settled::Read(read) => Ok(read),
            Settled::DeleteAsMiss => {
                if !already_deleted {
                    self.inner.delete(key)?;
                }
                Ok(None)
            }
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
        let checked = self.checked(key, entry.value.clone(), false)?;
        let matches = checked.is_some_and(|(payload, _)| payload == expected);
        Ok(matches.then_some(entry.value))
    }

    fn check(&self, key: &str, value: &[u8]) -> Result<()> {
        check_entry(self.backend_name(), key, value, self.max_value_len())
    }
}

/// The store underneath's info, with the largest payload that still fits its value limit once
/// signed.
impl<S: Store> Store for Signed<S> {
    fn info(&self) -> StoreInfo<'_> {
        let info = self.inner.info();
        info.max_value_len(self.payload_limit(info.max_value_len))
    }
}

impl<S: KvStorage> KvStorage for Signed<S> {
    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        let Some(entry) = self.inner.get_entry(key)? else {
            return Ok(None);
        };
        Ok(self
            .checked(key, entry.value, false)?
            .map(|(value, signed_expiry)| Entry {
                value,
                expires_at: earliest(signed_expiry, entry.expires_at),
            }))
    }

    fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        let Some(entry) = self.inner.get_stale(key)? else {
            return Ok(None);
        };
        match self.settle(key, &entry.value, true)? {
            Settled::Read(read) => Ok(read.map(|(value, signed_expiry)| Entry {
                value,
                expires_at: earliest(signed_expiry, entry.expires_at),
            })),
            Settled::DeleteAsMiss => self.inner.delete(key).map(|_| None),
        }
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.check(key, value)?;
        self.inner.set(key, &self.sign(key, value, ttl)?, ttl)
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.check(key, value)?;
        self.inner
            .set_if_absent(key, &self.sign(key, value, ttl)?, ttl)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        self.check(key, value)?;
        let signed = self.sign(key, value, ttl)?;
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

    fn scan(&self, scan: Scan<'_>) -> Result<RecordIter<'_>> {
        let records = self.inner.scan(scan)?;
        if !scan.values() {
            return Ok(records);
        }
        Ok(Box::new(records.filter_map(move |record| {
            let record = match record {
                Ok(record) => record,
                Err(error) => return Some(Err(error)),
            };
            let value = record.value.unwrap_or_default();
            match self.checked(&record.key, value, false) {
                Ok(Some((payload, signed_expiry))) => Some(Ok(Record {
                    value: Some(payload),
                    expires_at: earliest(signed_expiry, record.expires_at),
                    key: record.key,
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
            Some(value) => Ok(self.checked(key, value, true)?.map(|(payload, _)| payload)),
            None => Ok(None),
        }
    }

    /// The store's own `get`, verified: the signature carries the signed expiry, the store
    /// its own.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.inner.get(key)? {
            Some(value) => Ok(self.checked(key, value, false)?.map(|(payload, _)| payload)),
            None => Ok(None),
        }
    }

    /// Verifies the value, as `get` does.
    fn contains(&self, key: &str) -> Result<bool> {
        Ok(KvStorage::get(self, key)?.is_some())
    }

    /// The store's own `keys`: a keys-only listing reads no value to verify.
    fn keys(&self) -> Result<crate::storage::BoxIter<'_, String>> {
        self.inner.keys()
    }

    fn len(&self) -> Result<usize> {
        self.inner.len()
    }

    fn len_including_expired(&self) -> Result<usize> {
        self.inner.len_including_expired()
    }

    fn size(&self) -> Result<Option<u64>> {
        self.inner.size()
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let values = self.inner.get_many(keys)?;
        keys.iter()
            .zip(values)
            .map(|(key, value)| match value {
                Some(value) => Ok(self.checked(key, value, false)?.map(|(payload, _)| payload)),
                None => Ok(None),
            })
            .collect()
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.check_entries(entries)?;
        let signed = self.sign_entries(entries)?;
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

/// The earlier of two expiries (`None`: never).
pub(super) fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Expiry, MemoryStorage, SigningKey};

    /// The signature binds the expiry, so `touch` through `Signed` re-signs (the default
    /// `touch`, a compare-and-set of the verified value); a touch of the store underneath cannot
    /// lift the signed expiry.
    #[test]
    fn touch_through_signed_re_signs_the_new_expiry() -> Result<()> {
        let signer = Signer::new("salt", [SigningKey::new("k1", "secret")?])?;
        let store = Signed::new(MemoryStorage::new(), signer);
        store.set("k", b"v", Some(Duration::from_secs(60)))?;
        assert!(store.touch("k", None)?);
        assert_eq!(store.expiry("k")?, Some(Expiry::Never));
        assert_eq!(store.get("k")?, Some(b"v".to_vec()));
        assert!(store.touch("k", Some(Duration::from_secs(3600)))?);
        assert_eq!(store.get("k")?, Some(b"v".to_vec()));
        assert!(!store.touch("missing", None)?);
        // The store underneath told to keep the entry for ever: the signed expiry still rules.
        assert!(store.inner().touch("k", None)?);
        match store.expiry("k")?.and_then(Expiry::ttl) {
            Some(left) => assert!(left <= Duration::from_secs(3600), "{left:?}"),
            None => panic!("a persist under the signature lifted the signed expiry"),
        }
        Ok(())
    }

    /// A counter through `Signed` is a signed value: the store underneath holds the signed
    /// form, not bare digits, and a counter written around the signature is refused.
    #[test]
    fn counters_through_signed_are_signed() -> Result<()> {
        let signer = Signer::new("salt", [SigningKey::new("k1", "secret")?])?;
        let store = Signed::new(MemoryStorage::new(), signer);
        assert_eq!(store.increment("n", 2, None)?, 2);
        assert_eq!(store.increment("n", 1, None)?, 3);
        assert_eq!(store.get("n")?, Some(b"3".to_vec()));
        assert_ne!(store.inner().get("n")?, Some(b"3".to_vec()));
        store.inner().set("forged", b"41", None)?;
        assert!(store.increment("forged", 1, None).is_err());
        Ok(())
    }

    /// A stale read through `Signed` verifies the value and reports the signed expiry even when
    /// the store underneath says the entry never expires; tampered bytes are an error.
    #[test]
    fn stale_reads_through_signed_verify_and_keep_the_signed_expiry() -> Result<()> {
        let signer = Signer::new("salt", [SigningKey::new("k1", "secret")?])?;
        let store = Signed::new(MemoryStorage::new(), signer);
        store.set("k", b"v", Some(Duration::from_millis(1)))?;
        // Underneath, the entry is made permanent: only the signature still holds its expiry.
        let signed_bytes = store.inner().get_stale("k")?.map(|entry| entry.value);
        let signed_bytes = signed_bytes.unwrap_or_default();
        store.inner().set("k", &signed_bytes, None)?;
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(store.get("k")?, None, "expired by its signature");
        let stale = store.get_stale("k")?;
        assert_eq!(
            stale.as_ref().map(|entry| entry.value.as_slice()),
            Some(&b"v"[..])
        );
        assert!(
            stale
                .and_then(|entry| entry.expires_at)
                .is_some_and(|at| at.is_expired()),
            "the signed, past expiry"
        );
        let mut tampered = signed_bytes;
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        store.inner().set("k", &tampered, None)?;
        assert!(
            store.get_stale("k").is_err(),
            "tampered bytes are not read, stale or not"
        );
        Ok(())
    }
}
