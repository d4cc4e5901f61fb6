//! [`FsStorage`]: the [`KvStorage`] implementation.

use std::ffi::OsString;
use std::fs::{self, File, FileTimes, Metadata};
use std::io::{self, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anykv_core::caps::SizeCaps;
use anykv_core::limits::{check_entry, check_key};
use anykv_core::time::expiry_from_ttl;
use anykv_core::{
    Entry, Error, Expiry, KvStorage, Namespace, Record, RecordIter, Result, Scan, Store, StoreInfo,
    Timestamp,
};

use crate::caps::{Directory, FileVersion, FsCaps};
use crate::config::{FsOptions, Root};
use crate::error::{io_error, BACKEND};
use crate::format::Header;
use crate::layout::Files;
use crate::readable_names::RESERVED_NAMES;
use crate::staged::{temp_file_age, Staged};
use crate::sys::{self, DirRemover};

/// Prefix of temporary files; never an entry name.
const TEMP_PREFIX: &str = ".tmp.";
/// How old a temporary file must be before `purge_expired` takes it for the leftover of a
/// writer that died between writing it and renaming it into place. No live write takes this
/// long (a write of the largest value is one `write` call and a rename).
pub const ABANDONED_TEMP_AGE: Duration = Duration::from_secs(15 * 60);

/// A [`KvStorage`] with one file per key under `<root>/<namespace>/`.
///
/// In the default [`Layout::Hashed`](crate::Layout::Hashed), file names are the SHA-256 of the
/// key (see the `keys` module docs) and the file holds a small header (key, expiry) and the
/// value; in [`Layout::Readable`](crate::Layout::Readable), the file is named by the escaped key
/// and holds only the value. Every write goes to a temporary file in the same
/// directory that is then renamed over the entry (optionally fsynced first), so a crash or a
/// kill never leaves a torn value; `delete` and `pop` rename the entry away before reading it,
/// and `set_if_absent` decides and writes while it holds the namespace's claim lock (a mutex
/// within the process, an advisory file lock on `.claim.lock` across processes, released by the
/// kernel if the holder dies). `compare_and_set` and `compare_and_delete` decide under the same
/// lock, and every rename of an entry file (`set`'s, `delete`'s and `pop`'s) happens under it
/// too, so no write lands between a conditional operation's comparison and its write: all of
/// them are atomic across threads and processes. The lock is held only for the comparison and
/// one rename; values are written to their temporary files before it is taken.
#[derive(Clone)]
pub struct FsStorage {
    namespace: Namespace,
    dir: PathBuf,
    /// The files' layout and extension.
    files: Files,
    fsync: bool,
    max_value_len: usize,
    /// The namespace's claim lock for the conditional operations and renames: the mutex orders this process's threads
    /// (a file lock is per open file, so threads sharing one would not exclude each other), the
    /// file lock other processes.
    claim: Arc<Mutex<File>>,
    /// The size caps, when the store has any.
    capped: Option<Arc<FsCaps>>,
    _temp_dir: Option<Arc<tempfile::TempDir>>,
}

/// Why an entry file is read: a use (a read through the store's API: a capped store marks it
/// used) or an inspection (scans, purges, the eviction pass: never marks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Use,
    Inspect,
}

/// Opens an entry file for reading, with `O_NOATIME` where the platform allows: the kernel's
/// own access-time update would write the inode on every read (with `relatime` too, as an
/// entry's modification time, its expiry hint, lies ahead of its access time), and the only
/// access time the store needs is the one a capped store sets itself.
fn open_entry(path: &Path) -> io::Result<File> {
    match sys::open_noatime(path) {
        Some(opened) => opened,
        None => File::open(path),
    }
}

/// The claim lock's file lock while it is held: released when dropped, so a panic inside the
/// locked section never leaves other processes waiting on it.
struct ClaimHeld<'a>(&'a File);

impl Drop for ClaimHeld<'_> {
    fn drop(&mut self) {
        // Closing the file would release it too; the store keeps it open, so unlock now.
        let _ = self.0.unlock();
    }
}

/// The file name of `path`, for messages and comparisons.
fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// The directory of a namespace: its case-folded name (distinct on case-insensitive file
/// systems), with `!` before a name Windows reserves (`con` → `!con`). Neither `~` nor `!` is a
/// namespace character, so no two namespaces share a directory.
fn directory_name(namespace: &Namespace) -> String {
    let folded = namespace.case_folded();
    if RESERVED_NAMES.contains(&folded.as_ref()) {
        format!("!{folded}")
    } else {
        folded.into_owned()
    }
}

/// The claim lock file in each namespace directory (not an entry in either layout: entry names
/// never start with a dot).
const CLAIM_LOCK: &str = ".claim.lock";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Files `clear` sorts by inode number at a time (about 100 bytes of memory each).
const CLEAR_BATCH: usize = 16_384;

impl FsStorage {
    /// Opens the store, creating its directory if needed.
    pub fn open(options: FsOptions) -> Result<Self> {
        let namespace = Namespace::new(options.namespace.as_str())?;
        let extension = options.checked_extension()?;
        let (root, temp_dir) = match &options.root {
            Root::Dir(dir) => (dir.clone(), None),
            Root::CacheDir(app) => (FsOptions::cache_root(app)?, None),
            Root::TempDir => {
                let dir = tempfile::tempdir().map_err(io_error("open", &std::env::temp_dir()))?;
                (dir.path().to_path_buf(), Some(Arc::new(dir)))
            }
        };
        let dir = root.join(directory_name(&namespace));
        fs::create_dir_all(&dir).map_err(io_error("open", &dir))?;
        let claim = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(CLAIM_LOCK))
            .map_err(io_error("open", &dir))?;
        Ok(FsStorage {
            namespace,
            dir,
            files: Files::new(options.layout, extension),
            fsync: options.fsync,
            max_value_len: options.caps.max_value_len(options.max_value_len),
            claim: Arc::new(Mutex::new(claim)),
            capped: options
                .caps
                .is_set()
                .then(|| Arc::new(FsCaps::new(options.caps))),
            _temp_dir: temp_dir,
        })
    }

    /// How many entries writes through this store (and its clones) evicted to keep within its
    /// caps ([`FsOptions::max_entries`], [`FsOptions::max_bytes`]); expired entries removed for
    /// it are not counted.
    pub fn evictions(&self) -> u64 {
        self.capped.as_ref().map_or(0, |capped| capped.evicted())
    }

    /// The caps this store keeps to (none by default).
    pub fn caps(&self) -> SizeCaps {
        self.capped.as_ref().map(|c| c.caps()).unwrap_or_default()
    }

    /// The directory holding this store's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds (or would hold) `key`.
    pub fn path_for(&self, key: &str) -> Result<PathBuf> {
        check_key(key)?;
        Ok(self.dir.join(self.files.name(key)))
    }

    /// The files of the live entries, streamed.
    pub fn paths(&self) -> Result<impl Iterator<Item = Result<PathBuf>> + '_> {
        Ok(self.scan(Scan::keys_only())?.map(move |record| {
            let record = record?;
            Ok(self.dir.join(self.files.name(&record.key)))
        }))
    }

    fn temp_path(&self) -> PathBuf {
        let count = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        self.dir.join(format!(
            "{TEMP_PREFIX}{}.{count}.{nanos}",
            std::process::id()
        ))
    }

    /// Writes a complete entry file at a temporary path and returns that path.
    fn write_temp(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<Staged> {
        let expires_at = expiry_from_ttl(ttl, Timestamp::now())?;
        self.stage(key, expires_at, |file| {
            self.files.write(file, key, expires_at, value)?;
            Ok(value.len() as u64)
        })
        .map_err(io_error("set", &self.dir))
    }

    /// Writes a complete entry file of `key` at a temporary path: `write` puts the entry into
    /// the new file and returns the value's length. Nothing is left behind when it fails.
    pub(crate) fn stage(
        &self,
        key: &str,
        expires_at: Option<Timestamp>,
        write: impl FnOnce(&mut File) -> io::Result<u64>,
    ) -> io::Result<Staged> {
        let temp = self.temp_path();
        let written = (|| {
            let mut file = File::create_new(&temp)?;
            let value_len = write(&mut file)?;
            if self.fsync {
                file.sync_all()?;
            }
            Ok((file, value_len))
        })();
        match written {
            Ok((file, value_len)) => Ok(Staged {
                path: temp,
                file,
                expires_at,
                hint_expiry: self.files.hints_expiry(),
                value_len,
                len: self
                    .files
                    .file_len(key, usize::try_from(value_len).unwrap_or(usize::MAX)),
            }),
            Err(error) => {
                let _ = fs::remove_file(&temp);
                Err(error)
            }
        }
    }

    /// Renames a staged entry file over the entry file at `path` (under the claim lock), then
    /// marks its expiry and counts the write in a capped store's usage.
    pub(crate) fn install(
        &self,
        staged: Staged,
        path: &Path,
        operation: &'static str,
    ) -> Result<()> {
        let renamed = self.with_claim_lock(operation, || {
            let replaced = self.held_len(path);
            Ok(fs::rename(&staged.path, path).map(|()| replaced))
        });
        let replaced =
            match renamed.and_then(|renamed| renamed.map_err(io_error(operation, &self.dir))) {
                Ok(replaced) => replaced,
                Err(error) => {
                    let _ = fs::remove_file(&staged.path);
                    return Err(error);
                }
            };
        let written = staged.len;
        staged.mark_expiry();
        self.sync_dir()?;
        self.count_write(path, replaced, written)
    }

    fn sync_dir(&self) -> Result<()> {
        if self.fsync {
            File::open(&self.dir)
                .and_then(|dir| dir.sync_all())
                .map_err(io_error("sync directory", &self.dir))?;
        }
        Ok(())
    }

    /// Reads the entry file at `path`, checking that it holds `key`. `None` if there is no file.
    /// With `values`, the whole file is read; without, only the header. A [`Access::Use`] of a
    /// capped store marks the file used.
    fn read_file(
        &self,
        path: &Path,
        key: Option<&str>,
        values: bool,
        access: Access,
    ) -> Result<Option<(Header, Vec<u8>)>> {
        Ok(self
            .open_file(path, key, values, access)?
            .map(|(_, header, value)| (header, value)))
    }

    /// [`read_file`](Self::read_file), keeping the open file.
    fn open_file(
        &self,
        path: &Path,
        key: Option<&str>,
        values: bool,
        access: Access,
    ) -> Result<Option<(File, Header, Vec<u8>)>> {
        // Errors name the entry: its key when known, and its file (an entry file, never the
        // temporary name `delete` and `pop` read it under).
        let file_name = file_name_of(path);
        let shown = match key {
            Some(key) => self.files.name(key),
            None => file_name.clone(),
        };
        let mut file = match open_entry(path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error("read", &self.dir)(error)),
        };
        let (header, value) =
            self.files
                .read(&mut file, &file_name, key, values, (&shown, &self.dir))?;
        if access == Access::Use {
            self.mark_used(&file);
        }
        if let Some(key) = key {
            if header.key != key {
                return Err(Error::corrupt(
                    key,
                    format!("its file holds another key, {:?}", header.key),
                ));
            }
        }
        Ok(Some((file, header, value)))
    }

    /// The open file of the live entry of `key` (marked used in a capped store), positioned at
    /// the start of its value, with the entry's header.
    pub(crate) fn open_value(&self, key: &str) -> Result<Option<(File, Header)>> {
        let path = self.path_for(key)?;
        let now = Timestamp::now();
        let Some((mut file, header, _)) = self.open_file(&path, Some(key), false, Access::Use)?
        else {
            return Ok(None);
        };
        if header.expires_at.is_some_and(|at| at.is_expired_at(now)) {
            return Ok(None);
        }
        file.seek(io::SeekFrom::Start(self.files.value_offset(key)))
            .map_err(io_error("read", &self.dir))?;
        Ok(Some((file, header)))
    }

    /// The files' layout and extension.
    pub(crate) fn files(&self) -> &Files {
        &self.files
    }

    /// The largest value the store takes.
    pub(crate) fn max_value_len(&self) -> usize {
        self.max_value_len
    }

    /// Sets the access time of an entry file a capped store read to now (size caps evict by
    /// it); nothing without caps. A file system that refuses leaves the time the kernel keeps.
    fn mark_used(&self, file: &File) {
        if self.capped.is_some() {
            let _ = file.set_times(FileTimes::new().set_accessed(SystemTime::now()));
        }
    }

    /// The length of the entry file at `path` before a write or removal replaces it, for a
    /// capped store's usage (`None` without caps or without a file). Called under the claim
    /// lock, so no rename lands between it and the change.
    fn held_len(&self, path: &Path) -> Option<u64> {
        self.capped.as_ref()?;
        fs::metadata(path).ok().map(|meta| meta.len())
    }

    /// Counts a write of `written` bytes over `replaced` in a capped store's usage, and runs an
    /// eviction pass when it passes a cap.
    fn count_write(&self, path: &Path, replaced: Option<u64>, written: u64) -> Result<()> {
        match &self.capped {
            Some(capped) if capped.wrote(replaced, written) => capped.enforce(self, path),
            _ => Ok(()),
        }
    }

    /// Counts the removal of a `removed`-byte entry file in a capped store's usage.
    fn count_removal(&self, removed: Option<u64>) {
        if let (Some(capped), Some(len)) = (&self.capped, removed) {
            capped.removed(len);
        }
    }

    /// The entry file at `path` (holding `key`) if it is live: its header, and its value when
    /// `values` asks for it.
    fn live_file(
        &self,
        path: &Path,
        key: &str,
        values: bool,
        access: Access,
    ) -> Result<Option<(Header, Vec<u8>)>> {
        let now = Timestamp::now();
        Ok(self
            .read_file(path, Some(key), values, access)?
            .filter(|(header, _)| !header.expires_at.is_some_and(|at| at.is_expired_at(now))))
    }

    fn live_entry(&self, key: &str) -> Result<Option<Entry>> {
        let now = Timestamp::now();
        Ok(self
            .held_entry(key)?
            .filter(|entry| !entry.is_expired_at(now)))
    }

    /// The entry of `key`, live or expired (until purged).
    fn held_entry(&self, key: &str) -> Result<Option<Entry>> {
        let path = self.path_for(key)?;
        Ok(self
            .read_file(&path, Some(key), true, Access::Use)?
            .map(|(header, value)| Entry {
                value,
                expires_at: header.expires_at,
            }))
    }

    /// Atomically takes the entry file of `key` away; returns its live value, if it had one.
    fn take(&self, key: &str, operation: &'static str) -> Result<Option<Vec<u8>>> {
        let path = self.path_for(key)?;
        let taken = self.temp_path();
        let (renamed, held) = self.with_claim_lock(operation, || {
            let held = self.held_len(&path);
            Ok((fs::rename(&path, &taken), held))
        })?;
        match renamed {
            Ok(()) => self.count_removal(held),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(operation, &self.dir)(error)),
        }
        let read = self.read_file(&taken, Some(key), true, Access::Inspect);
        fs::remove_file(&taken).map_err(io_error(operation, &self.dir))?;
        let now = Timestamp::now();
        Ok(read?
            .filter(|(header, _)| !header.expires_at.is_some_and(|at| at.is_expired_at(now)))
            .map(|(_, value)| value))
    }

    /// Removes temporary files older than [`ABANDONED_TEMP_AGE`].
    fn remove_abandoned_temp_files(&self) -> Result<()> {
        let listing = fs::read_dir(&self.dir).map_err(io_error("purge_expired", &self.dir))?;
        for item in listing {
            let item = item.map_err(io_error("purge_expired", &self.dir))?;
            let abandoned = item
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(TEMP_PREFIX))
                && item
                    .metadata()
                    .ok()
                    .and_then(|meta| temp_file_age(&meta))
                    .is_some_and(|age| age > ABANDONED_TEMP_AGE);
            if abandoned {
                let _ = fs::remove_file(item.path());
            }
        }
        Ok(())
    }

    /// Runs `decide` while holding the namespace's claim lock (see the type's docs).
    fn with_claim_lock<T>(
        &self,
        operation: &'static str,
        decide: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let file = self.claim.lock().unwrap_or_else(|e| e.into_inner());
        file.lock().map_err(io_error(operation, &self.dir))?;
        let held = ClaimHeld(&file);
        let outcome = decide();
        drop(held);
        outcome
    }

    /// Whether the entry file at `path` is what a conditional operation expects: absent or
    /// expired for `None` (only its header is read), exactly the live value `expected` else.
    fn holds(&self, path: &Path, key: &str, expected: Option<&[u8]>) -> Result<bool> {
        let live = self.live_file(path, key, expected.is_some(), Access::Inspect)?;
        Ok(match (live, expected) {
            (None, None) => true,
            (Some((_, value)), Some(expected)) => value == expected,
            _ => false,
        })
    }

    fn entry_files(&self) -> Result<impl Iterator<Item = Result<PathBuf>> + '_> {
        Ok(self
            .entry_names()?
            .map(|name| name.map(|name| self.dir.join(name))))
    }

    /// The names of the entry files in the directory, streamed.
    fn entry_names(&self) -> Result<impl Iterator<Item = Result<OsString>> + '_> {
        Ok(self
            .entry_names_with_inodes()?
            .map(|entry| entry.map(|(_, name)| name)))
    }

    /// The names of the entry files in the directory with their inode numbers (0 where the
    /// platform has none), streamed.
    fn entry_names_with_inodes(
        &self,
    ) -> Result<impl Iterator<Item = Result<(u64, OsString)>> + '_> {
        let listing = fs::read_dir(&self.dir).map_err(io_error("scan", &self.dir))?;
        Ok(listing.filter_map(move |item| match item {
            Err(error) => Some(Err(io_error("scan", &self.dir)(error))),
            Ok(item) => {
                let name = item.file_name();
                let entry = self.files.is_entry(name.to_str()?);
                entry.then(|| Ok((sys::inode(&item), name)))
            }
        }))
    }
}

impl Store for FsStorage {
    fn info(&self) -> StoreInfo<'_> {
        StoreInfo::new(BACKEND)
            .max_value_len(self.max_value_len)
            .namespace(self.namespace.as_str())
    }
}

impl KvStorage for FsStorage {
    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        self.live_entry(key)
    }

    fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        self.held_entry(key)
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_entry(BACKEND, key, value, self.max_value_len)?;
        let path = self.path_for(key)?;
        let staged = self.write_temp(key, value, ttl)?;
        self.install(staged, &path, "set")
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let operation = if expected.is_some() {
            "compare_and_set"
        } else {
            "set_if_absent"
        };
        check_entry(BACKEND, key, value, self.max_value_len)?;
        let path = self.path_for(key)?;
        let staged = self.write_temp(key, value, ttl)?;
        let outcome = self.with_claim_lock(operation, || {
            if !self.holds(&path, key, expected)? {
                return Ok(None);
            }
            let replaced = self.held_len(&path);
            fs::rename(&staged.path, &path)
                .map(|()| Some(replaced))
                .map_err(io_error(operation, &self.dir))
        });
        match outcome {
            Ok(Some(replaced)) => {
                let written = staged.len;
                staged.mark_expiry();
                self.sync_dir()?;
                self.count_write(&path, replaced, written)?;
                Ok(true)
            }
            other => {
                let _ = fs::remove_file(&staged.path);
                other.map(|_| false)
            }
        }
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        let path = self.path_for(key)?;
        let deleted = self.with_claim_lock("compare_and_delete", || {
            if !self.holds(&path, key, Some(expected))? {
                return Ok(None);
            }
            let held = self.held_len(&path);
            fs::remove_file(&path)
                .map(|()| Some(held))
                .map_err(io_error("compare_and_delete", &self.dir))
        })?;
        let Some(held) = deleted else {
            return Ok(false);
        };
        self.count_removal(held);
        self.sync_dir()?;
        Ok(true)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        Ok(self.take(key, "delete")?.is_some())
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.take(key, "pop")
    }

    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        let path = self.path_for(key)?;
        Ok(self
            .live_file(&path, key, false, Access::Use)?
            .map(|(header, _)| Expiry::from_option(header.expires_at)))
    }

    fn contains(&self, key: &str) -> Result<bool> {
        let path = self.path_for(key)?;
        match fs::metadata(&path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(io_error("contains", &self.dir)(error)),
            // The file's mtime is never later than its entry's expiry (see `Staged`): a
            // modification time still ahead means a live entry, without opening the file.
            Ok(meta)
                if self.files.hints_expiry()
                    && meta.modified().is_ok_and(|at| at > SystemTime::now()) =>
            {
                if self.capped.is_some() {
                    if let Ok(file) = File::open(&path) {
                        self.mark_used(&file);
                    }
                }
                return Ok(true);
            }
            Ok(_) => {}
        }
        Ok(self.live_file(&path, key, false, Access::Use)?.is_some())
    }

    fn scan(&self, scan: Scan<'_>) -> Result<RecordIter<'_>> {
        let files = self.entry_files()?;
        let prefix = scan.key_prefix().to_owned();
        let (with_values, expired_too) = (scan.values(), scan.lists_expired());
        Ok(Box::new(files.filter_map(move |path| {
            let path = match path {
                Ok(path) => path,
                Err(error) => return Some(Err(error)),
            };
            let name = file_name_of(&path);
            // A readable name spells its key: the prefix is checked without opening the file.
            let spelled = self.files.key_in_name(&name);
            if spelled
                .as_ref()
                .is_some_and(|key| !key.starts_with(&prefix))
            {
                return None;
            }
            // A hashed name does not: a prefix scan reads each header, and the value only of
            // the entries it lists (a second read of those files).
            let filtered = !prefix.is_empty() && spelled.is_none();
            let read = match self.read_file(&path, None, with_values && !filtered, Access::Inspect)
            {
                Ok(Some((header, _))) if !header.key.starts_with(&prefix) => return None,
                Ok(Some(_)) if with_values && filtered => {
                    self.read_file(&path, None, true, Access::Inspect)
                }
                read => read,
            };
            match read {
                // Deleted since the directory was listed.
                Ok(None) => None,
                Ok(Some((header, _)))
                    if !expired_too && header.expires_at.is_some_and(|at| at.is_expired()) =>
                {
                    None
                }
                // A file (planted or copied) whose name is not its key's: listing it would show
                // that key twice, or a key `get` cannot reach.
                Ok(Some((header, _))) if name != self.files.name(&header.key) => {
                    Some(Err(Error::corrupt(
                        &header.key,
                        format!("file {name} holds this key but is not its file: not listed"),
                    )))
                }
                Ok(Some((header, value))) => Some(Ok(Record {
                    key: header.key,
                    value: with_values.then_some(value),
                    expires_at: header.expires_at,
                })),
                Err(error) => Some(Err(error)),
            }
        })))
    }

    fn clear(&self) -> Result<()> {
        if let Some(capped) = &self.capped {
            capped.forget();
        }
        // As `rm -rf` does: by name in the open directory (no path to resolve per file), in
        // batches sorted by inode number (the inode table is then walked in order, not at the
        // random order of a hashed directory).
        let dir = DirRemover::open(&self.dir).map_err(io_error("clear", &self.dir))?;
        let mut names = self.entry_names_with_inodes()?.peekable();
        while names.peek().is_some() {
            let mut batch = names
                .by_ref()
                .take(CLEAR_BATCH)
                .collect::<Result<Vec<_>>>()?;
            batch.sort_unstable();
            for (_, name) in batch {
                match dir.remove(&name) {
                    Ok(()) => {}
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => return Err(io_error("clear", &self.dir)(error)),
                }
            }
        }
        Ok(())
    }

    fn len_including_expired(&self) -> Result<usize> {
        let mut count = 0;
        for path in self.entry_files()? {
            path?;
            count += 1;
        }
        Ok(count)
    }

    /// The sizes of the entry files (keys, values and their headers).
    fn size(&self) -> Result<Option<u64>> {
        let mut bytes = 0;
        for path in self.entry_files()? {
            match fs::metadata(path?) {
                Ok(meta) => bytes += meta.len(),
                // Deleted since it was listed.
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(io_error("size", &self.dir)(error)),
            }
        }
        Ok(Some(bytes))
    }

    /// Removes the files of expired entries, and temporary files older than
    /// [`ABANDONED_TEMP_AGE`] (left by writers killed between writing and renaming; they are not
    /// counted). A `set` of the same key racing with the purge can be lost; run it when that
    /// does not matter (e.g. from a periodic job).
    fn purge_expired(&self) -> Result<usize> {
        if let Some(capped) = &self.capped {
            capped.forget();
        }
        self.remove_abandoned_temp_files()?;
        let mut purged = 0;
        for path in self.entry_files()? {
            let path = path?;
            if self.file_expired(&path) && fs::remove_file(&path).is_ok() {
                purged += 1;
            }
        }
        Ok(purged)
    }
}

impl FsStorage {
    /// Whether the entry file at `path` holds an expired entry, read without marking it used
    /// (false if it is gone or unreadable: such files are left to the calls that report them).
    fn file_expired(&self, path: &Path) -> bool {
        matches!(
            self.read_file(path, None, false, Access::Inspect),
            Ok(Some((header, _))) if header.expires_at.is_some_and(|at| at.is_expired())
        )
    }
}

impl Directory for FsStorage {
    fn entry_paths(&self) -> Result<Box<dyn Iterator<Item = Result<PathBuf>> + '_>> {
        Ok(Box::new(self.entry_files()?))
    }

    /// Only files whose expiry hint has passed are opened (see `Staged`).
    fn holds_expired(&self, path: &Path, meta: &Metadata) -> bool {
        if self.files.hints_expiry() && meta.modified().is_ok_and(|at| at > SystemTime::now()) {
            return false;
        }
        self.file_expired(path)
    }

    fn remove_if_unchanged(&self, path: &Path, version: &FileVersion) -> Result<Option<u64>> {
        self.with_claim_lock("evict", || match fs::metadata(path) {
            Ok(meta) if FileVersion::of(&meta) == *version => match fs::remove_file(path) {
                Ok(()) => Ok(Some(meta.len())),
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(io_error("evict", &self.dir)(error)),
            },
            _ => Ok(None),
        })
    }
}

impl std::fmt::Debug for FsStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsStorage")
            .field("dir", &self.dir)
            .field("files", &self.files)
            .field("fsync", &self.fsync)
            .field("caps", &self.caps())
            .finish()
    }
}
