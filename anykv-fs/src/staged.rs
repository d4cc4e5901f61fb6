//! Entry files on their way in, and the expiry hint in their modification time.
//!
//! Once an entry file is in place its modification time is set to the entry's expiry (far in
//! the future for an entry without one), so `contains` answers from one `stat` while that time
//! is ahead. The header stays the authority: the hint is never later than the expiry (a file
//! system that cannot hold the time clamps it earlier; a file copied or touched gets the present
//! time), and a file whose time has passed is opened and read as before.

use std::fs::{File, FileTimes, Metadata};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anykv_core::Timestamp;

/// The hint of an entry without expiry: 2100-01-01T00:00:00Z.
const NO_EXPIRY_HINT_SECS: u64 = 4_102_444_800;

/// A complete entry file at a temporary path, still open.
pub(crate) struct Staged {
    /// The temporary path.
    pub(crate) path: PathBuf,
    pub(crate) file: File,
    pub(crate) expires_at: Option<Timestamp>,
    /// Whether the modification time is to stand for the expiry (the hashed layout).
    pub(crate) hint_expiry: bool,
    /// The value's length.
    pub(crate) value_len: u64,
    /// The file's length.
    pub(crate) len: u64,
}

impl Staged {
    /// Removes the file (a write that is not to land).
    pub(crate) fn discard(self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// Sets the expiry hint (when the layout keeps one), once the file has been renamed into
    /// place (before, a temporary file dated in the future would never look abandoned), and the
    /// access time to now, at the clock's full resolution (size caps evict by it). A file
    /// system that refuses leaves the write time, which only sends `contains` to the header.
    pub(crate) fn mark_expiry(self) {
        let times = FileTimes::new().set_accessed(SystemTime::now());
        let times = if self.hint_expiry {
            times.set_modified(expiry_hint(self.expires_at))
        } else {
            times
        };
        let _ = self.file.set_times(times);
    }
}

/// The modification time that stands for an expiry.
fn expiry_hint(expires_at: Option<Timestamp>) -> SystemTime {
    match expires_at {
        Some(at) => UNIX_EPOCH + Duration::from_millis(u64::try_from(at.as_millis()).unwrap_or(0)),
        None => UNIX_EPOCH + Duration::from_secs(NO_EXPIRY_HINT_SECS),
    }
}

/// How long ago a temporary file was last changed: since its modification time, or, for an
/// entry file that `delete` or `pop` took away (its time an expiry hint still ahead), since its
/// status change where the platform keeps one.
pub(crate) fn temp_file_age(meta: &Metadata) -> Option<Duration> {
    let modified = meta.modified().ok()?;
    if let Ok(age) = modified.elapsed() {
        return Some(age);
    }
    status_change_age(meta)
}

#[cfg(unix)]
fn status_change_age(meta: &Metadata) -> Option<Duration> {
    use std::os::unix::fs::MetadataExt;
    let changed = UNIX_EPOCH + Duration::from_secs(u64::try_from(meta.ctime()).ok()?);
    changed.elapsed().ok()
}

#[cfg(not(unix))]
fn status_change_age(_meta: &Metadata) -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_the_expiry_or_far_ahead() {
        let at = Timestamp::from_millis(1_900_000_000_123);
        assert_eq!(
            expiry_hint(Some(at)),
            UNIX_EPOCH + Duration::from_millis(1_900_000_000_123)
        );
        assert!(expiry_hint(None) > SystemTime::now() + Duration::from_secs(3600 * 24 * 365));
    }
}
