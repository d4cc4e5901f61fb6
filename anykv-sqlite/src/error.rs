//! The driver's errors as the family's: one place for the kinds SQLite's codes map to.

use anykv_core::{Error, ErrorKind};
use std::path::Path;

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
            Some(ErrorCode::SystemIoFailure) => ErrorKind::Unavailable,
            _ => ErrorKind::Other,
        };
        Error::backend(BACKEND, operation, kind, error)
    }
}

/// Maps the failure to open the database file at `path`. SQLite says only "unable to open"
/// (`SQLITE_CANTOPEN`), whatever the cause: the cause is found by trying what SQLite tried
/// (a file in the directory), so a read-only directory is "permission denied", not "not found".
pub(crate) fn open_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |error| {
        if error.sqlite_error_code() != Some(ErrorCode::CannotOpen) {
            return db_error("open")(error);
        }
        let kind = if path.is_dir() {
            ErrorKind::InvalidInput
        } else {
            let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
            match tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new("."))) {
                Err(probe) => ErrorKind::of_io(&probe),
                Ok(_) if path.exists() => ErrorKind::PermissionDenied,
                // Only a read-only open leaves a missing file missing.
                Ok(_) => ErrorKind::NotFound,
            }
        };
        Error::backend(BACKEND, "open", kind, error)
    }
}
