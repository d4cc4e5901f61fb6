//! Values written from a reader and read as one, without holding them whole in memory.

use std::fs::File;
use std::io::{self, Read};
use std::time::Duration;

use anykv_core::limits::check_key;
use anykv_core::time::expiry_from_ttl;
use anykv_core::{Error, KeyDisplay, Result, Timestamp, ValueReader};

use crate::error::{io_error, BACKEND};
use crate::store::FsStorage;

/// The value of a live entry, read from its file ([`FsStorage::get_reader`]).
///
/// The file was opened before any later write replaced it, so the reader sees the whole value
/// of one write however many writes follow (a replaced file lives on while it is open).
pub type FsValueReader = ValueReader<io::Take<File>>;

impl FsStorage {
    /// Writes the value of `key` from `reader`, in buffers of 64 KiB: a value of any size
    /// (within [`FsOptions::max_value_len`](crate::FsOptions::max_value_len)) without holding
    /// it in memory. The value replaces the entry at once when the reader is done, as
    /// [`set`](anykv_core::KvStorage::set) does; a reader that fails, or passes the limit
    /// ([`Error::ValueTooLarge`](anykv_core::Error::ValueTooLarge) with the bytes read so far),
    /// leaves the entry as it was and no file behind. Returns the value's length.
    pub fn set_from_reader(
        &self,
        key: &str,
        reader: &mut dyn Read,
        ttl: Option<Duration>,
    ) -> Result<u64> {
        check_key(key)?;
        let path = self.path_for(key)?;
        let expires_at = expiry_from_ttl(ttl, Timestamp::now())?;
        let max = self.max_value_len();
        // One byte past the limit is enough to know the value is over it.
        let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
        let staged = self
            .stage(key, expires_at, |file| {
                self.files()
                    .write_from(file, key, expires_at, &mut reader.take(limit))
            })
            .map_err(io_error("set", self.dir()))?;
        let value_len = staged.value_len;
        if value_len >= limit {
            staged.discard();
            let read = usize::try_from(value_len).unwrap_or(usize::MAX);
            return Err(Error::ValueTooLarge {
                backend: BACKEND,
                key: KeyDisplay::new(key),
                len: read,
                max,
            });
        }
        self.install(staged, &path, "set")?;
        Ok(value_len)
    }

    /// A reader of the live value of `key`, streamed from its file; `None` if there is none.
    pub fn get_reader(&self, key: &str) -> Result<Option<FsValueReader>> {
        let Some((file, header)) = self.open_value(key)? else {
            return Ok(None);
        };
        let offset = self.files().value_offset(key);
        let file_len = file.metadata().map_err(io_error("read", self.dir()))?.len();
        let len = file_len.saturating_sub(offset);
        Ok(Some(ValueReader::new(
            file.take(len),
            len,
            header.expires_at,
        )))
    }
}
