//! [`SqliteOptions`]: where the database lives and how it is tuned.

use std::path::PathBuf;
use std::time::Duration;

use anykv_core::caps::SizeCaps;
use anykv_core::{Error, Namespace, Result, StoreUrl};

/// Where the database file is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A file at this path (created if missing, parent directories too).
    Path(PathBuf),
    /// A private in-memory database, gone when the last store using it is dropped.
    Memory,
    /// A file in a new temporary directory, deleted when the last store using it is dropped.
    TempDir,
    /// `<user cache dir>/<app>/storage.sqlite`, e.g. `~/.cache/<app>/storage.sqlite` on Linux.
    CacheDir(String),
}

/// Options for [`SqliteStorage::open`](crate::SqliteStorage::open).
///
/// ```
/// use std::time::Duration;
/// use anykv_sqlite::SqliteOptions;
/// let options = SqliteOptions::in_memory().namespace("http").busy_timeout(Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// Where the database is.
    pub location: Location,
    /// The namespace: one table per namespace, several in one file.
    pub namespace: String,
    /// Write-ahead logging (default on): readers never block writers; needed for concurrent use.
    pub wal: bool,
    /// How long a call waits for another connection's lock before failing with a retryable
    /// error (default 30 s).
    pub busy_timeout: Duration,
    /// `synchronous = OFF`: faster writes, but a power loss may lose the latest ones (default off).
    pub fast_save: bool,
    /// Connections kept per database, opened only as concurrent callers need them (default 16,
    /// so 16 threads never queue for one: 4 made them wait, 1.2-1.3x the time of a connection
    /// per thread; always 1 for in-memory databases). Each holds its own page cache.
    pub pool_size: usize,
    /// Refuse values over this many bytes (default: SQLite's own limit).
    pub max_value_len: Option<usize>,
    /// The most entries and bytes the namespace holds, enforced by evicting expired, then least
    /// recently used entries (default: none; see [`max_entries`](Self::max_entries)).
    pub caps: SizeCaps,
    /// Open the file read-only (default off): reads work, every write fails with a
    /// permission-denied error naming the file, and nothing is created (not the file, not the
    /// namespace's table, not a journal mode change). For a cache another process fills.
    pub read_only: bool,
    /// `PRAGMA name = value` run on every connection after the store's own settings, in order
    /// (e.g. `cache_size`, `mmap_size`, `temp_store`); see [`pragma`](Self::pragma).
    pub pragmas: Vec<(String, String)>,
    /// `clear()` gives the freed space back to the file system: a `VACUUM` after the delete
    /// (default off: the freed pages are reused by later writes). A `VACUUM` rewrites the whole
    /// file, every namespace in it, so it costs as much as the database is large.
    pub vacuum_on_clear: bool,
    /// What [`size()`](anykv_core::KvStorage::size) reports (default: the entries' bytes).
    pub size_of: SizeOf,
}

/// What [`SqliteStorage`](crate::SqliteStorage)'s `size()` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SizeOf {
    /// The bytes of the namespace's keys and values (the usage row of a capped store).
    #[default]
    Entries,
    /// The database's files on disk (the main file, its `-wal` and `-shm`), every namespace in
    /// them and SQLite's free pages included, as requests-cache's `size` reports; `None` for an
    /// in-memory database.
    File,
}

impl SqliteOptions {
    fn at(location: Location) -> Self {
        SqliteOptions {
            location,
            namespace: Namespace::DEFAULT.to_owned(),
            wal: true,
            busy_timeout: Duration::from_secs(30),
            fast_save: false,
            pool_size: 16,
            max_value_len: None,
            caps: SizeCaps::default(),
            read_only: false,
            pragmas: Vec::new(),
            vacuum_on_clear: false,
            size_of: SizeOf::Entries,
        }
    }

    /// Whether `clear()` gives the space back (see [`vacuum_on_clear`](Self::vacuum_on_clear)).
    pub fn vacuum_on_clear(mut self, vacuum: bool) -> Self {
        self.vacuum_on_clear = vacuum;
        self
    }

    /// What `size()` reports (see [`SizeOf`]).
    pub fn size_of(mut self, size_of: SizeOf) -> Self {
        self.size_of = size_of;
        self
    }

    /// Opens the file read-only (see [`read_only`](Self::read_only)).
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Adds `PRAGMA name = value` for every connection. The name is letters and `_`; the value
    /// a number, a word, or `-` and digits: anything else is refused when the store opens.
    pub fn pragma(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.pragmas.push((name.into(), value.into()));
        self
    }

    /// Why the pragmas cannot be run, if one of them cannot.
    pub(crate) fn check_pragmas(&self) -> Result<()> {
        for (name, value) in &self.pragmas {
            let name_ok =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
            let value_ok = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !name_ok || !value_ok {
                return Err(Error::Config(format!(
                    "pragma {name:?} = {value:?}: a name of letters and '_', a value of letters, \
                     digits, '_', '-' or '.'"
                )));
            }
        }
        Ok(())
    }

    /// A database file at `path`.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::at(Location::Path(path.into()))
    }

    /// A private in-memory database.
    pub fn in_memory() -> Self {
        Self::at(Location::Memory)
    }

    /// A database in a new temporary directory, removed with the store.
    pub fn temp_dir() -> Self {
        Self::at(Location::TempDir)
    }

    /// A database in the user's cache directory, under `app`.
    pub fn cache_dir(app: impl Into<String>) -> Self {
        Self::at(Location::CacheDir(app.into()))
    }

    /// The namespace (table) of the store.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Turns write-ahead logging on or off.
    pub fn wal(mut self, wal: bool) -> Self {
        self.wal = wal;
        self
    }

    /// Sets the busy timeout.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Turns fast_save (`synchronous = OFF`) on or off.
    pub fn fast_save(mut self, fast: bool) -> Self {
        self.fast_save = fast;
        self
    }

    /// Sets the number of pooled connections.
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// Refuses values over `max` bytes.
    pub fn max_value_len(mut self, max: usize) -> Self {
        self.max_value_len = Some(max);
        self
    }

    /// Holds at most `max` entries in the namespace. A write through this store that passes the
    /// cap (or [`max_bytes`](Self::max_bytes)) deletes the expired entries, then the least
    /// recently used ones down to 90 % of the caps, in the write's own transaction. Costs: the
    /// table gets a `used_at` column, a one-row usage table and triggers that keep both exact
    /// (about two more row updates per write, whoever writes); reads are remembered in the
    /// process and stamped with the next write (approximate LRU, see the crate docs).
    pub fn max_entries(mut self, max: u64) -> Self {
        self.caps = self.caps.with_max_entries(max);
        self
    }

    /// Holds at most `max` bytes of keys and values in the namespace (what
    /// [`size`](anykv_core::KvStorage::size) counts), evicting as
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

    /// Options from a URL: `sqlite:///absolute/path.db`, `sqlite://relative/path.db` or
    /// `sqlite::memory:`, with the parameters `namespace`, `wal` (bool), `busy_timeout`
    /// (`30s`), `fast_save` (bool), `pool_size`, `max_value_len`, `max_entries`,
    /// `max_bytes`, `read_only` (bool), `vacuum_on_clear` (bool), `size_of` (`entries` or `file`)
    /// and `pragma.<name>=<value>` (any number of them). Another scheme, an unknown
    /// parameter or a bad value is an error naming it.
    pub fn from_url(url: &str) -> Result<Self> {
        StoreUrl::read(url, Self::from_store_url)
    }

    /// Like [`from_url`](Self::from_url), taking its parameters from `url` and leaving the
    /// rest there (for a caller that takes parameters of its own, then calls
    /// [`StoreUrl::finish`]).
    pub fn from_store_url(url: &mut StoreUrl) -> Result<Self> {
        if url.scheme() != "sqlite" {
            return Err(url.error("not a sqlite:// URL"));
        }
        let mut options = if url.url().path() == ":memory:" {
            Self::in_memory()
        } else {
            Self::path(url.file_path()?)
        };
        if let Some(namespace) = url.take("namespace") {
            options = options.namespace(namespace);
        }
        if let Some(wal) = url.take_bool("wal")? {
            options = options.wal(wal);
        }
        if let Some(timeout) = url.take_duration("busy_timeout")? {
            options = options.busy_timeout(timeout);
        }
        if let Some(fast) = url.take_bool("fast_save")? {
            options = options.fast_save(fast);
        }
        if let Some(size) = url.take_usize("pool_size")? {
            options = options.pool_size(size);
        }
        if let Some(max) = url.take_usize("max_value_len")? {
            options = options.max_value_len(max);
        }
        if let Some(read_only) = url.take_bool("read_only")? {
            options = options.read_only(read_only);
        }
        if let Some(vacuum) = url.take_bool("vacuum_on_clear")? {
            options = options.vacuum_on_clear(vacuum);
        }
        if let Some(size_of) = url.take("size_of") {
            options = options.size_of(match size_of.as_str() {
                "entries" => SizeOf::Entries,
                "file" => SizeOf::File,
                other => {
                    return Err(url.error(format!("size_of={other:?}: `entries` or `file`")));
                }
            });
        }
        for (name, value) in url.take_prefixed("pragma.") {
            options = options.pragma(name, value);
        }
        options.check_pragmas().map_err(|e| url.error(e))?;
        Ok(options.caps(SizeCaps::from_store_url(url)?))
    }

    /// The file path for a cache-dir location.
    pub(crate) fn cache_file(app: &str) -> Result<PathBuf> {
        if app.is_empty() || app.contains(['/', '\\']) || app == ".." || app == "." {
            return Err(Error::Config(format!("invalid cache app name {app:?}")));
        }
        let base = dirs::cache_dir()
            .ok_or_else(|| Error::Config("this system has no user cache directory".into()))?;
        Ok(base.join(app).join("storage.sqlite"))
    }
}
