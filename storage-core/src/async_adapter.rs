//! [`AsyncAdapter`]: a sync [`KvStorage`] used from async code without blocking the executor.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream;

use crate::async_storage::{AsyncKvStorage, BoxStream};
use crate::entry::{Entry, Record, ScanMode, SetEntry};
use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;
use crate::sorted::{SortBy, SortedEntry};
use crate::storage::{Expiry, KvStorage};

/// Records buffered between a scan's producer thread and the async consumer.
const SCAN_BUFFER: usize = 64;

/// Runs a sync store's calls on tokio's blocking thread pool (or a plain thread when no tokio
/// runtime is running), so async callers never block their executor.
///
/// ```
/// use storage_core::{AsyncAdapter, AsyncKvStorage, MemoryStorage};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = AsyncAdapter::new(MemoryStorage::new());
/// store.set("k", b"v", None).await?;
/// assert_eq!(store.get("k").await?, Some(b"v".to_vec()));
/// # Ok::<(), storage_core::Error>(()) }).unwrap();
/// ```
pub struct AsyncAdapter<S: ?Sized> {
    inner: Arc<S>,
}

impl<S: ?Sized> Clone for AsyncAdapter<S> {
    fn clone(&self) -> Self {
        AsyncAdapter {
            inner: self.inner.clone(),
        }
    }
}

impl<S: KvStorage + 'static> AsyncAdapter<S> {
    /// Wraps `store`.
    pub fn new(store: S) -> Self {
        AsyncAdapter {
            inner: Arc::new(store),
        }
    }
}

impl<S: KvStorage + ?Sized + 'static> AsyncAdapter<S> {
    /// Wraps a shared store; the sync face stays usable through the other `Arc`s.
    pub fn from_arc(store: Arc<S>) -> Self {
        AsyncAdapter { inner: store }
    }

    /// The wrapped sync store.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    async fn run<T, F>(&self, operation: &'static str, call: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&S) -> Result<T> + Send + 'static,
    {
        let store = self.inner.clone();
        let backend = store.backend_name();
        let outcome = run_blocking(move || call(&store)).await;
        outcome.unwrap_or_else(|reason| {
            Err(Error::backend(backend, operation, ErrorKind::Other, reason))
        })
    }
}

/// Runs `work` off the async executor: on tokio's blocking pool inside a tokio runtime, on a new
/// thread otherwise. Fails only if `work` panicked or its thread could not be started.
async fn run_blocking<T, F>(work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        return handle
            .spawn_blocking(work)
            .await
            .map_err(|e| format!("blocking task failed: {e}"));
    }
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("storage-async-adapter".into())
        .spawn(move || {
            let _ = sender.send(work());
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    receiver
        .await
        .map_err(|_| "blocking call panicked".to_owned())
}

/// Starts `work` off the async executor without waiting for it.
fn spawn_detached<F: FnOnce() + Send + 'static>(work: F) -> Result<(), String> {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        drop(handle.spawn_blocking(work));
        return Ok(());
    }
    std::thread::Builder::new()
        .name("storage-async-scan".into())
        .spawn(work)
        .map(drop)
        .map_err(|e| format!("cannot start a thread: {e}"))
}

fn owned_keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|key| (*key).to_owned()).collect()
}

fn borrowed(keys: &[String]) -> Vec<&str> {
    keys.iter().map(String::as_str).collect()
}

#[async_trait]
impl<S: KvStorage + ?Sized + 'static> AsyncKvStorage for AsyncAdapter<S> {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    fn max_value_len(&self) -> usize {
        self.inner.max_value_len()
    }

    fn namespace_name(&self) -> Option<&str> {
        self.inner.namespace_name()
    }

    async fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        let key = key.to_owned();
        self.run("get", move |s| s.get_entry(&key)).await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let (key, value) = (key.to_owned(), value.to_vec());
        self.run("set", move |s| s.set(&key, &value, ttl)).await
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let (key, value) = (key.to_owned(), value.to_vec());
        self.run("set_if_absent", move |s| s.set_if_absent(&key, &value, ttl))
            .await
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let (key, value) = (key.to_owned(), value.to_vec());
        let expected = expected.map(<[u8]>::to_vec);
        self.run("compare_and_set", move |s| {
            s.compare_and_set(&key, expected.as_deref(), &value, ttl)
        })
        .await
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        let (key, expected) = (key.to_owned(), expected.to_vec());
        self.run("compare_and_delete", move |s| {
            s.compare_and_delete(&key, &expected)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let key = key.to_owned();
        self.run("delete", move |s| s.delete(&key)).await
    }

    async fn scan(&self, mode: ScanMode) -> Result<BoxStream<'_, Record>> {
        let (sender, receiver) = tokio::sync::mpsc::channel(SCAN_BUFFER);
        let store = self.inner.clone();
        let producer = move || match store.scan(mode) {
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
            }
            Ok(records) => {
                for record in records {
                    if sender.blocking_send(record).is_err() {
                        break;
                    }
                }
            }
        };
        // The producer ends on its own when the stream is dropped (its sends fail).
        spawn_detached(producer).map_err(|reason| {
            Error::backend(self.backend_name(), "scan", ErrorKind::Other, reason)
        })?;
        Ok(Box::pin(stream::unfold(
            receiver,
            |mut receiver| async move { receiver.recv().await.map(|record| (record, receiver)) },
        )))
    }

    async fn clear(&self) -> Result<()> {
        self.run("clear", |s| s.clear()).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let key = key.to_owned();
        self.run("get", move |s| s.get(&key)).await
    }

    async fn contains(&self, key: &str) -> Result<bool> {
        let key = key.to_owned();
        self.run("contains", move |s| s.contains(&key)).await
    }

    async fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        let key = key.to_owned();
        self.run("expiry", move |s| s.expiry(&key)).await
    }

    async fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        let key = key.to_owned();
        self.run("get_stale", move |s| s.get_stale(&key)).await
    }

    async fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        let key = key.to_owned();
        self.run("touch", move |s| s.touch(&key, ttl)).await
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let key = key.to_owned();
        self.run("pop", move |s| s.pop(&key)).await
    }

    async fn len(&self) -> Result<usize> {
        self.run("len", |s| s.len()).await
    }

    async fn len_including_expired(&self) -> Result<usize> {
        self.run("len_including_expired", |s| s.len_including_expired())
            .await
    }

    async fn size(&self) -> Result<Option<u64>> {
        self.run("size", |s| s.size()).await
    }

    async fn sorted(&self, by: SortBy, limit: usize) -> Result<Vec<SortedEntry>> {
        self.run("sorted", move |s| s.sorted(by, limit)).await
    }

    async fn is_empty(&self) -> Result<bool> {
        self.run("is_empty", |s| s.is_empty()).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let keys = owned_keys(keys);
        self.run("get_many", move |s| s.get_many(&borrowed(&keys)))
            .await
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        let owned: Vec<(String, Vec<u8>, Option<Duration>)> = entries
            .iter()
            .map(|e| (e.key.to_owned(), e.value.to_vec(), e.ttl))
            .collect();
        self.run("set_many", move |s| {
            let entries: Vec<SetEntry<'_>> = owned
                .iter()
                .map(|(key, value, ttl)| SetEntry::new(key, value, *ttl))
                .collect();
            s.set_entries(&entries)
        })
        .await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        let keys = owned_keys(keys);
        self.run("delete_many", move |s| s.delete_many(&borrowed(&keys)))
            .await
    }

    async fn purge_expired(&self) -> Result<usize> {
        self.run("purge_expired", |s| s.purge_expired()).await
    }
}
