//! What a layer is told about each call: [`Operation`], [`Call`], and [`Outcome`] for results.

use crate::async_storage::BoxStream;
use crate::entry::Entry;
use crate::storage::{BoxIter, Expiry};

/// Writes [`Operation`] from the list of operations.
macro_rules! declare_operations {
    (
        []
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
        /// The operations of the store traits, as layers see them: one per method a wrapper
        /// forwards (see [`crate::operations`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operation {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                $variant,
            )*
            $(
                #[doc = concat!("`", stringify!($list_name), "` (opening the listing).")]
                $list_variant,
            )*
        }

        impl Operation {
            /// Every operation, in the order of the traits.
            pub const ALL: &'static [Operation] = &[
                $(Operation::$variant,)*
                $(Operation::$list_variant,)*
            ];

            /// The operation's name, as in the traits (`get`, `set_if_absent`, …).
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => stringify!($name),)*
                    $(Operation::$list_variant => stringify!($list_name),)*
                }
            }

            /// Whether running the operation again after a failure cannot change its outcome:
            /// reads, listings, plain writes, `touch` and `clear`. Conditional writes, deletes
            /// (whose result says whether the entry existed), `pop` and `purge_expired` (whose
            /// count would miss what the first attempt removed) are not: a first attempt that
            /// landed before its reply was lost would make the retry report the wrong answer.
            pub fn is_safe_to_retry(self) -> bool {
                match self {
                    $(Operation::$variant => $crate::__has_flag!(retry; $($flag)*),)*
                    $(Operation::$list_variant => true,)*
                }
            }

            /// Whether the operation reads values (and so has hits and misses).
            pub fn is_lookup(self) -> bool {
                match self {
                    $(Operation::$variant => $crate::__has_flag!(lookup; $($flag)*),)*
                    $(Operation::$list_variant => false,)*
                }
            }

            /// Whether the operation may change what the store holds (values, expiries,
            /// entries): what a read-only store refuses and a cache in front of the store
            /// invalidates. Listings and reads never do.
            pub fn is_write(self) -> bool {
                match self {
                    $(Operation::$variant => $crate::__has_flag!(write; $($flag)*),)*
                    $(Operation::$list_variant => false,)*
                }
            }
        }
    };
}

crate::kv_operations!(declare_operations);

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
impl Outcome for i64 {}
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

#[cfg(test)]
mod write_tests {
    use super::Operation;

    /// The bound of the release-readiness issue: a wrapper forwards at most 24 methods per face
    /// (every operation of the list; the conveniences of the extension traits are built on them).
    #[test]
    fn a_wrapper_forwards_at_most_24_methods_per_face() {
        assert!(
            Operation::ALL.len() <= 24,
            "{} operations: fold a new one into an existing one (a scan mode, say) or into the \
             extension traits",
            Operation::ALL.len()
        );
    }

    #[test]
    fn the_writes_are_exactly_the_operations_that_change_the_store() {
        let writes: Vec<&str> = Operation::ALL
            .iter()
            .filter(|operation| operation.is_write())
            .map(|operation| operation.name())
            .collect();
        assert_eq!(
            writes,
            [
                "set",
                "compare_and_set",
                "compare_and_delete",
                "delete",
                "clear",
                "set_if_absent",
                "touch",
                "pop",
                "increment",
                "set_entries",
                "delete_many",
                "purge_expired"
            ]
        );
        assert!(Operation::ALL
            .iter()
            .all(|operation| !(operation.is_write() && operation.name().starts_with("get"))));
    }
}
