//! [`ValueReader`]: a value read as a stream, for the stores that can stream one.

use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Timestamp;

/// A live entry's value read as a stream (a [`std::io::Read`] or, over an async source, a
/// `futures::io::AsyncRead`), with what the store knew when it opened it: the value's length
/// and the entry's expiry. Returned by the stores that stream values (`anykv-fs`'s
/// `get_reader`, `anykv-mongo`'s GridFS `get_reader`).
#[derive(Debug)]
pub struct ValueReader<R> {
    reader: R,
    len: u64,
    expires_at: Option<Timestamp>,
}

impl<R> ValueReader<R> {
    /// `reader` of a value of `len` bytes, whose entry expires at `expires_at`.
    pub fn new(reader: R, len: u64, expires_at: Option<Timestamp>) -> Self {
        ValueReader {
            reader,
            len,
            expires_at,
        }
    }

    /// The value's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// When the entry expires, if it does.
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// The reader underneath.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: std::io::Read> std::io::Read for ValueReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reader.read(buf)
    }
}

impl<R: futures_io::AsyncRead + Unpin> futures_io::AsyncRead for ValueReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.reader).poll_read(cx, buf)
    }
}
