//! The file-system calls std does not offer: opening a file without touching its access time,
//! and removing a directory's entries by name relative to the open directory (as `rm -rf`
//! does, without resolving the whole path again for every file), on Linux (elsewhere the plain
//! calls); and the inode number of a listed entry.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::path::Path;
#[cfg(not(target_os = "linux"))]
use std::path::PathBuf;

/// Opens `path` for reading with `O_NOATIME`; `None` where that is not possible (another
/// platform, or a file of another owner), and the caller opens it as usual.
#[cfg(target_os = "linux")]
pub(crate) fn open_noatime(path: &Path) -> Option<io::Result<File>> {
    use rustix::fs::{open, Mode, OFlags};
    match open(
        path,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOATIME,
        Mode::empty(),
    ) {
        Ok(fd) => Some(Ok(File::from(fd))),
        Err(rustix::io::Errno::PERM) => None,
        Err(errno) => Some(Err(errno.into())),
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn open_noatime(_path: &Path) -> Option<io::Result<File>> {
    None
}

/// A directory whose files are removed by name.
pub(crate) struct DirRemover {
    #[cfg(target_os = "linux")]
    dir: std::os::fd::OwnedFd,
    #[cfg(not(target_os = "linux"))]
    dir: PathBuf,
}

impl DirRemover {
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{open, Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            Ok(DirRemover {
                dir: open(dir, flags, Mode::empty())?,
            })
        }
        #[cfg(not(target_os = "linux"))]
        Ok(DirRemover {
            dir: dir.to_path_buf(),
        })
    }

    /// Removes the file `name` of the directory.
    pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            rustix::fs::unlinkat(&self.dir, name, rustix::fs::AtFlags::empty())?;
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        std::fs::remove_file(self.dir.join(name))
    }
}

/// The inode number of a directory entry, read with the listing (no `stat`); 0 elsewhere.
pub(crate) fn inode(entry: &std::fs::DirEntry) -> u64 {
    #[cfg(unix)]
    return std::os::unix::fs::DirEntryExt::ino(entry);
    #[cfg(not(unix))]
    return {
        let _ = entry;
        0
    };
}
