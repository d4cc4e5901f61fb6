//! Bulk operation, update and iteration checks.

use anykv_core::{Expiry, KvStorageExt};
use std::collections::BTreeSet;
use std::time::Duration;

use super::{collect, fresh};
use crate::{ensure, Backend, CheckResult, Context};

/// get_many / set_many / delete_many keep order, skip missing keys, handle duplicates and
/// empty inputs.
pub fn bulk_operations(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "bulk")?;
    store.set_many(&[], None).ctx("set_many of nothing")?;
    ensure!(
        store.get_many(&[]).ctx("get_many of nothing")?.is_empty(),
        "get_many of nothing"
    );
    ensure!(
        store.delete_many(&[]).ctx("delete_many of nothing")? == 0,
        "delete_many of nothing"
    );
    store
        .set_many(
            &[("a", b"1"), ("b", b"2"), ("c", b""), ("a", b"last wins")],
            None,
        )
        .ctx("set_many")?;
    let got = store
        .get_many(&["missing", "c", "a", "b", "a"])
        .ctx("get_many")?;
    let want = vec![
        None,
        Some(Vec::new()),
        Some(b"last wins".to_vec()),
        Some(b"2".to_vec()),
        Some(b"last wins".to_vec()),
    ];
    ensure!(got == want, "get_many: got {got:?}");
    ensure!(
        store
            .delete_many(&["a", "missing", "a", "b"])
            .ctx("delete_many")?
            == 2,
        "delete_many must count each removed entry once"
    );
    ensure!(
        collect("keys", store.keys())? == vec!["c".to_owned()],
        "delete_many removed the wrong keys"
    );
    store.clear().ctx("clear")
}

/// `delete_many` removes every key it is given, wherever it stands in the list, on both faces,
/// and leaves the others.
pub fn delete_many_removes_every_listed_key(backend: &dyn Backend) -> CheckResult {
    let namespace = crate::unique_namespace("delete_many");
    let store = backend.open(&namespace).ctx("open")?;
    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    let keys: Vec<String> = (0..12).map(|i| format!("d{i}")).collect();
    let entries: Vec<(&str, &[u8])> = keys.iter().map(|k| (k.as_str(), &b"v"[..])).collect();
    store.set_many(&entries, None).ctx("set_many")?;
    store.set("kept", b"k", None).ctx("set")?;
    let first: Vec<&str> = keys[..6].iter().map(String::as_str).collect();
    ensure!(
        store.delete_many(&first).ctx("delete_many")? == 6,
        "delete_many of 6 live keys did not count 6"
    );
    let second: Vec<&str> = keys[6..].iter().map(String::as_str).collect();
    let runtime = crate::runtime(2)?;
    let deleted = runtime
        .block_on(async_store.delete_many(&second))
        .ctx("async delete_many")?;
    ensure!(
        deleted == 6,
        "async delete_many of 6 live keys counted {deleted}"
    );
    for key in &keys {
        ensure!(
            !store.contains(key).ctx("contains")?,
            "delete_many left {key:?} behind"
        );
    }
    ensure!(
        collect("keys", store.keys())? == vec!["kept".to_owned()],
        "delete_many removed a key it was not given, or left one"
    );
    store.clear().ctx("clear")
}

/// Bulk calls of 1200 keys (more than any one SQL statement or request carries) work.
pub fn large_bulk_operations(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "bulk_large")?;
    let keys: Vec<String> = (0..1200).map(|i| format!("bulk:{i:05}")).collect();
    let entries: Vec<(&str, &[u8])> = keys.iter().map(|k| (k.as_str(), k.as_bytes())).collect();
    store
        .set_many(&entries, Some(Duration::from_secs(3600)))
        .ctx("set_many 1200")?;
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let got = store.get_many(&refs).ctx("get_many 1200")?;
    ensure!(
        got.iter()
            .zip(&keys)
            .all(|(v, k)| v.as_deref() == Some(k.as_bytes())),
        "get_many 1200 returned wrong values"
    );
    ensure!(store.len().ctx("len")? == 1200, "len after set_many 1200");
    ensure!(
        store.delete_many(&refs).ctx("delete_many 1200")? == 1200,
        "delete_many 1200 count"
    );
    ensure!(
        store.is_empty().ctx("is_empty")?,
        "entries left after delete_many 1200"
    );
    Ok(())
}

/// `update` copies every live entry with its remaining TTL and overwrites existing keys.
pub fn update_copies_remaining_ttl(backend: &dyn Backend) -> CheckResult {
    let source = fresh(backend, "update_src")?;
    let target = fresh(backend, "update_dst")?;
    source.set("forever", b"1", None).ctx("set")?;
    source
        .set("hour", b"2", Some(Duration::from_secs(3600)))
        .ctx("set")?;
    target
        .set("forever", b"old", Some(Duration::from_secs(60)))
        .ctx("set")?;
    target.set("untouched", b"3", None).ctx("set")?;
    ensure!(
        target.update(source.as_ref()).ctx("update")? == 2,
        "update must report 2 copies"
    );
    ensure!(
        target.get("forever").ctx("get")? == Some(b"1".to_vec()),
        "update did not overwrite"
    );
    ensure!(
        target.expiry("forever").ctx("expiry")? == Some(Expiry::Never),
        "update kept the old TTL of an overwritten key"
    );
    match target.expiry("hour").ctx("expiry")?.and_then(Expiry::ttl) {
        Some(left) => ensure!(
            left > Duration::from_secs(3500) && left <= Duration::from_secs(3600),
            "copied TTL is {left:?}"
        ),
        None => return Err("update dropped the TTL".into()),
    }
    ensure!(
        target.len().ctx("len")? == 3,
        "update removed or added wrong entries"
    );
    source.clear().ctx("clear")?;
    target.clear().ctx("clear")
}

/// Iteration over more entries than one page yields each exactly once.
pub fn iteration_streams_many_entries(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "iterate")?;
    let keys: Vec<String> = (0..700).map(|i| format!("it/{i}")).collect();
    let entries: Vec<(&str, &[u8])> = keys.iter().map(|k| (k.as_str(), &b"v"[..])).collect();
    store.set_many(&entries, None).ctx("set_many")?;
    let listed = collect("keys", store.keys())?;
    let distinct: BTreeSet<&String> = listed.iter().collect();
    ensure!(
        listed.len() == 700 && distinct.len() == 700,
        "keys yielded {} entries, {} distinct; expected 700",
        listed.len(),
        distinct.len()
    );
    let items = collect("items", store.items())?;
    ensure!(
        items.len() == 700 && items.iter().all(|(_, v)| v == b"v"),
        "items yielded wrong entries"
    );
    ensure!(store.len().ctx("len")? == 700, "len after 700 writes");
    store.clear().ctx("clear")?;
    ensure!(store.is_empty().ctx("is_empty")?, "clear left entries");
    Ok(())
}
