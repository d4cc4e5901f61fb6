//! [`Memo`]: the blocking face, background refreshes on threads.

use std::fmt::Display;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use anykv_core::{KvStorage, KvStorageExt, Postcard, Serializer};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cache::MemoCache;
use crate::cached::{call_prefix, is_call_key_of, Lookup};
use crate::core::{computed, flush_pending, or_fail_open, CallKeys, Step};
use crate::error::MemoError;
use crate::options::OnWaitTimeout;
use crate::stats::{shared_keys, Counter, MemoStats};
use anykv_core::lease::Lease;

/// A function-result cache over any [`KvStorage`], for blocking code.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use anykv_core::MemoryStorage;
/// use anykv_memo::{Memo, MemoOptions};
///
/// let memo: Memo<u64> = Memo::new(
///     Arc::new(MemoryStorage::new()),
///     MemoOptions::new("square", Duration::from_secs(60), Duration::from_secs(3600)),
/// );
/// let n = 12u64;
/// let square = memo.call(&n, move || Ok::<_, std::io::Error>(n * n))?;
/// assert_eq!(square, 144);
/// assert_eq!(memo.stats().success, 1);
/// # Ok::<(), anykv_memo::MemoError<std::io::Error>>(())
/// ```
pub type Memo<T, C = Postcard> = MemoCache<Arc<dyn KvStorage>, T, C>;

impl<T, C> Memo<T, C>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    C: Serializer + 'static,
{
    /// Runs `f` without the cache.
    pub fn bypass<E>(&self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        f()
    }

    /// Forgets the cached value of `args`.
    pub fn invalidate<A: Serialize + ?Sized>(&self, args: &A) -> anykv_core::Result<bool> {
        let keys = self.core.keys(args)?;
        self.store.delete(&keys.value)
    }

    /// Forgets every cached value of this cache, whatever its arguments, for every process
    /// sharing the store: a prefix scan of the cache's name (pushed down by the backend), its
    /// keys deleted in batches. Keys of caches whose names extend this one's (`name:x`) are
    /// left. Returns how many values it removed.
    pub fn forget_all(&self) -> anykv_core::Result<usize> {
        let name = self.core.options.name.clone();
        self.store
            .delete_prefix_where(&call_prefix(&name), &move |key| is_call_key_of(&name, key))
    }

    /// Adds what this process counted since the last flush to the counters shared in the store
    /// ([`MemoOptions::shared_stats`](crate::MemoOptions::shared_stats); calls flush by
    /// themselves at most that often). Counts the store did not take are kept for the next
    /// flush. Without shared statistics there is nothing to add.
    pub fn flush_stats(&self) -> anykv_core::Result<()> {
        flush_pending!(self.core, |key, by| self.store.increment(&key, by, None))
    }

    /// The counters shared by every process using this cache's store (zero for a cache that
    /// never flushed): what `kvs stats` shows.
    pub fn shared_stats(&self) -> anykv_core::Result<MemoStats> {
        let keys = shared_keys(&self.core.options.name);
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        MemoStats::from_shared(&keys, self.store.get_many(&refs)?)
    }

    /// The cached result for `args`, computing it with `f` as the options say: fresh values at
    /// once; stale values at once with one background refresh; missing values after waiting for
    /// one computation shared by every caller (or the default at once, when not waiting).
    pub fn call<A, F, E>(&self, args: &A, f: F) -> Result<T, MemoError<E>>
    where
        A: Serialize + ?Sized,
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Display + Send + 'static,
    {
        let result = self.call_cached(args, f);
        if self.core.counters.flush_due() {
            // A failed flush keeps its counts for the next one.
            let _ = self.flush_stats();
        }
        result
    }

    fn call_cached<A, F, E>(&self, args: &A, f: F) -> Result<T, MemoError<E>>
    where
        A: Serialize + ?Sized,
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Display + Send + 'static,
    {
        if !self.core.options.enabled {
            return f().map_err(MemoError::Function);
        }
        let keys = self.core.keys(args)?;
        let read = self
            .store
            .get(&keys.value)
            .and_then(|bytes| self.core.lookup(&keys.value, bytes));
        let lookup = or_fail_open!(self.core, read, f().map_err(MemoError::Function));
        match self.core.step(lookup) {
            Step::Return(value) => Ok(value),
            Step::ReturnAndRefresh(value) => {
                self.refresh_in_background(keys, f);
                Ok(value)
            }
            Step::Wait => self.compute_waiting(&keys, f),
            Step::DefaultAndRefresh => {
                self.refresh_in_background(keys, f);
                self.core.default_value()
            }
        }
    }

    /// Runs `f`, stores its value, counts the outcome.
    /// The stored value of `keys`, looked up.
    fn look(&self, keys: &CallKeys) -> anykv_core::Result<Lookup<T>> {
        self.store
            .get(&keys.value)
            .and_then(|bytes| self.core.lookup(&keys.value, bytes))
    }

    fn compute<F, E>(&self, keys: &CallKeys, f: F) -> Result<T, MemoError<E>>
    where
        F: FnOnce() -> Result<T, E>,
    {
        self.core.counters.add(Counter::Refresh);
        let outcome = computed(catch_unwind(AssertUnwindSafe(f))).and_then(|value| {
            let bytes = self.core.encode(&value)?;
            match self
                .store
                .set(&keys.value, &bytes, Some(self.core.options.expire))
            {
                Ok(()) => Ok(value),
                Err(error) => self.core.stored_or_fail_open(Ok(value), error),
            }
        });
        self.core.count(outcome)
    }

    /// [`compute`](Self::compute) while the heartbeat keeps `lock` alive.
    fn compute_holding<F, E>(&self, lock: &Lease, keys: &CallKeys, f: F) -> Result<T, MemoError<E>>
    where
        F: FnOnce() -> Result<T, E>,
    {
        lock.hold_while(&self.store, || self.compute(keys, f))
    }

    fn refresh_in_background<F, E>(&self, keys: CallKeys, f: F)
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Display + Send + 'static,
    {
        let lock = self.core.lock(&keys);
        if !matches!(lock.acquire(self.store.as_ref()), Ok(true)) {
            return;
        }
        let memo = self.clone();
        let held = lock.clone();
        let spawned = std::thread::Builder::new()
            .name("memo-refresh".into())
            .spawn(move || {
                // Another caller may have refreshed between our lookup and our lock.
                if let Ok(Lookup::Fresh(_)) = memo
                    .store
                    .get(&keys.value)
                    .and_then(|b| memo.core.lookup(&keys.value, b))
                {
                    let _ = held.release(memo.store.as_ref());
                    return;
                }
                // A failed refresh keeps the lock (no longer extended): the next try comes
                // after the retry duration.
                if memo.compute_holding(&held, &keys, f).is_ok() {
                    let _ = held.release(memo.store.as_ref());
                }
            });
        if spawned.is_err() {
            self.core.counters.add(Counter::Failed);
            let _ = lock.release(self.store.as_ref());
        }
    }

    fn compute_waiting<F, E>(&self, keys: &CallKeys, f: F) -> Result<T, MemoError<E>>
    where
        F: FnOnce() -> Result<T, E>,
    {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let lock = self.core.lock(keys);
            let acquired = lock.acquire(self.store.as_ref());
            if or_fail_open!(self.core, acquired, f().map_err(MemoError::Function)) {
                let read = self.look(keys);
                let outcome = match or_fail_open!(self.core, read, f().map_err(MemoError::Function))
                {
                    Lookup::Fresh(value) | Lookup::Stale(value) => Ok(value),
                    Lookup::Missing => self.compute_holding(&lock, keys, f),
                };
                // Released on failure too, so the callers waiting with us try at once.
                return match lock.release(self.store.as_ref()) {
                    Ok(_) => outcome,
                    Err(error) => self.core.stored_or_fail_open(outcome, error),
                };
            }
            self.core.counters.add(Counter::Sleep);
            std::thread::sleep(self.core.poll_interval(attempt));
            attempt += 1;
            let read = self.look(keys);
            if let Lookup::Fresh(value) | Lookup::Stale(value) =
                or_fail_open!(self.core, read, f().map_err(MemoError::Function))
            {
                return Ok(value);
            }
            match self.core.wait_ran_out(started) {
                None => {}
                Some(OnWaitTimeout::Fail) => {
                    return Err(MemoError::WaitTimedOut(started.elapsed()))
                }
                Some(_) => return self.compute(keys, f),
            }
        }
    }
}
