//! Driver errors mapped to the family's error.

use anykv_core::{Error, ErrorKind};
use redis::{RedisError, ServerErrorKind};

pub(crate) const BACKEND: &str = "redis";

/// The kind of a driver error: lost connections, refusals and a cluster in flux are
/// unavailable, timeouts timed out, ACL and authentication failures permission denied, a
/// server out of memory a limit exceeded.
pub(crate) fn kind_of(error: &RedisError) -> ErrorKind {
    if error.is_timeout() {
        return ErrorKind::TimedOut;
    }
    if error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_cluster_error()
    {
        return ErrorKind::Unavailable;
    }
    match error.kind() {
        redis::ErrorKind::Server(
            ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown
            | ServerErrorKind::MasterDown
            | ServerErrorKind::BusyLoading
            | ServerErrorKind::ReadOnly,
        )
        | redis::ErrorKind::ClusterConnectionNotFound => ErrorKind::Unavailable,
        redis::ErrorKind::Server(ServerErrorKind::NoPerm)
        | redis::ErrorKind::AuthenticationFailed => ErrorKind::PermissionDenied,
        redis::ErrorKind::InvalidClientConfig => ErrorKind::Config,
        redis::ErrorKind::Server(ServerErrorKind::ExecAbort) => ErrorKind::Conflict,
        _ => match error.code() {
            Some("OOM") => ErrorKind::LimitExceeded,
            Some("NOAUTH" | "WRONGPASS") => ErrorKind::PermissionDenied,
            _ => ErrorKind::Other,
        },
    }
}

/// Whether trying again can help.
pub(crate) fn is_retryable(error: &RedisError) -> bool {
    kind_of(error).is_retryable()
}

/// Maps a driver error for `operation`.
pub(crate) fn redis_error(operation: &'static str) -> impl Fn(RedisError) -> Error {
    move |error| Error::backend(BACKEND, operation, kind_of(&error), error)
}

/// The error for a call that outlived the response timeout.
pub(crate) fn timed_out(operation: &'static str) -> Error {
    Error::backend(
        BACKEND,
        operation,
        ErrorKind::TimedOut,
        "no reply within the response timeout",
    )
}

/// The error for a reply of an unexpected shape.
pub(crate) fn unexpected(operation: &'static str, what: impl std::fmt::Debug) -> Error {
    Error::backend(
        BACKEND,
        operation,
        ErrorKind::Other,
        format!("unexpected reply: {what:?}"),
    )
}
