//! Driver errors mapped to the family's error.

use anykv_core::{At, Error, ErrorKind};
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
        // `SELECT n` beyond the server's `databases`, sent while connecting.
        _ if error.to_string().contains("DB index is out of range") => ErrorKind::Config,
        redis::ErrorKind::Server(ServerErrorKind::ExecAbort) => ErrorKind::Conflict,
        _ => match error.code() {
            Some("OOM") => ErrorKind::LimitExceeded,
            Some("NOAUTH" | "WRONGPASS") => ErrorKind::PermissionDenied,
            _ => ErrorKind::Other,
        },
    }
}

/// Maps a driver error for `operation` on the connection to `target`: errors of the connection
/// itself (refused, dropped, timed out, a configuration the server refuses) name the target;
/// the server's answers to a command do not need to.
pub(crate) fn redis_error_at<'a>(
    operation: &'static str,
    target: &'a str,
) -> impl Fn(RedisError) -> Error + 'a {
    move |error| {
        let kind = kind_of(&error);
        if matches!(
            kind,
            ErrorKind::Unavailable
                | ErrorKind::TimedOut
                | ErrorKind::Config
                | ErrorKind::PermissionDenied
        ) || operation == "connect"
        {
            return Error::backend(BACKEND, operation, kind, At::new(target, error));
        }
        Error::backend(BACKEND, operation, kind, error)
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

/// The error for a call on the connection to `target` that outlived the response timeout.
pub(crate) fn timed_out_at(operation: &'static str, target: &str) -> Error {
    Error::backend(
        BACKEND,
        operation,
        ErrorKind::TimedOut,
        format!("{target}: no reply within the response timeout"),
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
