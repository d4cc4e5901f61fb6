//! [`memoize!`](crate::memoize): a memoized function in the shape of Python's decorator.

/// Defines a function whose results are cached in a [`Memo`](crate::Memo) (a plain `fn`) or an
/// [`AsyncMemo`](crate::AsyncMemo) (an `async fn`), keyed by its arguments (which must be
/// `Serialize + Clone + Send + 'static`). It returns `Result<T, MemoError<E>>` for a body of
/// `Result<T, E>`.
///
/// `key (a, b)` after `using MEMO` keys the cache on those arguments only (they must be
/// `Serialize + Clone`; the others, a client or a logger say, need not be `Serialize` and do not
/// select the entry; every argument is still `Send + 'static`, as the body may run in the
/// background), as rediscache's key functions do:
///
/// ```
/// use std::sync::{Arc, LazyLock};
/// use std::time::Duration;
/// use anykv_core::MemoryStorage;
/// use anykv_memo::{memoize, Memo, MemoOptions};
///
/// struct Client;
/// static PAGES: LazyLock<Memo<String>> = LazyLock::new(|| {
///     let options = MemoOptions::new("page", Duration::from_secs(60), Duration::from_secs(3600));
///     Memo::new(Arc::new(MemoryStorage::new()), options)
/// });
///
/// memoize! {
///     fn page(client: Arc<Client>, id: u32, trace: bool) -> Result<String, std::io::Error>
///         using PAGES, key (id), invalidate forget_page => {
///         let _ = (client, trace);
///         Ok(format!("page {id}"))
///     }
/// }
///
/// let client = Arc::new(Client);
/// assert_eq!(page(client.clone(), 7, false)?, "page 7");
/// assert_eq!(page(client.clone(), 7, true)?, "page 7");
/// assert_eq!(PAGES.stats().refresh, 1);
/// assert!(forget_page(client, 7, true)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Two optional clauses after `using MEMO` (and `key`) name companion functions with the same arguments:
/// `bypass NAME` runs the body without the cache (nothing read, nothing stored) and returns
/// its `Result<T, E>`; `invalidate NAME` forgets the cached value of those arguments and
/// returns whether there was one (`anykv_core::Result<bool>`).
///
/// ```
/// use std::sync::{Arc, LazyLock};
/// use std::time::Duration;
/// use anykv_core::MemoryStorage;
/// use anykv_memo::{memoize, Memo, MemoOptions};
///
/// static SQUARES: LazyLock<Memo<u64>> = LazyLock::new(|| {
///     let options = MemoOptions::new("square", Duration::from_secs(60), Duration::from_secs(3600));
///     Memo::new(Arc::new(MemoryStorage::new()), options)
/// });
///
/// memoize! {
///     /// n², cached.
///     pub fn square(n: u64) -> Result<u64, std::io::Error>
///         using SQUARES, bypass square_uncached, invalidate forget_square => {
///         Ok(n * n)
///     }
/// }
///
/// assert_eq!(square(12)?, 144);
/// assert_eq!(square(12)?, 144);
/// assert_eq!(SQUARES.stats().refresh, 1);
/// assert_eq!(square_uncached(12)?, 144);
/// assert!(forget_square(12)?);
/// assert!(!forget_square(12)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The async face, on an `AsyncMemo` (the body is an async block):
///
/// ```
/// use std::sync::{Arc, LazyLock};
/// use std::time::Duration;
/// use anykv_core::{AsyncAdapter, AsyncKvStorage, MemoryStorage};
/// use anykv_memo::{memoize, AsyncMemo, MemoOptions};
///
/// static LENGTHS: LazyLock<AsyncMemo<usize>> = LazyLock::new(|| {
///     let options = MemoOptions::new("length", Duration::from_secs(60), Duration::from_secs(3600));
///     let store: Arc<dyn AsyncKvStorage> = Arc::new(AsyncAdapter::new(MemoryStorage::new()));
///     AsyncMemo::new(store, options)
/// });
///
/// memoize! {
///     async fn length(text: String) -> Result<usize, std::io::Error>
///         using LENGTHS, invalidate forget_length => {
///         Ok(text.len())
///     }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// assert_eq!(length("four".into()).await?, 4);
/// assert_eq!(length("four".into()).await?, 4);
/// assert_eq!(LENGTHS.stats().refresh, 1);
/// assert!(forget_length("four".into()).await?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[macro_export]
macro_rules! memoize {
    (
        $(#[$attr:meta])*
        $vis:vis async fn $name:ident $params:tt -> Result<$value:ty, $error:ty>
        using $memo:expr $(, key $key:tt)? $(, bypass $bypass:ident)? $(, invalidate $invalidate:ident)? => $body:block
    ) => {
        $crate::memoize!(@all [$(#[$attr])*] [$vis] [async] [.await] [$(key $key)?] [$($bypass)?] [$($invalidate)?]
            $name $params, $value, $error, $memo, $body);
    };
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident $params:tt -> Result<$value:ty, $error:ty>
        using $memo:expr $(, key $key:tt)? $(, bypass $bypass:ident)? $(, invalidate $invalidate:ident)? => $body:block
    ) => {
        $crate::memoize!(@all [$(#[$attr])*] [$vis] [] [] [$(key $key)?] [$($bypass)?] [$($invalidate)?]
            $name $params, $value, $error, $memo, $body);
    };
    (@all $attrs:tt $vis:tt $async:tt $await:tt $key:tt [$($bypass:ident)?] [$($invalidate:ident)?]
        $name:ident $params:tt, $value:ty, $error:ty, $memo:expr, $body:block) => {
        $crate::memoize!(@cached $attrs $vis $async $await $key $name $params, $value, $error, $memo, $body);
        $($crate::memoize!(@bypass $vis $async $await $bypass $name $params, $value, $error, $memo, $body);)?
        $($crate::memoize!(@invalidate $vis $async $await $key $invalidate $name $params, $memo);)?
    };
    (@cached [$($attr:tt)*] [$vis:vis] [$($async:tt)?] [$($await:tt)*] [$($key:tt)*] $name:ident
        ($($arg:ident : $ty:ty),* $(,)?), $value:ty, $error:ty, $memo:expr, $body:block) => {
        $($attr)*
        $vis $($async)? fn $name($($arg: $ty),*)
            -> ::std::result::Result<$value, $crate::MemoError<$error>> {
            let key = $crate::memoize!(@key [$($key)*] $($arg),*);
            $memo.call(&key, $crate::memoize!(@body [$($async)?] $value, $error, $body))$($await)*
        }
    };
    (@key [] $($arg:ident),*) => {
        ($(::std::clone::Clone::clone(&$arg),)*)
    };
    (@key [key ($($key:ident),* $(,)?)] $($arg:ident),*) => {
        ($(::std::clone::Clone::clone(&$key),)*)
    };
    (@bypass [$vis:vis] [$($async:tt)?] [$($await:tt)*] $bypass:ident $name:ident
        ($($arg:ident : $ty:ty),* $(,)?), $value:ty, $error:ty, $memo:expr, $body:block) => {
        #[doc = concat!("[`", stringify!($name), "`] without its cache: the body runs, nothing is read or stored.")]
        $vis $($async)? fn $bypass($($arg: $ty),*) -> ::std::result::Result<$value, $error> {
            $memo.bypass($crate::memoize!(@body [$($async)?] $value, $error, $body))$($await)*
        }
    };
    (@invalidate [$vis:vis] [$($async:tt)?] [$($await:tt)*] [$($key:tt)*] $invalidate:ident $name:ident
        ($($arg:ident : $ty:ty),* $(,)?), $memo:expr) => {
        #[doc = concat!("Forgets the cached value of [`", stringify!($name), "`] for these arguments; whether there was one.")]
        $vis $($async)? fn $invalidate($($arg: $ty),*) -> $crate::__private::Result<bool> {
            $memo.invalidate(&$crate::memoize!(@key [$($key)*] $($arg),*))$($await)*
        }
    };
    (@body [] $value:ty, $error:ty, $body:block) => {
        move || -> ::std::result::Result<$value, $error> { $body }
    };
    (@body [async] $value:ty, $error:ty, $body:block) => {
        move || async move {
            let result: ::std::result::Result<$value, $error> = async move { $body }.await;
            result
        }
    };
}
