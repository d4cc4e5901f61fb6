//! [`FsOptions`]: where the files live and how they are written.

use std::path::PathBuf;

use anykv_core::caps::SizeCaps;
use anykv_core::{Error, Namespace, Result, StoreUrl};

/// The default value limit: values are read whole into memory, so they are bounded.
pub const DEFAULT_MAX_VALUE_LEN: usize = 512 * 1024 * 1024;

/// Where the store's root directory is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Root {
    /// This directory (created if missing).
    Dir(PathBuf),
    /// A new temporary directory, deleted when the last store using it is dropped.
    TempDir,
    /// `<user cache dir>/<app>`, e.g. `~/.cache/<app>` on Linux.
    CacheDir(String),
}

/// How entries are laid out as files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Layout {
    /// Files named by the SHA-256 of their key, holding a small header (key, expiry) and the
    /// value: any key, any file system, and a file's modification time tells `contains` whether
    /// its entry is live (the default).
    #[default]
    Hashed,
    /// Files named by their key, escaped (`user:42` → `user%3A42.json`), holding the value and
    /// nothing else: JSON values stay JSON files that other tools, editors and version control
    /// read and write. An entry's expiry, and the key of a file named by its hash (a key whose
    /// escaped name would pass 255 bytes, and the empty key), are kept in the file's extended
    /// attributes `user.anykv.expires` and `user.anykv.key` (Linux, macOS): a file system
    /// without them stores entries without expiry only, and refuses the others with an
    /// [`Unsupported`](anykv_core::ErrorKind::Unsupported) error. A file put in the directory by
    /// hand is an entry without expiry; one whose name no key escapes to is not an entry.
    /// The files have the extension `json` unless [`FsOptions::extension`] names another.
    Readable,
}

/// Options for [`FsStorage::open`](crate::FsStorage::open).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FsOptions {
    /// The root directory; the store's files are in `<root>/<namespace>/`.
    pub root: Root,
    /// The namespace: a subdirectory of the root.
    pub namespace: String,
    /// An extension for the files, without the dot (e.g. `"bin"`), or none.
    pub extension: Option<String>,
    /// fsync each file before renaming it into place, and the directory after: durable across
    /// power loss, slower (default off; renames are atomic either way).
    pub fsync: bool,
    /// Refuse values over this many bytes (default 512 MiB).
    pub max_value_len: usize,
    /// The most entries and bytes the namespace holds, enforced by evicting expired, then least
    /// recently used entries (default: none; see [`max_entries`](Self::max_entries)).
    pub caps: SizeCaps,
    /// How entries are laid out as files (default [`Layout::Hashed`]).
    pub layout: Layout,
}

impl FsOptions {
    fn at(root: Root) -> Self {
        FsOptions {
            root,
            namespace: Namespace::DEFAULT.to_owned(),
            extension: None,
            fsync: false,
            max_value_len: DEFAULT_MAX_VALUE_LEN,
            caps: SizeCaps::default(),
            layout: Layout::Hashed,
        }
    }

    /// Files under `dir`.
    pub fn dir(dir: impl Into<PathBuf>) -> Self {
        Self::at(Root::Dir(dir.into()))
    }

    /// Files in a new temporary directory.
    pub fn temp_dir() -> Self {
        Self::at(Root::TempDir)
    }

    /// Files in the user's cache directory, under `app`.
    pub fn cache_dir(app: impl Into<String>) -> Self {
        Self::at(Root::CacheDir(app.into()))
    }

    /// The namespace (subdirectory).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The file extension, without the dot.
    pub fn extension(mut self, extension: impl Into<String>) -> Self {
        self.extension = Some(extension.into());
        self
    }

    /// Lays the entries out as `layout` says (see [`Layout`]).
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    /// Turns fsync on or off.
    pub fn fsync(mut self, fsync: bool) -> Self {
        self.fsync = fsync;
        self
    }

    /// Refuses values over `max` bytes.
    pub fn max_value_len(mut self, max: usize) -> Self {
        self.max_value_len = max;
        self
    }

    /// Holds at most `max` entries in the namespace. A write through this store that passes the
    /// cap (or [`max_bytes`](Self::max_bytes)) removes the expired entries, then the least
    /// recently used ones (by the files' access times, which reads through a capped store set)
    /// down to 90 % of the caps. Costs: one more `stat` per write and an access-time update per
    /// read; the usage is counted by a pass over the directory on the first write and at each
    /// eviction, and followed in between from this process's own writes (writes by other
    /// processes count from the next pass: an approximate cap, see the crate docs).
    pub fn max_entries(mut self, max: u64) -> Self {
        self.caps = self.caps.with_max_entries(max);
        self
    }

    /// Holds at most `max` bytes of entry files (headers, keys and values: what
    /// [`size`](anykv_core::KvStorage::size) counts) in the namespace, evicting as
    /// [`max_entries`](Self::max_entries) does; a larger value is refused.
    pub fn max_bytes(mut self, max: u64) -> Self {
        self.caps = self.caps.with_max_bytes(max);
        self
    }

    /// Sets both caps at once (see [`max_entries`](Self::max_entries)); `SizeCaps::default()`
    /// removes them.
    pub fn caps(mut self, caps: SizeCaps) -> Self {
        self.caps = caps;
        self
    }

    /// Options from a URL: `file:///absolute/dir` or `file://relative/dir`, with the
    /// parameters `namespace`, `extension`, `layout` (`hashed` or `readable`), `fsync` (bool),
    /// `max_value_len`, `max_entries` and `max_bytes`. Another scheme, an unknown parameter or a bad value is an error naming it.
    pub fn from_url(url: &str) -> Result<Self> {
        StoreUrl::read(url, Self::from_store_url)
    }

    /// Like [`from_url`](Self::from_url), taking its parameters from `url` and leaving the
    /// rest there (for a caller that takes parameters of its own, then calls
    /// [`StoreUrl::finish`]).
    pub fn from_store_url(url: &mut StoreUrl) -> Result<Self> {
        if url.scheme() != "file" {
            return Err(url.error("not a file:// URL"));
        }
        let mut options = Self::dir(url.file_path()?);
        if let Some(namespace) = url.take("namespace") {
            options = options.namespace(namespace);
        }
        if let Some(extension) = url.take("extension") {
            options = options.extension(extension);
        }
        match url.take("layout").as_deref() {
            None | Some("hashed") => {}
            Some("readable") => options = options.layout(Layout::Readable),
            Some(other) => {
                return Err(url.error(format!(
                    "layout {other:?} is neither \"hashed\" nor \"readable\""
                )))
            }
        }
        if let Some(fsync) = url.take_bool("fsync")? {
            options = options.fsync(fsync);
        }
        if let Some(max) = url.take_usize("max_value_len")? {
            options = options.max_value_len(max);
        }
        Ok(options.caps(SizeCaps::from_store_url(url)?))
    }

    /// Checks the extension: 1-16 ASCII letters and digits.
    pub(crate) fn checked_extension(&self) -> Result<Option<String>> {
        match &self.extension {
            None => Ok(None),
            Some(ext)
                if !ext.is_empty()
                    && ext.len() <= 16
                    && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Ok(Some(ext.to_ascii_lowercase()))
            }
            Some(ext) => Err(Error::Config(format!(
                "file extension {ext:?} must be 1 to 16 ASCII letters or digits"
            ))),
        }
    }

    /// The root path of a cache-dir root.
    pub(crate) fn cache_root(app: &str) -> Result<PathBuf> {
        Namespace::new(app)
            .map_err(|_| Error::Config(format!("invalid cache app name {app:?}")))?;
        let base = dirs::cache_dir()
            .ok_or_else(|| Error::Config("this system has no user cache directory".into()))?;
        Ok(base.join(app))
    }
}
