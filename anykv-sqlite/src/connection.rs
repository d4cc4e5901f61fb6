//! Opening one connection: the file, the busy timeout, the journal and sync modes.

use std::path::Path;
use std::time::Duration;

use anykv_core::Result;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::config::SqliteOptions;
use crate::error::{db_error, open_error};

/// Whether `path` names an in-memory database rather than a file: `:memory:`, or a `file:` URI
/// with `:memory:` or `mode=memory`.
pub(crate) fn is_memory_path(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text == ":memory:"
        || (text.starts_with("file:")
            && (text.contains(":memory:") || text.contains("mode=memory")))
}

/// Opens and configures one connection.
pub(crate) fn connect(path: Option<&Path>, options: &SqliteOptions) -> Result<Connection> {
    let conn = match path {
        Some(path) if options.read_only => {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            Connection::open_with_flags(path, flags).map_err(open_error(path))
        }
        Some(path) => Connection::open(path).map_err(open_error(path)),
        None => Connection::open_in_memory().map_err(db_error("open")),
    }?;
    conn.busy_timeout(options.busy_timeout)
        .map_err(db_error("open"))?;
    conn.set_prepared_statement_cache_capacity(64);
    if !options.read_only {
        set_modes(&conn, path, options)?;
    }
    for (name, value) in &options.pragmas {
        // Checked at open (`check_pragmas`): a name and a plain value, nothing to escape.
        retry_busy(|| {
            conn.query_row(&format!("PRAGMA {name} = {value}"), [], |_| Ok(()))
                .or_else(no_rows)
        })
        .map_err(db_error("pragma"))?;
    }
    Ok(conn)
}

/// A pragma that answers nothing is a success.
fn no_rows(error: rusqlite::Error) -> rusqlite::Result<()> {
    match error {
        rusqlite::Error::QueryReturnedNoRows => Ok(()),
        other => Err(other),
    }
}

/// The journal and sync modes of a connection that may write.
fn set_modes(conn: &Connection, path: Option<&Path>, options: &SqliteOptions) -> Result<()> {
    let journal = if options.wal && !path.is_none_or(is_memory_path) {
        "WAL"
    } else {
        "DELETE"
    };
    let synchronous = match (options.fast_save, options.wal) {
        (true, _) => "OFF",
        (false, true) => "NORMAL",
        (false, false) => "FULL",
    };
    let set = retry_busy(|| {
        conn.query_row(&format!("PRAGMA journal_mode = {journal}"), [], |_| Ok(()))?;
        conn.execute_batch(&format!("PRAGMA synchronous = {synchronous}"))
    });
    // WAL creates files beside the database: a directory it cannot write fails here.
    match path {
        Some(path) => set.map_err(open_error(path)),
        None => set.map_err(db_error("open")),
    }
}

/// Retries a schema or pragma statement that hit a lock another process holds; SQLite does not
/// always call the busy handler for them.
pub(crate) fn retry_busy<R>(mut work: impl FnMut() -> rusqlite::Result<R>) -> rusqlite::Result<R> {
    let mut attempt = 0;
    loop {
        match work() {
            Err(error)
                if attempt < 200
                    && matches!(
                        error.sqlite_error_code(),
                        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                    ) =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}
