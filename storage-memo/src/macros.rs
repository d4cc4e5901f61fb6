//! [`memoize!`](crate::memoize): a memoized function in the shape of Python's decorator.

/// Defines a function whose results are cached in a [`Memo`](crate::Memo), keyed by its
/// arguments (which must be `Serialize + Clone + Send + 'static`).
///
/// ```
/// use std::sync::{Arc, LazyLock};
/// use std::time::Duration;
/// use storage_core::MemoryStorage;
/// use storage_memo::{memoize, Memo, MemoOptions};
///
/// static SQUARES: LazyLock<Memo<u64>> = LazyLock::new(|| {
///     let options = MemoOptions::new("square", Duration::from_secs(60), Duration::from_secs(3600));
///     Memo::new(Arc::new(MemoryStorage::new()), options)
/// });
///
/// memoize! {
///     /// n², cached.
///     pub fn square(n: u64) -> Result<u64, std::io::Error> using SQUARES => {
///         Ok(n * n)
///     }
/// }
///
/// assert_eq!(square(12)?, 144);
/// assert_eq!(square(12)?, 144);
/// assert_eq!(SQUARES.stats().refresh, 1);
/// # Ok::<(), storage_memo::MemoError<std::io::Error>>(())
/// ```
#[macro_export]
macro_rules! memoize {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> Result<$value:ty, $error:ty>
        using $memo:expr => $body:block
    ) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) -> ::std::result::Result<$value, $crate::MemoError<$error>> {
            let key = ($(::std::clone::Clone::clone(&$arg),)*);
            $memo.call(&key, move || -> ::std::result::Result<$value, $error> { $body })
        }
    };
}
