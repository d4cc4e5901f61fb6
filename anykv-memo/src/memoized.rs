//! [`Memoized`]: a function and its cache, called like the function.

use std::fmt::Display;
use std::sync::Arc;

use anykv_core::{Postcard, Serializer};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::MemoError;
use crate::memo::Memo;

/// A function of `A` wrapped with a [`Memo`]: `memoized.call(args)` is the cached
/// `function(args)`, the cache key built from `args`.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use anykv_core::MemoryStorage;
/// use anykv_memo::{Memo, MemoOptions, Memoized};
///
/// let options = MemoOptions::new("greeting", Duration::from_secs(60), Duration::from_secs(600));
/// let greet = Memoized::new(Memo::new(Arc::new(MemoryStorage::new()), options), |name: String| {
///     Ok::<_, std::fmt::Error>(format!("hello {name}"))
/// });
/// assert_eq!(greet.call("ada".to_owned())?, "hello ada");
/// assert_eq!(greet.call("ada".to_owned())?, "hello ada");
/// assert_eq!(greet.memo().stats().refresh, 1);
/// # Ok::<(), anykv_memo::MemoError<std::fmt::Error>>(())
/// ```
pub struct Memoized<A, T, E, C = Postcard> {
    memo: Memo<T, C>,
    function: Arc<dyn Fn(A) -> Result<T, E> + Send + Sync>,
}

impl<A, T, E, C> Memoized<A, T, E, C>
where
    A: Serialize + Clone + Send + 'static,
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    E: Display + Send + 'static,
    C: Serializer + 'static,
{
    /// Wraps `function` with `memo`.
    pub fn new(
        memo: Memo<T, C>,
        function: impl Fn(A) -> Result<T, E> + Send + Sync + 'static,
    ) -> Self {
        Memoized {
            memo,
            function: Arc::new(function),
        }
    }

    /// The cached result of `function(args)`.
    pub fn call(&self, args: A) -> Result<T, MemoError<E>> {
        let function = self.function.clone();
        let key_args = args.clone();
        self.memo.call(&key_args, move || function(args))
    }

    /// `function(args)` without the cache.
    pub fn bypass(&self, args: A) -> Result<T, E> {
        (self.function)(args)
    }

    /// The cache.
    pub fn memo(&self) -> &Memo<T, C> {
        &self.memo
    }
}
