//! [`MemoCache`]: a store and a cache's shared state; [`Memo`](crate::Memo) and
//! [`AsyncMemo`](crate::AsyncMemo) are this type over the blocking and the async store.

use std::sync::Arc;

use anykv_core::{Postcard, Serializer};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::core::MemoCore;
use crate::options::MemoOptions;
use crate::stats::{Counters, MemoStats};

/// A function-result cache in store `S` (`Arc<dyn KvStorage>` or `Arc<dyn AsyncKvStorage>`),
/// of values `T` serialized with `C`. Cloning shares the cache and its counters.
pub struct MemoCache<S, T, C = Postcard> {
    pub(crate) store: S,
    pub(crate) core: Arc<MemoCore<T, C>>,
}

impl<S: Clone, T, C> Clone for MemoCache<S, T, C> {
    fn clone(&self) -> Self {
        MemoCache {
            store: self.store.clone(),
            core: self.core.clone(),
        }
    }
}

impl<S, T> MemoCache<S, T, Postcard>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// A cache in `store`, serialized with postcard.
    pub fn new(store: S, options: MemoOptions) -> Self {
        Self::with_serializer(store, options, Postcard)
    }
}

impl<S, T, C> MemoCache<S, T, C>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    C: Serializer + 'static,
{
    /// A cache in `store`, serialized with `serializer`.
    pub fn with_serializer(store: S, options: MemoOptions, serializer: C) -> Self {
        MemoCache {
            store,
            core: Arc::new(MemoCore {
                counters: Counters::named(&options.name, options.shared_stats),
                options,
                serializer,
                default: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The value returned at once for a missing key when the cache does not wait (set once).
    pub fn default_value(self, value: T) -> Self {
        let _ = self.core.default.set(value);
        self
    }

    /// This cache's counters.
    pub fn stats(&self) -> MemoStats {
        self.core.counters.snapshot()
    }

    /// Sets every counter of this process to zero (the shared ones stay).
    pub fn reset_stats(&self) {
        self.core.counters.reset();
    }

    /// The options.
    pub fn options(&self) -> &MemoOptions {
        &self.core.options
    }
}
