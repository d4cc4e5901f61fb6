//! What both faces share: options, codec, counters, default, keys and timing.

use std::time::{Duration, Instant};

use anykv_core::{Result, Serializer, Timestamp};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cached::{call_key, classify, decode, encode, lock_key, Lookup};
use crate::error::{panic_message, MemoError};
use crate::options::{MemoOptions, OnWaitTimeout};
use crate::stats::{Counter, Counters};
use anykv_core::lease::Lease;

/// The value of `$result`, a store operation's; when it failed and the cache fails open, the
/// enclosing function returns `$fallback` instead (the failure counted), else the store error.
macro_rules! or_fail_open {
    ($core:expr, $result:expr, $fallback:expr) => {
        match $result {
            Ok(value) => value,
            Err(error) => {
                if $core.fails_open() {
                    return $fallback;
                }
                return Err(error.into());
            }
        }
    };
}
pub(crate) use or_fail_open;

/// Shared state of a cache.
pub(crate) struct MemoCore<T, C> {
    pub options: MemoOptions,
    pub serializer: C,
    pub counters: Counters,
    pub default: std::sync::OnceLock<T>,
}

/// What a call does after its lookup.
pub(crate) enum Step<T> {
    /// Return this value.
    Return(T),
    /// Return this (stale) value and refresh in the background.
    ReturnAndRefresh(T),
    /// Wait for the one computation of the missing value.
    Wait,
    /// Return the default and compute in the background.
    DefaultAndRefresh,
}

/// A computation's result as `catch_unwind` gives it.
pub(crate) type Caught<T, E> = std::thread::Result<std::result::Result<T, E>>;

/// A computation's value, or why there is none (its error or its panic).
pub(crate) fn computed<T, E>(caught: Caught<T, E>) -> std::result::Result<T, MemoError<E>> {
    match caught {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(MemoError::Function(error)),
        Err(panic) => Err(MemoError::Panicked(panic_message(panic.as_ref()))),
    }
}

/// Adds the pending counts to the shared counters with `increment` (a store's, on either face):
/// on the first failure, that count and every one not yet added are kept for the next flush.
macro_rules! flush_pending {
    ($core:expr, |$key:ident, $by:ident| $increment:expr) => {{
        let mut pending = $core.counters.take_pending().into_iter();
        let mut outcome = Ok(());
        for ($key, counter, count) in pending.by_ref() {
            let $by = i64::try_from(count).unwrap_or(i64::MAX);
            if let Err(error) = $increment {
                $core.counters.restore_pending(counter, count);
                outcome = Err(error);
                break;
            }
        }
        for (_, counter, count) in pending {
            $core.counters.restore_pending(counter, count);
        }
        outcome
    }};
}
pub(crate) use flush_pending;

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

    /// A new attempt at the single-flight lock of `keys`.
    pub(crate) fn lock(&self, keys: &CallKeys) -> Lease {
        Lease::new(&keys.lock, self.options.lock_ttl())
    }

    /// What a caller waiting since `started` does now: `None` to go on waiting, or what the
    /// options say once `max_wait` has run out (counted).
    pub(crate) fn wait_ran_out(&self, started: Instant) -> Option<OnWaitTimeout> {
        let limit = self.options.max_wait?;
        if started.elapsed() < limit {
            return None;
        }
        self.counters.add(Counter::WaitTimeout);
        Some(self.options.on_wait_timeout)
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

    /// Decides what a call does with `lookup`, counting hits, stale serves, misses, waits and
    /// defaults (once per call).
    pub(crate) fn step(&self, lookup: Lookup<T>) -> Step<T> {
        match lookup {
            Lookup::Fresh(value) => {
                self.counters.add(Counter::Hit);
                Step::Return(value)
            }
            Lookup::Stale(value) => {
                self.counters.add(Counter::Stale);
                Step::ReturnAndRefresh(value)
            }
            Lookup::Missing => {
                self.counters.add(Counter::Missed);
                if self.options.wait {
                    self.counters.add(Counter::Wait);
                    Step::Wait
                } else {
                    self.counters.add(Counter::Default);
                    Step::DefaultAndRefresh
                }
            }
        }
    }

    /// Whether a store failure is gone on without (then counted).
    pub(crate) fn fails_open(&self) -> bool {
        if self.options.fail_open {
            self.counters.add(Counter::StoreFailed);
        }
        self.options.fail_open
    }

    /// A computation's `outcome` whose storing or unlocking then failed with `error`: the
    /// value when the cache fails open, else the store error.
    pub(crate) fn stored_or_fail_open<E>(
        &self,
        outcome: std::result::Result<T, MemoError<E>>,
        error: anykv_core::Error,
    ) -> std::result::Result<T, MemoError<E>> {
        match outcome {
            Ok(value) if self.fails_open() => Ok(value),
            Ok(_) => Err(MemoError::Storage(error)),
            Err(failed) => Err(failed),
        }
    }

    /// The default value, or the error saying there is none.
    pub(crate) fn default_value<E>(&self) -> std::result::Result<T, MemoError<E>> {
        self.default.get().cloned().ok_or(MemoError::NoDefault)
    }

    /// Counts a finished computation (stored or not) and passes its outcome on.
    pub(crate) fn count<E>(
        &self,
        outcome: std::result::Result<T, MemoError<E>>,
    ) -> std::result::Result<T, MemoError<E>> {
        let counter = if outcome.is_ok() {
            Counter::Success
        } else {
            Counter::Failed
        };
        self.counters.add(counter);
        outcome
    }

    /// How long to sleep before look `attempt` while another caller computes.
    pub(crate) fn poll_interval(&self, attempt: u32) -> Duration {
        let ceiling = (self.options.lock_ttl() / 4)
            .clamp(Duration::from_millis(5), Duration::from_millis(100));
        Duration::from_millis(5u64.saturating_mul(1 << attempt.min(5))).min(ceiling)
    }
}
