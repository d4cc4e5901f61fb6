//! The blocking face's types ([`BoxIter`], [`Expiry`]), the rule of scans
//! ([`is_entry`]), its pointer impls, and the copy behind
//! [`KvStorageExt::update`](crate::KvStorageExt::update).

use std::time::Duration;

use crate::entry::{Record, Scan, SetEntry};
use crate::error::Result;
use crate::time::{remaining_ttl, Timestamp};
use crate::traits::KvStorage;

/// A stream of scanned records, borrowed from the store.
pub type RecordIter<'a> = Box<dyn Iterator<Item = Result<Record>> + Send + 'a>;

/// A boxed iterator over a store's keys, values or items.
pub type BoxIter<'a, T> = Box<dyn Iterator<Item = Result<T>> + Send + 'a>;

/// How many entries [`KvStorageExt::update`](crate::KvStorageExt::update) copies per bulk write.
pub const UPDATE_BATCH: usize = 256;

/// Read-and-compare-and-set rounds the default [`KvStorage::touch`](crate::KvStorage::touch) tries before it reports a
/// conflict (each lost round means another writer changed the entry).
pub const TOUCH_ATTEMPTS: usize = 64;

/// The error of a default `touch` or `increment` that lost every round to other writers.
pub(crate) fn contended(backend: &'static str, operation: &'static str) -> crate::Error {
    crate::Error::backend(
        backend,
        operation,
        crate::ErrorKind::Conflict,
        format!("the entry changed under {TOUCH_ATTEMPTS} attempts in a row"),
    )
}

/// The expiry of an entry that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// The entry never expires.
    Never,
    /// The entry expires at this instant.
    At(Timestamp),
}

impl Expiry {
    /// From an optional expiry instant.
    pub fn from_option(at: Option<Timestamp>) -> Self {
        at.map_or(Expiry::Never, Expiry::At)
    }

    /// The remaining time to live, `None` if it never expires.
    pub fn ttl(self) -> Option<Duration> {
        match self {
            Expiry::Never => None,
            Expiry::At(at) => Some(at.remaining()),
        }
    }
}

/// Whether a scanned item is an entry: a record, or the error of one entry the scan could not
/// read (which the scan reports in its place and goes past). Any other error is the store's own
/// failure, and is returned.
///
/// The rule of every scan of this crate family: a bad entry is listed once, as an error naming
/// it, and counted once; it never hides the entries after it.
pub fn is_entry(item: Result<Record>) -> Result<bool> {
    match item {
        Ok(_) => Ok(true),
        Err(error) if error.is_invalid_data() => Ok(true),
        Err(error) => Err(error),
    }
}

/// A scanned item as a record to use: `None` for a bad entry the scan reported (see
/// [`is_entry`]), to be skipped; the scan's own failure is returned.
pub fn readable_record(item: Result<Record>) -> Result<Option<Record>> {
    match item {
        Ok(record) => Ok(Some(record)),
        Err(error) if error.is_invalid_data() => Ok(None),
        Err(error) => Err(error),
    }
}

/// Implements [`KvStorage`] for the smart pointers by forwarding every method, overrides
/// included (from the list of operations).
macro_rules! forward_kv_storage {
    (
        [$pointer:ty]
        calls {$(
            $(#[$doc:meta])*
            $variant:ident $name:ident ($($arg:ident : $ty:ty as $kind:ident),*) -> $out:ty
            [$($flag:ident)*];
        )*}
        listings {$(
            $(#[$list_doc:meta])*
            $list_variant:ident $list_name:ident ($($list_arg:ident : $list_ty:ty as $list_kind:ident),*)
            -> $item:ty [$($list_flag:ident)*];
        )*}
    ) => {
        impl<T: KvStorage + ?Sized> KvStorage for $pointer {
            $(
                fn $name(&self, $($arg: $ty),*) -> Result<$out> { (**self).$name($($arg),*) }
            )*
            $(
                fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxIter<'_, $item>> {
                    (**self).$list_name($($list_arg),*)
                }
            )*
        }
    };
}

crate::kv_operations!(forward_kv_storage, &T);
crate::kv_operations!(forward_kv_storage, Box<T>);
crate::kv_operations!(forward_kv_storage, std::sync::Arc<T>);

/// [`KvStorageExt::update`](crate::KvStorageExt::update): copies the live entries of `other`
/// into `target` with their remaining TTLs, in batches through `target.set_entries`.
pub(crate) fn copy_entries<S: KvStorage + ?Sized>(
    target: &S,
    other: &dyn KvStorage,
) -> Result<usize> {
    let mut copied = 0;
    let mut batch: Vec<(String, Vec<u8>, Option<Duration>)> = Vec::with_capacity(UPDATE_BATCH);
    let mut flush = |batch: &mut Vec<(String, Vec<u8>, Option<Duration>)>| -> Result<()> {
        let entries: Vec<SetEntry<'_>> = batch
            .iter()
            .map(|(key, value, ttl)| SetEntry::new(key, value, *ttl))
            .collect();
        target.set_entries(&entries)?;
        copied += batch.len();
        batch.clear();
        Ok(())
    };
    for record in other.scan(Scan::with_values())? {
        let record = record?;
        let Some(ttl) = remaining_ttl(record.expires_at, Timestamp::now()) else {
            continue;
        };
        batch.push((record.key, record.value.unwrap_or_default(), ttl));
        if batch.len() == UPDATE_BATCH {
            flush(&mut batch)?;
        }
    }
    flush(&mut batch)?;
    Ok(copied)
}
