//! How an entry becomes a file and a file an entry, in each [`Layout`].

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use anykv_core::{Error, Result, Timestamp};

use crate::attributes;
use crate::config::Layout;
use crate::error::io_error;
use crate::format::{self, Header, FIXED_HEADER_LEN};
use crate::keys;
use crate::readable_names::{self, NameOf};

/// The buffer of a value copied from or to a stream.
pub(crate) const STREAM_BUFFER: usize = 64 * 1024;

/// The extension of the readable layout's files unless the options name another.
pub(crate) const READABLE_EXTENSION: &str = "json";

/// The files of one store: their layout and extension.
#[derive(Debug, Clone)]
pub(crate) struct Files {
    layout: Layout,
    extension: Option<String>,
}

impl Files {
    pub(crate) fn new(layout: Layout, extension: Option<String>) -> Self {
        let extension = match layout {
            Layout::Readable => extension.or_else(|| Some(READABLE_EXTENSION.to_owned())),
            Layout::Hashed => extension,
        };
        Files { layout, extension }
    }

    /// The extension of the files, if they have one.
    pub(crate) fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// Whether a file's modification time stands for its entry's expiry (the hashed layout; a
    /// readable file keeps the time it was written, as other tools expect).
    pub(crate) fn hints_expiry(&self) -> bool {
        self.layout == Layout::Hashed
    }

    /// The file name of `key`.
    pub(crate) fn name(&self, key: &str) -> String {
        match self.layout {
            Layout::Hashed => keys::file_name(key, self.extension()),
            Layout::Readable => readable_names::file_name(key, self.extension()).0,
        }
    }

    /// Whether `name` is the name of an entry file (not a temporary or foreign file).
    pub(crate) fn is_entry(&self, name: &str) -> bool {
        match self.layout {
            Layout::Hashed => keys::is_entry_file(name, self.extension()),
            Layout::Readable => readable_names::parse(name, self.extension()) != NameOf::NotAnEntry,
        }
    }

    /// The key an entry file's name spells, when it spells one (readable names of keys that
    /// are not too long): a scan filters by it without opening the file.
    pub(crate) fn key_in_name(&self, name: &str) -> Option<String> {
        match (self.layout, readable_names::parse(name, self.extension())) {
            (Layout::Readable, NameOf::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The length of the file of `key` with a value of `value_len` bytes.
    pub(crate) fn file_len(&self, key: &str, value_len: usize) -> u64 {
        match self.layout {
            Layout::Hashed => (FIXED_HEADER_LEN + key.len() + value_len) as u64,
            Layout::Readable => value_len as u64,
        }
    }

    /// Writes the entry into `file`, a new temporary file.
    pub(crate) fn write(
        &self,
        file: &mut File,
        key: &str,
        expires_at: Option<Timestamp>,
        value: &[u8],
    ) -> io::Result<()> {
        self.begin(file, key, expires_at)?;
        file.write_all(value)?;
        self.finish(file, key, expires_at)
    }

    /// Writes the entry into `file`, a new temporary file, its value copied from `reader`
    /// through a buffer of 64 KiB; returns the value's length.
    pub(crate) fn write_from(
        &self,
        file: &mut File,
        key: &str,
        expires_at: Option<Timestamp>,
        reader: &mut dyn Read,
    ) -> io::Result<u64> {
        self.begin(file, key, expires_at)?;
        let mut writer = io::BufWriter::with_capacity(STREAM_BUFFER, &mut *file);
        let copied = io::copy(reader, &mut writer)?;
        writer.flush()?;
        drop(writer);
        self.finish(file, key, expires_at)?;
        Ok(copied)
    }

    /// What comes before the value: the hashed layout's header.
    fn begin(&self, file: &mut File, key: &str, expires_at: Option<Timestamp>) -> io::Result<()> {
        match self.layout {
            Layout::Hashed => file.write_all(&format::encode(key, expires_at, &[])),
            Layout::Readable => Ok(()),
        }
    }

    /// What comes after the value: the readable layout's attributes.
    fn finish(&self, file: &File, key: &str, expires_at: Option<Timestamp>) -> io::Result<()> {
        if self.layout == Layout::Hashed {
            return Ok(());
        }
        let named_by_hash = !readable_names::file_name(key, self.extension()).1;
        let attributes = expires_at
            .map(|at| (attributes::EXPIRES, attributes::encode_expiry(at)))
            .into_iter()
            .chain(named_by_hash.then(|| (attributes::KEY, key.as_bytes().to_vec())));
        for (name, value) in attributes {
            attributes::set(file, name, &value).map_err(|error| {
                if error.kind() == io::ErrorKind::Unsupported {
                    io::Error::new(
                        io::ErrorKind::Unsupported,
                        format!(
                            "this file system keeps no extended attributes: the readable \
                             layout cannot store an expiry or a long key ({error})"
                        ),
                    )
                } else {
                    error
                }
            })?;
        }
        Ok(())
    }

    /// Where the value starts in the file of `key`.
    pub(crate) fn value_offset(&self, key: &str) -> u64 {
        self.file_len(key, 0)
    }

    /// Reads the entry in `file`: its key and expiry, and its value when `values` asks for it
    /// (else an empty one). `name` is the file's name (for a readable file that is not the
    /// entry's name any more, as `delete` reads it, `key` is given); errors name the entry and
    /// `shown` file, and a failed read the store's `dir`.
    pub(crate) fn read(
        &self,
        file: &mut File,
        name: &str,
        key: Option<&str>,
        values: bool,
        (shown, dir): (&str, &Path),
    ) -> Result<(Header, Vec<u8>)> {
        match self.layout {
            Layout::Hashed => read_hashed(file, key, values, (shown, dir)),
            Layout::Readable => self.read_readable(file, name, key, values, (shown, dir)),
        }
    }

    fn read_readable(
        &self,
        file: &mut File,
        name: &str,
        key: Option<&str>,
        values: bool,
        (shown, dir): (&str, &Path),
    ) -> Result<(Header, Vec<u8>)> {
        let reported = key.unwrap_or("(unknown key)");
        let attribute =
            |attribute: &str| attributes::get(file, attribute).map_err(io_error("read", dir));
        let spelled = match key {
            Some(key) => readable_names::file_name(key, self.extension())
                .1
                .then(|| key.to_owned()),
            None => match readable_names::parse(name, self.extension()) {
                NameOf::Key(key) => Some(key),
                NameOf::LongKey => None,
                NameOf::NotAnEntry => {
                    return Err(Error::corrupt(
                        reported,
                        format!("file {shown} is not named as an entry"),
                    ))
                }
            },
        };
        let key = match spelled {
            Some(key) => key,
            None => {
                let stored = attribute(attributes::KEY)?.ok_or_else(|| {
                    Error::corrupt(
                        reported,
                        format!("file {shown} has no attribute {}", attributes::KEY),
                    )
                })?;
                String::from_utf8(stored).map_err(|_| {
                    Error::corrupt(
                        reported,
                        format!("file {shown}: attribute {} is not UTF-8", attributes::KEY),
                    )
                })?
            }
        };
        let expires_at = attribute(attributes::EXPIRES)?
            .map(|bytes| attributes::decode_expiry(&bytes, &key, shown))
            .transpose()?;
        let mut value = Vec::new();
        if values {
            let len = file.metadata().map_or(0, |meta| meta.len());
            value.reserve(usize::try_from(len).unwrap_or(0));
            file.read_to_end(&mut value)
                .map_err(io_error("read", dir))?;
        }
        Ok((Header { key, expires_at }, value))
    }
}

/// Reads a hashed layout's file: the header, and the value after it when `values` asks.
fn read_hashed(
    file: &mut File,
    key: Option<&str>,
    values: bool,
    (shown, dir): (&str, &Path),
) -> Result<(Header, Vec<u8>)> {
    if !values {
        let mut reader = io::BufReader::with_capacity(1024 + 64, file);
        return Ok((format::read_header(&mut reader, key, shown)?, Vec::new()));
    }
    let len = file.metadata().map_or(0, |meta| meta.len());
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(io_error("read", dir))?;
    let mut rest = &bytes[..];
    let header = format::read_header(&mut rest, key, shown)?;
    let header_len = bytes.len() - rest.len();
    bytes.drain(..header_len);
    Ok((header, bytes))
}
