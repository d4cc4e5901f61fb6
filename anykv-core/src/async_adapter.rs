//! [`AsyncAdapter`]: a sync [`KvStorage`] used from async code without blocking the executor.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream;

use crate::async_storage::BoxStream;
use crate::entry::SetEntry;
use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;
use crate::storage::BoxIter;
use crate::traits::{AsyncKvStorage, KvStorage, Store, StoreInfo};

/// Records buffered between a scan's producer thread and the async consumer.
const SCAN_BUFFER: usize = 64;

/// Runs a sync store's calls on tokio's blocking thread pool (or a plain thread when no tokio
/// runtime is running), so async callers never block their executor.
///
/// ```
/// use anykv_core::{AsyncAdapter, AsyncKvStorage, MemoryStorage};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = AsyncAdapter::new(MemoryStorage::new());
/// store.set("k", b"v", None).await?;
/// assert_eq!(store.get("k").await?, Some(b"v".to_vec()));
/// # Ok::<(), anykv_core::Error>(()) }).unwrap();
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

/// Makes an argument of each kind owned, to move it to the thread that runs the call.
macro_rules! owned_arg {
    (key $arg:ident) => {
        let $arg = $arg.to_owned();
    };
    (value $arg:ident) => {
        let $arg = $arg.to_vec();
    };
    (expected $arg:ident) => {
        let $arg = $arg.to_vec();
    };
    (maybe_expected $arg:ident) => {
        let $arg = $arg.map(<[u8]>::to_vec);
    };
    (keys $arg:ident) => {
        let $arg: Vec<String> = $arg.iter().map(|key| (*key).to_owned()).collect();
    };
    (pairs $arg:ident) => {
        let $arg: Vec<(String, Vec<u8>)> = $arg
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.to_vec()))
            .collect();
    };
    (entries $arg:ident) => {
        let $arg: Vec<(String, Vec<u8>, Option<Duration>)> = $arg
            .iter()
            .map(|entry| (entry.key.to_owned(), entry.value.to_vec(), entry.ttl))
            .collect();
    };
    (scan $arg:ident) => {
        let $arg = ($arg.prefix(""), $arg.key_prefix().to_owned());
    };
    ($kind:ident $arg:ident) => {};
}

/// Borrows an argument made owned by `owned_arg!` as the store's method takes it.
macro_rules! borrowed_arg {
    (key $arg:ident) => {
        let $arg: &str = &$arg;
    };
    (value $arg:ident) => {
        let $arg: &[u8] = &$arg;
    };
    (expected $arg:ident) => {
        let $arg: &[u8] = &$arg;
    };
    (maybe_expected $arg:ident) => {
        let $arg = $arg.as_deref();
    };
    (keys $arg:ident) => {
        let $arg: Vec<&str> = $arg.iter().map(String::as_str).collect();
        let $arg = &$arg[..];
    };
    (pairs $arg:ident) => {
        let $arg: Vec<(&str, &[u8])> = $arg
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_slice()))
            .collect();
        let $arg = &$arg[..];
    };
    (entries $arg:ident) => {
        let $arg: Vec<SetEntry<'_>> = $arg
            .iter()
            .map(|(key, value, ttl)| SetEntry::new(key, value, *ttl))
            .collect();
        let $arg = &$arg[..];
    };
    (scan $arg:ident) => {
        let $arg = $arg.0.prefix(&$arg.1);
    };
    ($kind:ident $arg:ident) => {};
}

impl<S: KvStorage + ?Sized + 'static> AsyncAdapter<S> {
    /// Opens a listing of the sync store on another thread, which feeds its items to the
    /// returned stream (at most [`SCAN_BUFFER`] ahead of it) and stops when the stream is
    /// dropped.
    fn listing<T, F>(&self, operation: &'static str, open: F) -> Result<BoxStream<'_, T>>
    where
        T: Send + 'static,
        F: for<'s> FnOnce(&'s S) -> Result<BoxIter<'s, T>> + Send + 'static,
    {
        let (sender, receiver) = tokio::sync::mpsc::channel(SCAN_BUFFER);
        let store = self.inner.clone();
        let producer = move || match open(&store) {
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
            }
            Ok(items) => {
                for item in items {
                    if sender.blocking_send(item).is_err() {
                        break;
                    }
                }
            }
        };
        // The producer ends on its own when the stream is dropped (its sends fail).
        spawn_detached(producer).map_err(|reason| {
            Error::backend(self.backend_name(), operation, ErrorKind::Other, reason)
        })?;
        Ok(Box::pin(stream::unfold(
            receiver,
            |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
        )))
    }
}

impl<S: KvStorage + ?Sized> Store for AsyncAdapter<S> {
    fn info(&self) -> StoreInfo<'_> {
        self.inner.info()
    }
}

/// Implements [`AsyncKvStorage`] for [`AsyncAdapter`] from the list of operations.
macro_rules! async_adapter {
    (
        []
        calls {$(
            $(#[$doc:meta])*
            $variant:ident $name:ident ($($arg:ident : $ty:ty as $kind:ident),*) -> $out:ty
            [$($flag:ident)*];
        )*}
        listings {$(
            $(#[$list_doc:meta])*
            $list_variant:ident $list_name:ident ($($list_arg:ident : $list_ty:ty as $list_kind:ident),*)
            -> $item:ty [$($list_flag:ident)*];
        )*}
    ) => {
        #[async_trait]
        impl<S: KvStorage + ?Sized + 'static> AsyncKvStorage for AsyncAdapter<S> {
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    $(owned_arg!($kind $arg);)*
                    self.run(stringify!($name), move |store| {
                        $(borrowed_arg!($kind $arg);)*
                        store.$name($($arg),*)
                    })
                    .await
                }
            )*

            $(
                async fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxStream<'_, $item>> {
                    $(owned_arg!($list_kind $list_arg);)*
                    self.listing(stringify!($list_name), move |store| {
                        $(borrowed_arg!($list_kind $list_arg);)*
                        store.$list_name($($list_arg),*)
                    })
                }
            )*
        }
    };
}

crate::kv_operations!(async_adapter);
