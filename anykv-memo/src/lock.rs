//! The single-flight lock of one call's value.
//!
//! The lock is an entry holding a token that names its owner: taken with
//! [`compare_and_set`](anykv_core::KvStorage::compare_and_set) expecting nothing, kept alive
//! by its owner while the computation runs (a heartbeat rewrites it, expecting its own token,
//! every third of its lifetime), and released with
//! [`compare_and_delete`](anykv_core::KvStorage::compare_and_delete) of its own token. So only
//! the owner extends or releases it: a slow computation keeps its lock however long it runs, and
//! only a crashed owner's lock runs out, after the lock's lifetime (`MemoOptions::retry`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anykv_core::{AsyncKvStorage, KvStorage, Result};

/// A lock entry and the token of its would-be owner.
#[derive(Debug, Clone)]
pub(crate) struct Lock {
    key: String,
    token: Vec<u8>,
    ttl: Duration,
}

/// A token no other lock attempt has, in this process or another: the process id, the time,
/// a counter, and a per-process random seed.
fn new_token() -> Vec<u8> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut random = RandomState::new().build_hasher();
    random.write_u64(count);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!(
        "{:x}-{nanos:x}-{count:x}-{:016x}",
        std::process::id(),
        random.finish()
    )
    .into_bytes()
}

impl Lock {
    /// A new attempt at the lock entry `key`, living `ttl` unless its owner extends it.
    pub(crate) fn new(key: &str, ttl: Duration) -> Self {
        Lock {
            key: key.to_owned(),
            token: new_token(),
            ttl,
        }
    }

    /// How often the owner extends its lock: three times per lifetime, so two late beats in a
    /// row still leave it held.
    fn heartbeat(&self) -> Duration {
        (self.ttl / 3).max(Duration::from_millis(1))
    }

    /// Takes the lock; `false` if another owner holds it.
    pub(crate) fn acquire(&self, store: &dyn KvStorage) -> Result<bool> {
        store.compare_and_set(&self.key, None, &self.token, Some(self.ttl))
    }

    /// Gives a new lifetime to the lock if this owner still holds it.
    fn extend(&self, store: &dyn KvStorage) -> Result<bool> {
        store.compare_and_set(&self.key, Some(&self.token), &self.token, Some(self.ttl))
    }

    /// Releases the lock if this owner still holds it; never another owner's.
    pub(crate) fn release(&self, store: &dyn KvStorage) -> Result<bool> {
        store.compare_and_delete(&self.key, &self.token)
    }

    /// Runs `work` while a heartbeat thread keeps the lock alive.
    pub(crate) fn hold_while<R>(&self, store: &Arc<dyn KvStorage>, work: impl FnOnce() -> R) -> R {
        std::thread::scope(|scope| {
            let (stop, stopped) = mpsc::channel::<()>();
            scope.spawn(move || loop {
                match stopped.recv_timeout(self.heartbeat()) {
                    Err(RecvTimeoutError::Timeout) => {
                        // Lost (or unreachable): the lock is no longer ours to keep.
                        if !matches!(self.extend(store.as_ref()), Ok(true)) {
                            return;
                        }
                    }
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            });
            let outcome = work();
            drop(stop);
            outcome
        })
    }

    /// [`acquire`](Self::acquire) on the async face.
    pub(crate) async fn acquire_async(&self, store: &dyn AsyncKvStorage) -> Result<bool> {
        store
            .compare_and_set(&self.key, None, &self.token, Some(self.ttl))
            .await
    }

    /// [`release`](Self::release) on the async face.
    pub(crate) async fn release_async(&self, store: &dyn AsyncKvStorage) -> Result<bool> {
        store.compare_and_delete(&self.key, &self.token).await
    }

    /// Keeps the lock alive from a task of the current tokio runtime until the returned guard
    /// is dropped. On a current-thread runtime the heartbeat runs only while the computation
    /// awaits: a computation that blocks its thread for longer than the lock's lifetime should
    /// run on a multi-thread runtime or in `spawn_blocking`.
    pub(crate) fn heartbeat_async(&self, store: &Arc<dyn AsyncKvStorage>) -> HeartbeatGuard {
        let (lock, store) = (self.clone(), store.clone());
        let task = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(lock.heartbeat()).await;
                    let extended = store
                        .compare_and_set(&lock.key, Some(&lock.token), &lock.token, Some(lock.ttl))
                        .await;
                    if !matches!(extended, Ok(true)) {
                        return;
                    }
                }
            })
        });
        HeartbeatGuard(task)
    }
}

/// Stops an async heartbeat when dropped.
pub(crate) struct HeartbeatGuard(Option<tokio::task::JoinHandle<()>>);

impl Drop for HeartbeatGuard {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::new_token;

    #[test]
    fn tokens_are_unique() {
        let tokens: std::collections::HashSet<Vec<u8>> = (0..10_000).map(|_| new_token()).collect();
        assert_eq!(tokens.len(), 10_000);
    }
}
