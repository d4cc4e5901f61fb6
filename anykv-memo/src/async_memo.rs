//! [`AsyncMemo`]: the async face, background refreshes as tokio tasks.

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use anykv_core::{AsyncKvStorage, AsyncKvStorageExt, Postcard, Serializer};
use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cache::MemoCache;
use crate::cached::{call_prefix, is_call_key_of, Lookup};
use crate::core::{computed, flush_pending, or_fail_open, CallKeys, Step};
use crate::error::MemoError;
use crate::options::OnWaitTimeout;
use crate::stats::{shared_keys, Counter, MemoStats};
use anykv_core::lease::Lease;

/// A function-result cache over any [`AsyncKvStorage`], for async code; the same behaviour as
/// [`Memo`](crate::Memo), with background refreshes spawned on the current tokio runtime.
pub type AsyncMemo<T, C = Postcard> = MemoCache<Arc<dyn AsyncKvStorage>, T, C>;

impl<T, C> AsyncMemo<T, C>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    C: Serializer + 'static,
{
    /// Runs `f` without the cache.
    pub async fn bypass<E, Fut: Future<Output = Result<T, E>>>(
        &self,
        f: impl FnOnce() -> Fut,
    ) -> Result<T, E> {
        f().await
    }

    /// Forgets the cached value of `args`.
    pub async fn invalidate<A: Serialize + ?Sized>(&self, args: &A) -> anykv_core::Result<bool> {
        let keys = self.core.keys(args)?;
        self.store.delete(&keys.value).await
    }

    /// Forgets every cached value of this cache; see [`Memo::forget_all`](crate::Memo::forget_all).
    pub async fn forget_all(&self) -> anykv_core::Result<usize> {
        let name = self.core.options.name.clone();
        self.store
            .delete_prefix_where(&call_prefix(&name), &move |key| is_call_key_of(&name, key))
            .await
    }

    /// Adds this process's counts to the shared counters; see
    /// [`Memo::flush_stats`](crate::Memo::flush_stats).
    pub async fn flush_stats(&self) -> anykv_core::Result<()> {
        flush_pending!(self.core, |key, by| self
            .store
            .increment(&key, by, None)
            .await)
    }

    /// The counters shared through the store; see [`Memo::shared_stats`](crate::Memo::shared_stats).
    pub async fn shared_stats(&self) -> anykv_core::Result<MemoStats> {
        let keys = shared_keys(&self.core.options.name);
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        MemoStats::from_shared(&keys, self.store.get_many(&refs).await?)
    }

    /// The cached result for `args`; see [`Memo::call`](crate::Memo::call).
    pub async fn call<A, F, Fut, E>(&self, args: &A, f: F) -> Result<T, MemoError<E>>
    where
        A: Serialize + ?Sized,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        let result = self.call_cached(args, f).await;
        if self.core.counters.flush_due() {
            // A failed flush keeps its counts for the next one.
            let _ = self.flush_stats().await;
        }
        result
    }

    async fn call_cached<A, F, Fut, E>(&self, args: &A, f: F) -> Result<T, MemoError<E>>
    where
        A: Serialize + ?Sized,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        if !self.core.options.enabled {
            return f().await.map_err(MemoError::Function);
        }
        let keys = self.core.keys(args)?;
        let read = self.look(&keys).await;
        let lookup = or_fail_open!(self.core, read, f().await.map_err(MemoError::Function));
        match self.core.step(lookup) {
            Step::Return(value) => Ok(value),
            Step::ReturnAndRefresh(value) => {
                self.refresh_in_background(keys, f).await;
                Ok(value)
            }
            Step::Wait => self.compute_waiting(&keys, f).await,
            Step::DefaultAndRefresh => {
                self.refresh_in_background(keys, f).await;
                self.core.default_value()
            }
        }
    }

    async fn compute<Fut, E>(&self, keys: &CallKeys, future: Fut) -> Result<T, MemoError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        self.core.counters.add(Counter::Refresh);
        let outcome = match computed(AssertUnwindSafe(future).catch_unwind().await) {
            Ok(value) => self.store_value(keys, value).await,
            Err(error) => Err(error),
        };
        self.core.count(outcome)
    }

    async fn store_value<E>(&self, keys: &CallKeys, value: T) -> Result<T, MemoError<E>> {
        let bytes = self.core.encode(&value)?;
        match self
            .store
            .set(&keys.value, &bytes, Some(self.core.options.expire))
            .await
        {
            Ok(()) => Ok(value),
            Err(error) => self.core.stored_or_fail_open(Ok(value), error),
        }
    }

    /// The stored value of `keys`, looked up.
    async fn look(&self, keys: &CallKeys) -> anykv_core::Result<Lookup<T>> {
        let bytes = self.store.get(&keys.value).await?;
        self.core.lookup(&keys.value, bytes)
    }

    /// [`compute`](Self::compute) while a heartbeat task keeps `lock` alive.
    async fn compute_holding<Fut, E>(
        &self,
        lock: &Lease,
        keys: &CallKeys,
        future: Fut,
    ) -> Result<T, MemoError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let _heartbeat = lock.heartbeat_async(&self.store);
        self.compute(keys, future).await
    }

    async fn refresh_in_background<F, Fut, E>(&self, keys: CallKeys, f: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        let lock = self.core.lock(&keys);
        if !matches!(lock.acquire_async(self.store.as_ref()).await, Ok(true)) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.core.counters.add(Counter::Failed);
            let _ = lock.release_async(self.store.as_ref()).await;
            return;
        };
        let memo = self.clone();
        drop(runtime.spawn(async move {
            let current = memo.store.get(&keys.value).await;
            if let Ok(Lookup::Fresh(_)) = current.and_then(|b| memo.core.lookup(&keys.value, b)) {
                let _ = lock.release_async(memo.store.as_ref()).await;
                return;
            }
            // A failed refresh keeps the lock (no longer extended): see `Memo`.
            if memo.compute_holding(&lock, &keys, f()).await.is_ok() {
                let _ = lock.release_async(memo.store.as_ref()).await;
            }
        }));
    }

    async fn compute_waiting<F, Fut, E>(&self, keys: &CallKeys, f: F) -> Result<T, MemoError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let lock = self.core.lock(keys);
            let acquired = lock.acquire_async(self.store.as_ref()).await;
            if or_fail_open!(self.core, acquired, f().await.map_err(MemoError::Function)) {
                let read = self.look(keys).await;
                let outcome =
                    match or_fail_open!(self.core, read, f().await.map_err(MemoError::Function)) {
                        Lookup::Fresh(value) | Lookup::Stale(value) => Ok(value),
                        Lookup::Missing => self.compute_holding(&lock, keys, f()).await,
                    };
                return match lock.release_async(self.store.as_ref()).await {
                    Ok(_) => outcome,
                    Err(error) => self.core.stored_or_fail_open(outcome, error),
                };
            }
            self.core.counters.add(Counter::Sleep);
            tokio::time::sleep(self.core.poll_interval(attempt)).await;
            attempt += 1;
            let read = self.look(keys).await;
            if let Lookup::Fresh(value) | Lookup::Stale(value) =
                or_fail_open!(self.core, read, f().await.map_err(MemoError::Function))
            {
                return Ok(value);
            }
            match self.core.wait_ran_out(started) {
                None => {}
                Some(OnWaitTimeout::Fail) => {
                    return Err(MemoError::WaitTimedOut(started.elapsed()))
                }
                Some(_) => return self.compute(keys, f()).await,
            }
        }
    }
}
