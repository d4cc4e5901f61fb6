//! [`MemoError`].

use std::fmt;

/// Why a memoized call returned no value.
#[derive(Debug)]
#[non_exhaustive]
pub enum MemoError<E> {
    /// The function failed (while the caller was waiting for it).
    Function(E),
    /// The function panicked (while the caller was waiting for it).
    Panicked(String),
    /// The value is missing, the cache does not wait, and no default is configured; a
    /// computation was started in the background.
    NoDefault,
    /// The store failed.
    Storage(anykv_core::Error),
    /// Another caller's computation did not finish within
    /// [`MemoOptions::max_wait`](crate::MemoOptions::max_wait), and the options say to fail.
    WaitTimedOut(std::time::Duration),
}

impl<E: fmt::Display> fmt::Display for MemoError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemoError::Function(error) => write!(f, "the memoized function failed: {error}"),
            MemoError::Panicked(message) => write!(f, "the memoized function panicked: {message}"),
            MemoError::NoDefault => f.write_str(
                "no cached value yet and no default configured; computing in the background",
            ),
            MemoError::Storage(error) => write!(f, "cache storage failed: {error}"),
            MemoError::WaitTimedOut(waited) => write!(
                f,
                "waited {waited:?} for another caller's computation, which has not finished"
            ),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for MemoError<E> {}

impl<E> From<anykv_core::Error> for MemoError<E> {
    fn from(error: anykv_core::Error) -> Self {
        MemoError::Storage(error)
    }
}

/// The message of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_owned())
}
