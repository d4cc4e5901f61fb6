//! [`BlockingAdapter`]: an async [`AsyncKvStorage`] used from plain threads.

use std::future::Future;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::async_storage::BoxStream;
use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;
use crate::storage::BoxIter;
use crate::traits::{AsyncKvStorage, KvStorage, Store, StoreInfo};

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
    ///
    /// Called from async code it behaves as every call of the adapter does: on a multi-thread
    /// runtime it moves the blocking off the worker, on a current-thread runtime it returns
    /// [`Error::BlockingInAsyncContext`] (open the async store there instead); it never panics.
    pub fn open<F, Fut>(open: F) -> Result<Self>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<A>>,
    {
        let runtime = adapter_runtime()?;
        let handle = runtime.handle().clone();
        // In its slot from here on: dropped on any path, it shuts down in the background, which
        // never panics inside another runtime.
        let runtime = Arc::new(RuntimeSlot::Owned(Some(runtime), handle));
        let store = block_on_handle(runtime.handle(), open())??;
        Ok(BlockingAdapter {
            runtime,
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
        block_on_handle(self.runtime.handle(), future)
    }
}

/// Runs `future` to completion on this thread with `handle`'s drivers: directly on a plain
/// thread, through `block_in_place` on a worker of a multi-thread runtime, and not at all on a
/// current-thread runtime, whose only thread it would block
/// ([`Error::BlockingInAsyncContext`]).
fn block_on_handle<F: Future>(handle: &Handle, future: F) -> Result<F::Output> {
    match Handle::try_current() {
        Err(_) => Ok(handle.block_on(future)),
        Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
            Ok(tokio::task::block_in_place(|| handle.block_on(future)))
        }
        Ok(_) => Err(Error::BlockingInAsyncContext),
    }
}

/// A listing of the async store, driven item by item on the calling thread.
struct BlockingItems<'a, A: ?Sized, T> {
    adapter: &'a BlockingAdapter<A>,
    stream: BoxStream<'a, T>,
}

impl<A: AsyncKvStorage + ?Sized + 'static, T> Iterator for BlockingItems<'_, A, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.adapter.block_on(self.stream.next()) {
            Ok(next) => next,
            Err(error) => Some(Err(error)),
        }
    }
}

impl<A: AsyncKvStorage + ?Sized> Store for BlockingAdapter<A> {
    fn info(&self) -> StoreInfo<'_> {
        self.inner.info()
    }
}

/// Implements [`KvStorage`] for [`BlockingAdapter`] from the list of operations.
macro_rules! blocking_adapter {
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
        impl<A: AsyncKvStorage + ?Sized + 'static> KvStorage for BlockingAdapter<A> {
            $(
                fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    self.block_on(self.inner.$name($($arg),*))?
                }
            )*

            $(
                fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxIter<'_, $item>> {
                    let stream = self.block_on(self.inner.$list_name($($list_arg),*))??;
                    Ok(Box::new(BlockingItems {
                        adapter: self,
                        stream,
                    }))
                }
            )*
        }
    };
}

crate::kv_operations!(blocking_adapter);
