//! What both faces share: options, codec, counters, default, keys and timing.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use storage_core::{Result, Serializer, Timestamp};

use crate::cached::{call_key, classify, decode, encode, lock_key, Lookup};
use crate::options::MemoOptions;
use crate::stats::Counters;

/// Shared state of a cache.
pub(crate) struct MemoCore<T, C> {
    pub options: MemoOptions,
    pub serializer: C,
    pub counters: Counters,
    pub default: std::sync::OnceLock<T>,
}

/// The keys of one call.
pub(crate) struct CallKeys {
    pub value: String,
    pub lock: String,
}

impl<T: Serialize + DeserializeOwned + Clone, C: Serializer> MemoCore<T, C> {
    pub(crate) fn keys<A: Serialize + ?Sized>(&self, args: &A) -> Result<CallKeys> {
        let value = call_key(&self.options.name, args)?;
        Ok(CallKeys {
            lock: lock_key(&value),
            value,
        })
    }

    pub(crate) fn lookup(&self, key: &str, bytes: Option<Vec<u8>>) -> Result<Lookup<T>> {
        Ok(classify(
            decode(&self.serializer, key, bytes)?,
            self.options.refresh,
            Timestamp::now(),
        ))
    }

    pub(crate) fn encode(&self, value: &T) -> Result<Vec<u8>> {
        encode(&self.serializer, value)
    }

    /// How long to sleep before look `attempt` while another caller computes.
    pub(crate) fn poll_interval(&self, attempt: u32) -> Duration {
        let ceiling = (self.options.lock_ttl() / 4)
            .clamp(Duration::from_millis(5), Duration::from_millis(100));
        Duration::from_millis(5u64.saturating_mul(1 << attempt.min(5))).min(ceiling)
    }
}
