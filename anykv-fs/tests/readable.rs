//! The readable layout as other tools see it: JSON files named by their keys, expiries in an
//! extended attribute, fixture files written by hand read as entries, foreign files left alone.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anykv_core::{KvStorage, PlainJson, Scan, Typed};
use anykv_fs::{FsOptions, FsStorage, Layout};
use serde_json::{json, Value};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn readable_store(root: &Path, namespace: &str) -> anykv_core::Result<FsStorage> {
    FsStorage::open(
        FsOptions::dir(root)
            .namespace(namespace)
            .layout(Layout::Readable),
    )
}

/// The attribute `name` of the file at `path`, as `getfattr` would show it.
fn attribute(path: &Path, name: &str) -> Option<String> {
    let mut buffer = vec![0u8; 2048];
    let len = rustix::fs::getxattr(path, name, &mut buffer[..]).ok()?;
    buffer.truncate(len);
    String::from_utf8(buffer).ok()
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Values written through `Typed` with `PlainJson` are JSON files named by their keys; an entry
/// with a TTL carries its expiry in `user.anykv.expires`, one without has no such attribute.
#[test]
fn json_values_are_json_files_named_by_their_keys() -> TestResult {
    let root = tempfile::tempdir()?;
    let store = readable_store(root.path(), "users")?;
    let users = Typed::<_, Value, _>::with_serializer(store.clone(), PlainJson);
    let ada = json!({"name": "Ada", "langs": ["en", "fr"], "age": 36});
    let before = now_millis();
    users.set("user:42", &ada, Some(Duration::from_secs(3600)))?;
    let after = now_millis();
    users.set("User:7", &json!("plain"), None)?;

    let file = store.dir().join("user%3A42.json");
    assert_eq!(store.path_for("user:42")?, file);
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&file)?)?;
    assert_eq!(on_disk, ada, "the file is the JSON value and nothing else");
    let expires: i64 = attribute(&file, "user.anykv.expires")
        .ok_or("no expiry attribute on an entry with a TTL")?
        .parse()?;
    assert!(
        (before + 3_600_000..=after + 3_600_000).contains(&expires),
        "expiry {expires} outside [{before}, {after}] + 1 h"
    );
    let plain = store.dir().join("!user%3A7.json");
    assert_eq!(std::fs::read(&plain)?, b"\"plain\"");
    assert_eq!(attribute(&plain, "user.anykv.expires"), None);

    assert_eq!(users.get("user:42")?, Some(ada));
    let mut keys = store.keys()?.collect::<anykv_core::Result<Vec<_>>>()?;
    keys.sort();
    assert_eq!(keys, ["User:7", "user:42"]);
    Ok(())
}

/// Files put in the directory by hand (fixtures, a checkout) are entries without expiry and can
/// be edited in place; files whose names no key escapes to are not entries, and `clear` leaves
/// them.
#[test]
fn fixture_files_are_entries_and_foreign_files_are_left_alone() -> TestResult {
    let root = tempfile::tempdir()?;
    let store = readable_store(root.path(), "fixtures")?;
    let dir = store.dir().to_path_buf();
    std::fs::write(dir.join("greeting.json"), br#"{"text": "hello"}"#)?;
    std::fs::write(dir.join("answer.json"), b"42")?;
    for foreign in ["README.md", "Greeting.json", "notes.txt", "a%2fb.json"] {
        std::fs::write(dir.join(foreign), b"not an entry")?;
    }
    let values = Typed::<_, Value, _>::with_serializer(store.clone(), PlainJson);
    assert_eq!(values.get("greeting")?, Some(json!({"text": "hello"})));
    assert_eq!(values.get("answer")?, Some(json!(42)));
    assert_eq!(store.expiry("answer")?, Some(anykv_core::Expiry::Never));
    let mut keys = store.keys()?.collect::<anykv_core::Result<Vec<_>>>()?;
    keys.sort();
    assert_eq!(keys, ["answer", "greeting"]);
    assert_eq!(store.len()?, 2);

    std::fs::write(dir.join("answer.json"), b"43")?;
    assert_eq!(
        values.get("answer")?,
        Some(json!(43)),
        "an edit by hand is read"
    );

    store.clear()?;
    assert_eq!(store.len()?, 0);
    for foreign in ["README.md", "Greeting.json", "notes.txt", "a%2fb.json"] {
        assert!(dir.join(foreign).exists(), "clear removed {foreign}");
    }
    Ok(())
}

/// A key whose escaped name would be too long is named by its hash, its key kept in
/// `user.anykv.key`; a copy of that file under another hashed name is reported, not listed.
#[test]
fn long_keys_keep_their_key_in_an_attribute() -> TestResult {
    let root = tempfile::tempdir()?;
    let store = readable_store(root.path(), "long")?;
    let key = format!("{}/{}", "segment".repeat(40), "é".repeat(100));
    store.set(&key, b"{}", None)?;
    let path = store.path_for(&key)?;
    let name = path.file_name().and_then(|n| n.to_str()).ok_or("no name")?;
    assert!(name.len() <= 255, "{} bytes", name.len());
    assert!(name.starts_with("segmentsegment") && name.contains('~'));
    assert_eq!(
        attribute(&path, "user.anykv.key").as_deref(),
        Some(key.as_str())
    );
    assert_eq!(store.get(&key)?, Some(b"{}".to_vec()));
    assert_eq!(
        store.keys()?.collect::<anykv_core::Result<Vec<_>>>()?,
        std::slice::from_ref(&key)
    );

    let impostor = store.path_for(&format!("{key}!"))?;
    std::fs::copy(&path, &impostor)?;
    let listed: Vec<_> = store.scan(Scan::keys_only())?.collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        store.get(&format!("{key}!")).is_err(),
        "a file holding another key is read as corrupt"
    );
    Ok(())
}

/// A prefix scan of readable names filters by name: a file outside the prefix is never opened,
/// so its broken expiry attribute only shows in a scan that reaches it.
#[test]
fn prefix_scans_filter_by_name_without_opening_files() -> TestResult {
    let root = tempfile::tempdir()?;
    let store = readable_store(root.path(), "prefixes")?;
    for key in ["user:1", "user:2", "order:1"] {
        store.set(key, b"1", None)?;
    }
    let broken = store.path_for("order:1")?;
    rustix::fs::setxattr(
        &broken,
        "user.anykv.expires",
        b"tomorrow",
        rustix::fs::XattrFlags::empty(),
    )?;
    let users: Vec<_> = store
        .scan(Scan::with_values().prefix("user:"))?
        .collect::<anykv_core::Result<_>>()?;
    assert_eq!(users.len(), 2);
    assert!(store.scan(Scan::keys_only())?.any(|record| record.is_err()));
    assert!(matches!(
        store.get("order:1"),
        Err(anykv_core::Error::Corrupt { .. })
    ));
    Ok(())
}

/// `layout=readable` in a URL; an unknown layout is an error naming it.
#[test]
fn urls_choose_the_layout() -> TestResult {
    let options = FsOptions::from_url("file:///tmp/anykv-readable?layout=readable")?;
    assert_eq!(options.layout, Layout::Readable);
    assert_eq!(
        FsOptions::from_url("file:///tmp/x?layout=hashed")?.layout,
        Layout::Hashed
    );
    let error = FsOptions::from_url("file:///tmp/x?layout=pretty")
        .err()
        .ok_or("an unknown layout was taken")?;
    assert!(error.to_string().contains("pretty"), "{error}");
    Ok(())
}
