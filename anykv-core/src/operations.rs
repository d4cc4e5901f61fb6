//! Every operation a wrapper forwards, declared once.
//!
//! [`kv_operations!`](crate::kv_operations) hands the list below to a macro that writes code
//! for each operation: both store traits, the pointer impls of both traits, both faces of
//! [`Layered`](crate::layer::Layered), [`AsyncAdapter`](crate::AsyncAdapter),
//! [`BlockingAdapter`](crate::BlockingAdapter) and [`Operation`](crate::layer::Operation) are
//! all generated from it, as is the forwarding check's spy store in the `anykv-conformance` crate. A
//! new operation is written in three places: its entry in the list (signature and docs), its
//! default (one function per face), and each backend that does it better than the default;
//! every wrapper then forwards it, and the forwarding check proves that each one does.
//!
//! Each entry: its docs, the [`Operation`](crate::layer::Operation) variant, the method, its
//! arguments with their kind, the output, and its flags (`required`: the traits give it no
//! default; `retry`: running it again after a failure cannot change its outcome; `lookup`: it
//! reads values, so it has hits and misses; `write`: it may change what the store holds). Listings (`scan`, `keys`) return an iterator on
//! the blocking face and a stream on the async one; their output is the item. The store
//! traits themselves ([`KvStorage`](crate::KvStorage), [`AsyncKvStorage`](crate::AsyncKvStorage))
//! are generated from the list too, their defaults written once per face in
//! `defaults/blocking.rs` and `defaults/nonblocking.rs`.
//!
//! The argument kinds say what a wrapper does with each argument: `key` (one key: a layer's
//! [`Call::key`](crate::layer::Call::key)), `value` (bytes written, counted in
//! [`Call::bytes_in`](crate::layer::Call::bytes_in)), `expected` / `maybe_expected` (bytes
//! compared), `ttl` (a write's TTL, which [`Layer::write_ttl`](crate::layer::Layer::write_ttl)
//! may change), `scan` (a [`Scan`](crate::Scan), which borrows its prefix), `keys`, `pairs` and `entries` (bulk arguments, counted in
//! [`Call::keys`](crate::layer::Call::keys)), and `plain` (a small `Copy` value).

/// Calls `$callback! { [extra tokens] calls { … } listings { … } }` with every operation the
/// store traits declare, each with its docs (see the [module docs](crate::operations)). Not a
/// stable interface: the list grows with the traits.
#[doc(hidden)]
#[macro_export]
macro_rules! kv_operations {
    ($callback:path $(, $($extra:tt)*)?) => {
        $callback! {
            [$($($extra)*)?]
            calls {
                /// The live entry under `key` with its expiry, or `None`.
                GetEntry get_entry(key: &str as key) -> Option<$crate::Entry>
                    [required retry lookup];

                /// Stores `value` under `key`, replacing any entry, expiring after `ttl` if given.
                Set set(
                    key: &str as key,
                    value: &[u8] as value,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> () [required retry write];

                /// Stores `value` (expiring after `ttl` if given) only if the live value under
                /// `key` is exactly `expected`, or, with `expected` `None`, only if `key` has no
                /// live entry. Returns whether it stored. Atomic: no write can come between the
                /// comparison and the store.
                ///
                /// An expired entry counts as absent, never as its old value.
                CompareAndSet compare_and_set(
                    key: &str as key,
                    expected: Option<&[u8]> as maybe_expected,
                    value: &[u8] as value,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> bool [required write];

                /// Deletes `key` only if its live value is exactly `expected`; returns whether
                /// it deleted. Atomic: a lock holder releases its own lock this way and never
                /// one taken after its own ran out.
                CompareAndDelete compare_and_delete(
                    key: &str as key,
                    expected: &[u8] as expected
                ) -> bool [required write];

                /// Deletes `key`; returns whether a live entry existed.
                Delete delete(key: &str as key) -> bool [required write];

                /// Removes every entry of this store's namespace, and nothing else.
                Clear clear() -> () [required retry write];

                /// The value under `key`, or `None`.
                Get get(key: &str as key) -> Option<Vec<u8>> [retry lookup];

                /// Stores `value` only if `key` has no live entry; returns whether it was
                /// stored. Atomic. The default is `compare_and_set(key, None, value, ttl)`.
                SetIfAbsent set_if_absent(
                    key: &str as key,
                    value: &[u8] as value,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> bool [write];

                /// Whether `key` has a live entry.
                Contains contains(key: &str as key) -> bool [retry];

                /// The expiry of `key`: `None` if there is no live entry.
                Expiry expiry(key: &str as key) -> Option<$crate::Expiry> [retry];

                /// The entry of `key` even when it has expired, as long as the store still
                /// holds it: a stale read, for revalidation or for serving something when the
                /// source is down. Its [`expires_at`](crate::Entry::expires_at) says whether
                /// it is live.
                ///
                /// Stores that keep expired entries until
                /// [`purge_expired`](Self::purge_expired) (memory, SQLite, files, the Redis
                /// hash store on servers without field expiry) return them until then; stores
                /// whose server removes expired entries (Redis keys, MongoDB's TTL monitor,
                /// DynamoDB's TTL) return them until it does, which may be at once. The default
                /// (for stores that cannot tell) returns only live entries, like
                /// [`get_entry`](Self::get_entry).
                GetStale get_stale(key: &str as key) -> Option<$crate::Entry> [retry lookup];

                /// Gives the live entry of `key` a new TTL (`None`: no expiry) without changing
                /// its value; `false` if there is no live entry. Atomic: a write racing with it
                /// lands wholly before (and keeps the new TTL) or after.
                ///
                /// The default reads the entry and writes it back with
                /// [`compare_and_set`](Self::compare_and_set), retrying while other writers
                /// change it; backends that can change an expiry alone (memory, SQLite, Redis)
                /// override it.
                Touch touch(
                    key: &str as key,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> bool [retry write];

                /// Removes `key` and returns its value, if it had one.
                ///
                /// The default reads then deletes; backends that can do it atomically override
                /// it.
                Pop pop(key: &str as key) -> Option<Vec<u8>> [lookup write];

                /// Adds `by` to the counter under `key` and returns its new value. A key
                /// without a live entry starts from 0 and is created expiring after `ttl`; a
                /// live counter keeps its expiry (`ttl` is not applied to it). Atomic: of
                /// racing increments, every one counts.
                ///
                /// Counters are stored as Redis stores them, decimal ASCII (`b"-12"`, see
                /// [`counter`](crate::counter)): `get` reads them and `set(key, b"5", …)`
                /// starts one at 5. A value that is not such a number is an
                /// [`InvalidData`](crate::ErrorKind::InvalidData) error, a sum outside `i64` an
                /// [`InvalidInput`](crate::ErrorKind::InvalidInput) one; either leaves the entry
                /// as it was.
                ///
                /// The default is a [`compare_and_set`](Self::compare_and_set) loop; memory,
                /// SQLite (one write transaction), Redis (`INCRBY`), MongoDB and DynamoDB (a
                /// conditional update) do it in one step.
                Increment increment(
                    key: &str as key,
                    by: i64 as plain,
                    ttl: Option<::std::time::Duration> as ttl
                ) -> i64 [write];

                /// The number of live entries: as many as [`keys`](Self::keys) yields, entries
                /// it reports as unreadable included.
                Len len() -> usize [retry];

                /// The entries this store holds, expired ones it has not removed yet included:
                /// at least [`len`](Self::len). Where expired entries linger (memory, SQLite
                /// and files until a purge, the Redis hash store, MongoDB and DynamoDB until
                /// their TTL deletes them) this counts them too. The default (for stores that
                /// cannot tell) is `len()`.
                LenIncludingExpired len_including_expired() -> usize [retry];

                /// The bytes this store's entries take, as the backend counts them, or `None`
                /// where it cannot tell: memory, SQLite and Redis hash count keys and values
                /// (Redis with `MEMORY USAGE`, an estimate from sampled fields), files count
                /// the entry files' sizes. Expired entries not yet removed are included. The
                /// default is `None`.
                Size size() -> Option<u64> [retry];

                /// Up to `limit` live entries in order `by`: soonest expiry first (entries
                /// without expiry last), or largest value first; ties by key. Like
                /// requests-cache's `sorted()`, for choosing what to evict or refresh.
                ///
                /// The default reads the store once through [`scan`](Self::scan) (values too
                /// for [`SortBy::Size`](crate::SortBy::Size)) and keeps only the best `limit`
                /// entries: memory grows with `limit`, never with the store. Unreadable entries
                /// are left out (`keys()` reports them). SQLite answers with one
                /// `ORDER BY … LIMIT` query.
                Sorted sorted(
                    by: $crate::SortBy as plain,
                    limit: usize as plain
                ) -> Vec<$crate::SortedEntry> [retry];

                /// The values of `keys`, in the same order; `None` for missing keys.
                GetMany get_many(keys: &[&str] as keys) -> Vec<Option<Vec<u8>>> [retry lookup];

                /// Stores every entry, each with its own TTL. Every key and value is checked
                /// before anything is written.
                SetEntries set_entries(entries: &[$crate::SetEntry<'_>] as entries) -> ()
                    [retry write];

                /// Deletes every key; missing keys are not errors. Returns how many live
                /// entries were removed.
                DeleteMany delete_many(keys: &[&str] as keys) -> usize [write];

                /// Physically removes expired entries where the backend does not do it by
                /// itself; returns how many were removed. Reads never see expired entries
                /// either way.
                PurgeExpired purge_expired() -> usize [write];
            }
            listings {
                /// Streams the live entries (order unspecified) whose keys start with the
                /// scan's prefix (every entry with the empty prefix), in batches: never the
                /// whole store at once. Backends push the prefix down where they can, so a
                /// prefix scan reads the matching entries, not the store.
                Scan scan(scan: $crate::Scan<'_> as scan) -> $crate::Record [required];

                /// The keys of the live entries, streamed.
                Keys keys() -> String [];
            }
        }
    };
}

/// Whether a flag list holds `required` / `retry` / `lookup` / `write`: `has_flag!(retry; retry lookup)` is `true`.
#[doc(hidden)]
#[macro_export]
macro_rules! __has_flag {
    (required; required $($rest:ident)*) => { true };
    (retry; retry $($rest:ident)*) => { true };
    (lookup; lookup $($rest:ident)*) => { true };
    (write; write $($rest:ident)*) => { true };
    ($flag:ident; $other:ident $($rest:ident)*) => { $crate::__has_flag!($flag; $($rest)*) };
    ($flag:ident;) => { false };
}
