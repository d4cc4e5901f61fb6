//! Files-only behaviour: leftovers of killed writers are cleaned up, namespace directories stay
//! distinct on case-insensitive file systems and avoid names Windows reserves.

use std::fs::File;
use std::time::{Duration, SystemTime};

use storage_core::KvStorage;
use storage_fs::{FsOptions, FsStorage, ABANDONED_TEMP_AGE};

fn root() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

/// A temporary file left by a writer killed before its rename is removed by `purge_expired` once
/// it is old enough; a fresh one (a write in progress) and the entries are left alone.
#[test]
fn purge_removes_abandoned_temp_files_only() -> storage_core::Result<()> {
    let root = root();
    let store = FsStorage::open(FsOptions::dir(root.path()).namespace("temps"))?;
    store.set("kept", b"v", None)?;
    let abandoned = store.dir().join(".tmp.4242.7.123");
    let in_progress = store.dir().join(".tmp.4242.8.456");
    for path in [&abandoned, &in_progress] {
        std::fs::write(path, b"half a value").unwrap_or_else(|e| panic!("{e}"));
    }
    let long_ago = SystemTime::now() - ABANDONED_TEMP_AGE - Duration::from_secs(60);
    File::options()
        .write(true)
        .open(&abandoned)
        .and_then(|f| f.set_modified(long_ago))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        store.purge_expired()?,
        0,
        "temp files are not counted as entries"
    );
    assert!(
        !abandoned.exists(),
        "the abandoned temp file is still there"
    );
    assert!(
        in_progress.exists(),
        "a fresh temp file (a write in progress) was removed"
    );
    assert_eq!(store.get("kept")?, Some(b"v".to_vec()));
    assert_eq!(store.len()?, 1);
    Ok(())
}

/// Namespaces that differ only in case get directories that differ in more than case, and a
/// name Windows reserves gets a directory it allows.
#[test]
fn namespace_directories_are_safe_on_every_file_system() -> storage_core::Result<()> {
    let root = root();
    let open = |name: &str| FsStorage::open(FsOptions::dir(root.path()).namespace(name));
    let (upper, lower, reserved) = (open("Ab")?, open("aB")?, open("con")?);
    let folded = |store: &FsStorage| {
        store
            .dir()
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default()
    };
    assert_ne!(
        folded(&upper),
        folded(&lower),
        "{:?} vs {:?}",
        upper.dir(),
        lower.dir()
    );
    assert_ne!(folded(&reserved), "con", "{:?}", reserved.dir());
    upper.set("k", b"upper", None)?;
    lower.set("k", b"lower", None)?;
    assert_eq!(upper.get("k")?, Some(b"upper".to_vec()));
    assert_eq!(lower.get("k")?, Some(b"lower".to_vec()));
    Ok(())
}
