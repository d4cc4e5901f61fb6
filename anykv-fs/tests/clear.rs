//! `clear()` of a directory larger than one of its sorted batches removes every entry file and
//! nothing else.

use anykv_core::{KvStorage, KvStorageExt};
use anykv_fs::{FsOptions, FsStorage};

#[test]
fn clear_removes_more_files_than_one_batch() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = FsStorage::open(FsOptions::dir(dir.path()).extension("bin"))?;
    let keys: Vec<String> = (0..20_000).map(|i| format!("k{i}")).collect();
    for chunk in keys.chunks(1000) {
        let entries: Vec<(&str, &[u8])> = chunk.iter().map(|k| (k.as_str(), &b"v"[..])).collect();
        store.set_many(&entries, None)?;
    }
    let foreign = store.dir().join("notes.txt");
    std::fs::write(&foreign, b"not an entry")?;
    assert_eq!(store.len_including_expired()?, 20_000);
    store.clear()?;
    assert_eq!(store.len_including_expired()?, 0);
    let left: Vec<_> = std::fs::read_dir(store.dir())?
        .filter_map(|item| item.ok())
        .map(|item| item.file_name())
        .collect();
    assert!(
        left.iter()
            .all(|name| name == "notes.txt" || name == ".claim.lock"),
        "left after clear: {left:?}"
    );
    assert!(
        foreign.exists(),
        "clear removed a file that is not an entry"
    );
    Ok(())
}
