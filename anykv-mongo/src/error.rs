//! Driver errors mapped to the family's error.

use anykv_core::{Error, ErrorKind};
use mongodb::error::{ErrorKind as DriverKind, WriteFailure};

pub(crate) const BACKEND: &str = "mongodb";

/// Server error codes and their kinds (MongoDB's `error_codes.yml`).
const CODE_KINDS: &[(i32, ErrorKind)] = &[
    (13, ErrorKind::PermissionDenied), // Unauthorized
    (18, ErrorKind::PermissionDenied), // AuthenticationFailed
    (50, ErrorKind::TimedOut),         // MaxTimeMSExpired
    (112, ErrorKind::Conflict),        // WriteConflict
    (11000, ErrorKind::Conflict),      // DuplicateKey
    (10334, ErrorKind::LimitExceeded), // BSONObjectTooLarge
    (17419, ErrorKind::LimitExceeded), // document too large after update
    (26, ErrorKind::NotFound),         // NamespaceNotFound
    (189, ErrorKind::Unavailable),     // PrimarySteppedDown
    (91, ErrorKind::Unavailable),      // ShutdownInProgress
    (10107, ErrorKind::Unavailable),   // NotWritablePrimary
    (13435, ErrorKind::Unavailable),   // NotPrimaryNoSecondaryOk
    (11600, ErrorKind::Unavailable),   // InterruptedAtShutdown
    (11602, ErrorKind::Unavailable),   // InterruptedDueToReplStateChange
];

/// The kind of a driver error: network failures, no server available and a pool reset are
/// unavailable; server codes map by [`CODE_KINDS`]; retryable labels are unavailable.
pub(crate) fn kind_of(error: &mongodb::error::Error) -> ErrorKind {
    let code = match &*error.kind {
        DriverKind::Io(_)
        | DriverKind::ServerSelection { .. }
        | DriverKind::ConnectionPoolCleared { .. } => return ErrorKind::Unavailable,
        DriverKind::Authentication { .. } => return ErrorKind::PermissionDenied,
        DriverKind::InvalidArgument { .. } => return ErrorKind::Config,
        DriverKind::BsonDeserialization(_) => return ErrorKind::InvalidData,
        DriverKind::Write(WriteFailure::WriteError(write)) => Some(write.code),
        DriverKind::Write(WriteFailure::WriteConcernError(concern)) => Some(concern.code),
        DriverKind::Command(command) => Some(command.code),
        _ => None,
    };
    if let Some((_, kind)) = code.and_then(|code| CODE_KINDS.iter().find(|(c, _)| *c == code)) {
        return *kind;
    }
    if error.contains_label("RetryableWriteError")
        || error.contains_label("TransientTransactionError")
    {
        return ErrorKind::Unavailable;
    }
    ErrorKind::Other
}

/// Whether the server refused a write because the `_id` exists (code 11000).
pub(crate) fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    match &*error.kind {
        DriverKind::Write(WriteFailure::WriteError(write)) => write.code == 11000,
        DriverKind::Command(command) => command.code == 11000,
        _ => false,
    }
}

/// Maps a driver error for `operation`.
pub(crate) fn mongo_error(operation: &'static str) -> impl Fn(mongodb::error::Error) -> Error {
    move |error| Error::backend(BACKEND, operation, kind_of(&error), error)
}
