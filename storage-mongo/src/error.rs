//! Driver errors mapped to the family's error.

use mongodb::error::{ErrorKind, WriteFailure};
use storage_core::Error;

pub(crate) const BACKEND: &str = "mongodb";

/// Whether trying again can help: network failures, no server available, a pool reset.
pub(crate) fn is_retryable(error: &mongodb::error::Error) -> bool {
    matches!(
        *error.kind,
        ErrorKind::Io(_)
            | ErrorKind::ServerSelection { .. }
            | ErrorKind::ConnectionPoolCleared { .. }
    ) || error.contains_label("RetryableWriteError")
        || error.contains_label("TransientTransactionError")
}

/// Whether the server refused a write because the `_id` exists (code 11000).
pub(crate) fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    match &*error.kind {
        ErrorKind::Write(WriteFailure::WriteError(write)) => write.code == 11000,
        ErrorKind::Command(command) => command.code == 11000,
        _ => false,
    }
}

/// Maps a driver error for `operation`.
pub(crate) fn mongo_error(operation: &'static str) -> impl Fn(mongodb::error::Error) -> Error {
    move |error| Error::backend(BACKEND, operation, is_retryable(&error), error)
}
