//! [`ErrorKind`]: what a caller can do about an [`Error`](crate::Error), whatever the backend.

use std::fmt;
use std::io;

/// The kind of an [`Error`](crate::Error): the same for every backend, so a caller reacts to
/// "the server is unreachable" or "the value is too large" without knowing which driver said
/// it. Each backend maps its driver's errors to these kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The store cannot be reached or is not serving now: connection refused or dropped,
    /// server loading or failing over, requests throttled. Retryable.
    Unavailable,
    /// No answer in time: a response timeout, a lock wait that ran out. Retryable.
    TimedOut,
    /// Another writer got in the way (a write conflict, a transaction aborted by another).
    /// Retryable.
    Conflict,
    /// The credentials are wrong or lack a permission (file modes, ACLs, IAM).
    PermissionDenied,
    /// Something the operation needs does not exist: a table, a directory, a bucket.
    NotFound,
    /// Stored bytes that are not valid: corrupt, tampered with, unsigned, another serializer's.
    InvalidData,
    /// An argument the store refuses: a bad TTL, a bad namespace, a value that cannot be
    /// serialized.
    InvalidInput,
    /// A limit was passed: a key or value too large, a full disk, a server out of memory.
    LimitExceeded,
    /// The operation is not possible here (a blocking call inside an async runtime, a feature
    /// the server lacks).
    Unsupported,
    /// The configuration is wrong: a bad URL, a missing option.
    Config,
    /// Anything else the driver reported.
    Other,
}

impl ErrorKind {
    /// Whether trying the same call again later can succeed: [`Unavailable`](Self::Unavailable),
    /// [`TimedOut`](Self::TimedOut) and [`Conflict`](Self::Conflict).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Unavailable | ErrorKind::TimedOut | ErrorKind::Conflict
        )
    }

    /// The kind of an operating-system error.
    pub fn of_io(error: &io::Error) -> ErrorKind {
        match error.kind() {
            io::ErrorKind::NotFound => ErrorKind::NotFound,
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                ErrorKind::PermissionDenied
            }
            io::ErrorKind::TimedOut => ErrorKind::TimedOut,
            io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ResourceBusy => ErrorKind::Unavailable,
            io::ErrorKind::StorageFull
            | io::ErrorKind::QuotaExceeded
            | io::ErrorKind::FileTooLarge
            | io::ErrorKind::OutOfMemory => ErrorKind::LimitExceeded,
            io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => ErrorKind::InvalidData,
            io::ErrorKind::InvalidInput
            | io::ErrorKind::InvalidFilename
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::IsADirectory => ErrorKind::InvalidInput,
            io::ErrorKind::Unsupported => ErrorKind::Unsupported,
            _ => ErrorKind::Other,
        }
    }

    /// The kind as a metric label or log field value, in snake case (`unavailable`,
    /// `timed_out`, `permission_denied`, …), as the Prometheus conventions want label values.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::TimedOut => "timed_out",
            ErrorKind::Conflict => "conflict",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidData => "invalid_data",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Config => "config",
            ErrorKind::Other => "other",
        }
    }

    /// A short lowercase name (`unavailable`, `timed out`, …), as shown in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::TimedOut => "timed out",
            ErrorKind::Conflict => "conflict",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::NotFound => "not found",
            ErrorKind::InvalidData => "invalid data",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Config => "configuration",
            ErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_kinds_are_retryable() {
        let retryable: Vec<ErrorKind> = [
            ErrorKind::Unavailable,
            ErrorKind::TimedOut,
            ErrorKind::Conflict,
            ErrorKind::PermissionDenied,
            ErrorKind::NotFound,
            ErrorKind::InvalidData,
            ErrorKind::InvalidInput,
            ErrorKind::LimitExceeded,
            ErrorKind::Unsupported,
            ErrorKind::Config,
            ErrorKind::Other,
        ]
        .into_iter()
        .filter(|kind| kind.is_retryable())
        .collect();
        assert_eq!(
            retryable,
            [
                ErrorKind::Unavailable,
                ErrorKind::TimedOut,
                ErrorKind::Conflict
            ]
        );
    }

    #[test]
    fn io_errors_map_by_kind() {
        let kind = |k: io::ErrorKind| ErrorKind::of_io(&io::Error::from(k));
        assert_eq!(kind(io::ErrorKind::NotFound), ErrorKind::NotFound);
        assert_eq!(
            kind(io::ErrorKind::PermissionDenied),
            ErrorKind::PermissionDenied
        );
        assert_eq!(kind(io::ErrorKind::StorageFull), ErrorKind::LimitExceeded);
        assert_eq!(kind(io::ErrorKind::ConnectionReset), ErrorKind::Unavailable);
        assert_eq!(kind(io::ErrorKind::Other), ErrorKind::Other);
    }
}
