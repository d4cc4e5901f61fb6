//! Files-only behaviour: leftovers of killed writers are cleaned up, namespace directories stay
//! distinct on case-insensitive file systems and avoid names Windows reserves.

use std::fs::File;
use std::time::{Duration, SystemTime};

use anykv_core::KvStorage;
use anykv_fs::{FsOptions, FsStorage, ABANDONED_TEMP_AGE};

fn root() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

/// A temporary file left by a writer killed before its rename is removed by `purge_expired` once
/// it is old enough; a fresh one (a write in progress) and the entries are left alone.
#[test]
fn purge_removes_abandoned_temp_files_only() -> anykv_core::Result<()> {
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
fn namespace_directories_are_safe_on_every_file_system() -> anykv_core::Result<()> {
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

/// The file a planted entry gets: named like an entry file, for no key the test wrote.
fn planted_file(store: &FsStorage) -> Result<std::path::PathBuf, String> {
    store.path_for("never written").map_err(|e| e.to_string())
}

/// One corrupt entry file among 600 good ones is reported once, as an error naming its file,
/// and `keys`, `items` and `len` go on past it; `get` of its key names the key.
#[test]
fn a_corrupt_file_hides_nothing() -> Result<(), String> {
    let root = root();
    let store = FsStorage::open(FsOptions::dir(root.path()).namespace("corrupt"))
        .map_err(|e| e.to_string())?;
    let good = anykv_test_support::write_good_entries(&store, 600).map_err(|e| e.to_string())?;
    let planted = planted_file(&store)?;
    std::fs::write(&planted, b"not an entry file").map_err(|e| e.to_string())?;
    let name = planted
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    anykv_test_support::assert_bad_entry_reported(&store, &good, &name)?;
    match store.get("never written") {
        Err(error) => assert!(
            error.to_string().contains("never written"),
            "the error names the file, not the key: {error}"
        ),
        Ok(found) => return Err(format!("get of a corrupt file returned {found:?}")),
    }
    match store.pop("never written") {
        Err(error) => assert!(
            error.to_string().contains("never written") && !error.to_string().contains(".tmp"),
            "pop's error names a temp file, not the key: {error}"
        ),
        Ok(found) => return Err(format!("pop of a corrupt file returned {found:?}")),
    }
    Ok(())
}

/// A copy of a good entry's file under another entry's name does not list its key twice: it is
/// reported as a bad entry naming the file.
#[test]
fn a_file_under_another_keys_name_is_not_trusted() -> Result<(), String> {
    let root = root();
    let store = FsStorage::open(FsOptions::dir(root.path()).namespace("copies"))
        .map_err(|e| e.to_string())?;
    let good = anykv_test_support::write_good_entries(&store, 600).map_err(|e| e.to_string())?;
    let original = store.path_for("key 0007").map_err(|e| e.to_string())?;
    let planted = planted_file(&store)?;
    std::fs::copy(&original, &planted).map_err(|e| e.to_string())?;
    let name = planted
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    anykv_test_support::assert_bad_entry_reported(&store, &good, &name)
}

/// An entry file's modification time is its expiry (far ahead without one), so `contains`
/// answers from `stat`; a file whose time has passed (copied, touched, expired, or from an
/// older version) is read, so a corrupt one is still an error and an expired one absent.
#[test]
fn contains_trusts_only_a_modification_time_ahead() -> Result<(), String> {
    let root = root();
    let store = FsStorage::open(FsOptions::dir(root.path()).namespace("hints"))
        .map_err(|e| e.to_string())?;
    let modified = |key: &str| -> Result<SystemTime, String> {
        let path = store.path_for(key).map_err(|e| e.to_string())?;
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map_err(|e| e.to_string())
    };
    let before = SystemTime::now();
    store
        .set("hour", b"v", Some(Duration::from_secs(3600)))
        .map_err(|e| e.to_string())?;
    store
        .set("forever", b"v", None)
        .map_err(|e| e.to_string())?;
    let after = SystemTime::now();
    let hour = modified("hour")?;
    assert!(
        hour >= before + Duration::from_secs(3599) && hour <= after + Duration::from_secs(3601),
        "the hint of a one-hour entry is {hour:?}"
    );
    assert!(modified("forever")? > after + Duration::from_secs(3600 * 24 * 365));
    assert!(store.contains("hour").map_err(|e| e.to_string())?);
    assert!(store.contains("forever").map_err(|e| e.to_string())?);

    // Touched to the present, as a copy would be: read from the header, still there.
    let touch = |key: &str, at: SystemTime| -> Result<(), String> {
        let path = store.path_for(key).map_err(|e| e.to_string())?;
        File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(at))
            .map_err(|e| e.to_string())
    };
    touch("forever", SystemTime::now())?;
    assert!(store.contains("forever").map_err(|e| e.to_string())?);

    // Corrupt, with a time in the past: an error, as from get.
    let planted = planted_file(&store)?;
    std::fs::write(&planted, b"not an entry file").map_err(|e| e.to_string())?;
    touch("never written", SystemTime::now() - Duration::from_secs(1))?;
    assert!(store.contains("never written").is_err());

    // Expired: its time has passed, and the header says so.
    store
        .set("brief", b"v", Some(Duration::from_millis(1)))
        .map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(10));
    assert!(!store.contains("brief").map_err(|e| e.to_string())?);
    Ok(())
}
