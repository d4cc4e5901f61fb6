//! The driver's errors as the family's: one place for the kinds SQLite's codes map to.

use anykv_core::{Error, ErrorKind};
use rusqlite::ErrorCode;

/// The backend's name in errors and [`StoreInfo`](anykv_core::StoreInfo).
pub(crate) const BACKEND: &str = "sqlite";

/// Maps a driver error to the family's error: a busy or locked database (the busy timeout
/// ran out) timed out, a full disk or an oversized row a limit exceeded, a read-only or
/// inaccessible file permission denied, a corrupt file invalid data.
pub(crate) fn db_error(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |error| {
        let kind = match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => ErrorKind::TimedOut,
            Some(ErrorCode::DiskFull | ErrorCode::TooBig) => ErrorKind::LimitExceeded,
            Some(
                ErrorCode::ReadOnly
                | ErrorCode::PermissionDenied
                | ErrorCode::AuthorizationForStatementDenied,
            ) => ErrorKind::PermissionDenied,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => ErrorKind::InvalidData,
            Some(ErrorCode::CannotOpen) => ErrorKind::NotFound,
            Some(ErrorCode::SystemIoFailure) => ErrorKind::Unavailable,
            _ => ErrorKind::Other,
        };
        Error::backend(BACKEND, operation, kind, error)
    }
}
