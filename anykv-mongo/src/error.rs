//! Driver errors mapped to the family's error.

use anykv_core::{Described, Error, ErrorKind};
use mongodb::error::{ErrorKind as DriverKind, GridFsErrorKind, WriteFailure};

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

/// Maps a driver error for `operation`. A failed server selection, whose text is a dump of
/// the topology, reads as one line: each server's address and why it was not usable.
pub(crate) fn mongo_error(operation: &'static str) -> impl Fn(mongodb::error::Error) -> Error {
    move |error| {
        // An upload aborted by an error is that error (the abort only cleans up after it).
        if let DriverKind::GridFs(GridFsErrorKind::AbortError {
            original_error: Some(original),
            ..
        }) = &*error.kind
        {
            return mongo_error(operation)(original.clone());
        }
        let kind = kind_of(&error);
        if let DriverKind::ServerSelection { message, .. } = &*error.kind {
            let message = server_selection_summary(message);
            return Error::backend(BACKEND, operation, kind, Described::new(message, error));
        }
        Error::backend(BACKEND, operation, kind, error)
    }
}

/// `Server selection timeout: No available servers. Topology: { Type: Unknown, Servers: [ {
/// Address: h:1, Type: Unknown, Error: Kind: I/O error: refused, labels: {} } ] }` as
/// `server selection timed out: no available server (h:1: I/O error: refused)`; a text of
/// another shape is cut before its topology.
fn server_selection_summary(message: &str) -> String {
    let (head, topology) = message.split_once(" Topology:").unwrap_or((message, ""));
    let servers: Vec<String> = topology
        .split("Address: ")
        .skip(1)
        .map(|server| {
            let address = server.split([',', ' ']).next().unwrap_or_default();
            let why = server
                .split_once("Error: ")
                .map(|(_, error)| {
                    let end = [", labels", " }"]
                        .iter()
                        .filter_map(|marker| error.find(marker))
                        .min()
                        .unwrap_or(error.len());
                    error[..end].trim_start_matches("Kind: ").to_owned()
                })
                .unwrap_or_else(|| "not reached yet".to_owned());
            format!("{address}: {why}")
        })
        .collect();
    let head = head.trim_end_matches('.');
    let summary = if servers.is_empty() {
        head.to_owned()
    } else {
        format!("{head} ({})", servers.join("; "))
    };
    summary.chars().take(600).collect()
}

/// Maps an error of a GridFS upload or download stream for `operation`. The stream wraps the
/// driver's error in an I/O error: that error is classed by its cause as any other driver error
/// (a server's refusal is not retryable); a plain I/O error by its I/O kind.
pub(crate) fn stream_error(operation: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |error| {
        let kind = ErrorKind::of_io(&error);
        if error
            .get_ref()
            .is_some_and(|inner| inner.is::<mongodb::error::Error>())
        {
            if let Some(Ok(driver)) = error
                .into_inner()
                .map(|inner| inner.downcast::<mongodb::error::Error>())
            {
                return mongo_error(operation)(*driver);
            }
            return Error::backend(BACKEND, operation, kind, "the GridFS stream failed");
        }
        Error::backend(BACKEND, operation, kind, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_selection_reads_as_one_line_naming_each_server() {
        let dump = "Server selection timeout: No available servers. Topology: { Type: Unknown, \
                    Servers: [ { Address: 127.0.0.1:1, Type: Unknown, Error: Kind: I/O error: \
                    Connection refused (os error 111), labels: {} }, { Address: db2:27017, Type: \
                    Unknown } ] }";
        assert_eq!(
            server_selection_summary(dump),
            "Server selection timeout: No available servers (127.0.0.1:1: I/O error: \
             Connection refused (os error 111); db2:27017: not reached yet)"
        );
        assert_eq!(
            server_selection_summary("something else."),
            "something else"
        );
    }

    /// A driver error carried by a stream's I/O error keeps its own kind; a bare I/O error gets
    /// the kind of its I/O kind.
    #[test]
    fn stream_errors_are_classed_by_their_cause() {
        let Err(bson_error) = mongodb::bson::from_slice::<mongodb::bson::Document>(b"\x05\0")
        else {
            panic!("five bytes of garbage parsed as a document");
        };
        let driver = mongodb::error::Error::from(bson_error);
        let carried = std::io::Error::other(driver);
        let mapped = stream_error("upload")(carried);
        assert_eq!(mapped.kind(), ErrorKind::InvalidData, "{mapped}");
        assert!(!mapped.is_retryable(), "{mapped}");

        let timed_out = std::io::Error::from(std::io::ErrorKind::TimedOut);
        let mapped = stream_error("download")(timed_out);
        assert_eq!(mapped.kind(), ErrorKind::TimedOut, "{mapped}");

        let refused = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let mapped = stream_error("download")(refused);
        assert_eq!(mapped.kind(), ErrorKind::PermissionDenied, "{mapped}");
    }
}
