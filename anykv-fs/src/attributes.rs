//! What the readable layout keeps beside a file's content: the entry's expiry and, for a long
//! key, the key, as extended attributes of the file (Linux and macOS).
//!
//! - `user.anykv.expires`: the expiry in milliseconds since the Unix epoch, in decimal ASCII
//!   (`getfattr -n user.anykv.expires file` shows it); absent for an entry without expiry.
//! - `user.anykv.key`: the key of a file named by the hash of its key (see `readable_names`).
//!
//! The attributes belong to the file's inode: they are set on the temporary file before it is
//! renamed into place, and read from the open file, so a reader sees the value and its expiry
//! of one write, never of two.

use std::fs::File;
use std::io;

use anykv_core::{Error, Result, Timestamp};

/// The attribute holding the expiry.
pub(crate) const EXPIRES: &str = "user.anykv.expires";
/// The attribute holding a long key.
pub(crate) const KEY: &str = "user.anykv.key";

/// The error of a read of an attribute the file does not have.
#[cfg(target_os = "linux")]
const NO_SUCH_ATTRIBUTE: rustix::io::Errno = rustix::io::Errno::NODATA;
#[cfg(target_os = "macos")]
const NO_SUCH_ATTRIBUTE: rustix::io::Errno = rustix::io::Errno::NOATTR;

/// Sets attribute `name` of `file` to `value`.
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn set(file: &File, name: &str, value: &[u8]) -> io::Result<()> {
    rustix::fs::fsetxattr(file, name, value, rustix::fs::XattrFlags::empty())?;
    Ok(())
}

/// Attribute `name` of `file`, `None` if the file has none of that name.
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn get(file: &File, name: &str) -> io::Result<Option<Vec<u8>>> {
    // Keys are at most 1024 bytes, expiries 20: one buffer holds either.
    let mut buffer = vec![0u8; anykv_core::MAX_KEY_LEN + 64];
    match rustix::fs::fgetxattr(file, name, &mut buffer[..]) {
        Ok(len) => {
            buffer.truncate(len);
            Ok(Some(buffer))
        }
        Err(NO_SUCH_ATTRIBUTE) => Ok(None),
        // A file system without extended attributes holds none.
        Err(rustix::io::Errno::NOTSUP) => Ok(None),
        Err(errno) => Err(errno.into()),
    }
}

/// Elsewhere no file has attributes, and setting one is unsupported.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn set(_file: &File, _name: &str, _value: &[u8]) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "extended attributes are supported on Linux and macOS only",
    ))
}

/// Elsewhere no file has attributes.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn get(_file: &File, _name: &str) -> io::Result<Option<Vec<u8>>> {
    Ok(None)
}

/// The attribute value of an expiry.
pub(crate) fn encode_expiry(at: Timestamp) -> Vec<u8> {
    at.as_millis().to_string().into_bytes()
}

/// Reads an expiry attribute; `Corrupt` names the entry and its file.
pub(crate) fn decode_expiry(bytes: &[u8], key: &str, file: &str) -> Result<Timestamp> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse::<i64>().ok())
        .map(Timestamp::from_millis)
        .ok_or_else(|| {
            Error::corrupt(
                key,
                format!("file {file}: attribute {EXPIRES} is not a number of milliseconds"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_round_trip_as_decimal_text() {
        let at = Timestamp::from_millis(1_900_000_000_123);
        assert_eq!(encode_expiry(at), b"1900000000123");
        assert_eq!(decode_expiry(b"1900000000123", "k", "f").ok(), Some(at));
        assert!(matches!(
            decode_expiry(b"soon", "k", "f"),
            Err(Error::Corrupt { .. })
        ));
    }
}
