//! GridFS values written from an async reader and read as one, without holding them whole.

use std::time::Duration;

use anykv_core::limits::{check_key, check_value_len};
use anykv_core::{Error, ErrorKind, Result, Timestamp, ValueReader};
use futures_util::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use mongodb::bson::{oid::ObjectId, Bson};
use mongodb::gridfs::GridFsDownloadStream;

use crate::error::{mongo_error, stream_error, BACKEND};
use crate::gridfs::{file_id, live_at, GridFsStorage, GRIDFS_BACKEND, READ_ATTEMPTS};

/// The buffer a streamed value is uploaded through: one GridFS chunk (255 KiB).
const UPLOAD_BUFFER: usize = 255 * 1024;

/// The value of a live entry, streamed from its GridFS file ([`GridFsStorage::get_reader`]).
///
/// A write that replaces the entry deletes the file this reads: a read still under way then
/// fails (a retryable error); read again to get the new value.
pub type GridFsValueReader = ValueReader<GridFsDownloadStream>;

impl GridFsStorage {
    /// Writes the value of `key` from `reader`, one GridFS chunk (255 KiB) at a time: a value
    /// of any size (within [`with_max_value_len`](Self::with_max_value_len)) without holding
    /// it in memory. The key points to the new file once it is complete, as
    /// [`set`](anykv_core::AsyncKvStorage::set) does; a reader that fails, or passes the limit
    /// ([`Error::ValueTooLarge`] with the bytes read so far), leaves the entry as it was and
    /// its partial file removed. Returns the value's length.
    pub async fn set_from_reader(
        &self,
        key: &str,
        reader: impl AsyncRead + Unpin + Send,
        ttl: Option<Duration>,
    ) -> Result<u64> {
        check_key(key)?;
        let expires_at = self.expiry(ttl, Timestamp::now())?;
        let (file, len) = self.upload_from(key, reader).await?;
        self.point(
            key,
            file,
            usize::try_from(len).unwrap_or(usize::MAX),
            expires_at,
        )
        .await?;
        Ok(len)
    }

    /// Uploads a new file of `key` from `reader`; returns its id and length.
    async fn upload_from(
        &self,
        key: &str,
        reader: impl AsyncRead + Unpin + Send,
    ) -> Result<(ObjectId, u64)> {
        let max = self.max_value_len();
        let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
        let mut reader = reader.take(limit);
        let id = ObjectId::new();
        let mut stream = self
            .bucket()
            .open_upload_stream(key)
            .id(Bson::ObjectId(id))
            .await
            .map_err(mongo_error("upload"))?;
        let mut buffer = vec![0u8; UPLOAD_BUFFER];
        let mut len = 0u64;
        let copied = async {
            loop {
                let n = reader
                    .read(&mut buffer)
                    .await
                    .map_err(stream_error("set_from_reader"))?;
                if n == 0 {
                    break;
                }
                len += n as u64;
                check_value_len(
                    GRIDFS_BACKEND,
                    key,
                    usize::try_from(len).unwrap_or(usize::MAX),
                    max,
                )?;
                stream
                    .write_all(&buffer[..n])
                    .await
                    .map_err(stream_error("upload"))?;
            }
            stream.close().await.map_err(stream_error("upload"))
        }
        .await;
        if let Err(error) = copied {
            let _ = stream.abort().await;
            return Err(error);
        }
        Ok((id, len))
    }

    /// A reader of the live value of `key`, streamed from its GridFS file; `None` if there is
    /// none.
    pub async fn get_reader(&self, key: &str) -> Result<Option<GridFsValueReader>> {
        check_key(key)?;
        for _ in 0..READ_ATTEMPTS {
            let Some(index) = self.index_of(key, "get").await? else {
                return Ok(None);
            };
            if !live_at(&index, Timestamp::now()) {
                return Ok(None);
            }
            let Some(file) = file_id(&index) else {
                return Err(Error::corrupt(key, "GridFS index entry without a file id"));
            };
            match self
                .bucket()
                .open_download_stream(Bson::ObjectId(file))
                .await
            {
                Ok(stream) => {
                    let len = Self::length(&index) as u64;
                    let expires_at = crate::document::expiry(&index);
                    return Ok(Some(ValueReader::new(stream, len, expires_at)));
                }
                Err(error) => {
                    // Replaced between reading the pointer and opening its file: follow it.
                    let now = self.index_of(key, "get").await?;
                    if now.as_ref().and_then(file_id) == Some(file) {
                        return Err(mongo_error("get")(error));
                    }
                }
            }
        }
        Err(Error::backend(
            BACKEND,
            "get",
            ErrorKind::Conflict,
            "the value kept being replaced while opening it",
        ))
    }
}
