//! [`BlockingAdapter`]: an async [`AsyncKvStorage`] used from plain threads.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::async_storage::{AsyncKvStorage, BoxStream};
use crate::entry::{Entry, Record, ScanMode, SetEntry};
use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;
use crate::sorted::{SortBy, SortedEntry};
use crate::storage::{Expiry, KvStorage, RecordIter};

/// Drives an async store's calls to completion on the calling thread.
///
/// Works from plain threads and from `spawn_blocking` threads. Called from a thread that is
/// running async tasks it returns [`Error::BlockingInAsyncContext`] on a current-thread runtime,
/// and moves the blocking off the worker (`block_in_place`) on a multi-thread runtime; it never
/// panics.
pub struct BlockingAdapter<A: ?Sized> {
    runtime: Arc<RuntimeSlot>,
    inner: Arc<A>,
}

impl<A: ?Sized> Clone for BlockingAdapter<A> {
    fn clone(&self) -> Self {
        BlockingAdapter {
            runtime: self.runtime.clone(),
            inner: self.inner.clone(),
        }
    }
}

/// The runtime whose I/O and timer drivers serve the adapter's futures.
enum RuntimeSlot {
    /// A runtime the adapter made and owns.
    Owned(Option<Runtime>, Handle),
    /// A runtime somebody else runs.
    Borrowed(Handle),
}

impl RuntimeSlot {
    fn handle(&self) -> &Handle {
        match self {
            RuntimeSlot::Owned(_, handle) | RuntimeSlot::Borrowed(handle) => handle,
        }
    }
}

impl Drop for RuntimeSlot {
    fn drop(&mut self) {
        // Dropping a runtime inside another one panics; shutting it down in the background never does.
        if let RuntimeSlot::Owned(runtime, _) = self {
            if let Some(runtime) = runtime.take() {
                runtime.shutdown_background();
            }
        }
    }
}

/// Builds the small runtime an adapter owns: one worker thread, I/O and timers enabled.
pub fn adapter_runtime() -> Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("storage-blocking-adapter")
        .enable_all()
        .build()
        .map_err(|e| Error::backend("runtime", "start", ErrorKind::of_io(&e), e))
}

impl<A: AsyncKvStorage + 'static> BlockingAdapter<A> {
    /// Wraps `store`, driving it on a runtime of the adapter's own.
    pub fn new(store: A) -> Result<Self> {
        Self::from_arc(Arc::new(store))
    }

    /// Builds the store on the adapter's own runtime (so its connections live there) and wraps it.
    pub fn open<F, Fut>(open: F) -> Result<Self>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<A>>,
    {
        let runtime = adapter_runtime()?;
        let store = runtime.block_on(open())?;
        let handle = runtime.handle().clone();
        Ok(BlockingAdapter {
            runtime: Arc::new(RuntimeSlot::Owned(Some(runtime), handle)),
            inner: Arc::new(store),
        })
    }
}

impl<A: AsyncKvStorage + ?Sized + 'static> BlockingAdapter<A> {
    /// Wraps a shared store, driving it on a runtime of the adapter's own.
    pub fn from_arc(store: Arc<A>) -> Result<Self> {
        let runtime = adapter_runtime()?;
        let handle = runtime.handle().clone();
        Ok(BlockingAdapter {
            runtime: Arc::new(RuntimeSlot::Owned(Some(runtime), handle)),
            inner: store,
        })
    }

    /// Wraps a shared store, driving it with an existing runtime's `handle`.
    pub fn with_handle(store: Arc<A>, handle: Handle) -> Self {
        BlockingAdapter {
            runtime: Arc::new(RuntimeSlot::Borrowed(handle)),
            inner: store,
        }
    }

    /// The wrapped async store.
    pub fn inner(&self) -> &Arc<A> {
        &self.inner
    }

    /// Runs `future` to completion on this thread.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output> {
        let handle = self.runtime.handle();
        match Handle::try_current() {
            Err(_) => Ok(handle.block_on(future)),
            Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
                Ok(tokio::task::block_in_place(|| handle.block_on(future)))
            }
            Ok(_) => Err(Error::BlockingInAsyncContext),
        }
    }
}

struct BlockingRecords<'a, A: ?Sized> {
    adapter: &'a BlockingAdapter<A>,
    stream: BoxStream<'a, Record>,
}

impl<A: AsyncKvStorage + ?Sized + 'static> Iterator for BlockingRecords<'_, A> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.adapter.block_on(self.stream.next()) {
            Ok(next) => next,
            Err(error) => Some(Err(error)),
        }
    }
}

impl<A: AsyncKvStorage + ?Sized + 'static> KvStorage for BlockingAdapter<A> {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    fn max_value_len(&self) -> usize {
        self.inner.max_value_len()
    }

    fn namespace_name(&self) -> Option<&str> {
        self.inner.namespace_name()
    }

    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        self.block_on(self.inner.get_entry(key))?
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.block_on(self.inner.set(key, value, ttl))?
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.block_on(self.inner.set_if_absent(key, value, ttl))?
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        self.block_on(self.inner.compare_and_set(key, expected, value, ttl))?
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        self.block_on(self.inner.compare_and_delete(key, expected))?
    }

    fn delete(&self, key: &str) -> Result<bool> {
        self.block_on(self.inner.delete(key))?
    }

    fn scan(&self, mode: ScanMode) -> Result<RecordIter<'_>> {
        let stream = self.block_on(self.inner.scan(mode))??;
        Ok(Box::new(BlockingRecords {
            adapter: self,
            stream,
        }))
    }

    fn clear(&self) -> Result<()> {
        self.block_on(self.inner.clear())?
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.block_on(self.inner.get(key))?
    }

    fn contains(&self, key: &str) -> Result<bool> {
        self.block_on(self.inner.contains(key))?
    }

    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        self.block_on(self.inner.expiry(key))?
    }

    fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        self.block_on(self.inner.get_stale(key))?
    }

    fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        self.block_on(self.inner.touch(key, ttl))?
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.block_on(self.inner.pop(key))?
    }

    fn len(&self) -> Result<usize> {
        self.block_on(self.inner.len())?
    }

    fn len_including_expired(&self) -> Result<usize> {
        self.block_on(self.inner.len_including_expired())?
    }

    fn size(&self) -> Result<Option<u64>> {
        self.block_on(self.inner.size())?
    }

    fn sorted(&self, by: SortBy, limit: usize) -> Result<Vec<SortedEntry>> {
        self.block_on(self.inner.sorted(by, limit))?
    }

    fn is_empty(&self) -> Result<bool> {
        self.block_on(self.inner.is_empty())?
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        self.block_on(self.inner.get_many(keys))?
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.block_on(self.inner.set_entries(entries))?
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        self.block_on(self.inner.delete_many(keys))?
    }

    fn purge_expired(&self) -> Result<usize> {
        self.block_on(self.inner.purge_expired())?
    }
}
