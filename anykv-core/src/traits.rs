//! The store traits: [`Store`] (what a store is, whichever face), [`KvStorage`] (blocking) and
//! [`AsyncKvStorage`] (async), the last two generated from the list of operations
//! ([`crate::operations`]) with their defaults in `defaults/`.

use async_trait::async_trait;

use crate::async_storage::BoxStream;
use crate::entry::SetEntry;
use crate::error::Result;
use crate::storage::BoxIter;

/// What a store says about itself: its backend, its namespace, the largest value it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreInfo<'a> {
    /// The backend's name, used in error messages (`"sqlite"`, `"memory"`, …).
    pub backend: &'static str,
    /// The namespace this store holds, if it has one ([`Signed`](crate::Signed) binds its
    /// signatures to it).
    pub namespace: Option<&'a str>,
    /// The largest value this store accepts, in bytes.
    pub max_value_len: usize,
}

impl<'a> StoreInfo<'a> {
    /// A store of `backend`, without a namespace, taking values of any length.
    pub fn new(backend: &'static str) -> Self {
        StoreInfo {
            backend,
            namespace: None,
            max_value_len: usize::MAX,
        }
    }

    /// The same, holding `namespace`.
    pub fn namespace(self, namespace: &'a str) -> Self {
        StoreInfo {
            namespace: Some(namespace),
            ..self
        }
    }

    /// The same, taking values of at most `max_value_len` bytes.
    pub fn max_value_len(self, max_value_len: usize) -> Self {
        StoreInfo {
            max_value_len,
            ..self
        }
    }
}

/// What every store is, on either face: [`info`](Self::info) is the one method a store or a
/// wrapper writes; the rest derive from it.
pub trait Store: Send + Sync {
    /// The backend, namespace and value limit of this store.
    fn info(&self) -> StoreInfo<'_>;

    /// The backend's name, used in error messages (`"sqlite"`, `"memory"`, …).
    fn backend_name(&self) -> &'static str {
        self.info().backend
    }

    /// The largest value this store accepts, in bytes.
    fn max_value_len(&self) -> usize {
        self.info().max_value_len
    }

    /// The namespace this store holds, if it has one.
    fn namespace_name(&self) -> Option<&str> {
        self.info().namespace
    }

    /// Checks every key and value of a bulk write against this store's limits.
    fn check_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        let info = self.info();
        crate::limits::check_entries(info.backend, info.max_value_len, entries)
    }
}

/// Forwards [`Store`] through the smart pointers.
macro_rules! forward_store {
    ($($pointer:ty),+) => {$(
        impl<T: Store + ?Sized> Store for $pointer {
            fn info(&self) -> StoreInfo<'_> {
                (**self).info()
            }
        }
    )+};
}

forward_store!(&T, Box<T>, std::sync::Arc<T>);

/// Writes both store traits from the list of operations: splits the operations into those
/// without a default (`required`) and those with one, then writes each face.
macro_rules! declare_traits {
    ([] calls { $($calls:tt)* } listings { $($listings:tt)* }) => {
        declare_traits!(@split [] [] [] [] calls { $($calls)* } listings { $($listings)* });
    };
    (
        @split [$($rc:tt)*] [$($pc:tt)*] [$($rl:tt)*] [$($pl:tt)*]
        calls {
            $(#[$doc:meta])* $variant:ident $name:ident $args:tt -> $out:ty
            [required $($flag:ident)*];
            $($rest:tt)*
        }
        listings $listings:tt
    ) => {
        declare_traits!(
            @split [$($rc)* $(#[$doc])* $name $args -> $out;] [$($pc)*] [$($rl)*] [$($pl)*]
            calls { $($rest)* } listings $listings
        );
    };
    (
        @split [$($rc:tt)*] [$($pc:tt)*] [$($rl:tt)*] [$($pl:tt)*]
        calls {
            $(#[$doc:meta])* $variant:ident $name:ident $args:tt -> $out:ty
            [$($flag:ident)*];
            $($rest:tt)*
        }
        listings $listings:tt
    ) => {
        declare_traits!(
            @split [$($rc)*] [$($pc)* $(#[$doc])* $name $args -> $out;] [$($rl)*] [$($pl)*]
            calls { $($rest)* } listings $listings
        );
    };
    (
        @split [$($rc:tt)*] [$($pc:tt)*] [$($rl:tt)*] [$($pl:tt)*]
        calls {}
        listings {
            $(#[$doc:meta])* $variant:ident $name:ident $args:tt -> $item:ty [required];
            $($rest:tt)*
        }
    ) => {
        declare_traits!(
            @split [$($rc)*] [$($pc)*] [$($rl)* $(#[$doc])* $name $args -> $item;] [$($pl)*]
            calls {} listings { $($rest)* }
        );
    };
    (
        @split [$($rc:tt)*] [$($pc:tt)*] [$($rl:tt)*] [$($pl:tt)*]
        calls {}
        listings {
            $(#[$doc:meta])* $variant:ident $name:ident $args:tt -> $item:ty [];
            $($rest:tt)*
        }
    ) => {
        declare_traits!(
            @split [$($rc)*] [$($pc)*] [$($rl)*] [$($pl)* $(#[$doc])* $name $args -> $item;]
            calls {} listings { $($rest)* }
        );
    };
    (
        @split
        [$(
            $(#[$rc_doc:meta])* $rc_name:ident ($($rc_arg:ident : $rc_ty:ty as $rc_kind:ident),*)
            -> $rc_out:ty;
        )*]
        [$(
            $(#[$pc_doc:meta])* $pc_name:ident ($($pc_arg:ident : $pc_ty:ty as $pc_kind:ident),*)
            -> $pc_out:ty;
        )*]
        [$(
            $(#[$rl_doc:meta])* $rl_name:ident ($($rl_arg:ident : $rl_ty:ty as $rl_kind:ident),*)
            -> $rl_item:ty;
        )*]
        [$(
            $(#[$pl_doc:meta])* $pl_name:ident ($($pl_arg:ident : $pl_ty:ty as $pl_kind:ident),*)
            -> $pl_item:ty;
        )*]
        calls {} listings {}
    ) => {
        /// A byte-level key-value store, blocking: `get`, `set`, `delete`, `contains`, `len`,
        /// `keys`, `clear`, `pop` and bulk operations, with a per-key TTL; `values`, `items`,
        /// `is_empty`, `set_many` and `update` come from [`KvStorageExt`](crate::KvStorageExt)
        /// (in the [`prelude`](crate::prelude)).
        ///
        /// A store provides [`Store::info`] and seven methods
        /// ([`get_entry`](Self::get_entry), [`set`](Self::set),
        /// [`compare_and_set`](Self::compare_and_set),
        /// [`compare_and_delete`](Self::compare_and_delete), [`delete`](Self::delete),
        /// [`clear`](Self::clear), [`scan`](Self::scan)); every other method has a default
        /// built on them, which a backend overrides where it can do better (one round trip for
        /// a bulk call, an atomic `pop`, a `COUNT` for `len`). A store that keeps expired
        /// entries until it purges them also overrides
        /// [`purge_expired`](Self::purge_expired), and one that can read expired entries
        /// [`get_stale`](Self::get_stale).
        ///
        /// # Contract
        /// Every implementation, checked by the `anykv-conformance` crate:
        /// - keys of 0 to [`MAX_KEY_LEN`](crate::MAX_KEY_LEN) bytes work, longer ones fail with
        ///   [`Error::KeyTooLong`](crate::Error::KeyTooLong) (use
        ///   [`check_key`](crate::limits::check_key));
        /// - values over [`max_value_len`](Store::max_value_len) fail with
        ///   [`Error::ValueTooLarge`](crate::Error::ValueTooLarge) and nothing is written;
        /// - an entry whose expiry has passed is invisible to every read;
        /// - TTLs are checked with [`crate::time::ttl_millis`] (zero is refused);
        /// - `set_if_absent`, `compare_and_set` and `compare_and_delete` are atomic: of many
        ///   concurrent callers expecting the same state, exactly one wins.
        pub trait KvStorage: Store {
            $(
                $(#[$rc_doc])*
                fn $rc_name(&self, $($rc_arg: $rc_ty),*) -> Result<$rc_out>;
            )*
            $(
                $(#[$rl_doc])*
                fn $rl_name(&self, $($rl_arg: $rl_ty),*) -> Result<BoxIter<'_, $rl_item>>;
            )*
            $(
                $(#[$pc_doc])*
                fn $pc_name(&self, $($pc_arg: $pc_ty),*) -> Result<$pc_out> {
                    crate::defaults::blocking::$pc_name(self, $($pc_arg),*)
                }
            )*
            $(
                $(#[$pl_doc])*
                fn $pl_name(&self, $($pl_arg: $pl_ty),*) -> Result<BoxIter<'_, $pl_item>> {
                    crate::defaults::blocking::$pl_name(self, $($pl_arg),*)
                }
            )*
        }

        /// The async twin of [`KvStorage`]: the same operations with the same semantics (see
        /// each method there), as `async fn`s and streams, with the same defaults; `values`,
        /// `items`, `is_empty`, `set_many` and `update` come from
        /// [`AsyncKvStorageExt`](crate::AsyncKvStorageExt).
        ///
        /// A sync store becomes an async one with [`AsyncAdapter`](crate::AsyncAdapter), and
        /// back with [`BlockingAdapter`](crate::BlockingAdapter).
        #[async_trait]
        pub trait AsyncKvStorage: Store {
            $(
                $(#[$rc_doc])*
                async fn $rc_name(&self, $($rc_arg: $rc_ty),*) -> Result<$rc_out>;
            )*
            $(
                $(#[$rl_doc])*
                async fn $rl_name(&self, $($rl_arg: $rl_ty),*) -> Result<BoxStream<'_, $rl_item>>;
            )*
            $(
                $(#[$pc_doc])*
                async fn $pc_name(&self, $($pc_arg: $pc_ty),*) -> Result<$pc_out> {
                    crate::defaults::nonblocking::$pc_name(self, $($pc_arg),*).await
                }
            )*
            $(
                $(#[$pl_doc])*
                async fn $pl_name(&self, $($pl_arg: $pl_ty),*) -> Result<BoxStream<'_, $pl_item>> {
                    crate::defaults::nonblocking::$pl_name(self, $($pl_arg),*).await
                }
            )*
        }
    };
}

crate::kv_operations!(declare_traits);
