//! What a layer is told about each call: [`Operation`], [`Call`], and [`Outcome`] for results.

use crate::async_storage::BoxStream;
use crate::entry::Entry;
use crate::storage::{BoxIter, Expiry};

/// The operations of the store traits, as layers see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `get_entry`.
    GetEntry,
    /// `get`.
    Get,
    /// `set`.
    Set,
    /// `set_if_absent`.
    SetIfAbsent,
    /// `compare_and_set`.
    CompareAndSet,
    /// `compare_and_delete`.
    CompareAndDelete,
    /// `delete`.
    Delete,
    /// `scan`, `keys`, `values`, `items` (opening the listing).
    Scan,
    /// `clear`.
    Clear,
    /// `contains`.
    Contains,
    /// `expiry`.
    Expiry,
    /// `touch`.
    Touch,
    /// `get_stale`.
    GetStale,
    /// `pop`.
    Pop,
    /// `len`.
    Len,
    /// `is_empty`.
    IsEmpty,
    /// `len_including_expired`.
    LenIncludingExpired,
    /// `size`.
    Size,
    /// `sorted`.
    Sorted,
    /// `get_many`.
    GetMany,
    /// `set_many`, `set_entries`.
    SetMany,
    /// `delete_many`.
    DeleteMany,
    /// `update`.
    Update,
    /// `purge_expired`.
    PurgeExpired,
}

impl Operation {
    /// The operation's name, as in the traits (`get`, `set_if_absent`, …).
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetEntry => "get_entry",
            Operation::Get => "get",
            Operation::Set => "set",
            Operation::SetIfAbsent => "set_if_absent",
            Operation::CompareAndSet => "compare_and_set",
            Operation::CompareAndDelete => "compare_and_delete",
            Operation::Delete => "delete",
            Operation::Scan => "scan",
            Operation::Clear => "clear",
            Operation::Contains => "contains",
            Operation::Expiry => "expiry",
            Operation::Touch => "touch",
            Operation::GetStale => "get_stale",
            Operation::Pop => "pop",
            Operation::Len => "len",
            Operation::IsEmpty => "is_empty",
            Operation::LenIncludingExpired => "len_including_expired",
            Operation::Size => "size",
            Operation::Sorted => "sorted",
            Operation::GetMany => "get_many",
            Operation::SetMany => "set_many",
            Operation::DeleteMany => "delete_many",
            Operation::Update => "update",
            Operation::PurgeExpired => "purge_expired",
        }
    }

    /// Whether running the operation again after a failure cannot change its outcome: reads,
    /// plain writes, `touch` and `clear`. Conditional writes, deletes (whose result says whether the
    /// entry existed) and `pop` are not: a first attempt that landed before its reply was lost
    /// would make the retry report the wrong answer.
    pub fn is_safe_to_retry(self) -> bool {
        matches!(
            self,
            Operation::GetEntry
                | Operation::Get
                | Operation::Set
                | Operation::Scan
                | Operation::Clear
                | Operation::Contains
                | Operation::Expiry
                | Operation::Touch
                | Operation::GetStale
                | Operation::Len
                | Operation::IsEmpty
                | Operation::LenIncludingExpired
                | Operation::Size
                | Operation::Sorted
                | Operation::GetMany
                | Operation::SetMany
                | Operation::Update
        )
    }

    /// Whether the operation reads values (and so has hits and misses).
    pub fn is_lookup(self) -> bool {
        matches!(
            self,
            Operation::GetEntry
                | Operation::Get
                | Operation::GetStale
                | Operation::GetMany
                | Operation::Pop
        )
    }
}

/// One call as a layer sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Call<'a> {
    /// The operation.
    pub operation: Operation,
    /// The backend underneath (`"redis"`, …).
    pub backend: &'static str,
    /// The namespace of the store underneath, if it has one.
    pub namespace: Option<&'a str>,
    /// The key, when the call names exactly one. Keys can be personal data: the provided
    /// layers never record them.
    pub key: Option<&'a str>,
    /// How many keys the call names (0 for whole-store operations).
    pub keys: usize,
    /// Value bytes the call writes.
    pub bytes_in: usize,
}

/// What a layer can read from an operation's result without consuming it.
pub trait Outcome {
    /// Value bytes the result carries back.
    fn bytes_out(&self) -> usize {
        0
    }

    /// For a lookup, how many keys were found and how many missed.
    fn hits_and_misses(&self) -> Option<(usize, usize)> {
        None
    }
}

impl Outcome for () {}
impl Outcome for bool {}
impl Outcome for usize {}
impl Outcome for Option<Expiry> {}
impl Outcome for Option<u64> {}
impl Outcome for Vec<crate::sorted::SortedEntry> {}
impl<T> Outcome for BoxIter<'_, T> {}
impl<T> Outcome for BoxStream<'_, T> {}

impl Outcome for Option<Vec<u8>> {
    fn bytes_out(&self) -> usize {
        self.as_ref().map_or(0, Vec::len)
    }

    fn hits_and_misses(&self) -> Option<(usize, usize)> {
        Some(if self.is_some() { (1, 0) } else { (0, 1) })
    }
}

impl Outcome for Option<Entry> {
    fn bytes_out(&self) -> usize {
        self.as_ref().map_or(0, |entry| entry.value.len())
    }

    fn hits_and_misses(&self) -> Option<(usize, usize)> {
        Some(if self.is_some() { (1, 0) } else { (0, 1) })
    }
}

impl Outcome for Vec<Option<Vec<u8>>> {
    fn bytes_out(&self) -> usize {
        self.iter().flatten().map(Vec::len).sum()
    }

    fn hits_and_misses(&self) -> Option<(usize, usize)> {
        let hits = self.iter().filter(|value| value.is_some()).count();
        Some((hits, self.len() - hits))
    }
}
