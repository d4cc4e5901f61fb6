//! Readers of other caches' stores, for `kvs import`.

pub mod requests_cache;
