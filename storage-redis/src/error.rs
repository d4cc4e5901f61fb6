//! Driver errors mapped to the family's error.

use redis::{RedisError, ServerErrorKind};
use storage_core::Error;

pub(crate) const BACKEND: &str = "redis";

/// Whether trying again can help: lost connections, refusals, timeouts, a cluster in flux.
pub(crate) fn is_retryable(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_cluster_error()
        || matches!(
            error.kind(),
            redis::ErrorKind::Server(
                ServerErrorKind::TryAgain
                    | ServerErrorKind::ClusterDown
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::BusyLoading
            )
        )
}

/// Maps a driver error for `operation`.
pub(crate) fn redis_error(operation: &'static str) -> impl Fn(RedisError) -> Error {
    move |error| Error::backend(BACKEND, operation, is_retryable(&error), error)
}

/// The error for a call that outlived the response timeout.
pub(crate) fn timed_out(operation: &'static str) -> Error {
    Error::backend(
        BACKEND,
        operation,
        true,
        "no reply within the response timeout",
    )
}

/// The error for a reply of an unexpected shape.
pub(crate) fn unexpected(operation: &'static str, what: impl std::fmt::Debug) -> Error {
    Error::backend(
        BACKEND,
        operation,
        false,
        format!("unexpected reply: {what:?}"),
    )
}
