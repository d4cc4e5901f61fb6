//! Size caps on a namespace directory ([`FsOptions::max_entries`](crate::FsOptions::max_entries)
//! / [`max_bytes`](crate::FsOptions::max_bytes)): the usage as this process sees it, and the
//! pass over the directory that evicts.
//!
//! Recency is the entry file's access time: a write sets it (the new file), and a read through
//! a capped store sets it explicitly (so `noatime` mounts work too), while every entry file is
//! opened with `O_NOATIME` where Linux allows it, so scans, purges and the eviction pass do not
//! make every entry recent. The usage (entry files and their bytes) is counted by a pass over
//! the directory on the first capped write and at each eviction; in between it follows this
//! process's own writes and removals. Writes by other processes are seen at the next pass, so
//! with several writing processes the directory can pass a cap by what they wrote since.
//!
//! A pass that finds the directory over a cap removes the expired entries, then, if it is still
//! over 90 % of a cap, the least recently used entries down to it: a second pass keeps the
//! oldest files in a heap no larger than what must go, so memory stays bounded by the eviction,
//! not the directory. Each file is removed under the namespace's claim lock, and only if it is
//! still the version the pass saw (a file rewritten since is spared).

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use anykv_core::caps::{SizeCaps, Usage};
use anykv_core::Result;

use crate::error::io_error;

/// The caps of one store (and its clones), its view of the usage, its evictions.
pub(crate) struct FsCaps {
    caps: SizeCaps,
    /// Exact after each pass, then moved by this store's writes and removals; `None` until the
    /// first pass, and after `clear` or `purge_expired`.
    usage: Mutex<Option<Usage>>,
    /// Held by the pass in progress: writes that pass the cap meanwhile leave it to that pass.
    pass: Mutex<()>,
    evicted: AtomicU64,
}

impl FsCaps {
    pub(crate) fn new(caps: SizeCaps) -> Self {
        FsCaps {
            caps,
            usage: Mutex::new(None),
            pass: Mutex::new(()),
            evicted: AtomicU64::new(0),
        }
    }

    pub(crate) fn caps(&self) -> SizeCaps {
        self.caps
    }

    pub(crate) fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    fn usage(&self) -> std::sync::MutexGuard<'_, Option<Usage>> {
        self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Follows a write of a `written`-byte file over one of `replaced` bytes (`None`: a new
    /// entry); returns whether a pass over the directory is due.
    pub(crate) fn wrote(&self, replaced: Option<u64>, written: u64) -> bool {
        let mut usage = self.usage();
        let Some(usage) = usage.as_mut() else {
            return true;
        };
        if replaced.is_none() {
            usage.entries += 1;
        }
        usage.bytes = (usage.bytes + written).saturating_sub(replaced.unwrap_or(0));
        self.caps.exceeded_by(*usage)
    }

    /// Follows the removal of a `bytes`-byte entry file.
    pub(crate) fn removed(&self, bytes: u64) {
        if let Some(usage) = self.usage().as_mut() {
            *usage = usage.without(bytes);
        }
    }

    /// Forgets the usage: the next capped write counts it again.
    pub(crate) fn forget(&self) {
        *self.usage() = None;
    }
}

/// One version of an entry file: a rewrite renames a new file over it, which changes its inode
/// (and its times), so a file with the same version has not been written since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileVersion {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: u64,
}

impl FileVersion {
    pub(crate) fn of(meta: &Metadata) -> Self {
        FileVersion {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(meta),
        }
    }
}

/// An entry file the pass may evict, ordered by when it was last used.
struct Candidate {
    used: SystemTime,
    path: PathBuf,
    version: FileVersion,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (self.used, &self.path).cmp(&(other.used, &other.path))
    }
}

/// The least recently used candidates that together free at least `entries` entries and
/// `bytes` bytes: a max-heap by last use that drops its most recent member whenever the rest
/// still free enough. Memory is bounded by the eviction, not by the directory.
struct Oldest {
    heap: BinaryHeap<Candidate>,
    bytes_held: u64,
    entries: u64,
    bytes: u64,
}

impl Oldest {
    fn freeing(entries: u64, bytes: u64) -> Self {
        Oldest {
            heap: BinaryHeap::new(),
            bytes_held: 0,
            entries,
            bytes,
        }
    }

    fn offer(&mut self, candidate: Candidate) {
        self.bytes_held += candidate.version.len;
        self.heap.push(candidate);
        while let Some(newest) = self.heap.peek() {
            let rest_entries = self.heap.len() as u64 - 1;
            let rest_bytes = self.bytes_held - newest.version.len;
            if rest_entries < self.entries || rest_bytes < self.bytes {
                break;
            }
            self.bytes_held = rest_bytes;
            self.heap.pop();
        }
    }

    /// The kept candidates, least recently used first.
    fn into_sorted(self) -> Vec<Candidate> {
        self.heap.into_sorted_vec()
    }
}

/// When the file was last used: its access time (the epoch where the file system keeps none).
fn last_used(meta: &Metadata) -> SystemTime {
    meta.accessed().unwrap_or(UNIX_EPOCH)
}

/// What a pass needs from the store: its entry files, whether one has expired, and a removal
/// under the claim lock.
pub(crate) trait Directory {
    /// Every entry file's path.
    fn entry_paths(&self) -> Result<Box<dyn Iterator<Item = Result<PathBuf>> + '_>>;
    /// Whether the entry file at `path` holds an expired entry (read without marking it used).
    fn holds_expired(&self, path: &Path, meta: &Metadata) -> bool;
    /// Removes the file at `path` if it is still `version` (under the claim lock); its length
    /// if it did.
    fn remove_if_unchanged(&self, path: &Path, version: &FileVersion) -> Result<Option<u64>>;
}

fn metadata(path: &Path) -> Result<Option<Metadata>> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        // Removed since it was listed.
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error("evict", path)(error)),
    }
}

impl FsCaps {
    /// A pass over `dir` (see the module docs), sparing `keep`, the file just written. Skipped
    /// while another thread's pass runs.
    pub(crate) fn enforce(&self, dir: &dyn Directory, keep: &Path) -> Result<()> {
        let Ok(_pass) = self.pass.try_lock() else {
            return Ok(());
        };
        let mut usage = Usage::default();
        let mut expired = Vec::new();
        for path in dir.entry_paths()? {
            let path = path?;
            let Some(meta) = metadata(&path)? else {
                continue;
            };
            usage.entries += 1;
            usage.bytes += meta.len();
            if path != keep && dir.holds_expired(&path, &meta) {
                expired.push((path, FileVersion::of(&meta)));
            }
        }
        if self.caps.exceeded_by(usage) {
            for (path, version) in &expired {
                if let Some(len) = dir.remove_if_unchanged(path, version)? {
                    usage = usage.without(len);
                }
            }
            usage = self.evict_least_recently_used(dir, keep, usage)?;
        }
        *self.usage() = Some(usage);
        Ok(())
    }

    /// Removes the least recently used entry files until `usage` is within 90 % of the caps;
    /// returns the usage after.
    fn evict_least_recently_used(
        &self,
        dir: &dyn Directory,
        keep: &Path,
        mut usage: Usage,
    ) -> Result<Usage> {
        let low = self.caps.low_water();
        if !low.exceeded_by(usage) {
            return Ok(usage);
        }
        let over = |max: Option<u64>, held: u64| max.map_or(0, |max| held.saturating_sub(max));
        let mut oldest = Oldest::freeing(
            over(low.max_entries, usage.entries),
            over(low.max_bytes, usage.bytes),
        );
        for path in dir.entry_paths()? {
            let path = path?;
            if path == keep {
                continue;
            }
            if let Some(meta) = metadata(&path)? {
                oldest.offer(Candidate {
                    used: last_used(&meta),
                    path,
                    version: FileVersion::of(&meta),
                });
            }
        }
        let candidates = oldest.into_sorted().into_iter().map(|c| {
            let len = c.version.len;
            (c, len)
        });
        for victim in self.caps.victims(usage, candidates) {
            if let Some(len) = dir.remove_if_unchanged(&victim.path, &victim.version)? {
                usage = usage.without(len);
                self.evicted.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(used_secs: u64, len: u64) -> Candidate {
        Candidate {
            used: UNIX_EPOCH + std::time::Duration::from_secs(used_secs),
            path: PathBuf::from(format!("f{used_secs}")),
            version: FileVersion {
                len,
                modified: None,
                #[cfg(unix)]
                inode: used_secs,
            },
        }
    }

    #[test]
    fn the_heap_keeps_the_oldest_files_that_free_enough() {
        let mut oldest = Oldest::freeing(2, 0);
        for used in [5, 1, 9, 3, 7] {
            oldest.offer(candidate(used, 10));
        }
        let kept: Vec<u64> = oldest
            .into_sorted()
            .iter()
            .map(|c| c.used.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
            .collect();
        assert_eq!(kept, vec![1, 3]);

        let mut by_bytes = Oldest::freeing(0, 25);
        for used in [4, 2, 8, 6] {
            by_bytes.offer(candidate(used, 10));
        }
        assert_eq!(
            by_bytes.into_sorted().len(),
            3,
            "25 bytes need three 10-byte files"
        );
    }
}
