//! A lease: a lock entry in a store, shared by every thread, process and host using the store.
//!
//! A lease is an entry holding a token that names its owner: taken with
//! [`compare_and_set`](crate::KvStorage::compare_and_set) expecting nothing, kept alive by its
//! owner while the work runs (a heartbeat rewrites it, expecting its own token, every third of
//! its lifetime), and released with [`compare_and_delete`](crate::KvStorage::compare_and_delete)
//! of its own token. So only the owner extends or releases it: slow work keeps its lease however
//! long it runs, and only a crashed owner's lease runs out, after the lease's lifetime.
//!
//! It works on every backend, because it needs only the atomic conditional writes every store
//! has. The function cache (`anykv-memo`) runs one computation per key with it, the HTTP cache
//! (`anykv-http`) one origin fetch per URL.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use anykv_core::lease::Lease;
//! use anykv_core::{KvStorage, MemoryStorage};
//!
//! let store: Arc<dyn KvStorage> = Arc::new(MemoryStorage::new());
//! let mine = Lease::new("lock:report", Duration::from_secs(10));
//! let theirs = Lease::new("lock:report", Duration::from_secs(10));
//! assert!(mine.acquire(store.as_ref())?);
//! assert!(!theirs.acquire(store.as_ref())?, "held by another owner");
//! let total = mine.hold_while(&store, || 6 * 7); // the heartbeat runs meanwhile
//! assert_eq!(total, 42);
//! assert!(!theirs.release(store.as_ref())?, "only the owner releases");
//! assert!(mine.release(store.as_ref())?);
//! assert!(theirs.acquire(store.as_ref())?);
//! # Ok::<(), anykv_core::Error>(())
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{AsyncKvStorage, KvStorage, Result};

/// A lease entry and the token of its would-be owner. Clones share the token: they are the
/// same owner.
#[derive(Debug, Clone)]
pub struct Lease {
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

impl Lease {
    /// A new owner's attempt at the lease entry `key`, which lives `ttl` unless its owner
    /// extends it (at least 3 ms).
    pub fn new(key: &str, ttl: Duration) -> Self {
        let ttl = ttl.max(Duration::from_millis(3));
        Lease {
            key: key.to_owned(),
            token: new_token(),
            ttl,
        }
    }

    /// The lease entry's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// This owner's token: the value of the lease entry while this owner holds it.
    pub fn token(&self) -> &[u8] {
        &self.token
    }

    /// How long the lease lives without a heartbeat.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How often the owner extends its lease: three times per lifetime, so two late beats in a
    /// row still leave it held.
    fn heartbeat(&self) -> Duration {
        (self.ttl / 3).max(Duration::from_millis(1))
    }

    /// Takes the lease; `false` if another owner holds it.
    pub fn acquire(&self, store: &dyn KvStorage) -> Result<bool> {
        store.compare_and_set(&self.key, None, &self.token, Some(self.ttl))
    }

    /// Gives a new lifetime to the lease if this owner still holds it; `false` if it does not.
    pub fn extend(&self, store: &dyn KvStorage) -> Result<bool> {
        store.compare_and_set(&self.key, Some(&self.token), &self.token, Some(self.ttl))
    }

    /// Releases the lease if this owner still holds it; never another owner's. `false` if it
    /// did not hold it (it ran out, or was never taken).
    pub fn release(&self, store: &dyn KvStorage) -> Result<bool> {
        store.compare_and_delete(&self.key, &self.token)
    }

    /// Runs `work` while a heartbeat thread keeps the lease alive (it stops extending once the
    /// lease is lost or the store fails).
    pub fn hold_while<R>(&self, store: &Arc<dyn KvStorage>, work: impl FnOnce() -> R) -> R {
        std::thread::scope(|scope| {
            let (stop, stopped) = mpsc::channel::<()>();
            scope.spawn(move || loop {
                match stopped.recv_timeout(self.heartbeat()) {
                    Err(RecvTimeoutError::Timeout) => {
                        // Lost (or unreachable): the lease is no longer ours to keep.
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
    pub async fn acquire_async(&self, store: &dyn AsyncKvStorage) -> Result<bool> {
        store
            .compare_and_set(&self.key, None, &self.token, Some(self.ttl))
            .await
    }

    /// [`extend`](Self::extend) on the async face.
    pub async fn extend_async(&self, store: &dyn AsyncKvStorage) -> Result<bool> {
        store
            .compare_and_set(&self.key, Some(&self.token), &self.token, Some(self.ttl))
            .await
    }

    /// [`release`](Self::release) on the async face.
    pub async fn release_async(&self, store: &dyn AsyncKvStorage) -> Result<bool> {
        store.compare_and_delete(&self.key, &self.token).await
    }

    /// Keeps the lease alive from a task of the current tokio runtime until the returned guard
    /// is dropped (outside a runtime, nothing keeps it alive). On a current-thread runtime the
    /// heartbeat runs only while the work awaits: work that blocks its thread for longer than
    /// the lease's lifetime should run on a multi-thread runtime or in `spawn_blocking`.
    pub fn heartbeat_async(&self, store: &Arc<dyn AsyncKvStorage>) -> HeartbeatGuard {
        let (lock, store) = (self.clone(), store.clone());
        let task = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(lock.heartbeat()).await;
                    if !matches!(lock.extend_async(store.as_ref()).await, Ok(true)) {
                        return;
                    }
                }
            })
        });
        HeartbeatGuard(task)
    }
}

/// Stops an async heartbeat when dropped.
#[derive(Debug)]
#[must_use = "the heartbeat stops when the guard is dropped"]
pub struct HeartbeatGuard(Option<tokio::task::JoinHandle<()>>);

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
