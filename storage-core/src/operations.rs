//! Every operation a wrapper forwards, declared once.
//!
//! [`kv_operations!`](crate::kv_operations) hands the list below to a macro that writes code
//! for each operation: the pointer impls of both traits, both faces of
//! [`Layered`](crate::layer::Layered), [`AsyncAdapter`](crate::AsyncAdapter),
//! [`BlockingAdapter`](crate::BlockingAdapter) and [`Operation`](crate::layer::Operation) are
//! all generated from it, as is the forwarding check's spy store in the `conformance` crate. A
//! new operation is written in the list, in the traits (its signature and default), and in each
//! backend that does it better than the default; every wrapper then forwards it, and the
//! forwarding check proves that each one does.
//!
//! Each entry: the [`Operation`](crate::layer::Operation) variant, the method, its arguments
//! with their kind, the output, and its flags (`retry`: running it again after a failure
//! cannot change its outcome; `lookup`: it reads values, so it has hits and misses). Listings
//! (`scan`, `keys`, `values`, `items`) return an iterator on the blocking face and a stream on
//! the async one; their output is the item.
//!
//! The argument kinds say what a wrapper does with each argument: `key` (one key: a layer's
//! [`Call::key`](crate::layer::Call::key)), `value` (bytes written, counted in
//! [`Call::bytes_in`](crate::layer::Call::bytes_in)), `expected` / `maybe_expected` (bytes
//! compared), `ttl` (a write's TTL, which [`Layer::write_ttl`](crate::layer::Layer::write_ttl)
//! may change), `keys`, `pairs` and `entries` (bulk arguments, counted in
//! [`Call::keys`](crate::layer::Call::keys)), and `plain` (a small `Copy` value).

/// Calls `$callback! { [extra tokens] calls { … } listings { … } }` with every operation the
/// store traits declare (see the [module docs](crate::operations)). Not a stable interface:
/// the list grows with the traits.
#[doc(hidden)]
#[macro_export]
macro_rules! kv_operations {
    ($callback:path $(, $($extra:tt)*)?) => {
        $callback! {
            [$($($extra)*)?]
            calls {
                GetEntry get_entry(key: &str as key) -> Option<$crate::Entry> [retry lookup];
                Get get(key: &str as key) -> Option<Vec<u8>> [retry lookup];
                Set set(
                    key: &str as key,
                    value: &[u8] as value,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> () [retry];
                SetIfAbsent set_if_absent(
                    key: &str as key,
                    value: &[u8] as value,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> bool [];
                CompareAndSet compare_and_set(
                    key: &str as key,
                    expected: Option<&[u8]> as maybe_expected,
                    value: &[u8] as value,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> bool [];
                CompareAndDelete compare_and_delete(
                    key: &str as key,
                    expected: &[u8] as expected
                ) -> bool [];
                Delete delete(key: &str as key) -> bool [];
                Clear clear() -> () [retry];
                Contains contains(key: &str as key) -> bool [retry];
                Expiry expiry(key: &str as key) -> Option<$crate::Expiry> [retry];
                GetStale get_stale(key: &str as key) -> Option<$crate::Entry> [retry lookup];
                Touch touch(
                    key: &str as key,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> bool [retry];
                Pop pop(key: &str as key) -> Option<Vec<u8>> [lookup];
                Len len() -> usize [retry];
                LenIncludingExpired len_including_expired() -> usize [retry];
                Size size() -> Option<u64> [retry];
                Sorted sorted(
                    by: $crate::SortBy as plain,
                    limit: usize as plain
                ) -> Vec<$crate::SortedEntry> [retry];
                IsEmpty is_empty() -> bool [retry];
                GetMany get_many(keys: &[&str] as keys) -> Vec<Option<Vec<u8>>> [retry lookup];
                SetMany set_many(
                    entries: &[(&str, &[u8])] as pairs,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> () [retry];
                SetEntries set_entries(entries: &[$crate::SetEntry<'_>] as entries) -> () [retry];
                DeleteMany delete_many(keys: &[&str] as keys) -> usize [];
                PurgeExpired purge_expired() -> usize [];
            }
            listings {
                Scan scan(mode: $crate::ScanMode as plain) -> $crate::Record;
                Keys keys() -> String;
                Values values() -> Vec<u8>;
                Items items() -> (String, Vec<u8>);
            }
        }
    };
}

/// Whether a flag list holds `retry` / `lookup`: `has_flag!(retry; retry lookup)` is `true`.
#[doc(hidden)]
#[macro_export]
macro_rules! __has_flag {
    (retry; retry $($rest:ident)*) => { true };
    (lookup; lookup $($rest:ident)*) => { true };
    ($flag:ident; $other:ident $($rest:ident)*) => { $crate::__has_flag!($flag; $($rest)*) };
    ($flag:ident;) => { false };
}
